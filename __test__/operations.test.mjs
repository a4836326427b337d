// The operations around the resize (extract, trim, extend, sharpen, blur, flatten,
// negate, normalise, modulate, composite) against sharp's equivalent chain on real photos: the same
// dimensions, SSIM >= 0.97, and a visible change from the plain resize (so that a no-op
// cannot pass); bad values reject or fail the file with a documented code.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { decode, lumaSsim, meanAbsDiff, photo, tmpDir } from './helpers.mjs'

const { processImage, processImages } = createRequire(import.meta.url)('../index.js')

const SSIM_MIN = 0.97

/** corepool's output for `options` and sharp's for `chain(sharp(input))`, both PNG. */
async function both(input, options, chain) {
  const [ours, theirs] = await Promise.all([
    processImage(input, { format: 'png', ...options }),
    chain(sharp(input).autoOrient()).png().toBuffer({ resolveWithObject: true }),
  ])
  return { ours, theirs }
}

/**
 * Asserts the same size as sharp, SSIM >= 0.97 against sharp, and that the operation
 * changed the image: against the output without it (`plain` options), the result is
 * either another size or closer to sharp's than to the plain one, and not identical.
 */
async function assertLikeSharp(label, input, options, chain, plain) {
  const { ours, theirs } = await both(input, options, chain)
  assert.deepEqual([ours.info.width, ours.info.height], [theirs.info.width, theirs.info.height], `${label}: size`)
  const score = await lumaSsim(ours.data, theirs.data)
  assert.ok(score >= SSIM_MIN, `${label}: SSIM ${score.toFixed(4)} against sharp`)
  const without = await processImage(input, { format: 'png', ...plain })
  if (without.info.width === ours.info.width && without.info.height === ours.info.height) {
    const [a, b] = await Promise.all([decode(ours.data), decode(without.data)])
    assert.ok(meanAbsDiff(a, b) > 0.2, `${label}: no visible change from the plain resize`)
    const plainScore = await lumaSsim(without.data, theirs.data)
    assert.ok(
      score > plainScore,
      `${label}: SSIM ${score.toFixed(4)} not above the plain resize's ${plainScore.toFixed(4)}`,
    )
  }
  return { ours, theirs, score }
}

const ROCKET = photo('rocket.jpg')
const COFFEE = photo('coffee.png')

/** `input` as a PNG with an alpha ramp, transparent on the left to opaque on the right. */
async function withAlphaRamp(input) {
  const { width, height } = await sharp(input).metadata()
  const alpha = Buffer.alloc(width * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) alpha[y * width + x] = Math.round((255 * x) / (width - 1))
  }
  // (The inputs have no alpha; sharp's removeAlpha would run after the join.)
  return sharp(input)
    .joinChannel(alpha, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer()
}

test('extract: a region of the input before the resize', async () => {
  const region = { left: 120, top: 40, width: 300, height: 220 }
  await assertLikeSharp(
    'extract + resize',
    ROCKET,
    { extract: region, width: 200 },
    (s) => s.extract(region).resize({ width: 200 }),
    { width: 200 },
  )
  await assertLikeSharp('extract alone', COFFEE, { extract: region }, (s) => s.extract(region), {})
})

test('extend: padding after the resize, corners in the background colour', async () => {
  const extend = { top: 10, bottom: 20, left: 5, right: 15, background: '#ff0000' }
  const { ours } = await assertLikeSharp(
    'extend',
    COFFEE,
    { width: 200, extend },
    (s) => s.resize({ width: 200 }).extend(extend),
    { width: 200 },
  )
  const raw = await decode(ours.data)
  const { width: w, height: h } = raw.info
  assert.deepEqual([w, h], [220, 163])
  for (const [x, y] of [
    [0, 0],
    [w - 1, 0],
    [0, h - 1],
    [w - 1, h - 1],
  ]) {
    const i = (y * w + x) * raw.info.channels
    assert.deepEqual([...raw.data.subarray(i, i + 3)], [255, 0, 0], `corner ${x},${y}`)
  }
  // A number pads every side; a translucent background adds alpha.
  const all = await processImage(COFFEE, { width: 100, extend: 7, format: 'png' })
  assert.deepEqual([all.info.width, all.info.height], [114, 81])
  const clear = await processImage(COFFEE, {
    width: 100,
    extend: { top: 3, background: 'transparent' },
    format: 'png',
  })
  assert.equal(clear.info.channels, 4)
})

