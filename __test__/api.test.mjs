// The API contract at its edges: every wrong argument is a rejected promise with a
// code (never a synchronous throw), single images can be aborted, progress is
// monotonic, AbortSignals are observed without side effects, processStream, failOn
// levels, the queue bound and option objects read safely.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { getEventListeners } from 'node:events'
import { createRequire } from 'node:module'
import sharp from 'sharp'
import { bad, photo, runNode, tmpDir } from './helpers.mjs'

const require = createRequire(import.meta.url)
const corepool = require('../index.js')
const INDEX = require.resolve('../index.js')

const ROCKET = photo('rocket.jpg')
const ASTRONAUT = photo('astronaut.png')

/** Calls `fn` and checks it returned a promise that rejects with `code` (and `Class`). */
async function rejectsWith(label, fn, code, Class, fragment) {
  let promise
  assert.doesNotThrow(() => {
    promise = fn()
  }, `${label}: threw synchronously`)
  assert.ok(promise instanceof Promise, `${label}: returned ${typeof promise}, not a promise`)
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `${label}: ${err.message}`)
    if (Class) assert.ok(err instanceof Class, `${label}: ${err.constructor.name}, expected ${Class.name}`)
    if (fragment) assert.match(err.message, fragment, label)
    return true
  })
}

const WRONG = {
  number: 42,
  null: null,
  boolean: true,
  array: [1, 2],
  arrayBuffer: new ArrayBuffer(8),
  date: new Date(0),
  function: () => {},
  symbol: Symbol('x'),
  bigint: 10n,
  string: 'a.jpg',
}

test('every async function rejects every wrong argument with ERR_INVALID_OPTION, naming it', async () => {
  const buffer = fs.readFileSync(ROCKET)
  // [label, call with the wrong value v, the argument's name, kinds of wrong values]
  const cases = [
    ['processImages paths', (v) => corepool.processImages(v), 'paths', ['number', 'null', 'string', 'array', 'date']],
    ['processImages options', (v) => corepool.processImages([], v), 'options', ['number', 'array', 'date', 'string']],
    ['processImages hooks', (v) => corepool.processImages([], {}, v), 'hooks', ['number', 'array', 'date', 'string']],
    [
      'processImages signal',
      (v) => corepool.processImages([], {}, { signal: v }),
      'signal',
      ['number', 'string', 'date'],
    ],
    [
      'processImages onProgress',
      (v) => corepool.processImages([], {}, { onProgress: v }),
      'onProgress',
      ['number', 'string'],
    ],
    [
      'processImage input',
      (v) => corepool.processImage(v),
      'input',
      ['number', 'null', 'arrayBuffer', 'array', 'boolean', 'bigint'],
    ],
    ['processImage options', (v) => corepool.processImage(buffer, v), 'options', ['number', 'date', 'string']],
    ['processImage hooks', (v) => corepool.processImage(buffer, {}, v), 'hooks', ['number', 'date']],
    ['processImage signal', (v) => corepool.processImage(buffer, {}, { signal: v }), 'signal', ['number', 'string']],
    ['metadata input', (v) => corepool.metadata(v), 'input', ['number', 'null', 'arrayBuffer', 'array']],
    ['metadata hooks', (v) => corepool.metadata(buffer, v), 'hooks', ['number', 'string']],
    ['calculatePrimes max', (v) => corepool.calculatePrimes(v), 'max', ['null', 'string', 'array', 'bigint']],
    ['calculatePrimes hooks', (v) => corepool.calculatePrimes(10, v), 'hooks', ['number', 'string', 'date']],
    ['calculatePrimes signal', (v) => corepool.calculatePrimes(10, { signal: v }), 'signal', ['number']],
    ['countPrimes max', (v) => corepool.countPrimes(v), 'max', ['null', 'string', 'boolean']],
    ['countPrimes hooks', (v) => corepool.countPrimes(10, v), 'hooks', ['number', 'array']],
  ]
  for (const [label, call, name, kinds] of cases) {
    for (const kind of kinds) {
      await rejectsWith(
        `${label} = ${kind}`,
        () => call(WRONG[kind]),
        'ERR_INVALID_OPTION',
        TypeError,
        new RegExp(name),
      )
    }
  }
  // Right type, wrong value: a RangeError.
  await rejectsWith('calculatePrimes(-1)', () => corepool.calculatePrimes(-1), 'ERR_INVALID_OPTION', RangeError, /max/)
  await rejectsWith('width -1', () => corepool.processImage(buffer, { width: -1 }), 'ERR_INVALID_OPTION', RangeError)
  await rejectsWith(
    'unknown hook',
    () => corepool.metadata(buffer, { nope: 1 }),
    'ERR_INVALID_OPTION',
    TypeError,
    /nope/,
  )
})

