// Compile-time checks of index.d.ts, the types users get: `npx tsc -p __test__/tsconfig.json`.
// Nothing here runs. Every exported function and type is used as documented, and the
// `@ts-expect-error` lines must stay errors, so a regression to `any` (or a looser
// type) fails the check as well.

import {
  __napiBindingTarget,
  calculatePrimes,
  calculatePrimesSync,
  countPrimes,
  createQueueProcessor,
  getConcurrency,
  getLimits,
  metadata,
  processImage,
  processImages,
  processStream,
  setConcurrency,
  setLimits,
  setMaxQueue,
} from '../index.js'
import type {
  BatchHooks,
  ImageError,
  ImageInfo,
  ImageResult,
  Limits,
  OutputInfo,
  PrimesHooks,
  ProcessedImage,
  ProcessOptions,
  Progress,
  QueueJobData,
  QueueJobProgress,
} from '../index.js'
import { Worker } from 'bullmq'

/** Fails to compile unless `T` is exactly `U`. */
type Equal<T, U> = (<V>() => V extends T ? 1 : 2) extends <V>() => V extends U ? 1 : 2 ? true : false
function assertType<T extends true>(): T | void {}
/** True when `T` is `any` (an undeclared type in a .d.ts degrades to it). */
type IsAny<T> = 0 extends 1 & T ? true : false

// None of the public types may be `any`.
assertType<Equal<IsAny<ProcessOptions>, false>>()
assertType<Equal<IsAny<ImageResult>, false>>()
assertType<Equal<IsAny<Progress>, false>>()
assertType<Equal<IsAny<ImageInfo>, false>>()
assertType<Equal<IsAny<ProcessedImage>, false>>()
assertType<Equal<IsAny<Parameters<typeof processImages>[1]>, false>>()

const target: 'native' | 'wasm32-wasi' | 'wasm32-wasip1' = __napiBindingTarget

// The options from the brief: every documented option, with the types it takes.
const options: ProcessOptions = {
  width: 800,
  height: 600,
  fit: 'contain',
  position: 'north',
  background: '#ffffff',
  withoutEnlargement: true,
  rotation: 90,
  autoOrient: true,
  flip: false,
  flop: false,
  grayscale: true,
  format: 'webp',
  quality: 80,
  outputDir: 'out',
  prefix: 'thumb_',
  suffix: '_800',
  overwrite: true,
  concurrency: 4,
  limitInputPixels: 268402689,
}
const colourObject: ProcessOptions = { fit: 'contain', background: { r: 255, g: 0, b: 0, alpha: 0.5 } }
const fits: ProcessOptions[] = [{ fit: 'cover' }, { fit: 'fill' }, { fit: 'inside' }, { fit: 'outside' }, {}]
// The operations, with sharp's shapes.
const operations: ProcessOptions[] = [
  { extract: { left: 0, top: 0, width: 100, height: 50 }, trim: true, extend: 10 },
  { trim: { background: '#fff', threshold: 20 }, extend: { top: 5, background: { r: 0, g: 0, b: 0, alpha: 0 } } },
  { sharpen: true, flatten: { background: 'white' }, negate: { alpha: false } },
  { sharpen: { sigma: 1, m2: 3 } },
  { blur: 2.5, flatten: true, negate: true },
  {
    composite: [
      { input: Buffer.from([]), gravity: 'southeast' },
      { input: 'mark.png', top: 1, left: 2, blend: 'multiply', tile: true },
    ],
  },
]
const encoders: ProcessOptions[] = [
  { format: 'jpeg', progressive: true, chromaSubsampling: '4:4:4', mozjpeg: true, keepMetadata: true },
  { format: 'png', compressionLevel: 9, palette: true, colours: 64, dither: 0.5, keepExif: true },
  { format: 'gif', colors: 16 },
  { format: 'webp', effort: 6, nearLossless: true, alphaQuality: 80, keepIccProfile: true },
  { format: 'avif', effort: 2 },
  { format: 'tiff', compression: 'lzw' },
]
void encoders
// @ts-expect-error chromaSubsampling is '4:2:0' or '4:4:4'
const badSubsampling: ProcessOptions = { chromaSubsampling: '4:2:2' }
// @ts-expect-error TIFF compression is one of the lossless ones
const badCompression: ProcessOptions = { compression: 'jpeg' }
void [badSubsampling, badCompression]
// @ts-expect-error sharpen with options needs a sigma
const noSigma: ProcessOptions = { sharpen: { m1: 1 } }
// @ts-expect-error blend modes are a fixed set
const badBlend: ProcessOptions = { composite: [{ input: 'a.png', blend: 'burn' }] }
void [operations, noSigma, badBlend]

