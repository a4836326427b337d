// corepool's types. The functions and interfaces come from the native binding's
// declarations (binding.d.ts, generated from the Rust sources); processStream is
// implemented in JavaScript (lib/stream.js).
//
// ProcessOptions are applied in one fixed order, whatever the order of keys:
// autoOrient, extract, trim, resize (width/height/fit/position), extend, rotation,
// flip/flop, blur, modulate, sharpen (blur and sharpen not both), flatten, grayscale,
// composite, normalise, negate, encode (format).
import type { Duplex } from 'node:stream'
import type { ImageHooks, ImageInfo, ImageResult, ProcessOptions } from './binding'

export type {
  BatchHooks,
  ImageError,
  ImageHooks,
  ImageInfo,
  ImageResult,
  Limits,
  OptionInfo,
  OutputInfo,
  PrimesHooks,
  ProcessedImage,
  ProcessOptions,
  Progress,
} from './binding'
export {
  __napiBindingTarget,
  calculatePrimes,
  calculatePrimesSync,
  countPrimes,
  getConcurrency,
  getLimits,
  metadata,
  optionTable,
  processImage,
  processImages,
  setConcurrency,
  setLimits,
  setMaxQueue,
} from './binding'

/** A Duplex that emits 'info' with the output's `ImageInfo`-like description. */
export interface ImageStream extends Duplex {
  on(
    event: 'info',
    listener: (info: { format: string; width: number; height: number; channels: number; size: number }) => void,
  ): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

/**
 * A Duplex for `req.pipe(processStream(options)).pipe(res)`: the bytes written in are
 * buffered (at most `limitInputBytes`, default 256 MiB; more fails the stream with
 * `ERR_INPUT_TOO_LARGE` before it is all buffered), the header is checked against
 * `limitInputPixels` as soon as it has arrived, and when the input ends the image is
 * processed off the JS thread and the output is pushed out. Errors are stream errors
 * with the usual `code`. `outputDir`, `prefix`, `suffix` and `overwrite` do not apply.
 */
export declare function processStream(options?: ProcessOptions, hooks?: ImageHooks | undefined | null): ImageStream

/** The data of a corepool queue job: files every worker can see, and the options. */
export interface QueueJobData {
  paths: string[]
  options?: ProcessOptions
}

/** What a queue job reports to `job.updateProgress`. */
export interface QueueJobProgress {
  done: number
  total: number
  failed: number
}

/**
 * The part of a BullMQ `Job` that the processor uses (a `Job<QueueJobData>` fits; these
 * types do not need bullmq installed).
 */
export interface QueueJob {
  data: QueueJobData
  /** When the job was created (ms since the epoch). */
  timestamp: number
  attemptsStarted?: number
  attemptsMade?: number
  stalledCounter?: number
  updateProgress(progress: QueueJobProgress): Promise<void>
}

export interface QueueProcessorOptions {
  /** Options under every job's own `options`. */
  defaults?: ProcessOptions
}

/**
 * A BullMQ processor for `new Worker(queue, createQueueProcessor(), opts)`: runs
 * `processImages(job.data.paths, job.data.options)` and returns its `ImageResult[]`,
 * reports `{ done, total, failed }` to `job.updateProgress`, fails a job with invalid
 * data or options at once (BullMQ's `UnrecoverableError`, `code: 'ERR_INVALID_OPTION'`),
 * and, when a job runs again after a worker died, reuses the outputs the earlier attempt
 * finished instead of reporting them as `ERR_OUTPUT_EXISTS` (README, "Job queue").
 * `signal` (BullMQ's job cancellation) aborts the batch.
 */
export declare function createQueueProcessor(
  options?: QueueProcessorOptions,
): (job: QueueJob, token?: string, signal?: AbortSignal) => Promise<ImageResult[]>
