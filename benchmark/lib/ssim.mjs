// SSIM (Wang, Bovik, Sheikh & Simoncelli 2004) on one 8-bit channel, with an
// 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, L = 255, averaged over
// every fully-inside window position (no padding, stride 1, no downsampling).
// Run `node benchmark/lib/ssim.mjs` for the self-test.

const K1 = 0.01
const K2 = 0.03
const L = 255
const C1 = (K1 * L) ** 2
const C2 = (K2 * L) ** 2

/** Normalised 1-D Gaussian kernel of odd length `size`. */
function gaussianKernel(size, sigma) {
  const half = (size - 1) / 2
  const k = Float64Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)))
  const sum = k.reduce((s, v) => s + v, 0)
  return k.map((v) => v / sum)
}

/**
 * Horizontal pass: for each row, the Gaussian-weighted sums of x, y, x², y², xy
 * over each window position. Returns five (width-k+1) x height maps.
 */
function horizontalPass(a, b, width, height, kernel) {
  const k = kernel.length
  const ow = width - k + 1
  const maps = Array.from({ length: 5 }, () => new Float64Array(ow * height))
  const [mx, my, mxx, myy, mxy] = maps
  for (let y = 0; y < height; y++) {
    const row = y * width
    for (let x = 0; x < ow; x++) {
      let sx = 0,
        sy = 0,
        sxx = 0,
        syy = 0,
        sxy = 0
      for (let i = 0; i < k; i++) {
        const w = kernel[i]
        const va = a[row + x + i]
        const vb = b[row + x + i]
        sx += w * va
        sy += w * vb
        sxx += w * va * va
        syy += w * vb * vb
        sxy += w * va * vb
      }
      const o = y * ow + x
      mx[o] = sx
      my[o] = sy
      mxx[o] = sxx
      myy[o] = syy
      mxy[o] = sxy
    }
  }
  return { maps, ow }
}

/** Vertical pass fused with the SSIM formula; returns the mean SSIM. */
function verticalPassMean({ maps, ow }, height, kernel) {
  const [mx, my, mxx, myy, mxy] = maps
  const k = kernel.length
  const oh = height - k + 1
  let total = 0
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let ux = 0,
        uy = 0,
        exx = 0,
        eyy = 0,
        exy = 0
      for (let i = 0; i < k; i++) {
        const w = kernel[i]
        const o = (y + i) * ow + x
        ux += w * mx[o]
        uy += w * my[o]
        exx += w * mxx[o]
        eyy += w * myy[o]
        exy += w * mxy[o]
      }
      const vx = exx - ux * ux
      const vy = eyy - uy * uy
      const cxy = exy - ux * uy
      total += ((2 * ux * uy + C1) * (2 * cxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2))
    }
  }
  return total / (ow * oh)
}

/**
 * Mean SSIM of two same-sized single-channel 8-bit images (row-major).
 * Images smaller than the window use a window as large as the smaller side.
 */
export function ssim(a, b, width, height, { windowSize = 11, sigma = 1.5 } = {}) {
  if (a.length !== width * height || b.length !== width * height) {
    throw new Error(`ssim: expected ${width}x${height} = ${width * height} samples, got ${a.length} and ${b.length}`)
  }
  let size = Math.min(windowSize, width, height)
  if (size % 2 === 0) size -= 1
  const kernel = gaussianKernel(size, sigma)
  return verticalPassMean(horizontalPass(a, b, width, height, kernel), height, kernel)
}

/** Deterministic pseudo-random generator (mulberry32), for reproducible tests. */
function rng(seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Self-test: identical images give 1, mild noise stays high, pure noise is low.
 * Throws on failure; returns the measured values.
 */
export function selfTest() {
  const w = 96,
    h = 64
  const rand = rng(42)
  const img = Uint8Array.from(
    { length: w * h },
    (_, i) => 128 + 60 * Math.sin((i % w) / 7) * Math.cos(Math.floor(i / w) / 5),
  )
  const mild = img.map((v) => Math.max(0, Math.min(255, v + Math.round((rand() - 0.5) * 6))))
  const noise = Uint8Array.from({ length: w * h }, () => Math.floor(rand() * 256))
  const r = {
    identical: ssim(img, img, w, h),
    mild: ssim(img, mild, w, h),
    noise: ssim(img, noise, w, h),
    tiny: ssim(img.subarray(0, 5 * 4), img.subarray(0, 5 * 4), 5, 4),
  }
  const checks = [
    [Math.abs(r.identical - 1) < 1e-9, `identical images must give 1, got ${r.identical}`],
    [Math.abs(r.tiny - 1) < 1e-9, `tiny identical images must give 1, got ${r.tiny}`],
    [r.mild > 0.9 && r.mild < 1, `mild noise must stay in (0.9, 1), got ${r.mild}`],
    [r.noise < 0.1, `pure noise must be below 0.1, got ${r.noise}`],
  ]
  const failed = checks.filter(([ok]) => !ok).map(([, msg]) => msg)
  if (failed.length) throw new Error(`ssim self-test failed: ${failed.join('; ')}`)
  return r
}

// Standalone: `node benchmark/lib/ssim.mjs`
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('ssim self-test passed:', selfTest())
}
