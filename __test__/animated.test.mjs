// animated: true keeps every frame of GIF and WebP through the operations and writes an
// animation with the input's delays and loop count; metadata() reports pages, delay
// and loop as sharp does. Outputs are read back with sharp.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import sharp from 'sharp'
import { photo } from './helpers.mjs'

const { processImage, metadata } = createRequire(import.meta.url)('../index.js')

/** The fixture: 24 frames of 14x25, 70 ms each, looping forever. */
const GIF = photo('no_time_for_that_tiny.gif')

/** Animated fixtures made with sharp: the GIF, as WebP, as a GIF played 3 times, and as a WebP
 * with varied delays played twice. */
async function inputs() {
  const gif = fs.readFileSync(GIF)
  return {
    gif,
    webp: await sharp(gif, { animated: true }).webp({ quality: 90 }).toBuffer(),
    gifLoop3: await sharp(gif, { animated: true }).gif({ loop: 3 }).toBuffer(),
    // Every frame a different delay, the last one the longest.
    webpVaried: await sharp(gif, { animated: true })
      .webp({ delay: Array.from({ length: 24 }, (_, i) => 40 + 10 * i), loop: 2 })
      .toBuffer(),
  }
}

/** Every frame of an animation, decoded by sharp, as RGBA buffers. */
async function frames(input) {
  const { data, info } = await sharp(input, { animated: true })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  const pageHeight = info.pageHeight ?? info.height
  const size = info.width * pageHeight * 4
  const out = []
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size))
  return { frames: out, width: info.width, pageHeight }
}

test('metadata() reports pages, delay and loop as sharp does', async () => {
  const files = await inputs()
  for (const [name, input] of Object.entries(files)) {
    const ours = await metadata(input)
    const theirs = await sharp(input).metadata()
    assert.deepEqual(
      { pages: ours.pages, delay: ours.delay, loop: ours.loop },
      { pages: theirs.pages, delay: theirs.delay, loop: theirs.loop },
      name,
    )
  }
  const fromFile = await metadata(GIF)
  assert.equal(fromFile.pages, 24)
  assert.equal(fromFile.delay.length, 24)
  // A still image: one page (GIF), or no animation fields (PNG).
  const still = await metadata(await sharp(photo('logo.png')).resize(20).gif().toBuffer())
  assert.equal(still.pages, 1)
  assert.equal((await metadata(photo('logo.png'))).pages, undefined)
})

test('animated: true keeps every frame, the delays and the loop count', async () => {
  const files = await inputs()
  const cases = [
    ['gif', files.gif, { width: 28 }],
    ['gif, played 3 times', files.gifLoop3, { width: 20, flop: true }],
    ['webp', files.webp, { width: 21, grayscale: true }],
    ['gif to webp, rotated', files.gif, { height: 30, rotation: 90, flip: true, format: 'webp' }],
    ['webp to gif', files.webp, { width: 10, format: 'gif' }],
    ['webp with varied delays', files.webpVaried, { width: 12, flip: true }],
    ['varied delays to gif', files.webpVaried, { width: 12, format: 'gif' }],
  ]
  for (const [name, input, options] of cases) {
    const { data, info } = await processImage(input, { ...options, animated: true })
    const source = await sharp(input).metadata()
    const written = await sharp(data).metadata()
    assert.equal(written.format, options.format ?? source.format, name)
    assert.equal(written.pages, source.pages, `${name}: pages`)
    assert.deepEqual(written.delay, source.delay, `${name}: delays`)
    assert.equal(written.loop, source.loop, `${name}: loop`)
    // The frame size sharp gives for the same resize (sharp cannot rotate an
    // animation: a quarter turn swaps the sides).
    const reference = await sharp(input, { animated: true })
      .resize(options.width, options.height)
      .toBuffer({ resolveWithObject: true })
    const referenceSize = [reference.info.width, reference.info.pageHeight ?? reference.info.height]
    if (options.rotation % 180 === 90) referenceSize.reverse()
    const decoded = await frames(data)
    assert.deepEqual(
      [decoded.width, decoded.pageHeight, decoded.frames.length],
      [...referenceSize, source.pages],
      `${name}: frame size and count`,
    )
    assert.deepEqual([info.width, info.height], [decoded.width, decoded.pageHeight], `${name}: reported size`)
    // The frames are not copies of one another.
    const distinct = new Set(decoded.frames.map((f) => f.toString('base64')))
    assert.ok(distinct.size > source.pages / 2, `${name}: only ${distinct.size} distinct frames`)
  }
})

