// Workload definitions shared by the orchestrator and the child processes.
// Options are written in corepool's ProcessOptions vocabulary (see DESIGN.md);
// each contender translates them into its own API (lib/pipelines.mjs).

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
