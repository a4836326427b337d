//! Geometry around the resize: `extract` (a region of the auto-oriented input, before
//! resizing) and `extend` (padding after resizing), with sharp's semantics.

use super::OpError;
use crate::raster::{Raster, Rgba};

/// A rectangle of the image, sharp's `extract({ left, top, width, height })`.
///
/// Invariant (checked by the parser): `width >= 1` and `height >= 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

impl Region {
    /// `Ok` when the region lies inside a `width x height` image, else the error that
    /// fails that file (`ERR_INVALID_OPTION`: the option does not fit this image).
    pub fn check_within(&self, width: u32, height: u32) -> Result<(), OpError> {
        let right = u64::from(self.left) + u64::from(self.width);
        let bottom = u64::from(self.top) + u64::from(self.height);
        if right <= u64::from(width) && bottom <= u64::from(height) {
            Ok(())
        } else {
            Err(OpError::ExtractOutside {
                region: *self,
                width,
                height,
            })
        }
    }
}

/// Padding in pixels on each side, sharp's `extend`, filled with `background`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extend {
    pub top: u32,
    pub bottom: u32,
    pub left: u32,
    pub right: u32,
    pub background: Rgba,
}

impl Extend {
    /// The size of a `width x height` image once extended (saturating: the output
    /// limit refuses anything that large before pixels are allocated).
    pub fn size(&self, (width, height): (u32, u32)) -> (u32, u32) {
        (
            width.saturating_add(self.left).saturating_add(self.right),
            height.saturating_add(self.top).saturating_add(self.bottom),
        )
    }
}

impl Raster {
    /// The pixels of `region`, which must lie inside (see [`Region::check_within`]).
    pub fn extract(&self, region: &Region) -> Result<Self, OpError> {
        region.check_within(self.width, self.height)?;
        Ok(self.crop(region.left, region.top, region.width, region.height))
    }

    /// This raster on a larger canvas of `extend.background`, as sharp's `extend`
    /// with `extendWith: 'background'`. A translucent background adds an alpha
    /// channel; a coloured one turns a grey image into RGB.
    pub fn extend(&self, extend: &Extend) -> Self {
        let bg = extend.background;
        let coloured = bg[0] != bg[1] || bg[1] != bg[2];
        let mut channels = self.channels;
        if coloured && self.is_grey() {
            channels += 2;
        }
        if bg[3] < 255 && channels % 2 == 1 {
            channels += 1;
        }
        let (width, height) = extend.size((self.width, self.height));
        let src = if channels == self.channels {
            std::borrow::Cow::Borrowed(self)
        } else {
            std::borrow::Cow::Owned(self.with_channels(channels, bg))
        };
        src.embed(width, height, extend.left, extend.top, bg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::test_support::{px, sample};

    #[test]
    fn extract_takes_the_region_and_refuses_one_outside() {
        let r = sample();
        let region = Region {
            left: 1,
            top: 1,
            width: 2,
            height: 1,
        };
        let out = r.extract(&region).expect("inside");
        assert_eq!((out.width, out.height), (2, 1));
        assert_eq!(px(&out, 0, 0), px(&r, 1, 1));
        let outside = Region { width: 3, ..region };
        assert!(matches!(
            r.extract(&outside),
            Err(OpError::ExtractOutside { .. })
        ));
    }

    #[test]
    fn extend_pads_with_the_background_and_adds_alpha_when_translucent() {
        let r = sample();
        let e = Extend {
            top: 1,
            bottom: 2,
            left: 3,
            right: 4,
            background: [9, 8, 7, 255],
        };
        let out = r.extend(&e);
        assert_eq!((out.width, out.height, out.channels), (10, 5, 3));
        assert_eq!(px(&out, 0, 0), &[9, 8, 7]);
        assert_eq!(px(&out, 9, 4), &[9, 8, 7]);
        assert_eq!(px(&out, 3, 1), px(&r, 0, 0));
        let clear = r.extend(&Extend {
            background: [0, 0, 0, 0],
            ..e
        });
        assert_eq!(clear.channels, 4);
        assert_eq!(px(&clear, 0, 0), &[0, 0, 0, 0]);
        assert_eq!(px(&clear, 3, 1)[3], 255);
    }
}
