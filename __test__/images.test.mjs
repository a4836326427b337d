// Tests for processImages, processImage and metadata.
//
// Every output is decoded again with sharp (used here only as a decoder and as the
// reference for resize dimensions), so a wrong size, a wrong pixel or a broken file
// fails the test instead of being compared with what corepool itself reported.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { PHOTOS, bad, decode, ls, meanAbsDiff, photo, subDir, tmpDir } from './helpers.mjs'

const { processImages, processImage, metadata } = createRequire(import.meta.url)('../index.js')

/** The RGB(A) pixel at (x, y) of a decoded image, as [r, g, b] (grey is repeated). */
function pixelAt({ data, info }, x, y) {
  const i = (y * info.width + x) * info.channels
  if (info.channels <= 2) return [data[i], data[i], data[i]]
  return [data[i], data[i + 1], data[i + 2]]
}

/** Asserts that every pixel of a decoded image is grey (R=G=B within `tol`, or 1-2 channels). */
function assertGrey(decoded, label, tol = 0) {
  const { data, info } = decoded
  if (info.channels <= 2) return
  for (let i = 0; i < info.width * info.height; i++) {
    const o = i * info.channels
    const r = data[o]
    const g = data[o + 1]
    const b = data[o + 2]
    if (Math.abs(r - g) > tol || Math.abs(g - b) > tol || Math.abs(r - b) > tol) {
      const x = i % info.width
      const y = Math.floor(i / info.width)
      assert.fail(`${label}: pixel (${x},${y}) is not grey: rgb(${r},${g},${b})`)
    }
  }
}

/** A `w`x`h` RGB PNG/JPEG whose top-left quadrant is red and the rest blue. */
async function quadrantImage(w, h, format = 'png', orientation) {
  const raw = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3
      const red = x < w / 2 && y < h / 2
      raw[o] = red ? 255 : 0
      raw[o + 1] = 0
      raw[o + 2] = red ? 0 : 255
    }
  }
  let img = sharp(raw, { raw: { width: w, height: h, channels: 3 } })
  img = format === 'png' ? img.png() : img.jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
  if (orientation) img = img.withMetadata({ orientation })
  return img.toBuffer()
}

const isRed = ([r, g, b]) => r > 200 && g < 60 && b < 60
const isBlue = ([r, g, b]) => r < 60 && g < 60 && b > 200

/** Which quadrants of a decoded image are red: a string like 'TL', 'TR', 'BL', 'BR'. */
function redQuadrants(decoded) {
  const { width: w, height: h } = decoded.info
  const centres = {
    TL: [Math.floor(w / 4), Math.floor(h / 4)],
    TR: [Math.floor((3 * w) / 4), Math.floor(h / 4)],
    BL: [Math.floor(w / 4), Math.floor((3 * h) / 4)],
    BR: [Math.floor((3 * w) / 4), Math.floor((3 * h) / 4)],
  }
  const red = []
  for (const [name, [x, y]] of Object.entries(centres)) {
    const p = pixelAt(decoded, x, y)
    if (isRed(p)) red.push(name)
    else assert.ok(isBlue(p), `quadrant ${name} at (${x},${y}) is neither red nor blue: rgb(${p})`)
  }
  return red.join(',')
}

// ---------------------------------------------------------------------------------
// 1. Fit table: dimensions equal sharp's resize() for the same options.
// ---------------------------------------------------------------------------------

/**
 * The fit table's inputs, with a portrait JPEG generated into `dir`: landscape JPEGs,
 * the portrait (rocket.jpg rotated, 427x640) and a square PNG.
 */
async function fitInputs(dir) {
  const portrait = path.join(dir, 'portrait.jpg')
  await sharp(photo('rocket.jpg')).rotate(90).jpeg({ quality: 90 }).toFile(portrait)
  const m = await sharp(portrait).metadata()
  assert.deepEqual([m.width, m.height], [427, 640], 'generated portrait input')
  const paths = [photo('rocket.jpg'), photo('hubble_deep_field.jpg'), portrait, photo('astronaut.png')]
  return { paths, bytes: paths.map((p) => fs.readFileSync(p)) }
}

const FIT_TARGETS = [
  [800, 600],
  [600, 800],
  [320, null],
  [null, 320],
  [100, 100],
]

// Known corepool bugs, found by this table (see the cover sweep test below for the first).