test('flatten: alpha merged onto the background', async () => {
  const translucent = await withAlphaRamp(COFFEE)
  const { ours } = await assertLikeSharp(
    'flatten',
    translucent,
    { width: 250, flatten: { background: '#00ff00' } },
    (s) => s.resize({ width: 250 }).flatten({ background: '#00ff00' }),
    { width: 250 },
  )
  assert.equal(ours.info.channels, 3)
})

test('negate: the negative, alpha included by default', async () => {
  await assertLikeSharp('negate', ROCKET, { width: 300, negate: true }, (s) => s.resize({ width: 300 }).negate(), {
    width: 300,
  })
  const { ours, theirs } = await both(await withAlphaRamp(COFFEE), { width: 200, negate: { alpha: false } }, (s) =>
    s.resize({ width: 200 }).negate({ alpha: false }),
  )
  assert.ok((await lumaSsim(ours.data, theirs.data)) >= SSIM_MIN, 'negate without alpha matches sharp')
  // The alpha ramp is kept: transparent on the left, opaque on the right.
  const raw = await decode(ours.data)
  assert.equal(raw.info.channels, 4)
  assert.ok(raw.data[3] < 10 && raw.data[(raw.info.width - 1) * 4 + 3] > 245)
})

test('blur: Gaussian sigma and the mild box blur', async () => {
  for (const sigma of [0.8, 3, 12]) {
    await assertLikeSharp(
      `blur ${sigma}`,
      ROCKET,
      { width: 320, blur: sigma },
      (s) => s.resize({ width: 320 }).blur(sigma),
      { width: 320 },
    )
  }
  await assertLikeSharp('blur true', ROCKET, { width: 320, blur: true }, (s) => s.resize({ width: 320 }).blur(), {
    width: 320,
  })
  await assertLikeSharp(
    'blur with alpha',
    await withAlphaRamp(ROCKET),
    { width: 200, blur: 2 },
    (s) => s.resize({ width: 200 }).blur(2),
    {
      width: 200,
    },
  )
})

test('sharpen: the mild sharpen and the unsharp mask on L*', async () => {
  await assertLikeSharp(
    'sharpen true',
    ROCKET,
    { width: 400, sharpen: true },
    (s) => s.resize({ width: 400 }).sharpen(),
    { width: 400 },
  )
  for (const options of [{ sigma: 1 }, { sigma: 2, m1: 0, m2: 3, x1: 3, y2: 15, y3: 15 }]) {
    await assertLikeSharp(
      `sharpen ${JSON.stringify(options)}`,
      ROCKET,
      { width: 400, sharpen: options },
      (s) => s.resize({ width: 400 }).sharpen(options),
      { width: 400 },
    )
  }
  await assertLikeSharp(
    'sharpen grey',
    photo('camera.png'),
    { width: 300, sharpen: { sigma: 1.5 } },
    (s) => s.resize({ width: 300 }).sharpen({ sigma: 1.5 }),
    { width: 300 },
  )
})

/** A `w`x`h` RGBA PNG of one colour. */
const solid = (w, h, [r, g, b, a]) =>
  sharp({ create: { width: w, height: h, channels: 4, background: { r, g, b, alpha: a / 255 } } })
    .png()
    .toBuffer()

/** A synthetic RGB base: horizontal and vertical ramps. */
function ramp(w, h) {
  const raw = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3
      raw[o] = Math.round((255 * x) / (w - 1))
      raw[o + 1] = Math.round((255 * y) / (h - 1))
      raw[o + 2] = 128
    }
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer()
}

/**
 * Like assertLikeSharp for colour operations, where luma alone may not move (a hue
 * turn keeps L*): same size, luma SSIM >= 0.97, and in RGB much closer to sharp's
 * output than the image without the operation is.
 */
async function assertColourLikeSharp(label, input, options, chain, plain) {
  const { ours, theirs } = await both(input, options, chain)
  assert.deepEqual([ours.info.width, ours.info.height], [theirs.info.width, theirs.info.height], `${label}: size`)
  const score = await lumaSsim(ours.data, theirs.data)
  assert.ok(score >= SSIM_MIN, `${label}: SSIM ${score.toFixed(4)} against sharp`)
  const without = await processImage(input, { format: 'png', ...plain })
  const [o, t, w] = await Promise.all([decode(ours.data), decode(theirs.data), decode(without.data)])
  const [near, far] = [meanAbsDiff(o, t), meanAbsDiff(w, t)]
  assert.ok(near < 2.5, `${label}: ${near.toFixed(2)} levels from sharp's output`)
  assert.ok(
    far > 3 * near,
    `${label}: the plain image is ${far.toFixed(2)} levels from sharp's, ours ${near.toFixed(2)}`,
  )
}

