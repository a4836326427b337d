//! Mirroring and EXIF orientation.

use crate::raster::Raster;

impl Raster {
    /// Mirrors top to bottom (sharp's `flip`).
    pub fn flip(&self) -> Self {
        let h = self.height;
        self.remap(self.width, h, |x, y| (x, h - 1 - y))
    }

    /// Mirrors left to right (sharp's `flop`).
    pub fn flop(&self) -> Self {
        let w = self.width;
        self.remap(w, self.height, |x, y| (w - 1 - x, y))
    }

    /// Applies an EXIF orientation (1..=8) so that the result displays upright.
    pub fn orient(self, orientation: u16) -> Self {
        match orientation {
            2 => self.flop(),
            3 => self.rotate_quarters(2),
            4 => self.flip(),
            5 => self.rotate_quarters(1).flop(),
            6 => self.rotate_quarters(1),
            7 => self.rotate_quarters(3).flop(),
            8 => self.rotate_quarters(3),
            _ => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::raster::test_support::{px, sample};

    #[test]
    fn flips_and_orientations() {
        let r = sample();
        assert_eq!(px(&r.flop(), 0, 0), px(&r, 2, 0));
        assert_eq!(px(&r.flip(), 0, 0), px(&r, 0, 1));
        for o in 1..=8 {
            let oriented = r.clone().orient(o);
            let swapped = o >= 5;
            assert_eq!(
                (oriented.width, oriented.height),
                if swapped { (2, 3) } else { (3, 2) }
            );
        }
        // Orientation 6 means the camera was turned clockwise: display = rotate 90 CW.
        assert_eq!(r.clone().orient(6), r.rotate_quarters(1));
    }
}
