// Packaging tests: the TypeScript types compile, `npm pack` ships exactly what a user
// needs, the tarball installs into a fresh project and works from CommonJS, ESM and
// its `corepool` bin, and the CLI in bin/ behaves (exit codes, outputs, help).
//
// The install test needs the npm registry (for express and corepool's own
// dependencies); it gets a generous timeout.

import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PHOTOS, bad, photo, runCommand, tmpDir } from './helpers.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '..')
const CLI = path.join(ROOT, 'bin', 'corepool.js')
const ROCKET = photo('rocket.jpg')
const EMPTY = bad('empty.jpg')
const { version } = createRequire(import.meta.url)('../package.json')

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx'

/** runCommand, from the repository root, with a 60 s timeout and NO_COLOR set unless told otherwise. */
const run = (cmd, args, { cwd = ROOT, timeout = 60_000, env = {}, onSpawn } = {}) =>
  runCommand(cmd, args, { cwd, timeout, env: { NO_COLOR: '1', ...env }, onSpawn })

/** `code`, with the output attached to the assertion message. */
function assertExit(result, code, what) {
  assert.equal(
    result.code,
    code,
    `${what}: expected exit code ${code}, got ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
  )
}

const cli = (args, opts) => run(process.execPath, [CLI, ...args], opts)

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

test('index.d.ts type-checks __test__/types.ts (tsc, strict, no skipLibCheck)', async () => {
  // `--no --`: never download a package named tsc; `--` keeps npx off tsc's flags.
  const r = await run(NPX, ['--no', '--', 'tsc', '-p', '__test__/tsconfig.json'], { timeout: 120_000 })
  assertExit(r, 0, 'npx tsc -p __test__/tsconfig.json')
})

// ---------------------------------------------------------------------------
// npm pack and install
// ---------------------------------------------------------------------------

describe('npm package', () => {
  let packDir
  let tarball
  let files = []

  before(async () => {
    packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-pack-'))
    const r = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], {
      timeout: 120_000,
    })
    assertExit(r, 0, 'npm pack')
    // npm may print notices before the JSON; the JSON is the array at the end.
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))
    assert.equal(json.length, 1, r.stdout)
    tarball = path.join(packDir, json[0].filename)
    files = json[0].files.map((f) => f.path)
    assert.ok(fs.existsSync(tarball), `${tarball} was not written`)
  })

  after(() => {
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true })
  })

  test('the tarball ships the addon, loader, types, bin, README and LICENSE', () => {
    const nodeFiles = files.filter((f) => f.endsWith('.node'))
    assert.ok(nodeFiles.length >= 1, `no .node file in ${JSON.stringify(files)}`)
    assert.ok(
      nodeFiles.includes('corepool.linux-x64-gnu.node') || process.platform !== 'linux',
      `expected corepool.linux-x64-gnu.node in ${JSON.stringify(nodeFiles)}`,
    )
    const missing = [
      'index.js',
      'index.d.ts',
      'binding.js',
      'binding.d.ts',
      'lib/load.js',
      'README.md',
      'LICENSE',
      'bin/corepool.js',
      'package.json',
    ].filter((f) => !files.includes(f))
    assert.deepEqual(missing, [], `missing from the tarball: ${missing.join(', ')} (files: ${files.join(', ')})`)
  })

  test('the tarball ships no sources, tests, benchmarks or build output', () => {
    const forbidden = files.filter((f) =>
      /^(src|__test__|benchmark|target|node_modules|examples|scripts|\.ci|\.git)\//.test(f),
    )
    assert.deepEqual(forbidden, [], `should not be packed: ${forbidden.join(', ')}`)
    const stray = files.filter((f) => /^(Cargo\.(toml|lock)|build\.rs|package-lock\.json)$|\.tgz$/.test(f))
    assert.deepEqual(stray, [], `should not be packed: ${stray.join(', ')}`)
  })

  test('installs into a fresh project and works from CommonJS, ESM and its bin', { timeout: 300_000 }, async (t) => {
    const project = tmpDir(t, 'corepool-install-')
    assertExit(await run(NPM, ['init', '-y'], { cwd: project }), 0, 'npm init -y')

    const install = await run(NPM, ['install', tarball, 'express@5', '--no-audit', '--no-fund'], {
      cwd: project,
      timeout: 240_000,
    })
    assertExit(install, 0, 'npm install <tarball> express@5')
    const installed = path.join(project, 'node_modules', 'corepool')
    assert.ok(fs.existsSync(path.join(installed, 'package.json')), 'node_modules/corepool is missing')

    // CommonJS: require('corepool').
    fs.writeFileSync(
      path.join(project, 'check.cjs'),
      `const corepool = require('corepool')
;(async () => {
  const { data, info } = await corepool.processImage(process.argv[2], { width: 100 })
  const count = await corepool.countPrimes(1000)
  console.log(JSON.stringify({
    resolved: require.resolve('corepool'),
    width: info.width, height: info.height, format: info.format,
    isBuffer: Buffer.isBuffer(data), bytes: data.length, size: info.size, count,
  }))
})().catch((err) => { console.error(err); process.exit(1) })
`,
    )
    // ESM: the default import and the named imports (cjs-module-lexer must see them).
    fs.writeFileSync(
      path.join(project, 'check.mjs'),
      `import corepool from 'corepool'
import { processImage, countPrimes, calculatePrimes } from 'corepool'
import { createRequire } from 'node:module'
const { info } = await processImage(process.argv[2], { width: 100 })
const viaDefault = await corepool.processImage(process.argv[2], { width: 100 })
const count = await countPrimes(1000)
const list = await calculatePrimes(1000)
console.log(JSON.stringify({
  resolved: createRequire(import.meta.url).resolve('corepool'),
  width: info.width, height: info.height, format: info.format,
  defaultWidth: viaDefault.info.width, defaultHeight: viaDefault.info.height,
  count, listLength: list.length, sameFunction: corepool.processImage === processImage,
}))
`,
    )

    for (const script of ['check.cjs', 'check.mjs']) {
      const r = await run(process.execPath, [script, ROCKET], { cwd: project })
      assertExit(r, 0, script)
      const out = JSON.parse(r.stdout.trim().split('\n').pop())
      assert.ok(
        out.resolved.startsWith(fs.realpathSync(installed)) || out.resolved.startsWith(installed),
        `${script} loaded corepool from ${out.resolved}, not from the installed package`,
      )
      assert.equal(`${out.width}x${out.height}`, '100x66', `${script}: ${r.stdout}`)
      assert.equal(out.format, 'jpeg', script)
      assert.equal(out.count, 168, `${script}: countPrimes(1000)`)
      if (script === 'check.cjs') {
        assert.equal(out.isBuffer, true)
        assert.ok(out.bytes > 0 && out.bytes === out.size, r.stdout)
      } else {
        assert.equal(`${out.defaultWidth}x${out.defaultHeight}`, '100x66', 'default import')
        assert.equal(out.listLength, 168, 'calculatePrimes(1000).length')
        assert.equal(out.sameFunction, true, 'default and named exports are the same functions')
      }
    }

    // The bin is linked and runs from the installed package.
    assert.ok(
      fs.existsSync(path.join(project, 'node_modules', '.bin', 'corepool')),
      'node_modules/.bin/corepool missing',
    )
    const count = await run(NPX, ['--no', '--', 'corepool', 'primes', '100', '--count'], { cwd: project })
    assertExit(count, 0, 'npx corepool primes 100 --count')
    assert.equal(count.stdout.trim(), '25')
    const ver = await run(NPX, ['--no', '--', 'corepool', '--version'], { cwd: project })
    assertExit(ver, 0, 'npx corepool --version')
    assert.equal(ver.stdout.trim(), version)
  })
})

// ---------------------------------------------------------------------------
// CLI (bin/corepool.js in the repository)
// ---------------------------------------------------------------------------

describe('corepool CLI', () => {
  test('resize expands a glob, creates --out and writes every file (exit 0)', async (t) => {
    const out = path.join(tmpDir(t, 'corepool-cli-'), 'nested', 'out')
    // No shell: the CLI expands the pattern itself.
    const r = await cli(['resize', '__test__/fixtures/photos/*.jpg', '--width', '200', '--out', out])
    assertExit(r, 0, 'resize photos/*.jpg')
    const jpgs = fs.readdirSync(PHOTOS).filter((f) => f.endsWith('.jpg'))
    assert.ok(jpgs.length >= 2)
    for (const name of jpgs) {
      const written = path.join(out, `processed_${name}`)
      assert.ok(fs.existsSync(written), `${written} missing\n${r.stdout}`)
      assert.ok(fs.statSync(written).size > 0)
      assert.match(r.stdout, new RegExp(`${name.replace('.', '\\.')}\\s+200x\\d+\\s`), 'summary row')
    }
    assert.match(r.stdout, new RegExp(`${jpgs.length}/${jpgs.length} written`))
    assert.match(r.stdout, /0 failed/)
    assert.doesNotMatch(r.stderr, /\|/, 'no progress bar when stderr is not a terminal')
  })

  test('resize with the options of the brief, --json results', async (t) => {
    const out = tmpDir(t, 'corepool-cli-')
    const r = await cli([
      'resize',
      ROCKET,
      '--width',
      '80',
      '--height',
      '60',
      '--fit',
      'contain',
      '--rotate',
      '90',
      '--grayscale',
      '--format',
      'webp',
      '--quality',
      '70',
      '--background',
      '#ffffff',
      '--prefix',
      'p_',
      '--suffix',
      '_s',
      '--out',
      out,
      '--json',
    ])
    assertExit(r, 0, 'resize with options')
    const [result] = JSON.parse(r.stdout)
    assert.equal(result.success, true)
    // corepool resizes, then rotates: 80x60 contain, turned 90 degrees.
    assert.equal(`${result.width}x${result.height}`, '60x80')
    assert.equal(result.format, 'webp')
    assert.equal(result.outputPath, path.join(out, 'p_rocket_s.webp'))
    assert.ok(fs.existsSync(result.outputPath))

    // Same output again without --overwrite: that file fails (exit 1); with it, exit 0.
    const sameOutput = ['resize', ROCKET, '--width', '80', '--format', 'webp', '--prefix', 'p_', '--suffix', '_s']
    const again = await cli([...sameOutput, '--out', out])
    assertExit(again, 1, 'existing output')
    assert.match(again.stdout, /ERR_OUTPUT_EXISTS/)
    const overwrite = await cli([...sameOutput, '--out', out, '--overwrite'])
    assertExit(overwrite, 0, '--overwrite')
  })

  test('a bad file fails that file and exits 1, the others are still written', async (t) => {
    const out = tmpDir(t, 'corepool-cli-')
    const r = await cli(['resize', EMPTY, ROCKET, '--width', '200', '--out', out])
    assertExit(r, 1, 'resize empty.jpg rocket.jpg')
    assert.match(r.stdout, /empty\.jpg.*ERR_INPUT_UNSUPPORTED/)
    assert.match(r.stdout, /1 failed/)
    assert.ok(fs.existsSync(path.join(out, 'processed_rocket.jpg')))

    const only = await cli(['resize', EMPTY, '--width', '200', '--out', out])
    assertExit(only, 1, 'resize empty.jpg')
  })

  test('invalid options and bad usage exit 2 with a message', async (t) => {
    const dir = tmpDir(t, 'corepool-cli-')
    const out = path.join(dir, 'never')
    const fit = await cli(['resize', ROCKET, '--width', '200', '--fit', 'stretch', '--out', out])
    assertExit(fit, 2, '--fit stretch')
    assert.match(fit.stderr, /fit.*'stretch'/)
    assert.equal(fs.existsSync(out), false, 'no --out directory is created for invalid options')

    const width = await cli(['resize', ROCKET, '--width', 'abc', '--out', out])
    assertExit(width, 2, '--width abc')
    assert.match(width.stderr, /width.*'abc'/)

    assertExit(await cli(['resize', ROCKET, '--bogus']), 2, 'unknown option')
    assertExit(await cli(['resize']), 2, 'missing files')
    assertExit(await cli(['frobnicate']), 2, 'unknown command')
    assertExit(await cli(['primes', '-5']), 2, 'primes -5')
    assertExit(await cli(['primes', 'lots', '--count']), 2, 'primes lots')
  })

  test('primes prints the count, and the first/last primes', async () => {
    const count = await cli(['primes', '100', '--count'])
    assertExit(count, 0, 'primes 100 --count')
    assert.equal(count.stdout.trim(), '25')

    const list = await cli(['primes', '1000'])
    assertExit(list, 0, 'primes 1000')
    assert.match(list.stdout, /^168 primes below 1000$/m)
    assert.match(list.stdout, /first 10: 2, 3, 5, 7, 11, 13, 17, 19, 23, 29$/m)
    assert.match(list.stdout, /last 10: +937, 941, 947, 953, 967, 971, 977, 983, 991, 997$/m)

    const all = await cli(['primes', '30', '--all'])
    assertExit(all, 0, 'primes 30 --all')
    assert.equal(all.stdout, '2\n3\n5\n7\n11\n13\n17\n19\n23\n29\n')
  })

  test('Ctrl-C (SIGINT) aborts a long primes count with exit 130', { skip: process.platform === 'win32' }, async () => {
    const onSpawn = (child) => setTimeout(() => child.kill('SIGINT'), 500)
    const { code, stderr } = await cli(['primes', '1e15', '--count'], { onSpawn, timeout: 10_500 })
    assert.equal(code, 130, stderr)
    assert.match(stderr, /aborted/)
  })

  test('--help documents both subcommands, --version prints the package version', async () => {
    const help = await cli(['--help'])
    assertExit(help, 0, '--help')
    assert.match(help.stdout, /resize/)
    assert.match(help.stdout, /primes/)
    assert.match(help.stdout, /Examples:/)

    const resize = await cli(['resize', '--help'])
    assertExit(resize, 0, 'resize --help')
    for (const flag of [
      '--width',
      '--height',
      '--fit',
      '--rotate',
      '--grayscale',
      '--out',
      '--format',
      '--quality',
      '--position',
      '--background',
      '--without-enlargement',
      '--flip',
      '--flop',
      '--no-auto-orient',
      '--prefix',
      '--suffix',
      '--overwrite',
      '--concurrency',
    ]) {
      assert.ok(resize.stdout.includes(flag), `resize --help lacks ${flag}`)
    }
    const primes = await cli(['primes', '--help'])
    assertExit(primes, 0, 'primes --help')
    assert.match(primes.stdout, /--count/)

    const ver = await cli(['--version'])
    assertExit(ver, 0, '--version')
    assert.equal(ver.stdout.trim(), version)
  })

  test('the glob helper: *, ?, {a,b}, ** and no leading-dot matches', () => {
    const { expandGlob } = createRequire(import.meta.url)('../bin/corepool.js')
    const all = fs
      .readdirSync(path.join(HERE, 'fixtures'), { recursive: true })
      .map((f) => path.join(HERE, 'fixtures', f))
      .filter((f) => fs.statSync(f).isFile())
    const expect = (re) => all.filter((f) => re.test(path.basename(f))).sort()

    assert.deepEqual(expandGlob(path.join(HERE, 'fixtures', '**', '*.jpg')), expect(/\.jpg$/))
    assert.deepEqual(expandGlob(path.join(HERE, 'fixtures', '**', '*.{jpg,png}')), expect(/\.(jpg|png)$/))
    assert.deepEqual(expandGlob(path.join(PHOTOS, 'r?t*.jpg')), [path.join(PHOTOS, 'retina.jpg')])
    assert.deepEqual(expandGlob(path.join(PHOTOS, 'nothing-*.jpg')), [])
    assert.deepEqual(expandGlob(path.join(HERE, '*', 'photos', 'rocket.jpg')), [ROCKET])
  })
})
