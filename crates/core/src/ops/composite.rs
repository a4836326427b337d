//! sharp's `composite`: overlays drawn over the image after every other operation,
//! each placed by gravity or by `top`/`left` offsets (or tiled over the whole image),
//! blended with `over` (Porter-Duff), `multiply` or `screen` (the separable blend
//! modes of PDF, in libvips' form, which blends premultiplied colours), in sRGB, as
//! libvips does, truncating to 8 bits as it does.
//!
//! An overlay is decoded once per call (the first image that needs it), through the
//! same limits as inputs (`limitInputBytes`, `limitInputPixels`, `failOn`), and shared
//! by every image of a batch.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use super::OpError;
use crate::cancel::CancelFlag;
use crate::codec;
use crate::error::Failure;
use crate::options::ProcessOptions;
use crate::raster::Raster;
use crate::resample::Position;

/// How an overlay mixes with what is below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blend {
    Over,
    Multiply,
    Screen,
}

/// The `blend` names accepted.
pub const BLENDS: &[&str] = &["over", "multiply", "screen"];

impl Blend {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "over" => Some(Self::Over),
            "multiply" => Some(Self::Multiply),
            "screen" => Some(Self::Screen),
            _ => None,
        }
    }

    /// `B(Cb, Cs)` of the PDF blend modes, on 0..=1 values (libvips passes them
    /// premultiplied).
    #[inline]
    fn mix(self, below: f32, over: f32) -> f32 {
        match self {
            Self::Over => over,
            Self::Multiply => below * over,
            Self::Screen => below + over - below * over,
        }
    }
}

/// Where an overlay goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// sharp's `gravity` (default `centre`).
    Gravity(Position),
    /// sharp's `left` and `top`, in pixels from the top-left corner (may be negative;
    /// what falls outside is cut off).
    Offset { left: i64, top: i64 },
}

/// The overlay's bytes, or where to read them.
#[derive(Clone, PartialEq, Eq)]
pub enum LayerInput {
    Path(PathBuf),
    Bytes(Arc<[u8]>),
}

impl fmt::Debug for LayerInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(p) => write!(f, "Path({})", p.display()),
            Self::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

/// One overlay of `composite`.
#[derive(Clone)]
pub struct Layer {
    pub input: LayerInput,
    pub placement: Placement,
    pub blend: Blend,
    pub tile: bool,
    /// The decoded overlay, shared by the images of one call.
    decoded: Arc<OnceLock<Result<Arc<Raster>, Failure>>>,
}

impl Layer {
    pub fn new(input: LayerInput, placement: Placement, blend: Blend, tile: bool) -> Self {
        Self {
            input,
            placement,
            blend,
            tile,
            decoded: Arc::default(),
        }
    }
}

impl PartialEq for Layer {
    fn eq(&self, other: &Self) -> bool {
        (&self.input, self.placement, self.blend, self.tile)
            == (&other.input, other.placement, other.blend, other.tile)
    }
}

impl fmt::Debug for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Layer")
            .field("input", &self.input)
            .field("placement", &self.placement)
            .field("blend", &self.blend)
            .field("tile", &self.tile)
            .finish()
    }
}

/// Reads and decodes an overlay within the call's limits (no EXIF orientation, as in
/// sharp's composite inputs).
fn decode_overlay(
    input: &LayerInput,
    opts: &ProcessOptions,
    cancel: &CancelFlag,
) -> Result<Raster, Failure> {
    let owned;
    let bytes: &[u8] = match input {
        LayerInput::Path(path) => {
            owned = crate::input::read(path, opts.limit_input_bytes)?;
            &owned
        }
        LayerInput::Bytes(b) => {
            if b.len() as u64 > opts.limit_input_bytes {
                return Err(Failure::new(
                    crate::error::ErrorCode::InputTooLarge,
                    format!(
                        "overlay has {} bytes, more than limitInputBytes ({})",
                        b.len(),
                        opts.limit_input_bytes
                    ),
                ));
            }
            b
        }
    };
    let header = codec::probe(bytes)?;
    codec::check_limit(&header, opts.limit_input_pixels)?;
    Ok(codec::decode(
        &bytes,
        &header,
        1,
        false,
        opts.fail_on,
        opts.limit_input_pixels,
        cancel,
    )?)
}

/// A 0..=255 float to 8 bits as libvips' composite writes it: truncated (after a
/// hair of tolerance for float error, so that 100.0 computed as 99.99999 stays 100).
#[inline]
fn truncate_u8(v: f32) -> u8 {
    (v + 1e-3).clamp(0.0, 255.0) as u8
}

