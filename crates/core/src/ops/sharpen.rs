//! sharp's `sharpen`: the fast mild 3x3 sharpen (`sharpen: true`, in `convolve`), or
//! with a `sigma` libvips' unsharp mask on the lightness of CIE L*a*b*: L* is blurred
//! with a Gaussian of `sigma` (libvips' mask: out to 0.1 of its peak), and the difference between L* and its blur, passed
//! through a curve of slopes `m1` (flat areas, |difference| < `x1`) and `m2` (jagged
//! areas) clipped to `y2` brightening and `y3` darkening, is added back. Colour
//! (a*, b*) and alpha are unchanged.

use super::convolve::{gaussian_taps, separable_banded_with, SHARPEN_MIN_AMPL};
use super::lab;
use crate::raster::Raster;

/// sharp's `sharpen({ sigma, m1, m2, x1, y2, y3 })`, with sharp's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharpenParams {
    /// Gaussian sigma of the mask, 0.000001..=10.
    pub sigma: f64,
    /// Slope in flat areas, default 1.
    pub m1: f64,
    /// Slope in jagged areas, default 2.
    pub m2: f64,
    /// Threshold between flat and jagged, in L* units, default 2.
    pub x1: f64,
    /// Most brightening, default 10.
    pub y2: f64,
    /// Most darkening, default 20.
    pub y3: f64,
}

impl SharpenParams {
    /// The parameters with sharp's defaults for `sigma`.
    pub fn with_sigma(sigma: f64) -> Self {
        Self {
            sigma,
            m1: 1.0,
            m2: 2.0,
            x1: 2.0,
            y2: 10.0,
            y3: 20.0,
        }
    }

    /// The change of L* for a difference `v` between L* and its blur.
    fn curve(&self, v: f32) -> f32 {
        let (m1, m2, x1) = (self.m1 as f32, self.m2 as f32, self.x1 as f32);
        let y = if v < -x1 {
            (v + x1) * m2 - x1 * m1
        } else if v < x1 {
            v * m1
        } else {
            (v - x1) * m2 + x1 * m1
        };
        y.clamp(-(self.y3 as f32), self.y2 as f32)
    }
}

/// sharp's `sharpen`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sharpen {
    /// `sharpen: true`: the fast mild 3x3 sharpen.
    Mild,
    /// `sharpen: { sigma, ... }`: the unsharp mask on L*.
    Lab(SharpenParams),
}

impl Raster {
    /// sharp's `sharpen` (see [`Sharpen`]).
    pub fn sharpen(&self, sharpen: &Sharpen) -> Self {
        match sharpen {
            Sharpen::Mild => self.sharpen_mild(),
            Sharpen::Lab(p) if self.has_alpha() => self.sharpen_lab_premultiplied(p),
            Sharpen::Lab(p) => self.sharpen_lab(p),
        }
    }

    /// With alpha, sharp sharpens premultiplied colour (it premultiplies before the
    /// resize and unpremultiplies after the convolutions), so transparent pixels lend
    /// no colour to the mask. Premultiplied here to 8 bits, sharpened, unpremultiplied.
    fn sharpen_lab_premultiplied(&self, p: &SharpenParams) -> Self {
        let (w, bpp) = (self.width as usize, self.bpp());
        let row_len = w * bpp;
        let mut row = vec![0f32; row_len];
        let mut pre = self.clone();
        for (y, out) in pre.data.chunks_exact_mut(row_len.max(1)).enumerate() {
            self.premultiplied_row(y, &mut row);
            for (o, &v) in out.iter_mut().zip(&row) {
                *o = super::alpha::round_u8(v);
            }
        }
        let mut sharpened = pre.sharpen_lab(p);
        for chunk in sharpened.data.chunks_exact_mut(row_len.max(1)) {
            for (o, &v) in row.iter_mut().zip(chunk.iter()) {
                *o = f32::from(v);
            }
            self.unpremultiplied_row(&row, chunk);
        }
        sharpened
    }

    fn sharpen_lab(&self, p: &SharpenParams) -> Self {
        let (w, h, bpp) = (self.width as usize, self.height as usize, self.bpp());
        let row_len = w * bpp;
        let grey = self.is_grey();
        let space = lab::Lab::new();
        // Each band converts its rows to L*a*b*'s `f` values once; the blur reads L*
        // from them and each output row moves every pixel's L* by the curve of its
        // difference from the blur.
        let band_f = |rows: std::ops::Range<usize>| {
            let first = rows.start;
            let mut f = Vec::with_capacity(rows.len() * w);
            for px in self.data[rows.start * row_len..rows.end * row_len].chunks_exact(bpp) {
                f.push(if grey {
                    [space.grey_to_f(px[0]); 3]
                } else {
                    space.rgb_to_f([px[0], px[1], px[2]])
                });
            }
            (first, f)
        };
        fn row_f(state: &(usize, Vec<[f32; 3]>), y: usize, w: usize) -> &[[f32; 3]] {
            let at = (y - state.0) * w;
            &state.1[at..at + w]
        }
        let mut out = self.clone();
        separable_banded_with(
            (w, h, 1),
            &gaussian_taps(p.sigma, SHARPEN_MIN_AMPL),
            band_f,
            |state, y, row| {
                for (l, f) in row.iter_mut().zip(row_f(state, y, w)) {
                    *l = lab::lightness(f[1]);
                }
            },
            &mut out.data,
            row_len,
            |state, y, blurred, out_row| {
                for (x, (&b, f)) in blurred.iter().zip(row_f(state, y, w)).enumerate() {
                    let l = lab::lightness(f[1]);
                    let delta = (l + p.curve(l - b)).clamp(0.0, 100.0) - l;
                    // Too small a change to show: keep the pixel (see UNCHANGED_DELTA).
                    if delta.abs() < UNCHANGED_DELTA {
                        continue;
                    }
                    let o = &mut out_row[x * bpp..(x + 1) * bpp];
                    if grey {
                        o[0] = space.f_to_grey(f[1], delta);
                    } else {
                        o[..3].copy_from_slice(&space.f_to_rgb(*f, delta));
                    }
                }
            },
        );
        out
    }
}