for (const fit of ['cover', 'contain', 'fill', 'inside', 'outside']) {
  test(`fit table (${fit}): output dimensions and pixels match sharp resize() for every target and input`, async (t) => {
    const dir = tmpDir(t)
    const { paths: inputs, bytes } = await fitInputs(dir)
    // Every mismatch is collected, so one failure shows the whole pattern.
    const mismatches = []
    let n = 0
    for (const [width, height] of FIT_TARGETS) {
      for (const withoutEnlargement of [false, true]) {
        const label = `fit=${fit} ${width}x${height} withoutEnlargement=${withoutEnlargement}`
        const outputDir = subDir(dir, `case${n++}`)
        const options = { fit, withoutEnlargement, outputDir }
        if (width !== null) options.width = width
        if (height !== null) options.height = height
        const results = await processImages(inputs, options)
        assert.equal(results.length, inputs.length, label)
        for (let i = 0; i < inputs.length; i++) {
          const r = results[i]
          const name = path.basename(inputs[i])
          assert.equal(r.originalPath, inputs[i], `${label} ${name}: input order`)
          // ignoreIcc: compare geometry only (colour management has its own test).
          const expected = await sharp(bytes[i], { ignoreIcc: true })
            .resize({ width: width ?? undefined, height: height ?? undefined, fit, withoutEnlargement })
            .raw()
            .toBuffer({ resolveWithObject: true })
          const want = `${expected.info.width}x${expected.info.height}`
          if (!r.success) {
            mismatches.push(`${name}: ${label}: failed ${JSON.stringify(r.error)}, sharp gives ${want}`)
            continue
          }
          assert.equal(r.outputPath, path.join(outputDir, `processed_${name}`), `${label} ${name}: output path`)
          assert.equal(r.processedSize, fs.statSync(r.outputPath).size, `${label} ${name}: processedSize`)
          const decoded = await decode(r.outputPath)
          const reported = `${r.width}x${r.height}`
          const written = `${decoded.info.width}x${decoded.info.height}`
          if (reported !== want || written !== want) {
            mismatches.push(`${name}: ${label}: reported ${reported}, wrote ${written}, sharp gives ${want}`)
            continue
          }
          // Same crop/placement as sharp: the pixels must be close (resampler and
          // codec differences are a few levels; a wrong crop window is tens).
          const diff = meanAbsDiff(decoded, expected)
          if (diff > 8) {
            mismatches.push(`${name}: ${label}: mean abs difference to sharp's pixels is ${diff.toFixed(1)}`)
          }
        }
      }
    }
    assert.deepEqual(mismatches, [], `${mismatches.length} of ${n * inputs.length} cases differ from sharp`)
  })
}

// Enlargement samples libvips' grid (x = X / scale - 0.5), and a following quarter turn
// samples it as sharp does when it turns first. On a lossless output the difference is
// rounding; the centre grid of a convolution resizer was ~3 levels off (SSIM 0.87).
test('enlargements match sharp pixel for pixel, also when a rotation follows', async (t) => {
  const input = photo('coffee.png') // 600x400
  const cases = [
    [{ width: 800 }, (s) => s.resize({ width: 800 })],
    [{ width: 1000, height: 500, fit: 'fill' }, (s) => s.resize({ width: 1000, height: 500, fit: 'fill' })],
    [{ width: 701, height: 703, fit: 'cover' }, (s) => s.resize({ width: 701, height: 703, fit: 'cover' })],
    [
      { width: 800, height: 601, fit: 'contain', rotation: 90 },
      (s) => s.rotate(90).resize({ width: 601, height: 800, fit: 'contain', background: '#000' }),
    ],
    [
      { width: 801, height: 603, fit: 'cover', rotation: 180 },
      (s) => s.rotate(180).resize({ width: 801, height: 603, fit: 'cover' }),
    ],
    [{ width: 900, rotation: 270 }, (s) => s.rotate(270).resize({ height: 900 })],
  ]
  for (const [options, reference] of cases) {
    const label = JSON.stringify(options)
    const { data } = await processImage(input, { ...options, format: 'png', background: '#000' })
    const got = await decode(data)
    const want = await reference(sharp(input)).raw().toBuffer({ resolveWithObject: true })
    assert.deepEqual([got.info.width, got.info.height], [want.info.width, want.info.height], label)
    const diff = meanAbsDiff(got, want)
    t.diagnostic(`${label}: mean abs difference ${diff.toFixed(3)}`)
    assert.ok(diff < 0.75, `${label}: mean abs difference to sharp's pixels is ${diff.toFixed(2)}`)
  }
})

test('cover never fails on crop-window rounding (PNG inputs, so no shrink-on-load)', async () => {
  const hubble = await sharp(photo('hubble_deep_field.jpg')).png({ compressionLevel: 0 }).toBuffer()
  const tiny = await sharp({ create: { width: 10, height: 7, channels: 3, background: '#808080' } })
    .png()
    .toBuffer()
  const failures = []
  for (const [label, input] of [
    ['1000x872', hubble],
    ['10x7', tiny],
  ]) {
    for (const [width, height] of [
      [100, 100],
      [600, 800],
      [50, 50],
      [100, 200],
      [200, 100],
      [300, 300],
      [7, 13],
    ]) {
      const expected = (await sharp(input).resize(width, height).toBuffer({ resolveWithObject: true })).info
      try {
        const { info } = await processImage(input, { width, height, fit: 'cover' })
        if (info.width !== expected.width || info.height !== expected.height) {
          failures.push(`${label} -> ${width}x${height}: got ${info.width}x${info.height}`)
        }
      } catch (err) {
        failures.push(`${label} -> ${width}x${height}: ${err.code} ${err.message}`)
      }
    }
  }
  assert.deepEqual(failures, [])
})

