// Prime-sieve benchmark: corepool against primesieve (C++ library and CLI), a JS
// sieve of Eratosthenes and the naive trial-division loop.
//
//   node benchmark/primes.mjs [--processes N] [--calls N] [--gap MS] [--count-max N]
//                             [--count-rounds A,B,C] [--rounds N] [--naive-rounds N]
//
// calculatePrimes(1e9) against primesieve::generate_primes: N fresh processes of each
// (alternating which goes first), each making --calls calls with idle gaps of --gap ms
// before some of them, so the cost of fresh memory (first calls, and calls after an
// idle spell on VMs that hand freed memory back to the hypervisor) is in the figures.
// p50 and p90 are over every call of every process, first calls included.
//
// countPrimes at 1e10, 1e11 and 1e12 (up to --count-max) against the primesieve CLI on
// all cores: one fresh corepool process per round, alternating with the CLI.
//
// The JS rows run in this process, alternately, after one warm-up each. The Markdown
// report goes to stdout and to benchmark/results/primes.md.
//
// primesieve rows need the Debian packages libprimesieve-dev and primesieve-bin
// (plus g++); they are skipped with a message when those are missing.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseCommandLine, positiveInt, nonNegativeInt, positiveNumber, UsageError } from './lib/args.mjs'
import { machineUtil, readCpuTimes, sampleBackgroundLoad } from './lib/machine.mjs'
import { median, percentile } from './lib/stats.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const self = fileURLToPath(import.meta.url)
const { calculatePrimes, countPrimes } = createRequire(import.meta.url)('../index.js')

/** pi(x) for the bounds measured here, from the literature: every contender is checked against these. */
const KNOWN_PI = new Map([
  [1e5, 9592],
  [1e8, 5761455],
  [1e9, 50847534],
  [1e10, 455052511],
  [1e11, 4118054813],
  [1e12, 37607912018],
])

// Child mode (internal): `--child JSON` runs the calls in this fresh process and prints
// one JSON line { seconds: [...], system: [...], cpu: [...], count, gapLoad }: per call
// the wall time, the system CPU time and the whole CPU time (user + system, all threads).
if (process.argv[2] === '--child') {
  const job = JSON.parse(process.argv[3])
  const fn = job.fn === 'list' ? calculatePrimes : countPrimes
  const seconds = []
  const system = []
  const cpu = []
  const gapLoads = []
  let count = null
  for (let call = 0; call < job.calls; call++) {
    const gap = job.gaps[call] ?? 0
    if (gap > 0) {
      // While this process idles, what is busy is other load.
      const before = readCpuTimes()
      await new Promise((r) => setTimeout(r, gap))
      const load = machineUtil(before, readCpuTimes())
      if (load !== null) gapLoads.push(load)
    }
    const cpu0 = process.cpuUsage()
    const start = performance.now()
    const result = await fn(job.max)
    seconds.push((performance.now() - start) / 1000)
    const used = process.cpuUsage(cpu0)
    system.push(used.system / 1e6)
    cpu.push((used.user + used.system) / 1e6)
    count = typeof result === 'number' ? result : result.length
  }
  const gapLoad = gapLoads.length ? gapLoads.reduce((a, b) => a + b, 0) / gapLoads.length : null
  process.stdout.write(JSON.stringify({ seconds, system, cpu, count, gapLoad }) + '\n')
  process.exit(0)
}

const USAGE = `Usage: node benchmark/primes.mjs [options]

  --processes N     fresh processes of each side for calculatePrimes(1e9) (default 5)
  --calls N         calls per process (default 5)
  --gap MS          idle gap before every second call from the third on (default 3000)
  --count-max N     largest countPrimes bound measured: 1e10, 1e11 or 1e12 (default 1e12)
  --count-rounds L  rounds per countPrimes bound, comma-separated for 1e10,1e11,1e12 (default 5,3,1)
  --rounds N        timed rounds of each contender in the JS rows (default 5)
  --naive-rounds N  rounds of the naive trial-division row, which takes seconds per run (default 3)
  --help            this text
`

