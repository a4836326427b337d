//! Pixel-value operations that keep the geometry: `negate`, and on CIE L*a*b* (as
//! libvips does) `normalise` (stretch L* between two percentiles to 0..=100) and
//! `modulate` (scale and shift L*, scale chroma, turn hue: LCh). Alpha is kept.

use super::lab::{self, Lab};
use crate::raster::Raster;

/// sharp's `normalise({ lower, upper })`: the L* percentiles (integers, `lower <
/// upper`, 0..=100) stretched to L* 0 and 100; 0 and 100 mean the minimum and maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normalise {
    pub lower: u8,
    pub upper: u8,
}

impl Default for Normalise {
    /// sharp's defaults: 1% and 99%.
    fn default() -> Self {
        Self {
            lower: 1,
            upper: 99,
        }
    }
}

/// sharp's `modulate({ brightness, saturation, hue, lightness })`, in LCh:
/// `L' = L * brightness + lightness`, `C' = C * saturation`, `h' = h + hue` (degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Modulate {
    pub brightness: f64,
    pub saturation: f64,
    pub hue: f64,
    pub lightness: f64,
}

impl Default for Modulate {
    /// No change.
    fn default() -> Self {
        Self {
            brightness: 1.0,
            saturation: 1.0,
            hue: 0.0,
            lightness: 0.0,
        }
    }
}

/// The L* threshold of `percent` as libvips' `percent` finds it, which sharp's
/// `normalise` uses: L* cast (truncated) to integer levels, a histogram of `levels =
/// max + 1` bins, cumulated and normalised so that its top is `levels - 1` (truncated;
/// thresholds fitted to sharp's output agree with this reading), then the first
/// level whose value exceeds `percent` % of `levels`; `levels` when none does (so 99%
/// of a small histogram can lie above the brightest level, as in sharp).
fn percentile(hist: &[u64; 101], total: u64, percent: u8) -> u8 {
    let top = hist.iter().rposition(|&n| n > 0).unwrap_or(0);
    let wanted = f64::from(percent) / 100.0 * (top + 1) as f64;
    let mut cumulative = 0u64;
    for (level, &n) in hist.iter().enumerate().take(top + 1) {
        cumulative += n;
        let normalised = (cumulative as f64 * top as f64 / total as f64).floor();
        if normalised > wanted {
            return level as u8;
        }
    }
    (top + 1) as u8
}

/// sharp's `negate`: every colour sample `v` becomes `255 - v`; alpha too unless
/// `alpha` is false (sharp's default negates it as well).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negate {
    pub alpha: bool,
}

impl Raster {
    /// The negative of the image (see [`Negate`]).
    pub fn negate(&self, negate: Negate) -> Self {
        let bpp = self.bpp();
        let keep_alpha = self.has_alpha() && !negate.alpha;
        let mut out = self.clone();
        for px in out.data.chunks_exact_mut(bpp) {
            let n = if keep_alpha { bpp - 1 } else { bpp };
            for v in &mut px[..n] {
                *v = 255 - *v;
            }
        }
        out
    }

    /// L*a*b* `f` values of pixel `px` (grey: the level's, neutral).
    fn f_of(&self, space: &Lab, px: &[u8]) -> [f32; 3] {
        if self.is_grey() {
            [space.grey_to_f(px[0]); 3]
        } else {
            space.rgb_to_f([px[0], px[1], px[2]])
        }
    }

    /// Writes the colour of `f` values into `px` (grey: from L* alone).
    fn set_f(&self, space: &Lab, px: &mut [u8], f: [f32; 3]) {
        if self.is_grey() {
            px[0] = space.f_to_grey(f[1], 0.0);
        } else {
            px[..3].copy_from_slice(&space.f_xyz_to_rgb(f));
        }
    }

    /// sharp's `normalise` (see [`Normalise`]): L* stretched linearly so that the
    /// `lower` percentile becomes 0 and the `upper` one 100 (values beyond clip), a*
    /// and b* kept. An image whose range is at most 1 L* is returned unchanged.
    pub fn normalise(&self, n: Normalise) -> Self {
        let space = Lab::new();
        let bpp = self.bpp();
        let mut hist = [0u64; 101];
        let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
        for px in self.data.chunks_exact(bpp) {
            let l = lab::lightness(self.f_of(&space, px)[1]).clamp(0.0, 100.0);
            hist[l as usize] += 1;
            min = min.min(l);
            max = max.max(l);
        }
        let total = (self.data.len() / bpp.max(1)) as u64;
        if total == 0 {
            return self.clone();
        }
        let low = if n.lower == 0 {
            min as i32
        } else {
            i32::from(percentile(&hist, total, n.lower))
        };
        let high = if n.upper == 100 {
            max as i32
        } else {
            i32::from(percentile(&hist, total, n.upper))
        };
        if (high - low).abs() <= 1 {
            return self.clone();
        }
        let scale = 100.0 / (high - low) as f32;
        let offset = -(low as f32) * scale;
        let mut out = self.clone();
        for px in out.data.chunks_exact_mut(bpp) {
            let f = self.f_of(&space, px);
            let l = lab::lightness(f[1]);
            let delta = (l * scale + offset) - l;
            let d = delta / 116.0;
            self.set_f(&space, px, [f[0] + d, f[1] + d, f[2] + d]);
        }
        out
    }

