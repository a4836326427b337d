#!/usr/bin/env node
// Stress and leak check: thousands of calls of every image API on good and bad inputs,
// then concurrent batches, watching resident memory.
//
//   node benchmark/stress.mjs [--warmup 2000] [--calls 2000] [--batches 50] [--out FILE]
//
// 1. Sequential calls, cycling through processImage(Buffer) on good and bad fixtures,
//    processImages of 1-3 files (good and bad mixed) into a temp folder, and
//    metadata(Buffer | path): first a priming pass (every input through every output
//    format and width once, not counted), then `--warmup` calls, then a full GC and the
//    baseline RSS, then `--calls` more calls.
// 2. `--batches` processImages batches started at once, each mixing good and bad files.
// 3. A final GC and RSS. Growth = (final - baseline) / baseline.
//
// Why 2,000 warm-up calls: RSS steps up by ~8 MiB during the first ~1,750 calls and is
// flat after that (a 10,000-call run stays within 71-73 MiB from call 1,750 on). The
// steps are V8 tiering up this script's own functions: under `node --jitless` RSS grows
// by 1.6 % from call 200 to call 2,000. The RSS after 200 calls is reported too.
//
// Every call knows whether its input is good or bad and which code a bad input must
// give. Exit status 1 when a good input fails, a bad input succeeds or fails with
// another code, any call throws something unexpected, or RSS grows by 10% or more. A
// Markdown summary is printed and written to benchmark/results/stress.md.
//
// GC: the script re-runs itself with --expose-gc when started without it.

import { createRequire } from 'node:module'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { nonNegativeInt, parseCommandLine, positiveInt } from './lib/args.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.join(HERE, '..')

// ---------------------------------------------------------------------------------
// Options.
// ---------------------------------------------------------------------------------

const USAGE =
  'Usage: node benchmark/stress.mjs [--warmup 2000] [--calls 2000] [--batches 50] [--out benchmark/results/stress.md]\n'

const opts = parseCommandLine({
  usage: USAGE,
  options: {
    calls: { type: 'string', default: '2000' },
    batches: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '2000' },
    out: { type: 'string', default: path.join(HERE, 'results', 'stress.md') },
  },
  check: (v) => ({
    calls: positiveInt('calls', v.calls),
    batches: nonNegativeInt('batches', v.batches),
    warmup: nonNegativeInt('warmup', v.warmup),
    out: path.resolve(v.out),
    maxGrowth: 10,
  }),
})

// GC between phases needs --expose-gc: re-run with it.
if (typeof globalThis.gc !== 'function' && !process.env.COREPOOL_STRESS_CHILD) {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, COREPOOL_STRESS_CHILD: '1' },
  })
  process.exit(r.status ?? 1)
}

const require = createRequire(import.meta.url)
const { processImage, processImages, metadata, getConcurrency } = require(path.join(ROOT, 'index.js'))

// ---------------------------------------------------------------------------------
// Inputs: good fixtures and bad inputs with the code each must give.
// ---------------------------------------------------------------------------------

const PHOTOS = path.join(ROOT, '__test__', 'fixtures', 'photos')
const BAD = path.join(ROOT, '__test__', 'fixtures', 'bad')
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-stress-'))
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }))

const GOOD = [
  'rocket.jpg',
  'hubble_deep_field.jpg',
  'coffee.png',
  'horse.png',
  'logo.png',
  'no_time_for_that_tiny.gif',
  'camera.png',
  'retina.jpg',
].map((name) => ({
  name,
  path: path.join(PHOTOS, name),
  bytes: fs.readFileSync(path.join(PHOTOS, name)),
  expect: null,
}))

