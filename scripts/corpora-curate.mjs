#!/usr/bin/env node
// Rebuilds __test__/corpora/ from bare git clones of the source projects (the search
// tool's `fetch` puts them under /work/.mirror/<owner>+<name>/repo):
//   node scripts/corpora-curate.mjs [MIRRORS_DIR]
// How files are chosen, per source (see SOURCES): only the listed folders; only image
// data (no code, docs or ICC profiles); hostile and broken files first (crash, fuzz,
// bad, corrupt folders come before the rest); files over the source's size cap are
// skipped unless named in `keep` (they cover a variant nothing smaller does); a file
// whose bytes already came from an earlier source is left out. The total stays under
// 20 MB. Each source's licence is copied next to its files; README.md there records the
// commits.
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const MIRRORS = path.resolve(process.argv[2] ?? '/work/.mirror')
const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '__test__', 'corpora')
const KB = 1024

/** Sources in priority order (a duplicate is kept in the first). */
export const SOURCES = [
  {
    name: 'libpng',
    repo: 'pnggroup+libpng',
    folders: ['contrib/pngsuite', 'contrib/testpngs'],
    cap: 256 * KB,
    licence: ['LICENSE.md', 'contrib/pngsuite/README'],
  },
  {
    name: 'libjpeg-turbo',
    repo: 'libjpeg-turbo+libjpeg-turbo',
    folders: ['testimages'],
    cap: 256 * KB,
    licence: ['LICENSE.md', 'README.ijg', 'testimages/LICENSE.txt'],
  },
  {
    name: 'libwebp-test-data',
    repo: 'webmproject+libwebp-test-data',
    folders: ['.'],
    cap: 160 * KB,
    // The test-data repository carries no licence file; it is libwebp's (BSD-3-Clause).
    licence: ['webmproject+libwebp:COPYING', 'webmproject+libwebp:PATENTS'],
  },
  {
    name: 'image-rs',
    repo: 'image-rs+image',
    folders: ['tests/bad', 'tests/regression', 'tests/images'],
    cap: 128 * KB,
    licence: [
      'LICENSE-MIT',
      'LICENSE-APACHE',
      'tests/images/tga/testsuite/LICENSE',
      'tests/images/png/apng/wpt/LICENSE.md',
    ],
  },
  {
    name: 'image-tiff',
    repo: 'image-rs+image-tiff',
    folders: ['tests/fuzz_images', 'tests/images', 'tests/libtiffpic', 'tests'],
    cap: 64 * KB,
    keep: ['tests/images/bigtiff/BigTIFF.tif', 'tests/images/bigtiff/BigTIFFMotorola.tif'],
    licence: ['LICENSE'],
  },
  {
    name: 'image-gif',
    repo: 'image-rs+image-gif',
    folders: ['tests/crashtest', 'tests/stall', 'tests'],
    cap: 64 * KB,
    licence: ['LICENSE-MIT', 'LICENSE-APACHE'],
  },
  {
    name: 'sharp',
    repo: 'lovell+sharp',
    folders: ['test/fixtures'],
    cap: 160 * KB,
    skipDirs: ['test/fixtures/expected'],
    keep: [
      'test/fixtures/Crash_test.gif',
      'test/fixtures/65536-uint32-limit.png',
      'test/fixtures/giant-image.jpg',
      'test/fixtures/cielab-dagams.tiff',
      'test/fixtures/4.webp',
    ],
    licence: ['LICENSE'],
  },
  {
    name: 'pillow',
    repo: 'python-pillow+Pillow',
    folders: ['Tests/images'],
    cap: 24 * KB,
    keep: [
      'Tests/images/tiff_tiled_planar_16bit_RGB.tiff',
      'Tests/images/tiff_tiled_planar_16bit_RGBa.tiff',
      'Tests/images/tiff_tiled_planar_lzw.tiff',
      'Tests/images/tiff_tiled_planar_raw.tif',
      'Tests/images/tiff_strip_planar_16bit_RGB.tiff',
      'Tests/images/tiff_strip_planar_16bit_RGBa.tiff',
      'Tests/images/tiff_strip_planar_lzw.tiff',
    ],
    // Pillow's folder holds every format Pillow reads; only those near corepool's.
    only: /\.(gif|tiff?|jpe?g|png|webp|bmp)$/i,
    licence: ['LICENSE'],
  },
]

