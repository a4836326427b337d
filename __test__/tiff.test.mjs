// TIFF layouts the `image` crate refuses and corepool reads itself (codec/tiff_samples.rs:
// palettes, 4-bit grey, JPEG-compressed YCbCr; codec/tiff_fax.rs: CCITT Group 3), and WebP-compressed TIFF (the `tiff`
// crate's webp feature) decode to sharp's size and pixels. (32-bit, signed and float
// samples are checked in Rust against the 8-bit twin of the same picture: libvips keeps
// them in their own range, so sharp's 8-bit output of them is not a reference.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { lumaSsim } from './helpers.mjs'

const { processImage, metadata } = createRequire(import.meta.url)('../index.js')
const CORPORA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpora')

test('palette, low-bit grey, JPEG-YCbCr and WebP TIFFs decode like sharp', async () => {
  for (const file of [
    'image-tiff/tests/libtiffpic/depth/flower-palette-08.tif',
    'image-tiff/tests/libtiffpic/depth/flower-palette-04.tif',
    'image-tiff/tests/libtiffpic/jello.tif',
    'image-tiff/tests/images/palette-1c-8b.tiff',
    'image-tiff/tests/libtiffpic/depth/flower-minisblack-04.tif',
    // JPEG-compressed YCbCr strips and tiles, and WebP-compressed strips.
    'image-rs/tests/images/tiff/testsuite/ycbcr_jpeg_8bit.tif',
    'image-tiff/tests/images/tiled-jpeg-ycbcr.tif',
    'image-tiff/tests/images/quad-tile.jpg.tiff',
    'pillow/Tests/images/hopper_webp.tif',
    // CCITT Group 3 (1D and 2D, fill bits, LSB-first) and modified Huffman
    // (codec/tiff_fax.rs).
    'image-tiff/tests/images/seq/seq-1c-1b-fax3-lsb-71f6a21a.tiff',
    'image-tiff/tests/libtiffpic/fax2d.tif',
    'image-tiff/tests/libtiffpic/g3test.tif',
    'pillow/Tests/images/compression.tif',
    'sharp/test/fixtures/G31D.TIF',
  ]) {
    const input = path.join(CORPORA, file)
    const [ours, theirs, info] = await Promise.all([
      processImage(input, { format: 'png' }),
      sharp(input).png().toBuffer({ resolveWithObject: true }),
      metadata(input),
    ])
    assert.deepEqual([ours.info.width, ours.info.height], [theirs.info.width, theirs.info.height], file)
    assert.deepEqual([info.width, info.height], [theirs.info.width, theirs.info.height], `${file}: metadata`)
    const score = await lumaSsim(ours.data, theirs.data)
    assert.ok(score >= 0.97, `${file}: SSIM ${score.toFixed(4)} against sharp`)
  }
})