/// Changes of L* below this keep the pixel as it is (see `sharpen_lab`): computed, they
/// would leave a grey as it is and move a channel by at most one level, near the edge of
/// the sRGB gamut (checked on a grid of colours below; libvips' own round trip through
/// 16-bit L*a*b* moves pixels as much). A third of the pixels of our photos resized to
/// 1920 wide skip the conversion back to sRGB.
const UNCHANGED_DELTA: f32 = 0.0625;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_has_sharps_shape() {
        let p = SharpenParams::with_sigma(1.0);
        assert_eq!(p.curve(1.0), 1.0);
        assert_eq!(p.curve(3.0), 4.0);
        assert_eq!(p.curve(100.0), 10.0);
        assert_eq!(p.curve(-100.0), -20.0);
    }

    #[test]
    fn lab_sharpen_steepens_an_edge_and_keeps_flat_areas() {
        let flat = Raster::filled(6, 6, 3, [120, 80, 40, 255]);
        assert_eq!(
            flat.sharpen(&Sharpen::Lab(SharpenParams::with_sigma(1.0))),
            flat
        );
        let mut edge = Raster::filled(8, 2, 3, [60, 60, 60, 255]);
        for y in 0..2 {
            for x in 4..8 {
                let at = (y * 8 + x) * 3;
                edge.data[at..at + 3].copy_from_slice(&[160, 160, 160]);
            }
        }
        let s = edge.sharpen(&Sharpen::Lab(SharpenParams::with_sigma(1.0)));
        assert!(s.data[3 * 3] < 60, "{:?}", &s.data[..24]);
        assert!(s.data[4 * 3] > 160, "{:?}", &s.data[..24]);
        // Grey stays grey, neutral colours stay neutral.
        assert_eq!(s.data[4 * 3], s.data[4 * 3 + 1]);
    }

    #[test]
    fn changes_below_the_skip_threshold_barely_move_pixels() {
        let space = lab::Lab::new();
        let levels: Vec<u8> = (0..=255).step_by(3).chain([1, 2, 254, 255]).collect();
        for d in [UNCHANGED_DELTA * 0.99, -UNCHANGED_DELTA * 0.99] {
            for &v in &levels {
                assert_eq!(space.f_to_grey(space.grey_to_f(v), d), v, "grey {v} {d}");
                for &g in &levels {
                    for b in [0u8, 7, 64, 128, 200, 255] {
                        let rgb = [v, g, b];
                        let moved = space.f_to_rgb(space.rgb_to_f(rgb), d);
                        for c in 0..3 {
                            assert!(moved[c].abs_diff(rgb[c]) <= 1, "{rgb:?} {d}: {moved:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn lab_sharpen_with_alpha_works_on_premultiplied_colour() {
        let params = Sharpen::Lab(SharpenParams::with_sigma(1.0));
        // Opaque alpha: the same colour as without alpha, alpha kept.
        let mut opaque = Raster::filled(8, 2, 4, [60, 60, 60, 255]);
        let mut plain = Raster::filled(8, 2, 3, [60, 60, 60, 255]);
        for y in 0..2 {
            for x in 4..8 {
                opaque.data[(y * 8 + x) * 4..(y * 8 + x) * 4 + 3].copy_from_slice(&[160; 3]);
                plain.data[(y * 8 + x) * 3..(y * 8 + x) * 3 + 3].copy_from_slice(&[160; 3]);
            }
        }
        let (a, b) = (opaque.sharpen(&params), plain.sharpen(&params));
        for (pa, pb) in a.data.chunks_exact(4).zip(b.data.chunks_exact(3)) {
            assert_eq!(&pa[..3], pb);
            assert_eq!(pa[3], 255);
        }
        // Bright colour under zero alpha next to an opaque dark area: premultiplied,
        // it is black, so the mask sees no edge and the dark side keeps its level.
        let mut hidden = Raster::filled(8, 2, 4, [60, 60, 60, 255]);
        for y in 0..2 {
            for x in 4..8 {
                hidden.data[(y * 8 + x) * 4..(y * 8 + x) * 4 + 4]
                    .copy_from_slice(&[250, 250, 250, 0]);
            }
        }
        let s = hidden.sharpen(&params);
        assert!(s.data[3 * 4] >= 60, "{:?}", &s.data[..32]);
        assert_eq!(s.data[4 * 4 + 3], 0);
    }
}