test('colour: an embedded ICC profile (rocket.jpg, Adobe RGB) is converted to sRGB like sharp does', async () => {
  const { data } = await processImage(photo('rocket.jpg'), { quality: 100 })
  const out = await decode(data)
  const outMeta = await sharp(data).metadata()
  const ref = await decode(photo('rocket.jpg'))
  // Either convert to sRGB, or keep the profile so viewers can: the decoded colours
  // (sharp applies a kept profile when decoding) must then match sharp's.
  assert.deepEqual([out.info.width, out.info.height], [ref.info.width, ref.info.height])
  const n = ref.info.width * ref.info.height
  const bias = [0, 0, 0]
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) bias[c] += out.data[i * out.info.channels + c] - ref.data[i * ref.info.channels + c]
  }
  const mean = bias.map((b) => b / n)
  assert.ok(
    mean.every((b) => Math.abs(b) < 1.5),
    `mean colour offset to sharp is rgb(${mean.map((b) => b.toFixed(2))}); output has ICC profile: ${outMeta.hasProfile}`,
  )
})

// ---------------------------------------------------------------------------------
// 2. Rotation moves pixels.
// ---------------------------------------------------------------------------------

test('rotation 90/180/270 swaps dimensions and moves the red corner clockwise', async (t) => {
  const dir = tmpDir(t)
  const input = path.join(dir, 'quad.png')
  fs.writeFileSync(input, await quadrantImage(40, 20))
  assert.equal(redQuadrants(await decode(input)), 'TL', 'generated input')

  const cases = [
    [0, [40, 20], 'TL'],
    [90, [20, 40], 'TR'],
    [180, [40, 20], 'BR'],
    [270, [20, 40], 'BL'],
    [-90, [20, 40], 'BL'],
    [450, [20, 40], 'TR'],
  ]
  for (const [rotation, dims, corner] of cases) {
    const outputDir = subDir(dir, `rot${rotation}`)
    const [r] = await processImages([input], { rotation, outputDir })
    assert.equal(r.success, true, `rotation ${rotation}: ${JSON.stringify(r.error)}`)
    assert.deepEqual([r.width, r.height], dims, `rotation ${rotation}: reported dims`)
    const decoded = await decode(r.outputPath)
    assert.deepEqual([decoded.info.width, decoded.info.height], dims, `rotation ${rotation}: decoded dims`)
    assert.equal(redQuadrants(decoded), corner, `rotation ${rotation}: red corner`)
    // Lossless PNG and a multiple of 90: every pixel must be pure red or pure blue.
    for (let y = 0; y < dims[1]; y++) {
      for (let x = 0; x < dims[0]; x++) {
        const p = pixelAt(decoded, x, y)
        assert.ok(
          (p[0] === 255 && p[1] === 0 && p[2] === 0) || (p[0] === 0 && p[1] === 0 && p[2] === 255),
          `rotation ${rotation}: pixel (${x},${y}) is rgb(${p})`,
        )
      }
    }
  }
})

test('flip mirrors vertically and flop horizontally (after rotate)', async (t) => {
  const dir = tmpDir(t)
  const input = path.join(dir, 'quad.png')
  fs.writeFileSync(input, await quadrantImage(40, 20))
  const cases = [
    [{ flip: true }, 'BL'],
    [{ flop: true }, 'TR'],
    [{ flip: true, flop: true }, 'BR'],
    // rotate first (TL -> TR), then flip (TR -> BR).
    [{ rotation: 90, flip: true }, 'BR'],
  ]
  let n = 0
  for (const [opts, corner] of cases) {
    const [r] = await processImages([input], { ...opts, outputDir: subDir(dir, `f${n++}`) })
    assert.equal(r.success, true, JSON.stringify(r.error))
    assert.equal(redQuadrants(await decode(r.outputPath)), corner, JSON.stringify(opts))
  }
})

// ---------------------------------------------------------------------------------
// 3. Grayscale.
// ---------------------------------------------------------------------------------

