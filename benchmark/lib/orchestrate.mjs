// Parent side of a child run: write the job, spawn `node child.mjs job.json`,
// enforce a timeout, and read back the child's JSON result.
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url))
const TAIL_BYTES = 4096

/** Keep only the last TAIL_BYTES of a stream, so chatty libraries cannot exhaust memory. */
function tailCollector() {
  let text = ''
  let lines = 0
  return {
    push(chunk) {
      const s = chunk.toString()
      lines += (s.match(/\n/g) ?? []).length
      text = (text + s).slice(-TAIL_BYTES)
    },
    get text() {
      return text
    },
    get lines() {
      return lines
    },
  }
}

/** Spawn the child and resolve when it exits or is killed at the deadline. */
function spawnChild(jobPath, timeoutMs, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, jobPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    })
    const stderr = tailCollector()
    const stdout = tailCollector()
    child.stdout.on('data', (c) => stdout.push(c))
    child.stderr.on('data', (c) => stderr.push(c))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, timedOut, stderr, stdout })
    })
  })
}

/**
 * Run one job in a fresh child. Always resolves with a result whose `status`
 * is 'ok', 'skipped' or 'error'; `stderrLines` counts what the library printed.
 */
export async function runInChild(job, { workDir, timeoutMs, env = {} }) {
  const name = `${job.workload}-${job.contender}-r${job.round}`
  const jobPath = path.join(workDir, `${name}.job.json`)
  const resultPath = path.join(workDir, `${name}.result.json`)
  await fs.writeFile(jobPath, JSON.stringify({ ...job, resultPath }))
  const exit = await spawnChild(jobPath, timeoutMs, env)
  const base = { contender: job.contender, workload: job.workload, round: job.round }
  if (exit.timedOut) {
    return {
      ...base,
      status: 'error',
      reason: `timed out after ${timeoutMs / 1000} s (killed)`,
      stderrTail: exit.stderr.text,
    }
  }
  let result
  try {
    result = JSON.parse(await fs.readFile(resultPath, 'utf8'))
  } catch {
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`
    return { ...base, status: 'error', reason: `child exited (${how}) without a result`, stderrTail: exit.stderr.text }
  }
  return {
    ...result,
    stderrLines: exit.stderr.lines + exit.stdout.lines,
    stderrTail: result.status === 'ok' ? undefined : exit.stderr.text,
  }
}
