// Reliability tests: bad inputs of every kind, options from untrusted JSON, data
// safety (inputs never modified, outputs never escape outputDir, no clobbering), a
// batch killed with SIGKILL mid-way, and a panic inside the pipeline.
//
// Every test works in a fresh temporary directory; every output is decoded again with
// sharp (a devDependency, used only as a reference decoder and to generate inputs).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { decode, killOnFirstOutput, ls, meanAbsDiff, photo, runNode, subDir, tmpDir } from './helpers.mjs'

const require = createRequire(import.meta.url)
const INDEX = require.resolve('../index.js')
const { processImages, processImage, metadata } = require(INDEX)

/** Copies a fixture (or writes a buffer) to `dir/name`; returns the path. */
function put(dir, name, source) {
  const p = path.join(dir, name)
  if (Buffer.isBuffer(source)) fs.writeFileSync(p, source)
  else fs.copyFileSync(source, p)
  return p
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')

/** Mean of each of the first three channels of a decoded image. */
function channelMeans({ data, info }) {
  const sums = [0, 0, 0]
  const n = info.width * info.height
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) sums[c] += data[i * info.channels + Math.min(c, info.channels - 1)]
  }
  return sums.map((s) => s / n)
}

/** Hashes every file of `files`, runs `fn`, and asserts none of them changed. */
async function inputsUnchanged(files, fn) {
  const before = files.map(sha256)
  const value = await fn()
  files.forEach((f, i) => assert.equal(sha256(f), before[i], `input ${f} was modified`))
  return value
}

/**
 * Asserts a failed result: the given code, a message, nothing written (the output path
 * does not exist, except for ERR_OUTPUT_EXISTS, where it existed before).
 */
function assertFailed(r, code, label) {
  assert.equal(r.success, false, `${label} should fail`)
  assert.equal(r.error?.code, code, `${label}: ${JSON.stringify(r.error)}`)
  assert.ok(r.error.message.length > 0, `${label}: empty message`)
  assert.equal(r.processedSize, 0, label)
  if (r.outputPath && code !== 'ERR_OUTPUT_EXISTS') {
    assert.ok(!fs.existsSync(r.outputPath), `${label}: ${r.outputPath} was written`)
  }
}

// ---------------------------------------------------------------------------------
// 1. Bad and unusual inputs: a documented code, never a crash.
// ---------------------------------------------------------------------------------

test('truncated PNG, WebP and GIF give ERR_INPUT_CORRUPT; the good file beside them succeeds', async (t) => {
  const dir = tmpDir(t)
  const out = subDir(dir, 'out')
  const png = fs.readFileSync(photo('coffee.png'))
  const webp = await sharp(photo('rocket.jpg')).webp({ quality: 80 }).toBuffer()
  const gif = await sharp(photo('rocket.jpg')).resize(200).gif().toBuffer()
  const inputs = [
    put(dir, 'truncated-half.png', png.subarray(0, png.length >> 1)),
    put(dir, 'truncated-header.png', png.subarray(0, 40)),
    put(dir, 'truncated-half.webp', webp.subarray(0, webp.length >> 1)),
    put(dir, 'truncated-riff.webp', webp.subarray(0, 20)),
    put(dir, 'truncated-half.gif', gif.subarray(0, gif.length >> 1)),
    put(dir, 'truncated-header.gif', gif.subarray(0, 11)),
    put(dir, 'good.png', photo('horse.png')),
  ]
  const results = await inputsUnchanged(inputs, () => processImages(inputs, { outputDir: out, width: 64 }))
  for (const r of results.slice(0, -1)) {
    const name = path.basename(r.originalPath)
    // A header cut before the format's magic is complete is not recognisable at all.
    const code =
      name === 'truncated-header.gif' ? ['ERR_INPUT_CORRUPT', 'ERR_INPUT_UNSUPPORTED'] : ['ERR_INPUT_CORRUPT']
    assert.ok(code.includes(r.error?.code), `${name}: ${JSON.stringify(r.error)}`)
    assertFailed(r, r.error.code, name)
  }
  assert.equal(results.at(-1).success, true, JSON.stringify(results.at(-1).error))
  assert.deepEqual(ls(out), ['processed_good.png'])
  // processImage (bytes in) rejects with the same code.
  await assert.rejects(processImage(png.subarray(0, png.length >> 1)), { code: 'ERR_INPUT_CORRUPT' })
  await assert.rejects(processImage(webp.subarray(0, webp.length >> 1)), { code: 'ERR_INPUT_CORRUPT' })
  await assert.rejects(processImage(gif.subarray(0, gif.length >> 1)), { code: 'ERR_INPUT_CORRUPT' })
})

test('a PNG named .jpg decodes by content and succeeds', async (t) => {
  const dir = tmpDir(t)
  const input = put(dir, 'really-a-png.jpg', photo('horse.png'))
  const [r] = await inputsUnchanged([input], () =>
    processImages([input], { outputDir: subDir(dir, 'out'), width: 100 }),
  )
  assert.equal(r.success, true, JSON.stringify(r.error))
  assert.equal(r.format, 'png')
  assert.equal((await sharp(r.outputPath).metadata()).format, 'png')
  const { info } = await decode(r.outputPath)
  assert.deepEqual([info.width, info.height], [100, 82])
})