// Grey is luminance in linear light, as sharp's grayscale() computes it, for JPEG input
// too (libjpeg's own grey output, the gamma-space luma Y, makes pure red 76, not 127).
test('grayscale of a saturated colour JPEG matches sharp', async () => {
  const stripes = Buffer.alloc(64 * 32 * 3)
  const colours = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 0],
    [0, 255, 255],
    [255, 0, 255],
    [200, 120, 40],
    [40, 80, 200],
  ]
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 64; x++) stripes.set(colours[x >> 3], (y * 64 + x) * 3)
  }
  const jpeg = await sharp(stripes, { raw: { width: 64, height: 32, channels: 3 } })
    .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
    .toBuffer()
  for (const options of [{}, { width: 32 }]) {
    const { data } = await processImage(jpeg, { ...options, grayscale: true, format: 'png' })
    const got = await decode(data)
    let reference = sharp(jpeg)
    if (options.width) reference = reference.resize({ width: options.width })
    const want = await reference.grayscale().raw().toBuffer({ resolveWithObject: true })
    assert.deepEqual([got.info.width, got.info.height], [want.info.width, want.info.height])
    const diff = meanAbsDiff(got, want)
    assert.ok(diff < 1.5, `${JSON.stringify(options)}: mean abs difference to sharp's grey is ${diff.toFixed(2)}`)
  }
})

test('grayscale output is grey in every pixel (coffee.png, rocket.jpg)', async (t) => {
  const dir = tmpDir(t)
  const inputs = [photo('coffee.png'), photo('rocket.jpg')]
  const results = await processImages(inputs, { grayscale: true, outputDir: dir })
  for (const [i, r] of results.entries()) {
    assert.equal(r.success, true, JSON.stringify(r.error))
    assert.equal(r.originalPath, inputs[i])
    const original = await decode(inputs[i])
    assert.throws(() => assertGrey(original, 'input'), /not grey/, `${inputs[i]} should be a colour image`)
    const decoded = await decode(r.outputPath)
    assert.deepEqual([decoded.info.width, decoded.info.height], [original.info.width, original.info.height])
    assertGrey(decoded, path.basename(r.outputPath))
  }
})

// ---------------------------------------------------------------------------------
// 4. Bad fixtures inside a batch.
// ---------------------------------------------------------------------------------

const BAD_CODES = {
  'bomb-60000x60000.png': 'ERR_INPUT_TOO_LARGE',
  'truncated.jpg': 'ERR_INPUT_CORRUPT',
  'empty.jpg': 'ERR_INPUT_UNSUPPORTED',
  'not-an-image.png': 'ERR_INPUT_UNSUPPORTED',
  'garbage-after-header.jpg': 'ERR_INPUT_CORRUPT',
}

test('bad fixtures give their documented code; good files beside them succeed, in order', async (t) => {
  const dir = tmpDir(t)
  const good = [photo('rocket.jpg'), photo('coffee.png'), photo('logo.png')]
  const names = Object.keys(BAD_CODES)
  // Interleave good and bad inputs.
  const inputs = [good[0], bad(names[0]), bad(names[1]), good[1], bad(names[2]), bad(names[3]), bad(names[4]), good[2]]
  const results = await processImages(inputs, { outputDir: dir })
  assert.equal(results.length, inputs.length)
  for (const [i, r] of results.entries()) {
    assert.equal(r.originalPath, inputs[i], `result ${i} is out of order`)
    const name = path.basename(inputs[i])
    if (good.includes(inputs[i])) {
      assert.equal(r.success, true, `${name}: ${JSON.stringify(r.error)}`)
      const decoded = await decode(r.outputPath)
      assert.deepEqual([decoded.info.width, decoded.info.height], [r.width, r.height], name)
    } else {
      assert.equal(r.success, false, `${name} should fail`)
      assert.equal(r.error?.code, BAD_CODES[name], `${name}: ${JSON.stringify(r.error)}`)
      assert.equal(typeof r.error.message, 'string')
      assert.ok(r.error.message.length > 0, `${name}: empty message`)
      assert.equal(r.processedSize, 0, name)
      assert.equal(r.width, 0, name)
      assert.equal(r.height, 0, name)
      if (r.outputPath) assert.ok(!fs.existsSync(r.outputPath), `${name}: ${r.outputPath} was written`)
    }
  }
  assert.deepEqual(ls(dir), good.map((p) => `processed_${path.basename(p)}`).sort(), 'only good outputs exist')
})

test('error messages of bad fixtures are readable (no unformatted printf placeholders)', async (t) => {
  const dir = tmpDir(t)
  const results = await processImages(Object.keys(BAD_CODES).map(bad), { outputDir: dir })
  for (const r of results) {
    assert.doesNotMatch(r.error.message, /%[0-9]*[a-z]/, `${path.basename(r.originalPath)}: ${r.error.message}`)
  }
})

// ---------------------------------------------------------------------------------
// 5. Input and output errors.
// ---------------------------------------------------------------------------------

