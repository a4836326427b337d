// SVG input (crates/core/src/codec/svg.rs): sized as sharp sizes it, at `density`,
// drawn by resvg with pixels close to sharp's (librsvg), drawn straight at the size a
// resize needs, and nothing outside the document read.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { lumaSsim, decode, tmpDir } from './helpers.mjs'

const { processImage, processImages, metadata } = createRequire(import.meta.url)('../index.js')
const SVGS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'svg')
const fixture = (name) => path.join(SVGS, name)
const FIXTURES = ['check.svg', 'circle.svg', 'Wikimedia-logo.svg']

const svg = (attrs, body = '<rect width="10" height="10" fill="red"/>') =>
  Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" ${attrs}>${body}</svg>`)

/** Documents whose size comes from each of sharp's rules. */
const SIZED = {
  px: svg('width="120" height="80.6"'),
  viewBox: svg('viewBox="5 5 50.5 30.5"'),
  physical: svg('width="30mm" height="1in"'),
  fontUnits: svg('width="10em" height="2ex"'),
  widthAndViewBox: svg('width="200" viewBox="0 0 50 30"'),
  percentAndViewBox: svg('width="100%" height="50%" viewBox="0 0 50 30"'),
  content: svg('', '<rect x="20" y="30" width="10" height="5" stroke="black" stroke-width="4"/>'),
  widthAlone: svg('width="200"'),
}

/** What a promise settles to: 'resolved', or the code it was rejected with. */
const code = (p) =>
  p.then(
    () => 'resolved',
    (e) => e.code,
  )

const pick = (m) => [m.format, m.width, m.height, m.channels, m.hasAlpha, m.density]

test("metadata() gives sharp's size, channels and density for SVG, at every density", async () => {
  const inputs = [...FIXTURES.map((f) => [f, fixture(f)]), ...Object.entries(SIZED)]
  for (const [name, input] of inputs) {
    for (const density of [72, 144, 96, 300]) {
      const [ours, theirs] = await Promise.all([metadata(input, { density }), sharp(input, { density }).metadata()])
      assert.deepEqual(pick(ours), pick(theirs), `${name} at ${density} dpi`)
    }
  }
  // The default density is 72, as in sharp.
  assert.deepEqual(pick(await metadata(fixture('check.svg'))), pick(await sharp(fixture('check.svg')).metadata()))
})

test("SVG renders with sharp's size and pixels (SSIM >= 0.97), as PNG by default", async () => {
  for (const name of FIXTURES) {
    for (const density of [72, 200]) {
      const ours = await processImage(fixture(name), { density })
      assert.equal(ours.info.format, 'png', 'SVG input is written as PNG, as sharp writes it')
      const theirs = await sharp(fixture(name), { density }).png().toBuffer()
      const [a, b] = await Promise.all([decode(ours.data), decode(theirs)])
      assert.deepEqual([a.info.width, a.info.height, a.info.channels], [b.info.width, b.info.height, b.info.channels])
      const ssim = await lumaSsim(ours.data, theirs)
      assert.ok(ssim >= 0.97, `${name} at ${density} dpi: SSIM ${ssim.toFixed(4)} against sharp`)
    }
  }
})

test('a resized SVG is drawn at the target size, as sharp draws it: sharp, not blurred', async () => {
  for (const [name, resize] of [
    ['check.svg', { width: 640 }],
    ['circle.svg', { width: 300, height: 200, fit: 'cover' }],
    ['Wikimedia-logo.svg', { width: 256 }],
    ['Wikimedia-logo.svg', { width: 300, height: 200, fit: 'contain' }],
  ]) {
    const ours = await processImage(fixture(name), { ...resize, format: 'png' })
    const theirs = await sharp(fixture(name)).resize(resize).png().toBuffer({ resolveWithObject: true })
    assert.deepEqual([ours.info.width, ours.info.height], [theirs.info.width, theirs.info.height], name)
    const ssim = await lumaSsim(ours.data, theirs.data)
    assert.ok(ssim >= 0.97, `${name} ${JSON.stringify(resize)}: SSIM ${ssim.toFixed(4)} against sharp`)
  }
  // An enlargement drawn at 8x has crisp edges: no pixel of the 8x8 circle's
  // 64x64 drawing is as blurred as an enlarged 8x8 bitmap would be at its centre.
  const big = await decode((await processImage(fixture('circle.svg'), { width: 64, format: 'png' })).data)
  const alpha = (x, y) => big.data[(y * 64 + x) * 4 + 3]
  assert.equal(alpha(32, 32), 255)
  assert.equal(alpha(1, 1), 0)
})

test('SVGZ (gzip) and an XML prolog are read; processImages writes .png', async (t) => {
  const plain = fs.readFileSync(fixture('Wikimedia-logo.svg'))
  const gz = zlib.gzipSync(plain)
  const [a, b] = await Promise.all([processImage(gz, { width: 100 }), processImage(plain, { width: 100 })])
  assert.deepEqual(a.data, b.data)
  assert.deepEqual(pick(await metadata(gz)), pick(await sharp(gz).metadata()))
  const out = tmpDir(t)
  const [result] = await processImages([fixture('check.svg')], { outputDir: out, width: 50 })
  assert.ok(result.success, JSON.stringify(result.error))
  assert.equal(path.extname(result.outputPath), '.png')
  const written = await sharp(result.outputPath).metadata()
  assert.deepEqual([written.format, written.width, written.height], ['png', 50, 50])
})

