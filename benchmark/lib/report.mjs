// Markdown report from the aggregated benchmark summary built by images.mjs.

const MiB = 1024 * 1024

/** A corpus file without the cache folder and the package's image folder. */
function shortSource(file) {
  return file
    .replace(/^.*\/\.cache\//, '')
    .replace(/\/usr\/share\/(backgrounds|wallpapers)\//, '/')
    .replace('/contents/', '/')
    .replace(/^.*\/fixtures\/photos\//, 'photos/')
}

/** Fixed decimals, or an em dash for missing values. */
function num(v, digits = 2) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—'
}

/** Percentage of a 0..1 fraction, or an em dash. */
function pct(v) {
  return typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : '—'
}

/** "1.23x" ratio or an explanation of why there is none. */
function ratio(v) {
  return typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a'
}

/** Quality columns of one contender against the gate's reference. */
function qualityCells(id, q, gate) {
  if (id === (gate?.referenceId ?? 'sharp')) return ['reference', 'reference']
  if (!q) return ['—', '—']
  const dims = q.dimsMismatches.length
    ? `no (${q.dimsMismatches.length}/${q.compared}, e.g. ${q.dimsMismatches[0].dims})`
    : q.missing.length
      ? `missing ${q.missing.length}`
      : 'yes'
  const resampled = q.resampled ? ` (${num(q.minResampledSsim, 4)}* resampled)` : ''
  return [`${num(q.minSsim, 4)}${resampled}`, dims]
}

/** One table row per contender of a workload. */
function contenderRow(w, c, labels) {
  const r = w.contenders[c]
  if (r.status === 'skipped' || r.status === 'error') {
    return `| ${labels[c]} | ${r.status}: ${(r.reason ?? '').split('\n')[0].replace(/\|/g, '/')} | | | | | | | | |`
  }
  const failed = r.failed ? ` (${r.failed} failed)` : ''
  return (
    `| ${labels[c]} | ${num(r.wallMs / 1000)} | ${num(r.imagesPerSec, 1)}${failed} | ${ratio(r.vsSharp)} | ${num(r.maxRssBytes / MiB, 0)} ` +
    `| ${num(r.cpuUtil * 100, 0)}% | ${pct(r.otherLoad)} | ${num(r.meanBytes / 1024, 1)} | ${qualityCells(c, w.quality[c], w.gate).join(' | ')} |`
  )
}

/** Text of the quality gate for a workload. */
function gateLine(w) {
  if (!w.gate) return '- Quality gate (corepool vs sharp): not run (corepool skipped)'
  const verdict = w.gate.pass ? '**PASS**' : `**FAIL**: ${w.gate.reasons.join('; ')}`
  const q = w.gate.quality
  return (
    `- Quality gate (corepool vs ${w.gate.reference}: same dimensions, SSIM >= ${w.gate.threshold}, output bytes <= 1.10x): ${verdict}` +
    (q?.minSsim != null
      ? ` (min SSIM ${num(q.minSsim, 4)} on ${shortSource(q.worstSource)}, mean ${num(q.meanSsim, 4)}; bytes ${ratio(w.gate.bytesRatio)})`
      : '')
  )
}

/** The decode floor's table row, where there is one. */
function floorRow(w) {
  const f = w.floor
  if (!f) return []
  if (!f.wallMs) return [`| decode floor | ${f.warning ?? 'not run'} | | | | | | | | |`]
  const scales = Object.entries(f.denominators)
    .map(([d, n]) => `1/${d} x${n}`)
    .join(', ')
  return [
    `| decode floor (libjpeg-turbo only, ${scales}) | ${num(f.wallMs / 1000)} | ${num(w.batchSize / (f.wallMs / 1000), 1)} | ${ratio(w.contenders.sharp?.wallMs ? w.contenders.sharp.wallMs / f.wallMs : null)} | — | — | — | — | — | — |`,
  ]
}

/** Section for one workload: table, ratios, gate, notes. */
function workloadSection(w, contenders, labels) {
  const head = [`### ${w.id}: ${w.title}`, '']
  if (w.skipped) return [...head, `Skipped: ${w.skipped}`, '']
  const cp = w.contenders.corepool
  const cpMissing = !cp || cp.status !== 'ok' ? ` (corepool ${cp ? cp.status : 'not selected'})` : ''
  return [
    ...head,
    `Batch: ${w.batchSize} images (${w.distinct} distinct files), ${w.rounds} rounds, medians.`,
    '',
    `| Contender | Wall s (median) | Images/s | vs sharp | Peak RSS MiB | CPU util | Other procs CPU | Mean output KiB | Min SSIM vs ${w.gate?.reference ?? 'sharp'} | Dims = ${w.gate?.reference ?? 'sharp'} |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...contenders.filter((c) => w.contenders[c]).map((c) => contenderRow(w, c, labels)),
    ...floorRow(w),
    '',
    `- corepool ÷ sharp (users' chain) throughput: ${ratio(w.ratios.corepoolVsSharp)}${cpMissing}`,
    `- corepool ÷ worker_threads throughput: ${ratio(w.ratios.corepoolVsWorkerPool)}${cpMissing}`,
    ...(w.contenders['sharp-rotate-first']
      ? [`- corepool ÷ sharp rotate-first throughput: ${ratio(w.ratios.corepoolVsSharpRotateFirst)}${cpMissing}`]
      : []),
    ...(w.contenders['sharp-2pass']
      ? [`- corepool ÷ sharp 2-pass throughput: ${ratio(w.ratios.corepoolVsSharp2pass)}${cpMissing}`]
      : []),
    ...(w.ratios.corepoolOverFloor
      ? [
          `- corepool's time ÷ the decode floor's: ${ratio(w.ratios.corepoolOverFloor)} (1.00x would be plain libjpeg-turbo decoding at the same scales on every core)`,
        ]
      : []),
    ...(w.contenders.corepool?.maxRssBytes && w.contenders.sharp?.maxRssBytes
      ? [
          `- Peak RSS, corepool ÷ sharp (users' chain): ${ratio(w.contenders.corepool.maxRssBytes / w.contenders.sharp.maxRssBytes)}`,
        ]
      : []),
    gateLine(w),
    ...w.notes.map((n) => `- Note: ${n}`),
    ...(Object.values(w.quality).some((q) => q.resampled)
      ? [
          "- \\* some outputs were 1-2 px off sharp's size; their SSIM (marked *) was computed after resampling them to sharp's size, which itself costs SSIM: informational only.",
        ]
      : []),
    '',
  ]
}

/** Cross-workload summary table of the workloads on one input set. */
function summaryTable(workloads, contenders, labels) {
  const rows = workloads
    .filter((w) => !w.skipped)
    .map((w) => {
      const ips = contenders.map((c) => {
        const r = w.contenders[c]
        if (!r) return '—' // not applicable to this workload
        return r.imagesPerSec ? num(r.imagesPerSec, 1) : 'n/a'
      })
      const gate = w.gate ? (w.gate.pass ? 'PASS' : 'FAIL') : 'not run'
      const rss =
        w.contenders.corepool?.maxRssBytes && w.contenders.sharp?.maxRssBytes
          ? ratio(w.contenders.corepool.maxRssBytes / w.contenders.sharp.maxRssBytes)
          : 'n/a'
      return `| ${w.id}: ${w.short} | ${ips.join(' | ')} | **${ratio(w.ratios.corepoolVsSharp)}** | ${ratio(w.ratios.corepoolVsWorkerPool)} | ${ratio(w.ratios.corepoolOverFloor)} | ${rss} | ${gate} |`
    })
  return [
    '| Workload | ' +
      contenders.map((c) => `${labels[c]} img/s`).join(' | ') +
      " | corepool ÷ sharp (users' chain) | corepool ÷ worker_threads | corepool time ÷ decode floor | peak RSS ÷ sharp | Quality gate |",
    '|---|' + contenders.map(() => '---:|').join('') + '---:|---:|---:|---:|---|',
    ...rows,
  ]
}

/** A visible warning when other processes loaded the machine during the run. */
function contentionWarning(m) {
  if (!(m.otherLoadMedian > 0.1)) return []
  return [
    '',
    `**Warning: other processes used a median ${pct(m.otherLoadMedian)} of the machine during the timed runs` +
      ` (${pct(m.backgroundLoadBefore)} just before the run): absolute numbers are contended and noisy; compare ratios within a round.**`,
  ]
}

/** The whole Markdown document. */
export function markdownReport(summary, labels) {
  const m = summary.meta
  const contenders = m.contenders
  return [
    "# Image batch benchmark: corepool vs sharp (the users' chain) vs worker_threads vs @napi-rs/image",
    '',
    `Generated by \`node benchmark/images.mjs\` on ${m.date}.`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM, ${m.platform}, Node ${m.node}.`,
    `Versions: ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    `Settings: batch size ${m.batch} (at least every distinct input once), ${m.rounds} rounds (contender order rotates each round), warm-up ${m.warmup ? 'on (1 untimed image per child)' : 'off'}, each run in its own child process; @napi-rs/image resize: ${m.napiResize}.`,
    'Corpus:',
    ...m.corpus.description.map((d) => `- ${d}`),
    '',
    "sharp (users' chain) = the chain users write (the seed code), resize then rotate then grey, with `Promise.all` over the files: the headline. sharp rotate-first and sharp 2-pass are extra, labelled rows.",
    'The decode floor = benchmark/floor/jpeg-floor.c, linked against the libjpeg-turbo corepool vendors, decoding the same files at the DCT scales corepool picks, on every core, files in memory.',
    '',
    'Images/s = batch size ÷ median wall time. CPU util = (user + system CPU time) ÷ (wall × cores) over the timed batch.',
    "Peak RSS = the highest `process.resourceUsage().maxRSS` of the contender's child processes (includes Node itself, ~40-50 MiB).",
    'Other procs CPU = share of the machine used by other processes during the timed batch (from /proc/stat): contention, not the contender.',
    "vs sharp = images/s ÷ the users' chain's images/s (same workload). SSIM: 11x11 Gaussian window on luma against the gate's sharp reference for the same input (the users' chain, or rotate-first where the workload has a quarter turn), minimum over distinct inputs of the same size.",
    ...contentionWarning(m),
    '',
    '## Summary: large JPEG photos (workloads a-d)',
    '',
    ...summaryTable(
      summary.workloads.filter((w) => w.inputs === 'large-jpeg'),
      contenders,
      labels,
    ),
    '',
    '## Summary: PNGs and small photos (workloads e, f)',
    '',
    ...summaryTable(
      summary.workloads.filter((w) => w.inputs !== 'large-jpeg'),
      contenders,
      labels,
    ),
    '',
    '## Workloads',
    '',
    ...summary.workloads.flatMap((w) => workloadSection(w, contenders, labels)),
  ].join('\n')
}
