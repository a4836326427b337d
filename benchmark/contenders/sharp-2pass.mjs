// Contender: sharp tuned for quarter-turn rotations (workload a only): a
// resize-to-raw pass, then a rotate-and-encode pass on the small image, so the
// full-size image is never rotated. Same output as corepool; Promise.all as for sharp.
import fs from 'node:fs/promises'
import { needsQuarterTurn, outputPathFor, sharpTwoPass } from '../lib/pipelines.mjs'

let sharp

export const id = 'sharp-2pass'
export const label = 'sharp, 2 passes (resize, then rotate)'

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
    const info = await sharpTwoPass(sharp, input, o, output)
    return { input, output, ok: true, bytes: info.size, width: info.width, height: info.height }
  } catch (err) {
    return { input, output, ok: false, error: String(err?.message ?? err) }
  }
}

export async function run(inputs, options, outDir) {
  await fs.mkdir(outDir, { recursive: true })
  return Promise.all(inputs.map((input) => one(input, options, outDir)))
}