test('a 16-bit PNG is read (converted to 8 bits) with the right colours', async (t) => {
  const dir = tmpDir(t)
  const [w, h] = [64, 48]
  const raw = new Uint16Array(w * h * 3)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3
      raw[i] = x * 1000
      raw[i + 1] = y * 1300
      raw[i + 2] = 40000
    }
  }
  const png16 = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toBuffer()
  const meta = await sharp(png16).metadata()
  assert.equal(meta.depth, 'ushort', 'the generated input is 16-bit')
  const input = put(dir, 'deep.png', png16)
  const [r] = await processImages([input], { outputDir: subDir(dir, 'out') })
  assert.equal(r.success, true, JSON.stringify(r.error))
  assert.deepEqual([r.width, r.height], [w, h])
  const got = await decode(r.outputPath)
  assert.equal(got.info.channels, 3)
  // 16 -> 8 bits: v / 257 (libvips uses v >> 8: within 1 either way).
  for (const [x, y] of [
    [0, 0],
    [10, 5],
    [63, 47],
    [32, 20],
  ]) {
    const o = (y * w + x) * 3
    const want = [x * 1000, y * 1300, 40000].map((v) => v / 257)
    const px = [...got.data.subarray(o, o + 3)]
    px.forEach((v, c) =>
      assert.ok(Math.abs(v - want[c]) <= 1.5, `(${x},${y}) channel ${c}: ${v} vs ${want[c].toFixed(1)}`),
    )
  }
  // And resized, through processImage.
  const small = await processImage(png16, { width: 32 })
  assert.deepEqual([small.info.width, small.info.height], [32, 24])
})

test('a CMYK JPEG is converted to RGB with plausible colours', async (t) => {
  const dir = tmpDir(t)
  const cmyk = await sharp(photo('rocket.jpg')).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer()
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk', 'the generated input is CMYK')
  const input = put(dir, 'cmyk.jpg', cmyk)
  const [r] = await processImages([input], { outputDir: subDir(dir, 'out') })
  assert.equal(r.success, true, JSON.stringify(r.error))
  const got = await decode(r.outputPath)
  assert.equal(got.info.channels, 3, 'output is RGB')
  assert.deepEqual([got.info.width, got.info.height], [640, 427])
  // sharp converts CMYK with ICC profiles; corepool with the plain formula. The colours
  // must still be close to both sharp's conversion and the original photo (an inverted
  // or channel-swapped conversion is off by 100+).
  const sharpRgb = await sharp(cmyk).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
  const original = await decode(photo('rocket.jpg'))
  const vsSharp = meanAbsDiff(got, sharpRgb)
  const vsOriginal = meanAbsDiff(got, original)
  t.diagnostic(
    `CMYK: mean abs diff vs sharp's conversion ${vsSharp.toFixed(1)}, vs the original ${vsOriginal.toFixed(1)}`,
  )
  assert.ok(vsSharp < 30, `vs sharp: ${vsSharp}`)
  assert.ok(vsOriginal < 30, `vs original: ${vsOriginal}`)
  const [m, o] = [channelMeans(got), channelMeans(original)]
  m.forEach((v, c) => assert.ok(Math.abs(v - o[c]) < 30, `channel ${c} mean ${v.toFixed(0)} vs ${o[c].toFixed(0)}`))
  // metadata() of a CMYK JPEG reports the RGB it will produce.
  const info = await metadata(cmyk)
  assert.equal(info.format, 'jpeg')
})

test('an animated GIF gives its first frame', async (t) => {
  const dir = tmpDir(t)
  const input = put(dir, 'animated.gif', photo('no_time_for_that_tiny.gif'))
  const meta = await sharp(input).metadata()
  assert.ok(meta.pages > 1, 'the fixture is animated')
  const [r] = await processImages([input], { outputDir: subDir(dir, 'out') })
  assert.equal(r.success, true, JSON.stringify(r.error))
  assert.equal(r.format, 'gif')
  const outMeta = await sharp(r.outputPath).metadata()
  assert.equal(outMeta.pages ?? 1, 1, 'one frame written')
  assert.deepEqual([outMeta.width, outMeta.height], [meta.width, meta.pageHeight ?? meta.height])
  // The first frame, not a blend or another frame.
  const firstFrame = await sharp(input, { pages: 1 }).png().toBuffer()
  const [a, b] = await Promise.all([
    decode(r.outputPath),
    sharp(firstFrame).ensureAlpha().raw().toBuffer({ resolveWithObject: true }),
  ])
  const diff = meanAbsDiff(a, b)
  assert.ok(diff < 12, `first frame differs by ${diff}`)
})

test('width: 0 is ERR_INVALID_OPTION (processImages, processImage)', async (t) => {
  const dir = tmpDir(t)
  const out = subDir(dir, 'out')
  await assert.rejects(processImages([photo('rocket.jpg')], { width: 0, outputDir: out }), {
    code: 'ERR_INVALID_OPTION',
  })
  await assert.rejects(processImage(fs.readFileSync(photo('rocket.jpg')), { width: 0 }), { code: 'ERR_INVALID_OPTION' })
  assert.deepEqual(ls(out), [])
})