const NOT_DATA =
  /(\.(md|txt|rs|js|mjs|ts|json|svg|icc|icm|ttf|scan|sh|py|c|h|cmake|am|in|toml|yml|yaml|html|csv)$|(^|\/)(README|TODO|LICEN[CS]E|COPYING|AUTHORS|Makefile|CMakeLists)[^/]*$|(^|\/)\.)/i
const HOSTILE = /(crash|fuzz|bad|corrupt|broken|truncat|oom|panic|stall|regression|invalid|malformed|bomb)/i

const git = (repo, args, opts = {}) =>
  execFileSync('git', ['-C', path.join(MIRRORS, repo, 'repo'), ...args], { maxBuffer: 1 << 30, ...opts })

const seen = new Set()
let total = 0
const report = []
fs.rmSync(OUT, { recursive: true, force: true })
for (const src of SOURCES) {
  const commit = git(src.repo, ['rev-parse', 'HEAD']).toString().trim()
  const date = git(src.repo, ['log', '-1', '--format=%cs']).toString().trim()
  const rows = git(src.repo, ['ls-tree', '-r', '-l', 'HEAD', '--', ...src.folders])
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [meta, file] = l.split('\t')
      const [, type, sha, size] = meta.split(/\s+/)
      return { type, sha, size: Number(size), file }
    })
    .filter((r) => r.type === 'blob' && !NOT_DATA.test(r.file))
    .filter((r) => !(src.skipDirs ?? []).some((d) => r.file.startsWith(d + '/')))
    .filter((r) => !src.only || src.only.test(r.file))
    .filter((r) => r.size <= src.cap || (src.keep ?? []).includes(r.file))
  // Hostile files first, then by path; a file listed by two folders is taken once.
  const unique = [...new Map(rows.map((r) => [r.file, r])).values()].sort(
    (a, b) => HOSTILE.test(b.file) - HOSTILE.test(a.file) || a.file.localeCompare(b.file),
  )
  let files = 0
  let bytes = 0
  for (const r of unique) {
    const data = git(src.repo, ['cat-file', 'blob', r.sha])
    const hash = crypto.createHash('sha256').update(data).digest('hex')
    if (seen.has(hash)) continue
    seen.add(hash)
    const dest = path.join(OUT, src.name, r.file)
    fs.mkdirSync(path.dirname(dest), { recursive: true })
    fs.writeFileSync(dest, data)
    files += 1
    bytes += data.length
  }
  const licences = []
  for (const entry of src.licence) {
    const [repo, l] = entry.includes(':') ? entry.split(':') : [src.repo, entry]
    try {
      const data = git(repo, ['show', `HEAD:${l}`], { stdio: ['ignore', 'pipe', 'ignore'] })
      const dest = path.join(OUT, src.name, l)
      fs.mkdirSync(path.dirname(dest), { recursive: true })
      fs.writeFileSync(dest, data)
      licences.push(entry)
    } catch {
      // Not every name exists in every project.
    }
  }
  total += bytes
  report.push({ name: src.name, repo: src.repo.replace('+', '/'), commit, date, files, bytes, licences, src })
}
fs.writeFileSync(
  path.join(OUT, 'sources.json'),
  JSON.stringify(
    report.map(({ src, ...r }) => r),
    null,
    1,
  ) + '\n',
)
for (const r of report)
  console.log(
    `${r.name}: ${r.files} files, ${(r.bytes / 1e6).toFixed(2)} MB, ${r.repo}@${r.commit.slice(0, 12)} (${r.date}), licence: ${r.licences.join(', ')}`,
  )
console.log(`total: ${(total / 1e6).toFixed(2)} MB`)
if (total > 20e6) {
  console.error('over 20 MB: lower a cap')
  process.exitCode = 1
}