test('text in an SVG is drawn with the system fonts', async () => {
  const doc = svg(
    'width="120" height="30"',
    '<text x="4" y="22" font-family="sans-serif" font-size="20">corepool</text>',
  )
  const { data, info } = await decode((await processImage(doc, { format: 'png' })).data)
  let inked = 0
  for (let i = 3; i < data.length; i += 4) if (data[i] > 128) inked++
  assert.ok(inked > 100, `only ${inked} of ${info.width * info.height} pixels drawn`)
})

test('an SVG overlay composites, as sharp users write watermarks', async () => {
  const base = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer()
  const mark = svg('width="32" height="32"', '<rect width="32" height="32" fill="#0000ff"/>')
  const ours = await processImage(base, { composite: [{ input: mark, gravity: 'northwest' }], format: 'png' })
  const { data } = await decode(ours.data)
  assert.deepEqual([...data.subarray(0, 3)], [0, 0, 255])
  assert.deepEqual([...data.subarray((63 * 64 + 63) * 3, (63 * 64 + 63) * 3 + 3)], [255, 255, 255])
})

test('bad SVG and bad density are coded rejections; files the document names are not read', async (t) => {
  assert.equal(
    await code(processImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="5"'))),
    'ERR_INPUT_CORRUPT',
  )
  assert.equal(await code(processImage(svg('width="0" height="10"'))), 'ERR_INPUT_CORRUPT')
  assert.equal(await code(processImage(svg('', ''))), 'ERR_INPUT_CORRUPT')
  assert.equal(await code(metadata(svg('width="0" height="10"'))), 'ERR_INPUT_CORRUPT')
  for (const density of [0, 100001, -1, '72', NaN]) {
    assert.equal(await code(processImage(fixture('check.svg'), { density })), 'ERR_INVALID_OPTION', String(density))
    assert.equal(await code(metadata(fixture('check.svg'), { density })), 'ERR_INVALID_OPTION', String(density))
  }
  // The pixel limit applies to the drawn size, before drawing.
  assert.equal(
    await code(processImage(svg('width="5000" height="5000"'), { limitInputPixels: 1000 })),
    'ERR_INPUT_TOO_LARGE',
  )
  assert.equal(await code(processImage(fixture('check.svg'), { density: 100000 })), 'ERR_INPUT_TOO_LARGE')
  // A red PNG next to the document, named by it: not drawn (transparent output).
  const dir = tmpDir(t)
  const secret = path.join(dir, 'secret.png')
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } })
    .png()
    .toFile(secret)
  const doc = path.join(dir, 'doc.svg')
  fs.writeFileSync(
    doc,
    svg(
      'width="8" height="8"',
      `<image href="secret.png" width="8" height="8"/><image href="${secret}" width="8" height="8"/>`,
    ),
  )
  const { data } = await decode((await processImage(doc, { format: 'png' })).data)
  assert.ok(
    data.every((v) => v === 0),
    'a file named by the SVG was drawn',
  )
})

test('an SVG whose drawing needs gigabytes of scratch is ERR_INPUT_TOO_LARGE; a few layers still draw', async () => {
  // A pattern tile of 4 x 1e9 pixels, and 20 nested half-opaque layers of 5 x 5 canvases
  // each (resvg allocates both before drawing into them; Rust aborts when that fails).
  const tallPattern = svg(
    'width="100" height="50"',
    '<defs><pattern id="p" width="4" height="1e9" patternUnits="userSpaceOnUse"><rect width="2" height="2"/></pattern></defs><rect width="100" height="50" fill="url(#p)"/>',
  )
  const nested = (depth, rect) =>
    svg(
      'width="200" height="100"',
      `${'<g opacity="0.9">'.repeat(depth)}<rect ${rect} fill="teal"/>${'</g>'.repeat(depth)}`,
    )
  const huge = 'x="-5e5" y="-5e5" width="1e6" height="1e6"'
  await assert.rejects(processImage(tallPattern), { code: 'ERR_INPUT_TOO_LARGE', message: /pattern/ })
  assert.equal(await code(processImage(nested(20, huge), { width: 2000 })), 'ERR_INPUT_TOO_LARGE')
  // What sharp draws, corepool draws: three nested layers at the same size and colour.
  // (Content far outside the canvas is not used here: resvg loses it from the third
  // nested layer on, as the README says.)
  const three = nested(3, 'x="-10" y="-10" width="220" height="120"')
  const ours = (await processImage(three, { width: 2000, format: 'png' })).data
  const theirs = await sharp(three).resize({ width: 2000 }).png().toBuffer()
  const [a, b] = await Promise.all([decode(ours), decode(theirs)])
  assert.deepEqual([a.info.width, a.info.height, a.info.channels], [b.info.width, b.info.height, b.info.channels])
  const centre = (img) => [...img.data.subarray((500 * 2000 + 1000) * 4, (500 * 2000 + 1000) * 4 + 4)]
  const [pa, pb] = [centre(a), centre(b)]
  pa.forEach((v, i) => assert.ok(Math.abs(v - pb[i]) <= 2, `${pa} vs ${pb}`))
  assert.ok((await lumaSsim(ours, theirs)) >= 0.97)
})
