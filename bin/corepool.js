#!/usr/bin/env node
'use strict'

// The corepool command line: `corepool resize ...`, `corepool primes ...` and
// `corepool worker ...` (a BullMQ worker; bullmq and ioredis are loaded only there).
//
// Exit codes: 0 success, 1 at least one file failed, 2 bad usage or an invalid
// option (ERR_INVALID_OPTION), 130 interrupted (Ctrl-C).
//
// Option values are handed to corepool as given (numbers converted when they look
// like numbers) and corepool validates them, so the messages here are the same
// ones the JS API gives.

const fs = require('node:fs')
const path = require('node:path')
const { Command, CommanderError } = require('commander')
const cliProgress = require('cli-progress')
const { globSync } = require('tinyglobby')
const corepool = require('../index.js')
const { version } = require('../package.json')

const EXIT_FAILED = 1
const EXIT_USAGE = 2
const EXIT_INTERRUPTED = 130

/** Thrown for a usage problem found by this file (not by commander or corepool). */
class UsageError extends Error {}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/**
 * A numeric-looking argument becomes a number; anything else stays a string, so
 * corepool's validation names the value exactly as typed ("received 'abc' of type
 * string" rather than "received NaN").
 */
function numberish(value) {
  const trimmed = String(value).trim()
  if (trimmed === '') return value
  const n = Number(trimmed)
  return Number.isNaN(n) ? value : n
}

function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return '-'
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(2)} MiB`
}

function formatMs(ms) {
  if (!Number.isFinite(ms)) return '-'
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms).toString()
}

/** Prints rows as a left/right aligned text table. */
function printTable(out, header, rows, rightAligned) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  out.write(line(header) + '\n')
  out.write(widths.map((w) => '-'.repeat(w)).join('  ') + '\n')
  for (const row of rows) out.write(line(row) + '\n')
}

/** A corepool error code, if `err` carries one. */
const codeOf = (err) => (err && typeof err.code === 'string' ? err.code : undefined)

const SHOW_CURSOR = '\x1b[?25h'

/**
 * Aborts `controller` on the first Ctrl-C (work stops at the next stage boundary of
 * each image in flight); a second Ctrl-C exits at once with 130. `clear()` takes the
 * progress bar off the screen before any message, and the cursor is always shown
 * again.
 */
function abortOnSigint(controller, clear = () => {}) {
  let interrupted = false
  const onSigint = () => {
    clear()
    if (interrupted) {
      if (process.stderr.isTTY) process.stderr.write(SHOW_CURSOR)
      process.stderr.write('corepool: interrupted again, exiting\n')
      process.exit(EXIT_INTERRUPTED)
    }
    interrupted = true
    process.stderr.write('corepool: interrupted, stopping (press Ctrl-C again to force)\n')
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  return () => process.removeListener('SIGINT', onSigint)
}

/** The names of corepool's options, as this CLI spells them: `width` is `--width`. */
let flagNames
function cliFlagOf(name) {
  flagNames ??= new Map(
    corepool.optionTable().flatMap((o) => [o.name, o.alias].filter(Boolean).map((n) => [n, o.cliFlag])),
  )
  return flagNames.get(name)
}

/**
 * A corepool message reworded for the command line: options are named by their flags
 * (`for width but` becomes `for --width but`, `pass overwrite: true` becomes
 * `pass --overwrite`).
 */
function forCli(message) {
  return String(message)
    .replace(/\bpass (\w+): true\b/g, (m, name) => (cliFlagOf(name) ? `pass --${cliFlagOf(name)}` : m))
    .replace(/\bfor (\w+) but received\b/g, (m, name) =>
      cliFlagOf(name) ? `for --${cliFlagOf(name)} but received` : m,
    )
}

// ---------------------------------------------------------------------------
// Globs (tinyglobby): `*`, `?`, `[...]`, `{a,b}` and `**`. The shell usually
// expands them already; this is for quoted patterns and for shells that do not
// (Windows cmd).
// ---------------------------------------------------------------------------

const MAGIC = /[*?[{]/

const hasMagic = (pattern) => MAGIC.test(pattern)

/** `(`, `)` and a leading `!` are plain characters here, as in the shell, not picomatch groups or negation. */
const escapeNonShellSyntax = (pattern) => pattern.replace(/\\.|[()]|^!/g, (m) => (m.length === 2 ? m : '\\' + m))

function safeRealpath(p) {
  try {
    return fs.realpathSync(p)
  } catch {
    return p
  }
}

/** Expands one pattern into the sorted list of files it matches (no directories, no dot files). */
function expandGlob(pattern) {
  const normalized = pattern.split(path.sep).join('/')
  const segments = normalized.split('/')
  // The literal prefix (no wildcards) is where the walk starts, and is kept as the
  // user spelled it: `photos/*.jpg` gives `photos/a.jpg`, an absolute pattern absolute paths.
  const firstMagic = segments.findIndex(hasMagic)
  const base = segments.slice(0, firstMagic).join('/') || (normalized.startsWith('/') ? '/' : '.')
  const rest = segments
    .slice(firstMagic)
    .filter((s) => s !== '')
    .join('/')
  const matches = globSync(escapeNonShellSyntax(rest), { cwd: base, expandDirectories: false, extglob: false })

  // A directory link back into one of its own ancestors would repeat the same files
  // under longer and longer paths: a match reached through one is dropped.
  const realpaths = new Map()
  const realpath = (p) => {
    if (!realpaths.has(p)) realpaths.set(p, safeRealpath(p))
    return realpaths.get(p)
  }
  const throughLoop = (match) => {
    const seen = new Set([realpath(base)])
    let dir = base
    for (const part of match.split('/').slice(0, -1)) {
      dir = path.join(dir, part)
      if (seen.has(realpath(dir))) return true
      seen.add(realpath(dir))
    }
    return false
  }
  return matches
    .filter((match) => !throughLoop(match))
    .map((match) => path.join(base, match))
    .sort()
}

/**
 * Expands every argument; an argument without wildcards is kept as is (corepool
 * reports a missing one as ERR_INPUT_NOT_FOUND), and so is a pattern that matches
 * nothing, so it shows up as a failed file rather than silently vanishing.
 */
