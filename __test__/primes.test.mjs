// Tests for calculatePrimes, calculatePrimesSync and countPrimes.
//
// Every list is checked against a plain JS sieve written here, so a wrong answer from
// the addon fails the test rather than being compared with itself.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import v8 from 'node:v8'
import vm from 'node:vm'

const { calculatePrimes, calculatePrimesSync, countPrimes } = createRequire(import.meta.url)('../index.js')

/** All primes p < max, ascending: a byte-per-number sieve of Eratosthenes. */
function referencePrimes(max) {
  if (max < 3) return new Uint32Array(0)
  const composite = new Uint8Array(max)
  for (let i = 2; i * i < max; i++) {
    if (composite[i]) continue
    for (let j = i * i; j < max; j += i) composite[j] = 1
  }
  let count = 0
  for (let i = 2; i < max; i++) if (!composite[i]) count++
  const primes = new Uint32Array(count)
  for (let i = 2, k = 0; i < max; i++) if (!composite[i]) primes[k++] = i
  return primes
}

/** The primes of the ascending list `primes` that are below `max`. */
function primesBelow(primes, max) {
  let lo = 0
  let hi = primes.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (primes[mid] < max) lo = mid + 1
    else hi = mid
  }
  return primes.subarray(0, lo)
}

/**
 * Compares two prime lists and names the first difference, instead of letting
 * assert print a diff of millions of elements.
 */
