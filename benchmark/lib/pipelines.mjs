// Translate corepool ProcessOptions (lib/workloads.mjs) into the APIs of the
// other contenders, so that every contender produces the same geometry as
// corepool: autoOrient -> resize -> rotate -> sharpen -> grayscale -> composite -> encode.
import path from 'node:path'
import { extensionFor } from './workloads.mjs'

/** True when the rotation swaps width and height (90 or 270 degrees). */
function isQuarterTurn(rotation) {
  return Boolean(rotation) && Math.abs(rotation) % 180 === 90
}

/**
 * The resize box to request from a library that rotates BEFORE resizing.
 * corepool resizes into width x height and then rotates; rotating first and
 * resizing into the swapped box gives the same output geometry.
 */
export function boxForRotateFirst(o) {
  return isQuarterTurn(o.rotation) ? { width: o.height, height: o.width } : { width: o.width, height: o.height }
}

/** Output path for a non-corepool contender: <outDir>/<input name>.<ext>. */
export function outputPathFor(input, outDir, format) {
  const base = path.basename(input, path.extname(input))
  return path.join(outDir, `${base}.${extensionFor(format)}`)
}

/** sharp resize() options: the `{ width, height }` box with the fit and background of options `o`. */
function resizeOptions({ width, height }, o) {
  return {
    width: width ?? undefined,
    height: height ?? undefined,
    fit: o.fit ?? 'cover',
    background: o.background ?? '#000000',
  }
}

/**
 * sharp as users write it (the seed code's chain): resize, then rotate, then grey,
 * then encode, with EXIF auto-orientation first as corepool does by default. sharp
 * 0.35 honours call order: `.resize(800, 600, contain).rotate(90)` yields an 800x800
 * canvas, not corepool's 600x800; the quality gate therefore compares corepool with
 * `sharpRotateFirst`, which has corepool's geometry.
 */
export function sharpUsersChain(sharp, input, o) {
  let p = sharp(input).autoOrient()
  if (o.width || o.height) p = p.resize(resizeOptions(o, o))
  if (o.rotation) p = p.rotate(o.rotation)
  if (o.sharpen) p = o.sharpen === true ? p.sharpen() : p.sharpen(o.sharpen)
  if (o.grayscale) p = p.grayscale()
  if (o.composite) p = p.composite(o.composite)
  return p.toFormat(o.format, o.quality ? { quality: o.quality } : {})
}

/**
 * A sharp chain with corepool's output geometry for options `o`: rotate first, then
 * resize into the swapped box. Rotating first turns off libvips' JPEG shrink-on-load
 * for quarter turns, so this is slower than the users' chain: an extra, labelled row,
 * and the quality gate's reference where there is a quarter turn.
 */
export function sharpRotateFirst(sharp, input, o) {
  let p = sharp(input).autoOrient() // corepool applies EXIF orientation by default
  if (o.rotation) p = p.rotate(o.rotation)
  if (o.width || o.height) {
    p = p.resize(resizeOptions(boxForRotateFirst(o), o))
  }
  if (o.sharpen) p = o.sharpen === true ? p.sharpen() : p.sharpen(o.sharpen)
  if (o.grayscale) p = p.grayscale()
  if (o.composite) p = p.composite(o.composite)
  return p.toFormat(o.format, o.quality ? { quality: o.quality } : {})
}

/** Map a corepool rotation (degrees) to an EXIF-style Orientation of @napi-rs/image. */
function napiOrientation(napi, rotation) {
  const turns = (((rotation / 90) % 4) + 4) % 4
  const O = napi.Orientation
  return [O.Horizontal, O.Rotate90Cw, O.Rotate180, O.Rotate270Cw][turns]
}

/**
 * Map a corepool fit to @napi-rs/image's ResizeFit. It has no `contain`
 * (letterboxing) nor `outside`: contain falls back to `inside`, which keeps the
 * aspect ratio but yields a smaller canvas; the report flags the dimension mismatch.
 */
function napiFit(napi, fit) {
  const F = napi.ResizeFit
  return { cover: F.Cover, fill: F.Fill, inside: F.Inside, contain: F.Inside }[fit ?? 'cover']
}

/** Notes on where @napi-rs/image cannot express a workload exactly. */
export function napiLimitations(o) {
  const notes = []
  if (o.fit === 'contain')
    notes.push('no fit "contain" in @napi-rs/image: ran "inside" (no letterbox), so dimensions differ')
  if (o.fit === 'outside') notes.push('no fit "outside" in @napi-rs/image')
  if (o.sharpen || o.composite) notes.push('no sharpen or composite in @napi-rs/image: not run')
  return notes
}

/**
 * Build and encode with @napi-rs/image's Transformer. It applies orientation
 * before resizing whatever the call order, hence the swapped box.
 * `resizeMode` 'fast' uses its SIMD fastResize (Lanczos3), 'slow' its image-crate resize.
 */
export function napiEncode(napi, buffer, o, resizeMode = 'fast') {
  let t = new napi.Transformer(buffer)
  // rotate() without an argument applies EXIF orientation; with one it overrides it.
  t = o.rotation ? t.rotate(napiOrientation(napi, o.rotation)) : t.rotate()
  if (o.width || o.height) {
    const box = boxForRotateFirst(o)
    const fit = napiFit(napi, o.fit)
    if (fit === undefined) throw new Error(`fit "${o.fit}" is not supported by @napi-rs/image`)
    t =
      resizeMode === 'fast'
        ? t.fastResize({
            width: box.width,
            height: box.height ?? undefined,
            fit,
            filter: napi.FastResizeFilter.Lanczos3,
          })
        : t.resize({ width: box.width, height: box.height ?? undefined, fit, filter: napi.ResizeFilterType.Lanczos3 })
  }
  if (o.grayscale) t = t.grayscale()
  switch (o.format) {
    case 'jpeg':
      return t.jpeg(o.quality)
    case 'webp':
      return t.webp(o.quality)
    case 'png':
      return t.png()
    case 'avif':
      return t.avif({ quality: o.quality })
    default:
      throw new Error(`format "${o.format}" is not wired for @napi-rs/image`)
  }
}

/** True when the options rotate by a quarter turn, where sharp's single chain must rotate the full-size image. */
export function needsQuarterTurn(o) {
  return isQuarterTurn(o.rotation)
}

/**
 * sharp in two passes, for quarter-turn rotations: pass 1 resizes (with JPEG
 * shrink-on-load) to raw pixels, pass 2 rotates the small result and encodes.
 * Same output as corepool (resize, then rotate) without rotating the full-size
 * image first, which is what the single chain has to do.
 */
export async function sharpTwoPass(sharp, input, o, output) {
  let p = sharp(input).autoOrient()
  if (o.width || o.height) {
    p = p.resize(resizeOptions(o, o))
  }
  if (o.grayscale) p = p.grayscale()
  const { data, info } = await p.raw().toBuffer({ resolveWithObject: true })
  const raw = { width: info.width, height: info.height, channels: info.channels }
  return sharp(data, { raw })
    .rotate(o.rotation)
    .toFormat(o.format, o.quality ? { quality: o.quality } : {})
    .toFile(output)
}