test('a directory, a missing file and a symlink loop give ERR_INPUT_NOT_FOUND', async (t) => {
  const dir = tmpDir(t)
  const out = subDir(dir, 'out')
  const a = path.join(dir, 'a.jpg')
  const b = path.join(dir, 'b.jpg')
  fs.symlinkSync(b, a)
  fs.symlinkSync(a, b)
  const folder = subDir(dir, 'folder.png')
  const dangling = path.join(dir, 'dangling.png')
  fs.symlinkSync(path.join(dir, 'nowhere.png'), dangling)
  const inputs = [folder, a, b, dangling, path.join(dir, 'missing.png'), photo('rocket.jpg')]
  const results = await processImages(inputs, { outputDir: out, width: 50 })
  for (const r of results.slice(0, -1)) assertFailed(r, 'ERR_INPUT_NOT_FOUND', path.basename(r.originalPath))
  assert.equal(results.at(-1).success, true, JSON.stringify(results.at(-1).error))
  assert.deepEqual(ls(out), ['processed_rocket.jpg'])
  for (const p of [folder, a, dangling]) {
    await assert.rejects(processImage(p), { code: 'ERR_INPUT_NOT_FOUND' }, p)
    await assert.rejects(metadata(p), { code: 'ERR_INPUT_NOT_FOUND' }, p)
  }
})

test('an unreadable file gives ERR_INPUT_NOT_FOUND', async (t) => {
  const dir = tmpDir(t)
  const input = put(dir, 'secret.jpg', photo('rocket.jpg'))
  fs.chmodSync(input, 0o000)
  t.after(() => fs.rmSync(input, { force: true }))
  let readable = true
  try {
    fs.readFileSync(input)
  } catch {
    readable = false
  }
  if (!readable) {
    const [r] = await processImages([input], { outputDir: subDir(dir, 'out') })
    assertFailed(r, 'ERR_INPUT_NOT_FOUND', 'mode 000')
    return
  }
  if (process.getuid?.() !== 0) {
    t.skip('mode 000 is still readable by this user: cannot test unreadable files here')
    return
  }
  // Root reads anything: run the call as nobody (uid 65534) in a child process, with a
  // readable file beside the unreadable one to show that the child can work at all.
  const open = put(dir, 'open.jpg', photo('rocket.jpg'))
  const out = subDir(dir, 'out')
  fs.chmodSync(dir, 0o755)
  fs.chmodSync(open, 0o644)
  fs.chmodSync(out, 0o777)
  const script = path.join(dir, 'unreadable.cjs')
  fs.writeFileSync(
    script,
    `const { processImages } = require(${JSON.stringify(INDEX)})
processImages(${JSON.stringify([input, open])}, { outputDir: ${JSON.stringify(out)} }).then((r) => process.stdout.write(JSON.stringify(r)))`,
  )
  fs.chmodSync(script, 0o644)
  const child = await runNode(script, { uid: 65534, gid: 65534, cwd: dir })
  assert.equal(child.code, 0, child.stderr)
  const [secret, readableOne] = JSON.parse(child.stdout)
  assertFailed(secret, 'ERR_INPUT_NOT_FOUND', 'mode 000, as nobody')
  assert.equal(readableOne.success, true, JSON.stringify(readableOne.error))
  assert.deepEqual(ls(out), ['processed_open.jpg'])
})

test('non-ASCII and very long file names work; the output is processed_<name>', async (t) => {
  const dir = tmpDir(t)
  const out = subDir(dir, 'out')
  const unicode = 'фото 写真 ü.jpg'
  // 240 bytes with the extension; the output adds 'processed_' (10 bytes): 250 <= 255.
  const long = 'l'.repeat(236) + '.png'
  // Multi-byte characters near the limit too: 3-byte CJK characters, 234 bytes + '.png'.
  const longUnicode = '写'.repeat(78) + '.png'
  assert.equal(Buffer.byteLength(long), 240)
  assert.equal(Buffer.byteLength(longUnicode), 238)
  const inputs = [
    put(dir, unicode, photo('rocket.jpg')),
    put(dir, long, photo('horse.png')),
    put(dir, longUnicode, photo('logo.png')),
  ]
  const results = await inputsUnchanged(inputs, () => processImages(inputs, { outputDir: out, width: 40 }))
  for (const [i, r] of results.entries()) {
    assert.equal(r.success, true, `${inputs[i]}: ${JSON.stringify(r.error)}`)
    assert.equal(r.originalPath, inputs[i])
    assert.equal(r.outputPath, path.join(out, `processed_${path.basename(inputs[i])}`))
    assert.equal((await decode(r.outputPath)).info.width, 40)
  }
  assert.deepEqual(ls(out), [unicode, long, longUnicode].map((n) => `processed_${n}`).sort())
  // Beside the input too (no outputDir), and through processImage/metadata by path.
  const [beside] = await processImages([inputs[0]], { width: 20 })
  assert.equal(beside.success, true, JSON.stringify(beside.error))
  assert.equal(beside.outputPath, path.join(dir, `processed_${unicode}`))
  assert.equal((await metadata(inputs[0])).width, 640)
  assert.equal((await processImage(inputs[1], { width: 10 })).info.width, 10)
})

