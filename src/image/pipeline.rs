//! One image, bytes in, bytes out. The order of operations is fixed, whatever the
//! order of keys in the options object:
//!
//! 1. decode (header checked against `limitInputPixels` first; JPEG shrink-on-load)
//! 2. auto-orient (EXIF)
//! 3. resize (width/height/fit/position/withoutEnlargement, like sharp's `resize`)
//! 4. rotate (clockwise, degrees)
//! 5. flip, then flop
//! 6. grayscale
//! 7. encode (same format as the input unless `format` says otherwise)

use super::decode::{self, DecodeError, Header};
use super::encode;
use super::geometry::{self, Placement, ResizeRequest};
use super::jpeg;
use super::options::{Format, ProcessOptions};
use super::raster::Raster;
use super::resize;
use super::upsample;
use crate::error::{ErrorCode, Failure};

/// An encoded result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub data: Vec<u8>,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub channels: u8,
}

impl From<DecodeError> for Failure {
    fn from(err: DecodeError) -> Self {
        let code = match err {
            DecodeError::Empty | DecodeError::Unsupported(_) => ErrorCode::InputUnsupported,
            DecodeError::Corrupt(_) => ErrorCode::InputCorrupt,
            DecodeError::TooLarge { .. } | DecodeError::LimitExceeded(_) => {
                ErrorCode::InputTooLarge
            }
        };
        Failure::new(code, err.to_string())
    }
}

/// The format written for `header` under `opts`.
pub fn output_format(header_format: Format, opts: &ProcessOptions) -> Format {
    match opts.format {
        Some(format) => format,
        None if header_format.is_writable() => header_format,
        None => Format::Png,
    }
}

fn resize_request(opts: &ProcessOptions) -> Option<ResizeRequest> {
    (opts.width.is_some() || opts.height.is_some()).then_some(ResizeRequest {
        width: opts.width,
        height: opts.height,
        fit: opts.fit,
        position: opts.position,
        without_enlargement: opts.without_enlargement,
        without_reduction: opts.without_reduction,
    })
}

/// Encodes the finished raster, refusing sizes the format cannot store with
/// `ERR_INPUT_TOO_LARGE` instead of an encoder failure.
pub fn encode_output(
    raster: &Raster,
    format: Format,
    opts: &ProcessOptions,
) -> Result<Vec<u8>, Failure> {
    let max = encode::max_dimension(format);
    if raster.width > max || raster.height > max {
        return Err(Failure::new(
            ErrorCode::InputTooLarge,
            format!(
                "output {}x{} is larger than {} can store ({max} pixels per side)",
                raster.width,
                raster.height,
                format.name()
            ),
        ));
    }
    encode::encode(raster, format, opts.quality, opts.lossless, opts.background)
        .map_err(|e| Failure::internal(format!("cannot encode {}: {e}", format.name())))
}

/// Runs the whole pipeline on an encoded image.
pub fn process(bytes: &[u8], opts: &ProcessOptions) -> Result<Encoded, Failure> {
    let header = decode::probe(bytes)?;
    decode::check_limit(&header, opts.limit_input_pixels)?;
    let format = output_format(header.format, opts);
    let raster = transform(bytes, &header, opts)?;
    let data = encode_output(&raster, format, opts)?;
    Ok(Encoded {
        data,
        format,
        width: raster.width,
        height: raster.height,
        channels: raster.channels,
    })
}

