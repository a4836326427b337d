#!/usr/bin/env node
// Generates crates/core/src/resample/testdata/sharp_resize.json: the reference table that
// crates/core/src/resample/plan.rs is tested against.
//
// Every row is produced by running the installed sharp on a synthetic image
// of the given input size and reading back what it actually did:
//   - output: info.width/height of the resize() result;
//   - scaled: (cover/contain with both dimensions only) the size of the
//     resampled image before the crop/embed, taken from the same resize with
//     fit 'outside' (cover) or 'inside' (contain), which use identical shrink
//     factors in sharp's ResolveShrink and skip the crop/embed;
//   - offset: (cover/contain, when the image is small enough to search and the
//     match is unique) where the crop window / embedded image landed, found by
//     locating the pixels of that scaled image inside the cover/contain output.
//     For contain the offset is where sharp put the scaled image's top-left
//     corner on the canvas; it can be negative (see geometry.rs docs).
//
// Nothing here depends on geometry.rs except `predictScaled`, which is only
// used to skip cases whose resampled size would make sharp allocate gigabytes
// (or crash: e.g. 1313x1 -> height 2081 aborts inside libvips).
//
// Usage: node scripts/gen-resize-table.mjs   (from the repository root)
// Output is deterministic: fixed case list, fixed PRNG seeds, one case a line.

import { writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

sharp.cache(false)

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outFile = join(root, 'crates/core/src/resample/testdata/sharp_resize.json')

const FITS = ['cover', 'contain', 'fill', 'inside', 'outside']
const GRAVITIES = ['centre', 'north', 'northeast', 'east', 'southeast', 'south', 'southwest', 'west', 'northwest']

// Largest resampled image (in pixels) we let sharp produce at all, and the
// largest we search for offsets in.
const MAX_SCALED_PIXELS = 40_000_000
const MAX_SEARCH_PIXELS = 6_000_000

// ---------------------------------------------------------------------------
// Case-selection helper only (mirrors sharp's ResolveShrink + libvips sizing).
function predictScaled([w, h], tw, th, fit, we, wr) {
  let hs = 1
  let vs = 1
  if (tw && th) {
    hs = w / tw
    vs = h / th
    if (fit === 'cover' || fit === 'outside') {
      if (hs < vs) vs = hs
      else hs = vs
    } else if (fit === 'contain' || fit === 'inside') {
      if (hs > vs) vs = hs
      else hs = vs
    }
  } else if (tw) {
    hs = w / tw
    if (fit !== 'fill') vs = hs
  } else if (th) {
    vs = h / th
    if (fit !== 'fill') hs = vs
  }
  if (wr) {
    hs = Math.min(1, hs)
    vs = Math.min(1, vs)
  } else if (we) {
    hs = Math.max(1, hs)
    vs = Math.max(1, vs)
  }
  hs = Math.min(hs, w)
  vs = Math.min(vs, h)
  const len = (n, shrink) => {
    const scale = 1 / shrink
    if (scale < 1) return Math.floor(n / (1 / scale) + 0.5) // vips_reduce
    if (scale > 1) return Math.floor(n * scale + 0.5) // vips_affine
    return n
  }
  return [len(w, hs), len(h, vs)]
}

// ---------------------------------------------------------------------------
// Deterministic noise image, so that every resampled window is unique.
function noise(w, h, seed) {
  const buf = Buffer.alloc(w * h * 3)
  let s = (seed ^ 0x9e3779b9) >>> 0 || 1
  for (let i = 0; i < buf.length; i++) {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    buf[i] = s & 0xff
  }
  return buf
}

async function run(input, inputBuf, opts) {
  const [w, h] = input
  const { data, info } = await sharp(inputBuf, { raw: { width: w, height: h, channels: 3 } })
    .resize(opts)
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height, channels: info.channels }
}

// Does `inner` (iw x ih) placed at (x, y) on `outer` (ow x oh) agree with
// `outer` on their overlap? (x, y may be negative.)
function agrees(outer, inner, x, y) {
  const x0 = Math.max(0, x)
  const y0 = Math.max(0, y)
  const x1 = Math.min(outer.width, x + inner.width)
  const y1 = Math.min(outer.height, y + inner.height)
  if (x1 <= x0 || y1 <= y0) return false
  const rowBytes = (x1 - x0) * 3
  for (let oy = y0; oy < y1; oy++) {
    const o = (oy * outer.width + x0) * 3
    const i = ((oy - y) * inner.width + (x0 - x)) * 3
    if (outer.data.compare(inner.data, i, i + rowBytes, o, o + rowBytes) !== 0) return false
  }
  return true
}

