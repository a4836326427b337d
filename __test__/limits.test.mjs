// Limits a server can rely on: special files, huge files, outputs that would not fit
// in memory, process-wide ceilings that request options cannot raise, and outputs of
// one batch that would overwrite each other. Every case that could hang, exhaust
// memory or abort runs in a child process, with a time limit and its peak RSS measured.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { decode, photo, runCommand, subDir, tmpDir } from './helpers.mjs'

const require = createRequire(import.meta.url)
const INDEX = require.resolve('../index.js')
const { processImages, setLimits, getLimits } = require(INDEX)

const MiB = 1024 * 1024

/**
 * A child script: calls `fn` ('metadata', 'processImage' or 'processImages') on
 * `input` with `options` (after `setLimits(limits)` when given) and prints one JSON
 * line: the outcome, the baseline RSS before the call and the peak RSS, in MiB.
 */
function childScript(dir) {
  const script = path.join(dir, 'call.cjs')
  fs.writeFileSync(
    script,
    `const corepool = require(${JSON.stringify(INDEX)})
const { fn, input, options, limits } = JSON.parse(process.argv[2])
if (limits) corepool.setLimits(limits)
const baseline = process.memoryUsage().rss / 1048576
const args = fn === 'metadata' ? [input] : fn === 'processImages' ? [[input], options] : [input, options]
corepool[fn](...args).then(
  (r) => {
    const first = Array.isArray(r) ? r[0] : r
    const out = first.error ? { code: first.error.code, message: first.error.message } : { ok: true, info: first.info ?? first }
    return out
  },
  (e) => ({ code: e.code, message: e.message }),
).then((out) => {
  out.baseline = baseline
  out.peak = process.resourceUsage().maxRSS / 1024
  process.stdout.write(JSON.stringify(out))
})`,
  )
  return script
}

/**
 * Runs one call in a child process, under `ulimit -v` (KiB) when given, and returns
 * its JSON outcome. The child must exit normally, with nothing on stderr.
 */
async function call(dir, spec, { ulimitKiB, timeout = 60_000 } = {}) {
  const script = childScript(dir)
  const arg = JSON.stringify(spec)
  const child = ulimitKiB
    ? await runCommand('bash', ['-c', `ulimit -v ${ulimitKiB} && exec "$0" "$1" "$2"`, process.execPath, script, arg], {
        timeout,
      })
    : await runCommand(process.execPath, [script, arg], { timeout })
  assert.equal(child.signal, null, `killed by ${child.signal}: ${child.stderr}`)
  assert.equal(child.code, 0, child.stderr)
  assert.equal(child.stderr, '', 'nothing on stderr')
  return JSON.parse(child.stdout)
}

const tinyPng = () =>
  sharp({ create: { width: 128, height: 128, channels: 3, background: '#c83' } })
    .png()
    .toBuffer()

test('a FIFO and a symlink to /dev/zero are refused at once by every entry point, in little memory', async (t) => {
  const dir = tmpDir(t)
  const fifo = path.join(dir, 'pipe.jpg')
  execFileSync('mkfifo', [fifo])
  const zero = path.join(dir, 'zero.jpg')
  fs.symlinkSync('/dev/zero', zero)
  const out = subDir(dir, 'out')
  for (const input of [fifo, zero]) {
    for (const fn of ['metadata', 'processImage', 'processImages']) {
      const started = Date.now()
      const r = await call(dir, { fn, input, options: { outputDir: out } }, { timeout: 20_000 })
      assert.equal(r.code, 'ERR_INPUT_UNSUPPORTED', `${fn}(${path.basename(input)}): ${JSON.stringify(r)}`)
      assert.match(r.message, /not a regular file/)
      assert.ok(Date.now() - started < 15_000, `${fn} took ${Date.now() - started} ms`)
      assert.ok(r.peak < 400, `${fn} peak RSS ${r.peak} MiB`)
    }
  }
})

test('metadata reads the header of a PNG followed by 1 GiB of zeros from a prefix, like sharp', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'tail.png')
  fs.writeFileSync(file, await tinyPng())
  fs.truncateSync(file, 1024 * MiB) // sparse: no disk used
  const r = await call(dir, { fn: 'metadata', input: file })
  assert.equal(r.ok, true, JSON.stringify(r))
  const theirs = await sharp(file).metadata()
  assert.deepEqual([r.info.format, r.info.width, r.info.height], [theirs.format, theirs.width, theirs.height])
  assert.equal(r.info.size, 1024 * MiB)
  assert.ok(r.peak < 400, `peak RSS ${r.peak} MiB`)
  // Decoding it is another matter: the whole file is over limitInputBytes.
  const d = await call(dir, { fn: 'processImage', input: file, options: { width: 8 } })
  assert.equal(d.code, 'ERR_INPUT_TOO_LARGE')
})

