// Shared by the image test files: fixture paths, temporary folders, decoding.
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

/** A fresh temporary directory, removed when the test `t` ends. */
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

/** Fully decodes an image file or buffer: `{ data, info }` with raw pixels. */
export const decode = (input) => sharp(input).raw().toBuffer({ resolveWithObject: true })
