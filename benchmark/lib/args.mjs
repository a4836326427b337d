// Command-line options of benchmark/images.mjs.
import { CONTENDER_IDS } from '../contenders/index.mjs';
import { WORKLOADS } from './workloads.mjs';

export const USAGE = `Usage: node benchmark/images.mjs [options]

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
`;

const DEFAULTS = {
  batch: 24, rounds: 3, workloads: Object.keys(WORKLOADS), contenders: CONTENDER_IDS,
  timeoutS: 180, napiResize: 'fast', warmup: true, keep: false, strict: false, help: false,
};

/** A command-line mistake: reported as one line plus usage, without a stack trace. */
export class UsageError extends Error {}

/** A positive integer option value, or a clear error. */
function positiveInt(name, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} expects a positive integer, got "${value}"`);
  return n;
}

/** Comma-separated list restricted to `allowed`. */
function list(name, value, allowed) {
  const items = String(value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !allowed.includes(s));
  if (!items.length || bad.length) throw new UsageError(`--${name} expects a comma-separated list of ${allowed.join(', ')}, got "${value}"`);
  return items;
}

/** Parse argv (without node and script); supports `--opt value` and `--opt=value`. */
export function parseArgs(argv) {
  const opts = { ...DEFAULTS };
  const args = argv.flatMap((a) => (a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]));
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = () => args[++i];
    switch (flag) {
      case '--batch': opts.batch = positiveInt('batch', value()); break;
      case '--rounds': opts.rounds = positiveInt('rounds', value()); break;
      case '--workload': case '--workloads': opts.workloads = list('workload', value(), Object.keys(WORKLOADS)); break;
      case '--contenders': opts.contenders = list('contenders', value(), CONTENDER_IDS); break;
      case '--timeout': opts.timeoutS = positiveInt('timeout', value()); break;
      case '--napi-resize': opts.napiResize = list('napi-resize', value(), ['fast', 'slow'])[0]; break;
      case '--no-warmup': opts.warmup = false; break;
      case '--keep': opts.keep = true; break;
      case '--strict': opts.strict = true; break;
      case '--help': case '-h': opts.help = true; break;
      default: throw new UsageError(`unknown option "${flag}"`);
    }
  }
  return opts;
}
