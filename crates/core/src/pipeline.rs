//! One image, bytes in, bytes out. The order of operations is fixed, whatever the
//! order of keys in the options object:
//!
//! 1. decode (header checked against `limitInputPixels` first; JPEG shrink-on-load,
//!    except with `extract` or `trim`, which need the full-size image, as in sharp)
//! 2. auto-orient (EXIF)
//! 3. extract (a region of the oriented input)
//! 4. trim
//! 5. resize (width/height/fit/position/withoutEnlargement, like sharp's `resize`;
//!    `position: 'entropy' | 'attention'` resizes the whole image, then crops where
//!    the content is, as sharp's strategies do)
//! 6. extend
//! 7. rotate (clockwise, degrees)
//! 8. flip, then flop
//! 9. blur, modulate, sharpen (as sharp orders them; blur and sharpen not both)
//! 10. flatten
//! 11. grayscale
//! 12. composite
//! 13. normalise
//! 14. negate
//! 15. encode (same format as the input unless `format` says otherwise)
//!
//! Cancellation is checked at every stage boundary: a raised [`CancelFlag`] stops the
//! work there with `ERR_ABORTED`, before anything is written.

use std::path::Path;

use crate::cancel::CancelFlag;
use crate::codec::{self, Format, Header, Source};
use crate::error::{ErrorCode, Failure};
use crate::input::InputFile;
use crate::options::ProcessOptions;
use crate::raster::Raster;
use crate::resample;

/// An encoded result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub data: Vec<u8>,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub channels: u8,
}

/// `Err(ERR_ABORTED)` once `cancel` is raised.
pub(crate) fn check(cancel: &CancelFlag) -> Result<(), Failure> {
    if cancel.is_cancelled() {
        Err(Failure::aborted())
    } else {
        Ok(())
    }
}

/// Runs the whole pipeline on an encoded image in memory.
pub fn process(
    bytes: &[u8],
    opts: &ProcessOptions,
    cancel: &CancelFlag,
) -> Result<Encoded, Failure> {
    check(cancel)?;
    if bytes.len() as u64 > opts.limit_input_bytes {
        return Err(Failure::new(
            ErrorCode::InputTooLarge,
            format!(
                "input has {} bytes, more than limitInputBytes ({})",
                bytes.len(),
                opts.limit_input_bytes
            ),
        ));
    }
    let header = codec::probe_at(bytes, opts.density)?;
    process_source(&bytes, &header, opts, cancel)
}

/// Runs the whole pipeline on the image file at `path`, which is read as the decoder
/// needs it (see [`codec::decode`]), never copied into memory whole for JPEG, PNG, GIF,
/// BMP or TIFF.
pub fn process_path(
    path: &Path,
    opts: &ProcessOptions,
    cancel: &CancelFlag,
) -> Result<Encoded, Failure> {
    check(cancel)?;
    let input = InputFile::open_within(path, opts.limit_input_bytes)?;
    let header = crate::metadata::probe_at(&input, opts.limit_input_bytes, opts.density)?;
    process_source(&input, &header, opts, cancel)
}

/// The pipeline after the header was read.
fn process_source(
    src: &dyn Source,
    header: &Header,
    opts: &ProcessOptions,
    cancel: &CancelFlag,
) -> Result<Encoded, Failure> {
    codec::check_limit(header, opts.limit_input_pixels)?;
    if let Some(info) = crate::animate::wanted(src, header, opts) {
        return crate::animate::process(src, header, &info, opts, cancel);
    }
    let _in_flight = crate::recycle::ImageInFlight::enter();
    let format = opts.output_format(header.format);
    let raster = transform(src, header, format, opts, cancel)?;
    let meta = kept_metadata(src, header, format, opts)?;
    let data = codec::encode_with_metadata(&raster, format, &opts.encode_settings(format), &meta)?;
    let encoded = Encoded {
        data,
        format,
        width: raster.width,
        height: raster.height,
        channels: codec::encoded_channels(format, raster.channels),
    };
    crate::recycle::PIXELS.give(raster.data);
    Ok(encoded)
}

