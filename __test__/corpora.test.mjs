// The curated corpora of other projects (__test__/corpora/, see its README): every
// file through metadata, processImage and processImages in child processes under a
// time limit, with 0 crashes, 0 hangs, 0 ERR_INTERNAL and 0 errors without a
// documented code. Then the corpus defects of issue 14, each on the file that showed it.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import path from 'node:path'
import sharp from 'sharp'
import { CORPORA, badErrors, corpusFiles, runCorpus } from './corpora.mjs'
import { decode, meanAbsDiff } from './helpers.mjs'

const require = createRequire(import.meta.url)
const { metadata, processImage } = require('../index.js')
const corpus = (p) => path.join(CORPORA, p)

test('every corpus file gets a result or a coded error, in every call, with no crash or hang', async () => {
  const files = corpusFiles()
  assert.ok(files.length > 1000, `the corpora are there (${files.length} files)`)
  const summary = await runCorpus(files)
  const show = (list) => list.map((e) => `${path.relative(CORPORA, e.file)} ${e.call} ${e.message ?? ''}`).join('\n')
  assert.deepEqual(summary.crashes, [], `crashes:\n${show(summary.crashes)}`)
  assert.deepEqual(summary.hangs, [], `hangs:\n${show(summary.hangs)}`)
  const { internal, uncoded } = badErrors(summary)
  assert.equal(internal.length, 0, `ERR_INTERNAL:\n${show(internal)}`)
  assert.equal(uncoded.length, 0, `uncoded errors:\n${show(uncoded)}`)
  let decoded = 0
  for (const [file, calls] of summary.results) {
    for (const call of ['metadata', 'processImage', 'processImages'])
      assert.ok(calls[call], `${path.relative(CORPORA, file)}: no ${call} result`)
    if (calls.processImage.ok) decoded += 1
    // metadata never reports a size with a zero in it.
    if (calls.metadata.ok) assert.ok(calls.metadata.info.width > 0 && calls.metadata.info.height > 0, file)
  }
  // The worker really processed images (not, say, refused everything).
  assert.ok(decoded > files.length * 0.6, `${decoded} of ${files.length} decoded`)
})

test('tiled planar TIFFs (16-bit RGB and RGBA, LZW, raw) decode to the pixels of their strip twins', async () => {
  // sharp (libvips) refuses tiled planar TIFFs ("tiled separate planes not supported"),
  // so the references are Pillow's strip planar files of the same images: decoded by
  // corepool (identical pixels) and by sharp.
  const png = async (name) =>
    decode((await processImage(corpus(`pillow/Tests/images/${name}`), { format: 'png' })).data)
  for (const [tiled, strip] of [
    ['tiff_tiled_planar_16bit_RGB.tiff', 'tiff_strip_planar_16bit_RGB.tiff'],
    ['tiff_tiled_planar_16bit_RGBa.tiff', 'tiff_strip_planar_16bit_RGBa.tiff'],
    ['tiff_tiled_planar_lzw.tiff', 'tiff_strip_planar_lzw.tiff'],
    ['tiff_tiled_planar_raw.tif', 'tiff_strip_planar_lzw.tiff'],
  ]) {
    const ours = await png(tiled)
    const twin = await png(strip)
    const ref = await decode(corpus(`pillow/Tests/images/${strip}`))
    assert.deepEqual([ours.info.width, ours.info.height], [ref.info.width, ref.info.height], tiled)
    assert.ok(ours.data.equals(twin.data), `${tiled}: the pixels of ${strip}`)
    if (ref.info.channels === 4) {
      // Pillow's "RGBa" is associated (premultiplied) alpha, which sharp unpremultiplies
      // and corepool does not yet: compare the alpha channel only (16 to 8 bits may
      // round apart by one).
      for (let i = 3; i < ref.data.length; i += 4)
        assert.ok(Math.abs(ours.data[i] - ref.data[i]) <= 1, `${tiled}: alpha at ${i}: ${ours.data[i]} ${ref.data[i]}`)
    } else assert.ok(meanAbsDiff(ours, ref) < 1, `${tiled}: mean difference ${meanAbsDiff(ours, ref)}`)
  }
})

