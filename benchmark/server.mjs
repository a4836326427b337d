// Express server benchmark: does image work starve libuv and the event loop?
//
//   node benchmark/server.mjs [--duration 12] [--idle 3] [--connections 8] [--batches 8]
//                             [--contenders corepool,corepool-libuv,sharp] [--max-requests 5000]
//
// One Express 5 app (createApp below) serves POST /resize (upload -> resized bytes),
// POST /batch (processImages over server-side fixtures), GET /primes and GET /health.
// Each contender's server runs in its own child process on 127.0.0.1 (own event loop,
// own libuv threadpool at the default UV_THREADPOOL_SIZE=4), one contender after the other:
//   corepool        COREPOOL_DISPATCH unset: work starts on corepool's rayon pool and the
//                   promise settles through a threadsafe deferred (no libuv thread held)
//   corepool-libuv  COREPOOL_DISPATCH=libuv: each call is an AsyncTask whose libuv worker
//                   blocks until the work is done (what sharp does)
//   sharp           sharp 0.35 in the same handlers (Promise.all over toFile for /batch)
// Inside each server: perf_hooks.monitorEventLoopDelay (1 ms resolution) and a probe that
// times fs.promises.readFile of a 4 KiB file every ~20 ms, per phase: idle, then under load.
// The driver (this process) uses undici: scenario "upload" keeps N concurrent POST /resize
// uploads of real photos in flight; scenario "batch" keeps N concurrent POST /batch calls
// (each one processImages call, or one Promise.all of sharp pipelines) in flight. Both are
// bounded in time and in request count; GET /health is polled every 50 ms throughout.
// Writes benchmark/results/server.md and benchmark/results/server.json.
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { list, parseCommandLine, positiveInt, positiveNumber } from './lib/args.mjs'
import { readCpuTimes } from './lib/machine.mjs'
import { percentile } from './lib/stats.mjs'

const SELF = fileURLToPath(import.meta.url)
const BENCH_DIR = path.dirname(SELF)
const REPO_ROOT = path.resolve(BENCH_DIR, '..')
const RESULTS_DIR = path.join(BENCH_DIR, 'results')
const PHOTOS = ['hubble_deep_field.jpg', 'retina.jpg', 'rocket.jpg'].map((f) =>
  path.join(REPO_ROOT, '__test__', 'fixtures', 'photos', f),
)
const WALLPAPER_DIR = path.join(BENCH_DIR, '.cache', 'ukui-wallpapers', 'usr', 'share', 'backgrounds')
const WALLPAPERS = ['2004default.jpg', 'the-mouse.jpg'].map((f) => path.join(WALLPAPER_DIR, f)) // 3840x2400 JPEGs, from lib/corpus.mjs's package

const CONTENDERS = {
  corepool: { label: 'corepool (rayon dispatch)', engine: 'corepool', env: { COREPOOL_DISPATCH: undefined } },
  'corepool-libuv': {
    label: 'corepool (COREPOOL_DISPATCH=libuv)',
    engine: 'corepool',
    env: { COREPOOL_DISPATCH: 'libuv' },
  },
  sharp: { label: 'sharp', engine: 'sharp', env: {} },
}

const FLOORS = { eldP99Ms: 10, healthP99Ms: 20, readFileP50Ratio: 2 }
const RESIZE_QUERY = { width: 800, format: 'jpeg' }
/** Sequential small uploads per fairness phase (idle, and while batches run). */
const FAIRNESS_UPLOADS = 6

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

/** Count, nearest-rank p50 and p99, and maximum of a list of timings (nulls when empty). */
function summary(values) {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : null,
  }
}

// ---------------------------------------------------------------------------
// The app (engine = how /resize and /batch do their image work)
// ---------------------------------------------------------------------------

/** Image options from the query string: width, height, fit, format (only those given). */
function optionsFromQuery(q) {
  const o = {}
  for (const k of ['width', 'height']) {
    if (q[k] === undefined) continue
    const n = Number(q[k])
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw httpError(400, 'ERR_INVALID_OPTION', `${k} must be an integer in 1..65535`)
    o[k] = n
  }
  if (typeof q.fit === 'string') o.fit = q.fit
  if (typeof q.format === 'string') o.format = q.format
  return o
}

function httpError(status, code, message) {
  return Object.assign(new Error(message), { status, code })
}

/** corepool engine: processImage for uploads, one processImages call per batch. */
export async function corepoolEngine() {
  const corepool = (await import(pathToFileURL(path.join(REPO_ROOT, 'index.js')).href)).default
  return {
    name: 'corepool',
    corepool,
    info: { threads: corepool.getConcurrency(), dispatch: process.env.COREPOOL_DISPATCH ?? '(unset: rayon)' },
    async resize(body, o) {
      const { data, info } = await corepool.processImage(body, o)
      return { data, format: info.format }
    },
    async batch(paths, o, outputDir) {
      const results = await corepool.processImages(paths, { ...o, outputDir, overwrite: true })
      return { ok: results.filter((r) => r.success).length, failed: results.filter((r) => !r.success).length }
    },
  }
}

