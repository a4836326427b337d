// Prime-sieve benchmark: corepool against primesieve (C++ library and CLI), a JS
// sieve of Eratosthenes and the naive trial-division loop.
//
//   node benchmark/primes.mjs [--rounds N] [--naive-rounds N]
//
// Each row runs its two contenders alternately in one process (A B, B A, A B, ...),
// after one untimed warm-up run of each, and reports the medians. The Markdown table
// goes to stdout and to benchmark/results/primes.md.
//
// primesieve rows need the Debian packages libprimesieve-dev and primesieve-bin
// (plus g++); they are skipped with a message when those are missing.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseCommandLine, positiveInt } from './lib/args.mjs'
import { median } from './lib/stats.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const { calculatePrimes, countPrimes } = createRequire(import.meta.url)('../index.js')

const USAGE = `Usage: node benchmark/primes.mjs [--rounds N] [--naive-rounds N]

  --rounds N        timed rounds of each contender per row; medians are reported (default 5)
  --naive-rounds N  rounds of the naive trial-division row, which takes seconds per run (default 3)
  --help            this text
`

const { rounds, naiveRounds } = parseCommandLine({
  usage: USAGE,
  options: {
    rounds: { type: 'string', default: '5' },
    // The naive loop takes seconds per run even at 1e5, so it gets fewer rounds.
    'naive-rounds': { type: 'string', default: '3' },
  },
  check: (v) => ({
    rounds: positiveInt('rounds', v.rounds),
    naiveRounds: positiveInt('naive-rounds', v['naive-rounds']),
  }),
})
const loadAtStart = os.loadavg()

const INSTALL_HINT = 'install them with: sudo apt-get install libprimesieve-dev primesieve-bin'
const PRIMESIEVE_HEADER = '/usr/include/primesieve.hpp'
const GENERATE_SOURCE = join(here, 'primesieve_generate.cpp')
const CACHE_DIR = join(here, '.cache')
const RESULTS_FILE = join(here, 'results', 'primes.md')

// ---------------------------------------------------------------------------------
// Contenders. Each `run()` resolves to { seconds, count }: the time of the work alone
// (no process start-up) and the number of primes found, checked across contenders.

const corepoolList = (max) => ({
  name: `corepool calculatePrimes(${fmtBound(max)})`,
  async run() {
    const start = performance.now()
    const primes = await calculatePrimes(max)
    return { seconds: (performance.now() - start) / 1000, count: primes.length }
  },
})

const corepoolCount = (max) => ({
  name: `corepool countPrimes(${fmtBound(max)})`,
  async run() {
    const start = performance.now()
    const count = await countPrimes(max)
    return { seconds: (performance.now() - start) / 1000, count }
  },
})

/** primesieve::generate_primes into a vector<uint32_t>, timed by the C++ program itself. */
const primesieveGenerate = (binary, max) => ({
  name: `primesieve::generate_primes (C++, ${fmtBound(max)})`,
  async run() {
    const out = runTool(binary, [String(max), '1'])
    return {
      seconds: Number(match(out, /^seconds (\S+)$/m, binary)),
      count: Number(match(out, /^count (\d+)$/m, binary)),
    }
  },
})