const opts = parseCommandLine({
  usage: USAGE,
  options: {
    processes: { type: 'string', default: '5' },
    calls: { type: 'string', default: '5' },
    gap: { type: 'string', default: '3000' },
    'count-max': { type: 'string', default: '1e12' },
    'count-rounds': { type: 'string', default: '5,3,1' },
    rounds: { type: 'string', default: '5' },
    // The naive loop takes seconds per run even at 1e5, so it gets fewer rounds.
    'naive-rounds': { type: 'string', default: '3' },
  },
  check: (v) => {
    const countRounds = String(v['count-rounds'])
      .split(',')
      .map((r) => positiveInt('count-rounds', r))
    if (countRounds.length !== 3) throw new UsageError('--count-rounds expects three numbers, for 1e10,1e11,1e12')
    const countMax = positiveNumber('count-max', v['count-max'])
    if (![1e10, 1e11, 1e12].includes(countMax)) throw new UsageError('--count-max expects 1e10, 1e11 or 1e12')
    return {
      processes: positiveInt('processes', v.processes),
      calls: positiveInt('calls', v.calls),
      gap: nonNegativeInt('gap', v.gap),
      countMax,
      countRounds,
      rounds: positiveInt('rounds', v.rounds),
      naiveRounds: positiveInt('naive-rounds', v['naive-rounds']),
    }
  },
})
const { processes, calls, gap, countMax, countRounds, rounds, naiveRounds } = opts
const loadAtStart = os.loadavg()
/** Idle gaps before each call: `gap` before calls 2, 4, 6, ... (0-based), none before the first two. */
const gaps = Array.from({ length: calls }, (_, i) => (i >= 2 && i % 2 === 0 ? gap : 0))

const INSTALL_HINT = 'install them with: sudo apt-get install libprimesieve-dev primesieve-bin'
const PRIMESIEVE_HEADER = '/usr/include/primesieve.hpp'
const GENERATE_SOURCE = join(here, 'primesieve_generate.cpp')
const CACHE_DIR = join(here, '.cache')
const RESULTS_FILE = join(here, 'results', 'primes.md')

// ---------------------------------------------------------------------------------
// Contenders. Each `run()` resolves to { seconds: [...], cpu: [...], count }: the wall and
// CPU (user + system) times of the work alone (no process start-up; the CLI's CPU time
// includes its start-up, a few ms) and the number of primes found, checked against KNOWN_PI.

/** `calls` calls of calculatePrimes or countPrimes in one fresh Node process. */
const corepoolProcess = (fn, max, callGaps) => ({
  name: `corepool ${fn === 'list' ? 'calculatePrimes' : 'countPrimes'}(${fmtBound(max)})`,
  run() {
    const job = { fn, max, calls: callGaps.length, gaps: callGaps }
    const out = runTool(process.execPath, [self, '--child', JSON.stringify(job)])
    return JSON.parse(out.trim().split('\n').pop())
  },
})

/** primesieve::generate_primes into a vector<uint32_t>, in one fresh process, timed by the C++ program itself. */
const primesieveGenerate = (binary, max, callGaps) => ({
  name: `primesieve::generate_primes (C++, ${fmtBound(max)})`,
  run() {
    const out = runTool(binary, [String(max), String(callGaps.length), callGaps.join(',')])
    return {
      seconds: [...out.matchAll(/^seconds (\S+)$/gm)].map((m) => Number(m[1])),
      cpu: [...out.matchAll(/^cpu (\S+) (\S+)$/gm)].map((m) => Number(m[1]) + Number(m[2])),
      count: Number(match(out, /^count (\d+)$/m, binary)),
    }
  },
})

/** The primesieve CLI counting on all cores; its --time covers the sieve alone. */
const primesieveCount = (max) => ({
  name: `primesieve ${fmtBound(max)} --time (CLI)`,
  run() {
    // The CLI counts primes in [0, STOP], stop inclusive; corepool counts p < max.
    // bash's `times` then prints the CPU time of its children: the CLI's user and system.
    const script = 'primesieve "$@" && times'
    const out = runTool('bash', ['-c', script, 'bash', String(max - 1), '--time', '--no-status'])
    const times = out.trim().split('\n').pop().split(/\s+/).map(parseShellTime)
    return {
      seconds: [Number(match(out, /^Seconds: (\S+)$/m, 'primesieve'))],
      cpu: [times[0] + times[1]],
      count: Number(match(out, /^Primes: (\d+)$/m, 'primesieve')),
    }
  },
})

