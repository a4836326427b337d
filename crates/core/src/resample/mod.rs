//! Resizing with sharp's `resize()` semantics: [`plan`] computes the sizes and offsets
//! exactly as sharp does, then [`apply`] decides per axis whether to reduce (Lanczos3,
//! [`reduce`]) or enlarge (libvips' affine grid, [`enlarge`]), and crops or embeds.

pub(crate) mod enlarge;
mod plan;
pub(crate) mod reduce;

pub use plan::{plan, Fit, Placement, Position, ResizePlan, ResizeRequest, FITS, POSITIONS};

use crate::raster::{Raster, Rgba};

/// Why resampling failed. Every variant is a broken invariant (a bug in corepool):
/// plans are validated before pixels are touched.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResampleError {
    #[error("resize failed: {0}")]
    Library(String),
    #[error("resize failed: invalid enlargement scale {0} x {1}")]
    Scale(f64, f64),
    #[error("resize failed: empty enlargement window (window at {0},{1})")]
    EmptyWindow(u32, u32),
    #[error("resize failed: cannot resample a {0}-channel image")]
    Channels(u8),
    #[error("resize failed: the {0} returned a wrong-sized buffer")]
    WrongSize(&'static str),
}

/// Which axes (horizontal, vertical) of the resized image the rotation that follows
/// reverses: a quarter turn clockwise reverses the vertical axis, a half turn both,
/// three quarters the horizontal one. Free rotations count as none.
fn reversed_by_rotation(degrees: f64) -> (bool, bool) {
    match Raster::quarter_turns(degrees) {
        Some(1) => (false, true),
        Some(2) => (true, true),
        Some(3) => (true, false),
        _ => (false, false),
    }
}

/// Carries out `plan` on `raster` (already auto-oriented): the resampled image, cropped
/// or embedded on a `background` canvas. `rotation` is the turn that follows, so that
/// the sampling grid is the one sharp uses when it turns first.
pub(crate) fn apply(
    raster: &Raster,
    plan: &ResizePlan,
    position: Position,
    rotation: f64,
    background: Rgba,
) -> Result<Raster, ResampleError> {
    // Resize on the grid sharp uses when it turns the image first.
    let reversed = reversed_by_rotation(rotation);
    let plan = &plan.centred_from_far_end(reversed, position);
    let (sw, sh) = plan.scaled;
    let (ow, oh) = plan.output;
    let (sx, sy) = plan.scale;
    if sx > 1.0 || sy > 1.0 {
        // Enlarging on at least one axis, as libvips does it: reduce a shrinking axis
        // first (Lanczos3), then resample on libvips' affine grid, that axis at scale
        // 1. Only the part of the scaled image that survives a crop is computed.
        let reduced;
        let source = if sx < 1.0 || sy < 1.0 {
            let w = if sx < 1.0 { sw } else { raster.width };
            let h = if sy < 1.0 { sh } else { raster.height };
            reduced = reduce::resize(raster, None, w, h)?;
            &reduced
        } else {
            raster
        };
        let axis = |scale: f64, scaled_len: u32, reversed: bool| enlarge::Axis {
            scale: scale.max(1.0),
            scaled_len,
            reversed,
        };
        let axes = (axis(sx, sw, reversed.0), axis(sy, sh, reversed.1));
        let window = match plan.mode {
            Placement::Crop => (plan.offset.0, plan.offset.1, ow, oh),
            Placement::Exact | Placement::Embed => (0, 0, sw, sh),
        };
        let scaled = enlarge::enlarge(source, axes, window)?;
        return Ok(match plan.mode {
            Placement::Embed => embed(scaled, plan, background),
            Placement::Exact | Placement::Crop => scaled,
        });
    }
    match plan.mode {
        Placement::Exact => reduce::resize(raster, None, sw, sh),
        Placement::Crop => {
            // Reducing: resample only the window that survives the crop, mapping the
            // output window in the scaled image back to source pixels.
            let fx = f64::from(raster.width) / f64::from(sw);
            let fy = f64::from(raster.height) / f64::from(sh);
            let (left, top) = plan.offset;
            // Clamp: f64 rounding (100 * 8.72 = 872.0000000000001) must not push the
            // window past the source edge.
            let (src_w, src_h) = (f64::from(raster.width), f64::from(raster.height));
            let (win_x, win_y) = (
                (f64::from(left) * fx).min(src_w),
                (f64::from(top) * fy).min(src_h),
            );
            let window = (
                win_x,
                win_y,
                (f64::from(ow) * fx).min(src_w - win_x),
                (f64::from(oh) * fy).min(src_h - win_y),
            );
            reduce::resize(raster, Some(window), ow, oh)
        }
        Placement::Embed => {
            let scaled = reduce::resize(raster, None, sw, sh)?;
            Ok(embed(scaled, plan, background))
        }
    }
}

/// Pastes the resampled image onto the `contain` canvas, adding an alpha channel
/// when the background is translucent.
fn embed(scaled: Raster, plan: &ResizePlan, background: Rgba) -> Raster {
    let scaled = if background[3] < 255 && !scaled.has_alpha() {
        scaled.with_channels(scaled.channels + 1, background)
    } else {
        scaled
    };
    let (ow, oh) = plan.output;
    scaled.embed(ow, oh, plan.offset.0, plan.offset.1, background)
}
