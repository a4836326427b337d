// Is a built `.node` up to date? It is when it is newer than every file cargo reads to
// build it: the Rust sources and build scripts of both crates, the Cargo manifests, the
// lock file and cargo/toolchain configuration. Used by prepare.mjs (skip the contributor
// build on `npm pack`/`npm install` when nothing changed) and package.mjs (reuse the
// release build).
import fs from 'node:fs'
import path from 'node:path'
import { globSync } from 'tinyglobby'

/** Globs, relative to the repository root, of everything a cargo build of the addon reads. */
export const RUST_INPUTS = [
  'Cargo.toml',
  'Cargo.lock',
  'build.rs',
  'src/**',
  'crates/*/Cargo.toml',
  'crates/*/build.rs',
  'crates/*/src/**',
  '.cargo/config{,.toml}',
  'rust-toolchain{,.toml}',
]

/** The newest input file: `{ file, mtimeMs }` (file relative to `root`), or null when there is none. */
export function newestInput(root) {
  let newest = null
  for (const file of globSync(RUST_INPUTS, { cwd: root, dot: true, onlyFiles: true })) {
    const { mtimeMs } = fs.statSync(path.join(root, file))
    if (!newest || mtimeMs > newest.mtimeMs) newest = { file, mtimeMs }
  }
  return newest
}

/**
 * Why `artifact` must be (re)built, as a phrase ("... does not exist", "src/lib.rs is newer
 * than ..."), or null when it is newer than every input under `root`.
 */
export function staleReason(artifact, root) {
  const name = path.relative(root, artifact)
  if (!fs.existsSync(artifact)) return `${name} does not exist`
  const built = fs.statSync(artifact).mtimeMs
  const newest = newestInput(root)
  if (newest && newest.mtimeMs >= built) return `${newest.file} is newer than ${name}`
  return null
}