test('an output name over the file system limit fails that file with ERR_OUTPUT_WRITE', async (t) => {
  const dir = tmpDir(t)
  const out = subDir(dir, 'out')
  // 250 bytes: fine as an input, 260 with the prefix: over NAME_MAX (255).
  const input = put(dir, 'n'.repeat(246) + '.png', photo('horse.png'))
  const [r, ok] = await processImages([input, photo('rocket.jpg')], { outputDir: out, width: 20 })
  assertFailed(r, 'ERR_OUTPUT_WRITE', 'name too long')
  assert.equal(ok.success, true, JSON.stringify(ok.error))
  assert.deepEqual(ls(out), ['processed_rocket.jpg'], 'no temporary file left behind')
})

// ---------------------------------------------------------------------------------
// 2. Options from untrusted JSON: rejected before any work.
// ---------------------------------------------------------------------------------

const HOSTILE_VALUES = [
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['1e12', 1e12],
  ['-5', -5],
  ["'800'", '800'],
  ['{}', {}],
  ['[]', []],
  ['true', true],
  ['1.5', 1.5],
  ['null-prototype object', Object.create(null)],
  ['a BigInt', 800n],
  ['a Symbol', Symbol('x')],
  ['a function', () => 800],
]

// rotation accepts any finite number (other angles rotate with a background fill, as
// in sharp), so -5, 1e12 and 1.5 are valid there; the rest must be refused.
const VALID_ROTATIONS = new Set(['1e12', '-5', '1.5'])

test('hostile values for width/height/quality/rotation reject with ERR_INVALID_OPTION and write nothing', async (t) => {
  const dir = tmpDir(t)
  const input = put(dir, 'in.png', photo('horse.png'))
  const out = subDir(dir, 'out')
  const bytes = fs.readFileSync(input)
  await inputsUnchanged([input], async () => {
    for (const key of ['width', 'height', 'quality', 'rotation']) {
      for (const [label, value] of HOSTILE_VALUES) {
        if (key === 'rotation' && VALID_ROTATIONS.has(label)) continue
        const what = `${key}: ${label}`
        let called
        try {
          // A synchronous throw is as good as a rejection, as long as it is coded.
          called = processImages([input], { [key]: value, outputDir: out })
        } catch (e) {
          assert.equal(e.code, 'ERR_INVALID_OPTION', `${what} (sync): ${e.message}`)
          continue
        }
        await assert.rejects(
          called,
          (e) => {
            assert.equal(e.code, 'ERR_INVALID_OPTION', `${what}: ${e.code} ${e.message}`)
            assert.match(e.message, new RegExp(key), `${what}: the message names the option`)
            return true
          },
          what,
        )
        await assert.rejects(
          (async () => processImage(bytes, { [key]: value }))(),
          { code: 'ERR_INVALID_OPTION' },
          `processImage ${what}`,
        )
      }
    }
  })
  assert.deepEqual(ls(out), [], 'nothing was written')
  assert.deepEqual(ls(dir), ['in.png', 'out'], 'nothing was written beside the input')
})

test('valid-but-odd rotations (-5, 1e12, 1.5 degrees) are processed, not crashed on', async () => {
  const bytes = fs.readFileSync(photo('horse.png'))
  for (const rotation of [-5, 1e12, 1.5, -270, 720]) {
    const { data, info } = await processImage(bytes, { width: 40, rotation })
    const meta = await sharp(data).metadata()
    assert.deepEqual([meta.width, meta.height], [info.width, info.height], `rotation ${rotation}`)
  }
})

test('options parsed from untrusted JSON text: bad shapes reject, __proto__ is not honoured', async (t) => {
  const dir = tmpDir(t)
  const input = put(dir, 'in.jpg', photo('rocket.jpg'))
  const out = subDir(dir, 'out')
  const bad = [
    '{"width":"800"}',
    '{"width":1e12}',
    '{"height":-5}',
    '{"quality":{}}',
    '{"rotation":[]}',
    '{"width":true}',
    '{"width":null,"height":0}',
    '{"__proto__":{"width":5}}',
    '{"constructor":{"prototype":{"width":5}}}',
    '{"format":"exe"}',
    '{"outputDir":""}',
    '{"prefix":"../"}',
    '{"suffix":"/x"}',
    '{"limitInputPixels":-1}',
    '{"concurrency":0}',
    '"800x600"',
    '800',
    '[800,600]',
  ]
  for (const text of bad) {
    const opts = JSON.parse(text)
    if (opts && typeof opts === 'object' && !Array.isArray(opts) && !('outputDir' in opts)) opts.outputDir = out
    await assert.rejects((async () => processImages([input], opts))(), { code: 'ERR_INVALID_OPTION' }, text)
  }
  assert.deepEqual(ls(out), [], 'nothing was written')
  // A prototype-polluting payload does not reach other objects.
  assert.equal({}.width, undefined)
})

// ---------------------------------------------------------------------------------
// 3. Data safety.
// ---------------------------------------------------------------------------------

