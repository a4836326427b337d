'use strict'

// corepool on a job queue (BullMQ on Redis): the job processor that `corepool worker`
// runs, exported as createQueueProcessor for users with their own BullMQ setup, and the
// worker itself (startQueueWorker, used by the CLI).
//
// bullmq and ioredis are optional peer dependencies: this file loads them only when a
// worker starts (or, for UnrecoverableError, when a processor is created), never when
// corepool itself is loaded.
//
// A job is `{ paths: string[], options?: ProcessOptions }`; its return value is the
// ImageResult[] of processImages. Paths name files that every worker can see (a shared
// volume, mounted at the same path on every machine).
//
// Crash recovery. A worker that dies mid-job (SIGKILL, OOM, a machine lost) stops
// renewing the job's lock; another worker's stalled check moves the job back to
// "wait" and it runs again. Outputs are written atomically (an unnamed temporary file
// linked under its final name), so the dead worker left only complete outputs and no
// temporary files. The re-run must not report those outputs as ERR_OUTPUT_EXISTS:
// - on a re-run (the job was started before: attemptsStarted > 1, or it stalled, or an
//   attempt failed), an ERR_OUTPUT_EXISTS result whose file was modified after the job
//   was created (job.timestamp, less CLOCK_SLACK_MS for clocks that differ between
//   machines) is taken to come from an earlier attempt of this job, and that input is
//   processed again with overwrite: true. Same input, same options: the same output,
//   replaced atomically. Its result is then a normal success;
// - a file that existed before the job was created stays ERR_OUTPUT_EXISTS, as on the
//   first attempt: an input that failed fails again with the same code;
// - only the first input of the job that maps to an output path may reclaim it (two
//   inputs of one job that collide keep failing the way they did).
// With overwrite: true in the job's options none of this is needed.

const fs = require('node:fs')
const os = require('node:os')

/** How far the clock of the machine that wrote a file may be behind the producer's. */
const CLOCK_SLACK_MS = 60_000

/** The install hint for a missing bullmq or ioredis. */
const INSTALL_HINT = 'npm install bullmq ioredis'

/** Thrown when bullmq or ioredis cannot be loaded. */
class QueueDependencyError extends Error {
  constructor(name, cause) {
    super(`corepool worker needs the optional packages bullmq and ioredis ('${name}' is not installed)`, { cause })
    this.code = 'ERR_QUEUE_DEPENDENCY'
    this.hint = `install them next to corepool: ${INSTALL_HINT}`
  }
}

/** Loads an optional peer dependency, or throws QueueDependencyError. */
function loadOptional(name) {
  try {
    return require(name)
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${name}'`)) {
      throw new QueueDependencyError(name, err)
    }
    throw err
  }
}

/**
 * BullMQ's UnrecoverableError when bullmq is installed; otherwise an Error with the same
 * name (BullMQ also recognises it by name).
 */
function unrecoverableClass() {
  try {
    return loadOptional('bullmq').UnrecoverableError
  } catch {
    return class UnrecoverableError extends Error {
      constructor(message) {
        super(message)
        this.name = 'UnrecoverableError'
      }
    }
  }
}

const isPlainObject = (v) =>
  v !== null && typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v))

/** Whether this run of `job` is not its first start. */
const isRerun = (job) => (job.attemptsStarted ?? 0) > 1 || (job.stalledCounter ?? 0) > 0 || (job.attemptsMade ?? 0) > 0

/**
 * Sends `{ done, total, failed }` to job.updateProgress, one call in flight at a time:
 * a report that arrives while one is being sent replaces any report still waiting, and
 * a report equal to the previous one is dropped.
 * `flush()` resolves when the last one has been sent; errors (Redis gone) are kept
 * for flush, the job itself goes on.
 */
function progressReporter(job) {
  let sending = null
  let pending = null
  let failure = null
  const pump = () => {
    if (sending || !pending) return
    const next = pending
    pending = null
    sending = Promise.resolve()
      .then(() => job.updateProgress(next))
      .catch((err) => {
        failure = err
      })
      .finally(() => {
        sending = null
        pump()
      })
  }
  let last = ''
  return {
    report(progress) {
      // The final report repeats processImages' last one: sent once.
      const key = `${progress.done}/${progress.total}/${progress.failed}`
      if (key === last) return
      last = key
      pending = progress
      pump()
    },
    async flush() {
      while (sending) await sending
      if (failure) throw failure
    },
  }
}

/**
 * Of the results that failed with ERR_OUTPUT_EXISTS, the indexes whose output file was
 * written by an earlier attempt of `job` (see the module comment).
 */
