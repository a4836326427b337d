//! `animated: true`: every frame of an animated GIF or WebP goes through the resize,
//! rotation, flip/flop and grey (and sharpen, blur, flatten, negate), and the frames
//! are written as an animated GIF or WebP with the input's delays and loop count.
//!
//! Operations with no single meaning across frames are refused with
//! `ERR_INVALID_OPTION`: `extract`, `trim`, `extend`, `composite` and the content-aware
//! crops (`position: 'entropy' | 'attention'`), as is an output format that cannot
//! animate. The pixel limit counts every frame (`width * height * frames`) and is
//! checked on the headers, before any frame is decoded.

use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};

use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, Delay, Frame, ImageDecoder, Limits, RgbaImage};

use crate::cancel::CancelFlag;
use crate::codec::animation::{self, AnimationInfo};
use crate::codec::{self, Format, Header, Source};
use crate::error::{ErrorCode, Failure};
use crate::options::ProcessOptions;
use crate::pipeline::{self, check, Encoded};
use crate::raster::Raster;
use crate::resample;

/// The animation of `src` when `opts` asks for one and the input has more than one
/// frame; `None` otherwise (the still pipeline then takes the first frame).
pub(crate) fn wanted(
    src: &dyn Source,
    header: &Header,
    opts: &ProcessOptions,
) -> Option<AnimationInfo> {
    if !opts.animated {
        return None;
    }
    let info = match header.format {
        Format::Gif => animation::gif(src),
        Format::Webp => animation::webp(src),
        _ => None,
    }?;
    (info.pages > 1).then_some(info)
}

/// Refuses what cannot be done to every frame alike.
fn check_options(opts: &ProcessOptions, format: Format) -> Result<(), Failure> {
    let ops = &opts.ops;
    let refused = [
        (ops.extract.is_some(), "extract"),
        (ops.trim.is_some(), "trim"),
        (ops.extend.is_some(), "extend"),
        (!ops.composite.is_empty(), "composite"),
        (ops.strategy.is_some(), "position 'entropy' or 'attention'"),
    ];
    if let Some((_, name)) = refused.iter().find(|(given, _)| *given) {
        return Err(Failure::new(
            ErrorCode::InvalidOption,
            format!(
                "animated: true cannot be combined with {name}: it has no single meaning across the frames of an animation (resize, rotation, flip, flop, grayscale, sharpen, blur, flatten and negate apply to every frame)"
            ),
        ));
    }
    if !matches!(format, Format::Gif | Format::Webp) {
        return Err(Failure::new(
            ErrorCode::InvalidOption,
            format!(
                "animated: true writes an animation, which format '{}' cannot hold: use format 'gif' or 'webp'",
                format.name()
            ),
        ));
    }
    Ok(())
}

/// Decodes every frame, applies the operations to each and encodes the animation.
pub(crate) fn process(
    src: &dyn Source,
    header: &Header,
    info: &AnimationInfo,
    opts: &ProcessOptions,
    cancel: &CancelFlag,
) -> Result<Encoded, Failure> {
    let format = opts.output_format(header.format);
    check_options(opts, format)?;
    let pixels = u64::from(header.width) * u64::from(header.height) * u64::from(info.pages);
    if let Some(limit) = opts.limit_input_pixels.filter(|&l| pixels > l) {
        return Err(Failure::new(
            ErrorCode::InputTooLarge,
            format!(
                "input animation {}x{} with {} frames has {pixels} pixels, more than limitInputPixels ({limit})",
                header.width, header.height, info.pages
            ),
        ));
    }
    let plan = opts
        .resize_request()
        .map(|req| resample::plan((header.width, header.height), req));
    let out_size = plan.map_or((header.width, header.height), |p| p.output);
    // Each frame's planned size against the format's largest side, then every frame
    // together against limitOutputPixels (the output holds them all, as the input does), before
    // any frame is decoded: a 14x41324 GIF of 24 frames resized to width 64 is 24
    // frames of 64x188910, which GIF cannot store and which would take 1.1 GB to make.
    pipeline::check_planned_sizes(out_size, opts, Some(format))?;
    let rotated = Raster::rotated_size(out_size.0, out_size.1, opts.rotation);
    let out_pixels = u64::from(rotated.0) * u64::from(rotated.1) * u64::from(info.pages);
    if let Some(limit) = opts.limit_output_pixels.filter(|&l| out_pixels > l) {
        return Err(Failure::new(
            ErrorCode::InputTooLarge,
            format!(
                "output animation {}x{} with {} frames has {out_pixels} pixels, more than limitOutputPixels ({limit})",
                rotated.0, rotated.1, info.pages
            ),
        ));
    }
    // Every frame is held at once, decoded and written.
    crate::memory::reserve(
        pixels,
        (rotated.0, rotated.1.saturating_mul(info.pages)),
        format,
    )?;
    let bytes = codec::source::prefix(src, src.len()).map_err(|e| {
        Failure::new(
            ErrorCode::InputCorrupt,
            format!("the input cannot be read: {e}"),
        )
    })?;
    let frames = decode_frames(&bytes, header.format, info.pages, pixels)?;
    check(cancel)?;
    let mut out = Vec::with_capacity(frames.len());
    for (raster, delay) in frames {
        out.push((transform(raster, plan.as_ref(), opts, cancel)?, delay));
        check(cancel)?;
    }
    let (width, height, channels) = out
        .first()
        .map(|(r, _)| (r.width, r.height, r.channels))
        .ok_or_else(|| Failure::new(ErrorCode::InputCorrupt, "the animation has no frame"))?;
    let max = codec::max_dimension(format);
    if width > max || height > max {
        return Err(codec::EncodeError::TooLarge {
            format: format.name(),
            width,
            height,
            max,
        }
        .into());
    }
    let data = match format {
        Format::Gif => encode_gif(&out, info.loop_count, opts)?,
        _ => encode_webp(&out, info.loop_count, opts)?,
    };
    Ok(Encoded {
        data,
        format,
        width,
        height,
        channels: codec::encoded_channels(format, channels),
    })
}

