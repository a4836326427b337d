//! Grayscale.

use crate::raster::Raster;
use crate::srgb;

impl Raster {
    /// Converts to grey (+alpha), like libvips' `b-w` colourspace: the luminance Y of
    /// the linear-light RGB, encoded back with the sRGB curve.
    pub fn to_grey(&self) -> Self {
        if self.is_grey() {
            return self.clone();
        }
        let alpha = self.has_alpha();
        let out_channels = if alpha { 2 } else { 1 };
        let mut data =
            Vec::with_capacity(self.width as usize * self.height as usize * out_channels);
        let grey = srgb::Grey::new();
        if alpha {
            for px in self.data.chunks_exact(4) {
                data.push(grey.of([px[0], px[1], px[2]]));
                data.push(px[3]);
            }
        } else {
            data.extend(
                self.data
                    .chunks_exact(3)
                    .map(|px| grey.of([px[0], px[1], px[2]])),
            );
        }
        Self {
            width: self.width,
            height: self.height,
            channels: out_channels as u8,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::raster::Raster;

    #[test]
    fn grey_is_luminance() {
        let r = Raster::new(2, 1, 3, vec![255, 255, 255, 255, 0, 0]).expect("sizes");
        let g = r.to_grey();
        assert_eq!(g.channels, 1);
        assert_eq!(g.data[0], 255);
        // Pure red has linear luminance 0.2126, about 127 after the sRGB curve.
        assert!((126..=128).contains(&g.data[1]), "{}", g.data[1]);
    }
}
