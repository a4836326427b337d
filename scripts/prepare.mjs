#!/usr/bin/env node
// npm's `prepare` script. npm runs it after `npm install` in a clone and before every
// `npm pack` or `npm publish` here (never when a user installs corepool from the
// registry). It runs the contributor build (`npm run build`) only when the addon for
// this platform is missing or older than a Rust source or Cargo file, and says which;
// otherwise it says that it reuses the build. `npm run build` always builds.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { staleReason } from './freshness.mjs'
import { npmCommand } from './npm-command.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const { platformName } = createRequire(import.meta.url)('../lib/load.js')
const artifact = path.join(ROOT, `corepool.${platformName()}.node`)

const reason = staleReason(artifact, ROOT)
if (!reason) {
  console.log(
    `prepare: ${path.basename(artifact)} is newer than every Rust source and Cargo file: reusing it, not rebuilding (npm run build forces a build)`,
  )
  process.exit(0)
}
console.log(`prepare: building the addon (npm run build) because ${reason}; this takes a few minutes`)
const [cmd, args, { shell }] = npmCommand(['run', 'build'])
const { status, error } = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', shell })
if (error) throw error
process.exit(status ?? 1)