test('same folder, same format, prefix "" without overwrite: ERR_OUTPUT_EXISTS, input bytes unchanged', async (t) => {
  const dir = tmpDir(t)
  const inputs = [put(dir, 'a.jpg', photo('rocket.jpg')), put(dir, 'b.png', photo('horse.png'))]
  const results = await inputsUnchanged(inputs, () => processImages(inputs, { prefix: '', width: 50 }))
  for (const [i, r] of results.entries()) {
    assertFailed(r, 'ERR_OUTPUT_EXISTS', path.basename(inputs[i]))
    assert.equal(r.outputPath, inputs[i])
  }
  // The same with outputDir pointing at the input's own folder.
  const again = await inputsUnchanged(inputs, () => processImages(inputs, { prefix: '', outputDir: dir, width: 50 }))
  for (const r of again) assert.equal(r.error?.code, 'ERR_OUTPUT_EXISTS', JSON.stringify(r.error))
  // And through a differently spelled path to the same folder.
  const dotted = inputs.map((p) => path.join(dir, '.', 'x', '..', path.basename(p)))
  const third = await inputsUnchanged(inputs, () => processImages(dotted, { prefix: '', width: 50 }))
  for (const r of third) assert.equal(r.error?.code, 'ERR_OUTPUT_EXISTS', JSON.stringify(r.error))
  assert.deepEqual(ls(dir), ['a.jpg', 'b.png'], 'no stray files')
})

test('overwrite:true with prefix "" replaces the input atomically with a complete image', async (t) => {
  const dir = tmpDir(t)
  const input = put(dir, 'a.jpg', photo('rocket.jpg'))
  const [r] = await processImages([input], { prefix: '', overwrite: true, width: 50 })
  assert.equal(r.success, true, JSON.stringify(r.error))
  assert.equal(r.outputPath, input)
  const { info } = await decode(input)
  assert.deepEqual([info.width, info.height], [50, 33])
  assert.deepEqual(ls(dir), ['a.jpg'], 'no temporary file left')
})

test('a traversal-looking relative input path never writes outside outputDir', async (t) => {
  const dir = tmpDir(t)
  const inputsDir = subDir(dir, 'in')
  const out = subDir(dir, 'out')
  const work = subDir(dir, 'work')
  put(inputsDir, 'x.png', photo('horse.png'))
  // Run in a child whose cwd is `work`, so '../in/x.png' is a real relative path.
  const script = path.join(dir, 'traverse.cjs')
  fs.writeFileSync(
    script,
    `const { processImages } = require(${JSON.stringify(INDEX)})
processImages(['../in/x.png', '../in/../in/x.png', './../in/x.png'], { outputDir: ${JSON.stringify(out)}, width: 30, suffix: '-s' })
  .then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(2) })`,
  )
  const before = sha256(path.join(inputsDir, 'x.png'))
  const child = await runNode(script, { cwd: work })
  assert.equal(child.code, 0, child.stderr)
  const results = JSON.parse(child.stdout)
  // All three spellings name the same target in outputDir; they run in parallel, so
  // exactly one of them writes it and the others find it existing.
  for (const r of results) {
    assert.equal(path.resolve(work, r.outputPath), path.join(out, 'processed_x-s.png'), r.outputPath)
  }
  const winners = results.filter((r) => r.success)
  assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.error)))
  for (const r of results.filter((r) => !r.success)) {
    assert.equal(r.error?.code, 'ERR_OUTPUT_EXISTS', JSON.stringify(r.error))
  }
  assert.deepEqual(ls(out), ['processed_x-s.png'])
  assert.deepEqual(ls(inputsDir), ['x.png'])
  assert.deepEqual(ls(work), [])
  assert.deepEqual(ls(dir), ['in', 'out', 'traverse.cjs', 'work'])
  assert.equal(sha256(path.join(inputsDir, 'x.png')), before)
})

test('an input path that is a symlink to a file outside: output still goes to outputDir by the link name', async (t) => {
  const dir = tmpDir(t)
  const out = subDir(dir, 'out')
  const link = path.join(dir, 'link.png')
  fs.symlinkSync(photo('horse.png'), link)
  const before = sha256(photo('horse.png'))
  const [r] = await processImages([link], { outputDir: out, width: 20 })
  assert.equal(r.success, true, JSON.stringify(r.error))
  assert.equal(r.outputPath, path.join(out, 'processed_link.png'))
  assert.equal(sha256(photo('horse.png')), before)
  assert.deepEqual(ls(out), ['processed_link.png'])
})

test('an existing output that is a symlink is never written through', async (t) => {
  const dir = tmpDir(t)
  const out = subDir(dir, 'out')
  const victim = put(dir, 'victim.txt', Buffer.from('precious'))
  fs.symlinkSync(victim, path.join(out, 'processed_rocket.jpg'))
  const [r] = await processImages([photo('rocket.jpg')], { outputDir: out, width: 20 })
  assertFailed(r, 'ERR_OUTPUT_EXISTS', 'symlinked output')
  assert.equal(fs.readFileSync(victim, 'utf8'), 'precious')
  // With overwrite the link itself is replaced (rename), the target is untouched.
  const [o] = await processImages([photo('rocket.jpg')], { outputDir: out, width: 20, overwrite: true })
  assert.equal(o.success, true, JSON.stringify(o.error))
  assert.equal(fs.readFileSync(victim, 'utf8'), 'precious')
  assert.equal(fs.lstatSync(path.join(out, 'processed_rocket.jpg')).isSymbolicLink(), false)
})

