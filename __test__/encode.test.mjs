// Encoder options (sharp's names): each output is checked with sharp's metadata() and
// decoded again with sharp, so an option that is accepted but has no effect fails.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import sharp from 'sharp'
import { decode, lumaSsim, meanAbsDiff, photo } from './helpers.mjs'

const { processImage } = createRequire(import.meta.url)('../index.js')

const encode = async (input, options) => (await processImage(input, options)).data
const meta = (buffer) => sharp(buffer).metadata()

/** The value of a TIFF's first-directory tag `tag` (SHORT or LONG), read from its bytes. */
function tiffTag(buffer, tag) {
  const little = buffer.toString('latin1', 0, 2) === 'II'
  const u16 = (at) => (little ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at))
  const u32 = (at) => (little ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at))
  const ifd = u32(4)
  for (let i = 0; i < u16(ifd); i++) {
    const at = ifd + 2 + i * 12
    if (u16(at) === tag) return u16(at + 2) === 3 ? u16(at + 8) : u32(at + 8)
  }
  return undefined
}

/** coffee.png at 300 pixels wide with a real alpha channel (a ramp from left to right), as PNG. */
async function withAlpha() {
  const { data, info } = await sharp(photo('coffee.png')).resize(300).raw().toBuffer({ resolveWithObject: true })
  const rgba = Buffer.alloc(info.width * info.height * 4)
  for (let i = 0; i < info.width * info.height; i++) {
    data.copy(rgba, i * 4, i * 3, i * 3 + 3)
    rgba[i * 4 + 3] = Math.round(((i % info.width) * 255) / (info.width - 1))
  }
  return sharp(rgba, { raw: { width: info.width, height: info.height, channels: 4 } })
    .png()
    .toBuffer()
}

/** The number of distinct RGBA colours of a decoded image. */
function distinctColours({ data, info }) {
  const seen = new Set()
  for (let i = 0; i < data.length; i += info.channels) seen.add(data.readUIntBE(i, info.channels))
  return seen.size
}

test('JPEG: progressive is progressive, 4:4:4 is 4:4:4, the default is baseline 4:2:0', async () => {
  const input = photo('rocket.jpg')
  const plain = await meta(await encode(input, { width: 300 }))
  assert.deepEqual([plain.isProgressive, plain.chromaSubsampling], [false, '4:2:0'])
  const progressive = await meta(await encode(input, { width: 300, progressive: true }))
  assert.deepEqual([progressive.isProgressive, progressive.chromaSubsampling], [true, '4:2:0'])
  const full = await meta(await encode(input, { width: 300, chromaSubsampling: '4:4:4' }))
  assert.deepEqual([full.isProgressive, full.chromaSubsampling], [false, '4:4:4'])
  const both = await meta(await encode(input, { progressive: true, chromaSubsampling: '4:4:4', format: 'jpeg' }))
  assert.deepEqual([both.isProgressive, both.chromaSubsampling], [true, '4:4:4'])
})

test("JPEG: mozjpeg is progressive, smaller at the same quality, and matches sharp's mozjpeg", async () => {
  for (const name of ['rocket.jpg', 'retina.jpg']) {
    const input = photo(name)
    const plain = await encode(input, { quality: 80 })
    const moz = await encode(input, { quality: 80, mozjpeg: true })
    assert.equal((await meta(moz)).isProgressive, true, name)
    assert.ok(moz.length < plain.length * 0.95, `${name}: mozjpeg ${moz.length} bytes, libjpeg-turbo ${plain.length}`)
    // sharp's mozjpeg output of the same input: about as large, and the same picture.
    const sharps = await sharp(input).jpeg({ quality: 80, mozjpeg: true }).toBuffer()
    assert.ok(
      Math.abs(moz.length - sharps.length) <= sharps.length * 0.05,
      `${name}: ${moz.length} vs sharp's ${sharps.length}`,
    )
    assert.ok((await lumaSsim(moz, sharps)) >= 0.97, name)
  }
  // Baseline trellis with progressive: false.
  const baseline = await encode(photo('rocket.jpg'), { quality: 80, mozjpeg: true, progressive: false })
  assert.equal((await meta(baseline)).isProgressive, false)
})

test('PNG: compressionLevel 9 is smaller than 1, with the same pixels', async () => {
  const input = photo('chelsea.png')
  const fast = await encode(input, { compressionLevel: 1 })
  const best = await encode(input, { compressionLevel: 9 })
  const none = await encode(input, { compressionLevel: 0 })
  assert.ok(best.length < fast.length && fast.length < none.length, `${best.length} ${fast.length} ${none.length}`)
  const [a, b, c] = await Promise.all([decode(fast), decode(best), decode(none)])
  assert.ok(a.data.equals(b.data) && a.data.equals(c.data))
})

