// Worker body for contenders/worker-pool.mjs: process exactly one image with sharp.
import { parentPort, workerData } from 'node:worker_threads'
import sharp from 'sharp'
import { sharpUsersChain } from '../lib/pipelines.mjs'

const { input, output, options } = workerData
try {
  const info = await sharpUsersChain(sharp, input, options).toFile(output)
  parentPort.postMessage({ ok: true, bytes: info.size, width: info.width, height: info.height })
} catch (err) {
  parentPort.postMessage({ ok: false, error: String(err?.message ?? err) })
}
