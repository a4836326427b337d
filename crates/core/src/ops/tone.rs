//! Pixel-value operations that keep the geometry: `negate`.

use crate::raster::Raster;

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
}