function reclaimable(job, results) {
  const firstFor = new Map()
  results.forEach((r, i) => {
    if (r.outputPath && !firstFor.has(r.outputPath)) firstFor.set(r.outputPath, i)
  })
  const createdAt = Number(job.timestamp)
  const since = Number.isFinite(createdAt) ? createdAt - CLOCK_SLACK_MS : Infinity
  const indexes = []
  results.forEach((r, i) => {
    if (r.success || !r.error || r.error.code !== 'ERR_OUTPUT_EXISTS') return
    if (firstFor.get(r.outputPath) !== i) return
    let stat
    try {
      stat = fs.lstatSync(r.outputPath)
    } catch {
      return
    }
    if (stat.isFile() && stat.mtimeMs >= since) indexes.push(i)
  })
  return indexes
}

/**
 * A BullMQ processor, `async (job, token, signal) => ImageResult[]`, for jobs
 * `{ paths: string[], options?: ProcessOptions }`:
 * - `options.defaults` are ProcessOptions under every job's own options;
 * - progress goes to job.updateProgress({ done, total, failed });
 * - invalid job data or options fail the job at once, without retries
 *   (UnrecoverableError with the ERR_INVALID_OPTION message);
 * - a re-run after a crash reclaims the outputs of the earlier attempt (module comment);
 * - `signal` (BullMQ's job cancellation) aborts the batch.
 * `corepool` is the loaded corepool module (index.js), passed in to avoid a cycle.
 */
function createQueueProcessor(corepool, options) {
  if (options !== undefined && options !== null && !isPlainObject(options)) {
    throw new TypeError('createQueueProcessor expects an options object: { defaults?: ProcessOptions }')
  }
  const defaults = options?.defaults ?? {}
  if (!isPlainObject(defaults)) throw new TypeError('createQueueProcessor: defaults must be a plain object')
  const UnrecoverableError = unrecoverableClass()
  const unrecoverable = (message) => Object.assign(new UnrecoverableError(message), { code: 'ERR_INVALID_OPTION' })

  return async function corepoolProcessor(job, _token, signal) {
    const data = job.data
    if (!isPlainObject(data)) {
      throw unrecoverable('Expected job data { paths: string[], options?: object }')
    }
    const { paths, options: jobOptions } = data
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
      throw unrecoverable('Expected an array of strings for paths')
    }
    if (jobOptions !== undefined && jobOptions !== null && !isPlainObject(jobOptions)) {
      throw unrecoverable('Expected plain object for options')
    }
    const opts = { ...defaults, ...(jobOptions ?? {}) }
    const total = paths.length
    const progress = progressReporter(job)
    const run = (inputs, o, onProgress) =>
      corepool.processImages(inputs, o, { onProgress, ...(signal ? { signal } : {}) }).catch((err) => {
        // Options are validated before any image starts: retrying cannot help.
        if (err && err.code === 'ERR_INVALID_OPTION') throw unrecoverable(err.message)
        throw err
      })

    progress.report({ done: 0, total, failed: 0 })
    let results = await run(paths, opts, ({ done, failed }) => progress.report({ done, total, failed }))
    if (!opts.overwrite && isRerun(job)) {
      const again = reclaimable(job, results)
      if (again.length > 0) {
        const redone = await run(
          again.map((i) => paths[i]),
          { ...opts, overwrite: true },
        )
        results = results.slice()
        again.forEach((i, k) => (results[i] = redone[k]))
      }
    }
    progress.report({ done: total, total, failed: results.filter((r) => !r.success).length })
    await progress.flush()
    return results
  }
}

/**
 * Starts a BullMQ Worker on `queue` at `redis` (a redis:// URL) that runs
 * createQueueProcessor. `lockDuration` (ms) sets both lockDuration and stalledInterval:
 * a dead worker's job goes back to the queue within about twice that. `log(line)`
 * gets one line per event. Returns `{ worker, close }`; `close()` stops taking jobs,
 * lets active ones finish and closes the connections.
 */
async function startQueueWorker(corepool, { redis, queue, concurrency = 1, lockDuration = 30_000, log = () => {} }) {
  const { Worker } = loadOptional('bullmq')
  loadOptional('ioredis')
  const processor = createQueueProcessor(corepool)
  const worker = new Worker(queue, processor, {
    // Shown as job.processedBy: which machine and process ran a job.
    name: `${os.hostname()}:${process.pid}`,
    connection: { url: redis, maxRetriesPerRequest: null },
    concurrency,
    lockDuration,
    stalledInterval: lockDuration,
  })
  worker.on('error', (err) => log(`error: ${err && err.message ? err.message : err}`))
  worker.on('completed', (job, results) => {
    const failed = Array.isArray(results) ? results.filter((r) => !r.success).length : 0
    log(`job ${job.id} completed: ${results.length} images, ${failed} failed`)
  })
  worker.on('failed', (job, err) => log(`job ${job ? job.id : '?'} failed: ${err && err.message ? err.message : err}`))
  worker.on('stalled', (jobId) => log(`job ${jobId} stalled and was put back in the queue`))
  await worker.waitUntilReady()
  let closing = null
  return {
    worker,
    close: () => (closing ??= worker.close()),
  }
}

module.exports = { createQueueProcessor, startQueueWorker, QueueDependencyError, INSTALL_HINT, CLOCK_SLACK_MS }