test('normalise and modulate: lightness, chroma and hue as sharp changes them', async () => {
  // A dull photo (levels squeezed into 64..191) for normalise to stretch.
  const dull = await sharp(ROCKET).linear(0.5, 64).png().toBuffer()
  // (0 and 100 are the darkest and brightest pixels, which after a resize depend on
  // each library's ringing: that case is compared without one.)
  for (const [normalise, width] of [
    [true, 300],
    [{ lower: 5, upper: 90 }, 300],
    [{ lower: 1, upper: 99 }, undefined],
    [{ lower: 0, upper: 100 }, undefined],
  ]) {
    const args = normalise === true ? [] : [normalise]
    await assertColourLikeSharp(
      `normalise ${JSON.stringify(normalise)}`,
      dull,
      { width, normalise },
      (s) => (width ? s.resize({ width }) : s).normalise(...args),
      { width },
    )
  }
  for (const modulate of [
    { brightness: 1.4 },
    { saturation: 0.3 },
    { hue: 120 },
    { lightness: 20 },
    { brightness: 0.8, saturation: 1.5, hue: -90 },
  ]) {
    await assertColourLikeSharp(
      `modulate ${JSON.stringify(modulate)}`,
      ROCKET,
      { width: 300, modulate },
      (s) => s.resize({ width: 300 }).modulate(modulate),
      { width: 300 },
    )
  }
})

test('composite: a watermark at the gravity corner, on a real photo', async (t) => {
  const mark = await solid(60, 30, [255, 255, 0, 255])
  const { ours } = await assertLikeSharp(
    'watermark',
    ROCKET,
    { width: 400, composite: [{ input: mark, gravity: 'southeast' }] },
    (s) => s.resize({ width: 400 }).composite([{ input: mark, gravity: 'southeast' }]),
    { width: 400 },
  )
  const raw = await decode(ours.data)
  const { width: w, height: h, channels } = raw.info
  const at = (x, y) => [...raw.data.subarray((y * w + x) * channels, (y * w + x) * channels + 3)]
  assert.deepEqual(at(w - 1, h - 1), [255, 255, 0])
  assert.deepEqual(at(w - 60, h - 30), [255, 255, 0])
  assert.notDeepEqual(at(w - 61, h - 31), [255, 255, 0])
  // From a file path, placed by offsets.
  const dir = tmpDir(t)
  const file = path.join(dir, 'mark.png')
  fs.writeFileSync(file, mark)
  const placed = await processImage(ROCKET, {
    width: 400,
    format: 'png',
    composite: [{ input: file, top: 5, left: 7 }],
  })
  const p = await decode(placed.data)
  const i = (5 * p.info.width + 7) * p.info.channels
  assert.deepEqual([...p.data.subarray(i, i + 3)], [255, 255, 0])
})

test('composite: blend modes and tiles match sharp on a synthetic image', async () => {
  const base = await ramp(64, 48)
  const overlay = await sharp({
    create: { width: 20, height: 16, channels: 4, background: { r: 200, g: 60, b: 30, alpha: 0.6 } },
  })
    .png()
    .toBuffer()
  for (const blend of ['over', 'multiply', 'screen']) {
    for (const layer of [
      { input: overlay, blend, gravity: 'northwest' },
      { input: overlay, blend, top: 20, left: 50 },
      { input: overlay, blend, tile: true },
      { input: overlay, blend, tile: true, gravity: 'southeast' },
    ]) {
      const [ours, theirs] = await Promise.all([
        processImage(base, { format: 'png', composite: [layer] }).then((r) => decode(r.data)),
        sharp(base)
          .composite([layer])
          .png()
          .toBuffer()
          .then((b) => decode(b)),
      ])
      const label = JSON.stringify({ ...layer, input: undefined })
      assert.ok(meanAbsDiff(ours, theirs) < 0.5, `${label}: mean difference ${meanAbsDiff(ours, theirs)}`)
      let worst = 0
      for (let p = 0; p < 64 * 48; p++) {
        for (let c = 0; c < 3; c++) {
          worst = Math.max(
            worst,
            Math.abs(ours.data[p * ours.info.channels + c] - theirs.data[p * theirs.info.channels + c]),
          )
        }
      }
      assert.ok(worst <= 2, `${label}: worst difference ${worst}`)
    }
  }
})

