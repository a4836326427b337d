// Queue benchmark: what does BullMQ on Redis cost, against the same batch in-process?
//
//   node benchmark/queue.mjs [--images 144] [--per-job 8] [--workers 1,2,4] [--runs 5]
//                            [--width 800] [--format jpeg]
//
// A redis-server on a free loopback port (persistence off) and `corepool worker`
// processes (the CLI, each with a pool of one thread per core), started and stopped
// here. The workload: `--images` copies of three photos under distinct names, resized
// to `--width` and written as `--format`, cut into jobs of `--per-job` images.
//   in-process   one processImages call over every image, in a fresh Node process
//   N workers    N worker processes on this machine; the clock runs from addBulk of
//                every job to the last job completed (a fresh queue and fresh output
//                folders per run)
// Each configuration runs `--runs` times; the median is reported. From the in-process
// rate per core, the number of machines a million images a day needs (average rate and
// three times that at peak) for a few machine sizes, assuming that throughput scales
// with cores (it does on the pool, see benchmark/results/images.md).
// Writes benchmark/results/queue.md and benchmark/results/queue.json.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parseCommandLine, positiveInt, list } from './lib/args.mjs'
import { startRedis, startWorker, stopAll, waitFor } from '../__test__/queue-helpers.mjs'

const SELF = fileURLToPath(import.meta.url)
const REPO_ROOT = path.resolve(path.dirname(SELF), '..')
const RESULTS_DIR = path.join(REPO_ROOT, 'benchmark', 'results')
const require = createRequire(import.meta.url)
const execFileAsync = promisify(execFile)
const corepool = require('../index.js')
const PHOTOS = ['hubble_deep_field.jpg', 'retina.jpg', 'rocket.jpg'].map((f) =>
  path.join(REPO_ROOT, '__test__', 'fixtures', 'photos', f),
)

const usage = `usage: node benchmark/queue.mjs [--images 144] [--per-job 8] [--workers 1,2,4] [--runs 5]
                                [--width 800] [--format jpeg]
`
const opts = parseCommandLine({
  usage,
  options: {
    images: { type: 'string', default: '144' },
    'per-job': { type: 'string', default: '8' },
    workers: { type: 'string', default: '1,2,4' },
    runs: { type: 'string', default: '5' },
    width: { type: 'string', default: '800' },
    format: { type: 'string', default: 'jpeg' },
  },
  check: (v) => ({
    images: positiveInt('images', v.images),
    perJob: positiveInt('per-job', v['per-job']),
    workers: list('workers', v.workers, ['1', '2', '3', '4', '6', '8']).map(Number),
    runs: positiveInt('runs', v.runs),
    width: positiveInt('width', v.width),
    format: list('format', v.format, ['jpeg', 'png', 'webp', 'avif'])[0],
  }),
})

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-bench-queue-'))
const cleanup = async () => {
  await stopAll()
  fs.rmSync(work, { recursive: true, force: true })
}
process.on('SIGINT', () => cleanup().then(() => process.exit(130)))

