#!/usr/bin/env node
// Image batch benchmark: corepool.processImages vs sharp (Promise.all) vs a
// worker_threads pool running sharp (one Worker per image) vs @napi-rs/image.
//
// Every (workload, round, contender) runs in its own child process (lib/child.mjs),
// in an order that rotates each round; medians are reported. A quality gate then
// checks corepool's outputs against sharp's (dimensions + SSIM >= 0.97).
// Results: benchmark/results/images.{md,svg,json}. See `--help`.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { list, parseCommandLine, positiveInt } from './lib/args.mjs'
import { barChartSvg } from './lib/chart.mjs'
import {
  BENCH_DIR,
  REPO_ROOT,
  buildBatch,
  ensurePhotoPackages,
  samplePhotos,
  shortName,
  warmPageCache,
} from './lib/corpus.mjs'
import { buildFloor, runFloor } from './lib/floor.mjs'
import { sampleBackgroundLoad } from './lib/machine.mjs'
import { runInChild } from './lib/orchestrate.mjs'
import { CONTENDER_IDS, importContender } from './contenders/index.mjs'
import { napiLimitations } from './lib/pipelines.mjs'
import { SSIM_THRESHOLD, compareWithReference, gateVerdict } from './lib/quality.mjs'
import { markdownReport } from './lib/report.mjs'
import { selfTest } from './lib/ssim.mjs'
import { mean, median, rotate } from './lib/stats.mjs'
import { WORKLOADS, ensureWatermark, selectWorkloads } from './lib/workloads.mjs'

const RESULTS_DIR = path.join(BENCH_DIR, 'results')
const LABELS = {
  corepool: 'corepool',
  sharp: "sharp (users' chain)",
  'sharp-rotate-first': 'sharp rotate-first',
  'sharp-2pass': 'sharp 2-pass',
  'worker-pool': 'worker_threads + sharp',
  'napi-image': '@napi-rs/image',
}
const COLORS = {
  corepool: '#d9480f',
  sharp: '#1971c2',
  'sharp-rotate-first': '#4dabf7',
  'sharp-2pass': '#74c0fc',
  'worker-pool': '#868e96',
  'napi-image': '#2f9e44',
}

/** Progress goes to stderr; the final report goes to stdout. */
const log = (...a) => console.error(...a)

/** A loud, boxed warning. */
function warnLoudly(text) {
  const bar = '!'.repeat(78)
  log(
    `\n${bar}\n${text
      .split('\n')
      .map((l) => `!! ${l}`)
      .join('\n')}\n${bar}\n`,
  )
}

// ---------------------------------------------------------------- corpus

/** Width/height/format and JPEG traits of each file, via sharp's header reader. */
async function describeFiles(files) {
  return Promise.all(
    files.map(async (f) => {
      const m = await sharp(f).metadata()
      return {
        file: f,
        format: m.format,
        width: m.width,
        height: m.height,
        bytes: fs.statSync(f).size,
        progressive: Boolean(m.isProgressive),
        chroma: m.chromaSubsampling,
        grey: m.channels === 1,
        icc: Boolean(m.icc),
      }
    }),
  )
}

/** One-line description of a set of files: counts per format and trait, size range, total MB. */
function describeSet(name, infos) {
  if (!infos.length) return `${name}: none`
  const count = (pred) => infos.filter(pred).length
  const px = infos.map((i) => i.width * i.height)
  const lo = infos[px.indexOf(Math.min(...px))]
  const hi = infos[px.indexOf(Math.max(...px))]
  const mb = infos.reduce((s, i) => s + i.bytes, 0) / 1e6
  const jpegs = infos.filter((i) => i.format === 'jpeg')
  const traits = jpegs.length
    ? ` (JPEG: ${count((i) => i.progressive)} progressive, ${count((i) => i.chroma === '4:4:4' && !i.grey)} 4:4:4, ${count((i) => i.grey)} grey, ${count((i) => i.icc)} with ICC)`
    : ''
  return `${name}: ${infos.length} files, ${jpegs.length} JPEG, ${count((i) => i.format === 'png')} PNG, ${lo.width}x${lo.height} to ${hi.width}x${hi.height}, ${mb.toFixed(1)} MB${traits}`
}

