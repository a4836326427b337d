// metadata() beyond the size: each field equals what sharp's metadata() reports, on the
// fixtures and on outputs written with the encoder options (read from headers only).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import sharp from 'sharp'
import { PHOTOS, photo } from './helpers.mjs'

const { metadata, processImage } = createRequire(import.meta.url)('../index.js')

/** The fields corepool shares with sharp, as sharp reports them (orientation 1 when absent). */
function sharpFields(m) {
  return {
    isProgressive: m.isProgressive,
    chromaSubsampling: m.chromaSubsampling,
    density: m.density,
    hasProfile: m.hasProfile,
    isPalette: m.isPalette,
    bitsPerSample: m.bitsPerSample,
    orientation: m.orientation ?? 1,
  }
}

/** The same fields of corepool's metadata() (absent optional fields as undefined). */
function ours(m) {
  return {
    isProgressive: m.isProgressive,
    chromaSubsampling: m.chromaSubsampling ?? undefined,
    density: m.density ?? undefined,
    hasProfile: m.hasProfile,
    isPalette: m.isPalette,
    bitsPerSample: m.bitsPerSample ?? undefined,
    orientation: m.orientation,
  }
}

async function assertSameAsSharp(input, label) {
  const [mine, theirs] = await Promise.all([metadata(input), sharp(input).metadata()])
  assert.deepEqual(ours(mine), sharpFields(theirs), label)
}

test('metadata() fields equal sharp metadata() on every fixture, from a path and from a Buffer', async () => {
  const names = fs.readdirSync(PHOTOS).filter((n) => /\.(jpe?g|png|gif|webp|tiff?)$/.test(n))
  assert.ok(names.length >= 8)
  for (const name of names) {
    await assertSameAsSharp(photo(name), name)
    await assertSameAsSharp(fs.readFileSync(photo(name)), `${name} (Buffer)`)
  }
})

test('metadata() fields equal sharp metadata() on outputs of the encoder options', async () => {
  const rocket = photo('rocket.jpg')
  const outputs = {
    'baseline jpeg': { width: 200 },
    'progressive jpeg': { width: 200, progressive: true },
    '4:4:4 jpeg': { width: 200, chromaSubsampling: '4:4:4' },
    mozjpeg: { width: 200, mozjpeg: true },
    'grey jpeg': { width: 200, grayscale: true },
    png: { width: 200, format: 'png' },
    'palette png': { width: 200, format: 'png', palette: true },
    '16-colour png': { width: 200, format: 'png', colours: 16 },
    gif: { width: 200, format: 'gif' },
    webp: { width: 200, format: 'webp' },
    tiff: { width: 200, format: 'tiff' },
  }
  for (const [label, options] of Object.entries(outputs)) {
    const { data } = await processImage(rocket, options)
    await assertSameAsSharp(data, label)
  }
  // A 16-colour palette is stored at 4 bits; a progressive JPEG says so.
  assert.equal((await metadata((await processImage(rocket, { format: 'png', colours: 16 })).data)).bitsPerSample, 4)
  assert.equal((await metadata((await processImage(rocket, { progressive: true })).data)).isProgressive, true)
})

test('metadata() reads densities from EXIF, JFIF and pHYs as sharp does', async () => {
  const base = sharp(photo('coffee.png')).resize(64)
  for (const density of [72, 96, 150, 300]) {
    for (const buffer of [
      await base.clone().jpeg().withMetadata({ density }).toBuffer(),
      await base.clone().png().withMetadata({ density }).toBuffer(),
    ]) {
      await assertSameAsSharp(buffer, `density ${density}`)
      assert.equal((await metadata(buffer)).density, density)
    }
  }
})