// Is every pixel of `outer` outside the rectangle (x, y, w, h) black, i.e.
// the contain background?
function backgroundOutside(outer, x, y, w, h) {
  const d = outer.data
  for (let oy = 0; oy < outer.height; oy++) {
    const inRows = oy >= y && oy < y + h
    for (let ox = 0; ox < outer.width; ox++) {
      if (inRows && ox >= x && ox < x + w) continue
      const o = (oy * outer.width + ox) * 3
      if (d[o] !== 0 || d[o + 1] !== 0 || d[o + 2] !== 0) return false
    }
  }
  return true
}

// All (x, y) in the given ranges where `inner` agrees with `outer` (and, if
// `embed`, `outer` is background everywhere else). Stops at two hits.
function locate(outer, inner, xr, yr, embed) {
  const hits = []
  for (let y = yr[0]; y <= yr[1]; y++) {
    for (let x = xr[0]; x <= xr[1]; x++) {
      if (agrees(outer, inner, x, y) && (!embed || backgroundOutside(outer, x, y, inner.width, inner.height))) {
        hits.push([x, y])
        if (hits.length > 1) return hits
      }
    }
  }
  return hits
}

function isUniform(img) {
  const d = img.data
  for (let i = 3; i < d.length; i++) if (d[i] !== d[i % 3]) return false
  return true
}

// ---------------------------------------------------------------------------
// Case list.
const cases = []
const seen = new Set()
function add(input, width, height, fit, position, we, wr) {
  const key = JSON.stringify([input, width, height, fit, position, we, wr])
  if (seen.has(key)) return
  seen.add(key)
  cases.push({ input, width, height, fit, position, withoutEnlargement: we, withoutReduction: wr })
}

const INPUTS = [
  [640, 427],
  [3840, 2400],
  [1000, 872], // landscape
  [427, 640],
  [2400, 3840], // portrait
  [512, 512], // square
  [1, 1],
  [3, 2],
  [1, 1000],
  [1000, 1], // tiny / extreme
  [451, 300],
  [1411, 1411],
  [14, 25], // odd
]
const TARGETS = [
  [800, 600],
  [600, 800],
  [320, null],
  [null, 320],
  [1920, null],
  [100, 100],
  [1, 1],
  [5000, 5000],
  [451, 300],
  [null, null],
]

// 1. Grid: every input x target x fit, withoutEnlargement off and on.
for (const input of INPUTS) {
  for (const [tw, th] of TARGETS) {
    for (const fit of FITS) {
      for (const we of [false, true]) {
        if (tw === null && th === null && (fit !== 'cover' || we)) continue
        add(input, tw, th, fit, 'centre', we, false)
      }
    }
  }
}

// 2. withoutReduction (alone and together with withoutEnlargement).
for (const input of [
  [640, 427],
  [427, 640],
  [512, 512],
  [14, 25],
  [1000, 1],
]) {
  for (const [tw, th] of [
    [800, 600],
    [320, null],
    [null, 320],
    [100, 100],
    [451, 300],
  ]) {
    for (const fit of FITS) {
      add(input, tw, th, fit, 'centre', false, true)
      if (fit === 'cover' || fit === 'inside') add(input, tw, th, fit, 'centre', true, true)
    }
  }
}

// 3. Gravity: every position for cover and contain.
for (const [input, tw, th] of [
  [[640, 427], 100, 100],
  [[427, 640], 100, 100],
  [[1000, 872], 451, 300],
  [[451, 300], 100, 101],
  [[14, 25], 7, 5],
  [[3, 2], 5, 5],
  [[1411, 1411], 300, 451],
]) {
  for (const fit of ['cover', 'contain']) {
    for (const position of GRAVITIES) add(input, tw, th, fit, position, false, false)
  }
}
// sharp's CSS-style aliases (resolve to the same gravities).
for (const position of [
  'top',
  'right top',
  'right',
  'right bottom',
  'bottom',
  'left bottom',
  'left',
  'left top',
  'center',
]) {
  add([640, 427], 100, 100, 'cover', position, false, false)
  add([427, 640], 100, 100, 'contain', position, false, false)
}
// contain + withoutReduction where the image is larger than the box: sharp
// computes a negative embed offset.
for (const position of ['centre', 'northeast', 'southwest']) {
  add([640, 427], 100, 100, 'contain', position, false, true)
  add([14, 25], 30, 10, 'contain', position, false, true)
}

// 4. Seeded random small cases: fractional sizes, .5 rounding boundaries.
{
  let s = 20240601
  const rnd = (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return 1 + ((s >>> 8) % n)
  }
  for (let i = 0; i < 240; i++) {
    const input = [rnd(60), rnd(60)]
    const mode = i % 3
    const tw = mode !== 2 ? rnd(90) : null
    const th = mode !== 1 ? rnd(90) : null
    const fit = FITS[rnd(5) - 1]
    const flags = rnd(4)
    const position = (fit === 'cover' || fit === 'contain') && tw && th ? GRAVITIES[rnd(9) - 1] : 'centre'
    add(input, tw, th, fit, position, flags === 2 || flags === 4, flags === 3 || flags === 4)
  }
}

