#!/usr/bin/env node
// Runs `cargo <args> --target <host triple>`. `napi build` always passes --target, so
// building the tests for the same explicit target makes `cargo test` reuse the
// addon build's compiled dependencies (one target directory, one compile) instead of
// building everything again under target/release.
import { execFileSync, spawnSync } from 'node:child_process'

const host = /^host: (\S+)$/m.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))?.[1]
if (!host) throw new Error('cannot tell the host target from `rustc -vV`')
const { status } = spawnSync('cargo', [...process.argv.slice(2), '--target', host], { stdio: 'inherit' })
process.exit(status ?? 1)