/** sharp engine: the same handlers with sharp pipelines (autoOrient, as corepool does by default). */
export async function sharpEngine() {
  const sharp = (await import('sharp')).default
  // No libvips operation cache: /batch re-reads the same files, which the cache would
  // otherwise serve without decoding. Concurrency stays at sharp's default.
  sharp.cache(false)
  const pipeline = (input, o) => {
    let p = sharp(input).autoOrient()
    if (o.width || o.height) p = p.resize({ width: o.width, height: o.height, fit: o.fit ?? 'cover' })
    return o.format ? p.toFormat(o.format) : p
  }
  let corepool = null // /primes only, loaded on first use
  return {
    name: 'sharp',
    get corepool() {
      return corepool
    },
    async loadCorepool() {
      corepool ??= (await import(pathToFileURL(path.join(REPO_ROOT, 'index.js')).href)).default
      return corepool
    },
    info: {
      sharp: sharp.versions.sharp,
      vips: sharp.versions.vips,
      vipsConcurrency: sharp.concurrency(),
      cache: false,
    },
    async resize(body, o) {
      const { data, info } = await pipeline(body, o).toBuffer({ resolveWithObject: true })
      return { data, format: info.format }
    },
    async batch(paths, o, outputDir) {
      const ext = o.format === 'jpeg' ? 'jpg' : o.format
      const settled = await Promise.allSettled(
        paths.map((p) => {
          const base = path.basename(p, path.extname(p))
          return pipeline(p, o).toFile(path.join(outputDir, `processed_${base}.${ext ?? path.extname(p).slice(1)}`))
        }),
      )
      return {
        ok: settled.filter((s) => s.status === 'fulfilled').length,
        failed: settled.filter((s) => s.status === 'rejected').length,
      }
    },
  }
}

/**
 * The Express 5 app. `engine` does the image work; `batchFiles` are the server-side
 * inputs of POST /batch (clients cannot name paths); `slots` are pre-created output
 * folders, one per in-flight batch, so concurrent batches never write the same file.
 */
export async function createApp({ engine, batchFiles, slots }) {
  const express = (await import('express')).default
  const app = express()
  const free = [...slots]

  app.get('/health', (_req, res) => {
    res.json({ ok: true })
  })

  app.post('/resize', express.raw({ type: 'image/*', limit: '25mb' }), async (req, res) => {
    if (!Buffer.isBuffer(req.body) || !req.body.length)
      throw httpError(400, 'ERR_NO_BODY', 'send the image as the raw body with Content-Type image/*')
    const { data, format } = await engine.resize(req.body, optionsFromQuery(req.query))
    res.type(`image/${format}`).send(data)
  })

  app.post('/batch', async (req, res) => {
    const o = optionsFromQuery({ width: '800', format: 'jpeg', ...req.query })
    const slot = free.pop() ?? fs.mkdtempSync(path.join(slots.root, 'extra-'))
    const t0 = performance.now()
    try {
      const r = await engine.batch(batchFiles, o, slot)
      res.json({ images: batchFiles.length, ...r, ms: performance.now() - t0 })
    } finally {
      free.push(slot)
    }
  })

  app.get('/primes', async (req, res) => {
    const max = Number(req.query.max)
    if (!Number.isSafeInteger(max) || max < 0)
      throw httpError(400, 'ERR_INVALID_OPTION', 'max must be a non-negative integer')
    const corepool = engine.corepool ?? (await engine.loadCorepool())
    if (req.query.list === '1') {
      if (max > 2 ** 32) throw httpError(400, 'ERR_INVALID_OPTION', 'max must be <= 2**32 with list=1')
      const primes = await corepool.calculatePrimes(max)
      res.json({
        count: primes.length,
        first: primes.length ? primes[0] : null,
        last: primes.length ? primes[primes.length - 1] : null,
      })
    } else {
      res.json({ count: await corepool.countPrimes(max) })
    }
  })

  app.use((err, _req, res, _next) => {
    const code = err.code ?? 'ERR_INTERNAL'
    const status = err.status ?? err.statusCode ?? (/^ERR_(INPUT|INVALID)/.test(code) ? 400 : 500)
    res.status(status).json({ code, message: String(err.message ?? err) })
  })
  return app
}

// ---------------------------------------------------------------------------
// Server process: the app plus per-phase event-loop and readFile measurements
// ---------------------------------------------------------------------------

