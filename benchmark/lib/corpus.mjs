// The benchmark corpus: large real photos from the Debian package
// `ukui-wallpapers` (JPEG 3640-3840 x 2400 and RGBA PNGs), plus the repo's sample
// photos. Batches are made of distinct paths (hard links or copies) so that
// outputs named after their input never collide.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = path.resolve(fileURLToPath(new URL('..', import.meta.url)))
export const REPO_ROOT = path.resolve(BENCH_DIR, '..')
export const CACHE_DIR = path.join(BENCH_DIR, '.cache')

const PACKAGE = 'ukui-wallpapers'
const EXTRACT_DIR = path.join(CACHE_DIR, PACKAGE)
const BACKGROUNDS = path.join(EXTRACT_DIR, 'usr', 'share', 'backgrounds')
const SAMPLE_DIRS = [
  path.join(REPO_ROOT, '__test__', 'fixtures', 'photos'),
  path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'photos'),
]
const FIX_HINT = [
  `  To fix: on Debian/Ubuntu run \`sudo apt-get update\` and re-run the benchmark, or download`,
  `  https://packages.debian.org/bookworm/all/${PACKAGE}/download and put the .deb in ${CACHE_DIR}/`,
].join('\n')

/** Image kind from the file extension, or null for files we do not benchmark. */
export function kindOf(file) {
  const ext = path.extname(file).toLowerCase()
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg'
  if (ext === '.png') return 'png'
  return null
}

/** Benchmarkable images directly inside `dir` (sorted, for reproducible batches). */
function imagesIn(dir) {
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => path.join(dir, f))
    .filter((f) => kindOf(f) && fs.statSync(f).isFile())
}

/** Run a command, returning null on success or an error message. */
function tryRun(cmd, args, cwd) {
  try {
    execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 })
    return null
  } catch (err) {
    const stderr = err.stderr?.toString().trim()
    return `${cmd} ${args.join(' ')}: ${stderr || err.message}`
  }
}

/** A .deb of the package already in the cache, if any. */
function cachedDeb() {
  const deb = fs.readdirSync(CACHE_DIR).find((f) => f.startsWith(`${PACKAGE}_`) && f.endsWith('.deb'))
  return deb ? path.join(CACHE_DIR, deb) : null
}

/** Extract a .deb with dpkg, or with ar + tar where dpkg is missing. */
function extractDeb(deb) {
  fs.mkdirSync(EXTRACT_DIR, { recursive: true })
  const viaDpkg = tryRun('dpkg', ['-x', deb, EXTRACT_DIR])
  if (!viaDpkg) return null
  const script = 'cd "$2" && ar x "$1" && tar -xf data.tar.* && rm -f data.tar.* control.tar.* debian-binary'
  const viaAr = tryRun('sh', ['-c', script, 'sh', deb, EXTRACT_DIR])
  return viaAr ? `${viaDpkg}\n  ${viaAr}` : null
}

/**
 * Make sure the wallpapers are extracted in the cache; returns { files, warning }.
 * Never throws: a failure becomes a warning and an empty list.
 */
export function ensureWallpapers(log) {
  fs.mkdirSync(CACHE_DIR, { recursive: true })
  let files = imagesIn(BACKGROUNDS)
  if (files.length) return { files }
  let deb = cachedDeb()
  if (!deb) {
    log(
      `corpus: fetching Debian package ${PACKAGE} into ${path.relative(REPO_ROOT, CACHE_DIR)}/ (apt-get download, ~21 MB)`,
    )
    const err = tryRun('apt-get', ['download', PACKAGE], CACHE_DIR)
    deb = cachedDeb()
    if (!deb) return { files: [], warning: `could not download ${PACKAGE}: ${err ?? 'no .deb appeared'}\n${FIX_HINT}` }
  }
  const err = extractDeb(deb)
  files = imagesIn(BACKGROUNDS)
  if (!files.length) return { files: [], warning: `could not extract ${deb}: ${err ?? 'no images in it'}\n${FIX_HINT}` }
  return { files }
}

/** The sample photos: the repo copy if present, else ../shared (fresh clones may lack it). */
export function samplePhotos() {
  for (const dir of SAMPLE_DIRS) {
    const files = imagesIn(dir)
    if (files.length) return { dir, files }
  }
  return { dir: null, files: [] }
}

/** Filter corpus files by the workload's input kind. */
export function filesOfKind(files, kind) {
  return kind === 'all' ? files : files.filter((f) => kindOf(f) === kind)
}

/** Link (or copy, across file systems) `src` to `dst`. */
function linkOrCopy(src, dst) {
  try {
    fs.linkSync(src, dst)
  } catch {
    fs.copyFileSync(src, dst)
  }
}

/**
 * A batch of `size` distinct paths cycling over `files` (at least every file once),
 * materialised under .cache/batches/<name>/. Returns [{ path, source }].
 */
export function buildBatch(files, size, name) {
  const dir = path.join(CACHE_DIR, 'batches', name)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const count = Math.max(size, files.length)
  const width = String(count).length
  return Array.from({ length: count }, (_, i) => {
    const source = files[i % files.length]
    const dst = path.join(dir, `${String(i).padStart(width, '0')}-${path.basename(source)}`)
    linkOrCopy(source, dst)
    return { path: dst, source }
  })
}

/** Read every file once so that the first contender does not pay for a cold page cache. */
export function warmPageCache(paths) {
  for (const p of new Set(paths)) fs.readFileSync(p)
}
