// `corepool worker` on a real BullMQ queue (issue 18): a redis-server started here on a
// free loopback port (persistence off) and real worker processes (the CLI). Redis and
// every worker are stopped in `after`, also when a test fails.
//
// Also, without Redis: the processor's crash-recovery rule on fake jobs, the message
// when bullmq is missing, and that corepool itself never loads bullmq.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { decode, ls, photo, runCommand, runNode, subDir, tmpDir } from './helpers.mjs'
import { CLI, startRedis, startWorker, stopAll, waitFor } from './queue-helpers.mjs'

const require = createRequire(import.meta.url)
const INDEX = require.resolve('../index.js')
const corepool = require(INDEX)
const { Queue } = require('bullmq')

/** `count` copies of `source` under distinct names in `dir`; returns their paths. */
function copies(dir, source, count, tag = 'img') {
  const ext = path.extname(source)
  return Array.from({ length: count }, (_, i) => {
    const p = path.join(dir, `${tag}-${String(i).padStart(2, '0')}${ext}`)
    fs.copyFileSync(source, p)
    return p
  })
}

/** Decodes every output of `results` completely and checks its size against the result. */
async function assertOutputsDecode(results) {
  for (const r of results) {
    assert.equal(r.success, true, `${r.originalPath}: ${JSON.stringify(r.error)}`)
    const { info } = await decode(r.outputPath, { failOn: 'truncated' })
    assert.deepEqual([info.width, info.height], [r.width, r.height], r.outputPath)
    assert.equal(fs.statSync(r.outputPath).size, r.processedSize, r.outputPath)
  }
}

/** The names in `dir` that are not final outputs (temporary or partial files). */
const strays = (dir) => ls(dir).filter((n) => !n.startsWith('processed_'))