/**
 * Collect the corpus: the large JPEG photos of the Debian packages (set
 * `large-jpeg`), and their PNGs plus the sample photos (set `other`; its PNGs are
 * set `png`). Throws only if it is empty.
 */
async function loadCorpus() {
  const packages = ensurePhotoPackages(log)
  for (const p of packages.filter((x) => x.warning)) {
    warnLoudly(
      `Large photos of ${p.name} unavailable: ${p.warning}\nThe large-JPEG workloads will not represent that source.`,
    )
  }
  const samples = samplePhotos()
  if (!samples.files.length)
    log('corpus: no sample photos found in __test__/fixtures/photos or ../shared/fixtures/photos')
  const infos = await describeFiles([...packages.flatMap((p) => p.files), ...samples.files])
  const fromPackages = new Set(packages.flatMap((p) => p.files))
  const sets = {
    'large-jpeg': infos.filter((i) => fromPackages.has(i.file) && i.format === 'jpeg'),
    other: infos.filter((i) => !fromPackages.has(i.file) || i.format !== 'jpeg'),
  }
  sets.png = sets.other.filter((i) => i.format === 'png')
  if (!infos.length) throw new Error('empty corpus: neither the photo packages nor the sample photos are available')
  const sources = packages.map((p) => `Debian ${p.name} (${p.files.length} files)`).join(', ')
  const description = [
    `sources: ${sources}, ${samples.dir ? path.relative(REPO_ROOT, samples.dir) : 'no sample photos'} (${samples.files.length} files)`,
    describeSet('large JPEG photos (workloads a-d)', sets['large-jpeg']),
    describeSet('PNGs and small photos (workloads e, f)', sets.other),
  ]
  for (const line of description) log(`corpus: ${line}`)
  const fallback = packages.some((p) => p.warning)
  return { sets, infos, description, fallback }
}

// ---------------------------------------------------------------- runs

/** Short log line for one child result. */
function describeRun(r) {
  if (r.status !== 'ok') return `${r.status}: ${(r.reason ?? '').split('\n')[0]}`
  const failed = r.failed ? `, ${r.failed} FAILED (${r.errors[0]})` : ''
  const other =
    typeof r.otherLoad === 'number' && r.otherLoad > 0.05 ? `, other procs ${(r.otherLoad * 100).toFixed(0)}%` : ''
  return (
    `${(r.wallMs / 1000).toFixed(2)} s, ${r.imagesPerSec.toFixed(1)} img/s, CPU ${(r.cpuUtil * 100).toFixed(0)}%, ` +
    `RSS ${(r.maxRssBytes / 1048576).toFixed(0)} MiB${other}${failed}`
  )
}

/**
 * All rounds of one workload. A contender that is skipped (absent) or errors
 * (crash, timeout) is not retried in later rounds.
 */
async function runWorkload(w, batch, opts, tmp, active) {
  const runs = Object.fromEntries(active.map((c) => [c, []]))
  const stopped = new Set()
  for (let round = 0; round < opts.rounds; round++) {
    for (const contender of rotate(active, round)) {
      if (stopped.has(contender)) continue
      const job = {
        contender,
        workload: w.id,
        round,
        options: w.options,
        warmup: opts.warmup,
        inputs: batch.map((b) => b.path),
        outDir: path.join(tmp, w.id, contender, `r${round}`),
      }
      const r = await runInChild(job, {
        workDir: tmp,
        timeoutMs: opts.timeoutS * 1000,
        env: { BENCH_NAPI_RESIZE: opts.napiResize },
      })
      log(`  [${w.id} round ${round + 1}/${opts.rounds}] ${LABELS[contender].padEnd(22)} ${describeRun(r)}`)
      if (r.status !== 'ok' && r.stderrTail)
        log(
          r.stderrTail
            .split('\n')
            .slice(-8)
            .map((l) => `      | ${l}`)
            .join('\n'),
        )
      runs[contender].push(r)
      if (r.status !== 'ok') stopped.add(contender)
    }
  }
  return runs
}

/** Contenders that apply to a workload (e.g. sharp 2-pass only where there is a quarter turn). */
async function applicableContenders(ids, options) {
  const mods = await Promise.all(ids.map(importContender))
  return ids.filter((_, i) => !mods[i].appliesTo || mods[i].appliesTo(options))
}