test('PNG: palette output is palette, smaller, and close to the input', async () => {
  for (const name of ['logo.png', 'coffee.png']) {
    const input = photo(name)
    const full = await encode(input, { format: 'png' })
    const indexed = await encode(input, { palette: true })
    const m = await meta(indexed)
    assert.equal(m.isPalette, true, name)
    assert.equal((await meta(full)).isPalette, false, name)
    assert.ok(indexed.length < full.length, `${name}: palette ${indexed.length} vs ${full.length}`)
    assert.ok((await lumaSsim(indexed, full)) >= 0.9, name)
    assert.ok(distinctColours(await decode(indexed)) <= 256, name)
  }
  // colours: at most 16 entries, stored at 4 bits; quality with format 'png' implies the
  // palette (sharp's png({ quality })) and fewer colours make a smaller file.
  const input = photo('coffee.png')
  const sixteen = await encode(input, { colours: 16 })
  assert.equal((await meta(sixteen)).isPalette, true)
  assert.ok(distinctColours(await decode(sixteen)) <= 16)
  const q = await encode(input, { format: 'png', quality: 30 })
  assert.equal((await meta(q)).isPalette, true)
  assert.ok(q.length < (await encode(input, { palette: true })).length)
  // Without format: 'png', quality alone leaves a PNG input's output lossless.
  const lossless = await encode(input, { quality: 30 })
  assert.equal((await meta(lossless)).isPalette, false)
  // Partial alpha survives in the palette (tRNS).
  const alpha = await withAlpha()
  const indexedAlpha = await encode(alpha, { palette: true, dither: 0 })
  assert.equal((await meta(indexedAlpha)).isPalette, true)
  const [got, want] = [await decode(indexedAlpha), await decode(alpha)]
  assert.equal(got.info.channels, 4)
  let alphaError = 0
  for (let i = 3; i < got.data.length; i += 4) alphaError += Math.abs(got.data[i] - want.data[i])
  assert.ok(alphaError / (got.data.length / 4) < 8, `mean alpha error ${alphaError / (got.data.length / 4)}`)
  assert.ok(meanAbsDiff(got, want) < 8)
})

test('TIFF output is compressed (Deflate by default), smaller, and lossless', async () => {
  const input = photo('coffee.png')
  const plain = await encode(input, { format: 'tiff', compression: 'none' })
  assert.equal(tiffTag(plain, 259), 1)
  const reference = await decode(plain)
  for (const [options, code] of [
    [{}, 8],
    [{ compression: 'deflate' }, 8],
    [{ compression: 'lzw' }, 5],
    [{ compression: 'packbits' }, 32773],
  ]) {
    const tiff = await encode(input, { format: 'tiff', ...options })
    assert.equal(tiffTag(tiff, 259), code, JSON.stringify(options))
    if (code !== 32773)
      assert.ok(tiff.length < plain.length * 0.8, `${JSON.stringify(options)}: ${tiff.length} vs ${plain.length}`)
    assert.ok((await decode(tiff)).data.equals(reference.data), JSON.stringify(options))
  }
})

test('GIF: colours and dither through a real quantiser', async () => {
  const input = photo('coffee.png')
  const gif = await encode(input, { format: 'gif', colours: 32, width: 200 })
  const m = await meta(gif)
  assert.deepEqual([m.format, m.isPalette], ['gif', true])
  assert.ok(distinctColours(await decode(gif)) <= 32)
  const full = await encode(input, { format: 'gif', width: 200, dither: 0 })
  const png = await encode(input, { format: 'png', width: 200 })
  assert.ok((await lumaSsim(full, png)) >= 0.9)
})

test('WebP: effort, nearLossless, alphaQuality and lossless', async () => {
  const input = await withAlpha()
  const fast = await encode(input, { format: 'webp', effort: 0 })
  const slow = await encode(input, { format: 'webp', effort: 6 })
  assert.ok(slow.length < fast.length, `effort 6 ${slow.length} vs effort 0 ${fast.length}`)
  const lossless = await encode(input, { format: 'webp', lossless: true })
  // Exact where visible (libwebp, as in sharp, may change the colour under alpha 0).
  const [got, want] = [await decode(lossless), await decode(input)]
  for (let i = 0; i < want.data.length; i += 4) {
    if (want.data[i + 3] > 0)
      assert.deepEqual(got.data.subarray(i, i + 4), want.data.subarray(i, i + 4), `pixel ${i / 4}`)
  }
  const near = await encode(input, { format: 'webp', nearLossless: true, quality: 50 })
  assert.ok(near.length < lossless.length, `near-lossless ${near.length} vs lossless ${lossless.length}`)
  assert.ok(meanAbsDiff(await decode(near), await decode(input)) < 3)
  const lowAlpha = await encode(input, { format: 'webp', alphaQuality: 10 })
  const fullAlpha = await encode(input, { format: 'webp' })
  assert.ok(lowAlpha.length < fullAlpha.length, `alphaQuality 10 ${lowAlpha.length} vs 100 ${fullAlpha.length}`)
})

