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

/// The `min_ampl` of sharp's `blur` (its `minAmplitude` default).
pub(crate) const BLUR_MIN_AMPL: f64 = 0.2;
/// The `min_ampl` libvips' `sharpen` builds its mask with (a wider mask than the blur's:
/// with 0.2, sigma 1 would give 3 taps instead of libvips' 5).
pub(crate) const SHARPEN_MIN_AMPL: f64 = 0.1;

/// libvips' Gaussian mask (`vips_gaussmat` with integer precision, as sharp asks for):
/// taps `round(20 * exp(-x² / 2σ²))` out to where the Gaussian falls below `min_ampl`
/// of its peak, normalised to sum to 1.
pub(crate) fn gaussian_taps(sigma: f64, min_ampl: f64) -> Vec<f32> {
    let sig2 = 2.0 * sigma * sigma;
    let amplitude = |x: f64| (-(x * x) / sig2).exp();
    let mut x = 0u32;
    while amplitude(f64::from(x)) >= min_ampl {
        x += 1;
    }
    let half = x.saturating_sub(1) as i64;
    let taps: Vec<f64> = (-half..=half)
        .map(|d| (20.0 * amplitude(d as f64)).round())
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter().map(|t| (t / sum) as f32).collect()
}

/// Output rows per band of [`separable_banded`] (at least the kernel's reach).
const BAND_ROWS: usize = 32;

/// Convolves an image of `(width, height, samples per pixel)` with the symmetric 1-D
/// kernel `taps` along both axes, edges copied, one band of output rows at a time: a band holds its rows (plus the kernel's
/// reach above and below) as `f32`, so memory stays a few rows per thread whatever
/// the image size. `source(y, row)` fills source row `y` (`width * bpp` samples);
/// `sink(y, blurred, out_row)` writes output row `y` from its blurred samples into
/// `out`, whose rows are `out_row_len` long. Bands run in parallel for large images.
pub(crate) fn separable_banded<T: Send>(
    dims: (usize, usize, usize),
    taps: &[f32],
    source: impl Fn(usize, &mut [f32]) + Sync,
    out: &mut [T],
    out_row_len: usize,
    sink: impl Fn(usize, &[f32], &mut [T]) + Sync,
) {
    separable_banded_with(
        dims,
        taps,
        |_| (),
        |_, y, row| source(y, row),
        out,
        out_row_len,
        |_, y, blurred, row| sink(y, blurred, row),
    );
}

/// [`separable_banded`] with per-band state: `state(rows)` is made once per band from
/// the range of source rows the band reaches, before `source` and `sink` (which get it)
/// run on that band, so work shared by both (a colour conversion, say) is done once.
pub(crate) fn separable_banded_with<T: Send, S>(
    (width, height, bpp): (usize, usize, usize),
    taps: &[f32],
    state: impl Fn(std::ops::Range<usize>) -> S + Sync,
    source: impl Fn(&S, usize, &mut [f32]) + Sync,
    out: &mut [T],
    out_row_len: usize,
    sink: impl Fn(&S, usize, &[f32], &mut [T]) + Sync,
) {
    let row_len = width * bpp;
    if row_len == 0 || height == 0 || out_row_len == 0 {
        return;
    }
    let half = taps.len() / 2;
    let band_rows = BAND_ROWS.max(half);
    let band = |index: usize, out: &mut [T]| {
        let y0 = index * band_rows;
        let y1 = (y0 + band_rows).min(height);
        let (r0, r1) = (y0.saturating_sub(half), (y1 + half).min(height));
        let band_state = state(r0..r1);
        // Horizontal pass over the rows the band reaches, each padded with copies of
        // its end pixels.
        let mut across = vec![0f32; (r1 - r0) * row_len];
        let mut row = vec![0f32; row_len];
        let mut padded = vec![0f32; row_len + 2 * half * bpp];
        for r in r0..r1 {
            source(&band_state, r, &mut row);
            for k in 0..half {
                padded[k * bpp..(k + 1) * bpp].copy_from_slice(&row[..bpp]);
                let end = half * bpp + row_len + k * bpp;
                padded[end..end + bpp].copy_from_slice(&row[row_len - bpp..]);
            }
            padded[half * bpp..half * bpp + row_len].copy_from_slice(&row);
            let dst = &mut across[(r - r0) * row_len..(r - r0 + 1) * row_len];
            for (k, &t) in taps.iter().enumerate() {
                let shifted = &padded[k * bpp..k * bpp + row_len];
                for (o, &v) in dst.iter_mut().zip(shifted) {
                    *o += t * v;
                }
            }
        }
        // Vertical pass: each output row sums whole rows, clamped at the edges.
        let mut acc = vec![0f32; row_len];
        for (y, out_row) in (y0..y1).zip(out.chunks_mut(out_row_len)) {
            acc.fill(0.0);
            for (k, &t) in taps.iter().enumerate() {
                let sy = (y + k).saturating_sub(half).min(height - 1);
                let src = &across[(sy - r0) * row_len..(sy - r0 + 1) * row_len];
                for (o, &v) in acc.iter_mut().zip(src) {
                    *o += t * v;
                }
            }
            sink(&band_state, y, &acc, out_row);
        }
    };
    let chunk = band_rows * out_row_len;
    if height * row_len >= PARALLEL_SAMPLES {
        out.par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(i, o)| band(i, o));
    } else {
        out.chunks_mut(chunk)
            .enumerate()
            .for_each(|(i, o)| band(i, o));
    }
}

