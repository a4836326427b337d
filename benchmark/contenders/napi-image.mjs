// Contender: @napi-rs/image, the closest peer. Read bytes, Transformer chain,
// async encode (libuv threadpool), write bytes; Promise.all over the batch.
import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import { napiEncode, outputPathFor } from '../lib/pipelines.mjs'

let napi

export const id = 'napi-image'
export const label = '@napi-rs/image (Transformer)'

/** @napi-rs/image has no sharpen nor composite: it sits out those workloads. */
export function appliesTo(options) {
  return !options.sharpen && !options.composite
}

export async function load() {
  const require = createRequire(import.meta.url)
  napi = require('@napi-rs/image')
  const version = require('@napi-rs/image/package.json').version
  return { ok: true, info: { version, resize: process.env.BENCH_NAPI_RESIZE ?? 'fast' } }
}

/** Process one file; never throws, reports per-file errors instead. */
async function one(input, o, outDir) {
  const output = outputPathFor(input, outDir, o.format)
  try {
    const data = await fs.readFile(input)
    const encoded = await napiEncode(napi, data, o, process.env.BENCH_NAPI_RESIZE ?? 'fast')
    await fs.writeFile(output, encoded)
    return { input, output, ok: true, bytes: encoded.length }
  } catch (err) {
    return { input, output, ok: false, error: String(err?.message ?? err) }
  }
}

export async function run(inputs, options, outDir) {
  await fs.mkdir(outDir, { recursive: true })
  return Promise.all(inputs.map((input) => one(input, options, outDir)))
}
