#!/usr/bin/env node
// Runs `cargo <args> --target <host triple>`. `napi build` always passes --target, so
// building the tests for the same explicit target makes `cargo test` reuse the
// addon build's compiled dependencies (one target directory, one compile) instead of
// building everything again under target/release.
import { execFileSync, spawnSync } from 'node:child_process'

const host = /^host: (\S+)$/m.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))?.[1]
if (!host) throw new Error('cannot tell the host target from `rustc -vV`')
// Before a `--`, if any: what follows it goes to the test binary, not to cargo.
const args = process.argv.slice(2)
const end = args.indexOf('--')
const at = end === -1 ? args.length : end
const { status } = spawnSync('cargo', [...args.slice(0, at), '--target', host, ...args.slice(at)], {
  stdio: 'inherit',
})
process.exit(status ?? 1)
