//! Convolutions with libvips' kernels: `blur` (sharp's `blur`: a 3x3 box for
//! `true`, else a separable Gaussian) and the mild 3x3 sharpen of sharp's
//! `sharpen()` without options. Edges are extended by copying the border pixels, as
//! libvips does; images with alpha are convolved premultiplied.
//!
//! Rows are computed in parallel on the shared pool once an image is large enough
//! ([`PARALLEL_SAMPLES`]); smaller ones run on the calling thread, where the batch
//! already keeps every core busy with other images.

use rayon::prelude::*;

use crate::raster::Raster;

/// sharp's `blur`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Blur {
    /// `blur: true`: the fast mild blur, a 3x3 box.
    Mild,
    /// `blur: sigma` (0.3..=1000): a Gaussian of that standard deviation.
    Gaussian(f64),
}

/// Images with at least this many samples are convolved with rows in parallel.
pub(crate) const PARALLEL_SAMPLES: usize = 1 << 21;

/// libvips' Gaussian mask (`vips_gaussmat` with `min_ampl` 0.2 and integer precision,
/// as sharp asks for): taps `round(20 * exp(-x² / 2σ²))` out to where the Gaussian
/// falls below 0.2 of its peak, normalised to sum to 1.
pub(crate) fn gaussian_taps(sigma: f64) -> Vec<f32> {
    let sig2 = 2.0 * sigma * sigma;
    let amplitude = |x: f64| (-(x * x) / sig2).exp();
    let mut x = 0u32;
    while amplitude(f64::from(x)) >= 0.2 {
        x += 1;
    }
    let half = x.saturating_sub(1) as i64;
    let taps: Vec<f64> = (-half..=half)
        .map(|d| (20.0 * amplitude(d as f64)).round())
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter().map(|t| (t / sum) as f32).collect()
}

/// Runs `f(y, row)` for every `row_len`-sample row of `out`, in parallel when `out`
/// is large.
pub(crate) fn for_rows(
    out: &mut [f32],
    row_len: usize,
    f: impl Fn(usize, &mut [f32]) + Sync + Send,
) {
    if row_len == 0 {
        return;
    }
    if out.len() >= PARALLEL_SAMPLES {
        out.par_chunks_mut(row_len)
            .with_min_len(8)
            .enumerate()
            .for_each(|(y, row)| f(y, row));
    } else {
        out.chunks_mut(row_len)
            .enumerate()
            .for_each(|(y, row)| f(y, row));
    }
}

/// Convolves interleaved samples (`width x height`, `bpp` per pixel) with the
/// symmetric 1-D kernel `taps` along both axes, edges copied.
pub(crate) fn separable(
    src: &[f32],
    width: usize,
    height: usize,
    bpp: usize,
    taps: &[f32],
) -> Vec<f32> {
    let half = taps.len() / 2;
    let row_len = width * bpp;
    if taps.len() == 1 || width == 0 || height == 0 {
        return src.to_vec();
    }
    // Horizontal: each row padded with copies of its end pixels.
    let mut across = vec![0f32; src.len()];
    for_rows(&mut across, row_len, |y, out| {
        let row = &src[y * row_len..(y + 1) * row_len];
        let mut padded = Vec::with_capacity(row_len + 2 * half * bpp);
        for _ in 0..half {
            padded.extend_from_slice(&row[..bpp]);
        }
        padded.extend_from_slice(row);
        for _ in 0..half {
            padded.extend_from_slice(&row[row_len - bpp..]);
        }
        for (k, &t) in taps.iter().enumerate() {
            let shifted = &padded[k * bpp..k * bpp + row_len];
            for (o, &s) in out.iter_mut().zip(shifted) {
                *o += t * s;
            }
        }
    });
    // Vertical: each output row sums whole rows, clamped at the top and bottom.
    let mut down = vec![0f32; src.len()];
    for_rows(&mut down, row_len, |y, out| {
        for (k, &t) in taps.iter().enumerate() {
            let sy = (y + k).saturating_sub(half).min(height - 1);
            let row = &across[sy * row_len..(sy + 1) * row_len];
            for (o, &s) in out.iter_mut().zip(row) {
                *o += t * s;
            }
        }
    });
    down
}

