// Workload definitions shared by the orchestrator and the child processes.
// Options are written in corepool's ProcessOptions vocabulary (see DESIGN.md);
// each contender translates them into its own API (lib/pipelines.mjs).
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The PNG watermark of workload f (200x60 RGBA), written by ensureWatermark(). */
export const WATERMARK = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.cache', 'watermark.png')

/** Writes the watermark of workload f once (translucent white text-like bars on clear). */
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

/** @typedef {'all'|'jpeg'|'png'} InputKind */

export const WORKLOADS = {
  a: {
    id: 'a',
    short: 'contain 800x600, rot 90, grey',
    title: "users' case: 800x600 contain, rotate 90, grayscale, JPEG q80",
    inputs: 'all',
    options: {
      width: 800,
      height: 600,
      fit: 'contain',
      background: '#000000',
      rotation: 90,
      grayscale: true,
      format: 'jpeg',
      quality: 80,
    },
  },
  b: {
    id: 'b',
    short: 'thumbnail 320 JPEG',
    title: 'thumbnails: width 320 inside, JPEG q80',
    inputs: 'all',
    options: { width: 320, fit: 'inside', format: 'jpeg', quality: 80 },
  },
  c: {
    id: 'c',
    short: 'PNG -> WebP 1024',
    title: 'PNG -> WebP q80, width 1024 inside',
    inputs: 'png',
    options: { width: 1024, fit: 'inside', format: 'webp', quality: 80 },
  },
  d: {
    id: 'd',
    short: 'JPEG 1920 q85',
    title: 'JPEG -> JPEG q85, width 1920 inside',
    inputs: 'jpeg',
    options: { width: 1920, fit: 'inside', format: 'jpeg', quality: 85 },
  },
  e: {
    id: 'e',
    short: 'JPEG 1920 + sharpen',
    title: 'JPEG -> JPEG q85, width 1920 inside, sharpen { sigma: 1 }',
    inputs: 'jpeg',
    options: { width: 1920, fit: 'inside', sharpen: { sigma: 1 }, format: 'jpeg', quality: 85 },
  },
  f: {
    id: 'f',
    short: '800 + PNG watermark',
    title: 'width 800 inside, PNG watermark composited southeast, JPEG q80',
    inputs: 'all',
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
