// The benchmark corpus: large real photos from two Debian packages, `ukui-wallpapers`
// (JPEG 3640-3840 x 2400, and RGBA PNGs) and `plasma-workspace-wallpapers` (KDE's
// photos: the largest JPEG of each wallpaper, 2560x1600 to 5120x2880, baseline and
// progressive, 4:2:0 and 4:4:4, grey, some with ICC profiles), plus the repo's sample
// photos. Batches are made of distinct paths (hard links or copies) so that outputs
// named after their input never collide.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = path.resolve(fileURLToPath(new URL('..', import.meta.url)))
export const REPO_ROOT = path.resolve(BENCH_DIR, '..')
export const CACHE_DIR = path.join(BENCH_DIR, '.cache')

/**
 * The Debian packages of photos: where their images lie once extracted, and which
 * of them to use (`select` gets every image file under `images`, sorted).
 */
export const PACKAGES = [
  { name: 'ukui-wallpapers', images: 'usr/share/backgrounds', size: '~21 MB', select: (files) => files },
  {
    name: 'plasma-workspace-wallpapers',
    images: 'usr/share/wallpapers',
    size: '~94 MB',
    select: largestPerWallpaper,
  },
]
const SAMPLE_DIRS = [
  path.join(REPO_ROOT, '__test__', 'fixtures', 'photos'),
  path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'photos'),
]
const fixHint = (pkg) =>
  [
    `  To fix: on Debian/Ubuntu run \`sudo apt-get update\` and re-run the benchmark, or download`,
    `  https://packages.debian.org/bookworm/all/${pkg}/download and put the .deb in ${CACHE_DIR}/`,
  ].join('\n')

/**
 * KDE's wallpapers come in many sizes each (`<Name>/contents/images/<W>x<H>.jpg`, many
 * of them symlinks): the largest JPEG of each `images` and `images_dark` folder, when
 * it is a real file at least 2560 px wide.
 */
function largestPerWallpaper(files) {
  const best = new Map()
  for (const f of files) {
    const m = /(\d+)x(\d+)\.jpe?g$/i.exec(path.basename(f))
    if (!m || fs.lstatSync(f).isSymbolicLink()) continue
    const [w, h] = [Number(m[1]), Number(m[2])]
    const folder = path.dirname(f)
    if (w >= 2560 && w * h > (best.get(folder)?.px ?? 0)) best.set(folder, { file: f, px: w * h })
  }
  return [...best.values()].map((b) => b.file).sort()
}

/** Image kind from the file extension, or null for files we do not benchmark. */
export function kindOf(file) {
  const ext = path.extname(file).toLowerCase()
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg'
  if (ext === '.png') return 'png'
  return null
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

/** Benchmarkable images anywhere under `dir` (sorted), symlinks included. */
function imagesUnder(dir) {
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir, { recursive: true })
    .sort()
    .map((f) => path.join(dir, f))
    .filter((f) => kindOf(f) && fs.statSync(f).isFile())
}

/** A .deb of the package already in the cache, if any. */
function cachedDeb(pkg) {
  const deb = fs.readdirSync(CACHE_DIR).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'))
  return deb ? path.join(CACHE_DIR, deb) : null
}

/** Extract a .deb with dpkg, or with ar + tar where dpkg is missing. */
function extractDeb(deb, into) {
  fs.mkdirSync(into, { recursive: true })
  const viaDpkg = tryRun('dpkg', ['-x', deb, into])
  if (!viaDpkg) return null
  const script = 'cd "$2" && ar x "$1" && tar -xf data.tar.* && rm -f data.tar.* control.tar.* debian-binary'
  const viaAr = tryRun('sh', ['-c', script, 'sh', deb, into])
  return viaAr ? `${viaDpkg}\n  ${viaAr}` : null
}

/**
 * Make sure the photos of one of PACKAGES are extracted in the cache; returns
 * { name, files, warning }. Never throws: a failure becomes a warning and no files.
 */
function ensurePackage(pkg, log) {
  fs.mkdirSync(CACHE_DIR, { recursive: true })
  const root = path.join(CACHE_DIR, pkg.name, pkg.images)
  const found = () => pkg.select(imagesUnder(root))
  let files = found()
  if (files.length) return { name: pkg.name, files }
  let deb = cachedDeb(pkg.name)
  if (!deb) {
    log(
      `corpus: fetching Debian package ${pkg.name} into ${path.relative(REPO_ROOT, CACHE_DIR)}/ (apt-get download, ${pkg.size})`,
    )
    const err = tryRun('apt-get', ['download', pkg.name], CACHE_DIR)
    deb = cachedDeb(pkg.name)
    if (!deb)
      return {
        name: pkg.name,
        files: [],
        warning: `could not download ${pkg.name}: ${err ?? 'no .deb appeared'}\n${fixHint(pkg.name)}`,
      }
  }
  const err = extractDeb(deb, path.join(CACHE_DIR, pkg.name))
  files = found()
  if (!files.length)
    return {
      name: pkg.name,
      files: [],
      warning: `could not extract ${deb}: ${err ?? 'no images in it'}\n${fixHint(pkg.name)}`,
    }
  return { name: pkg.name, files }
}

/** Every package of PACKAGES: [{ name, files, warning? }]. */
export function ensurePhotoPackages(log) {
  return PACKAGES.map((pkg) => ensurePackage(pkg, log))
}

/** A short name for a corpus file: `<package or folder>/<path inside>`. */
export function shortName(file) {
  const cached = path.relative(CACHE_DIR, file)
  if (!cached.startsWith('..')) {
    const [pkg, ...rest] = cached.split(path.sep)
    const inside = rest.join('/').replace(/^usr\/share\/(backgrounds|wallpapers)\//, '')
    return `${pkg}/${inside.replace('/contents/', '/')}`
  }
  return path.relative(REPO_ROOT, file)
}

/** The sample photos: the repo copy if present, else ../shared (fresh clones may lack it). */
export function samplePhotos() {
  for (const dir of SAMPLE_DIRS) {
    const files = imagesUnder(dir)
    if (files.length) return { dir, files }
  }
  return { dir: null, files: [] }
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
    const dst = path.join(dir, `${String(i).padStart(width, '0')}-${shortName(source).split('/').slice(-2).join('-')}`)
    linkOrCopy(source, dst)
    return { path: dst, source }
  })
}

/** Read every file once so that the first contender does not pay for a cold page cache. */
export function warmPageCache(paths) {
  for (const p of new Set(paths)) fs.readFileSync(p)
}
