//! The sRGB transfer curve and the luminance of a colour, as libvips computes them.
//!
//! [`grey`] runs once per pixel of every grey output, so it works from two lookup
//! tables instead of calling `powf`: 8-bit sRGB to 16-bit linear light, and 16-bit
//! linear light back to 8-bit sRGB. The 16-bit steps are fine enough that the result
//! equals the floating-point formula's, or is one level off where that formula lands
//! within a hair of a rounding boundary (checked against it for every grey level and a
//! grid of colours in the tests).

use std::sync::OnceLock;

/// Linear light (0..=1) of an sRGB value (0..=1).
fn decode_curve(c: f64) -> f64 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// The sRGB value (0..=1) of linear light `y` (0..=1).
fn encode_curve(y: f64) -> f64 {
    if y <= 0.003_130_8 {
        12.92 * y
    } else {
        1.055 * y.powf(1.0 / 2.4) - 0.055
    }
}

/// Linear light of each 8-bit sRGB value, in 1/65535 steps.
fn linear16() -> &'static [u16; 256] {
    static TABLE: OnceLock<[u16; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0u16; 256];
        for (i, v) in t.iter_mut().enumerate() {
            *v = (decode_curve(i as f64 / 255.0) * 65535.0).round() as u16;
        }
        t
    })
}

/// Linear light (0..=1) of each 8-bit sRGB value, as `f32`, for the operations that
/// work in linear light or CIE Lab (`crate::ops`).
pub(crate) fn linear_f32() -> &'static [f32; 256] {
    static TABLE: OnceLock<[f32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0f32; 256];
        for (i, v) in t.iter_mut().enumerate() {
            *v = decode_curve(i as f64 / 255.0) as f32;
        }
        t
    })
}

/// The 8-bit sRGB value of each 16-bit linear-light level.
pub(crate) fn encode16() -> &'static [u8; 65536] {
    static TABLE: OnceLock<Box<[u8; 65536]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Box::new([0u8; 65536]);
        for (i, v) in t.iter_mut().enumerate() {
            *v = (encode_curve(i as f64 / 65535.0) * 255.0).round() as u8;
        }
        t
    })
}

/// Rec. 709 luminance weights in 1/65536 steps; they sum to exactly 65536, so a grey
/// colour's luminance is its own linear level.
const WEIGHTS: [u32; 3] = [13933, 46871, 4732];

/// The grey level of an sRGB colour: its linear-light luminance (Rec. 709 weights),
/// encoded back with the sRGB curve, as libvips' `b-w` does. Grey in, the same grey
/// out.
#[inline]
pub(crate) fn grey(rgb: [u8; 3]) -> u8 {
    Grey::new().of(rgb)
}

/// [`grey`] with its tables looked up once, for loops over many pixels.
#[derive(Clone, Copy)]
pub(crate) struct Grey {
    linear: &'static [u16; 256],
    encode: &'static [u8; 65536],
}

impl Grey {
    pub(crate) fn new() -> Self {
        Self {
            linear: linear16(),
            encode: encode16(),
        }
    }

    #[inline]
    pub(crate) fn of(&self, [r, g, b]: [u8; 3]) -> u8 {
        let l = |v: u8| u32::from(self.linear[usize::from(v)]);
        let y = (WEIGHTS[0] * l(r) + WEIGHTS[1] * l(g) + WEIGHTS[2] * l(b) + (1 << 15)) >> 16;
        // y <= 65535: the weights sum to 65536 and each level is at most 65535.
        self.encode[y as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The floating-point formula the tables stand for.
    fn exact(rgb: [u8; 3]) -> f64 {
        let lin = |v: u8| decode_curve(f64::from(v) / 255.0);
        encode_curve(0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])) * 255.0
    }

    #[test]
    fn grey_levels_map_to_themselves() {
        for v in 0..=255u8 {
            assert_eq!(grey([v, v, v]), v);
        }
    }

    #[test]
    fn tables_agree_with_the_formula() {
        let mut off = 0;
        let mut total = 0;
        for r in (0..=255u8).step_by(5) {
            for g in (0..=255u8).step_by(3) {
                for b in (0..=255u8).step_by(7) {
                    let want = exact([r, g, b]);
                    let got = f64::from(grey([r, g, b]));
                    assert!((got - want).abs() < 0.55, "{r},{g},{b}: {got} vs {want}");
                    off += usize::from(got != want.round());
                    total += 1;
                }
            }
        }
        // Off by one only where the formula sits on a rounding boundary.
        assert!(
            off * 100 < total,
            "{off} of {total} differ from the rounded formula"
        );
    }

    #[test]
    fn pure_red_is_about_127() {
        assert!((126..=128).contains(&grey([255, 0, 0])));
    }
}