/// Decodes and applies every operation, returning the raster to encode.
pub fn transform(bytes: &[u8], header: &Header, opts: &ProcessOptions) -> Result<Raster, Failure> {
    let swapped = opts.auto_orient && header.orientation >= 5;
    let request = resize_request(opts);
    let mut plan = request.map(|req| geometry::plan(header.oriented_size(opts.auto_orient), &req));
    // JPEG shrink-on-load, decided as sharp decides it; sharp then plans the resize on
    // the shrunk size, so do the same to get the same dimensions and sampling grid.
    let denominator = match (header.format, plan) {
        (Format::Jpeg, Some(p)) => {
            let at_least = if swapped {
                (p.scaled.1, p.scaled.0)
            } else {
                p.scaled
            };
            jpeg::shrink_denominator((header.width, header.height), at_least)
        }
        _ => 1,
    };
    if denominator > 1 {
        let (w, h) = decode::shrunk_size(header, denominator);
        let loaded = if swapped { (h, w) } else { (w, h) };
        plan = request.map(|req| geometry::plan(loaded, &req));
    }
    if let Some(plan) = &plan {
        let pixels = u64::from(plan.output.0) * u64::from(plan.output.1);
        if opts.limit_input_pixels.is_some_and(|limit| pixels > limit) {
            return Err(Failure::new(
                ErrorCode::InputTooLarge,
                format!(
                    "output {}x{} would exceed limitInputPixels",
                    plan.output.0, plan.output.1
                ),
            ));
        }
    }
    // Without alpha, a grey output can be decoded straight to grey.
    let grey_decode = opts.grayscale && !header.has_alpha;
    let mut raster = decode::decode(
        bytes,
        header,
        denominator,
        grey_decode,
        opts.fail_on,
        opts.limit_input_pixels,
    )?;
    if opts.auto_orient {
        raster = raster.orient(header.orientation);
    }
    if let Some(plan) = plan {
        raster = apply_plan(&raster, &plan, opts)?;
    }
    if opts.rotation != 0.0 {
        let (w, h) = Raster::rotated_size(raster.width, raster.height, opts.rotation);
        let pixels = u64::from(w) * u64::from(h);
        if opts.limit_input_pixels.is_some_and(|limit| pixels > limit) {
            return Err(Failure::new(
                ErrorCode::InputTooLarge,
                format!("rotated output {w}x{h} would exceed limitInputPixels"),
            ));
        }
        raster = raster.rotate_degrees(opts.rotation, opts.background);
    }
    if opts.flip {
        raster = raster.flip();
    }
    if opts.flop {
        raster = raster.flop();
    }
    if opts.grayscale && !raster.is_grey() {
        raster = raster.to_grey();
    }
    Ok(raster)
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

fn apply_plan(
    raster: &Raster,
    plan: &geometry::ResizePlan,
    opts: &ProcessOptions,
) -> Result<Raster, Failure> {
    let resize_failed = |e: String| Failure::internal(format!("resize failed: {e}"));
    // Resize on the grid sharp uses when it turns the image first.
    let reversed = reversed_by_rotation(opts.rotation);
    let plan = &plan.centred_from_far_end(reversed, opts.position);
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
            reduced = resize::resize(raster, None, w, h).map_err(resize_failed)?;
            &reduced
        } else {
            raster
        };
        let axis = |scale: f64, scaled_len: u32, reversed: bool| upsample::Axis {
            scale: scale.max(1.0),
            scaled_len,
            reversed,
        };
        let axes = (axis(sx, sw, reversed.0), axis(sy, sh, reversed.1));
        let window = match plan.mode {
            Placement::Crop => (plan.offset.0, plan.offset.1, ow, oh),
            Placement::Exact | Placement::Embed => (0, 0, sw, sh),
        };
        let scaled = upsample::enlarge(source, axes, window).map_err(resize_failed)?;
        return Ok(match plan.mode {
            Placement::Embed => embed(scaled, plan, opts),
            Placement::Exact | Placement::Crop => scaled,
        });
    }
    match plan.mode {
        Placement::Exact => resize::resize(raster, None, sw, sh).map_err(resize_failed),
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
            resize::resize(raster, Some(window), ow, oh).map_err(resize_failed)
        }
        Placement::Embed => {
            let scaled = resize::resize(raster, None, sw, sh).map_err(resize_failed)?;
            Ok(embed(scaled, plan, opts))
        }
    }
}

/// Pastes the resampled image onto the `contain` canvas, adding an alpha channel
/// when the background is translucent.
fn embed(scaled: Raster, plan: &geometry::ResizePlan, opts: &ProcessOptions) -> Raster {
    let bg = opts.background;
    let scaled = if bg[3] < 255 && !scaled.has_alpha() {
        scaled.with_channels(scaled.channels + 1, bg)
    } else {
        scaled
    };
    let (ow, oh) = plan.output;
    scaled.embed(ow, oh, plan.offset.0, plan.offset.1, bg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::geometry::Fit;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let raster = Raster::filled(w, h, 3, [200, 30, 30, 255]);
        encode::encode(&raster, Format::Jpeg, Some(90), false, [0, 0, 0, 255]).expect("encodes")
    }

    #[test]
    fn the_users_case_contain_then_rotate() {
        let opts = ProcessOptions {
            width: Some(800),
            height: Some(600),
            fit: Fit::Contain,
            rotation: 90.0,
            grayscale: true,
            ..ProcessOptions::default()
        };
        let out = process(&jpeg(1000, 872), &opts).expect("processes");
        assert_eq!(
            (out.width, out.height, out.channels, out.format),
            (600, 800, 1, Format::Jpeg)
        );
        let back = decode::probe(&out.data).expect("decodes");
        assert_eq!((back.width, back.height, back.channels), (600, 800, 1));
    }

    #[test]
    fn bad_bytes_give_coded_failures() {
        let opts = ProcessOptions::default();
        assert_eq!(
            process(b"", &opts).map(|_| ()).unwrap_err().code,
            ErrorCode::InputUnsupported
        );
        assert_eq!(
            process(b"text", &opts).map(|_| ()).unwrap_err().code,
            ErrorCode::InputUnsupported
        );
        let mut truncated = jpeg(64, 64);
        truncated.truncate(truncated.len() / 2);
        assert_eq!(
            process(&truncated, &opts).map(|_| ()).unwrap_err().code,
            ErrorCode::InputCorrupt
        );
    }
}
