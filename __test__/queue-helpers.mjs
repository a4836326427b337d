// A real redis-server and real `corepool worker` processes for the queue tests and the
// queue benchmark. Everything started here is registered and stopped by `stopAll()`,
// and killed on process exit as a last resort.
import { spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const CLI = path.join(HERE, '..', 'bin', 'corepool.js')

const started = new Set()
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL')
})

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** A started child, its output collected; `exited` resolves with `{ code, signal }`. */
function track(child) {
  started.add(child)
  const proc = { child, stdout: '', stderr: '' }
  child.stdout.setEncoding('utf8').on('data', (d) => (proc.stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d) => (proc.stderr += d))
  proc.exited = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      started.delete(child)
      resolve({ code, signal })
    })
  })
  return proc
}

/** Resolves once `test()` is true (checked every `every` ms), or rejects after `timeout` ms. */
export async function waitFor(what, test, { timeout = 30_000, every = 20 } = {}) {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await test()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, every))
  }
}

/**
 * Starts redis-server on a free loopback port with persistence off. Returns
 * `{ url, port, stop() }`; retried on another port if the port was taken meanwhile.
 */
export async function startRedis() {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const proc = track(
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    )
    let exited = false
    proc.exited.then(() => (exited = true))
    try {
      await waitFor(
        'redis-server to accept connections',
        () => exited || /Ready to accept connections/.test(proc.stdout),
        {
          timeout: 20_000,
        },
      )
    } catch (err) {
      proc.child.kill('SIGKILL')
      throw err
    }
    if (exited) {
      if (attempt < 3) continue
      throw new Error(`redis-server did not start: ${proc.stdout}${proc.stderr}`)
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      stop: async () => {
        proc.child.kill('SIGKILL')
        await proc.exited
      },
    }
  }
}

/**
 * Starts `corepool worker` and resolves once it reports that it is ready. `args` are
 * extra CLI flags; `env` is added to the environment. The result has `child`, its
 * `stdout`/`stderr` so far, `exited`, and `stop()` (SIGKILL, awaited).
 */
export async function startWorker({ redis, queue, args = [], env = {} }) {
  const proc = track(
    spawn(process.execPath, [CLI, 'worker', '--redis', redis, '--queue', queue, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
  let exit = null
  proc.exited.then((e) => (exit = e))
  proc.stop = async () => {
    if (exit === null) proc.child.kill('SIGKILL')
    return proc.exited
  }
  try {
    await waitFor(
      'the worker to be ready',
      () => {
        if (exit) throw new Error(`the worker exited (${JSON.stringify(exit)}): ${proc.stderr}`)
        return /corepool worker: ready/.test(proc.stderr)
      },
      { timeout: 30_000 },
    )
  } catch (err) {
    await proc.stop()
    throw err
  }
  return proc
}

/** Kills every child started here that is still running and waits for them. */
export async function stopAll() {
  const pending = [...started].map(
    (child) =>
      new Promise((resolve) => {
        child.once('close', resolve)
        child.kill('SIGKILL')
      }),
  )
  await Promise.all(pending)
}
