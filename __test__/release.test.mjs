// Release plumbing that this machine cannot run end to end: the shape of the release
// workflow (it builds six targets, four of them elsewhere), the engines of what npm
// installs, and when `prepare` rebuilds the addon.

import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import semver from 'semver'
import { parse } from 'yaml'
import { staleReason } from '../scripts/freshness.mjs'
import { runNode, tmpDir } from './helpers.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '..')
const pkg = createRequire(import.meta.url)('../package.json')
const workflow = parse(fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8'))

/** The workflow's job `name`, its steps' `run` lines joined, and its matrix entries. */
function job(name) {
  const j = workflow.jobs[name]
  assert.ok(j, `release.yml has no ${name} job (jobs: ${Object.keys(workflow.jobs).join(', ')})`)
  return { ...j, runs: j.steps.map((s) => s.run ?? '').join('\n'), entries: j.strategy?.matrix?.settings ?? [] }
}

describe('release workflow (.github/workflows/release.yml)', () => {
  test('builds every napi target, and napi.targets has the six published ones', () => {
    const build = job('build')
    const targets = build.entries.map((e) => e.target).sort()
    assert.deepEqual(targets, [...pkg.napi.targets].sort())
    for (const t of [
      'x86_64-unknown-linux-gnu',
      'x86_64-unknown-linux-musl',
      'aarch64-unknown-linux-gnu',
      'x86_64-apple-darwin',
      'aarch64-apple-darwin',
      'x86_64-pc-windows-msvc',
    ]) {
      assert.ok(targets.includes(t), `${t} is not built`)
    }
  })

  test('installs nasm in every build, with the runner OS package manager', () => {
    const build = job('build')
    const nasmStep = build.steps.find((s) => /nasm/i.test(s.name ?? ''))
    assert.ok(nasmStep, 'no nasm step')
    assert.match(nasmStep.run, /matrix\.settings\.nasm/, 'the nasm step runs the entry command')
    assert.equal(nasmStep.if, undefined, 'the nasm step runs in every build')
    const manager = { ubuntu: /apt-get install -y nasm/, macos: /brew install nasm/, windows: /choco install nasm/ }
    for (const e of build.entries) {
      const os = Object.keys(manager).find((o) => e.host.startsWith(o))
      assert.ok(os, `${e.target}: unknown runner ${e.host}`)
      assert.match(e.nasm ?? '', manager[os], `${e.target} on ${e.host}: nasm install`)
    }
  })

  test('builds release addons: no dev-switches, old glibc baseline for linux-gnu, checked before upload', () => {
    const build = job('build')
    const napiBuild = build.steps.find((s) => /napi build/.test(s.run ?? ''))
    assert.ok(napiBuild, 'no napi build step')
    assert.match(napiBuild.run, /--release/)
    assert.match(napiBuild.run, /--target \$\{\{ matrix\.settings\.target \}\}/)
    assert.doesNotMatch(build.runs, /dev-switches|npm run build/, 'published addons are built without dev-switches')
    for (const e of build.entries.filter((e) => e.target.endsWith('-linux-gnu'))) {
      assert.match(e.build, /--use-napi-cross|--zig|-x\b/, `${e.target}: old glibc baseline`)
    }
    const steps = build.steps.map((s) => s.run ?? s.uses ?? '')
    const check = steps.findIndex((s) => /package\.mjs --check/.test(s))
    const upload = steps.findIndex((s) => /upload-artifact/.test(s))
    assert.ok(check > steps.indexOf(napiBuild.run) && upload > check, 'build, check, then upload')
  })

  test('tests every target on a native runner', () => {
    const test = job('test')
    const tested = new Set(test.entries.map((e) => e.target))
    assert.deepEqual([...tested].sort(), [...pkg.napi.targets].sort())
    assert.ok([test.needs].flat().includes('build'))
    // GitHub's runner labels: what OS and CPU each one has.
    const runner = (host) =>
      ({
        'ubuntu-latest': 'linux-x64',
        'ubuntu-24.04-arm': 'linux-arm64',
        'macos-latest': 'darwin-arm64',
        'macos-15-intel': 'darwin-x64',
        'windows-latest': 'windows-x64',
      })[host]
    const native = (target) => {
      const [arch, vendor] = target.split('-')
      return `${{ apple: 'darwin', pc: 'windows', unknown: 'linux' }[vendor]}-${arch === 'aarch64' ? 'arm64' : 'x64'}`
    }
    for (const e of test.entries) assert.equal(runner(e.host), native(e.target), `${e.target} tested on ${e.host}`)
  })

  test('publishes after the builds and tests: platform packages, then the main package from npm run package', () => {
    const publish = job('publish')
    const needs = [publish.needs].flat()
    assert.ok(needs.includes('build') && needs.includes('test'), `publish needs ${needs}`)
    const order = [/napi artifacts/, /napi pre-publish/, /package\.mjs --main-only/, /npm publish dist\//].map((re) =>
      publish.runs.search(re),
    )
    assert.ok(
      order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1])),
      `publish steps out of order: ${publish.runs}`,
    )
  })
})