const corepoolList = (max) => ({
  name: `corepool calculatePrimes(${fmtBound(max)})`,
  async run() {
    const start = performance.now()
    const primes = await calculatePrimes(max)
    return { seconds: (performance.now() - start) / 1000, count: primes.length }
  },
})
/** A plain JS sieve of Eratosthenes over a byte per number, listing into a Uint32Array. */
function jsSieve(max) {
  const composite = new Uint8Array(max)
  for (let i = 2; i * i < max; i++) {
    if (composite[i]) continue
    for (let j = i * i; j < max; j += i) composite[j] = 1
  }
  let count = 0
  for (let i = 2; i < max; i++) if (!composite[i]) count++
  const primes = new Uint32Array(count)
  for (let i = 2, k = 0; i < max; i++) if (!composite[i]) primes[k++] = i
  return primes
}

/** The trial-division version found in blog posts: every j < n is tried. */
function naiveCalculatePrimes(max) {
  const primes = []
  for (let n = 2; n < max; n++) {
    let isPrime = true
    for (let j = 2; j < n; j++) {
      if (n % j === 0) {
        isPrime = false
        break
      }
    }
    if (isPrime) primes.push(n)
  }
  return primes
}

const jsContender = (name, fn, max) => ({
  name: `${name} (${fmtBound(max)})`,
  async run() {
    const start = performance.now()
    const primes = fn(max)
    return { seconds: (performance.now() - start) / 1000, count: primes.length }
  },
})

// ---------------------------------------------------------------------------------
// Tools.

function runTool(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.error) throw result.error
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${result.stderr}`)
  }
  return result.stdout
}

/** Seconds from bash's `times` format, e.g. `1m5.250s`. */
function parseShellTime(text) {
  const m = /^(\d+)m([\d.]+)s$/.exec(text)
  if (!m) throw new Error(`unexpected time from bash's times: ${text}`)
  return Number(m[1]) * 60 + Number(m[2])
}

function match(text, regex, what) {
  const m = regex.exec(text)
  if (!m) throw new Error(`unexpected output from ${what}:\n${text}`)
  return m[1]
}

function commandExists(command) {
  return !spawnSync('sh', ['-c', `command -v ${command}`]).status
}

/**
 * Compiles benchmark/primesieve_generate.cpp into benchmark/.cache (again only when the
 * source is newer). Returns the binary's path, or { skip } saying why it cannot.
 */
function buildGenerateProgram() {
  if (!existsSync(PRIMESIEVE_HEADER)) {
    return { skip: `${PRIMESIEVE_HEADER} not found (libprimesieve-dev is not installed); ${INSTALL_HINT}` }
  }
  if (!commandExists('g++')) return { skip: 'g++ not found; install it with: sudo apt-get install g++' }
  const binary = join(CACHE_DIR, 'primesieve_generate')
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(GENERATE_SOURCE).mtimeMs) {
    mkdirSync(CACHE_DIR, { recursive: true })
    const args = ['-O2', '-std=c++17', GENERATE_SOURCE, '-o', binary, '-lprimesieve', '-pthread']
    const result = spawnSync('g++', args, { encoding: 'utf8' })
    if (result.status !== 0) return { skip: `g++ failed to build ${GENERATE_SOURCE}:\n${result.stderr}` }
  }
  return { binary }
}

// ---------------------------------------------------------------------------------
// Measuring.

/**
 * Runs the process-level contenders `a` (corepool) and `b` alternately, `n` times each
 * (a b, b a, a b, ...). Every run's count must equal `expected`. Returns every call's
 * wall and CPU time of each side, and the machine's other load measured in corepool's idle gaps.
 */
function alternate({ a, b, n, expected }) {
  const problems = []
  const times = { a: [], b: [] }
  const cpu = { a: [], b: [] }
  const system = []
  const gapLoads = []
  for (let round = 0; round < n; round++) {
    // Swap the order every round so neither side always runs on a machine the other
    // just warmed up (or heated).
    const order = round % 2 ? ['b', 'a'] : ['a', 'b']
    for (const side of order) {
      const who = side === 'a' ? a : b
      const result = who.run()
      if (result.count !== expected) problems.push(`${who.name} found ${result.count} primes, expected ${expected}`)
      times[side].push(...result.seconds)
      cpu[side].push(...(result.cpu ?? []))
      if (side === 'a') {
        system.push(...(result.system ?? []))
        if (result.gapLoad !== null && result.gapLoad !== undefined) gapLoads.push(result.gapLoad)
      }
    }
    process.stderr.write('.')
  }
  const gapLoad = gapLoads.length ? gapLoads.reduce((x, y) => x + y, 0) / gapLoads.length : null
  return { a: times.a, b: times.b, cpuA: cpu.a, cpuB: cpu.b, system, gapLoad, problems }
}