/** Median figures of a contender's successful rounds. */
function aggregate(runs) {
  const ok = runs.filter((r) => r.status === 'ok')
  if (!ok.length) {
    const last = runs[runs.length - 1]
    return { status: last?.status ?? 'skipped', reason: last?.reason ?? 'not run', rounds: runs }
  }
  const last = ok[ok.length - 1]
  const wallMs = median(ok.map((r) => r.wallMs))
  const okOutputs = last.outputs.filter((o) => o.ok)
  return {
    status: runs.some((r) => r.status === 'error') ? 'error' : 'ok',
    reason: runs.find((r) => r.status === 'error')?.reason,
    wallMs,
    imagesPerSec: last.images / (wallMs / 1000),
    cpuUtil: median(ok.map((r) => r.cpuUtil)),
    otherLoad: ok.every((r) => typeof r.otherLoad === 'number') ? median(ok.map((r) => r.otherLoad)) : null,
    maxRssBytes: Math.max(...ok.map((r) => r.maxRssBytes)),
    meanBytes: mean(okOutputs.map((o) => o.bytes)),
    failed: Math.max(...ok.map((r) => r.failed)),
    errors: ok.flatMap((r) => r.errors).slice(0, 5),
    stderrLines: Math.max(...ok.map((r) => r.stderrLines ?? 0)),
    info: last.info,
    last,
    rounds: runs,
  }
}

/** Throughput ratio a/b of two aggregated contenders, or null. */
function throughputRatio(a, b) {
  return a?.imagesPerSec && b?.imagesPerSec ? a.imagesPerSec / b.imagesPerSec : null
}

/**
 * The sharp output corepool's gate compares with: sharp's users' chain, except where
 * the workload has a quarter turn. There the users' chain (resize, then rotate)
 * yields an 800x800 canvas in sharp 0.35, so the reference is sharp rotating first
 * into the swapped box, which has corepool's geometry (600x800).
 */
function gateReferenceId(contenders) {
  return contenders['sharp-rotate-first'] ? 'sharp-rotate-first' : 'sharp'
}

/**
 * Compare every contender with the gate's reference (dimensions, SSIM), and derive
 * corepool's verdict: the quality gate, plus output bytes at most 1.10x the reference's.
 */
async function qualityCheck(batch, contenders) {
  const quality = {}
  const gateRef = gateReferenceId(contenders)
  const ref = contenders[gateRef]
  const cp = contenders.corepool
  const verdict = (extra) => ({ threshold: SSIM_THRESHOLD, reference: LABELS[gateRef], referenceId: gateRef, ...extra })
  if (!ref?.last) {
    return {
      quality,
      gate:
        cp && cp.status !== 'skipped'
          ? verdict({ pass: false, reasons: [`${LABELS[gateRef]} reference unavailable`] })
          : null,
    }
  }
  for (const [id, c] of Object.entries(contenders)) {
    if (id === gateRef || !c.last) continue
    log(`  quality: comparing ${LABELS[id]} with ${LABELS[gateRef]}`)
    quality[id] = await compareWithReference(sharp, batch, ref.last, c.last)
  }
  if (cp?.last) {
    const cmp = quality.corepool
    const bytesRatio = cp.meanBytes && ref.meanBytes ? cp.meanBytes / ref.meanBytes : null
    const base = gateVerdict(cmp, cp.failed)
    const reasons = [...base.reasons]
    if (bytesRatio !== null && bytesRatio > BYTES_RATIO_LIMIT)
      reasons.push(`output bytes ${bytesRatio.toFixed(2)}x ${LABELS[gateRef]}'s > ${BYTES_RATIO_LIMIT}x`)
    return { quality, gate: verdict({ pass: reasons.length === 0, reasons, quality: cmp, bytesRatio }) }
  }
  if (cp?.status === 'error')
    return { quality, gate: verdict({ pass: false, reasons: [`corepool errored: ${cp.reason.split('\n')[0]}`] }) }
  return { quality, gate: null }
}

/** The most output bytes corepool may write, relative to the gate's sharp reference. */
const BYTES_RATIO_LIMIT = 1.1