/// The most bytes read from the start of an input for its metadata blocks.
const METADATA_PREFIX: u64 = 16 << 20;

/// The input's metadata that an output in `format` keeps (`keepMetadata`, `keepExif`,
/// `keepIccProfile`), read from the start of `src`: EXIF with its orientation reset to 1
/// when the pixels were auto-oriented; the ICC profile only where the pixels were left
/// in it (not after `grayscale`, which converts them to sRGB first).
pub(crate) fn kept_metadata(
    src: &dyn Source,
    header: &Header,
    format: Format,
    opts: &ProcessOptions,
) -> Result<codec::Embedded, Failure> {
    let e = &opts.encoder;
    let (exif, icc, xmp) = (
        e.keeps_exif(format),
        keeps_profile(format, opts),
        e.keeps_xmp(format),
    );
    if !(exif || icc || xmp) {
        return Ok(codec::Embedded::default());
    }
    let bytes = codec::source::prefix(src, src.len().min(METADATA_PREFIX)).map_err(|err| {
        Failure::new(
            ErrorCode::InputCorrupt,
            format!("the input cannot be read for its metadata: {err}"),
        )
    })?;
    let mut found = codec::read_embedded(&bytes, header.format);
    if opts.auto_orient {
        if let Some(exif) = found.exif.as_mut() {
            codec::set_exif_orientation(exif, 1);
        }
    }
    Ok(codec::Embedded {
        exif: found.exif.filter(|_| exif),
        icc: found.icc.filter(|_| icc),
        xmp: found.xmp.filter(|_| xmp),
    })
}

/// Whether the pixels stay in the input's ICC profile for an output in `format`.
fn keeps_profile(format: Format, opts: &ProcessOptions) -> bool {
    opts.encoder.keeps_icc_profile(format) && !opts.grayscale
}

/// Fails with `ERR_INPUT_TOO_LARGE` when a planned output of `size` has more than
/// `limitOutputPixels`; `what` names the stage.
pub(crate) fn check_output_limit(
    size: (u32, u32),
    what: &str,
    opts: &ProcessOptions,
) -> Result<(), Failure> {
    let pixels = u64::from(size.0) * u64::from(size.1);
    match opts.limit_output_pixels {
        Some(limit) if pixels > limit => Err(Failure::new(
            ErrorCode::InputTooLarge,
            format!(
                "{what} {}x{} has {pixels} pixels, more than limitOutputPixels ({limit})",
                size.0, size.1
            ),
        )),
        _ => Ok(()),
    }
}