const coffee = fs.readFileSync(path.join(PHOTOS, 'coffee.png'))
const generatedBad = {
  'truncated.png': [coffee.subarray(0, coffee.length >> 1), 'ERR_INPUT_CORRUPT'],
  'header-only.png': [coffee.subarray(0, 33), 'ERR_INPUT_CORRUPT'],
  'random.bin': [Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)), 'ERR_INPUT_UNSUPPORTED'],
}
const BAD_INPUTS = [
  { name: 'empty.jpg', expect: 'ERR_INPUT_UNSUPPORTED' },
  { name: 'not-an-image.png', expect: 'ERR_INPUT_UNSUPPORTED' },
  { name: 'truncated.jpg', expect: 'ERR_INPUT_CORRUPT' },
  { name: 'garbage-after-header.jpg', expect: 'ERR_INPUT_CORRUPT' },
  { name: 'bomb-60000x60000.png', expect: 'ERR_INPUT_TOO_LARGE' },
].map((b) => ({ ...b, path: path.join(BAD, b.name), bytes: fs.readFileSync(path.join(BAD, b.name)) }))
for (const [name, [bytes, expect]] of Object.entries(generatedBad)) {
  const p = path.join(work, name)
  fs.writeFileSync(p, bytes)
  BAD_INPUTS.push({ name, path: p, bytes, expect })
}
const MISSING = {
  name: 'missing.jpg',
  path: path.join(work, 'missing.jpg'),
  bytes: null,
  expect: 'ERR_INPUT_NOT_FOUND',
}

// ---------------------------------------------------------------------------------
// Bookkeeping.
// ---------------------------------------------------------------------------------

const stats = {
  calls: { processImage: 0, processImages: 0, metadata: 0, batchItems: 0 },
  ok: 0,
  expectedFailures: {}, // code -> count
  unexpected: [], // descriptions
}

/** A deterministic pseudo-random sequence, so every run makes the same calls. */
let rngState = 0x9e3779b9
function rand(n) {
  rngState ^= rngState << 13
  rngState ^= rngState >>> 17
  rngState ^= rngState << 5
  return (rngState >>> 0) % n
}
const pick = (list) => list[rand(list.length)]

function unexpected(what) {
  if (stats.unexpected.length < 50) stats.unexpected.push(what)
  else stats.unexpected.length++
}

/** Checks one outcome against the input's expectation. */
function record(input, code, label) {
  if (input.expect === null) {
    if (code === null) stats.ok++
    else unexpected(`${label}: good input ${input.name} failed with ${code}`)
  } else if (code === input.expect) {
    stats.expectedFailures[code] = (stats.expectedFailures[code] ?? 0) + 1
  } else {
    unexpected(`${label}: bad input ${input.name} gave ${code ?? 'success'}, expected ${input.expect}`)
  }
}

const outDir = path.join(work, 'out')
fs.mkdirSync(outDir)
let batchCounter = 0

async function callProcessImage() {
  stats.calls.processImage++
  const input = rand(3) === 0 ? pick(BAD_INPUTS) : pick(GOOD)
  const format = pick([undefined, 'jpeg', 'png', 'webp'])
  try {
    const { data, info } = await processImage(input.bytes, { width: 48 + rand(32), format })
    if (data.length !== info.size || data.length === 0)
      unexpected(`processImage ${input.name}: size ${data.length} vs info ${info.size}`)
    record(input, null, 'processImage')
  } catch (e) {
    if (typeof e?.code !== 'string') unexpected(`processImage ${input.name}: uncoded error ${e}`)
    record(input, e?.code ?? String(e), 'processImage')
  }
}

/**
 * metadata() reads the header only, so an input whose header is intact but whose body is
 * broken may succeed there: for those, success or the input's code are both accepted.
 */
const HEADER_INTACT = new Set([
  'truncated.png',
  'truncated.jpg',
  'garbage-after-header.jpg',
  'bomb-60000x60000.png',
  'header-only.png',
])

async function callMetadata() {
  stats.calls.metadata++
  const input = rand(3) === 0 ? pick(BAD_INPUTS) : pick(GOOD)
  let code = null
  try {
    const info = await metadata(rand(2) ? input.bytes : input.path)
    if (!(info.width > 0 && info.height > 0)) unexpected(`metadata ${input.name}: ${JSON.stringify(info)}`)
  } catch (e) {
    if (typeof e?.code !== 'string') unexpected(`metadata ${input.name}: uncoded error ${e}`)
    code = e?.code ?? String(e)
  }
  if (code === null && HEADER_INTACT.has(input.name)) stats.ok++
  else record(input, code, 'metadata')
}