test('missing file and directory input give ERR_INPUT_NOT_FOUND', async (t) => {
  const dir = tmpDir(t)
  const out = subDir(dir, 'out')
  const inputs = [path.join(dir, 'does-not-exist.jpg'), PHOTOS, photo('rocket.jpg')]
  const results = await processImages(inputs, { outputDir: out })
  assert.equal(results[0].success, false)
  assert.equal(results[0].error?.code, 'ERR_INPUT_NOT_FOUND', JSON.stringify(results[0].error))
  assert.equal(results[1].success, false)
  assert.equal(results[1].error?.code, 'ERR_INPUT_NOT_FOUND', JSON.stringify(results[1].error))
  assert.equal(results[2].success, true, JSON.stringify(results[2].error))
  assert.deepEqual(ls(out), ['processed_rocket.jpg'])
})

test('an outputDir that cannot be created gives ERR_OUTPUT_WRITE', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'file.txt')
  fs.writeFileSync(file, 'not a directory')
  const outputDir = path.join(file, 'sub')
  const results = await processImages([photo('rocket.jpg'), photo('coffee.png')], { outputDir })
  for (const r of results) {
    assert.equal(r.success, false)
    assert.equal(r.error?.code, 'ERR_OUTPUT_WRITE', JSON.stringify(r.error))
  }
  assert.deepEqual(ls(dir), ['file.txt'])
  assert.equal(fs.readFileSync(file, 'utf8'), 'not a directory')
})

test('existing output: ERR_OUTPUT_EXISTS leaves it untouched; overwrite:true replaces it', async (t) => {
  const dir = tmpDir(t)
  const target = path.join(dir, 'processed_rocket.jpg')
  const sentinel = Buffer.from('sentinel bytes that are not an image')
  fs.writeFileSync(target, sentinel)

  const [r1] = await processImages([photo('rocket.jpg')], { outputDir: dir, width: 100 })
  assert.equal(r1.success, false)
  assert.equal(r1.error?.code, 'ERR_OUTPUT_EXISTS', JSON.stringify(r1.error))
  assert.deepEqual(fs.readFileSync(target), sentinel, 'existing file was modified')
  assert.deepEqual(ls(dir), ['processed_rocket.jpg'], 'stray files left behind')

  const [r2] = await processImages([photo('rocket.jpg')], { outputDir: dir, width: 100, overwrite: true })
  assert.equal(r2.success, true, JSON.stringify(r2.error))
  assert.equal(r2.outputPath, target)
  const decoded = await decode(target)
  // 640x427 to width 100: sharp (shrink-on-load to 320x213 first) gives 100x66.
  assert.deepEqual([decoded.info.width, decoded.info.height], [100, 66])
  assert.deepEqual(ls(dir), ['processed_rocket.jpg'], 'stray files left behind')
})

test('prefix and suffix name the output file', async (t) => {
  const dir = tmpDir(t)
  const [r] = await processImages([photo('rocket.jpg')], { outputDir: dir, prefix: 'a_', suffix: '_b', width: 50 })
  assert.equal(r.success, true, JSON.stringify(r.error))
  assert.equal(r.outputPath, path.join(dir, 'a_rocket_b.jpg'))
  assert.deepEqual(ls(dir), ['a_rocket_b.jpg'])
  assert.equal((await decode(r.outputPath)).info.width, 50)
})

// ---------------------------------------------------------------------------------
// 6. Pixel limit.
// ---------------------------------------------------------------------------------

test('pixel limit: the bomb is rejected without a huge allocation', async (t) => {
  const dir = tmpDir(t)
  const [r] = await processImages([bad('bomb-60000x60000.png')], { outputDir: dir })
  assert.equal(r.success, false)
  assert.equal(r.error?.code, 'ERR_INPUT_TOO_LARGE', JSON.stringify(r.error))
  await assert.rejects(processImage(fs.readFileSync(bad('bomb-60000x60000.png'))), { code: 'ERR_INPUT_TOO_LARGE' })
  const rss = process.memoryUsage().rss
  assert.ok(rss < 500 * 1024 * 1024, `rss is ${(rss / 1048576).toFixed(0)} MB`)
  assert.deepEqual(ls(dir), [])

  // limitInputPixels is honoured for small images too (640x427 = 273,280 px).
  const [small] = await processImages([photo('rocket.jpg')], { outputDir: dir, limitInputPixels: 100_000 })
  assert.equal(small.success, false)
  assert.equal(small.error?.code, 'ERR_INPUT_TOO_LARGE', JSON.stringify(small.error))
  const [fits] = await processImages([photo('rocket.jpg')], { outputDir: dir, limitInputPixels: 273_280 })
  assert.equal(fits.success, true, JSON.stringify(fits.error))
})

// ---------------------------------------------------------------------------------
// 7. The seed scenario.
// ---------------------------------------------------------------------------------