test('throwing getters and Proxy traps become rejections; inherited properties are ignored', async (t) => {
  const getter = {
    get width() {
      throw new Error('boom')
    },
  }
  await rejectsWith('getter', () => corepool.processImage(ROCKET, getter), 'ERR_INVALID_OPTION', TypeError, /width/)
  const proxy = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('trap')
      },
    },
  )
  await rejectsWith('proxy', () => corepool.processImages([], proxy), 'ERR_INVALID_OPTION', TypeError)
  const hooks = {
    get signal() {
      throw new Error('boom')
    },
  }
  await rejectsWith('hooks getter', () => corepool.metadata(ROCKET, hooks), 'ERR_INVALID_OPTION', TypeError)

  const out = tmpDir(t)
  Object.prototype.outputDir = out
  Object.prototype.prefix = 'pwned_'
  try {
    const [r] = await corepool.processImages([ROCKET], { width: 16, outputDir: tmpDir(t), overwrite: true })
    assert.ok(r.success, JSON.stringify(r.error))
    assert.doesNotMatch(path.basename(r.outputPath), /pwned/)
    assert.deepEqual(fs.readdirSync(out), [], 'nothing written to the polluted outputDir')
  } finally {
    delete Object.prototype.outputDir
    delete Object.prototype.prefix
  }
})

test('processImage and metadata can be aborted before and during the work', async () => {
  const aborted = AbortSignal.abort()
  await rejectsWith(
    'processImage, aborted before',
    () => corepool.processImage(ROCKET, {}, { signal: aborted }),
    'ERR_ABORTED',
  )
  await rejectsWith('metadata, aborted before', () => corepool.metadata(ROCKET, { signal: aborted }), 'ERR_ABORTED')
  await rejectsWith('countPrimes, aborted before', () => corepool.countPrimes(1e6, { signal: aborted }), 'ERR_ABORTED')
  // During: a large enlargement is stopped at a stage boundary.
  const controller = new AbortController()
  const work = corepool.processImage(ASTRONAUT, { width: 6000, format: 'png' }, { signal: controller.signal })
  setTimeout(() => controller.abort(), 20)
  await assert.rejects(work, (err) => err.code === 'ERR_ABORTED')
  // A signal that never fires changes nothing.
  const { info } = await corepool.processImage(ROCKET, { width: 32 }, { signal: new AbortController().signal })
  assert.equal(info.width, 32)
})