function expandInputs(args) {
  const files = []
  const seen = new Set()
  for (const arg of args) {
    const matches = hasMagic(arg) && !fs.existsSync(arg) ? expandGlob(arg) : [arg]
    if (matches.length === 0) {
      process.stderr.write(`corepool: warning: no files match '${arg}'\n`)
      matches.push(arg)
    }
    for (const file of matches) {
      if (!seen.has(file)) {
        seen.add(file)
        files.push(file)
      }
    }
  }
  return files
}

// ---------------------------------------------------------------------------
// resize
// ---------------------------------------------------------------------------

/** commander's attribute name for a long flag: `without-enlargement` → `withoutEnlargement`. */
const camel = (flag) => flag.replace(/-([a-z])/g, (_, c) => c.toUpperCase())

/**
 * The resize flags, one per option of corepool's option table (the table the
 * validation uses), so that the flags, their help and the API cannot drift apart.
 * A boolean option that defaults to true becomes `--no-<flag>`.
 */
function optionFlags() {
  return corepool.optionTable().map((o) => {
    const short = o.cliShort ? `-${o.cliShort}, ` : ''
    const negated = o.kind === 'boolean' && o.default === 'true'
    const long = negated ? `--no-${o.cliFlag}` : `--${o.cliFlag}`
    const value = o.kind === 'boolean' ? '' : ` <${o.kind === 'choice' ? o.cliFlag : 'value'}>`
    const choices = o.kind === 'choice' ? ` One of: ${o.choices.join(', ')}.` : ''
    const shown = o.kind === 'boolean' && !negated ? '' : ` (default: ${negated ? 'on' : o.default})`
    return { option: o, flags: `${short}${long}${value}`, help: `${o.doc}${choices}${shown}`, key: camel(o.cliFlag) }
  })
}

/** The value of a JSON flag (`--extract '{"left":0,...}'`, `--sharpen true`, `--blur 2`). */
function jsonish(option, value) {
  try {
    return JSON.parse(value)
  } catch {
    throw new UsageError(`--${option.cliFlag} expects a JSON value, got ${JSON.stringify(value)}`)
  }
}

/** Builds the corepool options from the parsed command-line options. */
function resizeOptions(opts) {
  const o = {}
  for (const { option, key } of optionFlags()) {
    const value = opts[key]
    if (value === undefined) continue
    if (option.kind === 'boolean') {
      // Switches only ever set the non-default value.
      if (value !== (option.default === 'true')) o[option.name] = value
    } else {
      o[option.name] =
        option.kind === 'number' ? numberish(value) : option.kind === 'json' ? jsonish(option, value) : value
    }
  }
  return o
}