async function images(signal: AbortSignal): Promise<number> {
  const hooks: BatchHooks = {
    signal,
    onProgress: (p: Progress) => {
      const done: number = p.done
      const total: number = p.total
      const failed: number = p.failed
      const current: string = p.currentPath
      void [done, total, failed, current]
    },
  }
  const results: ImageResult[] = await processImages(['a.jpg', 'b.png'], options, hooks)
  await processImages(['a.jpg'])
  await processImages(['a.jpg'], colourObject, null)
  await processImages(['a.jpg'], fits[0], { onProgress: (p) => p.done.toFixed() })

  let bytes = 0
  for (const r of results) {
    const original: string = r.originalPath
    const output: string = r.outputPath
    const ok: boolean = r.success
    const dims: string = `${r.width}x${r.height}`
    const format: string = r.format
    const ms: number = r.durationMs
    bytes += r.processedSize
    const error: ImageError | undefined = r.error
    if (error) {
      const code: string = error.code
      const message: string = error.message
      void [code, message]
    }
    void [original, output, ok, dims, format, ms]
  }

  const processed: ProcessedImage = await processImage(Buffer.from([]), { width: 100, format: 'png' })
  const data: Buffer = processed.data
  const info: OutputInfo = processed.info
  const fromPath = await processImage('photo.jpg')
  const outFormat: string = fromPath.info.format
  void [data, info.width, info.height, info.channels, info.size, outFormat]

  const meta: ImageInfo = await metadata('photo.jpg')
  const metaFromBuffer = await metadata(Buffer.alloc(0))
  const hasAlpha: boolean = meta.hasAlpha
  const orientation: number = metaFromBuffer.orientation
  void [meta.format, meta.width, meta.height, meta.channels, meta.size, hasAlpha, orientation]
  const progressive: boolean = meta.isProgressive
  const palette: boolean = meta.isPalette
  const profile: boolean = meta.hasProfile
  const subsampling: string | undefined = meta.chromaSubsampling ?? undefined
  const density: number | undefined = meta.density ?? undefined
  const bits: number | undefined = meta.bitsPerSample ?? undefined
  void [progressive, palette, profile, subsampling, density, bits]

  return bytes
}

async function primes(signal: AbortSignal): Promise<number> {
  const hooks: PrimesHooks = { signal }
  const list: Uint32Array = await calculatePrimes(1000, hooks)
  const listSync: Uint32Array = calculatePrimesSync(1000)
  const count: number = await countPrimes(1e10, { signal })
  const countNoHooks: number = await countPrimes(1000)
  await calculatePrimes(10, null)
  return list.length + listSync.length + count + countNoHooks
}

function pool(): number {
  setConcurrency(4)
  const threads: number = getConcurrency()
  return threads
}

// --- Negative checks: each line below must be a type error. ---

// @ts-expect-error paths must be an array of strings
processImages('not-an-array')
// @ts-expect-error paths must be strings
processImages([1, 2, 3])
// @ts-expect-error fit is a union of sharp's fits
processImages(['a.jpg'], { fit: 'stretch' })
// @ts-expect-error width is a number
processImages(['a.jpg'], { width: '800' })
// @ts-expect-error unknown option (typo of height)
processImages(['a.jpg'], { heigth: 600 })
// @ts-expect-error format is one of the output formats
processImage(Buffer.alloc(0), { format: 'bmp2' })
// @ts-expect-error input is a Buffer or a path
processImage(42)
// @ts-expect-error metadata takes a Buffer or a path
metadata({ path: 'a.jpg' })
// @ts-expect-error onProgress receives a Progress, which has no `percent`
processImages(['a.jpg'], {}, { onProgress: (p) => p.percent })
// @ts-expect-error max is a number
countPrimes('1000')
// @ts-expect-error calculatePrimes resolves with a Uint32Array, not number[]
const notArray: Promise<number[]> = calculatePrimes(10)
// @ts-expect-error countPrimes resolves with a number
const notString: Promise<string> = countPrimes(10)
// @ts-expect-error the sync twin returns the array, not a promise
calculatePrimesSync(10).then(() => {})
// @ts-expect-error setConcurrency takes a number
setConcurrency('4')
// @ts-expect-error setMaxQueue takes a number
setMaxQueue('4')
// @ts-expect-error processStream's hooks take an AbortSignal, not a controller
processStream({ width: 10 }, { signal: new AbortController() })
async function badResultField(): Promise<void> {
  const [r] = await processImages(['a.jpg'])
  // @ts-expect-error results have no `size` (it is processedSize)
  void r!.size
}

// Single images, headers and streams take a signal too; streams are Duplex.
async function cancellable(signal: AbortSignal): Promise<number> {
  const { info } = await processImage(Buffer.alloc(0), { width: 10 }, { signal })
  const header: ImageInfo = await metadata('a.jpg', { signal })
  const stream = processStream({ width: 10, limitInputBytes: 1 << 20 }, { signal })
  stream.on('info', (i) => void i.width)
  setMaxQueue(Infinity)
  return info.width + header.width + (stream.writable ? 1 : 0)
}

export { target, images, primes, pool, badResultField, notArray, notString, cancellable }

// Process-wide limits: numbers or false, every key optional when setting.
{
  setLimits({ limitInputPixels: 1e6, limitOutputPixels: false })
  setLimits({})
  const limits: Limits = getLimits()
  const pixels: number | false = limits.limitInputPixels
  const bytes: number = limits.limitInputBytes
  void [pixels, bytes]
  // @ts-expect-error limitInputBytes is a number
  setLimits({ limitInputBytes: false })
  // @ts-expect-error setLimits takes an object
  setLimits(5)
}

// The queue processor fits a BullMQ Worker as it is, and is typed.
{
  const processor = createQueueProcessor({ defaults: { format: 'webp', quality: 80 } })
  const worker = new Worker<QueueJobData, ImageResult[]>('images', processor, {
    connection: { url: 'redis://127.0.0.1:6379' },
  })
  void worker
  const progress: QueueJobProgress = { done: 1, total: 2, failed: 0 }
  void progress
  const results: Promise<ImageResult[]> = processor({
    data: { paths: ['a.jpg'] },
    timestamp: Date.now(),
    updateProgress: async () => {},
  })
  void results
  // @ts-expect-error defaults are ProcessOptions
  createQueueProcessor({ defaults: { width: 'wide' } })
  // @ts-expect-error a job's paths are strings
  processor({ data: { paths: [1] }, timestamp: 0, updateProgress: async () => {} })
}
