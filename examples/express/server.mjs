// A minimal upload-and-resize server on corepool.
//
//   POST /resize?width=&height=&fit=&format=...   body: the image bytes (Content-Type: image/*)
//   POST /stream?width=...   the same, streamed: req.pipe(corepool.processStream(options)).pipe(res)
//   GET  /health
//
// The image work runs on corepool's Rust thread pool, so the event loop stays free
// for other requests while every core resizes. Run: `node examples/express/server.mjs`.

import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import express from 'express'

const require = createRequire(import.meta.url)
const corepool = require('../../index.js')

/** Query parameters that are numbers; converted with Number() when present. */
const NUMERIC = ['width', 'height', 'quality', 'rotation']
/** Query parameters passed through as strings. */
const STRINGS = ['fit', 'position', 'background', 'format']
/** Query parameters that are booleans: 'true'/'1' and 'false'/'0'. */
const BOOLEANS = ['withoutEnlargement', 'withoutReduction', 'flip', 'flop', 'grayscale', 'autoOrient', 'lossless']
const ALLOWED = new Set([...NUMERIC, ...STRINGS, ...BOOLEANS])

/** HTTP status for a corepool error code. */
function statusFor(code) {
  if (code === 'ERR_INVALID_OPTION') return 400
  if (typeof code === 'string' && code.startsWith('ERR_INPUT_')) return 422
  return 500
}

/**
 * Turns the (untrusted) query string into corepool options. Only known keys are
 * copied, so a client can never set `outputDir` or the like; values are converted
 * but not validated here: corepool validates them and rejects bad ones with
 * ERR_INVALID_OPTION and a precise message.
 */
function optionsFromQuery(query) {
  const unknown = Object.keys(query).filter((k) => !ALLOWED.has(k))
  if (unknown.length > 0) {
    const err = new Error(
      `Unknown query parameter ${unknown.map((k) => `'${k}'`).join(', ')}; expected one of ${[...ALLOWED].join(', ')}`,
    )
    err.code = 'ERR_INVALID_OPTION'
    throw err
  }
  const options = {}
  for (const key of NUMERIC) {
    if (query[key] !== undefined) options[key] = Number(query[key])
  }
  for (const key of STRINGS) {
    if (query[key] !== undefined) options[key] = query[key]
  }
  for (const key of BOOLEANS) {
    const v = query[key]
    if (v === undefined) continue
    options[key] = v === 'true' || v === '1' || v === '' ? true : v === 'false' || v === '0' ? false : v
  }
  return options
}

/** Answers a failed request with its status and `{ error: code, message }`. */
function sendError(res, err) {
  const status = statusFor(err.code)
  if (status === 500) console.error('resize failed:', err)
  res.status(status).json({
    error: err.code ?? 'ERR_INTERNAL',
    message: status === 500 ? 'internal error' : err.message,
  })
}

/** Sets the image headers from the output's info. */
function setImageHeaders(res, info) {
  res.set('Content-Type', `image/${info.format}`)
  res.set('X-Image-Width', String(info.width))
  res.set('X-Image-Height', String(info.height))
}

export function createApp() {
  const app = express()

  app.get('/health', (req, res) => {
    res.json({ status: 'ok', threads: corepool.getConcurrency() })
  })

  app.post('/resize', express.raw({ type: 'image/*', limit: '25mb' }), async (req, res) => {
    if (!Buffer.isBuffer(req.body)) {
      res.status(415).json({
        error: 'ERR_UNSUPPORTED_MEDIA_TYPE',
        message: 'expected the image bytes as the request body, with Content-Type: image/*',
      })
      return
    }
    try {
      const options = optionsFromQuery(req.query)
      // Always the Buffer, never a string: a string input would be read as a path.
      const { data, info } = await corepool.processImage(req.body, options)
      setImageHeaders(res, info)
      res.send(data)
    } catch (err) {
      sendError(res, err)
    }
  })

  // Streamed: the body is never parsed by Express; corepool buffers it (up to
  // limitInputBytes), checks the header as soon as it arrives, and streams the output.
  app.post('/stream', (req, res) => {
    let options
    try {
      options = optionsFromQuery(req.query)
    } catch (err) {
      sendError(res, err)
      return
    }
    // Stop the work when the client goes away before the answer is sent.
    const controller = new AbortController()
    res.on('close', () => controller.abort())
    const transform = corepool.processStream(options, { signal: controller.signal })
    transform.once('info', (info) => setImageHeaders(res, info))
    transform.once('error', (err) => {
      req.unpipe(transform)
      req.resume()
      if (res.headersSent) res.destroy(err)
      else sendError(res, err)
    })
    req.pipe(transform).pipe(res)
  })

  // Body-parser errors (413 too large, 400 bad encoding) and anything else.
  app.use((err, req, res, next) => {
    const status = Number.isInteger(err.status) && err.status >= 400 && err.status < 600 ? err.status : 500
    if (status === 500) console.error(err)
    res
      .status(status)
      .json({ error: err.type ?? 'ERR_INTERNAL', message: status === 500 ? 'internal error' : err.message })
  })

  return app
}

// Listen when run directly (not when imported, e.g. by a test).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 3000)
  const server = createApp().listen(port, (err) => {
    if (err) throw err
    console.log(
      `corepool example listening on http://localhost:${server.address().port} (${corepool.getConcurrency()} threads)`,
    )
  })
  const stop = () => server.close(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