function applyThreads(threads) {
  if (threads !== undefined) corepool.setConcurrency(numberish(threads))
}

async function runResize(inputs, opts) {
  applyThreads(opts.threads)
  const files = expandInputs(inputs)
  if (files.length === 0) throw new UsageError('no input files')
  const options = resizeOptions(opts)
  // An empty batch validates the options (ERR_INVALID_OPTION) without doing any
  // work, so a bad option does not leave an empty --out directory behind.
  await corepool.processImages([], options)
  if (opts.out !== undefined && opts.out !== '') {
    fs.mkdirSync(opts.out, { recursive: true })
  }

  // Ctrl-C is handled before the bar is drawn: a Ctrl-C that comes as soon as the bar
  // shows must find the handler, not the default action that kills the process.
  const controller = new AbortController()
  let bar = null
  let barShown = false
  const clearBar = () => {
    if (barShown) {
      barShown = false
      bar.stop()
      if (process.stderr.isTTY) process.stderr.write(SHOW_CURSOR)
    }
  }
  process.once('exit', clearBar)
  const stopListening = abortOnSigint(controller, clearBar)

  if (opts.progress !== false && Boolean(process.stderr.isTTY)) {
    bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: 'resize |{bar}| {percentage}% | {value}/{total} | {failed} failed | {file}',
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    )
    bar.start(files.length, 0, { failed: 0, file: '' })
    barShown = true
  }
  const started = process.hrtime.bigint()
  let results
  try {
    results = await corepool.processImages(files, options, {
      signal: controller.signal,
      onProgress: bar
        ? (p) => {
            if (barShown)
              bar.update(p.done, {
                failed: p.failed,
                file: path.basename(p.currentPath),
              })
          }
        : undefined,
    })
  } finally {
    stopListening()
    clearBar()
    process.removeListener('exit', clearBar)
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6

  if (opts.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n')
  } else {
    printResizeSummary(results, wallMs, options)
  }
  return results.some((r) => !r.success) ? EXIT_FAILED : 0
}

function printResizeSummary(results, wallMs, options) {
  const out = process.stdout
  const rows = results.map((r) => [
    r.originalPath,
    r.success ? `${r.width}x${r.height}` : '-',
    r.success ? r.format : '-',
    r.success ? formatBytes(r.processedSize) : '-',
    formatMs(r.durationMs),
    r.success ? 'ok' : r.error ? r.error.code : 'failed',
  ])
  printTable(out, ['file', 'dims', 'format', 'size', 'ms', 'status'], rows, new Set([3, 4]))

  const failed = results.filter((r) => !r.success)
  if (failed.length > 0) {
    out.write('\nerrors:\n')
    for (const r of failed) {
      const e = r.error || { code: 'ERR_INTERNAL', message: 'no error reported' }
      out.write(`  ${r.originalPath}: ${e.code}: ${forCli(e.message)}\n`)
    }
  }
  const ok = results.length - failed.length
  const bytes = results.reduce((sum, r) => sum + (r.success ? r.processedSize : 0), 0)
  const rate = wallMs > 0 ? (ok / (wallMs / 1000)).toFixed(1) : '-'
  const where = options.outputDir ? ` to ${options.outputDir}` : ''
  out.write(
    `\n${ok}/${results.length} written${where}, ${failed.length} failed, ` +
      `${formatBytes(bytes)} in ${formatMs(wallMs)} ms (${rate} images/s, ` +
      `${corepool.getConcurrency()} threads)\n`,
  )
}

// ---------------------------------------------------------------------------
// primes
// ---------------------------------------------------------------------------

async function runPrimes(maxArg, opts) {
  applyThreads(opts.threads)
  const max = numberish(maxArg)
  const show = numberish(opts.show)
  if (!Number.isInteger(show) || show < 0) {
    throw new UsageError(`--show expects a non-negative integer but received '${opts.show}'`)
  }
  const controller = new AbortController()
  const stopListening = abortOnSigint(controller)
  const started = process.hrtime.bigint()
  try {
    if (opts.count) {
      const count = await corepool.countPrimes(max, { signal: controller.signal })
      process.stdout.write(`${count}\n`)
      reportTime(started)
      return 0
    }
    if (typeof max === 'number' && max > 2 ** 32 && max <= 2 ** 53) {
      throw Object.assign(new UsageError(`cannot list the primes below ${maxArg}: listing goes up to 2**32`), {
        hint: `count them instead: corepool primes ${maxArg} --count`,
      })
    }
    const primes = await corepool.calculatePrimes(max, { signal: controller.signal })
    reportTime(started)
    if (opts.all) {
      writeAll(primes)
      return 0
    }
    const out = process.stdout
    out.write(`${primes.length} primes below ${max}\n`)
    if (primes.length === 0) return 0
    if (primes.length <= 2 * show) {
      out.write(`${Array.from(primes).join(', ')}\n`)
    } else if (show > 0) {
      out.write(`first ${show}: ${Array.from(primes.subarray(0, show)).join(', ')}\n`)
      out.write(`last ${show}:  ${Array.from(primes.subarray(primes.length - show)).join(', ')}\n`)
    }
    return 0
  } finally {
    stopListening()
  }
}

