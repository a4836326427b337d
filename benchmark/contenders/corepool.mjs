// Contender: corepool's batch API, one call for the whole batch:
// processImages(paths, options) -> ImageResult[] (DESIGN.md).
import fs from 'node:fs/promises'
import { createRequire } from 'node:module'

let corepool

export const id = 'corepool'
export const label = 'corepool processImages'

// BENCH_COREPOOL_MODULE overrides the module path (e.g. another build, or a stand-in to test the harness).
const MODULE = process.env.BENCH_COREPOOL_MODULE || '../../index.js'

export async function load() {
  const require = createRequire(import.meta.url)
  try {
    corepool = require(MODULE)
  } catch (err) {
    return { ok: false, reason: `cannot load ${MODULE} (build it with \`npm run build\`): ${err.message}` }
  }
  if (typeof corepool.processImages !== 'function') {
    return { ok: false, reason: 'corepool.processImages is not a function yet (image API not built into this binary)' }
  }
  const version = MODULE === '../../index.js' ? require('../../package.json').version : `from ${MODULE}`
  return { ok: true, info: { version, target: corepool.__napiBindingTarget } }
}

/** Map an ImageResult to the common per-file result shape. */
function toResult(r, input) {
  if (!r.success) {
    return {
      input,
      output: r.outputPath,
      ok: false,
      error: `${r.error?.code ?? 'ERR_?'}: ${r.error?.message ?? 'unknown'}`,
    }
  }
  return { input, output: r.outputPath, ok: true, bytes: r.processedSize, width: r.width, height: r.height }
}

export async function run(inputs, options, outDir) {
  await fs.mkdir(outDir, { recursive: true })
  const results = await corepool.processImages(inputs, { ...options, outputDir: outDir, overwrite: true })
  if (!Array.isArray(results) || results.length !== inputs.length) {
    throw new Error(`processImages returned ${results?.length} results for ${inputs.length} inputs`)
  }
  return results.map((r, i) => toResult(r, inputs[i])) // results come in input order
}
