// The scaffolding the sharp contenders share: load sharp once per child, run one chain
// per file with Promise.all (as sharp's users do), and report per-file errors instead
// of throwing. Each contender differs only in its chain.
import fs from 'node:fs/promises'
import { outputPathFor } from '../lib/pipelines.mjs'

/**
 * A contender module's exports (`id`, `label`, `load`, `run`) for a sharp chain:
 * `write(sharp, input, options, output)` writes one file and resolves to sharp's
 * output info (`size`, `width`, `height`).
 */
export function sharpContender({ id, label, write }) {
  let sharp
  async function load() {
    sharp = (await import('sharp')).default
    return {
      ok: true,
      info: { version: sharp.versions.sharp, vips: sharp.versions.vips, concurrency: sharp.concurrency() },
    }
  }
  async function one(input, o, outDir) {
    const output = outputPathFor(input, outDir, o.format)
    try {
      const info = await write(sharp, input, o, output)
      return { input, output, ok: true, bytes: info.size, width: info.width, height: info.height }
    } catch (err) {
      return { input, output, ok: false, error: String(err?.message ?? err) }
    }
  }
  async function run(inputs, options, outDir) {
    await fs.mkdir(outDir, { recursive: true })
    return Promise.all(inputs.map((input) => one(input, options, outDir)))
  }
  return { id, label, load, run }
}
