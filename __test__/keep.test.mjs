// keepMetadata, keepExif and keepIccProfile (sharp's names): the kept EXIF, ICC profile
// and XMP are read back with sharp's metadata(), and the pixels are compared with
// sharp's output of the same request.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import sharp from 'sharp'
import { decode, meanAbsDiff, photo } from './helpers.mjs'

const { processImage } = createRequire(import.meta.url)('../index.js')

const COPYRIGHT = 'corepool test copyright 2026'

/** A JPEG tagged Display P3, with an EXIF Copyright and orientation 6 (stored 160x107). */
const tagged = () =>
  sharp(photo('rocket.jpg'))
    .resize(160)
    .withIccProfile('p3')
    .withExif({ IFD0: { Copyright: COPYRIGHT } })
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 95 })
    .toBuffer()

test('keepMetadata keeps EXIF (orientation reset to 1), the ICC profile byte for byte, and XMP', async () => {
  const input = await tagged()
  const inputMeta = await sharp(input).metadata()
  assert.ok(inputMeta.exif.includes(COPYRIGHT) && inputMeta.icc && inputMeta.orientation === 6)
  for (const format of ['jpeg', 'png', 'webp']) {
    const { data } = await processImage(input, { format, keepMetadata: true })
    const m = await sharp(data).metadata()
    assert.ok(m.exif?.includes(COPYRIGHT), `${format}: EXIF with the Copyright`)
    assert.equal(m.orientation, 1, `${format}: orientation reset after auto-orient`)
    assert.deepEqual([m.width, m.height], [107, 160], format)
    assert.ok(m.icc?.equals(inputMeta.icc), `${format}: the ICC profile, byte-equal`)
    // The pixels stay in Display P3, as sharp's keepIccProfile leaves them (decoded
    // as stored, without sharp's conversion to sRGB).
    const sharps = await sharp(input).rotate().keepIccProfile().png().toBuffer()
    const asStored = { ignoreIcc: true }
    assert.ok(
      meanAbsDiff(await decode(data, asStored), await decode(sharps, asStored)) < (format === 'png' ? 1.5 : 4),
      format,
    )
  }
  // XMP: the Hubble photo carries a packet.
  const hubble = photo('hubble_deep_field.jpg')
  const xmp = (await sharp(hubble).metadata()).xmp
  for (const format of ['jpeg', 'png', 'webp']) {
    const { data } = await processImage(hubble, { format, width: 100, keepMetadata: true })
    assert.ok((await sharp(data).metadata()).xmp?.equals(xmp), `${format}: XMP kept`)
  }
})

test('keepExif keeps only EXIF and keepIccProfile only the profile; by default nothing is kept', async () => {
  const input = await tagged()
  const exifOnly = await processImage(input, { keepExif: true })
  let m = await sharp(exifOnly.data).metadata()
  assert.ok(m.exif?.includes(COPYRIGHT))
  assert.equal(m.hasProfile, false)
  const iccOnly = await processImage(input, { format: 'png', keepIccProfile: true })
  m = await sharp(iccOnly.data).metadata()
  assert.equal(m.exif, undefined)
  assert.ok(m.icc?.equals((await sharp(input).metadata()).icc))
  // The pixels are the input's as stored (auto-oriented), not converted.
  const asStored = { ignoreIcc: true }
  const stored = await decode(await sharp(input, asStored).rotate().png().toBuffer(), asStored)
  assert.ok(meanAbsDiff(await decode(iccOnly.data, asStored), stored) < 1)
  const plain = await sharp((await processImage(input, {})).data).metadata()
  assert.deepEqual([plain.exif, plain.hasProfile, plain.orientation], [undefined, false, undefined])
  // Without autoOrient the pixels stay as stored, and so does the orientation tag.
  const unturned = await sharp((await processImage(input, { keepExif: true, autoOrient: false })).data).metadata()
  assert.deepEqual([unturned.orientation, unturned.width], [6, 160])
})

test('keep options with a format that cannot carry them reject with ERR_INVALID_OPTION', async () => {
  for (const [key, format] of [
    ['keepMetadata', 'gif'],
    ['keepExif', 'tiff'],
    ['keepIccProfile', 'avif'],
  ]) {
    await assert.rejects(processImage(photo('rocket.jpg'), { [key]: true, format }), (err) => {
      assert.equal(err.code, 'ERR_INVALID_OPTION')
      assert.ok(err.message.includes(`'${key}' applies to jpeg, png or webp output, not ${format}`), err.message)
      return true
    })
  }
  await processImage(photo('rocket.jpg'), { keepMetadata: false, format: 'gif' })
})