async function serve(contenderId) {
  const contender = CONTENDERS[contenderId]
  const engine = contender.engine === 'sharp' ? await sharpEngine() : await corepoolEngine()
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `server-bench-${contenderId}-`))
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true })
  process.on('exit', cleanup)
  process.on('disconnect', () => process.exit(0)) // the driver died or is done

  const probeFile = path.join(tmp, 'probe-4k.bin')
  fs.writeFileSync(probeFile, randomBytes(4096))
  const slots = Array.from({ length: 32 }, (_, i) => {
    const dir = path.join(tmp, `slot-${i}`)
    fs.mkdirSync(dir)
    return dir
  })
  slots.root = tmp
  const batchFiles = JSON.parse(process.env.SERVER_BENCH_BATCH_FILES)

  const app = await createApp({ engine, batchFiles, slots })
  const server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve(s)))
  })

  // Per-phase measurements. The phase is set by the driver over IPC.
  let phase = 'startup'
  const phases = {}
  const phaseData = (name) => (phases[name] ??= { readFileMs: [], eld: null, cpu: null, wallMs: null })
  let eld = null
  let phaseStart = { t: performance.now(), cpu: process.cpuUsage() }
  const closePhase = () => {
    const d = phaseData(phase)
    if (eld) {
      eld.disable()
      d.eld = eld.count
        ? { n: eld.count, p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 }
        : null
    }
    const cpu = process.cpuUsage(phaseStart.cpu)
    d.wallMs = performance.now() - phaseStart.t
    d.cpuMs = (cpu.user + cpu.system) / 1000
  }
  const openPhase = (name) => {
    phase = name
    eld = monitorEventLoopDelay({ resolution: 1 })
    eld.enable()
    phaseStart = { t: performance.now(), cpu: process.cpuUsage() }
  }

  // readFile probe, open loop: a new fs.promises.readFile starts every 20 ms whether or
  // not earlier ones have finished (so a starved threadpool cannot hide behind fewer
  // samples); a sample belongs to the phase in which it started. At most 500 in flight.
  let probing = true
  const pending = new Set()
  const probeOnce = () => {
    if (pending.size >= 500) return
    const started = phase
    const t0 = performance.now()
    const p = fs.promises
      .readFile(probeFile)
      .then(
        () => phaseData(started).readFileMs.push(performance.now() - t0),
        () => (phaseData(started).readFileErrors = (phaseData(started).readFileErrors ?? 0) + 1),
      )
      .finally(() => pending.delete(p))
    pending.add(p)
  }
  const probeTimer = setInterval(() => probing && probeOnce(), 20)
  const settleProbes = async (ms) => {
    const deadline = performance.now() + ms
    while (pending.size && performance.now() < deadline) await sleep(20)
    return pending.size
  }

  process.on('message', async (msg) => {
    if (msg.type === 'phase') {
      closePhase()
      openPhase(msg.name)
      process.send({ type: 'ack', id: msg.id })
    } else if (msg.type === 'report') {
      const unfinished = await settleProbes(10_000)
      closePhase()
      openPhase('after')
      const out = {}
      for (const [name, d] of Object.entries(phases)) {
        out[name] = {
          readFile: { ...summary(d.readFileMs), errors: d.readFileErrors ?? 0 },
          eld: d.eld,
          wallMs: d.wallMs,
          cpuMs: d.cpuMs,
        }
      }
      process.send({ type: 'report', id: msg.id, phases: out, unfinishedProbes: unfinished })
    } else if (msg.type === 'shutdown') {
      probing = false
      clearInterval(probeTimer)
      eld?.disable()
      server.closeAllConnections?.()
      server.close()
      await settleProbes(2000)
      process.exit(0)
    }
  })
  openPhase('startup')
  process.send({
    type: 'ready',
    port: server.address().port,
    info: engine.info,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '(unset: 4)',
  })
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------