/// Convolves interleaved samples with a 3x3 `kernel` (row-major) divided by
/// `scale`, edges copied.
fn conv3x3(
    src: &[f32],
    width: usize,
    height: usize,
    bpp: usize,
    kernel: [f32; 9],
    scale: f32,
) -> Vec<f32> {
    let row_len = width * bpp;
    let mut out = vec![0f32; src.len()];
    for_rows(&mut out, row_len, |y, out| {
        for (ky, dy) in [-1i64, 0, 1].iter().enumerate() {
            let sy = (y as i64 + dy).clamp(0, height as i64 - 1) as usize;
            let row = &src[sy * row_len..(sy + 1) * row_len];
            for (kx, dx) in [-1i64, 0, 1].iter().enumerate() {
                let t = kernel[ky * 3 + kx] / scale;
                if t == 0.0 {
                    continue;
                }
                for x in 0..width {
                    let sx = (x as i64 + dx).clamp(0, width as i64 - 1) as usize;
                    for c in 0..bpp {
                        out[x * bpp + c] += t * row[sx * bpp + c];
                    }
                }
            }
        }
    });
    out
}

impl Raster {
    /// sharp's `blur` (see [`Blur`]).
    pub fn blur(&self, blur: Blur) -> Self {
        let (w, h, bpp) = (self.width as usize, self.height as usize, self.bpp());
        let src = self.to_premultiplied_f32();
        let out = match blur {
            Blur::Mild => conv3x3(&src, w, h, bpp, [1.0; 9], 9.0),
            Blur::Gaussian(sigma) => separable(&src, w, h, bpp, &gaussian_taps(sigma)),
        };
        self.with_premultiplied_f32(&out)
    }

    /// The fast mild sharpen of sharp's `sharpen()` without options: libvips' 3x3
    /// kernel (-1 around, 32 in the middle, divided by 24).
    pub fn sharpen_mild(&self) -> Self {
        let (w, h, bpp) = (self.width as usize, self.height as usize, self.bpp());
        let src = self.to_premultiplied_f32();
        let mut kernel = [-1.0f32; 9];
        kernel[4] = 32.0;
        let out = conv3x3(&src, w, h, bpp, kernel, 24.0);
        self.with_premultiplied_f32(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_taps_follow_libvips() {
        // sigma 1: exp(-x²/2) >= 0.2 for x = 0, 1; mask half-width 1: 20*[e^-0.5, 1, e^-0.5].
        let t = gaussian_taps(1.0);
        assert_eq!(t.len(), 3);
        assert!((t[1] - 20.0 / 44.0).abs() < 1e-6, "{t:?}");
        assert_eq!(gaussian_taps(1e-6), vec![1.0]);
        assert_eq!(gaussian_taps(10.0).len(), 2 * 17 + 1);
        let sum: f32 = gaussian_taps(1000.0).iter().sum();
        assert!((sum - 1.0).abs() < 1e-3);
    }

    #[test]
    fn flat_images_stay_flat_and_edges_soften() {
        let flat = Raster::filled(9, 7, 3, [100, 150, 200, 255]);
        assert_eq!(flat.blur(Blur::Gaussian(2.0)), flat);
        assert_eq!(flat.blur(Blur::Mild), flat);
        assert_eq!(flat.sharpen_mild(), flat);
        // A vertical edge: blur softens it, sharpen overshoots on both sides.
        let mut edge = Raster::filled(8, 3, 1, [50, 50, 50, 255]);
        for y in 0..3 {
            for x in 4..8 {
                edge.data[y * 8 + x] = 150;
            }
        }
        let blurred = edge.blur(Blur::Gaussian(1.0));
        assert!(blurred.data[8 + 3] > 50 && blurred.data[8 + 4] < 150);
        let sharp = edge.sharpen_mild();
        assert!(sharp.data[8 + 3] < 50 && sharp.data[8 + 4] > 150);
        assert_eq!(sharp.data[8], 50);
    }
}
