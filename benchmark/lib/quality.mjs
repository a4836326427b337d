// Quality gate: compare each contender's outputs with sharp's, per source image:
// same dimensions, and SSIM of the luma channel (alpha flattened onto black).
import { ssim } from './ssim.mjs'
import { mean } from './stats.mjs'

export const SSIM_THRESHOLD = 0.97

/** Largest size difference (px per axis) for which an informational SSIM is still computed, after resampling. */
const RESAMPLE_TOLERANCE = 2

/** Decode an image to 8-bit luma with sharp, optionally resampled to `size` first. */
async function lumaOf(sharp, file, size) {
  let p = sharp(file).flatten({ background: '#000000' })
  if (size) p = p.resize(size.width, size.height, { fit: 'fill' })
  const { data, info } = await p.grayscale().raw().toBuffer({ resolveWithObject: true })
  const luma = info.channels === 1 ? data : data.filter((_, i) => i % info.channels === 0)
  return { data: luma, width: info.width, height: info.height }
}

/**
 * One (reference, candidate) pair: dimensions and SSIM. When the dimensions
 * differ by at most RESAMPLE_TOLERANCE px, the candidate is resampled to the
 * reference size and the SSIM is flagged `resampled` (informational only).
 */
async function comparePair(sharp, refFile, candFile) {
  const [ref, cand] = await Promise.all([lumaOf(sharp, refFile), lumaOf(sharp, candFile)])
  const dims = `${cand.width}x${cand.height}`
  const refDims = `${ref.width}x${ref.height}`
  if (dims === refDims)
    return { dimsMatch: true, dims, refDims, ssim: ssim(ref.data, cand.data, ref.width, ref.height) }
  const close =
    Math.abs(cand.width - ref.width) <= RESAMPLE_TOLERANCE && Math.abs(cand.height - ref.height) <= RESAMPLE_TOLERANCE
  if (!close) return { dimsMatch: false, dims, refDims, ssim: null }
  const resampled = await lumaOf(sharp, candFile, ref)
  return {
    dimsMatch: false,
    dims,
    refDims,
    resampled: true,
    ssim: ssim(ref.data, resampled.data, ref.width, ref.height),
  }
}

/** Output of each batch input, keyed by input path, for successful outputs only. */
function outputsByInput(result) {
  return new Map(result.outputs.filter((o) => o.ok).map((o) => [o.input, o.output]))
}

/**
 * Compare `cand` (a child result) with `ref` (sharp's child result of the same
 * batch), once per distinct source image. Returns a summary for the report.
 */
export async function compareWithReference(sharp, batch, ref, cand) {
  const refOut = outputsByInput(ref)
  const candOut = outputsByInput(cand)
  const seen = new Set()
  const pairs = []
  for (const item of batch) {
    if (seen.has(item.source)) continue
    seen.add(item.source)
    const r = refOut.get(item.path)
    const c = candOut.get(item.path)
    if (!r || !c) {
      pairs.push({ source: item.source, missing: !c ? 'candidate' : 'reference' })
      continue
    }
    pairs.push({ source: item.source, ...(await comparePair(sharp, r, c)) })
  }
  return summarisePairs(pairs)
}

/** Min/mean SSIM over same-size pairs, the resampled pairs apart, mismatches and missing outputs. */
function summarisePairs(pairs) {
  const exact = pairs.filter((p) => p.dimsMatch && typeof p.ssim === 'number')
  const resampled = pairs.filter((p) => p.resampled)
  const worst = exact.reduce((w, p) => (w && w.ssim <= p.ssim ? w : p), null)
  return {
    compared: pairs.length,
    minSsim: worst ? worst.ssim : null,
    meanSsim: mean(exact.map((p) => p.ssim)),
    worstSource: worst?.source ?? null,
    resampled: resampled.length,
    minResampledSsim: resampled.length ? Math.min(...resampled.map((p) => p.ssim)) : null,
    dimsMismatches: pairs
      .filter((p) => p.dimsMatch === false)
      .map((p) => ({ source: p.source, dims: p.dims, expected: p.refDims })),
    missing: pairs.filter((p) => p.missing).map((p) => ({ source: p.source, missing: p.missing })),
  }
}

/** PASS when every output exists, every dimension matches and min SSIM >= threshold. */
export function gateVerdict(cmp, failedCount) {
  const reasons = []
  if (failedCount) reasons.push(`${failedCount} image(s) failed`)
  if (cmp.missing.length) reasons.push(`${cmp.missing.length} output(s) missing`)
  if (cmp.dimsMismatches.length)
    reasons.push(
      `${cmp.dimsMismatches.length} dimension mismatch(es), e.g. ${cmp.dimsMismatches[0].dims} vs sharp ${cmp.dimsMismatches[0].expected}`,
    )
  if (cmp.minSsim !== null && cmp.minSsim < SSIM_THRESHOLD)
    reasons.push(`min SSIM ${cmp.minSsim.toFixed(4)} < ${SSIM_THRESHOLD}`)
  if (cmp.minSsim === null && !reasons.length) reasons.push('nothing compared')
  return { pass: reasons.length === 0, reasons }
}
