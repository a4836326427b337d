//! An 8-bit image in memory and the geometric and colour operations on it that do not
//! resample: right-angle rotations, flips, grayscale, embedding on a canvas, and
//! free-angle rotation.

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

    fn bpp(&self) -> usize {
        self.channels as usize
    }

    /// Builds a `width x height` raster whose pixel `(x, y)` is this raster's pixel
    /// `source(x, y)`.
    fn remap(&self, width: u32, height: u32, source: impl Fn(u32, u32) -> (u32, u32)) -> Self {
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

    /// Rotates clockwise by `quarter_turns * 90` degrees.
    pub fn rotate_quarters(&self, quarter_turns: u32) -> Self {
        let (w, h) = (self.width, self.height);
        match quarter_turns % 4 {
            0 => self.clone(),
            1 => self.remap(h, w, |x, y| (y, h - 1 - x)),
            2 => self.remap(w, h, |x, y| (w - 1 - x, h - 1 - y)),
            _ => self.remap(h, w, |x, y| (w - 1 - y, x)),
        }
    }

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
        for px in self.data.chunks_exact(self.bpp()) {
            data.push(srgb::grey([px[0], px[1], px[2]]));
            if alpha {
                data.push(px[3]);
            }
        }
        Self {
            width: self.width,
            height: self.height,
            channels: out_channels as u8,
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
                1 | 2 => data.push(srgb::grey(rgb)),
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

    /// How many clockwise quarter turns (0 to 3) a rotation by `degrees` is, or
    /// `None` for a free angle.
    pub fn quarter_turns(degrees: f64) -> Option<u32> {
        let normalised = degrees.rem_euclid(360.0);
        (normalised % 90.0 == 0.0).then(|| (normalised / 90.0) as u32)
    }

    /// The canvas size after [`Raster::rotate_degrees`] of a `width x height` raster.
    pub fn rotated_size(width: u32, height: u32, degrees: f64) -> (u32, u32) {
        match Self::quarter_turns(degrees) {
            Some(turns) if turns % 2 == 0 => return (width, height),
            Some(_) => return (height, width),
            None => {}
        }
        let normalised = degrees.rem_euclid(360.0);
        let (sin, cos) = normalised.to_radians().sin_cos();
        let (w, h) = (f64::from(width), f64::from(height));
        let out_w = (w * cos.abs() + h * sin.abs())
            .round()
            .clamp(1.0, f64::from(u32::MAX)) as u32;
        let out_h = (w * sin.abs() + h * cos.abs())
            .round()
            .clamp(1.0, f64::from(u32::MAX)) as u32;
        (out_w, out_h)
    }

    /// Rotates clockwise by any angle in degrees. Right angles are exact; other angles
    /// enlarge the canvas to the rotated bounding box, fill the corners with
    /// `background` and sample bilinearly, as sharp does.
    pub fn rotate_degrees(&self, degrees: f64, background: Rgba) -> Self {
        if let Some(turns) = Self::quarter_turns(degrees) {
            return self.rotate_quarters(turns);
        }
        let normalised = degrees.rem_euclid(360.0);
        // Corners need the background's alpha when it is not opaque.
        let src = if background[3] < 255 && !self.has_alpha() {
            self.with_channels(if self.is_grey() { 2 } else { 4 }, background)
        } else {
            self.clone()
        };
        let theta = normalised.to_radians();
        let (sin, cos) = theta.sin_cos();
        let (w, h) = (f64::from(src.width), f64::from(src.height));
        let (out_w, out_h) = Self::rotated_size(src.width, src.height, normalised);
        let bpp = src.bpp();
        let bg = colour_as(src.channels, background);
        let (cx, cy) = (w / 2.0, h / 2.0);
        let (ox, oy) = (f64::from(out_w) / 2.0, f64::from(out_h) / 2.0);
        let mut data = Vec::with_capacity(out_w as usize * out_h as usize * bpp);
        let sample = |x: i64, y: i64, c: usize| -> f64 {
            if x < 0 || y < 0 || x >= i64::from(src.width) || y >= i64::from(src.height) {
                f64::from(bg[c])
            } else {
                f64::from(src.data[(y as usize * src.width as usize + x as usize) * bpp + c])
            }
        };
        for y in 0..out_h {
            for x in 0..out_w {
                // Inverse mapping: destination pixel centre back into the source.
                let dx = f64::from(x) + 0.5 - ox;
                let dy = f64::from(y) + 0.5 - oy;
                let sx = cos * dx + sin * dy + cx - 0.5;
                let sy = -sin * dx + cos * dy + cy - 0.5;
                let (x0, y0) = (sx.floor(), sy.floor());
                let (fx, fy) = (sx - x0, sy - y0);
                let (x0, y0) = (x0 as i64, y0 as i64);
                for c in 0..bpp {
                    let top = sample(x0, y0, c) * (1.0 - fx) + sample(x0 + 1, y0, c) * fx;
                    let bottom =
                        sample(x0, y0 + 1, c) * (1.0 - fx) + sample(x0 + 1, y0 + 1, c) * fx;
                    data.push((top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8);
                }
            }
        }
        Self {
            width: out_w,
            height: out_h,
            channels: src.channels,
            data,
        }
    }
}

/// `colour` laid out for a raster of `channels` channels (grey uses the luminance).
fn colour_as(channels: u8, colour: Rgba) -> Rgba {
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

/// The sRGB transfer curve.
mod srgb {
    use std::sync::OnceLock;

    /// Linear light (0..=1) of each 8-bit sRGB value.
    pub fn to_linear_table() -> &'static [f32; 256] {
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
    pub fn grey([r, g, b]: [u8; 3]) -> u8 {
        if r == g && g == b {
            return r;
        }
        let lut = to_linear_table();
        from_linear(0.2126 * lut[r as usize] + 0.7152 * lut[g as usize] + 0.0722 * lut[b as usize])
    }

    /// The 8-bit sRGB value of linear light `y` (0..=1).
    pub fn from_linear(y: f32) -> u8 {
        let y = y.clamp(0.0, 1.0);
        let c = if y <= 0.003_130_8 {
            12.92 * y
        } else {
            1.055 * y.powf(1.0 / 2.4) - 0.055
        };
        (c * 255.0).round() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 RGB raster whose pixel (x, y) is [x, y, 10*x + y].
    fn sample() -> Raster {
        let mut data = Vec::new();
        for y in 0..2u8 {
            for x in 0..3u8 {
                data.extend_from_slice(&[x, y, 10 * x + y]);
            }
        }
        Raster::new(3, 2, 3, data).expect("consistent sizes")
    }

    fn px(r: &Raster, x: u32, y: u32) -> &[u8] {
        let at = ((y * r.width + x) * u32::from(r.channels)) as usize;
        &r.data[at..at + r.channels as usize]
    }

    #[test]
    fn quarter_turns_normalise_and_refuse_free_angles() {
        assert_eq!(Raster::quarter_turns(0.0), Some(0));
        assert_eq!(Raster::quarter_turns(-90.0), Some(3));
        assert_eq!(Raster::quarter_turns(450.0), Some(1));
        assert_eq!(Raster::quarter_turns(180.0), Some(2));
        assert_eq!(Raster::quarter_turns(45.0), None);
        assert_eq!(Raster::rotated_size(3, 2, 270.0), (2, 3));
        assert_eq!(Raster::rotated_size(3, 2, -180.0), (3, 2));
    }

    #[test]
    fn quarter_turns_move_corners_clockwise() {
        let r = sample();
        let cw = r.rotate_quarters(1);
        assert_eq!((cw.width, cw.height), (2, 3));
        // The bottom-left corner (0, 1) becomes the top-left.
        assert_eq!(px(&cw, 0, 0), px(&r, 0, 1));
        assert_eq!(px(&cw, 1, 0), px(&r, 0, 0));
        let half = r.rotate_quarters(2);
        assert_eq!(px(&half, 0, 0), px(&r, 2, 1));
        let ccw = r.rotate_quarters(3);
        assert_eq!(px(&ccw, 0, 0), px(&r, 2, 0));
        assert_eq!(r.rotate_quarters(1).rotate_quarters(3), r);
    }

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

    #[test]
    fn grey_is_luminance() {
        let r = Raster::new(2, 1, 3, vec![255, 255, 255, 255, 0, 0]).expect("sizes");
        let g = r.to_grey();
        assert_eq!(g.channels, 1);
        assert_eq!(g.data[0], 255);
        // Pure red has linear luminance 0.2126, about 127 after the sRGB curve.
        assert!((126..=128).contains(&g.data[1]), "{}", g.data[1]);
    }

    #[test]
    fn embed_and_crop_round_trip() {
        let r = sample();
        let canvas = r.embed(5, 4, 1, 2, [9, 9, 9, 255]);
        assert_eq!(px(&canvas, 0, 0), &[9, 9, 9]);
        assert_eq!(canvas.crop(1, 2, 3, 2), r);
    }

    #[test]
    fn free_rotation_grows_the_canvas() {
        let r = Raster::filled(100, 50, 3, [200, 10, 10, 255]);
        let rotated = r.rotate_degrees(45.0, [0, 0, 255, 255]);
        assert_eq!((rotated.width, rotated.height), (106, 106));
        assert_eq!(px(&rotated, 0, 0), &[0, 0, 255]);
        assert_eq!(px(&rotated, 53, 53), &[200, 10, 10]);
    }
}
