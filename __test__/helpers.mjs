// Shared by the test files: fixture paths, temporary folders, child processes,
// decoding and comparing images.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const PHOTOS = path.join(HERE, 'fixtures', 'photos')
export const BAD = path.join(HERE, 'fixtures', 'bad')
export const photo = (name) => path.join(PHOTOS, name)
export const bad = (name) => path.join(BAD, name)

/** A fresh temporary directory, removed when the test (or suite) `t` ends. */
export function tmpDir(t, tag = 'corepool-test-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), tag))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** `dir/name`, created (corepool writes into an existing outputDir). */
export function subDir(dir, name) {
  const p = path.join(dir, name)
  fs.mkdirSync(p, { recursive: true })
  return p
}

/** The files of a directory, sorted. */
export const ls = (dir) => fs.readdirSync(dir).sort()

/**
 * Runs a command without a shell; resolves with `{ code, signal, stdout, stderr, timedOut }`.
 * Rejects only if it cannot be started or, given `timeout` (ms), runs longer (it is
 * then killed; with `resolveOnTimeout` it resolves instead, with `timedOut: true`).
 * `env` is added to this process's environment; `input` is written to its stdin;
 * `onSpawn(child)` gets the child process, to signal it.
 */
export function runCommand(
  cmd,
  args,
  { cwd, env = {}, timeout, resolveOnTimeout = false, input, uid, gid, onSpawn } = {},
) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      uid,
      gid,
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            child.kill('SIGKILL')
            if (!resolveOnTimeout) {
              reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeout} ms\n${stdout}\n${stderr}`))
            }
          }, timeout)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, timedOut })
    })
    if (input !== undefined) child.stdin.end(input)
    onSpawn?.(child)
  })
}

/**
 * SIGKILLs the child `proc` as soon as a file whose name starts with `prefix` appears
 * in `dir` (polled every 2 ms, for at most `giveUpMs`); `onKill(ms)` gets how long
 * after the start that was.
 */
export function killOnFirstOutput(proc, dir, { prefix = 'processed_', giveUpMs = 60_000, onKill } = {}) {
  const started = Date.now()
  const poll = setInterval(() => {
    let names = []
    try {
      names = fs.readdirSync(dir)
    } catch {}
    if (names.some((n) => n.startsWith(prefix))) {
      proc.kill('SIGKILL')
      clearInterval(poll)
      onKill?.(Date.now() - started)
    } else if (Date.now() - started > giveUpMs) {
      clearInterval(poll)
    }
  }, 2)
  proc.on('close', () => clearInterval(poll))
}

/** Runs a Node.js script as a child (`nodeArgs` go before it); see runCommand for the rest. */
export const runNode = (script, { nodeArgs = [], ...options } = {}) =>
  runCommand(process.execPath, [...nodeArgs, script], options)

/** Fully decodes an image file or buffer: `{ data, info }` with raw pixels. `options` go to sharp(). */
export const decode = (input, options) => sharp(input, options).raw().toBuffer({ resolveWithObject: true })

/** Mean absolute difference of the first three channels of two same-sized decoded images. */
export function meanAbsDiff(a, b) {
  assert.deepEqual([a.info.width, a.info.height], [b.info.width, b.info.height], 'same size')
  const n = a.info.width * a.info.height
  let sum = 0
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      sum += Math.abs(
        a.data[i * a.info.channels + Math.min(c, a.info.channels - 1)] -
          b.data[i * b.info.channels + Math.min(c, b.info.channels - 1)],
      )
    }
  }
  return sum / (n * 3)
}

/**
 * SSIM of the luma of two encoded images (alpha flattened onto black), with the
 * benchmark's quality-gate SSIM (benchmark/lib/ssim.mjs). They must have the same size.
 */
export async function lumaSsim(a, b) {
  const { ssim } = await import('../benchmark/lib/ssim.mjs')
  const luma = async (input) => {
    const { data, info } = await sharp(input)
      .flatten({ background: '#000000' })
      .grayscale()
      .raw()
      .toBuffer({ resolveWithObject: true })
    return { data: info.channels === 1 ? data : data.filter((_, i) => i % info.channels === 0), info }
  }
  const [la, lb] = await Promise.all([luma(a), luma(b)])
  assert.deepEqual([la.info.width, la.info.height], [lb.info.width, lb.info.height], 'same size')
  return ssim(la.data, lb.data, la.info.width, la.info.height)
}
