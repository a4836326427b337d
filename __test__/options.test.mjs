// The one table of options (corepool-core's OPTIONS, exposed as optionTable()) is what
// binding.d.ts (re-exported by index.d.ts) declares: the same keys, the same TypeScript types.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const corepool = require('../index.js')

/** `{ key: type }` of the `ProcessOptions` interface in binding.d.ts. */
function declaredOptions() {
  const dts = fs.readFileSync(new URL('../binding.d.ts', import.meta.url), 'utf8')
  const body = /export interface ProcessOptions \{([\s\S]*?)\n\}/.exec(dts)?.[1]
  assert.ok(body, 'binding.d.ts declares ProcessOptions')
  const withoutComments = body.replace(/\/\*\*[\s\S]*?\*\//g, '')
  return Object.fromEntries([...withoutComments.matchAll(/^\s*(\w+)\?: (.+)$/gm)].map((m) => [m[1], m[2].trim()]))
}

test('binding.d.ts declares exactly the options of the table, with its types', () => {
  const table = corepool.optionTable()
  const expected = {}
  for (const o of table) {
    expected[o.name] = o.tsType
    if (o.alias) expected[o.alias] = o.tsType
  }
  assert.deepEqual(declaredOptions(), expected)
})

test('every option of the table is accepted, and unknown keys are refused naming the table', async () => {
  for (const o of corepool.optionTable()) {
    assert.ok(o.doc.length > 0 && o.default.length > 0, o.name)
    assert.match(o.cliFlag, /^[a-z][a-z-]*$/, o.name)
    await corepool.processImages([], { [o.name]: undefined })
  }
  await assert.rejects(corepool.processImages([], { heigth: 1 }), (err) => {
    assert.equal(err.code, 'ERR_INVALID_OPTION')
    for (const o of corepool.optionTable()) assert.ok(err.message.includes(`'${o.name}'`), o.name)
    return true
  })
})
