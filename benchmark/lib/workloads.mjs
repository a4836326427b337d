// Workload definitions shared by the orchestrator and the child processes.
// Options are written in corepool's ProcessOptions vocabulary (see DESIGN.md);
// each contender translates them into its own API (lib/pipelines.mjs).
//
// The headline workloads (a-d, issue 11) run on the large real JPEG photos; e and f
// run on the PNGs and small sample photos, reported apart; g and h add sharpen and a
// watermark (issue 16) on the large JPEG photos.
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The PNG watermark of workload h (200x60 RGBA), written by ensureWatermark(). */
export const WATERMARK = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.cache', 'watermark.png')

/** Writes the watermark of workload h once (translucent white text-like bars on clear). */
export async function ensureWatermark(sharp) {
  const fs = await import('node:fs')
  if (fs.existsSync(WATERMARK)) return WATERMARK
  fs.mkdirSync(path.dirname(WATERMARK), { recursive: true })
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60">
    <rect x="4" y="4" width="192" height="52" rx="8" fill="rgba(0,0,0,0.35)"/>
    <rect x="16" y="20" width="168" height="8" fill="rgba(255,255,255,0.8)"/>
    <rect x="16" y="34" width="110" height="8" fill="rgba(255,255,255,0.8)"/></svg>`
  await sharp(Buffer.from(svg)).png().toFile(WATERMARK)
  return WATERMARK
}

/** @typedef {'large-jpeg'|'other'|'png'} InputSet */

/** The seed code's case: 800x600 contain, rotate 90, grey, JPEG q80 (workloads a and e). */
const SEED_OPTIONS = {
  width: 800,
  height: 600,
  fit: 'contain',
  background: '#000000',
  rotation: 90,
  grayscale: true,
  format: 'jpeg',
  quality: 80,
}

export const WORKLOADS = {
  a: {
    id: 'a',
    short: 'contain 800x600, rot 90, grey',
    title: "users' case on large JPEG photos: 800x600 contain, rotate 90, grayscale, JPEG q80",
    inputs: 'large-jpeg',
    options: SEED_OPTIONS,
  },
  b: {
    id: 'b',
    short: 'thumbnail 320 JPEG',
    title: 'thumbnails of large JPEG photos: width 320, JPEG q80',
    inputs: 'large-jpeg',
    options: { width: 320, format: 'jpeg', quality: 80 },
  },
  c: {
    id: 'c',
    short: 'JPEG 1920 q85',
    title: 'large JPEG photos to width 1920, JPEG q85',
    inputs: 'large-jpeg',
    options: { width: 1920, format: 'jpeg', quality: 85 },
  },
  d: {
    id: 'd',
    short: 'WebP 1024 q80',
    title: 'large JPEG photos to width 1024, WebP q80',
    inputs: 'large-jpeg',
    options: { width: 1024, format: 'webp', quality: 80 },
  },
  e: {
    id: 'e',
    short: "users' case, PNG + small",
    title: "users' case on the PNGs and small photos: 800x600 contain, rotate 90, grayscale, JPEG q80",
    inputs: 'other',
    options: SEED_OPTIONS,
  },
  f: {
    id: 'f',
    short: 'PNG -> WebP 1024',
    title: 'PNG -> WebP q80, width 1024',
    inputs: 'png',
    options: { width: 1024, format: 'webp', quality: 80 },
  },
  g: {
    id: 'g',
    short: 'JPEG 1920 + sharpen',
    title: 'large JPEG photos to width 1920, sharpen { sigma: 1 }, JPEG q85',
    inputs: 'large-jpeg',
    options: { width: 1920, fit: 'inside', sharpen: { sigma: 1 }, format: 'jpeg', quality: 85 },
  },
  h: {
    id: 'h',
    short: '800 + PNG watermark',
    title: 'large JPEG photos to width 800, PNG watermark composited southeast, JPEG q80',
    inputs: 'large-jpeg',
    options: {
      width: 800,
      fit: 'inside',
      composite: [{ input: WATERMARK, gravity: 'southeast' }],
      format: 'jpeg',
      quality: 80,
    },
  },
}

/** File extension written for an output format. */
export function extensionFor(format) {
  return format === 'jpeg' ? 'jpg' : format
}

/** Parse "a,c" into workload objects, rejecting unknown ids. */
export function selectWorkloads(list) {
  return list.map((id) => {
    const w = WORKLOADS[id.trim()]
    if (!w) throw new Error(`unknown workload "${id}" (allowed: ${Object.keys(WORKLOADS).join(', ')})`)
    return w
  })
}