test('seed scenario: 800x600 contain, rotate 90, grayscale, written beside the inputs', async (t) => {
  const dir = tmpDir(t)
  const names = ['rocket.jpg', 'hubble_deep_field.jpg', 'coffee.png']
  const inputs = names.map((n) => {
    const p = path.join(dir, n)
    fs.copyFileSync(photo(n), p)
    return p
  })
  const before = inputs.map((p) => fs.readFileSync(p))
  const results = await processImages(inputs, {
    width: 800,
    height: 600,
    rotation: 90,
    grayscale: true,
    fit: 'contain',
  })
  assert.equal(results.length, 3)
  for (const [i, r] of results.entries()) {
    assert.equal(r.originalPath, inputs[i])
    assert.equal(r.success, true, `${names[i]}: ${JSON.stringify(r.error)}`)
    assert.equal(r.outputPath, path.join(dir, `processed_${names[i]}`))
    assert.deepEqual([r.width, r.height], [600, 800], names[i])
    assert.equal(r.format, names[i].endsWith('.png') ? 'png' : 'jpeg')
    const decoded = await decode(r.outputPath)
    assert.deepEqual([decoded.info.width, decoded.info.height], [600, 800], names[i])
    assertGrey(decoded, names[i])
    assert.deepEqual(fs.readFileSync(inputs[i]), before[i], `${names[i]} was modified`)
  }
  assert.deepEqual(ls(dir), [...names, ...names.map((n) => `processed_${n}`)].sort())
})

// ---------------------------------------------------------------------------------
// 8. Invalid options.
// ---------------------------------------------------------------------------------

test('invalid options reject with ERR_INVALID_OPTION naming the option and the value', async (t) => {
  const dir = tmpDir(t)
  const input = photo('rocket.jpg')
  const cases = [
    [{ width: -1 }, RangeError, 'width', '-1'],
    [{ width: '800' }, TypeError, 'width', '800'],
    [{ fit: 'stretch' }, RangeError, 'fit', 'stretch'],
    [{ rotation: 'x' }, TypeError, 'rotation', 'x'],
    [{ quality: 0 }, RangeError, 'quality', '0'],
    [{ format: 'bmp2' }, RangeError, 'format', 'bmp2'],
    [{ width: NaN }, RangeError, 'width', 'NaN'],
    [{ width: Infinity }, RangeError, 'width', 'Infinity'],
    [{ width: 1e12 }, RangeError, 'width', '1000000000000'],
    [{ heigth: 100 }, TypeError, 'heigth', null],
  ]
  for (const [opts, ErrorClass, option, value] of cases) {
    const label = JSON.stringify(opts, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))
    await assert.rejects(
      async () => processImages([input], { ...opts, outputDir: dir }),
      (err) => {
        assert.ok(err instanceof ErrorClass, `${label}: expected ${ErrorClass.name}, got ${err?.constructor?.name}`)
        assert.equal(err.code, 'ERR_INVALID_OPTION', label)
        assert.ok(err.message.includes(option), `${label}: message does not name ${option}: ${err.message}`)
        if (value !== null) {
          assert.ok(err.message.includes(value), `${label}: message does not name ${value}: ${err.message}`)
        }
        return true
      },
      label,
    )
    // processImage validates the same way.
    await assert.rejects(async () => processImage(input, opts), { code: 'ERR_INVALID_OPTION' }, `processImage ${label}`)
  }
  for (const paths of ['x', undefined, null, 42, [input, 42]]) {
    await assert.rejects(
      async () => processImages(paths, { outputDir: dir }),
      (err) => {
        assert.ok(err instanceof TypeError, `paths=${String(paths)}: got ${err?.constructor?.name}`)
        assert.equal(err.code, 'ERR_INVALID_OPTION')
        assert.match(err.message, /paths/)
        return true
      },
    )
  }
  // A bad option next to good ones still rejects before any file is written.
  await assert.rejects(
    async () => processImages([input, photo('coffee.png')], { width: 100, quality: 101, outputDir: dir }),
    { code: 'ERR_INVALID_OPTION' },
  )
  assert.deepEqual(ls(dir), [], 'an output was written despite invalid options')
})

// ---------------------------------------------------------------------------------
// 9. processImage and metadata.
// ---------------------------------------------------------------------------------

test('processImage(Buffer) returns encoded bytes matching info, for jpeg/png/webp', async () => {
  const input = fs.readFileSync(photo('rocket.jpg'))
  const cases = [
    [{ width: 200 }, 'jpeg'],
    [{ width: 200, format: 'png' }, 'png'],
    [{ width: 200, format: 'webp' }, 'webp'],
    [{ width: 200, height: 200, format: 'webp', quality: 50 }, 'webp'],
  ]
  for (const [opts, format] of cases) {
    const { data, info } = await processImage(input, opts)
    assert.ok(Buffer.isBuffer(data), 'data is a Buffer')
    assert.equal(info.format, format, JSON.stringify(opts))
    assert.equal(info.size, data.length)
    const meta = await sharp(data).metadata()
    assert.equal(meta.format, format, JSON.stringify(opts))
    const decoded = await decode(data)
    assert.deepEqual([decoded.info.width, decoded.info.height], [info.width, info.height], JSON.stringify(opts))
    const expected = (await sharp(input).resize(opts.width, opts.height).toBuffer({ resolveWithObject: true })).info
    assert.deepEqual([info.width, info.height], [expected.width, expected.height], JSON.stringify(opts))
  }
  // A path works too.
  const { info } = await processImage(photo('coffee.png'), { width: 300 })
  assert.deepEqual([info.format, info.width, info.height], ['png', 300, 200])
})