/** A batch of `n` inputs, each good or bad, into its own output names (suffix). */
async function callProcessImages(n, label = 'processImages') {
  stats.calls.processImages++
  const inputs = []
  for (let i = 0; i < n; i++) {
    const r = rand(10)
    inputs.push(r < 6 ? pick(GOOD) : r < 9 ? pick(BAD_INPUTS) : MISSING)
  }
  // Distinct names per batch: a suffix; the same file twice in one batch collides on
  // its output name, so drop duplicates.
  const unique = [...new Map(inputs.map((x) => [x.path, x])).values()]
  const suffix = `-${++batchCounter}`
  let results
  try {
    results = await processImages(
      unique.map((x) => x.path),
      { outputDir: outDir, suffix, width: 40 + rand(40), format: pick([undefined, 'webp', 'jpeg']) },
    )
  } catch (e) {
    unexpected(`${label}: the batch rejected: ${e?.code} ${e?.message}`)
    return
  }
  stats.calls.batchItems += unique.length
  for (const [i, r] of results.entries()) {
    if (r.originalPath !== unique[i].path) unexpected(`${label}: result ${i} out of order`)
    record(unique[i], r.success ? null : r.error?.code, label)
    if (r.success) fs.rmSync(r.outputPath, { force: true })
  }
}

const rssMiB = () => process.memoryUsage().rss / 1048576
async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.()
    await new Promise((r) => setTimeout(r, 50))
  }
}

// ---------------------------------------------------------------------------------
// Run.
// ---------------------------------------------------------------------------------

/**
 * Warm-up, part 1: every good input through every output format at the largest width
 * used, two calls at a time so that every pool thread grows its scratch buffers
 * (resizer, codecs) and the allocator its arenas once; and every bad input once. Not
 * counted in the statistics.
 */
async function prime() {
  const jobs = []
  for (const input of GOOD) {
    for (const format of [undefined, 'jpeg', 'png', 'webp'])
      jobs.push(() => processImage(input.bytes, { width: 79, format }).catch(() => {}))
    jobs.push(() => metadata(input.path).catch(() => {}))
  }
  for (const input of BAD_INPUTS) jobs.push(() => processImage(input.bytes, { width: 64 }).catch(() => {}))
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < jobs.length; i += 2) await Promise.all(jobs.slice(i, i + 2).map((job) => job()))
  }
  // And batches of every good and bad file at the widths and formats the run uses.
  const all = [...GOOD, ...BAD_INPUTS, MISSING].map((x) => x.path)
  for (const format of [undefined, 'webp', 'jpeg']) {
    for (const width of [40, 60, 79]) {
      const results = await processImages(all, { outputDir: outDir, suffix: '-prime', width, format, overwrite: true })
      for (const r of results) if (r.success) fs.rmSync(r.outputPath, { force: true })
    }
  }
}

const started = performance.now()
const rssStart = rssMiB()
await prime()
const rssPrimed = rssMiB()
let rssBaseline = null
let rss200 = null
const samples = []
const total = opts.warmup + opts.calls

for (let i = 0; i < total; i++) {
  if (i === Math.min(200, opts.warmup)) {
    await settle()
    rss200 = rssMiB()
  }
  if (i === opts.warmup) {
    await settle()
    rssBaseline = rssMiB()
  }
  const k = i % 4
  if (k === 0 || k === 2) await callProcessImage()
  else if (k === 1) await callProcessImages(1 + rand(3))
  else await callMetadata()
  if ((i + 1) % 250 === 0) {
    samples.push([i + 1, rssMiB()])
    const m = process.memoryUsage()
    process.stdout.write(
      `  ${i + 1}/${total} calls, RSS ${rssMiB().toFixed(1)} MiB (JS heap ${(m.heapTotal / 1048576).toFixed(1)}, external ${(m.external / 1048576).toFixed(1)} MiB)\n`,
    )
  }
}
await settle()
const rssAfterSequential = rssMiB()
const sequentialSeconds = (performance.now() - started) / 1000

