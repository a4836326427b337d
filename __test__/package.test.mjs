// Packaging tests: the TypeScript types compile; `npm run package` writes the main
// package and this platform's package, each with exactly what a user needs; installed
// together into a fresh project with no Rust toolchain on PATH they work from CommonJS,
// ESM and the `corepool` bin; without a binary the loader throws one readable error; and
// the CLI in bin/ behaves (exit codes, outputs, help).
//
// `npm run package` builds the release addon unless an up-to-date one exists (a few
// minutes); the install needs the npm registry or cache (for express and corepool's own
// dependencies). Both get generous timeouts.

import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PHOTOS, bad, decode, photo, runCommand, tmpDir } from './helpers.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '..')
const CLI = path.join(ROOT, 'bin', 'corepool.js')
const ROCKET = photo('rocket.jpg')
const EMPTY = bad('empty.jpg')
const pkg = createRequire(import.meta.url)('../package.json')
const { version } = pkg

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
// Release tarballs (npm run package) and installing them
// ---------------------------------------------------------------------------

/** PATH without the directories that hold cargo, rustc or rustup (~/.cargo/bin and the like). */
function pathWithoutRust() {
  const exe = process.platform === 'win32' ? '.exe' : ''
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir && !['cargo', 'rustc', 'rustup'].some((tool) => fs.existsSync(path.join(dir, tool + exe))))
    .join(path.delimiter)
}