test('processImage to avif writes an ftyp avif box', async () => {
  const { data, info } = await processImage(fs.readFileSync(photo('chelsea.png')), { width: 120, format: 'avif' })
  assert.equal(info.format, 'avif')
  assert.equal(info.size, data.length)
  assert.equal(data.subarray(4, 12).toString('latin1'), 'ftypavif')
  assert.equal(info.width, 120)
})

test('metadata() reads headers', async () => {
  const rocket = await metadata(photo('rocket.jpg'))
  assert.deepEqual(
    {
      format: rocket.format,
      width: rocket.width,
      height: rocket.height,
      channels: rocket.channels,
      hasAlpha: rocket.hasAlpha,
    },
    { format: 'jpeg', width: 640, height: 427, channels: 3, hasAlpha: false },
  )
  assert.equal(rocket.orientation, 1)
  assert.equal(rocket.size, fs.statSync(photo('rocket.jpg')).size)
  const logo = await metadata(fs.readFileSync(photo('logo.png')))
  assert.equal(logo.format, 'png')
  assert.equal(logo.hasAlpha, true)
  assert.deepEqual([logo.width, logo.height], [500, 500])
  const camera = await metadata(photo('camera.png'))
  assert.deepEqual([camera.width, camera.height, camera.hasAlpha], [512, 512, false])
  const gif = await metadata(photo('no_time_for_that_tiny.gif'))
  assert.deepEqual([gif.format, gif.width, gif.height], ['gif', 14, 25])
  await assert.rejects(metadata(path.join(os.tmpdir(), 'corepool-no-such-file.png')), { code: 'ERR_INPUT_NOT_FOUND' })
})

test('processImage on the bad fixtures rejects with the coded error', async () => {
  for (const [name, code] of Object.entries(BAD_CODES)) {
    await assert.rejects(processImage(fs.readFileSync(bad(name))), { code }, `${name} as Buffer`)
    await assert.rejects(processImage(bad(name)), { code }, `${name} as path`)
  }
})

// ---------------------------------------------------------------------------------
// 10. Progress.
// ---------------------------------------------------------------------------------

test('onProgress: done is monotonic and the final call arrives before the promise resolves', async (t) => {
  const dir = tmpDir(t)
  const inputs = fs
    .readdirSync(PHOTOS)
    .filter((n) => /\.(png|jpe?g|gif)$/.test(n))
    .map(photo)
  inputs.push(path.join(dir, 'missing.jpg'))
  assert.ok(inputs.length >= 8)
  const events = []
  let resolved = false
  let lateCall = false
  const results = await processImages(
    inputs,
    { outputDir: subDir(dir, 'out'), width: 200 },
    {
      onProgress(p) {
        if (resolved) lateCall = true
        events.push({ ...p })
      },
    },
  )
  const sawFinal = events.some((e) => e.done === e.total)
  resolved = true
  assert.ok(events.length >= 1, 'onProgress was never called')
  assert.ok(sawFinal, `no progress with done === total before resolve: ${JSON.stringify(events)}`)
  const last = events[events.length - 1]
  assert.equal(last.total, inputs.length)
  assert.equal(last.done, inputs.length)
  assert.equal(last.failed, results.filter((r) => !r.success).length)
  assert.equal(last.failed, 1)
  for (let i = 1; i < events.length; i++) {
    assert.ok(events[i].done >= events[i - 1].done, `done went backwards: ${JSON.stringify(events)}`)
    assert.ok(events[i].failed >= events[i - 1].failed, `failed went backwards: ${JSON.stringify(events)}`)
  }
  for (const e of events) {
    assert.equal(e.total, inputs.length)
    assert.ok(inputs.includes(e.currentPath), `currentPath ${e.currentPath}`)
  }
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(lateCall, false, 'onProgress was called after the promise resolved')
})

// ---------------------------------------------------------------------------------
// 11. Abort.
// ---------------------------------------------------------------------------------

