// No temporary file survives a process that dies mid-batch (issue 14): outputs are
// written to an unnamed file (O_TMPFILE) and linked under their final name when
// complete, so a SIGKILL, a process.exit() or an uncaught exception in the middle of a
// batch leaves complete outputs and nothing else. Five runs of each.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { decode, killOnFirstOutput, ls, photo, runNode, subDir, tmpDir } from './helpers.mjs'

const require = createRequire(import.meta.url)
const INDEX = require.resolve('../index.js')
const ROUNDS = 5
const N = 24

/** A child script that processes N copies of a photo into `out` and dies as `mode` says. */
function script(dir, inputs, out, mode) {
  const file = path.join(dir, `batch-${mode}.cjs`)
  const onProgress = {
    kill: 'undefined',
    exit: '() => process.exit(0)',
    throw: "() => setImmediate(() => { throw new Error('uncaught on purpose') })",
  }[mode]
  fs.writeFileSync(
    file,
    `const { processImages } = require(${JSON.stringify(INDEX)})
processImages(${JSON.stringify(inputs)}, { outputDir: ${JSON.stringify(out)}, width: 1000, format: 'png' },
  { onProgress: ${onProgress} }).then(() => process.stdout.write('finished'))`,
  )
  return file
}

/** Runs the batch once; with `kill`, SIGKILLs it as soon as the first output is there. */
function runOnce(file, out, mode) {
  return runNode(file, {
    timeout: 120_000,
    onSpawn(proc) {
      if (mode === 'kill') killOnFirstOutput(proc, out)
    },
  })
}

for (const mode of ['kill', 'exit', 'throw']) {
  test(`${mode === 'kill' ? 'SIGKILL' : mode === 'exit' ? 'process.exit()' : 'an uncaught exception'} mid-batch, ${ROUNDS} times: no temporary file, only complete outputs`, async (t) => {
    const dir = tmpDir(t)
    const inputsDir = subDir(dir, 'in')
    const inputs = []
    for (let i = 0; i < N; i++) {
      const p = path.join(inputsDir, `hubble-${String(i).padStart(2, '0')}.jpg`)
      fs.copyFileSync(photo('hubble_deep_field.jpg'), p)
      inputs.push(p)
    }
    const counts = []
    for (let round = 0; round < ROUNDS; round++) {
      const out = subDir(dir, `out-${round}`)
      const file = script(dir, inputs, out, mode)
      const child = await runOnce(file, out, mode)
      if (mode === 'kill') assert.equal(child.signal, 'SIGKILL', `round ${round}: not killed: ${child.stderr}`)
      else assert.ok(!child.stdout.includes('finished'), `round ${round}: the batch finished before dying`)
      if (mode === 'throw') assert.match(child.stderr, /uncaught on purpose/)
      const names = ls(out)
      assert.deepEqual(
        names.filter((n) => n.startsWith('.')),
        [],
        `round ${round}: temporary files left behind`,
      )
      assert.ok(
        names.length >= 1 && names.length < N,
        `round ${round}: ${names.length} outputs, expected a partial batch`,
      )
      for (const name of names) {
        assert.match(name, /^processed_hubble-\d\d\.png$/)
        const { info } = await decode(path.join(out, name), { failOn: 'truncated' })
        assert.deepEqual([info.width, info.height], [1000, 872], name)
      }
      counts.push(names.length)
    }
    t.diagnostic(`complete outputs per run: ${counts.join(', ')} of ${N}`)
  })
}