function loadavg() {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').trim()
  } catch {
    return os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** A child server plus a tiny request/response protocol over IPC. */
async function startServer(id, batchFiles) {
  const env = { ...process.env, SERVER_BENCH_BATCH_FILES: JSON.stringify(batchFiles) }
  delete env.UV_THREADPOOL_SIZE // the default (4) is the point of the scenario
  delete env.COREPOOL_THREADS
  for (const [k, v] of Object.entries(CONTENDERS[id].env)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  const child = fork(SELF, ['--serve', id], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let seq = 0
  const waiting = new Map()
  let ready
  const readyP = new Promise((resolve, reject) => {
    ready = resolve
    child.once('exit', (code) => reject(new Error(`server ${id} exited early (code ${code})`)))
    setTimeout(() => reject(new Error(`server ${id} did not start in 30 s`)), 30_000).unref()
  })
  child.on('message', (msg) => {
    if (msg.type === 'ready') ready(msg)
    else waiting.get(msg.id)?.(msg)
  })
  const call = (msg, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const mid = ++seq
      const timer = setTimeout(() => reject(new Error(`server ${id}: no answer to ${msg.type}`)), timeoutMs)
      waiting.set(mid, (m) => {
        clearTimeout(timer)
        waiting.delete(mid)
        resolve(m)
      })
      child.send({ ...msg, id: mid })
    })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    try {
      child.send({ type: 'shutdown' })
    } catch {}
    const t = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(t)
  }
  const r = await readyP
  return {
    child,
    port: r.port,
    info: r.info,
    uvThreadpoolSize: r.uvThreadpoolSize,
    phase: (name) => call({ type: 'phase', name }),
    report: () => call({ type: 'report' }),
    stop,
  }
}

/** Poll GET /health every `everyMs` on its own connection until stop(); latencies in ms. */
function pollHealth(Client, origin, everyMs = 50) {
  const client = new Client(origin, { pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 })
  const samples = [] // { phase, ms }
  let phase = 'startup'
  let running = true
  const loop = (async () => {
    while (running) {
      const p = phase
      const t0 = performance.now()
      try {
        const { statusCode, body } = await client.request({ method: 'GET', path: '/health' })
        await body.text()
        samples.push({ phase: p, ms: performance.now() - t0, ok: statusCode === 200 })
      } catch {
        samples.push({ phase: p, ms: performance.now() - t0, ok: false })
      }
      const wait = everyMs - (performance.now() - t0)
      if (wait > 0) await sleep(wait)
    }
  })()
  return {
    setPhase: (name) => {
      phase = name
    },
    of: (name) => samples.filter((s) => s.phase === name),
    stop: async () => {
      running = false
      await loop
      await client.close()
    },
  }
}

/**
 * Closed-loop load: `concurrency` workers each send one request at a time until
 * `durationMs` has passed or `maxRequests` were started. The window ends when no new
 * request may start; requests in flight then drain (their latencies are kept).
 */
async function runLoad({ pool, concurrency, durationMs, maxRequests, makeRequest, onWindowEnd }) {
  const latencies = []
  let started = 0
  let errors = 0
  const errorSamples = []
  const t0 = performance.now()
  const deadline = t0 + durationMs
  let windowEnd = null
  let resolveWindow
  const windowClosed = new Promise((r) => {
    resolveWindow = r
  })
  const closeWindow = () => {
    if (windowEnd === null) {
      windowEnd = performance.now()
      resolveWindow()
    }
  }
  const timer = setTimeout(closeWindow, durationMs)
  const worker = async (w) => {
    while (performance.now() < deadline && started < maxRequests) {
      const i = started++
      const req = makeRequest(i, w)
      const s = performance.now()
      try {
        const { statusCode, body } = await pool.request({ ...req, headersTimeout: 120_000, bodyTimeout: 120_000 })
        const buf = Buffer.from(await body.arrayBuffer())
        if (statusCode !== 200 || !buf.length)
          throw new Error(
            `HTTP ${statusCode}: ${buf.toString('utf8', 0, 200)} (request ${i}${req.body ? `, ${req.body.length} bytes up` : ''})`,
          )
        latencies.push(performance.now() - s)
      } catch (err) {
        errors++
        if (errorSamples.length < 3) errorSamples.push(String(err.message ?? err))
      }
    }
    if (started >= maxRequests) closeWindow()
  }
  const all = Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)))
  await windowClosed
  clearTimeout(timer)
  const windowMs = windowEnd - t0
  const doneInWindow = latencies.length
  await onWindowEnd?.()
  await all // drain
  const totalMs = performance.now() - t0
  return {
    started,
    done: latencies.length,
    doneInWindow,
    errors,
    errorSamples,
    windowMs,
    totalMs,
    throughput: latencies.length / (totalMs / 1000),
    latency: summary(latencies),
  }
}

