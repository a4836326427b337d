// Workload definitions shared by the orchestrator and the child processes.
// Options are written in corepool's ProcessOptions vocabulary (see DESIGN.md);
// each contender translates them into its own API (lib/pipelines.mjs).
//
// The headline workloads (a-d, issue 11) run on the large real JPEG photos; e and f
// run on the PNGs and small sample photos, reported apart.

/** @typedef {'large-jpeg'|'other'|'png'} InputSet */

export const WORKLOADS = {
  a: {
    id: 'a',
    short: 'contain 800x600, rot 90, grey',
    title: "users' case on large JPEG photos: 800x600 contain, rotate 90, grayscale, JPEG q80",
    inputs: 'large-jpeg',
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
  f: {
    id: 'f',
    short: 'PNG -> WebP 1024',
    title: 'PNG -> WebP q80, width 1024',
    inputs: 'png',
    options: { width: 1024, format: 'webp', quality: 80 },
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