try {
  const inputs = Array.from({ length: opts.images }, (_, i) => {
    const src = PHOTOS[i % PHOTOS.length]
    const p = path.join(work, 'in', `img-${String(i).padStart(4, '0')}${path.extname(src)}`)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.copyFileSync(src, p)
    return p
  })
  const options = (out) => ({ width: opts.width, format: opts.format, outputDir: out })
  let runId = 0
  const freshOut = () => {
    const out = path.join(work, `out-${runId++}`)
    fs.mkdirSync(out, { recursive: true })
    return out
  }

  // Every group of workers is started once, on its own queue (idle workers only wait on
  // Redis); then each round runs the in-process batch and each group in turn, so that
  // the load other work puts on this machine spreads over all configurations alike.
  const redis = await startRedis()
  const { Queue } = require('bullmq')
  const groups = []
  for (const n of opts.workers) {
    const name = `bench-${n}`
    const workers = []
    for (let i = 0; i < n; i++) workers.push(await startWorker({ redis: redis.url, queue: name }))
    groups.push({ n, workers, queue: new Queue(name, { connection: { url: redis.url, maxRetriesPerRequest: null } }) })
  }

  /** images/s of the whole workload through `queue`: addBulk to the last completion. */
  async function viaQueueOnce(queue) {
    await queue.obliterate({ force: true })
    const out = freshOut()
    const jobs = []
    for (let i = 0; i < inputs.length; i += opts.perJob) {
      jobs.push({ name: 'bench', data: { paths: inputs.slice(i, i + opts.perJob), options: options(out) } })
    }
    const started = performance.now()
    await queue.addBulk(jobs)
    await waitFor(
      'every job',
      async () => {
        const c = await queue.getJobCounts('completed', 'failed')
        if (c.failed > 0) throw new Error(`${c.failed} jobs failed`)
        return c.completed === jobs.length
      },
      { timeout: 600_000, every: 5 },
    )
    const ms = performance.now() - started
    const written = fs.readdirSync(out).length
    if (written !== inputs.length) throw new Error(`${written} outputs for ${inputs.length} images`)
    return opts.images / (ms / 1000)
  }

  /**
   * images/s of one processImages call over the whole workload, in a fresh Node process
   * (like each worker: its own pool, nothing else in it), after a warm-up call there.
   */
  async function inProcessOnce() {
    const script = `const corepool = require(${JSON.stringify(path.join(REPO_ROOT, 'index.js'))})
const [inputs, warm, out] = JSON.parse(process.argv[1])
const options = (o) => ({ width: ${opts.width}, format: '${opts.format}', outputDir: o })
;(async () => {
  await corepool.processImages(inputs.slice(0, 6), options(warm))
  const started = performance.now()
  const results = await corepool.processImages(inputs, options(out))
  const ms = performance.now() - started
  if (results.some((r) => !r.success)) throw new Error(JSON.stringify(results.find((r) => !r.success)))
  process.stdout.write(String(ms))
})()`
    const { stdout } = await execFileAsync(
      process.execPath,
      ['-e', script, JSON.stringify([inputs, freshOut(), freshOut()])],
      {
        maxBuffer: 1 << 24,
      },
    )
    return opts.images / (Number(stdout) / 1000)
  }

  // Warm-up: page cache, pool threads, each group once.
  await corepool.processImages(inputs.slice(0, 6), options(freshOut()))
  for (const g of groups) await viaQueueOnce(g.queue)

  const inProcess = []
  const viaQueue = Object.fromEntries(opts.workers.map((n) => [n, []]))
  // The order rotates from round to round, so that no configuration always runs first
  // (after an idle moment) or right after the heaviest one.
  const configs = [
    { label: 'in-process', run: inProcessOnce, into: inProcess },
    ...groups.map((g) => ({ label: `${g.n} worker(s)`, run: () => viaQueueOnce(g.queue), into: viaQueue[g.n] })),
  ]
  for (let r = 0; r < opts.runs; r++) {
    const line = []
    for (let k = 0; k < configs.length; k++) {
      const c = configs[(r + k) % configs.length]
      c.into.push(await c.run())
      line.push(`${c.label} ${c.into.at(-1).toFixed(1)}`)
    }
    process.stderr.write(`run ${r + 1}: ${line.join(', ')} images/s\n`)
  }
  for (const g of groups) {
    await g.queue.close()
    for (const w of g.workers) w.child.kill('SIGTERM')
    for (const w of g.workers) await w.exited
  }
  await redis.stop()

  const cores = os.availableParallelism()
  const base = median(inProcess)
  const perCore = base / cores
  // The scheme is one worker per machine, using every core: its rate is the one to plan with.
  const planned = opts.workers.includes(1) ? 1 : opts.workers[0]
  const perCoreQueue = median(viaQueue[planned]) / cores
  const perDay = 1e6 / 86_400
  const sizes = [2, 8, 16, 32]
  const machines = (rate, c, peak) => ((perDay * peak) / (rate * c)).toFixed(2)
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'

  const lines = [
    '# Queue benchmark (BullMQ on Redis)',
    '',
    `Command: \`npm run bench:queue -- --images ${opts.images} --per-job ${opts.perJob} --workers ${opts.workers.join(',')} --runs ${opts.runs} --width ${opts.width} --format ${opts.format}\``,
    '',
    `Machine: ${cores} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
      `redis-server on 127.0.0.1. A shared VM, busy with other work: the figures are noisy.`,
    '',
    `Workload: ${opts.images} images (three JPEG photos in turn: 1000x872, 1411x1411 and 640x427, ` +
      `0.1 to 0.5 MiB) resized to width ` +
      `${opts.width} as ${opts.format}, in jobs of ${opts.perJob}. Median of ${opts.runs} interleaved runs (in-process and each worker count in turn, in an order that rotates, after a warm-up run of each).`,
    '',
    '| configuration | images/s | vs in-process |',
    '| --- | ---: | ---: |',
    `| in-process \`processImages\` | ${base.toFixed(1)} | 1.00 |`,
    ...opts.workers.map((n) => {
      const m = median(viaQueue[n])
      return `| ${n} worker process${n > 1 ? 'es' : ''} via the queue | ${m.toFixed(1)} | ${(m / base).toFixed(2)} |`
    }),
    '',
    `Per core: ${perCore.toFixed(1)} images/s in-process, ${perCoreQueue.toFixed(1)} images/s through the queue ` +
      `(${planned} worker per machine). A million images a day is ${perDay.toFixed(1)} images/s on average. ` +
      'Machines per million images a day, from the per-core rate through the queue, assuming ' +
      'that it scales with cores (round up, and add one for redundancy):',
    '',
    '| machine | images/day per machine | machines per 1M images/day (average) | at 3x the average |',
    '| --- | ---: | ---: | ---: |',
    ...sizes.map(
      (c) =>
        `| ${c} cores | ${((perCoreQueue * c * 86_400) / 1e6).toFixed(1)} M | ${machines(perCoreQueue, c, 1)} | ` +
        `${machines(perCoreQueue, c, 3)} |`,
    ),
    '',
  ]
  const md = lines.join('\n')
  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  fs.writeFileSync(path.join(RESULTS_DIR, 'queue.md'), md)
  fs.writeFileSync(
    path.join(RESULTS_DIR, 'queue.json'),
    JSON.stringify(
      { opts, cores, cpu, inProcess, viaQueue, perCore, perCoreQueue, date: new Date().toISOString() },
      null,
      2,
    ) + '\n',
  )
  process.stdout.write(md)
} finally {
  await cleanup()
}
