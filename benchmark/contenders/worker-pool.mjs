// Contender: the pattern users come from (blog post): one worker_threads Worker
// per image, all spawned at once, each loading sharp in a fresh V8 isolate.
// Unlike the blog post, the options ARE passed to the workers (via workerData),
// and 'error'/'exit' are handled so no failure is lost.
import fs from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { outputPathFor } from '../lib/pipelines.mjs'

const WORKER_URL = new URL('./worker-pool-worker.mjs', import.meta.url)

export const id = 'worker-pool'
export const label = 'worker_threads + sharp (1 Worker/image)'

export async function load() {
  const sharp = (await import('sharp')).default // only to fail early if sharp is missing
  return { ok: true, info: { version: sharp.versions.sharp } }
}

/** Run one image in its own Worker; resolves with a per-file result, never rejects. */
function one(input, options, outDir) {
  const output = outputPathFor(input, outDir, options.format)
  return new Promise((resolve) => {
    let settled = false
    const settle = (r) => {
      if (!settled) {
        settled = true
        resolve({ input, output, ...r })
      }
    }
    const worker = new Worker(WORKER_URL, { workerData: { input, output, options } })
    worker.once('message', (m) =>
      settle(m.ok ? { ok: true, bytes: m.bytes, width: m.width, height: m.height } : { ok: false, error: m.error }),
    )
    worker.once('error', (err) => settle({ ok: false, error: String(err?.message ?? err) }))
    worker.once('exit', (code) => settle({ ok: false, error: `worker exited with code ${code} before reporting` }))
  })
}

export async function run(inputs, options, outDir) {
  await fs.mkdir(outDir, { recursive: true })
  return Promise.all(inputs.map((input) => one(input, options, outDir)))
}
