//! An 8-bit image in memory. The operations on it live in `crate::ops` (geometry and
//! pixels) and `crate::resample` (resizing); this module holds the type, its invariant
//! and the channel-layout conversion every stage needs.

use crate::srgb;

/// Interleaved 8-bit samples, rows packed with no padding.
///
/// Invariant: `data.len() == width * height * channels`, `1 <= channels <= 4`, where
/// 1 is grey, 2 grey+alpha, 3 RGB and 4 RGBA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub data: Vec<u8>,
}

/// An RGBA colour, straight (not premultiplied) alpha.
pub type Rgba = [u8; 4];

impl Raster {
    /// A raster over `data`, or `None` when the sizes disagree.
    pub fn new(width: u32, height: u32, channels: u8, data: Vec<u8>) -> Option<Self> {
        let expected = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(channels as usize)?;
        ((1..=4).contains(&channels) && data.len() == expected).then_some(Self {
            width,
            height,
            channels,
            data,
        })
    }

    /// A raster of one colour.
    pub fn filled(width: u32, height: u32, channels: u8, colour: Rgba) -> Self {
        let pixel = colour_as(channels, colour);
        let n = width as usize * height as usize;
        let mut data = Vec::with_capacity(n * channels as usize);
        for _ in 0..n {
            data.extend_from_slice(&pixel[..channels as usize]);
        }
        Self {
            width,
            height,
            channels,
            data,
        }
    }

    pub fn has_alpha(&self) -> bool {
        self.channels == 2 || self.channels == 4
    }

    pub fn is_grey(&self) -> bool {
        self.channels <= 2
    }

    pub(crate) fn bpp(&self) -> usize {
        self.channels as usize
    }

    /// Builds a `width x height` raster whose pixel `(x, y)` is this raster's pixel
    /// `source(x, y)`.
    pub(crate) fn remap(
        &self,
        width: u32,
        height: u32,
        source: impl Fn(u32, u32) -> (u32, u32),
    ) -> Self {
        let bpp = self.bpp();
        let stride = self.width as usize * bpp;
        let mut data = Vec::with_capacity(width as usize * height as usize * bpp);
        for y in 0..height {
            for x in 0..width {
                let (sx, sy) = source(x, y);
                let at = sy as usize * stride + sx as usize * bpp;
                data.extend_from_slice(&self.data[at..at + bpp]);
            }
        }
        Self {
            width,
            height,
            channels: self.channels,
            data,
        }
    }

    /// The same pixels with `channels` channels: grey is replicated to RGB, alpha is
    /// added (opaque) or dropped (composited over `background`).
    pub fn with_channels(&self, channels: u8, background: Rgba) -> Self {
        if channels == self.channels {
            return self.clone();
        }
        let mut data =
            Vec::with_capacity(self.width as usize * self.height as usize * channels as usize);
        let bg = background;
        let grey = srgb::Grey::new();
        for px in self.data.chunks_exact(self.bpp()) {
            let (rgb, a) = match self.channels {
                1 => ([px[0]; 3], 255),
                2 => ([px[0]; 3], px[1]),
                3 => ([px[0], px[1], px[2]], 255),
                _ => ([px[0], px[1], px[2]], px[3]),
            };
            let keep_alpha = channels == 2 || channels == 4;
            let rgb = if keep_alpha || a == 255 {
                rgb
            } else {
                let blend = |c: u8, b: u8| {
                    ((u32::from(c) * u32::from(a) + u32::from(b) * (255 - u32::from(a)) + 127)
                        / 255) as u8
                };
                [
                    blend(rgb[0], bg[0]),
                    blend(rgb[1], bg[1]),
                    blend(rgb[2], bg[2]),
                ]
            };
            match channels {
                1 | 2 => data.push(grey.of(rgb)),
                _ => data.extend_from_slice(&rgb),
            }
            if keep_alpha {
                data.push(a);
            }
        }
        Self {
            width: self.width,
            height: self.height,
            channels,
            data,
        }
    }
}

/// `colour` laid out for a raster of `channels` channels (grey uses the luminance).
pub(crate) fn colour_as(channels: u8, colour: Rgba) -> Rgba {
    match channels {
        1 | 2 => [
            srgb::grey([colour[0], colour[1], colour[2]]),
            colour[3],
            0,
            0,
        ],
        _ => colour,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Raster;

    /// A 3x2 RGB raster whose pixel (x, y) is [x, y, 10*x + y].
    pub fn sample() -> Raster {
        let mut data = Vec::new();
        for y in 0..2u8 {
            for x in 0..3u8 {
                data.extend_from_slice(&[x, y, 10 * x + y]);
            }
        }
        Raster::new(3, 2, 3, data).expect("consistent sizes")
    }

    /// The samples of pixel (x, y).
    pub fn px(r: &Raster, x: u32, y: u32) -> &[u8] {
        let at = ((y * r.width + x) * u32::from(r.channels)) as usize;
        &r.data[at..at + r.channels as usize]
    }
}