test('abort on the first progress event rejects with ERR_ABORTED and leaves only complete files', async (t) => {
  const dir = tmpDir(t)
  const inDir = path.join(dir, 'in')
  const out = subDir(dir, 'out')
  fs.mkdirSync(inDir)
  const inputs = []
  for (let i = 0; i < 20; i++) {
    const p = path.join(inDir, `hubble${String(i).padStart(2, '0')}.jpg`)
    fs.copyFileSync(photo('hubble_deep_field.jpg'), p)
    inputs.push(p)
  }
  const controller = new AbortController()
  await assert.rejects(
    processImages(
      inputs,
      { outputDir: out, concurrency: 1 },
      {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      },
    ),
    { code: 'ERR_ABORTED' },
  )
  const check = async (when) => {
    const files = fs.existsSync(out) ? ls(out) : []
    assert.deepEqual(
      files.filter((f) => f.endsWith('.tmp') || f.startsWith('.')),
      [],
      `${when}: temporary files left`,
    )
    assert.ok(files.length < inputs.length, `${when}: all ${files.length} images were processed despite the abort`)
    for (const f of files) {
      assert.match(f, /^processed_hubble\d\d\.jpg$/)
      const decoded = await decode(path.join(out, f), { failOn: 'truncated' })
      assert.deepEqual([decoded.info.width, decoded.info.height], [1000, 872], `${when}: ${f}`)
    }
    return files.length
  }
  const n = await check('right after the rejection')
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(await check('300 ms later'), n, 'files were still being written after the rejection')
})

test('an already-aborted signal rejects with ERR_ABORTED and writes nothing', async (t) => {
  const dir = tmpDir(t)
  const out = subDir(dir, 'out')
  await assert.rejects(
    processImages([photo('rocket.jpg'), photo('coffee.png')], { outputDir: out }, { signal: AbortSignal.abort() }),
    { code: 'ERR_ABORTED' },
  )
  await new Promise((r) => setTimeout(r, 100))
  assert.deepEqual(fs.existsSync(out) ? ls(out) : [], [])
})

// ---------------------------------------------------------------------------------
// 12. EXIF orientation.
// ---------------------------------------------------------------------------------

test('EXIF orientation 6 is applied by default and ignored with autoOrient:false', async (t) => {
  const dir = tmpDir(t)
  const input = path.join(dir, 'oriented.jpg')
  fs.writeFileSync(input, await quadrantImage(40, 20, 'jpeg', 6))
  const m = await sharp(input).metadata()
  assert.deepEqual([m.width, m.height, m.orientation], [40, 20, 6], 'generated input')

  const meta = await metadata(input)
  assert.equal(meta.orientation, 6)
  assert.deepEqual([meta.width, meta.height], [40, 20], 'metadata reports stored dims')

  const [oriented] = await processImages([input], { outputDir: subDir(dir, 'a') })
  assert.equal(oriented.success, true, JSON.stringify(oriented.error))
  assert.deepEqual([oriented.width, oriented.height], [20, 40])
  const decodedA = await decode(oriented.outputPath)
  assert.deepEqual([decodedA.info.width, decodedA.info.height], [20, 40])
  // Orientation 6 displays the stored image rotated 90 degrees clockwise.
  assert.equal(redQuadrants(decodedA), 'TR')
  // The output must not carry the tag again (it would be rotated twice by viewers).
  const outMeta = await sharp(oriented.outputPath).metadata()
  assert.ok(outMeta.orientation === undefined || outMeta.orientation === 1, `output orientation ${outMeta.orientation}`)

  const [raw] = await processImages([input], { outputDir: subDir(dir, 'b'), autoOrient: false })
  assert.equal(raw.success, true, JSON.stringify(raw.error))
  assert.deepEqual([raw.width, raw.height], [40, 20])
  const decodedB = await decode(raw.outputPath)
  assert.deepEqual([decodedB.info.width, decodedB.info.height], [40, 20])
  assert.equal(redQuadrants(decodedB), 'TL')

  // Resize applies after auto-orientation: width 10 of a 20x40 display is 10x20.
  const { info } = await processImage(input, { width: 10 })
  assert.deepEqual([info.width, info.height], [10, 20])
})

// ---------------------------------------------------------------------------------
// 13. Content sniffing.
// ---------------------------------------------------------------------------------

test('a PNG named .jpg is decoded by its content', async (t) => {
  const dir = tmpDir(t)
  const input = path.join(dir, 'x.jpg')
  fs.copyFileSync(photo('coffee.png'), input)
  const [r] = await processImages([input], { outputDir: subDir(dir, 'out'), width: 300 })
  assert.equal(r.success, true, JSON.stringify(r.error))
  assert.equal(r.format, 'png')
  assert.ok(fs.existsSync(r.outputPath), r.outputPath)
  const meta = await sharp(r.outputPath).metadata()
  assert.equal(meta.format, 'png')
  const decoded = await decode(r.outputPath)
  assert.deepEqual([decoded.info.width, decoded.info.height], [300, 200])
  const m = await metadata(input)
  assert.equal(m.format, 'png')
})