/// Decodes and applies every operation, returning the raster to encode as `format`.
///
/// The output size is planned from the header first and checked against
/// `limitOutputPixels` and the memory it needs (`crate::memory`) before any pixel is
/// decoded.
pub(crate) fn transform(
    src: &dyn Source,
    header: &Header,
    format: Format,
    opts: &ProcessOptions,
    cancel: &CancelFlag,
) -> Result<Raster, Failure> {
    let ops = &opts.ops;
    let swapped = opts.auto_orient && header.orientation >= 5;
    let request = opts.resize_request();
    // The size the resize starts from, as far as it is known before decoding: the
    // oriented input, or the extracted region (trim is only known after decoding).
    let oriented = header.oriented_size(opts.auto_orient);
    let pre_resize = match &ops.extract {
        Some(region) => {
            region.check_within(oriented.0, oriented.1)?;
            (region.width, region.height)
        }
        None => oriented,
    };
    let mut plan = request.map(|req| resample::plan(pre_resize, req));
    // JPEG shrink-on-load, decided as sharp decides it; sharp then plans the resize on
    // the shrunk size, so do the same to get the same dimensions and sampling grid.
    // sharp loads the full image for extract and trim, and so does corepool.
    let full_size = ops.extract.is_some() || ops.trim.is_some();
    // SVG is drawn straight at the size the resize needs, as sharp draws it (its
    // shrink-on-load for vector input: scale `1 / min(hshrink, vshrink)`).
    let drawn;
    let header = match (header.format, plan) {
        (Format::Svg, Some(p)) if !full_size && p.scale.0.max(p.scale.1) != 1.0 => {
            drawn = codec::svg_size(src, opts.density, p.scale.0.max(p.scale.1))?;
            codec::check_limit(&drawn, opts.limit_input_pixels)?;
            plan = request.map(|req| resample::plan((drawn.width, drawn.height), req));
            &drawn
        }
        _ => header,
    };
    let denominator = match (header.format, plan) {
        (Format::Jpeg, Some(p)) if !full_size => {
            let at_least = if swapped {
                (p.scaled.1, p.scaled.0)
            } else {
                p.scaled
            };
            codec::jpeg::shrink_denominator((header.width, header.height), at_least)
        }
        _ => 1,
    };
    // The size as loaded and oriented.
    let loaded = {
        let (w, h) = codec::shrunk_size(header, denominator);
        if swapped {
            (h, w)
        } else {
            (w, h)
        }
    };
    if denominator > 1 {
        plan = request.map(|req| resample::plan(loaded, req));
    }
    // Every size the image takes from here on, planned before decoding.
    let start = if ops.extract.is_some() {
        pre_resize
    } else {
        loaded
    };
    // Trim may still shrink the image: the format's size limit waits for it then.
    let store_in = ops.trim.is_none().then_some(format);
    let mut largest = check_planned_sizes(plan.map_or(start, |p| p.output), opts, store_in)?;
    if let (Some(_), Some(p)) = (ops.strategy, plan) {
        // A strategy crop resizes the whole image first.
        if u64::from(p.scaled.0) * u64::from(p.scaled.1)
            > u64::from(largest.0) * u64::from(largest.1)
        {
            largest = p.scaled;
        }
    }
    crate::memory::reserve(u64::from(loaded.0) * u64::from(loaded.1), largest, format)?;
    // Without alpha, a grey output can be decoded straight to grey.
    let wants = codec::Wants {
        grey: opts.grayscale && !header.has_alpha,
        keep_profile: keeps_profile(format, opts),
        density: opts.density,
    };
    let mut raster = codec::decode_with(
        src,
        header,
        denominator,
        wants,
        opts.fail_on,
        opts.limit_input_pixels,
        cancel,
    )?;
    check(cancel)?;
    if opts.auto_orient {
        raster = raster.orient(header.orientation);
    }
    if let Some(region) = &ops.extract {
        raster = raster.extract(region)?;
    }
    if let Some(trim) = &ops.trim {
        raster = raster.trim(trim);
        check(cancel)?;
        // The resize is planned on the trimmed size, known only now.
        plan = request.map(|req| resample::plan((raster.width, raster.height), req));
        let largest = check_planned_sizes(
            plan.map_or((raster.width, raster.height), |p| p.output),
            opts,
            Some(format),
        )?;
        crate::memory::reserve(
            u64::from(raster.width) * u64::from(raster.height),
            largest,
            format,
        )?;
    }
    match (plan, ops.strategy) {
        (Some(plan), Some(strategy)) if plan.mode == resample::Placement::Crop => {
            // sharp's strategies: resize the whole image, then choose the window.
            let whole = resample::ResizePlan {
                output: plan.scaled,
                offset: (0, 0),
                mode: resample::Placement::Exact,
                ..plan
            };
            let scaled = resample::apply(
                &raster,
                &whole,
                resample::Position::Centre,
                opts.rotation,
                opts.background,
            )?;
            check(cancel)?;
            let (w, h) = plan.output;
            let (left, top) = scaled.smart_crop_offset(w, h, strategy);
            raster = scaled.crop(left, top, w, h);
        }
        (Some(plan), _) => {
            let resized = resample::apply(
                &raster,
                &plan,
                opts.resize.position,
                opts.rotation,
                opts.background,
            )?;
            // The decoded pixels are not needed any more: for the next decode.
            crate::recycle::PIXELS.give(std::mem::replace(&mut raster, resized).data);
            check(cancel)?;
        }
        (None, _) => {}
    }
    after_resize(raster, opts, cancel)
}

