// Contender: sharp as its users write it (the headline): Promise.all over one chain
// per file (resize, then rotate, then grey, then encode), with sharp's default
// concurrency (libuv threadpool + libvips threads).
import fs from 'node:fs/promises'
import { sharpUsersChain, outputPathFor } from '../lib/pipelines.mjs'

let sharp

export const id = 'sharp'
export const label = "sharp, the users' chain (Promise.all)"

export async function load() {
  sharp = (await import('sharp')).default
  return {
    ok: true,
    info: { version: sharp.versions.sharp, vips: sharp.versions.vips, concurrency: sharp.concurrency() },
  }
}

/** Process one file; never throws, reports per-file errors instead. */
async function one(input, o, outDir) {
  const output = outputPathFor(input, outDir, o.format)
  try {
    const info = await sharpUsersChain(sharp, input, o).toFile(output)
    return { input, output, ok: true, bytes: info.size, width: info.width, height: info.height }
  } catch (err) {
    return { input, output, ok: false, error: String(err?.message ?? err) }
  }
}

export async function run(inputs, options, outDir) {
  await fs.mkdir(outDir, { recursive: true })
  return Promise.all(inputs.map((input) => one(input, options, outDir)))
}
