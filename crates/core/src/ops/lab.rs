//! CIE L*a*b* (D65) for the operations that work on lightness, as libvips does: an
//! 8-bit sRGB pixel's `f(X/Xn), f(Y), f(Z/Zn)` and back. Only L* changes in those
//! operations, so the functions work in the `f` domain, where changing L* by `d`
//! shifts all three values by `d / 116` and a* and b* stay as they were.

use std::sync::OnceLock;

use crate::srgb;

/// D65 white, with Y = 1.
const XN: f32 = 0.950_47;
const ZN: f32 = 1.088_83;
/// Linear sRGB to XYZ (D65).
const TO_XYZ: [[f32; 3]; 3] = [
    [0.412_456_4, 0.357_576_1, 0.180_437_5],
    [0.212_672_9, 0.715_152_2, 0.072_175_0],
    [0.019_333_9, 0.119_192, 0.950_304_1],
];
/// XYZ (D65) to linear sRGB, the inverse of [`TO_XYZ`].
const TO_RGB: [[f32; 3]; 3] = [
    [3.240_454_2, -1.537_138_5, -0.498_531_4],
    [-0.969_266, 1.876_010_8, 0.041_556_0],
    [0.055_643_4, -0.204_025_9, 1.057_225_2],
];
const EPSILON: f32 = 216.0 / 24389.0;
const KAPPA: f32 = 24389.0 / 27.0;

/// The exact `f` of CIE Lab: a cube root above `EPSILON`, linear below.
fn f_exact(t: f32) -> f32 {
    if t > EPSILON {
        t.cbrt()
    } else {
        (KAPPA * t + 16.0) / 116.0
    }
}

/// Steps of the `f` table over 0..=[`F_TABLE_MAX`].
const F_STEPS: usize = 4096;
const F_TABLE_MAX: f32 = 1.0625;

/// `f` at `F_STEPS + 1` evenly spaced points of 0..=`F_TABLE_MAX`.
fn f_table() -> &'static [f32; F_STEPS + 1] {
    static TABLE: OnceLock<Box<[f32; F_STEPS + 1]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Box::new([0f32; F_STEPS + 1]);
        for (i, v) in t.iter_mut().enumerate() {
            *v = f_exact(i as f32 * F_TABLE_MAX / F_STEPS as f32);
        }
        t
    })
}

#[inline]
fn f_inverse(v: f32) -> f32 {
    let cube = v * v * v;
    if cube > EPSILON {
        cube
    } else {
        (116.0 * v - 16.0) / KAPPA
    }
}

/// The tables of the conversions, looked up once per operation so that the per-pixel
/// functions below are plain arithmetic and loads.
#[derive(Clone, Copy)]
pub(crate) struct Lab {
    linear: &'static [f32; 256],
    f: &'static [f32; F_STEPS + 1],
    encode: &'static [u8; 65536],
}

impl Lab {
    pub(crate) fn new() -> Self {
        Self {
            linear: srgb::linear_f32(),
            f: f_table(),
            encode: srgb::encode16(),
        }
    }

    /// `f` of CIE Lab, interpolated in the table (within 1e-5 of the formula: the cube
    /// root is smooth above `EPSILON`, and below it `f` is linear), exact outside it.
    #[inline]
    fn f(&self, t: f32) -> f32 {
        if !(0.0..F_TABLE_MAX).contains(&t) {
            return f_exact(t);
        }
        let pos = t * (F_STEPS as f32 / F_TABLE_MAX);
        let i = pos as usize;
        let frac = pos - i as f32;
        self.f[i] + (self.f[i + 1] - self.f[i]) * frac
    }

    #[inline]
    fn encode(&self, y: f32) -> u8 {
        self.encode[(y.clamp(0.0, 1.0) * 65535.0 + 0.5) as usize]
    }

    /// An sRGB pixel in the `f` domain of L*a*b*: `[f(X/Xn), f(Y), f(Z/Zn)]`.
    #[inline]
    pub(crate) fn rgb_to_f(&self, rgb: [u8; 3]) -> [f32; 3] {
        let l = [
            self.linear[usize::from(rgb[0])],
            self.linear[usize::from(rgb[1])],
            self.linear[usize::from(rgb[2])],
        ];
        let dot = |m: [f32; 3]| m[0] * l[0] + m[1] * l[1] + m[2] * l[2];
        [
            self.f(dot(TO_XYZ[0]) / XN),
            self.f(dot(TO_XYZ[1])),
            self.f(dot(TO_XYZ[2]) / ZN),
        ]
    }