/// The steps after the resize, in the fixed order (extend, rotate, flip/flop, blur,
/// modulate, sharpen, flatten, grey, composite, normalise, negate): one piece of code for
/// still images and for each frame of an animation.
pub(crate) fn after_resize(
    mut raster: Raster,
    opts: &ProcessOptions,
    cancel: &CancelFlag,
) -> Result<Raster, Failure> {
    let ops = &opts.ops;
    if let Some(extend) = &ops.extend {
        raster = raster.extend(extend);
    }
    if opts.rotation != 0.0 {
        raster = raster.rotate_degrees(opts.rotation, opts.background);
    }
    if opts.flip {
        raster = raster.flip();
    }
    if opts.flop {
        raster = raster.flop();
    }
    check(cancel)?;
    if let Some(blur) = ops.blur {
        raster = raster.blur(blur);
        check(cancel)?;
    }
    if let Some(modulate) = ops.modulate {
        raster = raster.modulate(modulate);
    }
    if let Some(sharpen) = &ops.sharpen {
        raster = raster.sharpen(sharpen);
        check(cancel)?;
    }
    if let Some(background) = ops.flatten {
        raster = raster.flatten(background);
    }
    if opts.grayscale && !raster.is_grey() {
        raster = raster.to_grey();
    }
    if !ops.composite.is_empty() {
        raster = raster.composite(&ops.composite, opts, cancel)?;
    }
    if let Some(normalise) = ops.normalise {
        raster = raster.normalise(normalise);
    }
    if let Some(negate) = ops.negate {
        raster = raster.negate(negate);
    }
    check(cancel)?;
    Ok(raster)
}

