// Contender (quarter turns only): sharp rotating first, then resizing into the swapped
// box: corepool's output geometry, so the quality gate's reference for workload a.
// Slower than the users' chain (no JPEG shrink-on-load after a rotation); Promise.all.
import fs from 'node:fs/promises'
import { needsQuarterTurn, outputPathFor, sharpRotateFirst } from '../lib/pipelines.mjs'

let sharp

export const id = 'sharp-rotate-first'
export const label = 'sharp, rotate first (corepool geometry)'

/** Only meaningful when the workload rotates by 90 or 270 degrees. */
export function appliesTo(options) {
  return needsQuarterTurn(options)
}

export async function load() {
  sharp = (await import('sharp')).default
  return { ok: true, info: { version: sharp.versions.sharp, concurrency: sharp.concurrency() } }
}

/** Process one file; never throws, reports per-file errors instead. */
async function one(input, o, outDir) {
  const output = outputPathFor(input, outDir, o.format)
  try {
    const info = await sharpRotateFirst(sharp, input, o).toFile(output)
    return { input, output, ok: true, bytes: info.size, width: info.width, height: info.height }
  } catch (err) {
    return { input, output, ok: false, error: String(err?.message ?? err) }
  }
}

export async function run(inputs, options, outDir) {
  await fs.mkdir(outDir, { recursive: true })
  return Promise.all(inputs.map((input) => one(input, options, outDir)))
}
