#!/usr/bin/env node
// Runs the curated corpora through corepool and prints what happened, per source:
//   node scripts/corpora.mjs                 every call's outcome, ERR_INTERNAL, uncoded
//   node scripts/corpora.mjs --sharp         also: the files sharp decodes and corepool
//                                            refuses (processImage fails), listed
//   node scripts/corpora.mjs --root DIR      another folder of <source>/... files
//   node scripts/corpora.mjs --json FILE     the whole summary as JSON
// Uses the built addon (npm run build). Exits 1 on a crash, hang, ERR_INTERNAL or
// uncoded error, like __test__/corpora.test.mjs.
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { CORPORA, badErrors, corpusFiles, runCorpus } from '../__test__/corpora.mjs'

const { values: args } = parseArgs({
  options: {
    sharp: { type: 'boolean', default: false },
    root: { type: 'string', default: CORPORA },
    json: { type: 'string' },
    verbose: { type: 'boolean', short: 'v', default: false },
  },
})
const root = path.resolve(args.root)
const files = corpusFiles(root)
const summary = await runCorpus(files, { sharp: args.sharp })
const source = (f) => path.relative(root, f).split(path.sep)[0]

const bySource = new Map()
const refused = []
for (const [file, calls] of summary.results) {
  const s = bySource.get(source(file)) ?? { files: 0, codes: {} }
  s.files += 1
  for (const [call, r] of Object.entries(calls)) {
    if (call === 'sharp') continue
    const key = `${call}:${r.ok ? 'ok' : r.code}`
    s.codes[key] = (s.codes[key] ?? 0) + 1
  }
  bySource.set(source(file), s)
  if (args.sharp && calls.sharp?.ok && !calls.processImage?.ok) refused.push({ file, ...calls.processImage })
}

for (const [name, s] of [...bySource].sort()) {
  console.log(`${name}: ${s.files} files`)
  for (const [k, n] of Object.entries(s.codes).sort()) console.log(`  ${k} ${n}`)
}
const { internal, uncoded } = badErrors(summary)
console.log(`files: ${files.length}`)
console.log(`crashes: ${summary.crashes.length}, hangs: ${summary.hangs.length}`)
console.log(`ERR_INTERNAL: ${internal.length}, uncoded: ${uncoded.length}`)
for (const e of [...summary.crashes, ...summary.hangs, ...internal, ...uncoded])
  console.log(`  ${path.relative(root, e.file)} ${e.call} ${e.code ?? ''} ${e.message ?? JSON.stringify(e.detail)}`)
if (args.sharp) {
  console.log(`sharp decodes, corepool refuses (processImage): ${refused.length}`)
  for (const r of refused) console.log(`  ${path.relative(root, r.file)} ${r.code} ${args.verbose ? r.message : ''}`)
}
if (args.verbose) {
  for (const [file, calls] of summary.results)
    for (const [call, r] of Object.entries(calls))
      if (!r.ok && call !== 'sharp') console.log(`  ${path.relative(root, file)} ${call} ${r.code} ${r.message}`)
}
if (args.json) {
  const plain = { ...summary, results: Object.fromEntries(summary.results) }
  fs.writeFileSync(args.json, JSON.stringify(plain, null, 1))
}
process.exitCode = summary.crashes.length + summary.hangs.length + internal.length + uncoded.length > 0 ? 1 : 0
