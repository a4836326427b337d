#!/usr/bin/env node
// `npm run package`: writes to dist/ every tarball of a release that this machine can
// build, as napi-rs's package template lays a release out:
//
// - corepool-<version>.tgz, the main package: the JS loader, types, lib/, bin/, README
//   and LICENSE, with no `.node` and a package.json without scripts or dev dependencies
//   (nothing runs at install time), whose optionalDependencies name every platform
//   package under npm/ at this version (npm installs the one whose os/cpu/libc fit).
// - corepool-<platform>-<version>.tgz for this machine's platform when it is one of
//   `napi.targets`: npm/<platform>/ with the release addon, built without the
//   `dev-switches` feature and with MozJPEG's SIMD code (nasm is required on x86).
//   An up-to-date release addon in npm/<platform>/ is reused, and the output says so.
//
// `--main-only` packs only the main package (the release workflow: its addons come from
// the build jobs). `--out <dir>` writes somewhere else than dist/.
//
// The repository's own package.json keeps `prepare` (it builds the contributor addon in
// a clone) and `*.node` in `files` (a local `npm pack` is self-contained, for trying a
// build elsewhere); neither reaches the main package.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { staleReason } from './freshness.mjs'
import { npmCommand } from './npm-command.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

/**
 * The variable only a dev-switches build reads (src/task.rs; COREPOOL_DISPATCH is read by
 * every build and ignored without the feature).
 */
const DEV_SWITCH = 'COREPOOL_TEST_PANIC'

/**
 * MozJPEG's AVX2 colour-conversion constants (`PW_F0299_F0337 times 8 dw F_0_299, F_0_337`
 * in simd/x86_64/jccolor-avx2.asm): a table only the nasm-built SIMD code has; the C
 * fallback computes its tables at run time.
 */
const X86_SIMD_TABLE = Buffer.from(new Uint16Array(16).map((_, i) => (i % 2 ? 22086 : 19595)).buffer)

/** Packages the release; resolves with `{ tarballs: [{ file, size }], reused }` (reused: the addon was not rebuilt). */
export function packageAll({ root = ROOT, out = path.join(root, 'dist'), mainOnly = false, log = console.log } = {}) {
  const pkg = readJson(path.join(root, 'package.json'))
  const platforms = platformPackages(root, pkg)
  fs.mkdirSync(out, { recursive: true })
  for (const old of fs.readdirSync(out).filter((f) => /^corepool-.*\.tgz$/.test(f))) fs.rmSync(path.join(out, old))

  const tarballs = [packMain(root, pkg, platforms, out, log)]
  let reused = null
  const host = require(path.join(root, 'lib', 'load.js')).platformName()
  const own = platforms.find((p) => p.platform === host)
  if (mainOnly) {
    log('package: --main-only: no platform package')
  } else if (!own) {
    log(`package: ${host} is not one of napi.targets: no platform package from this machine`)
  } else {
    reused = buildAddon(root, own, log)
    tarballs.push(npmPack(own.dir, out, root))
  }
  for (const { file, size } of tarballs) log(`package: ${path.relative(root, file)} (${(size / 1024).toFixed(1)} KiB)`)
  return { tarballs, reused }
}

/** The platform packages under npm/ (`napi create-npm-dirs`), one per napi target, at the main package's version. */
function platformPackages(root, pkg) {
  const dirs = fs
    .readdirSync(path.join(root, 'npm'))
    .filter((d) => fs.existsSync(path.join(root, 'npm', d, 'package.json')))
  const platforms = dirs.map((platform) => {
    const dir = path.join(root, 'npm', platform)
    const { name, version } = readJson(path.join(dir, 'package.json'))
    if (name !== `${pkg.napi.binaryName}-${platform}`)
      throw new Error(`${dir}: expected the name ${pkg.napi.binaryName}-${platform}, got ${name}`)
    if (version !== pkg.version)
      throw new Error(`${name} is at ${version}, corepool at ${pkg.version}: run npx napi version`)
    return { platform, name, dir }
  })
  if (platforms.length !== pkg.napi.targets.length) {
    throw new Error(
      `${platforms.length} packages under npm/ for ${pkg.napi.targets.length} napi.targets: run npx napi create-npm-dirs`,
    )
  }
  return platforms
}

/** Stages the main package (npm's own file list, minus `.node` files, and a cleaned package.json) and packs it. */
function packMain(root, pkg, platforms, out, log) {
  const listed = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root)[0].files.map((f) => f.path)
  const files = listed.filter((f) => !f.endsWith('.node') && f !== 'package.json')
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-stage-'))
  try {
    for (const f of files) fs.cpSync(path.join(root, f), path.join(stage, f))
    // No scripts (so no prepare/install/postinstall), no dev dependencies or overrides;
    // `files` is the staged folder itself.
    const { scripts, devDependencies, overrides, files: _files, ...manifest } = pkg
    manifest.optionalDependencies = Object.fromEntries(platforms.map((p) => [p.name, pkg.version]))
    fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    log(`package: main package: ${files.length} files, optionalDependencies ${platforms.map((p) => p.name).join(', ')}`)
    return npmPack(stage, out, root)
  } finally {
    fs.rmSync(stage, { recursive: true, force: true })
  }
}