/**
 * Runs corepool and a competitor alternately in this process, `n` rounds each, after
 * one warm-up of each (unless `warmup` is false). Every run's count must equal `expected`.
 */
async function duel({ workload, corepool, competitor, n, expected, warmup = true }) {
  const problems = []
  const check = (who, result) => {
    if (result.count !== expected) problems.push(`${who.name} found ${result.count} primes, expected ${expected}`)
    return result
  }
  if (warmup) {
    check(corepool, await corepool.run())
    check(competitor, await competitor.run())
  }
  const times = { corepool: [], competitor: [] }
  for (let round = 0; round < n; round++) {
    const order = round % 2 ? ['competitor', 'corepool'] : ['corepool', 'competitor']
    for (const side of order) {
      const who = side === 'corepool' ? corepool : competitor
      times[side].push(check(who, await who.run()).seconds)
    }
    process.stderr.write('.')
  }
  return { workload, a: median(times.corepool), b: median(times.competitor), n, problems }
}

/** The machine's busy fraction over one idle second of this process: other load. */
async function otherLoad() {
  return sampleBackgroundLoad(1000)
}

// ---------------------------------------------------------------------------------
// Formatting.

function fmtBound(n) {
  const exp = Math.log10(n)
  if (Number.isInteger(exp) && exp >= 3) return `1e${exp}`
  const log2 = Math.log2(n)
  if (Number.isInteger(log2) && log2 >= 10) return `2**${log2}`
  return String(n)
}

function fmtTime(seconds) {
  if (seconds >= 1) return `${seconds.toFixed(3)} s`
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(1)} ms`
  return `${(seconds * 1e6).toFixed(0)} µs`
}

function fmtSpeedup(ratio) {
  // ratio = corepool / competitor, so corepool is 1 / ratio times faster.
  const factor = ratio <= 1 ? 1 / ratio : ratio
  const shown = factor >= 100 ? factor.toFixed(0) : factor.toFixed(2)
  return ratio <= 1 ? `${shown}x faster` : `${shown}x slower`
}

function fmtLoad(load) {
  return load === null || load === undefined ? 'n/a' : `${(load * 100).toFixed(0)}%`
}

/** CPU time cells: corepool's, the competitor's and their ratio, or dashes when not measured. */
function cpuCells(a, b) {
  if (!(a > 0 && b > 0)) return '— | — | —'
  return `${fmtTime(a)} | ${fmtTime(b)} | ${(a / b).toPrecision(3)}`
}

/** A row of the median table (counts, JS rows). */
function tableRow(r) {
  if (r.skip)
    return `| ${r.workload} | — | ${r.competitor} | — | — | skipped | — | — | — | — | ${r.floorText ?? '—'} | — |`
  const ratio = r.a / r.b
  const floor = r.floor === undefined ? '—' : `<= ${r.floor.toFixed(2)}: ${ratio <= r.floor ? 'met' : '**missed**'}`
  const correct = r.problems.length ? ' **(count mismatch)**' : ''
  return (
    `| ${r.workload}${correct} | ${fmtTime(r.a)} | ${r.competitor} | ${fmtTime(r.b)} | ` +
    `${ratio.toPrecision(3)} | ${fmtSpeedup(ratio)} | ${cpuCells(r.cpuA, r.cpuB)} | ${r.n} | ${floor} | ${fmtLoad(r.load)} |`
  )
}

/** A row of the percentile table (calculatePrimes across fresh processes). */
function percentileRow(r) {
  if (r.skip) return `| ${r.workload} | — | — | ${r.competitor} | — | — | — | — | — | — | — | — | ${r.floorText} | — |`
  const [a50, a90, b50, b90] = [percentile(r.a, 50), percentile(r.a, 90), percentile(r.b, 50), percentile(r.b, 90)]
  const floorRatio = a90 / b50
  const floor = `p90 <= ${r.floor.toFixed(2)} x competitor p50: ${floorRatio <= r.floor ? 'met' : '**missed**'}`
  const correct = r.problems.length ? ' **(count mismatch)**' : ''
  return (
    `| ${r.workload}${correct} | ${fmtTime(a50)} | ${fmtTime(a90)} | ${r.competitor} | ${fmtTime(b50)} | ${fmtTime(b90)} | ` +
    `${(a50 / b50).toPrecision(3)} | ${(a90 / b90).toPrecision(3)} | ${floorRatio.toPrecision(3)} | ` +
    `${cpuCells(percentile(r.cpuA, 50), percentile(r.cpuB, 50))} | ` +
    `${r.a.length} / ${r.b.length} | ${floor} | ${fmtLoad(r.load)} |`
  )
}

function machineFacts() {
  const cpus = os.cpus()
  const facts = [
    `- CPUs: ${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown'}`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node.js: ${process.version}`,
    // Other busy processes skew the numbers, the multi-threaded contenders most.
    `- Load average at start (1/5/15 min): ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')}`,
  ]
  if (commandExists('primesieve')) {
    facts.push(`- primesieve: ${runTool('primesieve', ['--version']).split('\n')[0].trim()}`)
  }
  return facts
}

