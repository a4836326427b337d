//! Placing a raster on a canvas, and cutting a window out of one.

use crate::raster::{Raster, Rgba};

impl Raster {
    /// Places this raster at `(left, top)` on a `width x height` canvas of `background`.
    /// Parts that fall outside the canvas are cut off.
    pub fn embed(&self, width: u32, height: u32, left: u32, top: u32, background: Rgba) -> Self {
        let mut canvas = Self::filled(width, height, self.channels, background);
        let bpp = self.bpp();
        let copy_w = self.width.min(width.saturating_sub(left)) as usize;
        for y in 0..self.height.min(height.saturating_sub(top)) as usize {
            let src = y * self.width as usize * bpp;
            let dst = ((top as usize + y) * width as usize + left as usize) * bpp;
            canvas.data[dst..dst + copy_w * bpp]
                .copy_from_slice(&self.data[src..src + copy_w * bpp]);
        }
        canvas
    }

    /// Cuts out the `width x height` window at `(left, top)`, which must lie inside.
    pub fn crop(&self, left: u32, top: u32, width: u32, height: u32) -> Self {
        self.remap(width, height, |x, y| (left + x, top + y))
    }
}

#[cfg(test)]
mod tests {
    use crate::raster::test_support::{px, sample};

    #[test]
    fn embed_and_crop_round_trip() {
        let r = sample();
        let canvas = r.embed(5, 4, 1, 2, [9, 9, 9, 255]);
        assert_eq!(px(&canvas, 0, 0), &[9, 9, 9]);
        assert_eq!(canvas.crop(1, 2, 3, 2), r);
    }
}