test('trim: the border of a bordered photo, within 1 px of sharp', async () => {
  const bordered = await sharp(COFFEE)
    .extend({ top: 23, bottom: 41, left: 37, right: 12, background: '#ffffff' })
    .png()
    .toBuffer()
  for (const trim of [true, { threshold: 30 }, { background: '#ffffff', threshold: 5 }]) {
    const ours = await processImage(bordered, { trim, format: 'png' })
    const theirs = await sharp(bordered)
      .trim(trim === true ? undefined : trim)
      .png()
      .toBuffer({ resolveWithObject: true })
    const label = JSON.stringify(trim)
    assert.ok(
      Math.abs(ours.info.width - theirs.info.width) <= 1,
      `${label}: width ${ours.info.width} vs ${theirs.info.width}`,
    )
    assert.ok(
      Math.abs(ours.info.height - theirs.info.height) <= 1,
      `${label}: height ${ours.info.height} vs ${theirs.info.height}`,
    )
    assert.ok(Math.abs(ours.info.width - 600) <= 1 && Math.abs(ours.info.height - 400) <= 1, label)
  }
  // Trim then resize, as sharp does.
  await assertLikeSharp('trim + resize', bordered, { trim: true, width: 300 }, (s) => s.trim().resize({ width: 300 }), {
    width: 300,
  })
})

/** The offset of `window` (decoded) inside `full` (decoded), by least luma difference. */
function offsetIn(full, window) {
  const { width: W, height: H, channels: C } = full.info
  const { width: w, height: h, channels: c } = window.info
  let best = [Infinity, 0, 0]
  for (let oy = 0; oy <= H - h; oy++) {
    for (let ox = 0; ox <= W - w; ox++) {
      let d = 0
      for (let y = 0; y < h; y += 3) {
        for (let x = 0; x < w; x += 3)
          d += Math.abs(full.data[((y + oy) * W + x + ox) * C] - window.data[(y * w + x) * c])
      }
      if (d < best[0]) best = [d, ox, oy]
    }
  }
  return [best[1], best[2]]
}

test('position entropy and attention: the cover crop where sharp puts it', async () => {
  for (const position of ['entropy', 'attention']) {
    let moved = 0
    for (const [input, width, height] of [
      [ROCKET, 200, 200],
      [COFFEE, 150, 300],
      [photo('chelsea.png'), 300, 100],
      [photo('chelsea.png'), 200, 200],
      [photo('astronaut.png'), 120, 240],
    ]) {
      const label = `${position} ${path.basename(input)} ${width}x${height}`
      const { ours, theirs } = await both(input, { width, height, position }, (s) =>
        s.resize({ width, height, fit: 'cover', position }),
      )
      assert.deepEqual([ours.info.width, ours.info.height], [theirs.info.width, theirs.info.height], label)
      const sharpAt = [Math.abs(theirs.info.cropOffsetLeft), Math.abs(theirs.info.cropOffsetTop)]
      const full = await decode(await sharp(input).resize({ width, height, fit: 'outside' }).png().toBuffer())
      const oursAt = offsetIn(full, await decode(ours.data))
      if (position === 'entropy') {
        assert.deepEqual(oursAt, sharpAt, `${label}: window`)
      } else {
        // Attention places the window from a 32x32 reduction: within one of its cells.
        const cell = [Math.ceil(full.info.width / 32), Math.ceil(full.info.height / 32)]
        for (const i of [0, 1]) {
          assert.ok(Math.abs(oursAt[i] - sharpAt[i]) <= cell[i], `${label}: window ${oursAt} vs sharp's ${sharpAt}`)
        }
      }
      if (oursAt[0] === sharpAt[0] && oursAt[1] === sharpAt[1]) {
        const score = await lumaSsim(ours.data, theirs.data)
        assert.ok(score >= SSIM_MIN, `${label}: SSIM ${score.toFixed(4)} against sharp`)
      }
      const centred = await processImage(input, { width, height, format: 'png' })
      if (meanAbsDiff(await decode(ours.data), await decode(centred.data)) > 1) moved++
    }
    // So that a centred crop cannot pass: the content moves the window somewhere.
    assert.ok(moved > 0, `${position}: the window never left the centre`)
  }
  await assert.rejects(
    processImage(ROCKET, { width: 100, height: 100, fit: 'contain', position: 'entropy' }),
    (err) => {
      assert.equal(err.code, 'ERR_INVALID_OPTION')
      assert.match(err.message, /need fit 'cover'/)
      return true
    },
  )
})