test('a 65535x65535 output is refused by limitOutputPixels, and by the memory check under ulimit -v', async (t) => {
  const dir = tmpDir(t)
  const input = path.join(dir, 'tiny.png')
  fs.writeFileSync(input, await tinyPng())
  const huge = { width: 65535, height: 65535, fit: 'fill', limitInputPixels: false }
  const r = await call(dir, { fn: 'processImage', input, options: huge }, { ulimitKiB: 4 * 1024 * 1024 })
  assert.equal(r.code, 'ERR_INPUT_TOO_LARGE', JSON.stringify(r))
  assert.match(r.message, /more than limitOutputPixels \(268402689\)/)
  // Both limits off: 17 GB cannot be mapped under a 4 GiB address-space limit, so the
  // call fails with a code before allocating, instead of aborting the process.
  const unlimited = { ...huge, limitOutputPixels: false, format: 'png' }
  const u = await call(dir, { fn: 'processImage', input, options: unlimited }, { ulimitKiB: 4 * 1024 * 1024 })
  assert.equal(u.code, 'ERR_INPUT_TOO_LARGE', JSON.stringify(u))
  assert.match(u.message, /cannot be allocated/)
})

test('an 8000x8000 WebP from a tiny PNG peaks under 1.1 GiB', async (t) => {
  const dir = tmpDir(t)
  const input = path.join(dir, 'tiny.png')
  fs.writeFileSync(input, await tinyPng())
  const r = await call(dir, {
    fn: 'processImage',
    input,
    options: { width: 8000, height: 8000, fit: 'fill', format: 'webp' },
  })
  assert.equal(r.ok, true, JSON.stringify(r))
  assert.deepEqual([r.info.width, r.info.height], [8000, 8000])
  assert.ok(r.peak < 1.1 * 1024, `peak RSS ${r.peak} MiB`)
})

// The documented bound (crates/core/src/memory.rs): an output's peak stays within
// about 3x its raw RGBA size plus a fixed overhead, for every encoder but AVIF, which
// is refused above 16 MP.
test('peak memory for a 4000x4000 RGBA output stays within 3x its raw size plus 128 MiB, per format', async (t) => {
  const dir = tmpDir(t)
  const raw = (4000 * 4000 * 4) / MiB
  for (const format of ['jpeg', 'png', 'webp', 'gif', 'tiff']) {
    const r = await call(
      dir,
      { fn: 'processImage', input: photo('logo.png'), options: { width: 4000, height: 4000, fit: 'fill', format } },
      { timeout: 120_000 },
    )
    assert.equal(r.ok, true, `${format}: ${JSON.stringify(r)}`)
    const used = r.peak - r.baseline
    assert.ok(used < 3 * raw + 128, `${format}: ${used.toFixed(0)} MiB for ${raw} MiB raw`)
  }
  const avif = await call(dir, {
    fn: 'processImage',
    input: photo('logo.png'),
    options: { width: 5000, height: 5000, format: 'avif' },
  })
  assert.equal(avif.code, 'ERR_INPUT_TOO_LARGE', JSON.stringify(avif))
  assert.match(avif.message, /AVIF output 5000x5000/)
})