async function runContender(id, opts, Pool, Client, files) {
  const { photos, batchFiles } = files
  const bodies = photos.map((p) => ({ name: path.basename(p), data: fs.readFileSync(p) }))
  const loadBefore = loadavg()
  const server = await startServer(id, batchFiles)
  const origin = `http://127.0.0.1:${server.port}`
  // One connection more than the busiest scenario needs: the fairness probe's upload.
  const pool = new Pool(origin, { connections: Math.max(opts.connections, opts.batches) + 1, pipelining: 1 })
  const health = pollHealth(Client, origin, 50)
  const machine = {}
  const query = new URLSearchParams(Object.entries(RESIZE_QUERY).map(([k, v]) => [k, String(v)])).toString()
  const resizeReq = (i) => {
    const b = bodies[i % bodies.length]
    return { method: 'POST', path: `/resize?${query}`, headers: { 'content-type': 'image/jpeg' }, body: b.data }
  }
  const batchReq = () => ({ method: 'POST', path: `/batch?${query}` })
  const driverCpu = {}
  const phase = async (name) => {
    health.setPhase(name)
    await server.phase(name)
    machine[name] = readCpuTimes()
    driverCpu[name] = { t: performance.now(), cpu: process.cpuUsage() }
  }
  const endPhase = (name) => {
    const a = machine[name]
    const b = readCpuTimes()
    machine[name] = a && b && b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : null
    const d = driverCpu[name]
    const u = process.cpuUsage(d.cpu)
    driverCpu[name] = (u.user + u.system) / 1000 / (performance.now() - d.t) // cores used by this driver process
  }
  const ncpu = os.availableParallelism()
  /** Cores used by the server, this driver and everything else on the machine during a phase. */
  const cpuSplit = (name, ph) => {
    const server = ph.cpuMs / ph.wallMs
    const total = machine[name] === null ? null : machine[name] * ncpu
    return {
      serverCores: server,
      driverCores: driverCpu[name],
      machineCores: total,
      otherCores: total === null ? null : Math.max(0, total - server - driverCpu[name]),
    }
  }
  try {
    // Warm-up (untimed): every upload once, one batch.
    await phase('warmup')
    const warm = await runLoad({
      pool,
      concurrency: 1,
      durationMs: 60_000,
      maxRequests: bodies.length,
      makeRequest: resizeReq,
    })
    const warmBatch = await runLoad({ pool, concurrency: 1, durationMs: 60_000, maxRequests: 1, makeRequest: batchReq })
    if (warm.errors || warmBatch.errors)
      throw new Error(`warm-up failed: ${[...warm.errorSamples, ...warmBatch.errorSamples].join('; ')}`)
    endPhase('warmup')

    await phase('idle')
    await sleep(opts.idleMs)
    endPhase('idle')

    // The measurement window of a scenario ends when no new request may start; the
    // requests still in flight then drain in a separate, unreported phase.
    const windowEnd = (name) => async () => {
      endPhase(name)
      await phase(`drain-${name}`)
    }
    const scenario = async (name, concurrency, makeRequest) => {
      await phase(name)
      const { durationMs, maxRequests } = opts
      return runLoad({ pool, concurrency, durationMs, maxRequests, makeRequest, onWindowEnd: windowEnd(name) })
    }
    const upload = await scenario('upload', opts.connections, resizeReq)
    await sleep(1000) // settle before the next window
    endPhase('drain-upload')

    const batch = await scenario('batch', opts.batches, batchReq)
    endPhase('drain-batch')

    // Fairness: one small upload at a time (the interactive request of a server that also
    // runs batch jobs), first idle, then while `batches` batch requests are in flight.
    // Fair scheduling keeps the second close to the first; a FIFO pool makes each upload
    // wait behind the batches.
    const small = bodies.find((b) => b.name === 'rocket.jpg') ?? bodies[0]
    const smallReq = () => ({
      method: 'POST',
      path: `/resize?${query}`,
      headers: { 'content-type': 'image/jpeg' },
      body: small.data,
    })
    const singles = { pool, concurrency: 1, durationMs: 60_000, maxRequests: FAIRNESS_UPLOADS, makeRequest: smallReq }
    await phase('single-idle')
    const singleIdle = await runLoad(singles)
    endPhase('single-idle')
    await phase('single-during-batch')
    const background = runLoad({
      pool,
      concurrency: opts.batches,
      durationMs: 60_000,
      maxRequests: opts.batches,
      makeRequest: batchReq,
    })
    await sleep(200)
    const singleBusy = await runLoad(singles)
    const backgroundDone = await background
    endPhase('single-during-batch')

    const report = await server.report()
    const loadAfter = loadavg()
    const scen = (name, load) => {
      const ph = report.phases[name]
      const idle = report.phases.idle
      const h = summary(health.of(name).map((s) => s.ms))
      const rf = ph.readFile
      const ratio50 = rf.p50 && idle.readFile.p50 ? rf.p50 / idle.readFile.p50 : null
      const ratio99 = rf.p99 && idle.readFile.p99 ? rf.p99 / idle.readFile.p99 : null
      const checks = {
        eld: ph.eld ? ph.eld.p99 < FLOORS.eldP99Ms : false,
        health: h.p99 !== null && h.p99 < FLOORS.healthP99Ms,
        readFile: ratio50 !== null && ratio50 <= FLOORS.readFileP50Ratio,
      }
      return {
        load,
        eld: ph.eld,
        health: h,
        healthErrors: health.of(name).filter((s) => !s.ok).length,
        readFile: rf,
        readFileRatioP50: ratio50,
        readFileRatioP99: ratio99,
        serverCpuMs: ph.cpuMs,
        serverWallMs: ph.wallMs,
        machineBusy: machine[name],
        cpu: cpuSplit(name, ph),
        checks,
        pass: Object.values(checks).every(Boolean),
      }
    }
    return {
      id,
      label: CONTENDERS[id].label,
      info: server.info,
      unfinishedProbes: report.unfinishedProbes,
      uvThreadpoolSize: server.uvThreadpoolSize,
      loadavgBefore: loadBefore,
      loadavgAfter: loadAfter,
      idle: {
        eld: report.phases.idle.eld,
        readFile: report.phases.idle.readFile,
        health: summary(health.of('idle').map((s) => s.ms)),
        machineBusy: machine.idle,
        cpu: cpuSplit('idle', report.phases.idle),
      },
      upload: scen('upload', upload),
      batch: scen('batch', batch),
      fairness: {
        idle: singleIdle.latency,
        duringBatch: singleBusy.latency,
        errors: singleIdle.errors + singleBusy.errors,
        batchRequests: backgroundDone.done,
        batchLatency: backgroundDone.latency,
      },
    }
  } finally {
    await health.stop().catch(() => {})
    await pool.close().catch(() => {})
    await server.stop()
  }
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

const f = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '—')
const ms = (v) =>
  typeof v === 'number' && Number.isFinite(v) ? (v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(1) : v.toFixed(0)) : '—'
