//! The sRGB transfer curve and the luminance of a colour, as libvips computes them.

use std::sync::OnceLock;

/// Linear light (0..=1) of each 8-bit sRGB value.
pub(crate) fn to_linear_table() -> &'static [f32; 256] {
    static TABLE: OnceLock<[f32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0f32; 256];
        for (i, v) in t.iter_mut().enumerate() {
            let c = i as f32 / 255.0;
            *v = if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            };
        }
        t
    })
}

/// The grey level of an sRGB colour: its linear-light luminance (Rec. 709
/// weights), encoded back with the sRGB curve, as libvips' `b-w` does. Grey in,
/// the same grey out.
pub(crate) fn grey([r, g, b]: [u8; 3]) -> u8 {
    if r == g && g == b {
        return r;
    }
    let lut = to_linear_table();
    from_linear(0.2126 * lut[r as usize] + 0.7152 * lut[g as usize] + 0.0722 * lut[b as usize])
}

/// The 8-bit sRGB value of linear light `y` (0..=1).
pub(crate) fn from_linear(y: f32) -> u8 {
    let y = y.clamp(0.0, 1.0);
    let c = if y <= 0.003_130_8 {
        12.92 * y
    } else {
        1.055 * y.powf(1.0 / 2.4) - 0.055
    };
    (c * 255.0).round() as u8
}