test('a large JPEG file is decoded from the file in pieces, never held whole in memory', async (t) => {
  const dir = tmpDir(t)
  // 6000x6000 of noise at quality 100, 4:4:4: a file of tens of MiB that shrinks on
  // load (1/8) to 750x750, so decoding needs little memory besides the file itself.
  const input = path.join(dir, 'noise.jpg')
  await sharp({ create: { width: 6000, height: 6000, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
    .toFile(input)
  const fileMiB = fs.statSync(input).size / MiB
  assert.ok(fileMiB > 40, `the file has ${fileMiB.toFixed(0)} MiB`)
  for (const fn of ['processImage', 'processImages']) {
    const r = await call(dir, {
      fn,
      input,
      options: { width: 200, ...(fn === 'processImages' ? { outputDir: subDir(dir, fn) } : {}) },
    })
    assert.equal(r.code, undefined, JSON.stringify(r))
    const used = r.peak - r.baseline
    assert.ok(used < fileMiB / 2, `${fn}: ${used.toFixed(0)} MiB used for a ${fileMiB.toFixed(0)} MiB file`)
  }
})

test('setLimits: the limits become defaults and ceilings that options can lower but not raise or disable', async (t) => {
  const dir = tmpDir(t)
  const input = path.join(dir, 'tiny.png')
  fs.writeFileSync(input, await tinyPng())
  const limits = { limitInputPixels: 10_000, limitOutputPixels: 5_000, limitInputBytes: 1 * MiB }
  // 128x128 = 16384 pixels: over the host's input limit, so refused by default.
  const byDefault = await call(dir, { fn: 'processImage', input, options: { width: 8 }, limits })
  assert.equal(byDefault.code, 'ERR_INPUT_TOO_LARGE', JSON.stringify(byDefault))
  for (const options of [
    { limitInputPixels: false },
    { limitInputPixels: 0 },
    { limitInputPixels: 20_000 },
    { limitOutputPixels: false },
    { limitInputBytes: 2 * MiB },
  ]) {
    const r = await call(dir, { fn: 'processImage', input, options: { width: 8, ...options }, limits })
    assert.equal(r.code, 'ERR_INVALID_OPTION', `${JSON.stringify(options)}: ${JSON.stringify(r)}`)
    assert.match(r.message, /set by setLimits\(\)/)
  }
  // Lowering is fine: an output over the lowered limit is refused, one under it is made.
  const lowered = await call(dir, {
    fn: 'processImage',
    input,
    options: { width: 50, height: 50, limitOutputPixels: 100 },
    limits: { ...limits, limitInputPixels: 20_000 },
  })
  assert.equal(lowered.code, 'ERR_INPUT_TOO_LARGE')
  assert.match(lowered.message, /limitOutputPixels \(100\)/)
  const made = await call(dir, {
    fn: 'processImages',
    input,
    options: { width: 50, height: 50, outputDir: subDir(dir, 'out') },
    limits: { ...limits, limitInputPixels: 20_000 },
  })
  assert.equal(made.ok, true, JSON.stringify(made))
})

test('setLimits and getLimits in this process: bad values throw with a code, keys left out are kept', () => {
  const before = getLimits()
  assert.deepEqual(before, { limitInputPixels: 268402689, limitOutputPixels: 268402689, limitInputBytes: 268435456 })
  assert.throws(() => setLimits({ limitInputPixels: -1 }), { code: 'ERR_INVALID_OPTION' })
  assert.throws(() => setLimits({ width: 1 }), { code: 'ERR_INVALID_OPTION', message: /Unknown limit 'width'/ })
  assert.throws(() => setLimits(Object.create({ limitInputPixels: 1 })), { code: 'ERR_INVALID_OPTION' })
  assert.throws(() => setLimits('all'), { code: 'ERR_INVALID_OPTION' })
  assert.deepEqual(getLimits(), before, 'a refused call changes nothing')
  // Set the defaults explicitly (the rest of this file's tests run in children).
  setLimits({ limitOutputPixels: 268402689 })
  assert.deepEqual(getLimits(), before)
})

test('two inputs of one batch with the same output: the later fails with ERR_OUTPUT_EXISTS, whatever overwrite says', async (t) => {
  const dir = tmpDir(t)
  const [a, b, out] = ['a', 'b', 'out'].map((d) => subDir(dir, d))
  const red = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#f00' } })
    .jpeg()
    .toBuffer()
  const blue = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#00f' } })
    .jpeg()
    .toBuffer()
  fs.writeFileSync(path.join(a, 'x.jpg'), red)
  fs.writeFileSync(path.join(b, 'x.jpg'), blue)
  const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#0f0' } })
    .png()
    .toBuffer()
  fs.writeFileSync(path.join(a, 'y.png'), png)
  // BMP is written as PNG: y.bmp and y.png both map to processed_y.png.
  const bmp = Buffer.alloc(54 + 2 * 2 * 4)
  bmp.write('BM', 0)
  bmp.writeUInt32LE(bmp.length, 2)
  bmp.writeUInt32LE(54, 10)
  bmp.writeUInt32LE(40, 14)
  bmp.writeInt32LE(2, 18)
  bmp.writeInt32LE(2, 22)
  bmp.writeUInt16LE(1, 26)
  bmp.writeUInt16LE(24, 28)
  fs.writeFileSync(path.join(b, 'y.bmp'), bmp)
  for (const overwrite of [false, true]) {
    const results = await processImages(
      [path.join(b, 'x.jpg'), path.join(a, 'x.jpg'), path.join(a, 'y.png'), path.join(b, 'y.bmp')],
      { outputDir: out, overwrite, width: 20 },
    )
    if (overwrite) {
      assert.equal(results[0].success, true, JSON.stringify(results[0].error))
    }
    for (const [later, first] of [
      [1, 0],
      [3, 2],
    ]) {
      const r = results[later]
      assert.equal(r.success, false, `input ${later}`)
      assert.equal(r.error.code, 'ERR_OUTPUT_EXISTS')
      assert.match(r.error.message, new RegExp(`collides with input ${first} `))
      assert.equal(r.outputPath, results[first].outputPath)
    }
  }
  // The output is the first input's (blue), not a mix or the second's.
  const { data } = await decode(path.join(out, 'processed_x.jpg'))
  assert.ok(data[2] > 200 && data[0] < 60, `blue expected, got ${data.slice(0, 3).join(',')}`)
})