/// sharp's `CalculateCrop` by gravity: the top-left corner of an `inner` window in
/// `outer` (centred windows lean right and down by half a pixel).
fn gravity_offset(outer: (u32, u32), inner: (u32, u32), gravity: Position) -> (i64, i64) {
    let dx = i64::from(outer.0) - i64::from(inner.0);
    let dy = i64::from(outer.1) - i64::from(inner.1);
    let (cx, cy) = ((dx + 1) / 2, (dy + 1) / 2);
    match gravity {
        Position::Centre => (cx, cy),
        Position::North => (cx, 0),
        Position::NorthEast => (dx, 0),
        Position::East => (dx, cy),
        Position::SouthEast => (dx, dy),
        Position::South => (cx, dy),
        Position::SouthWest => (0, dy),
        Position::West => (0, cy),
        Position::NorthWest => (0, 0),
    }
}

impl Raster {
    /// Draws every layer of `layers` over this raster, in order.
    ///
    /// Fails the file when an overlay cannot be read or decoded (its own code, the
    /// message naming the layer) or is larger than the image (`ERR_INVALID_OPTION`,
    /// as sharp refuses it, tiled or not).
    pub fn composite(
        self,
        layers: &[Layer],
        opts: &ProcessOptions,
        cancel: &CancelFlag,
    ) -> Result<Self, OpError> {
        let mut base = self;
        for (index, layer) in layers.iter().enumerate() {
            let overlay = layer
                .decoded
                .get_or_init(|| decode_overlay(&layer.input, opts, cancel).map(Arc::new))
                .clone()
                .map_err(|failure| OpError::Overlay { index, failure })?;
            if overlay.width > base.width || overlay.height > base.height {
                return Err(OpError::OverlayTooLarge {
                    index,
                    overlay: (overlay.width, overlay.height),
                    image: (base.width, base.height),
                });
            }
            base = base.draw(&overlay, layer);
            crate::pipeline::check(cancel)
                .map_err(|failure| OpError::Overlay { index, failure })?;
        }
        Ok(base)
    }

