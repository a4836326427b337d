//! sharp's crop strategies for `fit: 'cover'` (`position: 'entropy'` and
//! `'attention'`, `sharp.strategy`): where to cut a `width x height` window out of the
//! resized image, chosen as libvips' `smartcrop` chooses it. Images with alpha are
//! searched premultiplied, so content under transparency does not count.
//!
//! - entropy: repeatedly drop the slice (left or right, top or bottom; at most an
//!   eighth of the excess each time) whose histogram entropy is lower.
//! - attention: on a 32x32 reduction, score edges (|5 x Laplacian| of Y), skin tones
//!   (closeness of the XYZ direction to smartcrop.js' skin vector) and saturation (a*
//!   of Lab), ignoring dark pixels; blur, and centre the window on the maximum.

use super::convolve::{gaussian_taps, separable, BLUR_MIN_AMPL};
use crate::raster::Raster;
use crate::resample::reduce;
use crate::srgb;

/// sharp's `sharp.strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Entropy,
    Attention,
}

/// The colour samples of a raster, premultiplied when it has alpha (alpha dropped).
fn premultiplied_colour(r: &Raster) -> Raster {
    if !r.has_alpha() {
        return r.clone();
    }
    let bpp = r.bpp();
    let mut data = Vec::with_capacity(r.data.len() / bpp * (bpp - 1));
    for px in r.data.chunks_exact(bpp) {
        let a = u32::from(px[bpp - 1]);
        data.extend(
            px[..bpp - 1]
                .iter()
                .map(|&c| ((u32::from(c) * a + 127) / 255) as u8),
        );
    }
    Raster {
        width: r.width,
        height: r.height,
        channels: r.channels - 1,
        data,
    }
}

