// The Express example, over real HTTP on loopback: the buffered and the streamed route.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import sharp from 'sharp'
import { createApp } from '../examples/express/server.mjs'
import { bad, photo } from './helpers.mjs'

/** Starts the example app on a free loopback port; stopped when the test ends. */
async function serve(t) {
  const server = createApp().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${server.address().port}`
}

const post = (url, body) =>
  fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'image/jpeg' }, duplex: 'half' })

test('POST /stream resizes a JPEG streamed in, and /resize does the same from a buffer', async (t) => {
  const base = await serve(t)
  for (const route of ['stream', 'resize']) {
    const res = await post(`${base}/${route}?width=100&format=png`, fs.readFileSync(photo('rocket.jpg')))
    assert.equal(res.status, 200, `${route}: ${await res.clone().text()}`)
    assert.equal(res.headers.get('content-type'), 'image/png')
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata()
    assert.equal(meta.format, 'png', route)
    assert.equal(meta.width, 100, route)
    assert.equal(res.headers.get('x-image-width'), '100')
  }
})

test('POST /stream answers bad input and bad options with a coded status', async (t) => {
  const base = await serve(t)
  const text = await post(`${base}/stream?width=10`, fs.readFileSync(bad('not-an-image.png')))
  assert.equal(text.status, 422)
  assert.equal((await text.json()).error, 'ERR_INPUT_UNSUPPORTED')
  const option = await post(`${base}/stream?width=-3`, fs.readFileSync(photo('rocket.jpg')))
  assert.equal(option.status, 400)
  assert.equal((await option.json()).error, 'ERR_INVALID_OPTION')
  const unknown = await post(`${base}/stream?outputDir=/tmp`, fs.readFileSync(photo('rocket.jpg')))
  assert.equal(unknown.status, 400)
})