/** The primesieve CLI counting on all cores; its --time covers the sieve alone. */
const primesieveCount = (max) => ({
  name: `primesieve ${fmtBound(max)} --time (CLI)`,
  async run() {
    // The CLI counts primes in [0, STOP], stop inclusive; corepool counts p < max.
    const out = runTool('primesieve', [String(max - 1), '--time', '--no-status'])
    return {
      seconds: Number(match(out, /^Seconds: (\S+)$/m, 'primesieve')),
      count: Number(match(out, /^Primes: (\d+)$/m, 'primesieve')),
    }
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
    const args = ['-O2', '-std=c++17', GENERATE_SOURCE, '-o', binary, '-lprimesieve']
    const result = spawnSync('g++', args, { encoding: 'utf8' })
    if (result.status !== 0) return { skip: `g++ failed to build ${GENERATE_SOURCE}:\n${result.stderr}` }
  }
  return { binary }
}

// ---------------------------------------------------------------------------------
// Measuring.

/**
 * Runs corepool and a competitor alternately, `n` rounds each, after one warm-up of
 * each (unless `warmup` is false). Every run's count must equal `expected`.
 */
async function duel({ workload, corepool, competitor, n, expected, floor, warmup = true, note }) {
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
    // Swap the order every round so neither side always runs on a machine the other
    // just warmed up (or heated).
    const order = round % 2 ? ['competitor', 'corepool'] : ['corepool', 'competitor']
    for (const side of order) {
      const who = side === 'corepool' ? corepool : competitor
      times[side].push(check(who, await who.run()).seconds)
    }
    process.stderr.write('.')
  }
  const a = median(times.corepool)
  const b = median(times.competitor)
  return { workload, corepool: corepool.name, competitor: competitor.name, a, b, n, floor, problems, note }
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

function tableRow(r) {
  if (r.skip) return `| ${r.workload} | — | ${r.competitor} | — | — | skipped | — | ${r.floorText ?? '—'} |`
  const ratio = r.a / r.b
  const floor = r.floor === undefined ? '—' : `<= ${r.floor.toFixed(2)}: ${ratio <= r.floor ? 'met' : '**missed**'}`
  const correct = r.problems.length ? ' **(count mismatch)**' : ''
  return (
    `| ${r.workload}${correct} | ${fmtTime(r.a)} | ${r.competitor} | ${fmtTime(r.b)} | ` +
    `${ratio.toPrecision(3)} | ${fmtSpeedup(ratio)} | ${r.n} | ${floor} |`
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

const rows = []
const skip = (workload, competitor, reason, floorText) => {
  console.error(`\nSKIP ${workload} vs ${competitor}: ${reason}`)
  rows.push({ workload, competitor, skip: reason, floorText })
}

// Expected counts come from corepool's countPrimes; every contender, corepool's list
// included, must agree with it.
const expect = (max) => countPrimes(max)

{
  const max = 1e9
  const workload = `calculatePrimes(${fmtBound(max)})`
  const competitor = 'primesieve::generate_primes (C++, vector<uint32_t>)'
  const build = buildGenerateProgram()
  if (build.skip) {
    skip(workload, competitor, build.skip, '<= 0.80: not measured')
  } else {
    const row = await duel({
      workload,
      corepool: corepoolList(max),
      competitor: primesieveGenerate(build.binary, max),
      n: rounds,
      expected: await expect(max),
      floor: 0.8,
    })
    rows.push({ ...row, competitor })
  }
}

{
  const max = 1e10
  const workload = `countPrimes(${fmtBound(max)})`
  const competitor = `primesieve ${fmtBound(max)} --time (CLI, all cores)`
  if (!commandExists('primesieve')) {
    skip(workload, competitor, `the primesieve CLI is not installed; ${INSTALL_HINT}`, '<= 1.50: not measured')
  } else {
    const row = await duel({
      workload,
      corepool: corepoolCount(max),
      competitor: primesieveCount(max),
      n: rounds,
      expected: await expect(max),
      floor: 1.5,
    })
    rows.push({ ...row, competitor })
  }
}

{
  const max = 1e8
  const row = await duel({
    workload: `calculatePrimes(${fmtBound(max)})`,
    corepool: corepoolList(max),
    competitor: jsContender('JS Uint8Array sieve', jsSieve, max),
    n: rounds,
    expected: await expect(max),
  })
  rows.push({ ...row, competitor: 'JS Uint8Array sieve -> Uint32Array' })
}

{
  const max = 1e5
  const row = await duel({
    workload: `calculatePrimes(${fmtBound(max)})`,
    corepool: corepoolList(max),
    competitor: jsContender('naive trial division', naiveCalculatePrimes, max),
    n: naiveRounds,
    expected: await expect(max),
    // The naive loop is slow enough that a warm-up run would only add seconds.
    warmup: false,
  })
  rows.push({ ...row, competitor: 'naive trial division (JS, every j < n)' })
}
process.stderr.write('\n')

// ---------------------------------------------------------------------------------
// Report.

const lines = [
  '# corepool prime sieve benchmark',
  '',
  `Run ${new Date().toISOString()} with \`node benchmark/primes.mjs --rounds ${rounds} --naive-rounds ${naiveRounds}\`.`,
  '',
  ...machineFacts(),
  '',
  '| Workload | corepool (median) | Competitor | Competitor (median) | Ratio corepool / competitor (lower is better) | corepool is | Rounds | Floor |',
  '| --- | ---: | --- | ---: | ---: | --- | ---: | --- |',
  ...rows.map(tableRow),
  '',
  'Notes:',
  '',
  '- Contenders alternate within each row (order swapped every round); times are medians.',
  '  Every row except the naive one starts with one untimed warm-up run of each contender.',
  `- The naive trial-division row runs ${naiveRounds} round(s) (\`--naive-rounds\`), as each run takes seconds.`,
  '- corepool times are taken in JS around the awaited promise, so they include the hand-off',
  '  to and from the thread pool. primesieve times are measured by the programs themselves',
  '  (no process start-up); the CLI reports milliseconds only.',
  '- primesieve::generate_primes (via primesieve::iterator) is single-threaded; the primesieve',
  '  CLI counts on all cores, like corepool.',
  "- Every run's prime count is checked against countPrimes; a mismatch is flagged in the table.",
]
const skipped = rows.filter((r) => r.skip)
if (skipped.length)
  lines.push('', '**Skipped:**', '', ...skipped.map((r) => `- ${r.workload} vs ${r.competitor}: ${r.skip}`))
const problems = rows.flatMap((r) => r.problems ?? [])
if (problems.length) lines.push('', '**Count mismatches:**', '', ...problems.map((p) => `- ${p}`))
const report = lines.join('\n') + '\n'

console.log(report)
mkdirSync(dirname(RESULTS_FILE), { recursive: true })
writeFileSync(RESULTS_FILE, report)
console.error(`written to ${RESULTS_FILE}`)
if (problems.length) process.exitCode = 1
