// AVIF input: files written by sharp (libheif + aom) decode as sharp decodes them, with
// alpha, 10-bit samples and 4:4:4 chroma; metadata() reads the headers; damaged files
// are ERR_INPUT_CORRUPT; limitInputPixels applies.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { decode, lumaSsim, meanAbsDiff, photo, tmpDir } from './helpers.mjs'

const { processImage, metadata } = createRequire(import.meta.url)('../index.js')

/** AVIF files written by sharp, by name: what they are made of and how. */
async function fixtures() {
  const chelsea = sharp(photo('chelsea.png'))
  const out = {
    rgb: await chelsea.clone().avif({ quality: 60 }).toBuffer(),
    yuv444: await chelsea.clone().avif({ quality: 70, chromaSubsampling: '4:4:4' }).toBuffer(),
    alpha: await sharp(photo('logo.png')).resize(200).avif({ quality: 60 }).toBuffer(),
    grey: await sharp(photo('camera.png')).resize(160).avif({ quality: 60 }).toBuffer(),
  }
  try {
    out.tenBit = await chelsea.clone().avif({ quality: 60, bitdepth: 10 }).toBuffer()
  } catch {
    // sharp's prebuilt libvips writes 8-bit AVIF only.
  }
  return out
}

/** Alpha of a decoded RGBA image, or undefined without alpha. */
function alphaOf({ data, info }) {
  if (info.channels !== 2 && info.channels !== 4) return undefined
  return data.filter((_, i) => i % info.channels === info.channels - 1)
}

test('AVIF written by sharp decodes as sharp decodes it (SSIM >= 0.97)', async (t) => {
  const files = await fixtures()
  if (!files.tenBit) t.diagnostic('sharp cannot write 10-bit AVIF here: that case is skipped')
  for (const [name, avif] of Object.entries(files)) {
    const reference = await sharp(avif).png().toBuffer()
    const { data, info } = await processImage(avif, { format: 'png' })
    assert.equal(info.format, 'png', name)
    const ours = await decode(data)
    const theirs = await decode(reference)
    assert.deepEqual([ours.info.width, ours.info.height], [theirs.info.width, theirs.info.height], name)
    const ssim = await lumaSsim(data, reference)
    assert.ok(ssim >= 0.97, `${name}: SSIM ${ssim.toFixed(4)} against sharp's decode`)
    // Luma alone would not see the chroma planes swapped or the wrong matrix.
    const colour = meanAbsDiff(ours, theirs)
    assert.ok(colour < 2, `${name}: RGB differs by ${colour.toFixed(2)} on average`)
    const [a, b] = [alphaOf(ours), alphaOf(theirs)]
    assert.equal(a === undefined, b === undefined, `${name}: alpha on both sides or neither`)
    if (a) {
      let diff = 0
      for (let i = 0; i < a.length; i++) diff += Math.abs(a[i] - b[i])
      assert.ok(diff / a.length < 2, `${name}: alpha differs by ${diff / a.length} on average`)
    }
  }
})

test('metadata() reads an AVIF header: format, size, alpha', async () => {
  const files = await fixtures()
  const rgb = await metadata(files.rgb)
  assert.deepEqual([rgb.format, rgb.width, rgb.height, rgb.hasAlpha, rgb.channels], ['avif', 451, 300, false, 3])
  const alpha = await metadata(files.alpha)
  const expected = await sharp(files.alpha).metadata()
  assert.deepEqual(
    [alpha.format, alpha.width, alpha.height, alpha.hasAlpha],
    ['avif', expected.width, expected.height, true],
  )
})

test('AVIF resizes through the pipeline to the size sharp gives', async () => {
  const { rgb } = await fixtures()
  const { data, info } = await processImage(rgb, { width: 120, format: 'jpeg' })
  const expected = await sharp(rgb).resize(120).jpeg().toBuffer({ resolveWithObject: true })
  assert.deepEqual([info.width, info.height], [expected.info.width, expected.info.height])
  assert.ok((await lumaSsim(data, expected.data)) >= 0.95)
})

test('AVIF with the generic HEIF brands (mif1, miaf) is recognised', async (t) => {
  const { rgb } = await fixtures()
  // Rename the avif brands to mif1 in the ftyp box: what HEIF writers that do not
  // tag AVIF specially produce.
  const renamed = Buffer.from(rgb)
  const ftypLength = renamed.readUInt32BE(0)
  for (let at = 8; at + 4 <= ftypLength; at += 4) {
    if (renamed.toString('latin1', at, at + 4) === 'avif') renamed.write('mif1', at, 'latin1')
  }
  assert.ok(!renamed.subarray(0, ftypLength).toString('latin1').includes('avif'))
  const meta = await metadata(renamed)
  assert.equal(meta.format, 'avif')
  const { info } = await processImage(renamed, { width: 50, format: 'png' })
  assert.equal(info.width, 50)
  const dir = tmpDir(t)
  fs.writeFileSync(path.join(dir, 'generic.heif'), renamed)
  assert.equal((await metadata(path.join(dir, 'generic.heif'))).format, 'avif')
})

test('truncated or damaged AVIF is ERR_INPUT_CORRUPT, not a crash', async () => {
  const { rgb, alpha } = await fixtures()
  for (const [label, input] of [
    ['cut in the item data', rgb.subarray(0, Math.floor(rgb.length * 0.6))],
    ['cut in the header', rgb.subarray(0, 60)],
    ['alpha cut', alpha.subarray(0, alpha.length - 40)],
  ]) {
    await assert.rejects(processImage(input, { width: 40, format: 'png' }), { code: 'ERR_INPUT_CORRUPT' }, label)
  }
  // The AV1 data itself damaged: every outcome is a coded error or an image.
  const meta = rgb.indexOf(Buffer.from('mdat'))
  for (let i = 0; i < 40; i++) {
    const damaged = Buffer.from(rgb)
    for (let k = 0; k < 8; k++) {
      const at = meta + 8 + ((i * 7919 + k * 104729) % (rgb.length - meta - 8))
      damaged[at] ^= 0x55 + k
    }
    try {
      await processImage(damaged, { width: 40, format: 'png' })
    } catch (e) {
      assert.equal(e.code, 'ERR_INPUT_CORRUPT', e.message)
    }
  }
})

test('limitInputPixels applies to AVIF from its header', async () => {
  const { rgb } = await fixtures()
  await assert.rejects(processImage(rgb, { width: 40, limitInputPixels: 451 * 300 - 1 }), {
    code: 'ERR_INPUT_TOO_LARGE',
  })
  const { info } = await processImage(rgb, { width: 40, limitInputPixels: 451 * 300 })
  assert.equal(info.width, 40)
})

test('a grid (tiled) AVIF decodes as sharp decodes it', async () => {
  const file = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    'corpora',
    'sharp',
    'test',
    'fixtures',
    'pitm.avif',
  )
  const reference = await sharp(file).png().toBuffer()
  const { data } = await processImage(file, { format: 'png' })
  const [ours, theirs] = [await decode(data), await decode(reference)]
  assert.deepEqual([ours.info.width, ours.info.height], [theirs.info.width, theirs.info.height])
  assert.ok((await lumaSsim(data, reference)) >= 0.97)
  assert.ok(meanAbsDiff(ours, theirs) < 2)
  const meta = await metadata(file)
  assert.deepEqual([meta.format, meta.width, meta.height], ['avif', theirs.info.width, theirs.info.height])
})
