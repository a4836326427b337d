// The CLI in a real pseudo-terminal (util-linux `script`): Ctrl-C stops the batch,
// the progress bar is cleared before any message and never redrawn after it, and the
// cursor is shown again, also after a second Ctrl-C.
import test from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { photo, tmpDir } from './helpers.mjs'

const CLI = fileURLToPath(new URL('../bin/corepool.js', import.meta.url))
const HIDE_CURSOR = '\x1b[?25l'
const SHOW_CURSOR = '\x1b[?25h'
const hasScript = spawnSync('script', ['--version']).status === 0

/** Runs the CLI under `script` (a pty); `onOutput(all, child)` sees the output as it comes. */
function inPty(args, onOutput) {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`timed out; output so far:\n${JSON.stringify(out)}`))
    }, 120_000)
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d
      onOutput(out, child)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

/** Slow inputs: enlargements to AVIF take seconds each on two cores. */
function slowBatch(t) {
  const dir = tmpDir(t)
  for (let i = 0; i < 6; i++) fs.copyFileSync(photo('astronaut.png'), path.join(dir, `a${i}.png`))
  return [path.join(dir, '*.png'), '--width', '1200', '--format', 'avif', '--out', path.join(dir, 'out')]
}

test(
  'Ctrl-C: the bar is cleared before the message, not redrawn, the cursor comes back, exit 130',
  { skip: !hasScript && 'no util-linux script' },
  async (t) => {
    let sent = false
    const { code, out } = await inPty(['resize', ...slowBatch(t)], (all, child) => {
      if (!sent && all.includes('resize |')) {
        sent = true
        child.stdin.write('\x03')
      }
    })
    assert.ok(sent, `the progress bar never appeared: ${JSON.stringify(out)}`)
    assert.equal(code, 130, JSON.stringify(out))
    const at = out.indexOf('interrupted, stopping')
    assert.ok(at > 0, JSON.stringify(out))
    const after = out.slice(at)
    assert.ok(!after.includes('resize |'), `the bar was redrawn after the message: ${JSON.stringify(after)}`)
    assert.ok(out.lastIndexOf(SHOW_CURSOR) > out.lastIndexOf(HIDE_CURSOR), 'the cursor stays hidden')
    assert.ok(out.lastIndexOf(SHOW_CURSOR) < at, 'the bar was not cleared before the message')
    assert.match(after, /aborted/)
  },
)

test(
  'a second Ctrl-C exits at once, with the cursor shown',
  { skip: !hasScript && 'no util-linux script' },
  async (t) => {
    // One image whose AVIF encode (a single stage, tens of seconds here) is under way
    // when the first Ctrl-C comes: the first one waits for the stage, the second exits.
    const dir = tmpDir(t)
    fs.copyFileSync(photo('astronaut.png'), path.join(dir, 'a.png'))
    const args = [
      'resize',
      path.join(dir, 'a.png'),
      '--width',
      '4096', // 4096x4096: the largest AVIF output corepool encodes (16 MP)
      '--format',
      'avif',
      '--out',
      path.join(dir, 'out'),
    ]
    let sent = 0
    const { code, out } = await inPty(args, (all, child) => {
      if (sent === 0 && all.includes('resize |')) {
        sent = 1
        setTimeout(() => child.stdin.write('\x03'), 3000)
      } else if (sent === 1 && all.includes('interrupted, stopping')) {
        sent = 2
        child.stdin.write('\x03')
      }
    })
    assert.equal(sent, 2, JSON.stringify(out))
    assert.equal(code, 130, JSON.stringify(out))
    assert.match(out, /interrupted again/)
    assert.ok(out.lastIndexOf(SHOW_CURSOR) > out.lastIndexOf(HIDE_CURSOR), 'the cursor stays hidden')
  },
)

test('usage errors name CLI flags and hint at the fix', async () => {
  const primes = spawnSync(process.execPath, [CLI, 'primes', '1e10'], { encoding: 'utf8' })
  assert.equal(primes.status, 2)
  assert.match(primes.stderr, /hint: count them instead: corepool primes 1e10 --count/)
  const width = spawnSync(process.execPath, [CLI, 'resize', photo('rocket.jpg'), '--width', '-5'], { encoding: 'utf8' })
  assert.equal(width.status, 2)
  assert.match(width.stderr, /for --width but received -5/)
  assert.match(width.stderr, /hint: run 'corepool help resize'/)
})