// ---------------------------------------------------------------------------------
// 4. SIGKILL mid-batch: no partial file under a final name.
// ---------------------------------------------------------------------------------

test('SIGKILL during a batch leaves only complete files under final names', async (t) => {
  const dir = tmpDir(t)
  const inputsDir = subDir(dir, 'in')
  const out = subDir(dir, 'out')
  const N = 40
  const inputs = []
  for (let i = 0; i < N; i++)
    inputs.push(put(inputsDir, `hubble-${String(i).padStart(2, '0')}.jpg`, photo('hubble_deep_field.jpg')))
  const script = path.join(dir, 'batch.cjs')
  fs.writeFileSync(
    script,
    `const { processImages } = require(${JSON.stringify(INDEX)})
const inputs = ${JSON.stringify(inputs)}
processImages(inputs, { outputDir: ${JSON.stringify(out)}, width: 1000, format: 'png' }).then(() => process.stdout.write('finished'))`,
  )
  let killedAfter = -1
  const child = await runNode(script, {
    onSpawn: (proc) => killOnFirstOutput(proc, out, { onKill: (ms) => (killedAfter = ms) }),
  })
  assert.equal(child.signal, 'SIGKILL', `the child was not killed (exit ${child.code}): ${child.stderr}`)
  const names = ls(out)
  const finals = names.filter((n) => n.startsWith('processed_'))
  const temps = names.filter((n) => /^\.corepool-.*\.tmp$/.test(n))
  const other = names.filter((n) => !finals.includes(n) && !temps.includes(n))
  t.diagnostic(
    `killed ${killedAfter} ms after spawn: ${finals.length}/${N} final outputs, ${temps.length} .corepool-*.tmp leftovers`,
  )
  assert.deepEqual(other, [], 'every file has a final name or a .corepool-*.tmp name')
  assert.ok(finals.length >= 1, 'at least one output was complete')
  for (const name of finals) {
    assert.match(name, /^processed_hubble-\d\d\.png$/)
    // A partial file would fail to decode completely (sharp fails on truncated PNG data).
    const { info } = await decode(path.join(out, name), { failOn: 'truncated' })
    assert.deepEqual([info.width, info.height], [1000, 872], name)
  }
  // Inputs untouched.
  for (const p of inputs) assert.equal(fs.statSync(p).size, fs.statSync(photo('hubble_deep_field.jpg')).size)
})

// ---------------------------------------------------------------------------------
// 5. A panic in the pipeline: ERR_INTERNAL for that file, nothing on stderr.
// ---------------------------------------------------------------------------------

test('a panic becomes ERR_INTERNAL for that file only; the process exits 0 and stderr stays empty', async (t) => {
  const dir = tmpDir(t)
  const out = subDir(dir, 'out')
  const inputs = [
    put(dir, 'good.png', photo('horse.png')),
    put(dir, 'panic-me.png', photo('horse.png')),
    put(dir, 'good2.png', photo('logo.png')),
  ]
  const script = path.join(dir, 'panic.cjs')
  fs.writeFileSync(
    script,
    `const { processImages, processImage } = require(${JSON.stringify(INDEX)})
;(async () => {
  const results = await processImages(${JSON.stringify(inputs)}, { outputDir: ${JSON.stringify(out)}, width: 32 })
  // The process keeps working after a panic.
  const after = await processImage(${JSON.stringify(inputs[0])}, { width: 8 })
  process.stdout.write(JSON.stringify({ results, after: after.info }))
})().catch((e) => { process.stdout.write('REJECTED ' + e.code + ' ' + e.message); process.exitCode = 3 })`,
  )
  const child = await runNode(script, { env: { COREPOOL_TEST_PANIC: 'panic-me' } })
  assert.equal(child.signal, null)
  assert.equal(child.code, 0, `exit ${child.code}; stdout: ${child.stdout}; stderr: ${child.stderr}`)
  assert.equal(child.stderr, '', 'nothing is printed to stderr')
  const { results, after } = JSON.parse(child.stdout)
  assert.equal(results.length, 3)
  assert.equal(results[0].success, true, JSON.stringify(results[0].error))
  assertFailed(results[1], 'ERR_INTERNAL', 'panic-me.png')
  assert.equal(results[2].success, true, JSON.stringify(results[2].error))
  assert.equal(after.width, 8)
  assert.deepEqual(ls(out), ['processed_good.png', 'processed_good2.png'])
})

// ---------------------------------------------------------------------------------
// 6. Known corepool bugs (marked todo until fixed in src/; see crates/core/tests/fuzz.rs KB1-KB3).
// ---------------------------------------------------------------------------------

/**
 * A GIF whose logical screen is `screenW x screenH` but whose only frame, at (0, 0), is
 * `frameW x frameH` pixels of colour 0 (red), LZW-coded as compactly as GIF allows.
 */
