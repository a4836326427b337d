// Runs the curated corpora (__test__/corpora/<source>/...) through corepool in child
// processes (corpora-worker.mjs), a batch of files per child, each child under a time
// limit, and sums up what happened to every file in every call. Shared by
// corpora.test.mjs (which asserts on the summary) and scripts/corpora.mjs (which prints
// it, and with --sharp counts the files that sharp decodes and corepool refuses).
import { runCommand } from './helpers.mjs'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const CORPORA = path.join(HERE, 'corpora')
const WORKER = path.join(HERE, 'corpora-worker.mjs')

/** The documented error codes (README, "Errors"); anything else counts as uncoded. */
export const CODES = new Set([
  'ERR_INVALID_OPTION',
  'ERR_INPUT_NOT_FOUND',
  'ERR_INPUT_UNSUPPORTED',
  'ERR_INPUT_CORRUPT',
  'ERR_INPUT_TOO_LARGE',
  'ERR_OUTPUT_EXISTS',
  'ERR_OUTPUT_WRITE',
  'ERR_ABORTED',
  'ERR_QUEUE_FULL',
  'ERR_INTERNAL',
])

/** Files of the corpora that are not test data: licences, READMEs. */
const NOT_DATA = /(^|\/)(LICEN[CS]E|COPYING|PATENTS|README)[^/]*$|^sources\.json$/i

/** Every data file under `root`, sorted, as absolute paths. */
export function corpusFiles(root = CORPORA) {
  const out = []
  const walk = (dir) => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name)
      if (ent.isDirectory()) walk(p)
      else if (ent.isFile() && !NOT_DATA.test(path.relative(root, p))) out.push(p)
    }
  }
  walk(root)
  return out.sort()
}

/**
 * Splits `files` into batches of at most `size` in which no two files share a base
 * name without extension (they would map to one output path in processImages).
 */
export function batches(files, size) {
  const out = []
  let pending = [...files]
  while (pending.length > 0) {
    const batch = []
    const names = new Set()
    const rest = []
    for (const f of pending) {
      const stem = path.parse(f).name.toLowerCase()
      if (batch.length < size && !names.has(stem)) {
        batch.push(f)
        names.add(stem)
      } else rest.push(f)
    }
    out.push(batch)
    pending = rest
  }
  return out
}

/**
 * Runs one child on `files`. Resolves `{ lines, exit }`: the parsed JSON lines and how
 * the child ended: 'done', 'hang' (killed after `timeout` ms) or 'crash' (any other end
 * without the final line, with its code or signal and the end of its stderr).
 */
async function runChild(files, { timeout, sharp }) {
  const { code, signal, stdout, stderr, timedOut } = await runCommand(process.execPath, [WORKER], {
    env: { COREPOOL_CORPUS_SHARP: sharp ? '1' : '0' },
    input: JSON.stringify(files),
    timeout,
    resolveOnTimeout: true,
  })
  const lines = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l)
      } catch {
        return { garbage: l.slice(0, 200) }
      }
    })
  const done = lines.some((l) => l.done === true)
  const exit = done && code === 0 ? 'done' : timedOut ? 'hang' : 'crash'
  return { lines, exit, detail: { code, signal, stderr: stderr.slice(-1000) } }
}

/**
 * Runs every file of `files` through the three calls (and sharp, with `sharp: true`).
 * Resolves a summary:
 *   results: Map file -> { metadata, processImage, processImages, sharp? }, each
 *            { ok: true, info } or { ok: false, code, message };
 *   crashes, hangs: [{ file, call, detail }] for the child processes that died or were
 *            killed (the file is the one whose call had started last).
 * `batchSize` files go to one child; `parallel` children run at once; each child gets
 * `timeout` ms. After a crash or hang the files of that batch are rerun one per child
 * (except the blamed one), so one bad file cannot hide the others.
 */
export async function runCorpus(files, { batchSize = 24, parallel = 2, timeout = 120_000, sharp = false } = {}) {
  const results = new Map(files.map((f) => [f, {}]))
  const crashes = []
  const hangs = []
  const queue = batches(files, batchSize).map((b) => ({ files: b, single: false }))

  const runOne = async ({ files: batch, single }) => {
    const { lines, exit, detail } = await runChild(batch, { timeout: single ? timeout / 2 : timeout, sharp })
    let started = null
    for (const l of lines) {
      if (l.start !== undefined) started = l
      else if (l.file !== undefined && results.has(l.file)) results.get(l.file)[l.call] = l
    }
    if (exit === 'done') return
    const blamed = started?.start === 'batch' && batch.length === 1 ? batch[0] : started?.start
    const entry = { file: blamed ?? batch[0], call: started?.call ?? 'startup', detail }
    if (single || batch.length === 1 || started?.start !== 'batch') {
      ;(exit === 'hang' ? hangs : crashes).push(entry)
    }
    // Rerun the batch one file per child, without the file that took the child down.
    if (!single)
      for (const f of batch) if (f !== blamed || started?.start === 'batch') queue.push({ files: [f], single: true })
  }

  const workers = Array.from({ length: parallel }, async () => {
    while (queue.length > 0) await runOne(queue.shift())
  })
  await Promise.all(workers)
  return { results, crashes, hangs }
}

/** The calls of a result that failed with ERR_INTERNAL, or with no documented code. */
export function badErrors(summary) {
  const internal = []
  const uncoded = []
  for (const [file, calls] of summary.results) {
    for (const [call, r] of Object.entries(calls)) {
      if (call === 'sharp' || r.ok) continue
      if (r.code === 'ERR_INTERNAL') internal.push({ file, call, message: r.message })
      else if (!CODES.has(r.code)) uncoded.push({ file, call, code: r.code, message: r.message })
    }
  }
  return { internal, uncoded }
}