const concurrentStarted = performance.now()
await Promise.all(
  Array.from({ length: opts.batches }, () => callProcessImages(2 + rand(5), 'concurrent processImages')),
)
const concurrentSeconds = (performance.now() - concurrentStarted) / 1000
await settle()
const rssEnd = rssMiB()
const growth = ((rssEnd - rssBaseline) / rssBaseline) * 100
const growthSince200 = ((rssEnd - rss200) / rss200) * 100
const leftovers = fs.readdirSync(outDir)
if (leftovers.length)
  unexpected(`output folder not clean: ${leftovers.slice(0, 5).join(', ')}${leftovers.length > 5 ? ', ...' : ''}`)

// ---------------------------------------------------------------------------------
// Report.
// ---------------------------------------------------------------------------------

const fmt = (n) => n.toFixed(1)
const failures = Object.entries(stats.expectedFailures).sort()
const pass = stats.unexpected.length === 0 && growth < opts.maxGrowth
const md = `# corepool stress run

Run ${new Date().toISOString()} with \`node benchmark/stress.mjs --warmup ${opts.warmup} --calls ${opts.calls} --batches ${opts.batches}\`
on ${os.cpus().length} x ${os.cpus()[0]?.model.trim() ?? 'CPU'}, Node.js ${process.version}, pool of ${getConcurrency()} threads.

| Measure | Value |
| --- | ---: |
| Sequential calls (warm-up + measured) | ${opts.warmup} + ${opts.calls} |
| processImage / processImages / metadata calls | ${stats.calls.processImage} / ${stats.calls.processImages} / ${stats.calls.metadata} |
| Concurrent processImages batches | ${opts.batches} |
| Images in processImages batches | ${stats.calls.batchItems} |
| Successful calls and batch items | ${stats.ok} |
| Sequential part | ${fmt(sequentialSeconds)} s |
| Concurrent part | ${fmt(concurrentSeconds)} s |
| RSS at start | ${fmt(rssStart)} MiB |
| RSS after priming (every input x format once, 2 at a time) | ${fmt(rssPrimed)} MiB |
| RSS after 200 calls + GC | ${fmt(rss200)} MiB |
| RSS after ${opts.warmup} warm-up calls + GC (baseline) | ${fmt(rssBaseline)} MiB |
| RSS after the sequential calls + GC | ${fmt(rssAfterSequential)} MiB |
| RSS at the end + GC | ${fmt(rssEnd)} MiB |
| RSS growth from the baseline | ${fmt(growth)} % (limit < ${opts.maxGrowth} %) |
| RSS growth from call 200 (JIT warm-up included, for information) | ${fmt(growthSince200)} % |
| Unexpected outcomes | ${stats.unexpected.length} |
| Result | ${pass ? 'PASS' : 'FAIL'} |

Expected failures (bad inputs only), by code:

| Code | Count |
| --- | ---: |
${failures.map(([code, n]) => `| ${code} | ${n} |`).join('\n') || '| (none) | 0 |'}

RSS during the sequential calls: ${samples.map(([n, r]) => `${n}: ${fmt(r)}`).join(', ')} (MiB).
${
  stats.unexpected.length
    ? `\nUnexpected outcomes (first ${Math.min(50, stats.unexpected.length)}):\n\n${stats.unexpected
        .filter(Boolean)
        .map((u) => `- ${u}`)
        .join('\n')}\n`
    : ''
}`

console.log('\n' + md)
fs.mkdirSync(path.dirname(opts.out), { recursive: true })
fs.writeFileSync(opts.out, md)
console.log(`written to ${path.relative(process.cwd(), opts.out) || opts.out}`)
process.exitCode = pass ? 0 : 1
