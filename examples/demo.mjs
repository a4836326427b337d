// The README's first command: process the bundled sample photos with the users'
// options (800x600 contain, rotate 90, grayscale), then compute primes, and print a
// short report. Outputs go to examples/output/ (gitignored).
import { createRequire } from 'node:module'
import { mkdir, readdir, stat, rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const corepool = require('../index.js')

const here = path.dirname(fileURLToPath(import.meta.url))
const photos = path.join(here, '..', '__test__', 'fixtures', 'photos')
const outputDir = path.join(here, 'output')

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`
const pad = (s, n) => String(s).padEnd(n)

async function demoImages() {
  await rm(outputDir, { recursive: true, force: true })
  await mkdir(outputDir, { recursive: true })
  const names = (await readdir(photos)).filter((f) => /\.(jpe?g|png|gif)$/i.test(f)).sort()
  const inputs = names.map((f) => path.join(photos, f))
  const options = { width: 800, height: 600, fit: 'contain', rotation: 90, grayscale: true, outputDir }
  console.log(
    `processImages: ${inputs.length} sample images, ${JSON.stringify({ ...options, outputDir: 'examples/output' })}`,
  )
  const started = performance.now()
  let progressCalls = 0
  const results = await corepool.processImages(inputs, options, { onProgress: () => progressCalls++ })
  const wall = performance.now() - started
  console.log(`${pad('file', 28)}${pad('in-size', 12)}${pad('out-size', 12)}${pad('dims', 11)}${pad('ms', 8)}status`)
  for (const r of results) {
    const inSize = (await stat(r.originalPath)).size
    const status = r.success ? 'ok' : `${r.error.code}: ${r.error.message}`
    const dims = r.success ? `${r.width}x${r.height}` : '-'
    const outSize = r.success ? kb(r.processedSize) : '-'
    console.log(
      `${pad(path.basename(r.originalPath), 28)}${pad(kb(inSize), 12)}${pad(outSize, 12)}${pad(dims, 11)}${pad(r.durationMs.toFixed(1), 8)}${status}`,
    )
  }
  const ok = results.filter((r) => r.success).length
  console.log(
    `${ok}/${results.length} written to examples/output/ in ${wall.toFixed(0)} ms on ${corepool.getConcurrency()} threads (${progressCalls} progress events)\n`,
  )
  return ok === results.length
}

async function demoPrimes() {
  for (const max of [1e6, 1e8, 1e9]) {
    const started = performance.now()
    const primes = await corepool.calculatePrimes(max)
    const ms = performance.now() - started
    console.log(
      `calculatePrimes(${max.toExponential()}): ${primes.length} primes, largest ${primes[primes.length - 1]}, ${ms.toFixed(0)} ms`,
    )
  }
  const started = performance.now()
  const count = await corepool.countPrimes(1e10)
  console.log(`countPrimes(1e10): ${count} primes, ${(performance.now() - started).toFixed(0)} ms`)
}

const imagesOk = await demoImages()
await demoPrimes()
process.exitCode = imagesOk ? 0 : 1