test('animated: true runs the still pipeline on every frame, modulate and normalise included', async () => {
  const { gif } = await inputs()
  const plain = await frames((await processImage(gif, { animated: true, format: 'webp', lossless: true })).data)
  for (const extra of [{ modulate: { saturation: 0 } }, { normalise: true }]) {
    const { data } = await processImage(gif, { animated: true, format: 'webp', lossless: true, ...extra })
    const changed = await frames(data)
    assert.equal(changed.frames.length, plain.frames.length, JSON.stringify(extra))
    // Every frame differs from the plain one: the operation reached each of them.
    changed.frames.forEach((f, i) => assert.ok(!f.equals(plain.frames[i]), `${JSON.stringify(extra)}: frame ${i}`))
  }
})

test('without animated, the first frame only (as before)', async () => {
  const { gif } = await inputs()
  const { data } = await processImage(gif, { width: 28 })
  const written = await sharp(data).metadata()
  assert.equal(written.pages ?? 1, 1)
})

test('animated: true refuses what has no meaning per frame, and non-animated formats', async () => {
  const { gif } = await inputs()
  for (const [label, options, pattern] of [
    ['extract', { extract: { left: 0, top: 0, width: 5, height: 5 } }, /extract/],
    ['trim', { trim: true }, /trim/],
    ['composite', { composite: [{ input: photo('logo.png') }] }, /composite/],
    ['jpeg output', { format: 'jpeg' }, /format 'jpeg'/],
  ]) {
    await assert.rejects(
      processImage(gif, { ...options, animated: true }),
      (e) => e.code === 'ERR_INVALID_OPTION' && pattern.test(e.message),
      label,
    )
  }
  // A still input with animated: true is processed as a still.
  const { info } = await processImage(fs.readFileSync(photo('logo.png')), { width: 30, animated: true })
  assert.equal(info.width, 30)
})

test('limitInputPixels counts every frame of an animation', async () => {
  const { gif } = await inputs()
  const all = 14 * 25 * 24
  await assert.rejects(processImage(gif, { animated: true, limitInputPixels: all - 1 }), {
    code: 'ERR_INPUT_TOO_LARGE',
  })
  const { data } = await processImage(gif, { animated: true, limitInputPixels: all })
  assert.equal((await sharp(data).metadata()).pages, 24)
  // One frame is within the same limit without animated.
  await processImage(gif, { limitInputPixels: all - 1 })
})

test('limitOutputPixels counts every output frame, and a frame too tall for GIF is refused before decoding', async () => {
  const { gif } = await inputs()
  // 14x25 resized to width 28: 24 frames of 28x50.
  const all = 28 * 50 * 24
  await assert.rejects(processImage(gif, { animated: true, width: 28, limitOutputPixels: all - 1 }), {
    code: 'ERR_INPUT_TOO_LARGE',
    message: /24 frames/,
  })
  const { data } = await processImage(gif, { animated: true, width: 28, limitOutputPixels: all })
  const meta = await sharp(data, { animated: true }).metadata()
  assert.deepEqual([meta.width, meta.pageHeight, meta.pages], [28, 50, 24])
  // A 14x41324 screen (a damaged header) resized to width 64 would be 24 frames of
  // 64x188910: more than GIF's 65535 a side, refused from the header.
  const tall = Buffer.from(gif)
  tall.writeUInt16LE(41324, 8)
  await assert.rejects(processImage(tall, { animated: true, width: 64, format: 'gif' }), {
    code: 'ERR_INPUT_TOO_LARGE',
    message: /65535/,
  })
})