// ---------------------------------------------------------------------------------
// The rows.

const listRows = []
const listNotes = []
const rows = []
const skip = (into, workload, competitor, reason, floorText) => {
  console.error(`\nSKIP ${workload} vs ${competitor}: ${reason}`)
  into.push({ workload, competitor, skip: reason, floorText })
}

{
  const max = 1e9
  const workload = `calculatePrimes(${fmtBound(max)})`
  const competitor = 'primesieve::generate_primes (C++, vector<uint32_t>)'
  const build = buildGenerateProgram()
  if (build.skip) {
    skip(listRows, workload, competitor, build.skip, 'p90 <= 0.80 x competitor p50: not measured')
  } else {
    const load = await otherLoad()
    const result = alternate({
      a: corepoolProcess('list', max, gaps),
      b: primesieveGenerate(build.binary, max, gaps),
      n: processes,
      expected: KNOWN_PI.get(max),
    })
    // Other load: sampled before the row and in corepool's idle gaps; the higher counts.
    listRows.push({ workload, competitor, ...result, floor: 0.8, load: Math.max(load ?? 0, result.gapLoad ?? 0) })
    // System time shows which calls faulted in fresh memory (tens of ms) and which
    // reused a pooled buffer (about 0).
    const sys = result.system
    listNotes.push(
      `corepool system CPU per call: p50 ${fmtTime(percentile(sys, 50))}, p90 ${fmtTime(percentile(sys, 90))}, ` +
        `max ${fmtTime(Math.max(...sys))}; ${sys.filter((t) => t > 0.02).length} of ${sys.length} calls above 20 ms.`,
    )
    console.error(`\n${listNotes.at(-1)}`)
  }
}

/** Floors of the count rows, by bound (1e11 has none of its own). */
const COUNT_FLOORS = new Map([
  [1e10, 1.0],
  [1e12, 1.1],
])
for (const [i, max] of [1e10, 1e11, 1e12].entries()) {
  if (max > countMax) break
  const workload = `countPrimes(${fmtBound(max)})`
  const competitor = `primesieve ${fmtBound(max)} --time (CLI, all cores)`
  const floor = COUNT_FLOORS.get(max)
  if (!commandExists('primesieve')) {
    const floorText = floor === undefined ? '—' : `<= ${floor.toFixed(2)}: not measured`
    skip(rows, workload, competitor, `the primesieve CLI is not installed; ${INSTALL_HINT}`, floorText)
    continue
  }
  const load = await otherLoad()
  const result = alternate({
    a: corepoolProcess('count', max, [0]),
    b: primesieveCount(max),
    n: countRounds[i],
    expected: KNOWN_PI.get(max),
  })
  rows.push({
    workload,
    competitor,
    a: median(result.a),
    b: median(result.b),
    cpuA: median(result.cpuA),
    cpuB: median(result.cpuB),
    n: countRounds[i],
    floor,
    problems: result.problems,
    load,
  })
}

{
  const max = 1e8
  const load = await otherLoad()
  const row = await duel({
    workload: `calculatePrimes(${fmtBound(max)})`,
    corepool: corepoolList(max),
    competitor: jsContender('JS Uint8Array sieve', jsSieve, max),
    n: rounds,
    expected: KNOWN_PI.get(max),
  })
  rows.push({ ...row, competitor: 'JS Uint8Array sieve -> Uint32Array', load })
}

