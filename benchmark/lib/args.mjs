// The command-line parser of every benchmark script and of fuzz/run.mjs: node:util
// parseArgs (strict, no positional arguments), `--help`/`-h`, and one way to report a
// mistake: `error: <one line>`, a blank line and the usage on stderr, exit status 2.
import { parseArgs } from 'node:util'

/** A command-line mistake: reported as one line plus usage, without a stack trace. */
export class UsageError extends Error {}

/**
 * Parses `argv` against `options` (in node:util parseArgs' format; `--help`/`-h` is
 * added) and returns `check(values)`, which turns the raw values into the script's
 * options and throws UsageError for a bad one. `--help` prints `usage` on stdout and
 * exits 0; a mistake exits 2 as described above.
 */
export function parseCommandLine({ usage, options, check = (values) => values, argv = process.argv.slice(2) }) {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }))
    if (!values.help) return check(values)
  } catch (err) {
    if (!(err instanceof UsageError) && !String(err?.code).startsWith('ERR_PARSE_ARGS_')) throw err
    process.stderr.write(`error: ${err.message}\n\n${usage}`)
    process.exit(2)
  }
  process.stdout.write(usage)
  process.exit(0)
}

/** A positive integer option value, or a clear error. */
export function positiveInt(name, value) {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} expects a positive integer, got "${value}"`)
  return n
}

/** A non-negative integer option value, or a clear error. */
export function nonNegativeInt(name, value) {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} expects a non-negative integer, got "${value}"`)
  return n
}

/** A positive finite number option value, or a clear error. */
export function positiveNumber(name, value) {
  const n = Number(value)
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--${name} expects a positive number, got "${value}"`)
  return n
}

/** Comma-separated list restricted to `allowed`. */
export function list(name, value, allowed) {
  const items = String(value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const bad = items.filter((s) => !allowed.includes(s))
  if (!items.length || bad.length)
    throw new UsageError(`--${name} expects a comma-separated list of ${allowed.join(', ')}, got "${value}"`)
  return items
}