describe('engines', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'))

  test('every runtime dependency runs on every Node that package.json engines allows', () => {
    for (const name of Object.keys(pkg.dependencies)) {
      const wanted = lock.packages[`node_modules/${name}`]?.engines?.node
      if (wanted)
        assert.ok(
          semver.subset(pkg.engines.node, wanted),
          `${name} needs Node ${wanted}, engines say ${pkg.engines.node}`,
        )
    }
  })

  test('every locked package supports this Node (npm install prints no EBADENGINE)', () => {
    const bad = Object.entries(lock.packages)
      .filter(([, p]) => typeof p.engines?.node === 'string' && !semver.satisfies(process.version, p.engines.node))
      .map(([where, p]) => `${where} (${p.engines.node})`)
    assert.deepEqual(bad, [], `unsupported on ${process.version}`)
  })
})

describe('prepare (npm install and npm pack in a clone)', () => {
  test('staleReason: missing, older than a Rust source or Cargo file, or up to date', (t) => {
    const root = tmpDir(t, 'corepool-fresh-')
    const at = (file, seconds) => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
      fs.writeFileSync(path.join(root, file), '')
      fs.utimesSync(path.join(root, file), seconds, seconds)
    }
    at('Cargo.toml', 1000)
    at('crates/core/src/lib.rs', 1000)
    at('README.md', 5000)
    at('__test__/x.test.mjs', 5000)
    const artifact = path.join(root, 'corepool.test.node')
    assert.equal(staleReason(artifact, root), 'corepool.test.node does not exist')
    at('corepool.test.node', 2000)
    assert.equal(staleReason(artifact, root), null, 'files cargo does not read do not count')
    at('crates/core/src/lib.rs', 3000)
    assert.equal(staleReason(artifact, root), 'crates/core/src/lib.rs is newer than corepool.test.node')
    at('corepool.test.node', 4000)
    at('Cargo.lock', 4500)
    assert.equal(staleReason(artifact, root), 'Cargo.lock is newer than corepool.test.node')
  })

  test('prepare reuses an up-to-date build and says so', async (t) => {
    const { platformName } = createRequire(import.meta.url)('../lib/load.js')
    const artifact = path.join(ROOT, `corepool.${platformName()}.node`)
    const reason = staleReason(artifact, ROOT)
    if (reason) return t.skip(`would build (${reason})`)
    const before = fs.statSync(artifact).mtimeMs
    const r = await runNode(path.join(ROOT, 'scripts', 'prepare.mjs'), { cwd: ROOT, timeout: 60_000 })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /reusing it, not rebuilding/)
    assert.equal(fs.statSync(artifact).mtimeMs, before, 'the addon was not rebuilt')
  })
})
