// The decode floor row: benchmark/floor/jpeg-floor.c, linked against the libjpeg-turbo
// that corepool vendors (mozjpeg-sys's static library from the cargo build), decodes
// each JPEG of a batch at the DCT scale corepool picks for the workload, on every
// core. corepool's time divided by this one says how far the rest of the pipeline
// (and corepool's own overhead) is from plain decoding.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BENCH_DIR, CACHE_DIR, REPO_ROOT } from './corpus.mjs'
import { median } from './stats.mjs'

const SOURCE = path.join(BENCH_DIR, 'floor', 'jpeg-floor.c')
const BINARY = path.join(CACHE_DIR, 'jpeg-floor')

/** mozjpeg-sys's build output of the release build: { lib, includes }, or null. */
function vendoredLibjpeg() {
  const roots = [
    path.join(REPO_ROOT, 'target', 'x86_64-unknown-linux-gnu', 'release', 'build'),
    path.join(REPO_ROOT, 'target', 'release', 'build'),
  ]
  const builds = roots
    .filter((r) => fs.existsSync(r))
    .flatMap((r) => fs.readdirSync(r).map((d) => path.join(r, d)))
    .filter((d) => path.basename(d).startsWith('mozjpeg-sys-') && fs.existsSync(path.join(d, 'output')))
    .map((d) => ({ dir: d, output: fs.readFileSync(path.join(d, 'output'), 'utf8') }))
    .map((b) => ({ ...b, lib: path.join(b.dir, 'out', 'libmozjpeg62.a') }))
    .filter((b) => fs.existsSync(b.lib))
    .sort((x, y) => fs.statSync(y.lib).mtimeMs - fs.statSync(x.lib).mtimeMs)
  if (!builds.length) return null
  const include = /^cargo:include=(.*)$/m.exec(builds[0].output)?.[1]
  return include ? { lib: builds[0].lib, includes: include.split(':') } : null
}

/** Builds the floor program once; returns { binary } or { warning }. */
export function buildFloor() {
  const jpeg = vendoredLibjpeg()
  if (!jpeg) return { warning: 'no release build of mozjpeg-sys under target/ (run `npm run build` first)' }
  const fresh =
    fs.existsSync(BINARY) &&
    fs.statSync(BINARY).mtimeMs > Math.max(fs.statSync(SOURCE).mtimeMs, fs.statSync(jpeg.lib).mtimeMs)
  if (fresh) return { binary: BINARY }
  fs.mkdirSync(CACHE_DIR, { recursive: true })
  try {
    execFileSync('cc', ['-O2', '-pthread', ...jpeg.includes.map((i) => `-I${i}`), SOURCE, jpeg.lib, '-o', BINARY], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return { binary: BINARY }
  } catch (err) {
    return { warning: `cannot build the decode floor: ${err.stderr?.toString().trim() || err.message}` }
  }
}

/**
 * The DCT scale denominator corepool picks for a `width` x `height` JPEG under
 * options `o` (crates/core/src/codec/jpeg.rs `shrink_denominator`, on the size the
 * resize plan scales the image to before any embedding, by sharp's rule).
 */
export function denominatorFor(width, height, o) {
  if (!o.width && !o.height) return 1
  const sx = o.width ? o.width / width : Infinity
  const sy = o.height ? o.height / height : Infinity
  const fitsInside = ['contain', 'inside'].includes(o.fit ?? 'cover') || !o.width || !o.height
  const scale = fitsInside ? Math.min(sx, sy) : Math.max(sx, sy)
  const target = [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))]
  const shrink = Math.min(width / target[0], height / target[1])
  let d = [8, 4, 2].find((x) => shrink >= x) ?? 1
  if (d > 1 && Math.floor(shrink) === d) d /= 2
  while (d > 1 && (Math.ceil(width / d) < target[0] || Math.ceil(height / d) < target[1])) d /= 2
  return d
}

/**
 * Runs the floor over a batch (`[{ path, width, height }]`) `rounds` times on every
 * core; returns { wallMs (median), rounds: [...], denominators } or { warning }.
 */
export function runFloor(binary, batch, o, rounds) {
  const args = batch.map((b) => `${denominatorFor(b.width, b.height, o)}:${b.path}`)
  const times = []
  for (let r = 0; r < rounds; r++) {
    try {
      const out = execFileSync(binary, [String(os.availableParallelism()), ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 1 << 20,
      })
      times.push(JSON.parse(out.toString()).wallMs)
    } catch (err) {
      return { warning: `the decode floor failed: ${err.stderr?.toString().trim() || err.message}` }
    }
  }
  const denominators = {}
  for (const a of args) denominators[a.split(':')[0]] = (denominators[a.split(':')[0]] ?? 0) + 1
  return { wallMs: median(times), rounds: times, denominators }
}