/// Checks the sizes the image takes after a resize to `resized` (then `extend`, then
/// the rotation) against `limitOutputPixels` and, with `store_in`, the final size
/// against what that format can store (a 64x2000000 GIF is refused before it is
/// decoded and enlarged, not after); returns the largest of them.
pub(crate) fn check_planned_sizes(
    resized: (u32, u32),
    opts: &ProcessOptions,
    store_in: Option<Format>,
) -> Result<(u32, u32), Failure> {
    check_output_limit(resized, "output", opts)?;
    let extended = opts.ops.extend.map_or(resized, |e| e.size(resized));
    check_output_limit(extended, "extended output", opts)?;
    let rotated = Raster::rotated_size(extended.0, extended.1, opts.rotation);
    check_output_limit(rotated, "rotated output", opts)?;
    if let Some(format) = store_in {
        let max = codec::max_dimension(format);
        if rotated.0 > max || rotated.1 > max {
            return Err(codec::EncodeError::TooLarge {
                format: format.name(),
                width: rotated.0,
                height: rotated.1,
                max,
            }
            .into());
        }
    }
    let pixels = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
    Ok([resized, extended, rotated]
        .into_iter()
        .max_by_key(|&s| pixels(s))
        .unwrap_or(rotated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::EncodeSettings;
    use crate::resample::{Fit, ResizeRequest};

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let raster = Raster::filled(w, h, 3, [200, 30, 30, 255]);
        codec::encode(&raster, Format::Jpeg, &EncodeSettings::quality(90)).expect("encodes")
    }

    #[test]
    fn the_users_case_contain_then_rotate() {
        let opts = ProcessOptions {
            resize: ResizeRequest {
                width: Some(800),
                height: Some(600),
                fit: Fit::Contain,
                ..ResizeRequest::default()
            },
            rotation: 90.0,
            grayscale: true,
            ..ProcessOptions::default()
        };
        let out = process(&jpeg(1000, 872), &opts, &CancelFlag::new()).expect("processes");
        assert_eq!(
            (out.width, out.height, out.channels, out.format),
            (600, 800, 1, Format::Jpeg)
        );
        let back = codec::probe(&out.data).expect("decodes");
        assert_eq!((back.width, back.height, back.channels), (600, 800, 1));
    }

    #[test]
    fn bad_bytes_give_coded_failures() {
        let opts = ProcessOptions::default();
        assert_eq!(
            process(b"", &opts, &CancelFlag::new())
                .map(|_| ())
                .unwrap_err()
                .code,
            ErrorCode::InputUnsupported
        );
        assert_eq!(
            process(b"text", &opts, &CancelFlag::new())
                .map(|_| ())
                .unwrap_err()
                .code,
            ErrorCode::InputUnsupported
        );
        let mut truncated = jpeg(64, 64);
        truncated.truncate(truncated.len() / 2);
        assert_eq!(
            process(&truncated, &opts, &CancelFlag::new())
                .map(|_| ())
                .unwrap_err()
                .code,
            ErrorCode::InputCorrupt
        );
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../__test__/fixtures/photos")
            .join(name)
    }

    /// A file is read a piece at a time (JPEG, PNG, GIF, TIFF, BMP) or whole (WebP):
    /// either way, the output is the one the same bytes give from memory.
    #[test]
    fn files_give_what_their_bytes_give() {
        let dir = std::env::temp_dir().join(format!("corepool-pipeline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let opts = ProcessOptions {
            resize: ResizeRequest {
                width: Some(120),
                ..ResizeRequest::default()
            },
            ..ProcessOptions::default()
        };
        let cancel = CancelFlag::new();
        let photo = std::fs::read(fixture("chelsea.png")).expect("fixture");
        let raster = transform(
            &photo.as_slice(),
            &codec::probe(&photo).expect("png"),
            Format::Png,
            &ProcessOptions::default(),
            &cancel,
        )
        .expect("decodes");
        for format in [
            Format::Png,
            Format::Jpeg,
            Format::Gif,
            Format::Webp,
            Format::Tiff,
        ] {
            let bytes =
                codec::encode(&raster, format, &EncodeSettings::quality(90)).expect("encodes");
            let path = dir.join(format!("input.{}", format.name()));
            std::fs::write(&path, &bytes).expect("write");
            let from_memory = process(&bytes, &opts, &cancel).expect("from memory");
            let from_file = process_path(&path, &opts, &cancel).expect("from the file");
            assert_eq!(from_file, from_memory, "{format:?}");
        }
        for name in ["hubble_deep_field.jpg", "rocket.jpg"] {
            let bytes = std::fs::read(fixture(name)).expect("fixture");
            assert_eq!(
                process_path(&fixture(name), &opts, &cancel).expect(name),
                process(&bytes, &opts, &cancel).expect(name),
                "{name}"
            );
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    /// A file cut short after it was opened (and its header read) fails as corrupt,
    /// with no fault: a piece-wise read just sees the end.
    #[test]
    fn a_file_that_shrinks_while_read_is_corrupt() {
        let dir = std::env::temp_dir().join(format!("corepool-shrink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let bytes = std::fs::read(fixture("rocket.jpg")).expect("fixture");
        let path = dir.join("shrinks.jpg");
        std::fs::write(&path, &bytes).expect("write");
        let input = InputFile::open(&path).expect("opens");
        let header = crate::metadata::probe(&input, u64::MAX).expect("probes");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(bytes.len() as u64 / 3))
            .expect("truncate");
        let err = process_source(
            &input,
            &header,
            &ProcessOptions::default(),
            &CancelFlag::new(),
        )
        .expect_err("cut short");
        assert_eq!(err.code, ErrorCode::InputCorrupt, "{}", err.message);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_raised_flag_stops_the_pipeline_with_aborted() {
        let cancel = CancelFlag::new();
        cancel.cancel();
        let err = process(&jpeg(64, 64), &ProcessOptions::default(), &cancel).expect_err("aborted");
        assert_eq!(err.code, ErrorCode::Aborted);
    }
}