/** Notes for a workload: peer limitations, skipped contenders, stderr chatter, failures. */
function workloadNotes(w, contenders) {
  const notes = []
  if (contenders['napi-image']) notes.push(...napiLimitations(w.options).map((n) => `@napi-rs/image: ${n}`))
  if (contenders['sharp-rotate-first']) {
    notes.push(
      "sharp (users' chain) is the seed code's chain, resize then rotate: `.resize({ width: 800, height: 600, fit: 'contain' }).rotate(90)`. " +
        'In sharp 0.35 it yields an 800x800 canvas, not the 600x800 that corepool (and sharp rotate-first, `.rotate(90).resize(600, 800)`) write, ' +
        "so it is timed as the headline but cannot be the quality reference: the gate compares corepool with sharp rotate-first. Rotating first turns off libvips' JPEG shrink-on-load, " +
        "which is why that row is slower than the users' chain; sharp 2-pass resizes to raw pixels first, then rotates (informational).",
    )
  }
  for (const [id, c] of Object.entries(contenders)) {
    if (c.stderrLines) notes.push(`${LABELS[id]} printed ${c.stderrLines} line(s) to stdout/stderr during a run`)
    if (c.failed) notes.push(`${LABELS[id]}: ${c.failed} image(s) failed, e.g. ${c.errors[0]}`)
  }
  return notes
}

/** Run, aggregate and check one workload. */
async function benchWorkload(w, corpus, opts, tmp, floor) {
  const infos = corpus.sets[w.inputs] ?? []
  const base = { id: w.id, title: w.title, short: w.short, options: w.options, rounds: opts.rounds, inputs: w.inputs }
  if (!infos.length) return { ...base, skipped: `no ${w.inputs} files in the corpus` }
  const batch = buildBatch(
    infos.map((i) => i.file),
    opts.batch,
    w.id,
  )
  const infoOf = new Map(infos.map((i) => [i.file, i]))
  warmPageCache(batch.map((b) => b.source))
  log(`\nworkload ${w.id}: ${w.title} (${batch.length} images, ${infos.length} distinct)`)
  const runs = await runWorkload(w, batch, opts, tmp, await applicableContenders(opts.contenders, w.options))
  const contenders = Object.fromEntries(Object.entries(runs).map(([id, r]) => [id, aggregate(r)]))
  const sharpAgg = contenders.sharp
  for (const c of Object.values(contenders)) c.vsSharp = throughputRatio(c, sharpAgg)
  const { quality, gate } = await qualityCheck(batch, contenders)
  // The decode floor, for batches of JPEGs only.
  let floorRow = null
  if (floor?.binary && batch.every((b) => infoOf.get(b.source)?.format === 'jpeg')) {
    floorRow = runFloor(
      floor.binary,
      batch.map((b) => ({ path: b.path, width: infoOf.get(b.source).width, height: infoOf.get(b.source).height })),
      w.options,
      opts.rounds,
    )
    if (floorRow.wallMs) log(`  [${w.id}] decode floor: ${(floorRow.wallMs / 1000).toFixed(2)} s`)
  }
  return {
    ...base,
    batchSize: batch.length,
    distinct: infos.length,
    contenders,
    quality,
    gate,
    floor: floorRow,
    ratios: {
      corepoolVsSharp: throughputRatio(contenders.corepool, sharpAgg),
      corepoolVsWorkerPool: throughputRatio(contenders.corepool, contenders['worker-pool']),
      corepoolVsSharpRotateFirst: throughputRatio(contenders.corepool, contenders['sharp-rotate-first']),
      corepoolVsSharp2pass: throughputRatio(contenders.corepool, contenders['sharp-2pass']),
      napiVsSharp: throughputRatio(contenders['napi-image'], sharpAgg),
      corepoolOverFloor:
        floorRow?.wallMs && contenders.corepool?.wallMs ? contenders.corepool.wallMs / floorRow.wallMs : null,
    },
    notes: workloadNotes(w, contenders),
  }
}

// ---------------------------------------------------------------- output