/**
 * Makes sure npm/<platform>/ holds an up-to-date release addon, building it when needed.
 * Returns true when an existing one was reused.
 */
function buildAddon(root, { platform, dir }, log) {
  const artifact = path.join(dir, `corepool.${platform}.node`)
  const reason = staleReason(artifact, root) ?? releaseProblem(artifact)
  if (!reason) {
    log(
      `package: reusing ${path.relative(root, artifact)}: newer than every Rust source, no dev switches, SIMD (no rebuild)`,
    )
    return true
  }
  const x86 = ['x64', 'ia32'].includes(process.arch)
  if (x86 && spawnSync('nasm', ['-v'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      'package: nasm is not on PATH. The published addon must have MozJPEG SIMD, which needs nasm at build time: ' +
        'apt-get install nasm, brew install nasm or choco install nasm, then run npm run package again.',
    )
  }
  log(`package: building the release addon (no dev-switches) because ${reason}`)
  const started = Date.now()
  const build = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-build-'))
  try {
    const cli = path.join(
      path.dirname(require.resolve('@napi-rs/cli/package.json')),
      require('@napi-rs/cli/package.json').bin.napi,
    )
    // --no-js: binding.js is the committed loader. The types land in the temporary folder,
    // to check that the committed binding.d.ts declares what this build exports.
    const args = [cli, 'build', '--platform', '--release', '--no-js', '--output-dir', build, '--dts', 'binding.d.ts']
    const { status, error } = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
    if (error) throw error
    if (status !== 0) throw new Error(`package: napi build exited with ${status}`)
    fs.copyFileSync(path.join(build, `corepool.${platform}.node`), artifact)
    const built = declarations(fs.readFileSync(path.join(build, 'binding.d.ts'), 'utf8'))
    if (built !== declarations(fs.readFileSync(path.join(root, 'binding.d.ts'), 'utf8'))) {
      throw new Error(
        'package: binding.d.ts does not declare what the release build exports: run npm run build, commit binding.d.ts',
      )
    }
  } finally {
    fs.rmSync(build, { recursive: true, force: true })
  }
  const problem = releaseProblem(artifact)
  if (problem) {
    fs.rmSync(artifact)
    throw new Error(
      `package: the release build ${problem}` +
        (problem.includes('SIMD')
          ? `; cargo may have reused a mozjpeg-sys built before nasm was installed: cargo clean --release --target <host triple> -p mozjpeg-sys, then run npm run package again`
          : ''),
    )
  }
  log(`package: built ${path.relative(root, artifact)} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return false
}

/**
 * What makes `artifact` (an addon for `arch`, Node's name) unfit to publish, as a phrase,
 * or null: dev switches compiled in, or, on x86, no SIMD.
 */
export function releaseProblem(artifact, arch = process.arch) {
  const bytes = fs.readFileSync(artifact)
  if (bytes.includes(DEV_SWITCH)) return `was built with the dev-switches feature (it reads ${DEV_SWITCH})`
  if (['x64', 'ia32'].includes(arch) && !bytes.includes(X86_SIMD_TABLE))
    return 'has no MozJPEG SIMD code (built without nasm)'
  return null
}

/** `npm pack <dir>` into `out`; returns `{ file, size }`. */
function npmPack(dir, out, root) {
  const [{ filename }] = npm(['pack', dir, '--json', '--ignore-scripts', '--pack-destination', out], root)
  const file = path.join(out, filename)
  return { file, size: fs.statSync(file).size }
}

/** Runs npm with `args` in `cwd`, returns its parsed JSON output (npm may print notices before it). */
function npm(args, cwd) {
  const [cmd, argv, { shell }] = npmCommand(args)
  const r = spawnSync(cmd, argv, { cwd, encoding: 'utf8', shell })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} exited with ${r.status}\n${r.stdout}\n${r.stderr}`)
  return JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))
}

/**
 * The declarations of a napi-generated .d.ts: no comments or blank lines, and not the
 * `__napiBindingTarget` export that napi adds along with the JS loader (absent with --no-js).
 */
const declarations = (dts) =>
  dts
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .split('\n')
    .filter((line) => line.trim() && !line.includes('__napiBindingTarget'))
    .join('\n')

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = { 'main-only': { type: 'boolean' }, out: { type: 'string' }, check: { type: 'boolean' } }
  const { values, positionals } = parseArgs({ options, allowPositionals: true })
  if (values.check) {
    // --check <corepool.<platform>.node>...: the release workflow's check of each build job's addon.
    const problems = positionals.map((f) => [
      f,
      releaseProblem(f, /\.[a-z0-9]+-([a-z0-9]+)(-[a-z]+)?\.node$/.exec(f)?.[1]),
    ])
    for (const [f, problem] of problems) console.log(`package: ${f}: ${problem ?? 'fit to publish'}`)
    process.exit(problems.length && !problems.some(([, problem]) => problem) ? 0 : 1)
  }
  const started = Date.now()
  packageAll({ mainOnly: values['main-only'], out: values.out && path.resolve(values.out) })
  console.log(`package: done in ${((Date.now() - started) / 1000).toFixed(0)} s`)
}