{
  const max = 1e5
  const row = await duel({
    workload: `calculatePrimes(${fmtBound(max)})`,
    corepool: corepoolList(max),
    competitor: jsContender('naive trial division', naiveCalculatePrimes, max),
    n: naiveRounds,
    expected: KNOWN_PI.get(max),
    // The naive loop is slow enough that a warm-up run would only add seconds.
    warmup: false,
  })
  rows.push({ ...row, competitor: 'naive trial division (JS, every j < n)' })
}
process.stderr.write('\n')

// ---------------------------------------------------------------------------------
// Report.

const command =
  `node benchmark/primes.mjs --processes ${processes} --calls ${calls} --gap ${gap} ` +
  `--count-max ${fmtBound(countMax)} --count-rounds ${countRounds.join(',')} --rounds ${rounds} --naive-rounds ${naiveRounds}`
const lines = [
  '# corepool prime sieve benchmark',
  '',
  `Run ${new Date().toISOString()} with \`${command}\`.`,
  '',
  ...machineFacts(),
  '',
  `## Listing: ${processes} fresh processes x ${calls} calls each`,
  '',
  `Idle gaps of ${gap} ms before calls ${gaps.flatMap((g, i) => (g ? [i + 1] : [])).join(', ') || '(none)'} of each process ` +
    '(1-based), the same for both sides; first calls included.',
  '',
  '| Workload | corepool p50 | corepool p90 | Competitor | Competitor p50 | Competitor p90 | p50 ratio | p90 ratio | corepool p90 / competitor p50 | corepool CPU p50 | Competitor CPU p50 | CPU ratio | Calls | Floor | Other load |',
  '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ...listRows.map(percentileRow),
  '',
  ...listNotes.flatMap((n) => [n, '']),
  '## Counting, and the JS rows',
  '',
  '| Workload | corepool (median) | Competitor | Competitor (median) | Ratio corepool / competitor (lower is better) | corepool is | corepool CPU | Competitor CPU | CPU ratio | Rounds | Floor | Other load |',
  '| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |',
  ...rows.map(tableRow),
  '',
  'Notes:',
  '',
  '- Listing: each process of either side makes every call; processes alternate between the',
  '  sides (order swapped every round). Ratios are corepool / competitor, lower is better.',
  '- Counting: one fresh corepool process per round, alternating with the primesieve CLI;',
  '  times are medians.',
  '- JS rows: in this process, alternating, after one untimed warm-up run of each (none for',
  `  the naive row, which runs ${naiveRounds} round(s), as each run takes seconds).`,
  '- corepool times are taken in JS around the awaited promise, so they include the hand-off',
  '  to and from the thread pool. primesieve times are measured by the programs themselves',
  '  (no process start-up); the CLI reports milliseconds only.',
  '- primesieve::generate_primes (via primesieve::iterator) is single-threaded; the primesieve',
  '  CLI counts on all cores, like corepool.',
  "- Every run's prime count is checked against the known values of pi(x); a mismatch is flagged.",
  '- CPU columns: user + system CPU time (all threads) per call, median (p50 for the listing).',
  '  Other load steals cores from the multi-threaded side first, so on a busy machine the',
  '  CPU ratio shows the work done more faithfully than the wall-clock ratio; corepool times',
  '  come from `process.cpuUsage()` around the call, primesieve ones from `getrusage` around',
  "  `generate_primes` and from bash's `times` for the CLI (whole process).",
  '- Other load: the fraction of the whole machine busy while this benchmark idled (one second',
  "  before each row, and in corepool's idle gaps); above a few percent, figures are noisy.",
]
const skipped = [...listRows, ...rows].filter((r) => r.skip)
if (skipped.length)
  lines.push('', '**Skipped:**', '', ...skipped.map((r) => `- ${r.workload} vs ${r.competitor}: ${r.skip}`))
const problems = [...listRows, ...rows].flatMap((r) => r.problems ?? [])
if (problems.length) lines.push('', '**Count mismatches:**', '', ...problems.map((p) => `- ${p}`))
const report = lines.join('\n') + '\n'

console.log(report)
mkdirSync(dirname(RESULTS_FILE), { recursive: true })
writeFileSync(RESULTS_FILE, report)
console.error(`written to ${RESULTS_FILE}`)
if (problems.length) process.exitCode = 1