    /// sharp's `modulate` (see [`Modulate`]). Grey images change lightness only.
    pub fn modulate(&self, m: Modulate) -> Self {
        let space = Lab::new();
        let bpp = self.bpp();
        let (brightness, saturation, lightness) =
            (m.brightness as f32, m.saturation as f32, m.lightness as f32);
        let (sin, cos) = (m.hue.to_radians() as f32).sin_cos();
        let mut out = self.clone();
        for px in out.data.chunks_exact_mut(bpp) {
            let [l, a, b] = lab::f_to_lab(self.f_of(&space, px));
            // Scaling chroma and turning hue is a rotation and scaling of (a*, b*).
            let (a2, b2) = (
                saturation * (a * cos - b * sin),
                saturation * (a * sin + b * cos),
            );
            let f = lab::lab_to_f([l * brightness + lightness, a2, b2]);
            self.set_f(&space, px, f);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negates_colour_and_optionally_alpha() {
        let r = Raster::new(1, 1, 4, vec![0, 100, 255, 200]).expect("sizes");
        assert_eq!(r.negate(Negate { alpha: true }).data, vec![255, 155, 0, 55]);
        assert_eq!(
            r.negate(Negate { alpha: false }).data,
            vec![255, 155, 0, 200]
        );
    }

    /// A grey ramp from `lo` to `hi`, 101 pixels wide.
    fn ramp(lo: u8, hi: u8, channels: u8) -> Raster {
        let mut data = Vec::new();
        for x in 0..=100u32 {
            let v = (u32::from(lo) + (u32::from(hi - lo) * x) / 100) as u8;
            data.extend(std::iter::repeat_n(v, usize::from(channels)));
        }
        Raster::new(101, 1, channels, data).expect("sizes")
    }

    #[test]
    fn normalise_stretches_lightness_to_the_full_range() {
        for channels in [1, 3] {
            let r = ramp(80, 160, channels);
            let n = r.normalise(Normalise {
                lower: 0,
                upper: 100,
            });
            let c = usize::from(channels);
            assert!(n.data[0] <= 2, "{:?}", &n.data[..6]);
            assert!(n.data[100 * c] >= 253, "{:?}", &n.data[n.data.len() - 6..]);
            // Monotonic, and neutral stays neutral.
            for x in 1..=100 {
                assert!(n.data[x * c] >= n.data[(x - 1) * c]);
                assert_eq!(n.data[x * c], n.data[x * c + c - 1]);
            }
            // The default percentiles clip the dark end a little; 99% of so few levels
            // lies just above the brightest one (libvips' rule), which stays near white.
            let d = r.normalise(Normalise::default());
            assert!(
                d.data[0] == 0 && d.data[100 * c] >= 245,
                "{:?}",
                &d.data[d.data.len() - 3..]
            );
        }
        // A flat image has no range to stretch.
        let flat = Raster::filled(4, 4, 3, [90, 90, 90, 255]);
        assert_eq!(flat.normalise(Normalise::default()), flat);
    }

    #[test]
    fn modulate_moves_lightness_chroma_and_hue() {
        let red = Raster::filled(2, 2, 3, [200, 40, 40, 255]);
        assert_eq!(red.modulate(Modulate::default()), red);
        let grey = red.modulate(Modulate {
            saturation: 0.0,
            ..Modulate::default()
        });
        assert!(
            grey.data[0].abs_diff(grey.data[1]) <= 1 && grey.data[1].abs_diff(grey.data[2]) <= 1
        );
        let brighter = red.modulate(Modulate {
            brightness: 1.3,
            ..Modulate::default()
        });
        assert!(brighter.data[0] > 200 && brighter.data[1] > 40);
        // Half a turn of hue moves red towards cyan-green.
        let turned = red.modulate(Modulate {
            hue: 180.0,
            ..Modulate::default()
        });
        assert!(
            turned.data[0] < turned.data[1] && turned.data[0] < turned.data[2],
            "{:?}",
            &turned.data[..3]
        );
        // Grey: only lightness applies; alpha is kept.
        let ga = Raster::new(1, 1, 2, vec![100, 50]).expect("sizes");
        let g = ga.modulate(Modulate {
            lightness: 10.0,
            saturation: 3.0,
            ..Modulate::default()
        });
        assert!(g.data[0] > 100 && g.data[1] == 50);
    }
}