test('bad values reject with ERR_INVALID_OPTION, or fail the file with a documented code', async (t) => {
  const invalid = (err) => {
    assert.equal(err.code, 'ERR_INVALID_OPTION', err.message)
    return true
  }
  for (const [options, fragment] of [
    [{ blur: -1 }, 'for blur but received -1'],
    [{ blur: 0.1 }, 'between 0.3 and 1000'],
    [{ sharpen: { sigma: -1 } }, 'for sharpen.sigma'],
    [{ sharpen: { m1: 1 } }, 'for sharpen.sigma but received undefined'],
    [{ sharpen: true, blur: 2 }, "'blur' and 'sharpen'"],
    [{ extract: { left: -1, top: 0, width: 10, height: 10 } }, 'for extract.left'],
    [{ extract: { left: 0, top: 0, width: 0, height: 10 } }, 'for extract.width'],
    [{ extract: { left: 0, top: 0, width: 10 } }, 'for extract.height'],
    [{ extend: { top: -5 } }, 'for extend.top'],
    [{ extend: { tpo: 5 } }, "Unknown key 'tpo' in extend"],
    [{ trim: { threshold: -1 } }, 'for trim.threshold'],
    [{ flatten: { background: 'nope' } }, 'for flatten.background'],
    [{ composite: {} }, 'for composite'],
    [{ composite: [{}] }, 'for composite[0].input'],
    [{ composite: [{ input: 'x.png', top: 1 }] }, 'both left and top'],
    [{ composite: [{ input: 'x.png', top: 1, left: 1, gravity: 'north' }] }, 'either gravity or top and left'],
    [{ composite: [{ input: 'x.png', blend: 'burn' }] }, 'for composite[0].blend'],
    [{ normalise: { lower: 50, upper: 40 } }, 'normalise.lower (50) to be less than normalise.upper (40)'],
    [{ normalize: { upper: 101 } }, 'for normalize.upper'],
    [{ normalise: 'yes' }, 'for normalise'],
    [{ modulate: { brightness: -1 } }, 'for modulate.brightness'],
    [{ modulate: { hue: 1.5 } }, 'integer (degrees) for modulate.hue'],
    [{ modulate: { contrast: 2 } }, "Unknown key 'contrast' in modulate"],
  ]) {
    await assert.rejects(processImage(ROCKET, options), (err) => {
      invalid(err)
      assert.ok(err.message.includes(fragment), `${JSON.stringify(options)}: ${err.message}`)
      return true
    })
  }
  // Known only once the image is read: the file fails (processImage rejects) with
  // ERR_INVALID_OPTION, never ERR_INTERNAL.
  const outside = { extract: { left: 600, top: 0, width: 100, height: 100 } }
  await assert.rejects(
    processImage(ROCKET, outside),
    (err) => invalid(err) && /outside the 640x427 image/.test(err.message),
  )
  const big = await solid(700, 20, [0, 0, 0, 255])
  for (const tile of [false, true]) {
    await assert.rejects(
      processImage(ROCKET, { composite: [{ input: big, tile }] }),
      (err) => invalid(err) && /larger than the image/.test(err.message),
    )
  }
  await assert.rejects(processImage(ROCKET, { composite: [{ input: '/nonexistent/mark.png' }] }), (err) => {
    assert.equal(err.code, 'ERR_INPUT_NOT_FOUND')
    assert.match(err.message, /composite\[0\]\.input/)
    return true
  })
  await assert.rejects(processImage(ROCKET, { composite: [{ input: Buffer.from('not an image') }] }), (err) => {
    assert.equal(err.code, 'ERR_INPUT_UNSUPPORTED')
    return true
  })
  // In a batch only that file fails.
  const dir = tmpDir(t)
  const [r] = await processImages([ROCKET], { ...outside, outputDir: dir })
  assert.equal(r.success, false)
  assert.equal(r.error.code, 'ERR_INVALID_OPTION')
  assert.deepEqual(fs.readdirSync(dir), [])
})