    /// Blends one overlay (no larger than this raster) placed as `layer` says.
    fn draw(self, overlay: &Raster, layer: &Layer) -> Self {
        // Work in the channel layout both fit in: colour if either is, alpha if the
        // image has it (an opaque image stays opaque).
        let colour = !self.is_grey() || !overlay.is_grey();
        let base_channels = match (colour, self.has_alpha()) {
            (true, true) => 4,
            (true, false) => 3,
            (false, true) => 2,
            (false, false) => 1,
        };
        let mut base = if base_channels == self.channels {
            self
        } else {
            self.with_channels(base_channels, [0, 0, 0, 255])
        };
        let over = overlay.with_channels(if colour { 4 } else { 2 }, [0, 0, 0, 255]);
        let (bw, bh) = (base.width, base.height);
        let (ow, oh) = (over.width, over.height);
        // Where overlay pixel (0, 0) lands, and for tiles the phase of the pattern.
        let (left, top, tile_phase) = if layer.tile {
            let odd = |n: u32, force: bool| if force { n | 1 } else { n };
            let gravity = match layer.placement {
                Placement::Gravity(g) => g,
                Placement::Offset { .. } => Position::NorthWest,
            };
            use Position as P;
            let across = odd(
                bw.div_ceil(ow),
                matches!(gravity, P::Centre | P::North | P::South),
            );
            let down = odd(
                bh.div_ceil(oh),
                matches!(gravity, P::Centre | P::East | P::West),
            );
            let tiled = (across * ow, down * oh);
            let (x, y) = match layer.placement {
                Placement::Gravity(g) => gravity_offset(tiled, (bw, bh), g),
                Placement::Offset { left, top } => (
                    left.clamp(0, i64::from(tiled.0 - bw)),
                    top.clamp(0, i64::from(tiled.1 - bh)),
                ),
            };
            (0, 0, Some((x as u32, y as u32)))
        } else {
            let (x, y) = match layer.placement {
                Placement::Gravity(g) => gravity_offset((bw, bh), (ow, oh), g),
                Placement::Offset { left, top } => (left, top),
            };
            (x, y, None)
        };
        let bpp = base.bpp();
        let colour_n = bpp - usize::from(base.has_alpha());
        let obpp = over.bpp();
        let blend = layer.blend;
        for y in 0..i64::from(bh) {
            let oy = match tile_phase {
                Some((_, py)) => (y as u32 + py) % oh,
                None => {
                    let oy = y - top;
                    if oy < 0 || oy >= i64::from(oh) {
                        continue;
                    }
                    oy as u32
                }
            };
            for x in 0..i64::from(bw) {
                let ox = match tile_phase {
                    Some((px, _)) => (x as u32 + px) % ow,
                    None => {
                        let ox = x - left;
                        if ox < 0 || ox >= i64::from(ow) {
                            continue;
                        }
                        ox as u32
                    }
                };
                let oi = (oy as usize * ow as usize + ox as usize) * obpp;
                let src = &over.data[oi..oi + obpp];
                let a_s = f32::from(src[obpp - 1]) / 255.0;
                if a_s == 0.0 {
                    continue;
                }
                let bi = (y as usize * bw as usize + x as usize) * bpp;
                let dst = &mut base.data[bi..bi + bpp];
                let a_b = if base_channels % 2 == 0 {
                    f32::from(dst[bpp - 1]) / 255.0
                } else {
                    1.0
                };
                let a_r = a_s + a_b * (1.0 - a_s);
                for c in 0..colour_n {
                    // Premultiplied colours, and libvips' formula for every mode but
                    // over: t1 A + t2 B + t3 f(A, B), f taking premultiplied colours too.
                    let cs = f32::from(src[c]) / 255.0 * a_s;
                    let cb = f32::from(dst[c]) / 255.0 * a_b;
                    let mixed = match blend {
                        Blend::Over => cs + cb * (1.0 - a_s),
                        _ => (1.0 - a_b) * cs + (1.0 - a_s) * cb + a_s * a_b * blend.mix(cb, cs),
                    };
                    dst[c] = truncate_u8(mixed / a_r * 255.0);
                }
                if base_channels % 2 == 0 {
                    dst[bpp - 1] = truncate_u8(a_r * 255.0);
                }
            }
        }
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::test_support::px;

    fn layer(placement: Placement, blend: Blend, tile: bool) -> Layer {
        Layer::new(
            LayerInput::Bytes(Arc::from(&[][..])),
            placement,
            blend,
            tile,
        )
    }

    #[test]
    fn gravity_places_the_overlay_like_sharp() {
        assert_eq!(gravity_offset((10, 10), (3, 3), Position::Centre), (4, 4));
        assert_eq!(
            gravity_offset((10, 10), (3, 3), Position::SouthEast),
            (7, 7)
        );
        assert_eq!(gravity_offset((10, 10), (3, 4), Position::North), (4, 0));
    }

    #[test]
    fn blends_match_the_formulas() {
        let base = Raster::filled(4, 4, 3, [200, 100, 0, 255]);
        let over = Raster::filled(2, 2, 4, [100, 100, 100, 255]);
        let at = Placement::Gravity(Position::SouthEast);
        let out = base.clone().draw(&over, &layer(at, Blend::Over, false));
        assert_eq!(px(&out, 0, 0), &[200, 100, 0]);
        assert_eq!(px(&out, 3, 3), &[100, 100, 100]);
        let m = base.clone().draw(&over, &layer(at, Blend::Multiply, false));
        assert_eq!(px(&m, 3, 3), &[78, 39, 0]);
        let s = base.clone().draw(&over, &layer(at, Blend::Screen, false));
        assert_eq!(px(&s, 3, 3), &[221, 160, 100]);
        let half = Raster::filled(1, 1, 4, [0, 0, 0, 128]);
        let h = base.draw(
            &half,
            &layer(Placement::Offset { left: 0, top: 0 }, Blend::Over, false),
        );
        assert_eq!(px(&h, 0, 0), &[99, 49, 0]);
    }

    #[test]
    fn offsets_clip_and_tiles_cover() {
        let base = Raster::filled(5, 5, 1, [0, 0, 0, 255]);
        let over = Raster::filled(2, 2, 1, [255, 255, 255, 255]);
        let out = base.clone().draw(
            &over,
            &layer(Placement::Offset { left: -1, top: 4 }, Blend::Over, false),
        );
        assert_eq!(out.data.iter().filter(|&&v| v == 255).count(), 1);
        assert_eq!(px(&out, 0, 4), &[255]);
        let tiled = base.draw(
            &over,
            &layer(Placement::Gravity(Position::Centre), Blend::Over, true),
        );
        assert!(tiled.data.iter().all(|&v| v == 255));
    }
}