test('AVIF: effort is accepted and the output decodes', async () => {
  const input = photo('rocket.jpg')
  const avif = await encode(input, { format: 'avif', effort: 9, width: 96 })
  const m = await meta(avif)
  assert.equal(m.format, 'heif')
  assert.equal(m.width, 96)
})

/** The subsampling flags (x, y) of the colour image's av1C box (not the alpha's). */
function av1Subsampling(buffer) {
  const found = []
  for (let at = buffer.indexOf('av1C'); at >= 0; at = buffer.indexOf('av1C', at + 4)) {
    const flags = buffer[at + 6]
    if ((flags & 0x10) === 0) found.push([(flags >> 3) & 1, (flags >> 2) & 1])
  }
  return found
}

test('AVIF: 4:2:0 really is 4:2:0, smaller, and as faithful as 4:4:4', async () => {
  const input = photo('rocket.jpg')
  const [full, sub, reference] = await Promise.all([
    encode(input, { format: 'avif', width: 320 }),
    encode(input, { format: 'avif', width: 320, chromaSubsampling: '4:2:0' }),
    sharp(input).resize(320).png().toBuffer(),
  ])
  assert.deepEqual(av1Subsampling(sub), [[1, 1]])
  assert.deepEqual(av1Subsampling(full), [[0, 0]])
  assert.ok(sub.length < full.length, `4:2:0 ${sub.length} bytes vs 4:4:4 ${full.length}`)
  const m = await meta(sub)
  assert.deepEqual([m.format, m.width], ['heif', 320])
  // Measured: 0.9244 (4:2:0) and 0.9277 (4:4:4) against the lossless resize.
  const [subScore, fullScore] = await Promise.all([lumaSsim(sub, reference), lumaSsim(full, reference)])
  assert.ok(subScore >= 0.9 && subScore >= fullScore - 0.02, `SSIM 4:2:0 ${subScore}, 4:4:4 ${fullScore}`)
  // With alpha: kept, as a second image.
  const rgba = await withAlpha()
  const alpha = await encode(rgba, { format: 'avif', chromaSubsampling: '4:2:0' })
  const am = await meta(alpha)
  assert.equal(am.hasAlpha, true)
})

test('encoder options that do not fit the format, or bad values, reject with ERR_INVALID_OPTION', async () => {
  const input = photo('rocket.jpg')
  for (const [options, fragment] of [
    [{ format: 'jpeg', compressionLevel: 9 }, 'compressionLevel applies to png output, not jpeg'],
    [{ format: 'jpeg', lossless: true }, 'lossless applies to webp output, not jpeg'],
    [{ format: 'png', progressive: true }, 'progressive applies to jpeg output, not png'],
    [{ format: 'gif', quality: 50 }, 'not gif'],
    [{ format: 'webp', effort: 8 }, 'between 0 and 6'],
    [{ format: 'png', palette: false, colours: 8 }, 'needs a palette'],
    [{ format: 'tiff', compression: 'jpeg' }, 'compression'],
    [{ chromaSubsampling: '4:2:2' }, 'chromaSubsampling'],
    [{ compressionLevel: 10 }, 'compressionLevel'],
    [{ colours: 1 }, 'colours'],
    [{ colors: 300 }, 'colors'],
    [{ dither: 2 }, 'dither'],
    [{ effort: 10 }, 'effort'],
    [{ alphaQuality: -1 }, 'alphaQuality'],
    [{ mozjpeg: 'yes' }, 'mozjpeg'],
    [{ colours: 8, colors: 8 }, 'same option'],
  ]) {
    await assert.rejects(processImage(input, options), (err) => {
      assert.equal(err.code, 'ERR_INVALID_OPTION', JSON.stringify(options))
      assert.ok(
        err.message.replaceAll("'", '').includes(fragment.replaceAll("'", '')),
        `${JSON.stringify(options)}: ${err.message}`,
      )
      return true
    })
  }
})
