// corepool's types. The functions and interfaces come from the native binding's
// declarations (binding.d.ts, generated from the Rust sources); processStream is
// implemented in JavaScript (lib/stream.js).
import type { Duplex } from 'node:stream'
import type { ImageHooks, ImageInfo, ProcessOptions } from './binding'

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