function assertSamePrimes(actual, expected, label) {
  assert.ok(actual instanceof Uint32Array, `${label}: expected a Uint32Array`)
  const n = Math.min(actual.length, expected.length)
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      assert.fail(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]}`)
    }
  }
  assert.equal(actual.length, expected.length, `${label}: length`)
}

/** mulberry32: a small seeded PRNG, so the "random" bounds are the same every run. */
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Rejects if `promise` has not settled within `ms`. A safety net so that a broken abort
 * fails with a clear message instead of hanging; not a timing assertion.
 */
function settleWithin(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Matcher for the rejection of an aborted computation. */
const aborted = (err) => {
  assert.equal(err.code, 'ERR_ABORTED', `unexpected error: ${err}`)
  return true
}

// The largest bound the tests compare element by element; one reference serves them all.
const REFERENCE_MAX = 2_000_000
const reference = referencePrimes(REFERENCE_MAX)

test('calculatePrimes(1e6) lists the primes below one million', async () => {
  const primes = await calculatePrimes(1e6)
  assert.ok(primes instanceof Uint32Array)
  assert.equal(primes.length, 78498)
  assert.deepEqual(Array.from(primes.subarray(0, 5)), [2, 3, 5, 7, 11])
  assert.equal(primes[primes.length - 1], 999983)
  assertSamePrimes(primes, primesBelow(reference, 1e6), 'max 1e6')
})

test('calculatePrimes matches the reference for small and edge bounds', async () => {
  for (const max of [0, 1, 2, 3, 4, 5, 10, 30, 31, 100]) {
    assertSamePrimes(await calculatePrimes(max), primesBelow(reference, max), `max ${max}`)
  }
})

test('calculatePrimes matches the reference for random bounds up to 2e6', async () => {
  const random = mulberry32(0xc0ffee)
  for (let i = 0; i < 25; i++) {
    const max = Math.floor(random() * (REFERENCE_MAX + 1))
    assertSamePrimes(await calculatePrimes(max), primesBelow(reference, max), `max ${max}`)
  }
})

test('countPrimes agrees with known values of pi', async () => {
  // pi(x) counts primes <= x; countPrimes(max) counts primes < max. None of these
  // bounds is prime, so the two agree.
  const known = [
    [1e6, 78498],
    [1e7, 664579],
    [1e9, 50847534],
    [2 ** 32, 203280221],
    [1e10, 455052511],
  ]
  for (const [max, pi] of known) {
    assert.equal(await countPrimes(max), pi, `pi(${max})`)
  }
})

test('calculatePrimes accepts the largest bound, 2**32', async () => {
  const primes = await calculatePrimes(2 ** 32)
  assert.equal(primes.length, 203280221)
  // The largest prime below 2**32.
  assert.equal(primes[primes.length - 1], 4294967291)
})

test('invalid bounds reject the promise with ERR_INVALID_OPTION', async () => {
  // [value, error class, how the message shows the value]
  const cases = [
    [NaN, RangeError, 'NaN'],
    [-1, RangeError, '-1'],
    [1.5, RangeError, '1.5'],
    ['100', TypeError, "'100'"],
    [2 ** 32 + 1, RangeError, '4294967297'],
    [undefined, TypeError, 'undefined'],
    [{}, TypeError, 'object'],
    [Infinity, RangeError, 'Infinity'],
  ]
  for (const [value, ErrorClass, shown] of cases) {
    let promise
    // The error must come through the promise, never as a synchronous throw.
    assert.doesNotThrow(
      () => {
        promise = calculatePrimes(value)
      },
      `calculatePrimes(${String(value)}) threw synchronously`,
    )
    await assert.rejects(promise, (err) => {
      assert.ok(err instanceof ErrorClass, `${String(value)}: expected ${ErrorClass.name}, got ${err}`)
      assert.equal(err.code, 'ERR_INVALID_OPTION')
      assert.ok(err.message.includes(shown), `message "${err.message}" should mention ${shown}`)
      return true
    })
  }

  for (const value of [2 ** 53 + 2, -1]) {
    let promise
    assert.doesNotThrow(() => {
      promise = countPrimes(value)
    }, `countPrimes(${value}) threw synchronously`)
    await assert.rejects(promise, (err) => {
      assert.ok(err instanceof RangeError, `${value}: expected RangeError, got ${err}`)
      assert.equal(err.code, 'ERR_INVALID_OPTION')
      assert.ok(err.message.includes(String(value)), `message "${err.message}" should mention ${value}`)
      return true
    })
  }
})

test('an AbortSignal stops countPrimes mid-way', async () => {
  const controller = new AbortController()
  // Counting below 2**50 would take days: only the abort can end it.
  const promise = countPrimes(2 ** 50, { signal: controller.signal })
  setTimeout(() => controller.abort(), 50)
  await assert.rejects(settleWithin(promise, 10_000, 'aborted countPrimes(2**50)'), aborted)
})

test('an already-aborted signal rejects at once', async () => {
  const signal = AbortSignal.abort()
  await assert.rejects(settleWithin(countPrimes(2 ** 50, { signal }), 10_000, 'countPrimes'), aborted)
  await assert.rejects(settleWithin(calculatePrimes(1e9, { signal }), 10_000, 'calculatePrimes'), aborted)
})

test('an AbortSignal stops calculatePrimes mid-way', async () => {
  const controller = new AbortController()
  const promise = calculatePrimes(1e9, { signal: controller.signal })
  // Abort shortly after the work has started, well before 1e9 can finish.
  setTimeout(() => controller.abort(), 5)
  await assert.rejects(settleWithin(promise, 10_000, 'aborted calculatePrimes(1e9)'), aborted)
})

test('the event loop keeps turning while calculatePrimes runs', async () => {
  let ticks = 0
  let running = true
  const tick = () => {
    ticks++
    if (running) setImmediate(tick)
  }
  setImmediate(tick)
  const primes = await calculatePrimes(2e8)
  running = false
  assert.equal(primes.length, 11078937) // pi(2e8)
  assert.ok(ticks > 10, `only ${ticks} event-loop turns while sieving`)
})

test('calculatePrimesSync(1e5) matches the reference', () => {
  assertSamePrimes(calculatePrimesSync(1e5), primesBelow(reference, 1e5), 'sync max 1e5')
})

test('results are deterministic', async () => {
  const max = 12345679
  const [a, b] = [await calculatePrimes(max), await calculatePrimes(max)]
  assertSamePrimes(a, b, `max ${max}, second call`)
  assert.equal(a.length, await countPrimes(max))
})

test('recycled list buffers hold exactly the new primes and never reach a live array', async () => {
  // Lists of 4 MiB and more are handed back to a pool by the array's finaliser and
  // reused by later calls. Force collections so that reuse really happens here.
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  const max = 3e7
  const full = referencePrimes(max)
  const kept = await calculatePrimes(max)
  const copy = kept.slice()
  // Shrinking bounds reuse a larger buffer: stale elements past the new end must not show.
  for (const bound of [max, max - 1, 2.6e7, 2.9e7, max]) {
    let primes = await calculatePrimes(bound)
    assertSamePrimes(primes, primesBelow(full, bound), `max ${bound}`)
    // Scribble over it: the next call that reuses it must overwrite every element.
    primes.fill(4)
    primes = null
    gc()
    // Finalisers may run on a later turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve))
  }
  assertSamePrimes(kept, copy, 'an array kept alive across the calls')
})