/** Versions reported by the contenders' children (first successful run each). */
function collectVersions(workloads) {
  const v = { node: process.versions.node }
  for (const w of workloads) {
    const c = w.contenders ?? {}
    if (c.sharp?.info)
      Object.assign(v, {
        sharp: c.sharp.info.version,
        libvips: c.sharp.info.vips,
        'sharp.concurrency()': c.sharp.info.concurrency,
      })
    if (c['napi-image']?.info) v['@napi-rs/image'] = c['napi-image'].info.version
    if (c.corepool?.info) v.corepool = c.corepool.info.version
  }
  v.corepool ??= 'not available (skipped)'
  return v
}

/** Median share of the machine used by other processes over every timed run. */
function otherLoadMedian(workloads) {
  const loads = workloads
    .flatMap((w) => Object.values(w.contenders ?? {}).flatMap((c) => c.rounds))
    .map((r) => r.otherLoad)
    .filter((v) => typeof v === 'number')
  return loads.length ? median(loads) : null
}

/** JSON-friendly copy: drop per-file output lists (temp paths) from the rounds. */
function rawJson(summary) {
  return JSON.stringify(summary, (k, val) => (k === 'outputs' || k === 'last' ? undefined : val), 2)
}

/** The SVG chart of images/s per contender per workload. */
function chart(summary) {
  const done = summary.workloads.filter((w) => !w.skipped)
  const series = summary.meta.contenders
    .filter((c) => done.some((w) => w.contenders[c]?.imagesPerSec))
    .map((c) => ({ id: c, label: LABELS[c], color: COLORS[c] }))
  const groups = done.map((w) => ({
    label: `workload ${w.id}`,
    sublabel: w.short,
    values: Object.fromEntries(
      series.map((s) => [s.id, w.contenders[s.id] ? (w.contenders[s.id].imagesPerSec ?? null) : undefined]),
    ),
  }))
  const m = summary.meta
  const subtitle =
    m.otherLoadMedian > 0.1
      ? `Contended run: other processes used a median ${(m.otherLoadMedian * 100).toFixed(0)}% of the machine while contenders ran`
      : m.corpus.fallback
        ? 'Some large photos unavailable (a Debian package could not be fetched)'
        : undefined
  return barChartSvg({
    title: `Images per second (batch ${m.batch}, median of ${m.rounds} rounds, ${m.cores} cores; higher is better)`,
    subtitle,
    yLabel: 'images / s',
    series,
    groups,
  })
}

/** Write images.md, images.svg and images.json; returns the Markdown. */
function writeResults(summary) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  const md = markdownReport(summary, LABELS)
  fs.writeFileSync(path.join(RESULTS_DIR, 'images.md'), md + '\n')
  fs.writeFileSync(path.join(RESULTS_DIR, 'images.svg'), chart(summary) + '\n')
  fs.writeFileSync(path.join(RESULTS_DIR, 'images.json'), rawJson(summary) + '\n')
  return md
}

/** Real errors (exit 1 always) and strict-only problems (exit 1 with --strict). */
function problems(summary) {
  const errors = []
  const strict = []
  for (const w of summary.workloads.filter((x) => !x.skipped)) {
    for (const [id, c] of Object.entries(w.contenders)) {
      if (c.status === 'error') errors.push(`workload ${w.id}: ${LABELS[id]} errored: ${c.reason.split('\n')[0]}`)
      else if ((id === 'sharp' || id === w.gate?.referenceId) && c.failed)
        errors.push(`workload ${w.id}: the sharp baseline failed ${c.failed} image(s): ${c.errors[0]}`)
      else if (c.failed) strict.push(`workload ${w.id}: ${LABELS[id]} failed ${c.failed} image(s)`)
    }
    if (w.gate && !w.gate.pass) strict.push(`workload ${w.id}: quality gate FAILED: ${w.gate.reasons.join('; ')}`)
  }
  return { errors, strict }
}

// ---------------------------------------------------------------- options

const USAGE = `Usage: node benchmark/images.mjs [options]

  --batch N          images per batch, at least every corpus file once (default 24)
  --rounds N         timed rounds per contender and workload; medians are reported (default 3)
  --workload LIST    comma-separated workloads among ${Object.keys(WORKLOADS).join(',')} (default all)
  --contenders LIST  comma-separated among ${CONTENDER_IDS.join(',')} (default all)
  --timeout S        per-child timeout in seconds (default 180)
  --napi-resize M    @napi-rs/image resize: fast (SIMD fastResize, default) or slow (resize)
  --no-warmup        do not process one untimed image before each timed batch
  --keep             keep the temporary output folders (path is printed)
  --strict           exit non-zero when the quality gate fails or a contender fails images
  --help             this text
`