function gifFrameBomb(screenW, screenH, frameW, frameH) {
  const codes = [[4, 3]] // [code, width]: clear
  const lens = new Map([[0, 1]])
  let [size, next, prev, remaining] = [3, 6, -1, frameW * frameH]
  while (remaining > 0) {
    let code
    if (prev < 0) code = 0
    else if (next < 4096 && lens.get(prev) < remaining)
      code = next // one pixel longer
    else {
      const want = Math.min(remaining, next < 4096 ? lens.get(prev) : 4091)
      code = want === 1 ? 0 : 6 + (want - 2)
    }
    codes.push([code, size])
    if (prev >= 0 && next < 4096) {
      lens.set(next, lens.get(prev) + 1)
      next++
      if (next === 1 << size && size < 12) size++
    }
    remaining -= lens.get(code)
    prev = code
  }
  codes.push([5, size]) // end of information
  const data = []
  let [acc, bits] = [0, 0]
  for (const [code, width] of codes) {
    acc |= code << bits
    bits += width
    while (bits >= 8) {
      data.push(acc & 0xff)
      acc >>>= 8
      bits -= 8
    }
  }
  if (bits > 0) data.push(acc & 0xff)
  const u16 = (v) => [v & 0xff, v >> 8]
  const head = [
    ...Buffer.from('GIF89a'),
    ...u16(screenW),
    ...u16(screenH),
    0x81,
    0,
    0,
    255,
    0,
    0,
    0,
    255,
    0,
    0,
    0,
    255,
    255,
    255,
    255,
  ]
  head.push(0x2c, 0, 0, 0, 0, ...u16(frameW), ...u16(frameH), 0, 2)
  const blocks = []
  for (let i = 0; i < data.length; i += 255) {
    const chunk = data.slice(i, i + 255)
    blocks.push(chunk.length, ...chunk)
  }
  return Buffer.from([...head, ...blocks, 0, 0x3b])
}

test('the GIF frame generator makes valid GIFs (frame = screen)', async () => {
  const gif = gifFrameBomb(300, 200, 300, 200)
  const { data, info } = await decode(gif)
  assert.deepEqual([info.width, info.height], [300, 200])
  assert.deepEqual([...data.subarray(0, 3)], [255, 0, 0])
  const out = await processImage(gif, { format: 'png' })
  assert.deepEqual([out.info.width, out.info.height], [300, 200])
})

// KB1. A 16x16-screen GIF whose frame is 2000x2000 passes limitInputPixels: 1e6 (only
// the screen size is checked) and the whole 4 Mpx frame is decoded. At the default
// limit a 150 KB GIF with a 20000x20000 frame (400 Mpx) decodes in ~4 s at ~2 GB RSS,
// and succeeds with a 16x16 output. sharp rejects it: "Input image exceeds pixel limit".
test('KB1: a GIF frame larger than limitInputPixels is rejected', async () => {
  const gif = gifFrameBomb(16, 16, 2000, 2000)
  await assert.rejects(sharp(gif, { limitInputPixels: 1_000_000 }).toBuffer(), /pixel limit/, 'sharp rejects it')
  await assert.rejects(processImage(gif, { limitInputPixels: 1_000_000 }), { code: 'ERR_INPUT_TOO_LARGE' })
})

// KB2. grayscale + an input with alpha + TIFF output: the La8 raster cannot be encoded.
test('KB2: grayscale of an image with alpha can be written as TIFF', async (t) => {
  const dir = tmpDir(t)
  const [r] = await processImages([photo('horse.png')], { outputDir: dir, grayscale: true, format: 'tiff', width: 50 })
  assert.equal(r.success, true, JSON.stringify(r.error))
  const meta = await sharp(r.outputPath).metadata()
  assert.equal(meta.format, 'tiff')
})

// KB3. A valid 64x16 PNG resized with { width: 64, height: 48 } (cover) kills the whole
// process with SIGSEGV inside fast_image_resize (see crates/core/tests/fuzz.rs for the analysis).
test('KB3: a cover crop of a 64x16 PNG to 64x48 does not crash the process', async (t) => {
  const dir = tmpDir(t)
  const input = put(
    dir,
    'wide.png',
    await sharp({ create: { width: 64, height: 16, channels: 4, background: '#0c8' } })
      .png()
      .toBuffer(),
  )
  const script = path.join(dir, 'kb3.cjs')
  fs.writeFileSync(
    script,
    `const { processImage } = require(${JSON.stringify(INDEX)})
processImage(${JSON.stringify(input)}, { width: 64, height: 48 }).then((r) => process.stdout.write(JSON.stringify(r.info)))`,
  )
  const child = await runNode(script)
  assert.equal(child.signal, null, `the process was killed by ${child.signal}`)
  assert.equal(child.code, 0, child.stderr)
  const info = JSON.parse(child.stdout)
  assert.deepEqual([info.width, info.height], [64, 48])
})

// KB4. A free-angle rotation of a resized thin image: the rotated canvas is never
// checked against limitInputPixels. 1x20000 PNG, width 64, rotation 30: the process
// aborts ("memory allocation of 2128589309925 bytes failed").
test('KB4: a huge rotated canvas is rejected, not allocated', async (t) => {
  const dir = tmpDir(t)
  const input = put(
    dir,
    'thin.png',
    await sharp({ create: { width: 1, height: 20000, channels: 3, background: '#c40' } })
      .png()
      .toBuffer(),
  )
  const script = path.join(dir, 'kb4.cjs')
  fs.writeFileSync(
    script,
    `const { processImage } = require(${JSON.stringify(INDEX)})
processImage(${JSON.stringify(input)}, { width: 64, rotation: 30 }).then(
  (r) => process.stdout.write('OK ' + JSON.stringify(r.info)),
  (e) => process.stdout.write('REJECTED ' + e.code),
)`,
  )
  const child = await runNode(script)
  assert.equal(child.signal, null, `the process was killed by ${child.signal}: ${child.stderr.split('\n')[0]}`)
  assert.equal(child.code, 0, child.stderr)
  assert.equal(child.stdout, 'REJECTED ERR_INPUT_TOO_LARGE')
})