describe('corepool worker on BullMQ with a real Redis', () => {
  let redis
  const queues = []
  /** A fresh queue (one per test, so that tests cannot see each other's jobs). */
  const newQueue = (name) => {
    const q = new Queue(name, { connection: { url: redis.url, maxRetriesPerRequest: null } })
    queues.push(q)
    return q
  }

  before(async () => {
    redis = await startRedis()
  })
  after(async () => {
    await stopAll()
    await Promise.all(queues.map((q) => q.close().catch(() => {})))
    await redis?.stop()
  })

  test('two workers share 12 jobs; every job runs exactly once and every output decodes', async (t) => {
    const dir = tmpDir(t)
    const inputs = copies(subDir(dir, 'in'), photo('rocket.jpg'), 3)
    const queue = newQueue('share')
    const workers = [
      await startWorker({ redis: redis.url, queue: 'share' }),
      await startWorker({ redis: redis.url, queue: 'share' }),
    ]
    const jobs = await queue.addBulk(
      Array.from({ length: 12 }, (_, i) => ({
        name: `job-${i}`,
        data: { paths: inputs, options: { width: 320, format: 'webp', outputDir: subDir(dir, `out-${i}`) } },
        opts: { attempts: 3 },
      })),
    )
    await waitFor('12 completed jobs', async () => (await queue.getJobCounts('completed')).completed === 12, {
      timeout: 120_000,
    })
    const by = new Map()
    for (const { id } of jobs) {
      const job = await queue.getJob(id)
      assert.equal(await job.getState(), 'completed')
      assert.equal(job.attemptsStarted, 1, `job ${id} was started ${job.attemptsStarted} times`)
      assert.equal(job.stalledCounter, 0, `job ${id} stalled`)
      assert.deepEqual(job.progress, { done: 3, total: 3, failed: 0 })
      assert.equal(job.returnvalue.length, 3)
      assert.deepEqual(
        job.returnvalue.map((r) => r.originalPath),
        inputs,
      )
      await assertOutputsDecode(job.returnvalue)
      by.set(job.processedBy, (by.get(job.processedBy) ?? 0) + 1)
    }
    // Each worker logged each of its jobs once: 12 completions in all, no job twice.
    const completed = workers.flatMap((w) => [...w.stderr.matchAll(/job (\S+) completed/g)].map((m) => m[1]))
    assert.deepEqual(completed.sort(), jobs.map((j) => j.id).sort())
    const pids = workers.map((w) => w.child.pid)
    for (const name of by.keys())
      assert.ok(
        pids.some((pid) => name.endsWith(`:${pid}`)),
        `processed by ${name}`,
      )
    t.diagnostic(`jobs per worker: ${[...by.values()].join(' + ')}`)
    assert.equal(by.size, 2, `both workers took jobs: ${JSON.stringify([...by])}`)
  })

  test('SIGTERM drains both workers within 15 s: active jobs finish, exit code 0, no new job taken', async (t) => {
    const dir = tmpDir(t)
    // Jobs long enough to be caught active, short enough to drain well within 15 s on a
    // slow machine.
    const inputs = copies(subDir(dir, 'in'), photo('hubble_deep_field.jpg'), 4)
    const queue = newQueue('drain')
    const workers = [
      await startWorker({ redis: redis.url, queue: 'drain' }),
      await startWorker({ redis: redis.url, queue: 'drain' }),
    ]
    const jobs = await queue.addBulk(
      Array.from({ length: 6 }, (_, i) => ({
        name: `job-${i}`,
        data: { paths: inputs, options: { width: 800, format: 'jpeg', outputDir: subDir(dir, `out-${i}`) } },
      })),
    )
    await waitFor('two active jobs', async () => (await queue.getJobCounts('active')).active === 2, {
      timeout: 60_000,
      every: 5,
    })
    const signalled = Date.now()
    for (const w of workers) w.child.kill('SIGTERM')
    const exits = await Promise.race([
      Promise.all(workers.map((w) => w.exited)),
      new Promise((_, reject) => setTimeout(() => reject(new Error('the workers did not exit within 15 s')), 15_000)),
    ])
    t.diagnostic(`both exited ${Date.now() - signalled} ms after SIGTERM`)
    for (const [i, e] of exits.entries()) {
      assert.deepEqual(e, { code: 0, signal: null }, workers[i].stderr)
      assert.match(workers[i].stderr, /SIGTERM: finishing the active jobs/)
      assert.match(workers[i].stderr, /drained and closed/)
    }
    const counts = await queue.getJobCounts('completed', 'active', 'waiting', 'failed')
    assert.equal(counts.active, 0)
    assert.equal(counts.failed, 0)
    assert.ok(counts.completed >= 2, `the two active jobs completed: ${JSON.stringify(counts)}`)
    assert.equal(counts.completed + counts.waiting, 6, JSON.stringify(counts))
    for (const { id } of jobs) {
      const job = await queue.getJob(id)
      if ((await job.getState()) !== 'completed') continue
      await assertOutputsDecode(job.returnvalue)
    }
  })

  test('a worker SIGKILLed in the middle of a 22-image job: another worker completes it, every result a success, no temporary or partial file', async (t) => {
    const dir = tmpDir(t)
    const inputs = copies(subDir(dir, 'in'), photo('hubble_deep_field.jpg'), 22, 'hubble')
    const out = subDir(dir, 'out')
    const queue = newQueue('crash')
    // A short lock, so that the job is found stalled within seconds; one pool thread
    // for the first worker, so that it is surely in the middle of the job when killed.
    const lock = ['--lock-duration', '3000']
    const first = await startWorker({ redis: redis.url, queue: 'crash', args: [...lock, '--threads', '1'] })
    const job = await queue.add('big', {
      paths: inputs,
      options: { width: 1000, format: 'png', outputDir: out },
    })
    const doneBefore = await waitFor(
      'the first outputs',
      () => {
        const n = ls(out).filter((name) => name.startsWith('processed_')).length
        return n >= 2 ? n : 0
      },
      { timeout: 60_000, every: 2 },
    )
    first.child.kill('SIGKILL')
    assert.equal((await first.exited).signal, 'SIGKILL')
    const finishedByFirst = ls(out).filter((name) => name.startsWith('processed_')).length
    assert.ok(finishedByFirst < 22, `the first worker finished the job before it was killed (${finishedByFirst})`)
    t.diagnostic(`killed after ${doneBefore}, with ${finishedByFirst} of 22 outputs written`)

    const second = await startWorker({ redis: redis.url, queue: 'crash', args: lock })
    await waitFor('the job to complete', async () => (await queue.getJob(job.id)).finishedOn, {
      timeout: 120_000,
      every: 50,
    })
    const done = await queue.getJob(job.id)
    assert.equal(await done.getState(), 'completed', done.failedReason)
    assert.ok(done.processedBy.endsWith(`:${second.child.pid}`), `completed by ${done.processedBy}`)
    assert.ok(done.attemptsStarted >= 2 || done.stalledCounter >= 1, 'the job was run again')
    const results = done.returnvalue
    assert.equal(results.length, 22)
    assert.deepEqual(
      results.filter((r) => !r.success).map((r) => r.error),
      [],
      'every result is a success (no ERR_OUTPUT_EXISTS for the outputs of the dead worker)',
    )
    await assertOutputsDecode(results)
    assert.deepEqual(strays(out), [], 'no temporary or partial file')
    assert.equal(ls(out).length, 22)
    assert.deepEqual(done.progress, { done: 22, total: 22, failed: 0 })
    assert.match(second.stderr, new RegExp(`job ${job.id} completed: 22 images, 0 failed`))
  })

  test('a job with invalid options fails at once, without a retry, with the ERR_INVALID_OPTION message', async (t) => {
    const queue = newQueue('invalid')
    const worker = await startWorker({ redis: redis.url, queue: 'invalid' })
    const [bad, badData, good] = await queue.addBulk([
      { name: 'bad', data: { paths: [photo('rocket.jpg')], options: { width: -5 } }, opts: { attempts: 5 } },
      { name: 'bad-data', data: { paths: 'not-a-list' }, opts: { attempts: 5 } },
      {
        name: 'good',
        data: { paths: [photo('rocket.jpg')], options: { width: 64, format: 'webp', outputDir: tmpDir(t) } },
      },
    ])
    await waitFor(
      'the jobs to finish',
      async () => (await Promise.all([bad, badData, good].map((j) => queue.getJob(j.id)))).every((j) => j.finishedOn),
      { timeout: 60_000 },
    )
    const expected = await corepool.processImages([], { width: -5 }).then(
      () => assert.fail('width -5 is accepted'),
      (err) => err,
    )
    assert.equal(expected.code, 'ERR_INVALID_OPTION')
    for (const [{ id }, message] of [
      [bad, expected.message],
      [badData, 'Expected an array of strings for paths'],
    ]) {
      const job = await queue.getJob(id)
      assert.equal(await job.getState(), 'failed')
      assert.equal(job.failedReason, message)
      assert.equal(job.attemptsStarted, 1, 'not retried')
      assert.equal(job.attemptsMade, 1)
    }
    assert.equal(await (await queue.getJob(good.id)).getState(), 'completed', 'the worker goes on with other jobs')
    worker.child.kill('SIGTERM')
    assert.deepEqual(await worker.exited, { code: 0, signal: null })
  })
})