const pf = (b) => (b ? 'PASS' : 'FAIL')
const cores = (c) => (c ? `${f(c.serverCores, 2)} / ${f(c.driverCores, 2)} / ${f(c.otherCores, 2)}` : '—')
const busy = (v) => (typeof v === 'number' ? `${(v * 100).toFixed(0)}%` : '—')

function markdown(run) {
  const L = []
  L.push('# corepool Express server benchmark', '')
  L.push(`Run ${run.date} with \`node benchmark/server.mjs ${run.argv.join(' ')}\`.`.replace(/ `\./, '`.'), '')
  L.push(`- CPUs: ${run.machine.cpus} x ${run.machine.cpuModel}; Node.js ${run.machine.node}; ${run.machine.os}`)
  L.push(
    `- UV_THREADPOOL_SIZE: ${run.results[0]?.uvThreadpoolSize ?? '(unset: 4)'} in every server; corepool threads: ${run.results.find((r) => r.info?.threads)?.info.threads ?? '—'}; sharp: ${run.results.find((r) => r.info?.sharp) ? `${run.results.find((r) => r.info?.sharp).info.sharp} (libvips ${run.results.find((r) => r.info?.sharp).info.vips}, sharp.concurrency() = ${run.results.find((r) => r.info?.sharp).info.vipsConcurrency}, cache off)` : '—'}`,
  )
  L.push(`- Load average (/proc/loadavg) at start: \`${run.loadavgStart}\`, at end: \`${run.loadavgEnd}\``)
  L.push(`- Background CPU use of the machine in the 1 s before the run (other processes): ${busy(run.backgroundBusy)}`)
  L.push(
    `- Upload scenario: ${run.opts.connections} concurrent POST /resize?width=${RESIZE_QUERY.width}&format=${RESIZE_QUERY.format} (closed loop) of ${run.files.photos.map((p) => path.basename(p)).join(', ')}, ${run.opts.durationMs / 1000} s or ${run.opts.maxRequests} requests.`,
  )
  L.push(
    `- Batch scenario: ${run.opts.batches} concurrent POST /batch (closed loop), each one processImages call (sharp: one Promise.all of toFile) over ${run.files.batchFiles.length} server-side files (${run.files.batchFiles.map((p) => path.basename(p)).join(', ')}) to width ${RESIZE_QUERY.width} JPEG, ${run.opts.durationMs / 1000} s or ${run.opts.maxRequests} requests.`,
  )
  L.push(`- Idle baseline: ${run.opts.idleMs / 1000} s with no load, in the same server process, after a warm-up.`, '')

  for (const [key, title] of [
    ['upload', `Upload: ${run.opts.connections} concurrent POST /resize`],
    ['batch', `Batch: ${run.opts.batches} concurrent processImages (POST /batch) in flight`],
  ]) {
    L.push(`## ${title}`, '')
    L.push(
      '| Contender | Requests done | Throughput (req/s) | Request p50 / p99 (ms) | /health p50 / p99 (ms) | Event-loop delay p50 / p99 / max (ms) | readFile idle p50 / p99 (ms) | readFile loaded p50 / p99 (ms) | readFile loaded/idle p50 / p99 | CPU cores: server / driver / others | EL p99 < 10 ms | /health p99 < 20 ms | readFile p50 <= 2x idle |',
    )
    L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |')
    for (const r of run.results) {
      if (r.error) {
        L.push(`| ${r.label} | error: ${String(r.error).split('\n')[0].replace(/\|/g, '/')} | | | | | | | | | | | |`)
        continue
      }
      const s = r[key]
      const errs = s.load.errors ? ` (${s.load.errors} failed)` : ''
      L.push(
        `| ${r.label} | ${s.load.done}${errs} | ${f(s.load.throughput, 1)} | ${ms(s.load.latency.p50)} / ${ms(s.load.latency.p99)} ` +
          `| ${ms(s.health.p50)} / ${ms(s.health.p99)} (n=${s.health.n}) | ${ms(s.eld?.p50)} / ${ms(s.eld?.p99)} / ${ms(s.eld?.max)} ` +
          `| ${ms(r.idle.readFile.p50)} / ${ms(r.idle.readFile.p99)} (n=${r.idle.readFile.n}) | ${ms(s.readFile.p50)} / ${ms(s.readFile.p99)} (n=${s.readFile.n}, max ${ms(s.readFile.max)}) ` +
          `| ${f(s.readFileRatioP50, 1)}x / ${f(s.readFileRatioP99, 1)}x | ${cores(s.cpu)} | ${pf(s.checks.eld)} | ${pf(s.checks.health)} | ${pf(s.checks.readFile)} |`,
      )
    }
    L.push('')
  }
  L.push(`## Fairness: one small upload at a time, idle and while ${run.opts.batches} batches run`, '')
  L.push(
    `${FAIRNESS_UPLOADS} sequential POST /resize of rocket.jpg (to width ${RESIZE_QUERY.width}), first with nothing else running, then starting 0.2 s after ${run.opts.batches} concurrent POST /batch requests.`,
    '',
  )
  L.push(
    '| Contender | Upload idle p50 / max (ms) | Upload during batches p50 / max (ms) | during ÷ idle (p50) | Batch requests p50 (ms) |',
  )
  L.push('| --- | ---: | ---: | ---: | ---: |')
  for (const r of run.results.filter((x) => !x.error && x.fairness)) {
    const { idle, duringBatch, batchLatency } = r.fairness
    L.push(
      `| ${r.label} | ${ms(idle.p50)} / ${ms(idle.max)} | ${ms(duringBatch.p50)} / ${ms(duringBatch.max)} | ${f(duringBatch.p50 / idle.p50, 1)}x | ${ms(batchLatency.p50)} |`,
    )
  }
  L.push('')
  L.push('## Idle baseline (per server, before the load)', '')
  L.push(
    '| Contender | Event-loop delay p50 / p99 / max (ms) | readFile p50 / p99 / max (ms) | /health p50 / p99 (ms) | CPU cores: server / driver / others | loadavg before / after |',
  )
  L.push('| --- | ---: | ---: | ---: | ---: | --- |')
  for (const r of run.results.filter((x) => !x.error)) {
    L.push(
      `| ${r.label} | ${ms(r.idle.eld?.p50)} / ${ms(r.idle.eld?.p99)} / ${ms(r.idle.eld?.max)} | ${ms(r.idle.readFile.p50)} / ${ms(r.idle.readFile.p99)} / ${ms(r.idle.readFile.max)} | ${ms(r.idle.health.p50)} / ${ms(r.idle.health.p99)} | ${cores(r.idle.cpu)} | \`${r.loadavgBefore.split(' ').slice(0, 3).join(' ')}\` / \`${r.loadavgAfter.split(' ').slice(0, 3).join(' ')}\` |`,
    )
  }
  L.push('', 'Notes:', '')
  L.push(
    "- Floors: event-loop delay p99 < 10 ms; /health p99 < 20 ms; readFile p50 under load <= 2x the same server's idle p50 (p99 and its ratio are reported, not gated).",
  )
  L.push(
    '- Event-loop delay is `perf_hooks.monitorEventLoopDelay({ resolution: 1 })` as Node reports it: each sample is the whole interval between',
  )
  L.push('  timer ticks, so an idle loop reads about 1.1 ms (the 1 ms resolution included).')
  L.push(
    '- readFile: `fs.promises.readFile` of a 4 KiB file in os.tmpdir(), started every 20 ms in the server whether or not the',
  )
  L.push(
    '  previous ones finished (open loop; open + fstat + read + close, each a libuv threadpool job). A sample belongs to the',
  )
  L.push('  phase (window) in which it started, even if it finished later.')
  L.push(
    '- /health is polled every 50 ms on its own keep-alive connection, one request at a time (a slow answer delays the next poll,',
  )
  L.push('  so n drops when /health is slow).')
  L.push(
    '- A window ends at the time bound; requests still in flight then drain outside it. Request latency, requests done and',
  )
  L.push('  throughput count every response, drained ones included (throughput = responses / time until the last one).')
  for (const r of run.results.filter((x) => !x.error)) {
    for (const key of ['upload', 'batch']) {
      if (r[key].load.errors)
        L.push(
          `- ${r.label}, ${key}: ${r[key].load.errors} request(s) failed, e.g. ${r[key].load.errorSamples.join('; ')}`,
        )
    }
  }
  L.push(
    '- CPU cores: average cores used during the window by the server process, by this load driver (undici, /health poller),',
  )
  L.push(
    `  and by every other process (machine busy time from /proc/stat minus the two). The machine has ${run.machine.cpus}; "others" is noise.`,
  )
  L.push(
    `- Only ${run.machine.cpus} CPU(s): the image work saturates them in every contender, so some event-loop and /health delay`,
  )
  L.push(
    '  is plain CPU contention (the scheduler), not a blocked loop. The readFile ratio isolates libuv threadpool starvation:',
  )
  L.push(
    '  in rayon dispatch no libuv thread is held by image work; in libuv dispatch and sharp each running call holds one of the 4.',
  )
  L.push(
    '- Other processes may share this machine (see load average and background CPU above); numbers are from one run.',
  )
  return L.join('\n') + '\n'
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

const USAGE = `Usage: node benchmark/server.mjs [options]

  --duration S        seconds of each loaded scenario (upload, batch), at most 60 (default 12)
  --idle S            seconds of the idle baseline, at most 30 (default 3)
  --connections N     concurrent POST /resize uploads in flight (default 8)
  --batches N         concurrent POST /batch calls in flight (default 8)
  --max-requests N    most requests started per scenario (default 5000)
  --contenders LIST   comma-separated among ${Object.keys(CONTENDERS).join(',')} (default all)
  --no-write          do not write benchmark/results/server.{md,json}
  --help              this text
`

/** The command-line options; `--serve ID` (internal) runs one contender's server. */
function parseOptions() {
  return parseCommandLine({
    usage: USAGE,
    options: {
      serve: { type: 'string' },
      duration: { type: 'string', default: '12' },
      idle: { type: 'string', default: '3' },
      connections: { type: 'string', default: '8' },
      batches: { type: 'string', default: '8' },
      'max-requests': { type: 'string', default: '5000' },
      contenders: { type: 'string', default: Object.keys(CONTENDERS).join(',') },
      'no-write': { type: 'boolean', default: false },
    },
    check: (v) => ({
      serve: v.serve,
      durationMs: Math.min(60, positiveNumber('duration', v.duration)) * 1000,
      idleMs: Math.min(30, positiveNumber('idle', v.idle)) * 1000,
      connections: positiveInt('connections', v.connections),
      batches: positiveInt('batches', v.batches),
      maxRequests: positiveInt('max-requests', v['max-requests']),
      ids: list('contenders', v.contenders, Object.keys(CONTENDERS)),
      write: !v['no-write'],
    }),
  })
}

async function main() {
  const { serve: serveId, ids, write, ...opts } = parseOptions()
  if (serveId) return serve(serveId)

  const wallpapers = WALLPAPERS.filter((p) => fs.existsSync(p))
  const missing = PHOTOS.filter((p) => !fs.existsSync(p))
  if (missing.length) throw new Error(`missing fixtures: ${missing.join(', ')}`)
  if (!wallpapers.length)
    console.warn(
      'note: no ukui-wallpapers JPEGs in benchmark/.cache (run `node benchmark/images.mjs` once to fetch them); using the repo photos only',
    )
  const files = { photos: [...PHOTOS, ...wallpapers], batchFiles: [...PHOTOS, ...wallpapers.slice(0, 1)] }

  const { Pool, Client } = await import('undici')
  const t0 = performance.now()
  const bg0 = readCpuTimes()
  await sleep(1000)
  const bg1 = readCpuTimes()
  const run = {
    date: new Date().toISOString(),
    argv: process.argv.slice(2),
    machine: {
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model?.trim() ?? '?',
      node: process.version,
      os: `${os.type()} ${os.release()} (${os.arch()})`,
    },
    loadavgStart: loadavg(),
    backgroundBusy: bg0 && bg1 ? (bg1.busy - bg0.busy) / (bg1.total - bg0.total) : null,
    opts,
    files,
    floors: FLOORS,
    results: [],
  }
  console.log(
    `server benchmark: ${ids.join(', ')}; ${opts.connections} uploads / ${opts.batches} batches in flight, ${opts.durationMs / 1000} s per scenario; loadavg ${run.loadavgStart}`,
  )

  // Every loop is bounded; this is a last resort (servers exit when the IPC channel closes).
  const watchdog = setTimeout(() => {
    console.error('server benchmark: watchdog (5 min) fired, stopping')
    process.exit(2)
  }, 300_000)
  watchdog.unref()
  for (const id of ids) {
    const t = performance.now()
    process.stdout.write(`  ${id} ... `)
    try {
      run.results.push(await runContender(id, opts, Pool, Client, files))
      const r = run.results.at(-1)
      console.log(
        `${((performance.now() - t) / 1000).toFixed(1)} s (upload ${r.upload.load.done} req, batch ${r.batch.load.done} req; readFile p50 idle ${ms(r.idle.readFile.p50)} / upload ${ms(r.upload.readFile.p50)} / batch ${ms(r.batch.readFile.p50)} ms)`,
      )
    } catch (err) {
      console.log(`error: ${err.message}`)
      run.results.push({ id, label: CONTENDERS[id].label, error: err.message })
    }
  }
  run.loadavgEnd = loadavg()
  run.totalSeconds = (performance.now() - t0) / 1000

  const md = markdown(run)
  console.log(`\n${md}`)
  if (write) {
    fs.mkdirSync(RESULTS_DIR, { recursive: true })
    fs.writeFileSync(path.join(RESULTS_DIR, 'server.md'), md)
    fs.writeFileSync(path.join(RESULTS_DIR, 'server.json'), JSON.stringify(run, null, 2) + '\n')
    console.log(
      `wrote ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'server.md'))} and server.json (${run.totalSeconds.toFixed(0)} s)`,
    )
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
