'use strict'

// processStream(options?, hooks?): a Duplex for `req.pipe(processStream(o)).pipe(res)`.
// Bytes written in are buffered (up to `limitInputBytes`, refused as soon as they pass
// it); the header is checked against `limitInputPixels` as soon as enough of it has
// arrived; when the input ends the image is processed off the JS thread and the
// output is pushed out. Errors come out as stream errors with the usual `code`.

const { Duplex } = require('node:stream')
const { codedError, snapshot } = require('./api.js')

/** Bytes buffered before the first look at the header; doubled after each miss. */
const FIRST_HEADER_LOOK = 16 * 1024

/**
 * The pixel limit the options ask for (Infinity: none), as the binding reads it;
 * `limits` are the process-wide ones (getLimits()), the defaults.
 */
function pixelLimit(options, limits) {
  const v = options && options.limitInputPixels
  if (v === false || v === 0) return Infinity
  if (typeof v === 'number') return v
  return limits.limitInputPixels === false ? Infinity : limits.limitInputPixels
}

class ImageStream extends Duplex {
  constructor(api, options, hooks) {
    super()
    this._api = api
    this._chunks = []
    this._size = 0
    this._nextLook = FIRST_HEADER_LOOK
    this._looking = null
    this._options = options
    this._hooks = hooks
    let plain
    try {
      plain = snapshot('options', options)
    } catch (err) {
      plain = undefined
      this._validated = Promise.reject(err)
    }
    const bytes = plain && plain.limitInputBytes
    const limits = api.getLimits()
    this._limitBytes = typeof bytes === 'number' && bytes > 0 ? bytes : limits.limitInputBytes
    this._limitPixels = pixelLimit(plain, limits)
    // The options are validated up front (an empty batch does no work).
    this._validated ??= api.processImages([], options)
    this._validated.catch((err) => this.destroy(err))
    const signal = hooks && typeof hooks === 'object' ? hooks.signal : undefined
    if (signal instanceof AbortSignal) {
      const onAbort = () => this.destroy(codedError(Error, 'ERR_ABORTED', 'The operation was aborted'))
      if (signal.aborted) process.nextTick(onAbort)
      else {
        signal.addEventListener('abort', onAbort, { once: true })
        this.once('close', () => signal.removeEventListener('abort', onAbort))
      }
    }
  }

  _write(chunk, encoding, callback) {
    this._size += chunk.length
    if (this._size > this._limitBytes) {
      callback(
        codedError(
          RangeError,
          'ERR_INPUT_TOO_LARGE',
          `input is larger than limitInputBytes (${this._limitBytes} bytes)`,
        ),
      )
      return
    }
    this._chunks.push(chunk)
    if (this._size >= this._nextLook && !this._looking) {
      this._nextLook *= 4
      this._looking = this._lookAtHeader().finally(() => {
        this._looking = null
      })
    }
    callback()
  }

  /** Checks the header if it has arrived; refuses unsupported or too large input early. */
  async _lookAtHeader() {
    let info
    try {
      info = await this._api.metadata(Buffer.concat(this._chunks))
    } catch (err) {
      // A header cut short is only known to be bad once the input has ended.
      if (err.code === 'ERR_INPUT_UNSUPPORTED') this.destroy(err)
      return
    }
    if (info.width * info.height > this._limitPixels) {
      this.destroy(
        codedError(
          RangeError,
          'ERR_INPUT_TOO_LARGE',
          `input image ${info.width}x${info.height} has ${info.width * info.height} pixels, ` +
            `more than limitInputPixels (${this._limitPixels})`,
        ),
      )
    }
  }

  async _final(callback) {
    try {
      await this._validated
      if (this._looking) await this._looking
      if (this.destroyed) return callback()
      const { data, info } = await this._api.processImage(Buffer.concat(this._chunks), this._options, this._hooks)
      this._chunks = []
      this.emit('info', info)
      this.push(data)
      this.push(null)
      callback()
    } catch (err) {
      callback(err)
    }
  }

  _read() {}
}

/** See the module comment. */
function createProcessStream(api) {
  return (options, hooks) => new ImageStream(api, options, hooks)
}

module.exports = { createProcessStream }