/// [`separable_banded`] on samples in memory, for small images.
pub(crate) fn separable(
    src: &[f32],
    width: usize,
    height: usize,
    bpp: usize,
    taps: &[f32],
) -> Vec<f32> {
    let row_len = width * bpp;
    let mut out = vec![0f32; src.len()];
    separable_banded(
        (width, height, bpp),
        taps,
        |y, row| row.copy_from_slice(&src[y * row_len..(y + 1) * row_len]),
        &mut out,
        row_len,
        |_, blurred, row| row.copy_from_slice(blurred),
    );
    out
}

/// Convolves a raster with a 3x3 `kernel` (row-major) divided by `scale`, edges copied,
/// premultiplied when it has alpha; rows in parallel for large images.
fn conv3x3(r: &Raster, kernel: [f32; 9], scale: f32) -> Raster {
    let (width, height, bpp) = (r.width as usize, r.height as usize, r.bpp());
    let row_len = width * bpp;
    let mut out = r.clone();
    if row_len == 0 {
        return out;
    }
    let row = |y: usize, out_row: &mut [u8]| {
        // The three source rows, premultiplied, each padded with a copy of its end
        // pixels, so that every tap is one pass over contiguous samples.
        let mut src = vec![0f32; row_len];
        let mut padded = [(); 3].map(|_| vec![0f32; row_len + 2 * bpp]);
        for (k, dy) in [-1i64, 0, 1].iter().enumerate() {
            let sy = (y as i64 + dy).clamp(0, height as i64 - 1) as usize;
            r.premultiplied_row(sy, &mut src);
            let p = &mut padded[k];
            p[..bpp].copy_from_slice(&src[..bpp]);
            p[bpp..bpp + row_len].copy_from_slice(&src);
            p[bpp + row_len..].copy_from_slice(&src[row_len - bpp..]);
        }
        let mut acc = vec![0f32; row_len];
        for (ky, p) in padded.iter().enumerate() {
            for kx in 0..3 {
                let t = kernel[ky * 3 + kx] / scale;
                for (o, &v) in acc.iter_mut().zip(&p[kx * bpp..kx * bpp + row_len]) {
                    *o += t * v;
                }
            }
        }
        r.unpremultiplied_row(&acc, out_row);
    };
    if r.data.len() >= PARALLEL_SAMPLES {
        out.data
            .par_chunks_mut(row_len)
            .enumerate()
            .for_each(|(y, o)| row(y, o));
    } else {
        out.data
            .chunks_mut(row_len)
            .enumerate()
            .for_each(|(y, o)| row(y, o));
    }
    out
}

impl Raster {
    /// sharp's `blur` (see [`Blur`]).
    pub fn blur(&self, blur: Blur) -> Self {
        match blur {
            Blur::Mild => conv3x3(self, [1.0; 9], 9.0),
            Blur::Gaussian(sigma) => {
                let (w, h, bpp) = (self.width as usize, self.height as usize, self.bpp());
                let mut out = self.clone();
                separable_banded(
                    (w, h, bpp),
                    &gaussian_taps(sigma, BLUR_MIN_AMPL),
                    |y, row| self.premultiplied_row(y, row),
                    &mut out.data,
                    w * bpp,
                    |_, blurred, row| self.unpremultiplied_row(blurred, row),
                );
                out
            }
        }
    }

    /// The fast mild sharpen of sharp's `sharpen()` without options: libvips' 3x3
    /// kernel (-1 around, 32 in the middle, divided by 24).
    pub fn sharpen_mild(&self) -> Self {
        let mut kernel = [-1.0f32; 9];
        kernel[4] = 32.0;
        conv3x3(self, kernel, 24.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_taps_follow_libvips() {
        // sigma 1: exp(-x²/2) >= 0.2 for x = 0, 1; mask half-width 1: 20*[e^-0.5, 1, e^-0.5].
        let t = gaussian_taps(1.0, BLUR_MIN_AMPL);
        assert_eq!(t.len(), 3);
        assert!((t[1] - 20.0 / 44.0).abs() < 1e-6, "{t:?}");
        // sharpen's mask reaches x = 2 (exp(-2) = 0.135 >= 0.1): 20*[e^-2, e^-0.5, 1, ...].
        let t = gaussian_taps(1.0, SHARPEN_MIN_AMPL);
        assert_eq!(t.len(), 5);
        assert!((t[0] - 3.0 / 50.0).abs() < 1e-6, "{t:?}");
        assert_eq!(gaussian_taps(1e-6, BLUR_MIN_AMPL), vec![1.0]);
        assert_eq!(gaussian_taps(10.0, BLUR_MIN_AMPL).len(), 2 * 17 + 1);
        let sum: f32 = gaussian_taps(1000.0, BLUR_MIN_AMPL).iter().sum();
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
