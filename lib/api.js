'use strict'

// The async API as users call it: thin wrappers over the native binding that
// - never throw synchronously: anything thrown while reading the arguments (a getter, a
//   Proxy trap) becomes a rejected promise with a code;
// - read options from own enumerable data properties of plain objects only, so
//   prototype pollution and accessors cannot inject options;
// - observe the caller's AbortSignal with a listener that is removed when the call
//   settles (`signal.onabort` is never touched), raising a native CancelToken;
// - turn a throwing onProgress into the call's rejection, stopping the batch.
// Every value is still validated by the binding, which writes the messages.

function codedError(Ctor, code, message, extra) {
  const err = new Ctor(message)
  err.code = code
  return Object.assign(err, extra)
}

const invalid = (message) => codedError(TypeError, 'ERR_INVALID_OPTION', message)

const isPlainObject = (v) => {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** The kind of a value, for messages: 'a Date', 'an ArrayBuffer', 'a Proxy'... */
function kindOf(v) {
  if (Array.isArray(v)) return 'an array'
  const name = Object.getPrototypeOf(v)?.constructor?.name
  return name ? `a value of type ${name}` : 'an object without a plain prototype'
}

/**
 * A copy of `value` with only its own enumerable data properties (nested plain objects
 * and arrays too, `depth` levels deep), as a plain object with a null prototype. Non-objects are
 * returned as they are (the binding names their type). Throws ERR_INVALID_OPTION for
 * non-plain objects and accessors.
 */
/** The most items of an array inside options that are read (the binding's limit too). */
const MAX_ITEMS = 1024

function snapshot(name, value, depth = 3) {
  if (value === null || typeof value !== 'object') return value
  if (!isPlainObject(value)) {
    if (Array.isArray(value)) return value
    throw invalid(`Expected plain object for ${name} but received ${kindOf(value)}`)
  }
  const copy = Object.create(null)
  for (const key of Object.keys(value)) {
    const desc = Object.getOwnPropertyDescriptor(value, key)
    if (!desc) continue
    if (!('value' in desc)) {
      throw invalid(`Expected a data property for ${name}.${key.slice(0, 64)} but received an accessor`)
    }
    const v = desc.value
    if (depth > 1 && isPlainObject(v)) copy[key] = snapshot(`${name}.${key}`, v, depth - 1)
    else if (depth > 1 && Array.isArray(v)) copy[key] = snapshotArray(`${name}.${key}`, v, depth - 1)
    else copy[key] = v
  }
  return copy
}

/**
 * A copy of an array (of at most MAX_ITEMS items; longer ones are passed on for the
 * binding to refuse) whose plain-object items are snapshotted like options.
 */
function snapshotArray(name, array, depth) {
  if (array.length > MAX_ITEMS) return array
  const copy = []
  for (let i = 0; i < array.length; i++) {
    const desc = Object.getOwnPropertyDescriptor(array, i)
    if (desc && !('value' in desc)) throw invalid(`Expected a data property for ${name}[${i}] but received an accessor`)
    const v = desc?.value
    copy.push(isPlainObject(v) ? snapshot(`${name}[${i}]`, v, depth) : v)
  }
  return copy
}

/** An own data property of a plain object, or undefined. */
function own(obj, key) {
  const desc = Object.getOwnPropertyDescriptor(obj, key)
  if (desc && !('value' in desc)) throw invalid(`Expected a data property for hooks.${key} but received an accessor`)
  return desc?.value
}

/**
 * Prepares `hooks` for the binding: a usable AbortSignal becomes `token` (cancelled at
 * once if already aborted), onProgress is wrapped. Returns what the binding gets and a
 * `settled` function that removes the listener and says whether onProgress threw.
 */
function prepareHooks(binding, hooks, allowProgress) {
  const token = new binding.CancelToken()
  if (hooks !== null && typeof hooks === 'object' && !isPlainObject(hooks) && !Array.isArray(hooks)) {
    throw invalid(`Expected plain object for hooks but received ${kindOf(hooks)}`)
  }
  if (!isPlainObject(hooks)) return { native: hooks, token, settled: () => null }
  const native = snapshot('hooks', hooks, 1)
  let release = () => {}
  const signal = own(hooks, 'signal')
  if (signal instanceof AbortSignal) {
    delete native.signal
    if (signal.aborted) token.cancel()
    else {
      const onAbort = () => token.cancel()
      signal.addEventListener('abort', onAbort, { once: true })
      release = () => signal.removeEventListener('abort', onAbort)
    }
  }
  let thrown = null
  const onProgress = own(hooks, 'onProgress')
  if (allowProgress && typeof onProgress === 'function') {
    native.onProgress = (progress) => {
      if (thrown) return
      try {
        onProgress(progress)
      } catch (err) {
        thrown = { err }
        token.cancel()
      }
    }
  }
  return {
    native,
    token,
    settled: () => {
      release()
      return thrown
    },
  }
}

/**
 * Calls `fn(...args, hooks, token)` and returns its promise; see the module comment.
 * `options` at `optionsAt` (or -1) is snapshotted.
 */
function call(binding, fn, args, optionsAt, hooks, allowProgress) {
  let prepared
  try {
    const native = args.map((a, i) => (i === optionsAt ? snapshot('options', a) : a))
    prepared = prepareHooks(binding, hooks, allowProgress)
    const promise = fn(...native, prepared.native, prepared.token)
    return promise.then(
      (value) => {
        const thrown = prepared.settled()
        if (thrown) throw thrown.err
        return value
      },
      (err) => {
        const thrown = prepared.settled()
        throw thrown ? thrown.err : err
      },
    )
  } catch (err) {
    if (prepared) prepared.settled()
    const coded =
      err && typeof err === 'object' && typeof err.code === 'string' && err.code.startsWith('ERR_')
        ? err
        : invalid(`Cannot read the arguments: ${err && err.message ? err.message : String(err)}`)
    return Promise.reject(coded)
  }
}

function createApi(binding) {
  return {
    processImages: (paths, options, hooks) => call(binding, binding.processImages, [paths, options], 1, hooks, true),
    processImage: (input, options, hooks) => call(binding, binding.processImage, [input, options], 1, hooks, false),
    metadata: (input, hooks) => call(binding, binding.metadata, [input], -1, hooks, false),
    calculatePrimes: (max, hooks) => call(binding, binding.calculatePrimes, [max], -1, hooks, false),
    countPrimes: (max, hooks) => call(binding, binding.countPrimes, [max], -1, hooks, false),
    // Synchronous, like setConcurrency: a bad value throws ERR_INVALID_OPTION. Read
    // from own data properties only, like the options.
    setLimits: (limits) => binding.setLimits(snapshot('limits', limits, 1)),
    getLimits: () => binding.getLimits(),
  }
}

module.exports = { createApi, snapshot, codedError }