/** The command-line options (`--workloads` is accepted for `--workload`). */
function parseOptions() {
  return parseCommandLine({
    usage: USAGE,
    options: {
      batch: { type: 'string', default: '24' },
      rounds: { type: 'string', default: '3' },
      workload: { type: 'string' },
      workloads: { type: 'string' },
      contenders: { type: 'string' },
      timeout: { type: 'string', default: '180' },
      'napi-resize': { type: 'string', default: 'fast' },
      'no-warmup': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
    },
    check: (v) => {
      const workloads = v.workload ?? v.workloads
      return {
        batch: positiveInt('batch', v.batch),
        rounds: positiveInt('rounds', v.rounds),
        workloads:
          workloads === undefined ? Object.keys(WORKLOADS) : list('workload', workloads, Object.keys(WORKLOADS)),
        contenders: v.contenders === undefined ? CONTENDER_IDS : list('contenders', v.contenders, CONTENDER_IDS),
        timeoutS: positiveInt('timeout', v.timeout),
        napiResize: list('napi-resize', v['napi-resize'], ['fast', 'slow'])[0],
        warmup: !v['no-warmup'],
        keep: v.keep,
        strict: v.strict,
      }
    },
  })
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseOptions()
  const s = selfTest()
  log(
    `ssim self-test: identical ${s.identical.toFixed(4)}, mild noise ${s.mild.toFixed(4)}, pure noise ${s.noise.toFixed(4)}`,
  )
  const workloadDefs = selectWorkloads(opts.workloads)
  if (workloadDefs.some((w) => w.options.composite)) await ensureWatermark(sharp)
  const corpus = await loadCorpus()
  const backgroundLoadBefore = await sampleBackgroundLoad(1000)
  if (backgroundLoadBefore > 0.15) {
    warnLoudly(
      `Other processes are using ${(backgroundLoadBefore * 100).toFixed(0)}% of this machine's CPU right now:\nthe timings will be contended. Re-run on an idle machine for publishable numbers.`,
    )
  }
  const floor = buildFloor()
  if (floor.warning) log(`decode floor: ${floor.warning}`)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-bench-'))
  const workloads = []
  try {
    for (const w of workloadDefs) workloads.push(await benchWorkload(w, corpus, opts, tmp, floor))
  } finally {
    if (opts.keep) log(`\noutputs kept in ${tmp}`)
    else fs.rmSync(tmp, { recursive: true, force: true })
  }
  const summary = {
    meta: {
      date: new Date().toISOString(),
      cpu: os.cpus()[0]?.model ?? 'unknown CPU',
      cores: os.availableParallelism(),
      memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
      versions: collectVersions(workloads),
      batch: opts.batch,
      rounds: opts.rounds,
      warmup: opts.warmup,
      napiResize: opts.napiResize,
      backgroundLoadBefore,
      otherLoadMedian: otherLoadMedian(workloads),
      contenders: opts.contenders,
      corpus: {
        description: corpus.description,
        fallback: corpus.fallback,
        files: corpus.infos.map((i) => ({
          file: shortName(i.file),
          size: `${i.width}x${i.height}`,
          format: i.format,
          progressive: i.progressive,
          chroma: i.chroma,
          grey: i.grey,
          icc: i.icc,
        })),
      },
    },
    workloads,
  }
  const md = writeResults(summary)
  console.log(`\n${md}`)
  log(`results written to ${path.relative(process.cwd(), RESULTS_DIR) || RESULTS_DIR}/images.{md,svg,json}`)
  const { errors, strict } = problems(summary)
  for (const p of [...errors, ...strict]) log(`PROBLEM: ${p}`)
  if (corpus.fallback)
    warnLoudly('This run lacks some of the large photos (a Debian package was unavailable); see the warning above.')
  if (errors.length || (opts.strict && strict.length)) process.exitCode = 1
  else if (strict.length) log('(quality/contender problems above do not change the exit code without --strict)')
}

main().catch((err) => {
  console.error(`benchmark failed: ${err?.stack ?? err}`)
  process.exitCode = 1
})