test('damaged GIFs with a zero-sized screen are corrupt in metadata too', async () => {
  for (const p of ['pillow/Tests/images/zero_width.gif', 'image-gif/tests/crashtest/issue-96-small-codesize.gif']) {
    await assert.rejects(metadata(corpus(p)), { code: 'ERR_INPUT_CORRUPT' }, p)
    await assert.rejects(processImage(corpus(p)), { code: 'ERR_INPUT_CORRUPT' }, p)
  }
})

test('arithmetic-coded JPEG decodes; 12-bit JPEG is unsupported, not corrupt', async () => {
  const ari = corpus('libjpeg-turbo/testimages/testimgari.jpg')
  const { data, info } = await processImage(ari, { format: 'png' })
  assert.deepEqual([info.width, info.height], [227, 149])
  const ref = await decode(corpus('libjpeg-turbo/testimages/testorig.jpg'))
  assert.ok(meanAbsDiff(await decode(data), ref) < 2, 'the same picture as the Huffman-coded original')
  // (Lossless JPEG is read since codec/jpeg_lossless.rs: tolerant.test.mjs.)
  for (const p of ['libjpeg-turbo/testimages/monkey12.jpg']) {
    await assert.rejects(metadata(corpus(p)), { code: 'ERR_INPUT_UNSUPPORTED' }, p)
    await assert.rejects(processImage(corpus(p)), { code: 'ERR_INPUT_UNSUPPORTED' }, p)
  }
})

test('BigTIFF (both byte orders) is read', async () => {
  for (const p of [
    'image-tiff/tests/images/bigtiff/BigTIFF.tif',
    'image-tiff/tests/images/bigtiff/BigTIFFMotorola.tif',
  ]) {
    const ref = await sharp(corpus(p)).metadata()
    const info = await metadata(corpus(p))
    assert.deepEqual([info.format, info.width, info.height], ['tiff', ref.width, ref.height], p)
    const out = await processImage(corpus(p), { format: 'png' })
    assert.deepEqual([out.info.width, out.info.height], [ref.width, ref.height], p)
  }
})

test('a JPEG made from an RGBA input reports 3 channels (and grey+alpha 1)', async () => {
  const rgba = corpus('libpng/contrib/pngsuite/basn6a08.png')
  const out = await processImage(rgba, { format: 'jpeg' })
  assert.equal(out.info.channels, 3)
  assert.equal((await sharp(out.data).metadata()).channels, 3)
  const greyAlpha = await processImage(corpus('libpng/contrib/pngsuite/basn4a08.png'), { format: 'jpeg' })
  assert.equal(greyAlpha.info.channels, 1)
  assert.equal((await sharp(greyAlpha.data).metadata()).channels, 1)
})

test('RGBA TIFF output has ExtraSamples (unassociated alpha), so sharp (libtiff) reads it with its alpha', async () => {
  for (const p of ['libpng/contrib/pngsuite/basn6a08.png', 'libpng/contrib/pngsuite/basn4a08.png']) {
    const { data, info } = await processImage(corpus(p), { format: 'tiff' })
    assert.equal(info.channels, 4, p)
    // sharp fails on a TIFF without the tag ("Warning treated as error" in libtiff).
    const meta = await sharp(data, { failOn: 'warning' }).metadata()
    assert.deepEqual([meta.format, meta.channels, meta.hasAlpha], ['tiff', 4, true], p)
    const back = await decode(data, { failOn: 'warning' })
    const ref = await sharp(corpus(p)).toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true })
    // Alpha survives as it was (not premultiplied): compare the alpha channels exactly.
    let alphaDiff = 0
    for (let i = 3; i < back.data.length; i += 4) alphaDiff += Math.abs(back.data[i] - ref.data[i])
    assert.equal(alphaDiff, 0, `${p}: alpha`)
    assert.ok(meanAbsDiff(back, ref) < 1, `${p}: colour`)
  }
})
