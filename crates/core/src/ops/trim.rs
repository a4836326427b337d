//! sharp's `trim`: cut off the border that matches a background colour (by default
//! the top-left pixel), found as libvips' `find_trim` finds it. Alpha is flattened
//! onto the background, each channel is median-filtered over 3x3 (unless `line_art`),
//! and a pixel is content when any channel differs from the background by more than
//! `threshold`; the result is the bounding box of the content, grown by `margin`. With
//! alpha, the box of the alpha channel's content (against the background's alpha) is
//! joined to it. An image that is all background is left as it is.

use crate::raster::{Raster, Rgba};

/// sharp's `trim({ background, threshold, lineArt, margin })`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trim {
    /// `None`: the top-left pixel.
    pub background: Option<Rgba>,
    /// Default 10.
    pub threshold: f64,
    /// Skip the median filter (for line art, as in sharp).
    pub line_art: bool,
    /// Pixels kept around the content, default 0.
    pub margin: u32,
}

impl Default for Trim {
    fn default() -> Self {
        Self {
            background: None,
            threshold: 10.0,
            line_art: false,
            margin: 0,
        }
    }
}

/// The median of nine values.
#[inline]
fn median9(mut v: [u8; 9]) -> u8 {
    v.sort_unstable();
    v[4]
}

/// `(left, top, right, bottom)` (exclusive) of the pixels where `content(x, y)` holds,
/// or `None` when there are none.
fn bounding_box(
    w: u32,
    h: u32,
    content: impl Fn(u32, u32) -> bool,
) -> Option<(u32, u32, u32, u32)> {
    let (mut left, mut top, mut right, mut bottom) = (w, h, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if content(x, y) {
                left = left.min(x);
                right = right.max(x + 1);
                top = top.min(y);
                bottom = bottom.max(y + 1);
            }
        }
    }
    (right > left && bottom > top).then_some((left, top, right, bottom))
}

/// The box of the channels `channels` of `r` that differ from `background` (one value
/// per channel) by more than `threshold`.
fn content_box(
    r: &Raster,
    channels: std::ops::Range<usize>,
    background: &[u8],
    threshold: f64,
    line_art: bool,
) -> Option<(u32, u32, u32, u32)> {
    let (w, h, bpp) = (r.width, r.height, r.bpp());
    let at = |x: i64, y: i64, c: usize| {
        let x = x.clamp(0, i64::from(w) - 1) as usize;
        let y = y.clamp(0, i64::from(h) - 1) as usize;
        r.data[(y * w as usize + x) * bpp + c]
    };
    bounding_box(w, h, |x, y| {
        channels.clone().zip(background).any(|(c, &bg)| {
            let v = if line_art {
                at(x.into(), y.into(), c)
            } else {
                let (x, y) = (i64::from(x), i64::from(y));
                median9([
                    at(x - 1, y - 1, c),
                    at(x, y - 1, c),
                    at(x + 1, y - 1, c),
                    at(x - 1, y, c),
                    at(x, y, c),
                    at(x + 1, y, c),
                    at(x - 1, y + 1, c),
                    at(x, y + 1, c),
                    at(x + 1, y + 1, c),
                ])
            };
            f64::from(v.abs_diff(bg)) > threshold
        })
    })
}

impl Raster {
    /// The `(left, top, width, height)` that [`Raster::trim`] keeps, or `None` when
    /// nothing is cut.
    pub fn trim_box(&self, trim: &Trim) -> Option<(u32, u32, u32, u32)> {
        let bpp = self.bpp();
        let top_left: Rgba = match self.channels {
            1 => [self.data[0], self.data[0], self.data[0], 255],
            2 => [self.data[0], self.data[0], self.data[0], self.data[1]],
            3 => [self.data[0], self.data[1], self.data[2], 255],
            _ => [self.data[0], self.data[1], self.data[2], self.data[3]],
        };
        let bg = trim.background.unwrap_or(top_left);
        let colour_n = bpp - usize::from(self.has_alpha());
        let flattened;
        let flat = if self.has_alpha() {
            flattened = self.flatten([bg[0], bg[1], bg[2], 255]);
            &flattened
        } else {
            self
        };
        let bg_colour: Vec<u8> = if colour_n == 1 {
            vec![crate::raster::colour_as(1, bg)[0]]
        } else {
            bg[..3].to_vec()
        };
        let mut found = content_box(flat, 0..colour_n, &bg_colour, trim.threshold, trim.line_art);
        if self.has_alpha() {
            let alpha = content_box(self, bpp - 1..bpp, &[bg[3]], trim.threshold, trim.line_art);
            found = match (found, alpha) {
                (Some(a), Some(b)) => {
                    Some((a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)))
                }
                (a, b) => a.or(b),
            };
        }
        let (l, t, r, b) = found?;
        let m = trim.margin;
        let (l, t) = (l.saturating_sub(m), t.saturating_sub(m));
        let (r, b) = (
            r.saturating_add(m).min(self.width),
            b.saturating_add(m).min(self.height),
        );
        let kept = (l, t, r - l, b - t);
        (kept != (0, 0, self.width, self.height)).then_some(kept)
    }

    /// sharp's `trim` (see the module docs).
    pub fn trim(self, trim: &Trim) -> Self {
        match self.trim_box(trim) {
            Some((l, t, w, h)) => self.crop(l, t, w, h),
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bordered() -> Raster {
        let mut r = Raster::filled(20, 10, 3, [255, 255, 255, 255]);
        for y in 2..7 {
            for x in 3..15 {
                let at = (y * 20 + x) * 3;
                r.data[at..at + 3].copy_from_slice(&[10, 90, 200]);
            }
        }
        r
    }

    #[test]
    fn finds_the_content_box() {
        let r = bordered();
        assert_eq!(r.trim_box(&Trim::default()), Some((3, 2, 12, 5)));
        let m = Trim {
            margin: 1,
            ..Trim::default()
        };
        assert_eq!(r.trim_box(&m), Some((2, 1, 14, 7)));
        // A single stray pixel is removed by the median filter, kept as line art.
        let mut speck = Raster::filled(9, 9, 1, [0, 0, 0, 255]);
        speck.data[4 * 9 + 4] = 255;
        assert_eq!(speck.trim_box(&Trim::default()), None);
        let line = Trim {
            line_art: true,
            ..Trim::default()
        };
        assert_eq!(speck.trim_box(&line), Some((4, 4, 1, 1)));
        let plain = Raster::filled(5, 5, 3, [1, 2, 3, 255]);
        assert_eq!(plain.clone().trim(&Trim::default()), plain);
    }

    #[test]
    fn alpha_content_counts() {
        let mut r = Raster::filled(8, 8, 4, [0, 0, 0, 0]);
        let at = (5 * 8 + 2) * 4;
        for dy in 0..3 {
            for dx in 0..3 {
                let i = at + (dy * 8 + dx) * 4;
                r.data[i..i + 4].copy_from_slice(&[255, 255, 255, 255]);
            }
        }
        assert_eq!(r.trim_box(&Trim::default()), Some((2, 5, 3, 3)));
    }
}