/** Requires `corepool` from `cwd` in a child; resolves with the `{ code, message }` of what it threw, or null. */
async function loadFailure(cwd, spec) {
  const script = `try { require(${JSON.stringify(spec)}); console.log('null') } catch (e) {
  console.log(JSON.stringify({ code: e.code, message: e.message })) }`
  const r = await run(process.execPath, ['-e', script], { cwd })
  assertExit(r, 0, 'node -e require(corepool)')
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

/** Checks the one readable error of a corepool without a binary for this platform. */
function assertNoBinaryError(failure) {
  assert.ok(failure, 'require(corepool) should throw without a binary')
  const { platformName } = createRequire(import.meta.url)('../lib/load.js')
  assert.equal(failure.code, 'ERR_COREPOOL_NO_BINARY', failure.message)
  assert.match(failure.message, /^corepool has no native binary for this platform \(/)
  assert.ok(failure.message.includes(`${platformName()}: ${process.platform}, ${process.arch}`), failure.message)
  assert.ok(failure.message.includes(`corepool-${platformName()}`), 'names the package npm should have added')
  assert.match(failure.message, /--omit=optional/)
  assert.match(failure.message, /npm run build/)
  assert.doesNotMatch(failure.message, /npm has a bug/, "not napi-rs's generic message")
}

test('a clone without a build: require(index.js) throws ERR_COREPOOL_NO_BINARY, one readable error', async (t) => {
  const clone = tmpDir(t, 'corepool-nobinary-')
  for (const f of ['package.json', 'index.js', 'binding.js', 'lib']) {
    fs.cpSync(path.join(ROOT, f), path.join(clone, f), { recursive: true })
  }
  assertNoBinaryError(await loadFailure(clone, './index.js'))
})

describe('release tarballs (npm run package), installed without a Rust toolchain', () => {
  const { platformName } = createRequire(import.meta.url)('../lib/load.js')
  const platform = platformName()
  const platformPackage = `corepool-${platform}`
  let distDir
  let packageOutput = ''
  let project
  const installed = (name) => path.join(project, 'node_modules', name)
  const manifest = (name) => JSON.parse(fs.readFileSync(path.join(installed(name), 'package.json'), 'utf8'))
  /** Files of an installed package, relative to it (its own node_modules aside). */
  const filesOf = (name) =>
    fs
      .readdirSync(installed(name), { recursive: true })
      .map((f) => f.split(path.sep).join('/'))
      .filter((f) => !f.startsWith('node_modules') && fs.statSync(path.join(installed(name), f)).isFile())
      .sort()

  before(
    async () => {
      // The release addon build, when there is no up-to-date one, takes a few minutes
      // (only the two workspace crates compile; their dependencies are reused).
      distDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-dist-'))
      const r = await run(NPM, ['run', 'package', '--', '--out', distDir], { timeout: 30 * 60_000 })
      packageOutput = r.stdout + r.stderr
      assertExit(r, 0, 'npm run package')

      project = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-install-'))
      assertExit(await run(NPM, ['init', '-y'], { cwd: project }), 0, 'npm init -y')
      const tarballs = fs.readdirSync(distDir).map((f) => path.join(distDir, f))
      // Install scripts are not disabled: the packages must have none, and with no cargo or
      // rustc on PATH a build at install time would fail here. The runtime dependencies and
      // express come from npm's cache, or the registry.
      const install = await run(
        NPM,
        ['install', ...tarballs, 'express@5', '--prefer-offline', '--no-audit', '--no-fund'],
        {
          cwd: project,
          timeout: 240_000,
          env: {
            PATH: pathWithoutRust(),
            CARGO_HOME: path.join(project, 'no-cargo'),
            RUSTUP_HOME: path.join(project, 'no-rustup'),
          },
        },
      )
      assertExit(install, 0, 'npm install <dist tarballs> express@5')
    },
    { timeout: 35 * 60_000 },
  )

  after(() => {
    for (const dir of [distDir, project]) if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  test("npm run package writes the main package and this platform's package", (t) => {
    const expected = [`corepool-${version}.tgz`]
    if (fs.existsSync(path.join(ROOT, 'npm', platform))) expected.push(`${platformPackage}-${version}.tgz`)
    assert.deepEqual(fs.readdirSync(distDir).sort(), expected.sort())
    const addon = packageOutput.match(/^package: (reusing|built) .*$/m)
    assert.ok(addon, `no word on the release addon in:\n${packageOutput}`)
    t.diagnostic(addon[0])
  })

  test('the main package: loader, types, lib, bin, README and LICENSE; no .node, sources or tests', () => {
    assert.deepEqual(filesOf('corepool'), [
      'LICENSE',
      'README.md',
      'bin/corepool.js',
      'binding.d.ts',
      'binding.js',
      'index.d.ts',
      'index.js',
      'lib/api.js',
      'lib/load.js',
      'lib/queue.js',
      'lib/stream.js',
      'package.json',
    ])
  })

  test('its package.json runs nothing at install time and pins one optional package per napi target', () => {
    const main = manifest('corepool')
    assert.equal(main.version, version)
    assert.equal(main.scripts, undefined, `scripts ${JSON.stringify(main.scripts)}`)
    assert.equal(main.devDependencies, undefined)
    assert.deepEqual(main.dependencies, pkg.dependencies)
    // bullmq and ioredis: peer dependencies for `corepool worker`, optional (never installed for you).
    assert.deepEqual(Object.keys(main.peerDependencies).sort(), ['bullmq', 'ioredis'])
    for (const name of ['bullmq', 'ioredis']) assert.equal(main.peerDependenciesMeta[name]?.optional, true, name)
    assert.equal(main.engines.node, pkg.engines.node)
    const platforms = fs.readdirSync(path.join(ROOT, 'npm')).sort()
    assert.equal(platforms.length, pkg.napi.targets.length)
    assert.deepEqual(main.optionalDependencies, Object.fromEntries(platforms.map((p) => [`corepool-${p}`, version])))
    // The names are those the napi-generated loader requires.
    const loader = fs.readFileSync(path.join(ROOT, 'binding.js'), 'utf8')
    for (const p of platforms)
      assert.ok(loader.includes(`require('corepool-${p}')`), `binding.js never requires corepool-${p}`)
  })

  test(
    'the platform package: only its release .node, for this os, cpu and libc',
    { skip: !fs.existsSync(path.join(ROOT, 'npm', platform)) },
    async () => {
      const node = `corepool.${platform}.node`
      assert.deepEqual(filesOf(platformPackage), ['README.md', node, 'package.json'])
      const m = manifest(platformPackage)
      assert.equal(m.version, version)
      assert.equal(m.main, node)
      assert.deepEqual(m.os, [process.platform])
      assert.deepEqual(m.cpu, [process.arch])
      if (process.platform === 'linux') assert.deepEqual(m.libc, [platform.endsWith('musl') ? 'musl' : 'glibc'])
      assert.equal(m.scripts, undefined)
      const { releaseProblem } = await import('../scripts/package.mjs')
      assert.equal(releaseProblem(path.join(installed(platformPackage), node)), null)
    },
  )

  test('works from CommonJS and ESM (the output decodes) and from its bin, with no Rust toolchain', async () => {
    const env = { PATH: pathWithoutRust() }
    // CommonJS: require('corepool'); the output is written for the test to decode.
    fs.writeFileSync(
      path.join(project, 'check.cjs'),
      `const corepool = require('corepool')
;(async () => {
  const { data, info } = await corepool.processImage(process.argv[2], { width: 100 })
  require('node:fs').writeFileSync('out.' + info.format, data)
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
      const r = await run(process.execPath, [script, ROCKET], { cwd: project, env })
      assertExit(r, 0, script)
      const out = JSON.parse(r.stdout.trim().split('\n').pop())
      assert.ok(
        out.resolved.startsWith(fs.realpathSync(installed('corepool'))) ||
          out.resolved.startsWith(installed('corepool')),
        `${script} loaded corepool from ${out.resolved}, not from the installed package`,
      )
      assert.equal(`${out.width}x${out.height}`, '100x66', `${script}: ${r.stdout}`)
      assert.equal(out.format, 'jpeg', script)
      assert.equal(out.count, 168, `${script}: countPrimes(1000)`)
      if (script === 'check.cjs') {
        assert.equal(out.isBuffer, true)
        assert.ok(out.bytes > 0 && out.bytes === out.size, r.stdout)
        const decoded = await decode(path.join(project, 'out.jpeg'))
        assert.equal(`${decoded.info.width}x${decoded.info.height}`, '100x66', 'the written JPEG decodes')
        assert.equal(decoded.data.length, 100 * 66 * decoded.info.channels)
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
    const count = await run(NPX, ['--no', '--', 'corepool', 'primes', '100', '--count'], { cwd: project, env })
    assertExit(count, 0, 'npx corepool primes 100 --count')
    assert.equal(count.stdout.trim(), '25')
    const ver = await run(NPX, ['--no', '--', 'corepool', '--version'], { cwd: project, env })
    assertExit(ver, 0, 'npx corepool --version')
    assert.equal(ver.stdout.trim(), version)
  })

  test('without its platform package (--omit=optional), require(corepool) throws ERR_COREPOOL_NO_BINARY', async () => {
    fs.rmSync(installed(platformPackage), { recursive: true, force: true })
    assertNoBinaryError(await loadFailure(project, 'corepool'))
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
