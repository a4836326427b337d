// Small statistics helpers.

/** Median of a non-empty list of numbers (mean of the two middle values when even). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Nearest-rank percentile (`p` in 0..100) of an unsorted list, or null for an empty list. */
export function percentile(values, p) {
  if (!values.length) return null
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

/** Arithmetic mean, or null for an empty list. */
export function mean(values) {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null
}

/** Rotate a list left by `k` places (round r starts with a different contender). */
export function rotate(list, k) {
  const n = list.length
  const s = ((k % n) + n) % n
  return [...list.slice(s), ...list.slice(0, s)]
}