test('progress is monotonic, ends at total, and never arrives after the promise settles', async (t) => {
  const out = tmpDir(t)
  const inputs = Array.from({ length: 16 }, (_, i) => {
    const p = path.join(out, `in-${i}.jpg`)
    fs.copyFileSync(ROCKET, p)
    return p
  })
  for (let round = 0; round < 40; round++) {
    const seen = []
    let settled = false
    await corepool.processImages(
      inputs,
      { width: 24, outputDir: out, overwrite: true, prefix: 'p_' },
      {
        onProgress: (p) => {
          assert.equal(settled, false, 'a report after the promise settled')
          seen.push(p.done)
        },
      },
    )
    settled = true
    assert.ok(seen.length > 0)
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `round ${round}: ${seen}`)
    assert.equal(seen.at(-1), 16, `round ${round}: ${seen}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
})

test('one AbortSignal reused 1000 times leaves no listener and keeps the user onabort', async () => {
  const controller = new AbortController()
  const mine = () => {}
  controller.signal.onabort = mine
  for (let i = 0; i < 1000; i++) await corepool.countPrimes(100, { signal: controller.signal })
  const images = Array.from({ length: 20 }, () => corepool.metadata(ROCKET, { signal: controller.signal }))
  await Promise.all(images)
  assert.ok(getEventListeners(controller.signal, 'abort').length <= 1)
  assert.equal(controller.signal.onabort, mine)
})

test('a throwing onProgress rejects the batch with that error and the process lives on', async () => {
  const script = `
    const corepool = require(${JSON.stringify(INDEX)})
    const os = require('node:os'), fs = require('node:fs'), path = require('node:path')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-throw-'))
    const inputs = Array.from({ length: 8 }, (_, i) => { const p = path.join(dir, i + '.jpg'); fs.copyFileSync(${JSON.stringify(ROCKET)}, p); return p })
    corepool.processImages(inputs, { width: 16 }, { onProgress: () => { throw new Error('from onProgress') } })
      .then(() => console.log('resolved'), (e) => console.log('rejected:' + e.message))
      .finally(() => { fs.rmSync(dir, { recursive: true }); setTimeout(() => console.log('alive'), 50) })
  `
  const r = await runNode(script, { nodeArgs: ['-e'], timeout: 30_000 })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /rejected:from onProgress/)
  assert.match(r.stdout, /alive/)
})

test('setMaxQueue: past the bound, calls reject with ERR_QUEUE_FULL', async () => {
  const script = `
    const corepool = require(${JSON.stringify(INDEX)})
    corepool.setMaxQueue(2)
    const calls = Array.from({ length: 6 }, () => corepool.countPrimes(2e8))
    Promise.allSettled(calls).then((r) => {
      console.log(JSON.stringify(r.map((x) => x.status === 'fulfilled' ? 'ok' : x.reason.code)))
      corepool.setMaxQueue(Infinity)
      return corepool.countPrimes(100)
    }).then((n) => console.log('after', n))
  `
  const r = await runNode(script, { nodeArgs: ['-e'], timeout: 60_000 })
  assert.equal(r.code, 0, r.stderr)
  const codes = JSON.parse(r.stdout.split('\n')[0])
  assert.deepEqual(codes.slice(0, 2), ['ok', 'ok'])
  assert.deepEqual(codes.slice(2), ['ERR_QUEUE_FULL', 'ERR_QUEUE_FULL', 'ERR_QUEUE_FULL', 'ERR_QUEUE_FULL'])
  assert.match(r.stdout, /after 25/)
  assert.throws(
    () => corepool.setMaxQueue(0),
    (e) => e.code === 'ERR_INVALID_OPTION',
  )
})

test('failOn levels on a truncated JPEG: none decodes, truncated/error/warning fail', async () => {
  const truncated = bad('truncated.jpg')
  const { info } = await corepool.processImage(truncated, { failOn: 'none', width: 32 })
  assert.equal(info.width, 32)
  for (const level of ['truncated', 'error', 'warning']) {
    await rejectsWith(`failOn ${level}`, () => corepool.processImage(truncated, { failOn: level }), 'ERR_INPUT_CORRUPT')
  }
})

test('limitInputBytes refuses larger inputs, from a path and from a buffer', async () => {
  const size = fs.statSync(ROCKET).size
  await rejectsWith('path', () => corepool.processImage(ROCKET, { limitInputBytes: size - 1 }), 'ERR_INPUT_TOO_LARGE')
  await rejectsWith(
    'buffer',
    () => corepool.processImage(fs.readFileSync(ROCKET), { limitInputBytes: size - 1 }),
    'ERR_INPUT_TOO_LARGE',
  )
  const { info } = await corepool.processImage(ROCKET, { limitInputBytes: size, width: 8 })
  assert.equal(info.width, 8)
})

/** Collects a readable stream into one Buffer. */
function sink() {
  const chunks = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk)
      cb()
    },
  })
  stream.bytes = () => Buffer.concat(chunks)
  return stream
}

test('processStream through stream.pipeline: a JPEG in, the resized image out', async () => {
  const out = sink()
  let info
  const transform = corepool.processStream({ width: 120, format: 'webp' })
  transform.on('info', (i) => {
    info = i
  })
  await pipeline(fs.createReadStream(ROCKET, { highWaterMark: 4096 }), transform, out)
  const meta = await sharp(out.bytes()).metadata()
  assert.equal(meta.format, 'webp')
  assert.equal(meta.width, 120)
  assert.equal(info.width, 120)
})

test('processStream errors: text is unsupported, a bad option fails, an oversized body fails before it is buffered', async () => {
  await assert.rejects(
    pipeline(fs.createReadStream(bad('not-an-image.png')), corepool.processStream({ width: 10 }), sink()),
    (err) => err.code === 'ERR_INPUT_UNSUPPORTED',
  )
  await assert.rejects(
    pipeline(fs.createReadStream(ROCKET), corepool.processStream({ width: -5 }), sink()),
    (err) => err.code === 'ERR_INVALID_OPTION',
  )
  let produced = 0
  const endless = new Readable({
    read() {
      produced += 65536
      this.push(produced > 64 * 1024 * 1024 ? null : Buffer.alloc(65536, 1))
    },
  })
  await assert.rejects(
    pipeline(endless, corepool.processStream({ limitInputBytes: 1024 * 1024 }), sink()),
    (err) => err.code === 'ERR_INPUT_TOO_LARGE',
  )
  assert.ok(produced < 8 * 1024 * 1024, `read ${produced} bytes before failing`)
  // A header over the pixel limit fails as soon as the header has arrived.
  await assert.rejects(
    pipeline(fs.createReadStream(bad('bomb-60000x60000.png')), corepool.processStream(), sink()),
    (err) => err.code === 'ERR_INPUT_TOO_LARGE',
  )
})