// KB5 / KB6. An output larger than the format allows (GIF: 65535 px a side, WebP:
// 16383) is reported as ERR_INTERNAL (a "bug in corepool" by the contract); for WebP it
// is a panic inside the webp crate, caught by the binding.
for (const [bug, format] of [
  ['KB5', 'gif'],
  ['KB6', 'webp'],
]) {
  test(`${bug}: an output too large for ${format} gets a documented error code, not ERR_INTERNAL`, async (t) => {
    const thin = await sharp({ create: { width: 1, height: 2000, channels: 3, background: '#246' } })
      .png()
      .toBuffer()
    await assert.rejects(processImage(thin, { width: 64, format }), (e) => {
      assert.ok(typeof e.code === 'string' && e.code.startsWith('ERR_'), `uncoded: ${e}`)
      assert.notEqual(e.code, 'ERR_INTERNAL', e.message)
      return true
    })
  })
}

// KB8. The per-thread resizer keeps its premultiplied-alpha buffer (w x h x 4 bytes of
// the largest RGBA image it resized) for the life of the pool thread.
test('KB8: memory used for a large RGBA image is released after the call', async (t) => {
  const dir = tmpDir(t)
  const script = path.join(dir, 'kb8.cjs')
  fs.writeFileSync(
    script,
    `const sharp = require(${JSON.stringify(require.resolve('sharp'))})
const { processImage } = require(${JSON.stringify(INDEX)})
const rss = () => process.memoryUsage().rss / 1048576
const settle = () => { gc(); return new Promise((r) => setTimeout(r, 300)) }
;(async () => {
  const big = await sharp({ create: { width: 4000, height: 4000, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 0.5 } } }).png().toBuffer()
  const small = await sharp({ create: { width: 100, height: 100, channels: 4, background: '#0f0' } }).png().toBuffer()
  for (let i = 0; i < 20; i++) await processImage(small, { width: 50 })
  await settle()
  const before = rss()
  await Promise.all([processImage(big, { width: 64 }), processImage(big, { width: 64 })])
  for (let i = 0; i < 50; i++) await processImage(small, { width: 50 })
  await settle()
  process.stdout.write(JSON.stringify({ before, after: rss() }))
})()`,
  )
  const child = await runNode(script, { nodeArgs: ['--expose-gc'] })
  assert.equal(child.code, 0)
  const { before, after } = JSON.parse(child.stdout)
  t.diagnostic(`RSS before ${before.toFixed(0)} MiB, after two 4000x4000 RGBA images ${after.toFixed(0)} MiB`)
  assert.ok(after - before < 40, `RSS grew by ${(after - before).toFixed(0)} MiB and stayed there`)
})

// KB9 (fixed). An enlarging cover crop of a very thin image: 1x65535 -> 1000x1000 once
// asked for the whole 1000x65535000 scaled image (~196 GB). Only the window that
// survives the crop is computed now; sharp produces the same 1000x1000 image.
test('KB9: an enlarging cover crop of a 1x65535 image stays proportional to the output', async (t) => {
  const dir = tmpDir(t)
  const input = put(
    dir,
    'thin.png',
    await sharp({ create: { width: 1, height: 65535, channels: 3, background: '#c40' } })
      .png()
      .toBuffer(),
  )
  const output = path.join(dir, 'square.png')
  const script = path.join(dir, 'kb9.cjs')
  fs.writeFileSync(
    script,
    `const fs = require('node:fs')
const { processImage } = require(${JSON.stringify(INDEX)})
processImage(${JSON.stringify(input)}, { width: 1000, height: 1000 }).then(
  (r) => { fs.writeFileSync(${JSON.stringify(output)}, r.data); process.stdout.write(JSON.stringify({ ...r.info, rss: process.memoryUsage().rss })) },
  (e) => process.stdout.write(JSON.stringify({ code: e.code, message: e.message })),
)`,
  )
  const child = await runNode(script)
  assert.equal(child.signal, null, `the process was killed by ${child.signal}: ${child.stderr.split('\n')[0]}`)
  assert.equal(child.code, 0, child.stderr)
  const info = JSON.parse(child.stdout)
  assert.deepEqual([info.width, info.height], [1000, 1000], child.stdout)
  assert.ok(info.rss < 512 * 1048576, `RSS ${info.rss >> 20} MiB`)
  // The strip is one colour, so is every pixel of the square.
  const { data, info: decoded } = await decode(output)
  assert.deepEqual([decoded.width, decoded.height], [1000, 1000])
  for (let i = 0; i < data.length; i += decoded.channels) {
    if (data[i] !== 0xcc || data[i + 1] !== 0x44 || data[i + 2] !== 0)
      assert.fail(`pixel ${i / decoded.channels} is ${[...data.subarray(i, i + 3)]}`)
  }
})