    /// The `f` value of a grey level (only Y matters).
    #[inline]
    pub(crate) fn grey_to_f(&self, v: u8) -> f32 {
        self.f(self.linear[usize::from(v)])
    }

    /// The sRGB pixel of `fxyz` with L* moved by `delta`, out-of-gamut values clipped.
    #[inline]
    pub(crate) fn f_to_rgb(&self, fxyz: [f32; 3], delta: f32) -> [u8; 3] {
        let d = delta / 116.0;
        let x = XN * f_inverse(fxyz[0] + d);
        let y = f_inverse(fxyz[1] + d);
        let z = ZN * f_inverse(fxyz[2] + d);
        let dot = |m: [f32; 3]| m[0] * x + m[1] * y + m[2] * z;
        [
            self.encode(dot(TO_RGB[0])),
            self.encode(dot(TO_RGB[1])),
            self.encode(dot(TO_RGB[2])),
        ]
    }

    /// The sRGB pixel of the `f` values `[f(X/Xn), f(Y), f(Z/Zn)]`, out-of-gamut values
    /// clipped (for operations that change a* and b* too).
    #[inline]
    pub(crate) fn f_xyz_to_rgb(&self, fxyz: [f32; 3]) -> [u8; 3] {
        self.f_to_rgb(fxyz, 0.0)
    }

    /// The grey level of `fy` with L* moved by `delta`.
    #[inline]
    pub(crate) fn f_to_grey(&self, fy: f32, delta: f32) -> u8 {
        self.encode(f_inverse(fy + delta / 116.0))
    }
}

/// L* (0..=100) of an `f(Y)`.
#[inline]
pub(crate) fn lightness(fy: f32) -> f32 {
    116.0 * fy - 16.0
}

/// `[L*, a*, b*]` of `f` values.
#[inline]
pub(crate) fn f_to_lab(f: [f32; 3]) -> [f32; 3] {
    [
        lightness(f[1]),
        500.0 * (f[0] - f[1]),
        200.0 * (f[1] - f[2]),
    ]
}

/// The `f` values of `[L*, a*, b*]` (the inverse of [`f_to_lab`]).
#[inline]
pub(crate) fn lab_to_f(lab: [f32; 3]) -> [f32; 3] {
    let fy = (lab[0] + 16.0) / 116.0;
    [fy + lab[1] / 500.0, fy, fy - lab[2] / 200.0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_values() {
        let lab = Lab::new();
        for rgb in [[0u8, 0, 0], [255, 255, 255], [200, 30, 30], [12, 200, 99]] {
            assert_eq!(lab.f_to_rgb(lab.rgb_to_f(rgb), 0.0), rgb);
        }
        assert!((lightness(lab.rgb_to_f([255, 255, 255])[1]) - 100.0).abs() < 0.01);
        // sRGB 119 is L* 50 (to within a level).
        assert!((lightness(lab.grey_to_f(119)) - 50.0).abs() < 0.5);
        assert_eq!(lab.f_to_grey(lab.grey_to_f(77), 0.0), 77);
        assert!(lab.f_to_grey(lab.grey_to_f(77), 10.0) > 77);
        for rgb in [[200u8, 30, 30], [12, 200, 99]] {
            let f = lab.rgb_to_f(rgb);
            assert_eq!(lab.f_xyz_to_rgb(lab_to_f(f_to_lab(f))), rgb);
        }
        // sRGB red is about L* 53, a* 80, b* 67.
        let red = f_to_lab(lab.rgb_to_f([255, 0, 0]));
        assert!(
            (red[0] - 53.2).abs() < 0.5 && (red[1] - 80.1).abs() < 0.5,
            "{red:?}"
        );
    }

    #[test]
    fn the_f_table_is_close_to_the_formula() {
        let lab = Lab::new();
        for i in 0..=20_000 {
            let t = i as f32 / 19_000.0;
            assert!((lab.f(t) - f_exact(t)).abs() < 1e-5, "{t}");
        }
    }
}
