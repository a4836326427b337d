// Dependency-free SVG grouped bar chart: one group per workload, one bar per
// contender, value labels on the bars, "n/a" where a contender did not run.

const BAR = 34
const BAR_GAP = 6
const GROUP_GAP = 40
const PLOT_H = 300
const M = { top: 78, right: 24, bottom: 64, left: 64 }

/** Escape text for SVG. */
function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** A "nice" tick step (1, 2 or 5 x 10^k) giving about `count` ticks up to `max`. */
function niceStep(max, count = 5) {
  const raw = max / count
  const pow = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)
}

/** Format a value compactly for labels. */
function fmt(v) {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)
}

/** Y axis: grid lines and tick labels (decimals as many as the step needs). */
function axis(width, yMax, step, y) {
  const parts = []
  const decimals = Math.max(0, -Math.floor(Math.log10(step)))
  for (let i = 0; i * step <= yMax + 1e-9; i++) {
    const v = i * step
    parts.push(`<line x1="${M.left}" x2="${width - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`)
    parts.push(
      `<text x="${M.left - 8}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#555">${esc(v.toFixed(decimals))}</text>`,
    )
  }
  return parts.join('\n')
}

/** Legend row under the title. */
function legend(series) {
  return series
    .map((s, i) => {
      const x = M.left + i * 190
      return `<rect x="${x}" y="52" width="12" height="12" fill="${s.color}"/><text x="${x + 18}" y="62" font-size="12">${esc(s.label)}</text>`
    })
    .join('\n')
}

/**
 * Bars (or "n/a" markers) and the label of one workload. Contenders that do not
 * apply to the workload (value undefined) take no slot; the others are centred.
 */
function group(g, gi, series, y, groupW) {
  const present = series.filter((s) => g.values[s.id] !== undefined)
  const barsW = present.length * (BAR + BAR_GAP) - BAR_GAP
  const x0 = M.left + gi * groupW + (groupW - barsW) / 2
  const parts = present.map((s, si) => {
    const x = x0 + si * (BAR + BAR_GAP)
    const v = g.values[s.id]
    if (v === null) {
      return `<text x="${x + BAR / 2}" y="${y(0) - 4}" text-anchor="middle" font-size="10" fill="#999">n/a</text>`
    }
    return (
      `<rect x="${x}" y="${y(v)}" width="${BAR}" height="${Math.max(0, y(0) - y(v))}" fill="${s.color}"><title>${esc(`${s.label}: ${fmt(v)}`)}</title></rect>` +
      `<text x="${x + BAR / 2}" y="${y(v) - 4}" text-anchor="middle" font-size="10">${esc(fmt(v))}</text>`
    )
  })
  const cx = M.left + gi * groupW + groupW / 2
  parts.push(
    `<text x="${cx}" y="${y(0) + 18}" text-anchor="middle" font-size="12" font-weight="bold">${esc(g.label)}</text>`,
  )
  if (g.sublabel)
    parts.push(
      `<text x="${cx}" y="${y(0) + 34}" text-anchor="middle" font-size="10" fill="#555">${esc(g.sublabel)}</text>`,
    )
  return parts.join('\n')
}

/**
 * @param {{ title: string, subtitle?: string, yLabel: string, series: {id,label,color}[],
 *           groups: { label: string, sublabel?: string, values: Record<string, number|null> }[] }} spec
 * @returns {string} a standalone SVG document
 */
export function barChartSvg({ title, subtitle, yLabel, series, groups }) {
  const groupW = series.length * (BAR + BAR_GAP) - BAR_GAP + GROUP_GAP
  const width = Math.max(M.left + M.right + groups.length * groupW, M.left + M.right + series.length * 190)
  const height = M.top + PLOT_H + M.bottom
  const max = Math.max(1e-9, ...groups.flatMap((g) => Object.values(g.values).filter((v) => typeof v === 'number')))
  const step = niceStep(max)
  const yMax = Math.ceil(max / step) * step
  const y = (v) => Math.round((M.top + PLOT_H - (v / yMax) * PLOT_H) * 10) / 10
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${M.left}" y="26" font-size="16" font-weight="bold">${esc(title)}</text>`,
    subtitle ? `<text x="${M.left}" y="42" font-size="11" fill="#c92a2a">${esc(subtitle)}</text>` : '',
    legend(series),
    axis(width, yMax, step, y),
    `<text transform="translate(16 ${M.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`,
    ...groups.map((g, gi) => group(g, gi, series, y, groupW)),
    `<line x1="${M.left}" x2="${width - M.right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`,
    '</svg>',
  ].join('\n')
}