/// The frames as full RGBA canvases (the decoders compose each onto the previous one
/// as the file's disposal says), with their delays in milliseconds.
fn decode_frames(
    bytes: &[u8],
    format: Format,
    pages: u32,
    pixels: u64,
) -> Result<Vec<(Raster, u32)>, Failure> {
    let corrupt = |e: image::ImageError| {
        let code = match e {
            image::ImageError::Limits(_) => ErrorCode::InputTooLarge,
            image::ImageError::Unsupported(_) => ErrorCode::InputUnsupported,
            _ => ErrorCode::InputCorrupt,
        };
        Failure::new(code, format!("{}: {e}", format.name().to_uppercase()))
    };
    let mut limits = Limits::default();
    // Every frame's canvas, and as much again for the decoder's own.
    limits.max_alloc = Some(pixels.saturating_mul(8).saturating_add(64 << 20));
    // image-webp 0.2.4 indexes an ALPH chunk shorter than its frame (a panic, fuzz
    // KB12): a panic in either decoder is this file's damage, not a corepool bug.
    let decoded = panic::catch_unwind(AssertUnwindSafe(|| match format {
        Format::Gif => {
            // The damage the still decoder repairs, repaired here too.
            let repaired = codec::repaired_gif(bytes);
            let bytes = repaired.as_deref().unwrap_or(bytes);
            let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
            decoder.set_limits(limits).map_err(corrupt)?;
            collect(decoder.into_frames(), pages, pixels, corrupt)
        }
        _ => {
            let mut decoder = WebPDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
            decoder.set_limits(limits).map_err(corrupt)?;
            collect(decoder.into_frames(), pages, pixels, corrupt)
        }
    }));
    decoded.unwrap_or_else(|_| {
        Err(Failure::new(
            ErrorCode::InputCorrupt,
            format!(
                "{}: the animation's data is damaged (its decoder failed on it)",
                format.name().to_uppercase()
            ),
        ))
    })
}

/// The decoder's frames as rasters with their delays, refusing a file that holds more
/// frames, or more pixels, than its block structure announced (`pages`, `pixels`: what
/// the limits were checked on), so that a damaged file cannot make the decoder compose
/// canvases beyond them. The decoder's `max_alloc` bounds one allocation, not the sum.
fn collect(
    frames: image::Frames<'_>,
    pages: u32,
    pixels: u64,
    corrupt: impl Fn(image::ImageError) -> Failure,
) -> Result<Vec<(Raster, u32)>, Failure> {
    let mut out = Vec::with_capacity(pages as usize);
    let mut total = 0u64;
    for frame in frames {
        let frame = frame.map_err(&corrupt)?;
        let (numer, denom) = frame.delay().numer_denom_ms();
        let delay = numer / denom.max(1);
        let image = frame.into_buffer();
        let (w, h) = image.dimensions();
        total = total.saturating_add(u64::from(w) * u64::from(h));
        if out.len() == pages as usize || total > pixels {
            return Err(Failure::new(
                ErrorCode::InputCorrupt,
                format!(
                    "the animation decodes to more than the {pages} frames ({pixels} pixels) its blocks announce"
                ),
            ));
        }
        let raster = Raster::new(w, h, 4, image.into_raw())
            .ok_or_else(|| Failure::new(ErrorCode::InputCorrupt, "a frame's size is wrong"))?;
        out.push((raster, delay));
    }
    Ok(out)
}