describe('the queue processor without Redis', () => {
  /** A fake BullMQ job: enough for the processor. */
  const fakeJob = (data, fields = {}) => ({
    data,
    timestamp: Date.now(),
    attemptsStarted: 1,
    attemptsMade: 0,
    stalledCounter: 0,
    progress: [],
    updateProgress(p) {
      this.progress.push(p)
      return Promise.resolve()
    },
    ...fields,
  })

  test('a re-run reclaims the outputs of the earlier attempt, keeps older files and failures as they were', async (t) => {
    const dir = tmpDir(t)
    const out = subDir(dir, 'out')
    const inputs = copies(subDir(dir, 'in'), photo('rocket.jpg'), 3)
    const broken = path.join(dir, 'in', 'broken.jpg')
    fs.writeFileSync(broken, fs.readFileSync(photo('rocket.jpg')).subarray(0, 200))
    const options = { width: 100, format: 'png', outputDir: out }
    const process = corepool.createQueueProcessor()

    // A file that was there before the job was created: not this job's.
    const older = path.join(out, 'processed_img-02.png')
    fs.writeFileSync(older, 'not ours')
    const past = new Date(Date.now() - 3_600_000)
    fs.utimesSync(older, past, past)

    // The "earlier attempt" wrote img-00 only.
    const paths = [...inputs, broken]
    const first = await corepool.processImages([inputs[0]], options)
    assert.equal(first[0].success, true)

    // A first run of a job sees img-00 as an existing output, like processImages.
    const fresh = await process(fakeJob({ paths, options }))
    assert.deepEqual(
      fresh.map((r) => r.error?.code ?? 'ok'),
      ['ERR_OUTPUT_EXISTS', 'ok', 'ERR_OUTPUT_EXISTS', 'ERR_INPUT_CORRUPT'],
    )
    fs.rmSync(path.join(out, 'processed_img-01.png'))

    // The re-run (after a stall) rewrites img-00, writes img-01, leaves the older file
    // alone and fails the broken input with the same code as before.
    const job = fakeJob({ paths, options }, { attemptsStarted: 2, stalledCounter: 1, timestamp: Date.now() - 5_000 })
    const again = await process(job)
    assert.deepEqual(
      again.map((r) => r.error?.code ?? 'ok'),
      ['ok', 'ok', 'ERR_OUTPUT_EXISTS', 'ERR_INPUT_CORRUPT'],
    )
    await assertOutputsDecode(again.slice(0, 2))
    assert.equal(fs.readFileSync(older, 'utf8'), 'not ours')
    assert.deepEqual(job.progress.at(-1), { done: 4, total: 4, failed: 2 })
    assert.deepEqual(job.progress[0], { done: 0, total: 4, failed: 0 })
  })

  test('invalid options and job data are unrecoverable errors with the ERR_INVALID_OPTION message', async () => {
    const { UnrecoverableError } = require('bullmq')
    const process = corepool.createQueueProcessor({ defaults: { format: 'webp' } })
    for (const data of [{ paths: [photo('rocket.jpg')], options: { fit: 'squash' } }, { paths: [1] }, null, 'x']) {
      await assert.rejects(process(fakeJob(data)), (err) => {
        assert.ok(err instanceof UnrecoverableError, `${JSON.stringify(data)}: ${err}`)
        assert.equal(err.code, 'ERR_INVALID_OPTION')
        return true
      })
    }
    assert.throws(() => corepool.createQueueProcessor({ defaults: 'webp' }), TypeError)
  })

  test('corepool worker refuses bad flags with exit 2, before connecting', async () => {
    for (const [args, message] of [
      [['--redis', 'redis://127.0.0.1:1'], /required option '--queue <name>'/],
      [
        ['--redis', 'redis://127.0.0.1:1', '--queue', 'q', '--lock-duration', '0'],
        /--lock-duration expects a positive integer but received '0'/,
      ],
      [
        ['--redis', 'redis://127.0.0.1:1', '--queue', 'q', '--concurrency', 'two'],
        /--concurrency expects a positive integer but received 'two'/,
      ],
    ]) {
      const r = await runCommand(process.execPath, [CLI, 'worker', ...args], { timeout: 30_000 })
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, message)
    }
    const help = await runCommand(process.execPath, [CLI, 'worker', '--help'], { timeout: 30_000 })
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--lock-duration <ms>/)
    assert.match(help.stdout, /shared volume/)
  })

  test('corepool worker without bullmq says how to install it (exit 2); corepool itself never loads bullmq', async (t) => {
    const dir = tmpDir(t)
    const hide = path.join(dir, 'hide-bullmq.cjs')
    fs.writeFileSync(
      hide,
      `const Module = require('node:module')
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if (request === 'bullmq' || request === 'ioredis') {
    throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' })
  }
  return resolve.call(this, request, ...rest)
}`,
    )
    const missing = await runCommand(
      process.execPath,
      ['--require', hide, CLI, 'worker', '--redis', 'redis://127.0.0.1:1', '--queue', 'q'],
      { timeout: 30_000 },
    )
    assert.equal(missing.code, 2, missing.stderr)
    assert.match(missing.stderr, /needs the optional packages bullmq and ioredis/)
    assert.match(missing.stderr, /npm install bullmq ioredis/)

    const script = path.join(dir, 'no-bullmq.cjs')
    fs.writeFileSync(
      script,
      `const corepool = require(${JSON.stringify(INDEX)})
corepool.processImages([${JSON.stringify(photo('rocket.jpg'))}], { width: 32, outputDir: ${JSON.stringify(dir)} }).then((r) => {
  const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](bullmq|ioredis)[\\\\/]/.test(k))
  process.stdout.write(JSON.stringify({ ok: r[0].success, loaded }))
})`,
    )
    const run = await runNode(script, { timeout: 30_000 })
    assert.deepEqual(JSON.parse(run.stdout), { ok: true, loaded: [] }, run.stderr)
  })
})