/// The sum over channels of the Shannon entropy (bits) of each channel's histogram
/// in the window.
fn entropy(r: &Raster, left: u32, top: u32, width: u32, height: u32) -> f64 {
    let bpp = r.bpp();
    let mut hist = vec![[0u32; 256]; bpp];
    for y in top..top + height {
        let row = (y as usize * r.width as usize + left as usize) * bpp;
        for px in r.data[row..row + width as usize * bpp].chunks_exact(bpp) {
            for (c, &v) in px.iter().enumerate() {
                hist[c][usize::from(v)] += 1;
            }
        }
    }
    let n = f64::from(width) * f64::from(height);
    hist.iter()
        .flat_map(|h| h.iter())
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

fn entropy_offset(r: &Raster, target: (u32, u32)) -> (u32, u32) {
    let (mut left, mut top) = (0u32, 0u32);
    let (mut width, mut height) = (r.width, r.height);
    let max_slice = ((width - target.0).div_ceil(8)).max((height - target.1).div_ceil(8));
    while width > target.0 || height > target.1 {
        let slice_w = (width - target.0).min(max_slice);
        let slice_h = (height - target.1).min(max_slice);
        if slice_w > 0 {
            let l = entropy(r, left, top, slice_w, height);
            let rt = entropy(r, left + width - slice_w, top, slice_w, height);
            width -= slice_w;
            if l < rt {
                left += slice_w;
            }
        }
        if slice_h > 0 {
            let t = entropy(r, left, top, width, slice_h);
            let b = entropy(r, left, top + height - slice_h, width, slice_h);
            height -= slice_h;
            if t < b {
                top += slice_h;
            }
        }
    }
    (left, top)
}

/// D65 white, Y = 100 (libvips' XYZ scale).
const WHITE: [f32; 3] = [95.047, 100.0, 108.883];

fn attention_offset(r: &Raster, target: (u32, u32)) -> (u32, u32) {
    let (w, h) = (r.width, r.height);
    let hscale = 32.0 / f64::from(w);
    let vscale = 32.0 / f64::from(h);
    let sigma = ((f64::from(target.0) * hscale).powi(2) + (f64::from(target.1) * vscale).powi(2))
        .sqrt()
        / 10.0;
    let sigma = sigma.max(1.0);
    let small = match reduce::resize(r, None, 32, 32) {
        Ok(s) => s,
        Err(_) => return ((w - target.0) / 2, (h - target.1) / 2),
    };
    let (sw, sh) = (small.width as usize, small.height as usize);
    let bpp = small.bpp();
    let lin = srgb::linear_f32();
    // XYZ (Y 0..=100) of every pixel.
    let xyz: Vec<[f32; 3]> = small
        .data
        .chunks_exact(bpp)
        .map(|px| {
            let (r, g, b) = if bpp >= 3 {
                (
                    lin[usize::from(px[0])],
                    lin[usize::from(px[1])],
                    lin[usize::from(px[2])],
                )
            } else {
                let v = lin[usize::from(px[0])];
                (v, v, v)
            };
            [
                100.0 * (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b),
                100.0 * (0.212_672_9 * r + 0.715_152_2 * g + 0.072_175_0 * b),
                100.0 * (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b),
            ]
        })
        .collect();
    let y_at = |x: i64, y: i64| {
        let x = x.clamp(0, sw as i64 - 1) as usize;
        let y = y.clamp(0, sh as i64 - 1) as usize;
        xyz[y * sw + x][1]
    };
    let f = |t: f32| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    const SKIN: [f32; 3] = [-0.78, -0.57, -0.44];
    let mut score = Vec::with_capacity(sw * sh);
    for y in 0..sh {
        for x in 0..sw {
            let [cx, cy, cz] = xyz[y * sw + x];
            let (xi, yi) = (x as i64, y as i64);
            let laplace = 4.0 * cy
                - y_at(xi - 1, yi)
                - y_at(xi + 1, yi)
                - y_at(xi, yi - 1)
                - y_at(xi, yi + 1);
            let edge = (5.0 * laplace).abs();
            let (skin, saturation) = if cy > 5.0 {
                let norm = (cx * cx + cy * cy + cz * cz).sqrt();
                let n = [cx / norm, cy / norm, cz / norm];
                let d = ((n[0] + SKIN[0]).powi(2)
                    + (n[1] + SKIN[1]).powi(2)
                    + (n[2] + SKIN[2]).powi(2))
                .sqrt();
                let a = 500.0 * (f(cx / WHITE[0]) - f(cy / WHITE[1]));
                (100.0 - 100.0 * d, a)
            } else {
                (0.0, 0.0)
            };
            score.push(edge + skin + saturation);
        }
    }
    let blurred = separable(&score, sw, sh, 1, &gaussian_taps(sigma, BLUR_MIN_AMPL));
    let (mut best, mut at) = (f32::NEG_INFINITY, 0usize);
    for (i, &v) in blurred.iter().enumerate() {
        if v > best {
            best = v;
            at = i;
        }
    }
    let (bx, by) = ((at % sw) as f64, (at / sw) as f64);
    let ax = (bx / hscale) as i64;
    let ay = (by / vscale) as i64;
    let left = (ax - i64::from(target.0 / 2)).clamp(0, i64::from(w - target.0));
    let top = (ay - i64::from(target.1 / 2)).clamp(0, i64::from(h - target.1));
    (left as u32, top as u32)
}

impl Raster {
    /// The top-left corner of the `width x height` window (no larger than the raster)
    /// that `strategy` keeps.
    pub fn smart_crop_offset(&self, width: u32, height: u32, strategy: Strategy) -> (u32, u32) {
        let target = (width.min(self.width), height.min(self.height));
        let searched = premultiplied_colour(self);
        match strategy {
            Strategy::Entropy => entropy_offset(&searched, target),
            Strategy::Attention => attention_offset(&searched, target),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat grey image with a busy (noisy, red) square at `(x, y)`.
    fn busy_at(x0: u32, y0: u32) -> Raster {
        let mut r = Raster::filled(120, 80, 3, [90, 90, 90, 255]);
        let mut seed = 7u32;
        for y in y0..y0 + 20 {
            for x in x0..x0 + 20 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let at = ((y * 120 + x) * 3) as usize;
                r.data[at..at + 3].copy_from_slice(&[
                    200 + (seed >> 28) as u8,
                    (seed >> 24) as u8,
                    20,
                ]);
            }
        }
        r
    }

    #[test]
    fn both_strategies_find_the_busy_corner() {
        let r = busy_at(95, 55);
        for s in [Strategy::Entropy, Strategy::Attention] {
            let (l, t) = r.smart_crop_offset(40, 40, s);
            assert!(l + 40 >= 115 && t + 40 >= 75, "{s:?}: {l},{t}");
        }
        let r = busy_at(2, 3);
        for s in [Strategy::Entropy, Strategy::Attention] {
            assert_eq!(r.smart_crop_offset(40, 40, s), (0, 0), "{s:?}");
        }
    }
}
