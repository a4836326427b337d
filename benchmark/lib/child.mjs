// Child process: runs ONE contender on ONE batch and writes a JSON result.
// Usage (by the orchestrator only): node benchmark/lib/child.mjs <job.json>
// Each run gets its own process so peak RSS and CPU time belong to one contender.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { importContender } from '../contenders/index.mjs'
import { machineUtil, readCpuTimes } from './machine.mjs'

/** Summarise per-file results without losing the first errors. */
function summarise(results) {
  const failed = results.filter((r) => !r.ok)
  return {
    ok: results.length - failed.length,
    failed: failed.length,
    errors: failed.slice(0, 5).map((r) => `${path.basename(r.input)}: ${r.error}`),
  }
}

/** Size every output on disk (untimed), so file sizes are measured the same way for all contenders. */
async function measureFiles(results) {
  for (const r of results.filter((x) => x.ok)) {
    try {
      r.bytes = (await fs.stat(r.output)).size
    } catch (err) {
      Object.assign(r, { ok: false, error: `reported success but output is missing: ${err.message}` })
    }
  }
}

/** Time one batch: wall clock plus the whole process's CPU time (all threads). */
async function timedRun(contender, job) {
  const machine0 = readCpuTimes()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const results = await contender.run(job.inputs, job.options, job.outDir)
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return {
    results,
    wallMs,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    machineUtil: machineUtil(machine0, readCpuTimes()),
  }
}

async function runJob(job) {
  const base = { contender: job.contender, workload: job.workload, round: job.round, images: job.inputs.length }
  const contender = await importContender(job.contender)
  const loaded = await contender.load()
  if (!loaded.ok) return { ...base, status: 'skipped', reason: loaded.reason }

  // Warm-up on one image, untimed: library init, thread pools, code paths.
  if (job.warmup)
    await contender.run(job.inputs.slice(0, 1), job.options, path.join(job.outDir, '..', `warmup-${job.contender}`))

  const { results, wallMs, cpuUserMs, cpuSystemMs, machineUtil: busy } = await timedRun(contender, job)
  const maxRssBytes = process.resourceUsage().maxRSS * 1024 // maxRSS is in KiB; read before any extra work
  await measureFiles(results)
  const cores = os.availableParallelism()
  return {
    ...base,
    status: 'ok',
    info: loaded.info,
    wallMs,
    imagesPerSec: job.inputs.length / (wallMs / 1000),
    cpuUserMs,
    cpuSystemMs,
    cpuUtil: (cpuUserMs + cpuSystemMs) / (wallMs * cores),
    // Share of the machine used by OTHER processes during the timed run (contention).
    otherLoad: busy === null ? null : Math.max(0, busy - (cpuUserMs + cpuSystemMs) / (wallMs * cores)),
    cores,
    maxRssBytes,
    ...summarise(results),
    outputs: results.map(({ input, output, ok, bytes, width, height }) => ({
      input,
      output,
      ok,
      bytes,
      width,
      height,
    })),
  }
}

/** Read the job, run it, and always leave a result file for the orchestrator. */
async function main() {
  const job = JSON.parse(await fs.readFile(process.argv[2], 'utf8'))
  let result
  try {
    result = await runJob(job)
  } catch (err) {
    result = {
      contender: job.contender,
      workload: job.workload,
      round: job.round,
      status: 'error',
      reason: String(err?.stack ?? err),
    }
    process.exitCode = 1
  }
  await fs.writeFile(job.resultPath, JSON.stringify(result))
  process.exit() // do not let a stray handle (thread pool, timer) keep the child alive
}

main()
