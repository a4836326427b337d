//! Alpha: `flatten` (merging alpha onto a background, sharp's `flatten`), and the
//! premultiplied floating-point form that the convolutions work on, so that colour
//! from transparent pixels does not bleed into visible ones (as libvips does).

use crate::raster::{Raster, Rgba};

impl Raster {
    /// Drops the alpha channel, blending each pixel over `background` (sharp's
    /// `flatten`). A raster without alpha is returned as it is.
    pub fn flatten(&self, background: Rgba) -> Self {
        if !self.has_alpha() {
            return self.clone();
        }
        self.with_channels(self.channels - 1, background)
    }

    /// Row `y` as `f32` samples into `out`, colour premultiplied by alpha (0..=255
    /// scale) when the raster has alpha.
    pub(crate) fn premultiplied_row(&self, y: usize, out: &mut [f32]) {
        let bpp = self.bpp();
        let row_len = self.width as usize * bpp;
        let src = &self.data[y * row_len..(y + 1) * row_len];
        if self.has_alpha() {
            for (o, px) in out.chunks_exact_mut(bpp).zip(src.chunks_exact(bpp)) {
                let a = f32::from(px[bpp - 1]);
                for c in 0..bpp - 1 {
                    o[c] = f32::from(px[c]) * a / 255.0;
                }
                o[bpp - 1] = a;
            }
        } else {
            for (o, &v) in out.iter_mut().zip(src) {
                *o = f32::from(v);
            }
        }
    }

    /// The inverse of [`Raster::premultiplied_row`]: 8-bit samples of a row shaped
    /// like this raster's, rounded and clamped to 0..=255.
    pub(crate) fn unpremultiplied_row(&self, samples: &[f32], out: &mut [u8]) {
        let bpp = self.bpp();
        if self.has_alpha() {
            for (o, px) in out.chunks_exact_mut(bpp).zip(samples.chunks_exact(bpp)) {
                let a = px[bpp - 1].clamp(0.0, 255.0);
                let scale = if a > 0.0 { 255.0 / a } else { 0.0 };
                for c in 0..bpp - 1 {
                    o[c] = round_u8(px[c] * scale);
                }
                o[bpp - 1] = round_u8(a);
            }
        } else {
            for (o, &v) in out.iter_mut().zip(samples) {
                *o = round_u8(v);
            }
        }
    }
}

/// `v` rounded to the nearest level and clamped to 0..=255.
#[inline]
pub(crate) fn round_u8(v: f32) -> u8 {
    (v + 0.5).clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use crate::raster::Raster;

    #[test]
    fn flatten_blends_over_the_background() {
        let r = Raster::new(2, 1, 4, vec![200, 0, 0, 255, 200, 0, 0, 0]).expect("sizes");
        let flat = r.flatten([0, 0, 255, 255]);
        assert_eq!(flat.channels, 3);
        assert_eq!(flat.data, vec![200, 0, 0, 0, 0, 255]);
        let grey = Raster::new(1, 1, 2, vec![100, 128]).expect("sizes");
        assert_eq!(grey.flatten([0, 0, 0, 255]).data, vec![50]);
    }

    #[test]
    fn premultiplied_round_trip() {
        let r = Raster::new(2, 1, 4, vec![200, 100, 50, 128, 1, 2, 3, 0]).expect("sizes");
        let mut row = vec![0f32; 8];
        r.premultiplied_row(0, &mut row);
        let mut back = vec![0u8; 8];
        r.unpremultiplied_row(&row, &mut back);
        assert_eq!(back, vec![200, 100, 50, 128, 0, 0, 0, 0]);
    }
}
