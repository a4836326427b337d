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

    /// The samples as `f32`, colour premultiplied by alpha (0..=255 scale) when the
    /// raster has alpha.
    pub(crate) fn to_premultiplied_f32(&self) -> Vec<f32> {
        let mut out: Vec<f32> = self.data.iter().map(|&v| f32::from(v)).collect();
        if self.has_alpha() {
            let bpp = self.bpp();
            for px in out.chunks_exact_mut(bpp) {
                let a = px[bpp - 1] / 255.0;
                for c in &mut px[..bpp - 1] {
                    *c *= a;
                }
            }
        }
        out
    }

    /// The inverse of [`Raster::to_premultiplied_f32`]: a raster shaped like `self`
    /// from (premultiplied) samples, rounded and clamped to 0..=255.
    pub(crate) fn with_premultiplied_f32(&self, samples: &[f32]) -> Self {
        let bpp = self.bpp();
        let alpha = self.has_alpha();
        let mut data = Vec::with_capacity(samples.len());
        for px in samples.chunks_exact(bpp) {
            if alpha {
                let a = px[bpp - 1].clamp(0.0, 255.0);
                let scale = if a > 0.0 { 255.0 / a } else { 0.0 };
                for &c in &px[..bpp - 1] {
                    data.push(round_u8(c * scale));
                }
                data.push(round_u8(a));
            } else {
                data.extend(px.iter().map(|&c| round_u8(c)));
            }
        }
        Self {
            width: self.width,
            height: self.height,
            channels: self.channels,
            data,
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
        let back = r.with_premultiplied_f32(&r.to_premultiplied_f32());
        assert_eq!(back.data, vec![200, 100, 50, 128, 0, 0, 0, 0]);
    }
}
