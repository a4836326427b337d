// Inputs sharp reads and strict decoders refuse: lossless JPEG (codec/jpeg_lossless.rs)
// and GIF damage that libnsgif tolerates (codec/gif_blocks.rs). And a GIF's alpha, which
// sharp reports from the file's blocks: RGB unless some pixel may be transparent.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const { processImage, metadata } = createRequire(import.meta.url)('../index.js')
const CORPORA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpora')

/** Asserts that two raw decodes have the same size, channels, pages and pixels, exactly. */
function assertSamePixels(mine, theirs, file) {
  const shape = ({ info }) => [info.width, info.height, info.channels, info.pages]
  assert.deepEqual(shape(mine), shape(theirs), file)
  let worst = 0
  for (let i = 0; i < mine.data.length; i++) worst = Math.max(worst, Math.abs(mine.data[i] - theirs.data[i]))
  assert.equal(worst, 0, `${file}: largest difference from sharp ${worst}`)
}

/** Raw pixels of a PNG, through sharp. */
const raw = (png) => sharp(png).raw().toBuffer({ resolveWithObject: true })

test('lossless JPEG and tolerable GIF damage decode to sharp pixels, exactly', async () => {
  for (const file of [
    'sharp/test/fixtures/testimgl.jpg',
    'image-gif/tests/regression/issue-209-extension-block-type.gif',
    'pillow/Tests/images/no_palette.gif',
  ]) {
    const input = path.join(CORPORA, file)
    const ours = await processImage(input, { format: 'png' })
    const [mine, theirs] = await Promise.all([raw(ours.data), sharp(input).raw().toBuffer({ resolveWithObject: true })])
    assertSamePixels(mine, theirs, file)
  }
})

test('tolerable GIF damage is repaired with animated: true too: every frame as sharp reads it', async () => {
  for (const file of [
    'image-gif/tests/regression/issue-209-extension-block-type.gif',
    'pillow/Tests/images/no_palette.gif',
  ]) {
    const input = path.join(CORPORA, file)
    const ours = await processImage(input, { animated: true, format: 'gif' })
    const frames = (img) => sharp(img, { animated: true }).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
    const [mine, theirs] = await Promise.all([frames(ours.data), frames(input)])
    assertSamePixels(mine, theirs, file)
  }
})

test('a shrunk lossless JPEG keeps the whole picture', async () => {
  // The reference resizes sharp's full decode: sharp itself, asking libjpeg for a
  // shrink-on-load that lossless JPEG cannot do, gets the full image and keeps its
  // top-left part (a crop, not a shrink).
  const input = path.join(CORPORA, 'sharp/test/fixtures/testimgl.jpg')
  const ours = await processImage(input, { width: 50, format: 'png' })
  const full = await sharp(input).png().toBuffer()
  const theirs = await sharp(full).resize(50).png().toBuffer({ resolveWithObject: true })
  assert.deepEqual([ours.info.width, ours.info.height], [theirs.info.width, theirs.info.height])
  const [a, b] = await Promise.all([raw(ours.data), raw(theirs.data)])
  let total = 0
  for (let i = 0; i < a.data.length; i++) total += Math.abs(a.data[i] - b.data[i])
  assert.ok(total / a.data.length < 3, `mean difference ${total / a.data.length}`)
})

test('GIF alpha and channels are what sharp reports, on every corpus GIF both read', async () => {
  const files = []
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (/\.gif$/i.test(entry.name)) files.push(full)
    }
  }
  walk(CORPORA)
  let compared = 0
  const differ = []
  for (const file of files) {
    const [ours, theirs] = await Promise.all([
      metadata(file).catch(() => null),
      sharp(file)
        .metadata()
        .catch(() => null),
    ])
    if (!ours || !theirs) continue
    compared++
    if (ours.hasAlpha !== theirs.hasAlpha || ours.channels !== theirs.channels) {
      differ.push(
        `${path.relative(CORPORA, file)}: ours ${ours.channels}/${ours.hasAlpha}, sharp ${theirs.channels}/${theirs.hasAlpha}`,
      )
    }
  }
  assert.ok(compared >= 30, `only ${compared} GIFs compared`)
  assert.deepEqual(differ, [])
})