/// One frame: resized as planned, then the still pipeline's steps after the resize
/// ([`crate::pipeline::after_resize`]), so a frame gets exactly what a still image gets.
fn transform(
    mut raster: Raster,
    plan: Option<&resample::ResizePlan>,
    opts: &ProcessOptions,
    cancel: &CancelFlag,
) -> Result<Raster, Failure> {
    if let Some(plan) = plan {
        raster = resample::apply(
            &raster,
            plan,
            opts.resize.position,
            opts.rotation,
            opts.background,
        )?;
    }
    crate::pipeline::after_resize(raster, opts, cancel)
}

fn encode_failure(format: Format, message: impl std::fmt::Display) -> Failure {
    Failure::new(
        ErrorCode::Internal,
        format!("cannot encode {}: {message}", format.name()),
    )
}

/// An animated GIF: each frame quantised on its own (as the still encoder does).
fn encode_gif(
    frames: &[(Raster, u32)],
    loop_count: u32,
    opts: &ProcessOptions,
) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
        let repeat = match loop_count {
            0 => Repeat::Infinite,
            n => Repeat::Finite(u16::try_from(n - 1).unwrap_or(u16::MAX)),
        };
        encoder
            .set_repeat(repeat)
            .map_err(|e| encode_failure(Format::Gif, e))?;
        for (raster, delay) in frames {
            let rgba = raster.with_channels(4, opts.background);
            let image = RgbaImage::from_raw(rgba.width, rgba.height, rgba.data)
                .ok_or_else(|| encode_failure(Format::Gif, "frame size"))?;
            let frame = Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(*delay, 1));
            encoder
                .encode_frame(frame)
                .map_err(|e| encode_failure(Format::Gif, e))?;
        }
    }
    Ok(out)
}

/// An animated WebP through libwebp's animation encoder: each frame starts where the
/// delays before it end.
fn encode_webp(
    frames: &[(Raster, u32)],
    loop_count: u32,
    opts: &ProcessOptions,
) -> Result<Vec<u8>, Failure> {
    let rgba: Vec<Raster> = frames
        .iter()
        .map(|(r, _)| r.with_channels(4, opts.background))
        .collect();
    let (w, h) = (rgba[0].width, rgba[0].height);
    let mut config = webp::WebPConfig::new().map_err(|()| {
        encode_failure(Format::Webp, "libwebp cannot initialise its configuration")
    })?;
    let settings = opts.encode_settings(Format::Webp);
    config.lossless = i32::from(settings.lossless);
    config.quality = if settings.lossless {
        75.0
    } else {
        f32::from(
            settings
                .quality
                .unwrap_or_else(|| codec::default_quality(Format::Webp)),
        )
    };
    config.method = i32::from(settings.effort.unwrap_or(4));
    let mut encoder = webp::AnimEncoder::new(w, h, &config);
    encoder.set_loop_count(i32::try_from(loop_count).unwrap_or(0));
    let mut start = 0i32;
    for (raster, (_, delay)) in rgba.iter().zip(frames) {
        encoder.add_frame(webp::AnimFrame::from_rgba(&raster.data, w, h, start));
        start = start.saturating_add(i32::try_from(*delay).unwrap_or(i32::MAX));
    }
    let memory = encoder
        .try_encode()
        .map_err(|e| encode_failure(Format::Webp, format!("{e:?}")))?;
    let mut out = memory.to_vec();
    if let Some((_, last)) = frames.last() {
        set_last_duration(&mut out, *last);
    }
    Ok(out)
}

