// The child process of corpora.test.mjs and scripts/corpora.mjs: runs each corpus file
// given on stdin (a JSON array of absolute paths) through `metadata`, `processImage`
// and then all of them together through one `processImages`, and writes one JSON line
// per event to stdout:
//   {"start": file, "call": "metadata" | "processImage"}     before each call, so that
//                                                            the parent can blame a
//                                                            crash or hang on a file;
//   {"file", "call", "ok": true, "info"} or {"file", "call", "ok": false, "code", "message"}
//   {"start": "batch", "call": "processImages"} then one result line per file;
//   {"done": true} at the end.
// With COREPOOL_CORPUS_SHARP=1 it also decodes each file with sharp and reports whether
// sharp could (`call: "sharp"`), for the "sharp decodes, we refuse" count.
//
// Nothing here asserts: the parent judges the lines.
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const require = createRequire(import.meta.url)
const { metadata, processImage, processImages } = require('../index.js')

/** Output formats for processImage, one per file in turn, so every encoder sees every kind of input. */
const FORMATS = ['png', 'jpeg', 'webp', 'tiff', 'gif', 'avif']

const emit = (obj) => fs.writeSync(1, JSON.stringify(obj) + '\n')
const failure = (file, call, err) => ({
  file,
  call,
  ok: false,
  code: err?.code ?? null,
  message: String(err?.message ?? err).slice(0, 300),
})

const files = JSON.parse(fs.readFileSync(0, 'utf8'))
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-corpus-'))
try {
  for (const [i, file] of files.entries()) {
    emit({ start: file, call: 'metadata' })
    try {
      const info = await metadata(file)
      emit({ file, call: 'metadata', ok: true, info })
    } catch (err) {
      emit(failure(file, 'metadata', err))
    }
    emit({ start: file, call: 'processImage' })
    try {
      const { data, info } = await processImage(file, { width: 48, format: FORMATS[i % FORMATS.length] })
      emit({ file, call: 'processImage', ok: true, info: { ...info, bytes: data.length } })
    } catch (err) {
      emit(failure(file, 'processImage', err))
    }
    if (process.env.COREPOOL_CORPUS_SHARP === '1') {
      const { default: sharp } = await import('sharp')
      try {
        const { info } = await sharp(file).raw().toBuffer({ resolveWithObject: true })
        emit({ file, call: 'sharp', ok: true, info })
      } catch (err) {
        emit(failure(file, 'sharp', err))
      }
    }
  }
  emit({ start: 'batch', call: 'processImages' })
  // One output folder per batch; names may repeat across sources, so each result is
  // read for itself, and `overwrite` keeps a repeated base name from failing.
  const results = await processImages(files, { width: 40, outputDir: outDir, overwrite: true })
  for (const r of results) {
    if (r.success) emit({ file: r.originalPath, call: 'processImages', ok: true, info: { format: r.format } })
    else emit(failure(r.originalPath, 'processImages', r.error))
  }
  emit({ done: true })
} finally {
  fs.rmSync(outDir, { recursive: true, force: true })
}
