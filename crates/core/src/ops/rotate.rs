//! Rotation: exact quarter turns, and free angles onto a `background` canvas.

use crate::raster::{colour_as, Raster, Rgba};

impl Raster {
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

#[cfg(test)]
mod tests {
    use crate::raster::test_support::{px, sample};
    use crate::raster::Raster;

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
    fn free_rotation_grows_the_canvas() {
        let r = Raster::filled(100, 50, 3, [200, 10, 10, 255]);
        let rotated = r.rotate_degrees(45.0, [0, 0, 255, 255]);
        assert_eq!((rotated.width, rotated.height), (106, 106));
        assert_eq!(px(&rotated, 0, 0), &[0, 0, 255]);
        assert_eq!(px(&rotated, 53, 53), &[200, 10, 10]);
    }
}