/// Sets the duration of the last `ANMF` chunk of an animated WebP. The `webp` crate
/// ends the animation at timestamp 0 rather than at the end of the last frame, so
/// libwebp guesses that frame's duration; the 24-bit field at offset 12 of the chunk's
/// payload holds it.
fn set_last_duration(webp: &mut [u8], ms: u32) {
    let mut at = 12usize;
    let mut last = None;
    while let Some(head) = webp.get(at..at + 8) {
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        if &head[..4] == b"ANMF" {
            last = Some(at + 8 + 12);
        }
        at = at.saturating_add(8 + len + (len & 1));
    }
    if let Some(field) = last.and_then(|f| webp.get_mut(f..f + 3)) {
        field.copy_from_slice(&ms.min(0xFF_FFFF).to_le_bytes()[..3]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resample::ResizeRequest;

    /// Three 20x16 frames, delays 100, 200 and 300 ms, played twice.
    fn animated_gif() -> Vec<u8> {
        animated_gif_of(20, 16)
    }

    /// A 3-frame GIF of `width x height`, each frame different, looping once.
    fn animated_gif_of(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = GifEncoder::new(&mut out);
            encoder.set_repeat(Repeat::Finite(1)).expect("repeat");
            for i in 0..3u32 {
                let image = RgbaImage::from_fn(width, height, |x, y| {
                    image::Rgba([(x * 12) as u8, (y * 15) as u8, (i * 100) as u8, 255])
                });
                let delay = Delay::from_numer_denom_ms(100 * (i + 1), 1);
                encoder
                    .encode_frame(Frame::from_parts(image, 0, 0, delay))
                    .expect("frame");
            }
        }
        out
    }

    fn opts(format: Option<Format>) -> ProcessOptions {
        ProcessOptions {
            resize: ResizeRequest {
                width: Some(10),
                ..ResizeRequest::default()
            },
            animated: true,
            format,
            ..ProcessOptions::default()
        }
    }

    #[test]
    fn every_frame_is_resized_and_the_timing_kept() {
        let input = animated_gif();
        for format in [None, Some(Format::Webp)] {
            let out = crate::process(&input, &opts(format), &CancelFlag::new()).expect("processes");
            assert_eq!((out.width, out.height), (10, 8));
            let info = match out.format {
                Format::Gif => animation::gif(&out.data.as_slice()),
                _ => animation::webp(&out.data.as_slice()),
            }
            .expect("an animation");
            assert_eq!(
                info,
                AnimationInfo {
                    pages: 3,
                    delays_ms: vec![100, 200, 300],
                    loop_count: 2
                },
                "{format:?}"
            );
            let frames = decode_frames(&out.data, out.format, 3, 10 * 8 * 3).expect("decodes");
            assert_eq!(frames.len(), 3);
            assert!(frames.iter().all(|(r, _)| (r.width, r.height) == (10, 8)));
            assert_ne!(frames[0].0.data, frames[2].0.data, "the frames differ");
        }
    }

    #[test]
    fn more_frames_or_pixels_than_announced_are_corrupt() {
        let input = animated_gif();
        assert!(decode_frames(&input, Format::Gif, 3, 20 * 16 * 3).is_ok());
        for (pages, pixels) in [(2, 20 * 16 * 3), (3, 20 * 16 * 3 - 1)] {
            let err = decode_frames(&input, Format::Gif, pages, pixels).expect_err("refused");
            assert_eq!(
                err.code,
                ErrorCode::InputCorrupt,
                "{pages} pages, {pixels} pixels"
            );
        }
    }

    #[test]
    fn output_sizes_are_checked_for_every_frame_before_decoding() {
        // 2x3000 resized to width 64: frames of 64x96000, more than GIF's 65535 a side.
        let tall = animated_gif_of(2, 3000);
        let mut o = opts(None);
        o.resize.width = Some(64);
        let err = crate::process(&tall, &o, &CancelFlag::new()).expect_err("too tall");
        assert_eq!(err.code, ErrorCode::InputTooLarge);
        assert!(err.message.contains("65535"), "{}", err.message);
        // Each frame fits limitOutputPixels, the three together do not.
        let mut o = opts(None);
        o.limit_output_pixels = Some(10 * 8 * 3 - 1);
        let err = crate::process(&animated_gif(), &o, &CancelFlag::new()).expect_err("limit");
        assert_eq!(err.code, ErrorCode::InputTooLarge);
        assert!(err.message.contains("3 frames"), "{}", err.message);
        o.limit_output_pixels = Some(10 * 8 * 3);
        assert!(crate::process(&animated_gif(), &o, &CancelFlag::new()).is_ok());
    }

    #[test]
    fn refuses_what_has_no_meaning_per_frame_and_counts_every_frame() {
        let input = animated_gif();
        let mut trim = opts(None);
        trim.ops.trim = Some(crate::ops::Trim::default());
        let err = crate::process(&input, &trim, &CancelFlag::new()).expect_err("trim");
        assert_eq!(err.code, ErrorCode::InvalidOption);
        assert!(err.message.contains("trim"), "{}", err.message);
        let err =
            crate::process(&input, &opts(Some(Format::Png)), &CancelFlag::new()).expect_err("png");
        assert_eq!(err.code, ErrorCode::InvalidOption);
        let mut limited = opts(None);
        limited.limit_input_pixels = Some(20 * 16 * 3 - 1);
        let err = crate::process(&input, &limited, &CancelFlag::new()).expect_err("limit");
        assert_eq!(err.code, ErrorCode::InputTooLarge);
        limited.limit_input_pixels = Some(20 * 16 * 3);
        assert!(crate::process(&input, &limited, &CancelFlag::new()).is_ok());
    }
}
