#!/usr/bin/env node
// Long fuzzing pass of the image pipeline (crates/core/tests/fuzz.rs) for a given time.
//
//   node fuzz/run.mjs [--minutes 10] [--seed N] [--threads N]
//
// Runs `cargo test --release -p corepool-core --test fuzz -- --nocapture --exact fuzz_pipeline` with
// COREPOOL_FUZZ_SECONDS = minutes x 60 (plus COREPOOL_FUZZ_SEED / _THREADS when
// given), streams its output, and ends with the fuzzer's summary. The build (release,
// LTO) is not counted in the minutes. Exit status: cargo's (0 when no bug was found).

import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { UsageError, parseCommandLine, positiveInt, positiveNumber } from '../benchmark/lib/args.mjs'

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')

const args = parseCommandLine({
  usage: 'Usage: node fuzz/run.mjs [--minutes 10] [--seed N] [--threads N]\n',
  options: {
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string' },
    threads: { type: 'string' },
  },
  check: (v) => {
    if (v.seed !== undefined && !/^\d+$/.test(v.seed))
      throw new UsageError(`--seed expects a non-negative integer, got "${v.seed}"`)
    return {
      minutes: positiveNumber('minutes', v.minutes),
      seed: v.seed,
      threads: v.threads === undefined ? undefined : String(positiveInt('threads', v.threads)),
    }
  },
})

const seconds = Math.max(1, Math.round(args.minutes * 60))
const env = { ...process.env, COREPOOL_FUZZ_SECONDS: String(seconds) }
if (args.seed !== undefined) env.COREPOOL_FUZZ_SEED = args.seed
if (args.threads !== undefined) env.COREPOOL_FUZZ_THREADS = args.threads

const cargoArgs = [
  'test',
  '--release',
  '-p',
  'corepool-core',
  '--test',
  'fuzz',
  '--',
  '--nocapture',
  '--exact',
  'fuzz_pipeline',
]
console.log(`fuzz/run.mjs: fuzzing for ${seconds} s (COREPOOL_FUZZ_SECONDS=${seconds}); building first if needed`)
console.log(`fuzz/run.mjs: cargo ${cargoArgs.join(' ')}`)

const started = Date.now()
// Through scripts/cargo.mjs, so the build shares the addon's target directory.
const child = spawn(process.execPath, [path.join(ROOT, 'scripts/cargo.mjs'), ...cargoArgs], {
  cwd: ROOT,
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
})
const interesting = []
let tail = ''
function watch(stream, out) {
  let partial = ''
  stream.on('data', (chunk) => {
    out.write(chunk)
    const text = partial + chunk.toString()
    const lines = text.split('\n')
    partial = lines.pop()
    for (const line of lines) {
      tail = (tail + line + '\n').slice(-4000)
      if (/^fuzz (summary|found)|^fuzz: (slowest|the peak|CRASH|HARD_CAP)|COREPOOL_FUZZ_REPLAY=/.test(line.trim()))
        interesting.push(line.trim())
    }
  })
}
watch(child.stdout, process.stdout)
watch(child.stderr, process.stderr)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))

child.on('error', (e) => {
  console.error(`fuzz/run.mjs: cannot run cargo: ${e.message}`)
  process.exit(2)
})
child.on('close', (code, signal) => {
  const minutes = ((Date.now() - started) / 60000).toFixed(1)
  console.log('\n==== fuzz/run.mjs summary ====')
  if (interesting.length) for (const line of interesting) console.log(line)
  else console.log('(no fuzz summary line: the build or the run failed; see the output above)')
  console.log(
    `wall time ${minutes} min (build included); cargo ${signal ? `killed by ${signal}` : `exited with ${code}`}`,
  )
  process.exitCode = code ?? 1
})