// 5. Rounding edges: sizes where the exact libvips float expression
//    (reduce: len / (1 / (1 / shrink)); enlarge: len * (1 / shrink)) and the
//    naive alternatives disagree, so the table pins down the exact rounding.
{
  const reduce = (n, s) => Math.floor(n / (1 / (1 / s)) + 0.5)
  const enlarge = (n, s) => Math.floor(n * (1 / s) + 0.5)
  const naive = (n, s) => Math.floor(n / s + 0.5)
  const edges = { down: [], up: [] }
  for (let a = 1; a <= 40; a++) {
    for (let b = 1; b <= 40; b++) {
      for (let t = 1; t <= 120; t++) {
        const s = b / t
        const vips = s > 1 ? reduce(a, s) : enlarge(a, s)
        const other = s > 1 ? enlarge(a, s) : reduce(a, s)
        if (vips !== naive(a, s) || vips !== other) edges[s > 1 ? 'down' : 'up'].push([a, b, t])
      }
    }
  }
  for (const list of [edges.down, edges.up]) {
    const step = Math.max(1, Math.floor(list.length / 24))
    for (let k = 0; k * step < list.length && k < 24; k++) {
      const [a, b, t] = list[k * step]
      const fit = ['inside', 'cover', 'outside', 'contain'][k % 4]
      // The derived axis is `a`; the requested one is `b` -> `t`.
      if (k % 2 === 0) add([a, b], null, t, fit, 'centre', false, false)
      else add([b, a], t, null, fit, 'centre', false, false)
    }
  }
  add([25, 10], null, 49, 'outside', 'centre', false, false)
  add([25, 10], null, 9, 'inside', 'centre', false, false)
}

// ---------------------------------------------------------------------------
const rows = []
let skipped = 0
let withOffset = 0
const inputs = new Map()
for (const c of cases) {
  const [w, h] = c.input
  const [pw, ph] = predictScaled(c.input, c.width, c.height, c.fit, c.withoutEnlargement, c.withoutReduction)
  const bothDims = c.width !== null && c.height !== null
  if (pw * ph > MAX_SCALED_PIXELS) {
    skipped++
    continue
  }
  const key = `${w}x${h}`
  if (!inputs.has(key)) inputs.set(key, noise(w, h, w * 65537 + h))
  const buf = inputs.get(key)

  const opts = {
    fit: c.fit,
    position: c.position,
    withoutEnlargement: c.withoutEnlargement,
    withoutReduction: c.withoutReduction,
    background: { r: 0, g: 0, b: 0 },
  }
  if (c.width !== null) opts.width = c.width
  if (c.height !== null) opts.height = c.height

  const out = await run(c.input, buf, opts)
  const row = { ...c, output: [out.width, out.height] }

  if (bothDims && (c.fit === 'cover' || c.fit === 'contain')) {
    const plain = await run(c.input, buf, { ...opts, fit: c.fit === 'cover' ? 'outside' : 'inside' })
    row.scaled = [plain.width, plain.height]
    const small = plain.width * plain.height <= MAX_SEARCH_PIXELS
    if (c.fit === 'cover') {
      if (out.width === plain.width && out.height === plain.height) {
        row.offset = [0, 0] // sharp skips the crop
      } else if (small && !isUniform(plain)) {
        // The output is a window of the scaled image: find where.
        const hits = locate(plain, out, [0, plain.width - out.width], [0, plain.height - out.height], false)
        if (hits.length === 1) row.offset = hits[0]
      }
    } else if (small) {
      // Find the scaled image on the canvas. sharp computes the embed offset
      // from the *requested* size, so the search includes negative offsets
      // (possible with withoutReduction).
      const xr = [Math.min(0, c.width - plain.width, out.width - plain.width), Math.max(0, out.width - plain.width)]
      const yr = [
        Math.min(0, c.height - plain.height, out.height - plain.height),
        Math.max(0, out.height - plain.height),
      ]
      const hits = locate(out, plain, xr, yr, true)
      if (hits.length === 1) row.offset = hits[0]
    }
    if (row.offset) withOffset++
  }
  rows.push(row)
}

mkdirSync(dirname(outFile), { recursive: true })
const order = [
  'input',
  'width',
  'height',
  'fit',
  'position',
  'withoutEnlargement',
  'withoutReduction',
  'output',
  'scaled',
  'offset',
]
const lines = rows.map((r) => '  ' + JSON.stringify(r, order))
writeFileSync(outFile, '[\n' + lines.join(',\n') + '\n]\n')
console.log(`wrote ${rows.length} cases (${withOffset} with offsets, ${skipped} skipped as too large) to ${outFile}`)