/** The elapsed time, on stderr and only for a person at a terminal. */
function reportTime(started) {
  if (!process.stderr.isTTY) return
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  process.stderr.write(`(${formatMs(ms)} ms on ${corepool.getConcurrency()} threads)\n`)
}

/** Writes every prime, one per line, in chunks (there can be hundreds of millions). */
function writeAll(primes) {
  const CHUNK = 1 << 16
  for (let i = 0; i < primes.length; i += CHUNK) {
    const part = primes.subarray(i, Math.min(i + CHUNK, primes.length))
    fs.writeSync(1, part.join('\n') + '\n')
  }
}

// ---------------------------------------------------------------------------
// worker (BullMQ): lib/queue.js, loaded only by this command
// ---------------------------------------------------------------------------

/** A positive integer option, or a UsageError naming the flag. */
function positiveInt(flag, value) {
  const n = numberish(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive integer but received '${value}'`)
  return n
}

/**
 * Runs a queue worker until SIGTERM or SIGINT, then drains: no new job is taken, the
 * active ones finish, the connections close, and the process exits 0. A second signal
 * exits at once with 130 (the active jobs go back to the queue once their lock expires).
 */
async function runWorker(opts) {
  applyThreads(opts.threads)
  const concurrency = positiveInt('--concurrency', opts.concurrency)
  const lockDuration = positiveInt('--lock-duration', opts.lockDuration)
  const { startQueueWorker, QueueDependencyError } = require('../lib/queue.js')
  const log = (line) => process.stderr.write(`corepool worker: ${line}\n`)
  let running
  try {
    running = await startQueueWorker(corepool, {
      redis: opts.redis,
      queue: opts.queue,
      concurrency,
      lockDuration,
      log,
    })
  } catch (err) {
    if (err instanceof QueueDependencyError) throw Object.assign(new UsageError(err.message), { hint: err.hint })
    throw err
  }
  log(
    `ready: queue '${opts.queue}', ${concurrency} job(s) at a time, ${corepool.getConcurrency()} threads, ` +
      `lock ${lockDuration} ms (pid ${process.pid})`,
  )
  await new Promise((resolve) => {
    let stopping = false
    const onSignal = (signal) => {
      if (stopping) {
        log(`${signal} again: exiting without waiting for the active jobs`)
        process.exit(EXIT_INTERRUPTED)
      }
      stopping = true
      log(`${signal}: finishing the active jobs, taking no new ones`)
      running.close().then(resolve, (err) => {
        log(`error while closing: ${err && err.message ? err.message : err}`)
        resolve()
      })
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
  log('drained and closed')
  return 0
}

// ---------------------------------------------------------------------------
// Program
// ---------------------------------------------------------------------------

function buildProgram() {
  const program = new Command()
  program
    .name('corepool')
    .description(
      'Use every CPU core from the command line: parallel image resizing and prime sieving (Rust, no worker_threads).',
    )
    .version(version, '-V, --version', 'print the corepool version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ corepool resize 'photos/**/*.jpg' --width 800 --height 600 --fit contain --out thumbs
  $ corepool resize a.png b.png --width 320 --format webp --quality 80 --out web
  $ corepool primes 1e9 --count
  $ corepool worker --redis redis://127.0.0.1:6379 --queue images
  $ corepool help resize

Exit codes: 0 ok, 1 some file failed, 2 bad usage or invalid option, 130 interrupted.`,
    )

  const resize = program
    .command('resize')
    .description(
      'Resize, rotate and convert images on every core (sharp-compatible resize semantics). ' +
        'Outputs go to --out (created if missing), or next to each input, named <prefix><name><suffix>.<ext>.',
    )
    .argument('<files...>', "input files or glob patterns (quote them: 'photos/**/*.jpg'; * ? [ab] {jpg,png} **)")
  for (const { flags, help } of optionFlags()) resize.option(flags, help)
  resize
    .option('--threads <n>', 'size of the thread pool (default: number of cores, or $COREPOOL_THREADS)')
    .option('--no-progress', 'no progress bar (it is only shown when stderr is a terminal)')
    .option('--json', 'print the results as JSON instead of a table')
    .addHelpText(
      'after',
      `
Examples:
  $ corepool resize photos/*.jpg --width 800 --height 600 --fit contain --rotate 90 --grayscale --out out
  $ corepool resize 'shots/**/*.{jpg,png}' -w 320 -f webp -q 75 -o thumbs --suffix _320
  $ corepool resize big.tiff --width 2000 --without-enlargement --format jpeg --overwrite -o .

Prints one line per file (dims, size, time, status or error code) and totals.
Exit codes: 0 all files written, 1 at least one file failed, 2 invalid option or usage, 130 interrupted.`,
    )
    .action(async (files, opts) => {
      process.exitCode = await runResize(files, opts)
    })

  program
    .command('primes')
    .description('List or count the primes below <max> with a parallel segmented sieve. Ctrl-C aborts.')
    .argument('<max>', 'upper bound, exclusive (up to 2**32 when listing, 2**53 with --count); 1e9 notation is fine')
    .option('--count', 'only print the number of primes below <max> (faster, no list kept in memory)')
    .option('--show <n>', 'how many of the first and last primes to print', 10)
    .option('--all', 'print every prime, one per line')
    .option('--threads <n>', 'size of the thread pool (default: number of cores, or $COREPOOL_THREADS)')
    .addHelpText(
      'after',
      `
Examples:
  $ corepool primes 100            # 25 primes below 100, first and last 10
  $ corepool primes 1e9 --count    # 50847534
  $ corepool primes 1000 --all > primes.txt

Exit codes: 0 ok, 2 invalid <max>, 130 interrupted.`,
    )
    .action(async (max, opts) => {
      process.exitCode = await runPrimes(max, opts)
    })

  program
    .command('worker')
    .description(
      'Process image jobs from a BullMQ queue on Redis, on every core. A job is { paths, options? }; ' +
        'its result is the ImageResult[] of processImages. Needs the optional packages: ' +
        'npm install bullmq ioredis.',
    )
    .requiredOption('--redis <url>', 'the Redis server, e.g. redis://127.0.0.1:6379')
    .requiredOption('--queue <name>', 'the BullMQ queue name')
    .option('--concurrency <jobs>', 'jobs processed at a time (each one already uses every core)', '1')
    .option(
      '--lock-duration <ms>',
      "BullMQ's lockDuration and stalledInterval: a dead worker's job is retried within about twice this",
      '30000',
    )
    .option('--threads <n>', 'size of the thread pool (default: number of cores, or $COREPOOL_THREADS)')
    .addHelpText(
      'after',
      `
Paths in jobs must name files that every worker can see (a shared volume). Outputs are
written atomically, so a job retried after a worker died completes with every output.

Examples:
  $ corepool worker --redis redis://127.0.0.1:6379 --queue images
  $ corepool worker --redis redis://redis:6379 --queue images --concurrency 2 --lock-duration 60000

SIGTERM or SIGINT: finish the active jobs, take no new ones, exit 0 (a second one exits at once).
Exit codes: 0 drained, 2 bad usage or bullmq/ioredis missing.`,
    )
    .action(async (opts) => {
      process.exitCode = await runWorker(opts)
    })

  return program
}

async function main(argv) {
  const program = buildProgram()
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were printed.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE
      return
    }
    const code = codeOf(err)
    if (err instanceof UsageError || code === 'ERR_INVALID_OPTION') {
      const hint = err.hint ?? `run 'corepool help ${program.args[0] ?? ''}'.`.replace(" ''", '')
      process.stderr.write(`corepool: ${forCli(err.message)}\n  hint: ${hint}\n`)
      process.exitCode = EXIT_USAGE
    } else if (code === 'ERR_ABORTED') {
      process.stderr.write('corepool: aborted\n')
      process.exitCode = EXIT_INTERRUPTED
    } else {
      process.stderr.write(`corepool: ${code ? code + ': ' : ''}${err && err.message ? err.message : err}\n`)
      process.exitCode = EXIT_FAILED
    }
  }
}

if (require.main === module) {
  main(process.argv)
}

module.exports = { main, expandGlob }
