//! JPEG through libjpeg-turbo/MozJPEG (vendored, SIMD where nasm was available at
//! build time): header probing, decoding with DCT-domain downscaling
//! ("shrink-on-load", 1/2, 1/4 or 1/8 at almost no cost), and encoding.
//!
//! libjpeg reports errors by calling `error_exit`, which must not return. Ours unwinds
//! with a [`JpegFailure`] payload that [`guard`] catches right here, so a broken file
//! becomes an error value and never reaches the caller as a panic. In strict mode,
//! warnings (truncated data, corrupt entropy segments) fail the decode too.

use std::ffi::CStr;
use std::ops::Range;
use std::os::raw::c_int;
use std::panic::{self, AssertUnwindSafe};

use mozjpeg::{ColorSpace, ColorSpaceExt, Compress, Decompress, Marker};
use mozjpeg_sys::{jpeg_common_struct, jpeg_error_mgr, jpeg_std_error, JWRN_JPEG_EOF};

use super::embedded::Embedded;
use super::error::{DecodeError, EncodeError};
use super::exif;
use super::format::{FailOn, Format, Wants};
use super::icc;
use super::jpeg_lossless;
use super::jpeg_scans;
use super::source::{read_fully_at, Source, Window};
use crate::cancel::CancelFlag;
use crate::raster::Raster;

/// The payload our libjpeg error handlers unwind with.
struct JpegFailure(String);

/// The text of libjpeg's current message, from its message table.
fn message(cinfo: &jpeg_common_struct) -> String {
    // SAFETY: `err` points at the error manager libjpeg was created with, and the
    // message table is libjpeg's static, NUL-terminated string table of
    // `last_jpeg_message + 1` entries.
    unsafe {
        let Some(err) = cinfo.err.as_ref() else {
            return "unknown libjpeg error".into();
        };
        let code = err.msg_code;
        if code > 0 && code <= err.last_jpeg_message && !err.jpeg_message_table.is_null() {
            let text = *err.jpeg_message_table.offset(code as isize);
            if !text.is_null() {
                let template = CStr::from_ptr(text).to_string_lossy();
                // The parameters union starts with `int i[8]`; read it as that.
                let ints = std::ptr::addr_of!(err.msg_parm)
                    .cast::<[c_int; 8]>()
                    .read_unaligned();
                return fill_template(&template, &ints);
            }
        }
        format!("libjpeg message {code}")
    }
}

/// Fills a libjpeg message template's integer directives (`%d`, `%u`, `%x`, `%02x`)
/// from its parameters. String directives (`%s`) become `?`.
fn fill_template(template: &str, ints: &[c_int]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut params = ints.iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            chars.next();
            if d.is_ascii_alphabetic() || d == '%' {
                spec.push(d);
                break;
            }
            spec.push(d);
        }
        let value = params.next().copied().unwrap_or(0);
        match spec.chars().last() {
            Some('%') => out.push('%'),
            Some('x' | 'X') => out.push_str(&format!("{value:02x}")),
            Some('s') => out.push('?'),
            _ => out.push_str(&value.to_string()),
        }
    }
    out
}

extern "C-unwind" fn fatal(cinfo: &mut jpeg_common_struct) {
    panic::resume_unwind(Box::new(JpegFailure(message(cinfo))));
}

/// Whether libjpeg's current warning is the truncation one.
fn is_truncation(cinfo: &jpeg_common_struct) -> bool {
    // SAFETY: `err` is the error manager libjpeg was created with (or null).
    unsafe { cinfo.err.as_ref() }.is_some_and(|e| e.msg_code == JWRN_JPEG_EOF as c_int)
}

/// Warnings (`level < 0`) fail: every one of them.
extern "C-unwind" fn warn_fail_all(cinfo: &mut jpeg_common_struct, level: c_int) {
    if level < 0 {
        panic::resume_unwind(Box::new(JpegFailure(message(cinfo))));
    }
}

/// Only the truncation warning fails.
extern "C-unwind" fn warn_fail_truncated(cinfo: &mut jpeg_common_struct, level: c_int) {
    if level < 0 && is_truncation(cinfo) {
        panic::resume_unwind(Box::new(JpegFailure(message(cinfo))));
    }
}

extern "C-unwind" fn warn_quiet(_cinfo: &mut jpeg_common_struct, _level: c_int) {}

/// An error manager whose fatal errors unwind to [`guard`] and whose warnings fail as
/// `fail_on` says (see [`FailOn`]).
fn error_mgr(fail_on: FailOn) -> jpeg_error_mgr {
    // SAFETY: a zeroed jpeg_error_mgr is a valid argument for jpeg_std_error, which
    // fills in every field.
    let mut err: jpeg_error_mgr = unsafe { std::mem::zeroed() };
    unsafe { jpeg_std_error(&mut err) };
    err.error_exit = Some(fatal);
    err.emit_message = Some(match fail_on {
        FailOn::None => warn_quiet,
        FailOn::Truncated | FailOn::Error => warn_fail_truncated,
        FailOn::Warning => warn_fail_all,
    });
    err
}

/// Runs libjpeg work, turning its unwinding errors into `DecodeError::Corrupt`.
fn guard<T>(work: impl FnOnce() -> std::io::Result<T>) -> Result<T, DecodeError> {
    match panic::catch_unwind(AssertUnwindSafe(work)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(io)) => Err(DecodeError::Corrupt(format!("JPEG: {io}"))),
        Err(payload) => match payload.downcast::<JpegFailure>() {
            Ok(failure) => Err(DecodeError::Corrupt(format!("JPEG: {}", failure.0))),
            Err(other) => panic::resume_unwind(other),
        },
    }
}

/// What the JPEG header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegHeader {
    pub width: u32,
    pub height: u32,
    /// 1 (grey), 3 (YCbCr/RGB) or 4 (CMYK/YCCK).
    pub components: u8,
    /// EXIF orientation, 1 when absent.
    pub orientation: u16,
}

/// How a JPEG's frame is coded, as far as decoding goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Process {
    /// DCT-based (baseline, extended, progressive): MozJPEG.
    Dct,
    /// Lossless, Huffman-coded (SOF3): [`jpeg_lossless`].
    Lossless,
}

/// Refuses, as unsupported, the JPEG processes this libjpeg build cannot decode: it
/// reads baseline, extended and progressive frames with Huffman or arithmetic coding
/// (built with `arith_dec`) at 8 bits, and none of lossless (SOF3, SOF11), hierarchical
/// (SOF5-7, SOF13-15) or 12/16-bit samples. libjpeg itself would fail on them with an
/// error that reads like damage. Walks the markers up to the first frame header; a
/// stream that ends or breaks first is left for libjpeg to judge. Lossless Huffman
/// frames (SOF3) are read by [`jpeg_lossless`] instead.
fn check_process(src: &dyn Source) -> Result<Process, DecodeError> {
    let mut w = Window::new(src);
    let mut at = 2u64;
    loop {
        // A marker: 0xFF (fill bytes may repeat it), then its code.
        if w.byte(at) != Some(0xFF) {
            return Ok(Process::Dct);
        }
        while w.byte(at) == Some(0xFF) {
            at += 1;
        }
        let Some(code) = w.byte(at) else {
            return Ok(Process::Dct);
        };
        at += 1;
        match code {
            // Markers without a length.
            0x01 | 0xD0..=0xD8 => continue,
            // Start of scan before any frame, or end of image: nothing to judge.
            0xD9 | 0xDA => return Ok(Process::Dct),
            0xC0..=0xCF if !matches!(code, 0xC4 | 0xC8 | 0xCC) => {
                let process = match code {
                    0xC3 => {
                        let sof = w.get(at, 8).unwrap_or(&[]);
                        jpeg_lossless::check_frame(sof)?;
                        return Ok(Process::Lossless);
                    }
                    0xC5..=0xC7 => Some("hierarchical"),
                    0xCB => Some("lossless arithmetic-coded (SOF11)"),
                    0xCD..=0xCF => Some("hierarchical arithmetic-coded"),
                    _ => None,
                };
                if let Some(process) = process {
                    return Err(DecodeError::Unsupported(format!(
                        "JPEG: {process} JPEG is not supported"
                    )));
                }
                return match w.byte(at + 2) {
                    Some(precision) if precision != 8 => Err(DecodeError::Unsupported(format!(
                        "JPEG: {precision}-bit samples are not supported (8-bit only)"
                    ))),
                    _ => Ok(Process::Dct),
                };
            }
            _ => {
                let Some(len) = w.get(at, 2) else {
                    return Ok(Process::Dct);
                };
                at += u64::from(u16::from_be_bytes([len[0], len[1]]));
            }
        }
    }
}

/// The most a lossless decode may allocate (the decoder holds 16-bit planes).
const LOSSLESS_BUDGET: u64 = 4 << 30;

/// Reads the header and the EXIF orientation, without decoding pixels.
pub fn probe(bytes: &[u8]) -> Result<JpegHeader, DecodeError> {
    if check_process(&bytes)? == Process::Lossless {
        return jpeg_lossless::probe(bytes);
    }
    guard(|| {
        let d = Decompress::with_err(error_mgr(FailOn::Warning))
            .with_markers(&[Marker::APP(1)])
            .from_mem(bytes)?;
        let orientation = d
            .markers()
            .filter(|m| m.marker == Marker::APP(1))
            .find_map(|m| exif::orientation(m.data))
            .unwrap_or(1);
        Ok(JpegHeader {
            width: d.width() as u32,
            height: d.height() as u32,
            components: d.components().len() as u8,
            orientation,
        })
    })
}

/// The DCT scale for shrink-on-load (returned as its denominator: 8, 4, 2 or 1), by
/// sharp's rule so that outputs match sharp's: the largest of 1/8, 1/4, 1/2 that the
/// shrink factor reaches, halved once more when the factor's integer part equals it
/// (libjpeg's scaled IDCT rounds those sizes badly). The decoded image always stays at
/// least `target` in both directions.
pub fn shrink_denominator(size: (u32, u32), target: (u32, u32)) -> u8 {
    let shrink = (f64::from(size.0) / f64::from(target.0.max(1)))
        .min(f64::from(size.1) / f64::from(target.1.max(1)));
    let mut d = [8u8, 4, 2]
        .into_iter()
        .find(|&d| shrink >= f64::from(d))
        .unwrap_or(1);
    if d > 1 && shrink.floor() == f64::from(d) {
        d /= 2;
    }
    while d > 1
        && (size.0.div_ceil(u32::from(d)) < target.0 || size.1.div_ceil(u32::from(d)) < target.1)
    {
        d /= 2;
    }
    d
}

/// The compressed bytes served to libjpeg in pieces of at most this size, so that a
/// decode (a progressive one spends most of its time consuming scans) checks for
/// cancellation between pieces. A source not in memory is read this much at a time.
const CANCEL_CHECK_BYTES: usize = 64 << 10;

/// Ranges of a source, in order, as one `BufRead` that fails (libjpeg: "read error")
/// once `cancel` is raised. A source in memory is served without copying; a file is
/// read a piece at a time, so the whole stream is never held at once.
struct CancellableInput<'a> {
    src: &'a dyn Source,
    ranges: std::vec::IntoIter<Range<u64>>,
    /// What is left of the current range.
    current: Range<u64>,
    /// For a source not in memory: bytes read at `current.start`, and how far consumed.
    buf: Vec<u8>,
    consumed: usize,
    cancel: &'a CancelFlag,
}

impl<'a> CancellableInput<'a> {
    fn new(src: &'a dyn Source, ranges: Vec<Range<u64>>, cancel: &'a CancelFlag) -> Self {
        Self {
            src,
            ranges: ranges.into_iter(),
            current: 0..0,
            buf: Vec::new(),
            consumed: 0,
            cancel,
        }
    }
}

impl std::io::Read for CancellableInput<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = std::io::BufRead::fill_buf(self)?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for CancellableInput<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.cancel.is_cancelled() {
            return Err(std::io::Error::other("aborted"));
        }
        while self.current.is_empty() {
            match self.ranges.next() {
                Some(range) => self.current = range,
                None => return Ok(&[]),
            }
        }
        let piece = (self.current.end - self.current.start).min(CANCEL_CHECK_BYTES as u64);
        let piece = piece as usize;
        if let Some(all) = self.src.as_slice() {
            let start = usize::try_from(self.current.start).unwrap_or(usize::MAX);
            return Ok(all
                .get(start..)
                .map_or(&[], |rest| &rest[..piece.min(rest.len())]));
        }
        if self.consumed >= self.buf.len() {
            self.buf.resize(piece, 0);
            let got = read_fully_at(self.src, self.current.start, &mut self.buf)?;
            self.buf.truncate(got);
            self.consumed = 0;
            if got == 0 {
                // The file ended early (it shrank): libjpeg sees the stream end here.
                self.current = self.current.end..self.current.end;
                return Ok(&[]);
            }
        }
        Ok(&self.buf[self.consumed..])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(usize::try_from(self.current.end - self.current.start).unwrap_or(n));
        self.current.start += n as u64;
        if self.src.as_slice().is_none() {
            self.consumed += n;
        }
    }
}

/// Decodes to RGB (or grey when `grey` is set or the file is grey), scaled by
/// `1/denominator` in the DCT domain, reading `src` a piece at a time.
///
/// A colour file asked for grey is decoded to RGB and then turned grey by luminance
/// in linear light, as sharp's `grayscale()` does; libjpeg's own grey output is the
/// gamma-space luma Y, which measured SSIM 0.94-0.96 against sharp on a photo.
///
/// A progressive file decoded at 1/8 skips the scans that scale never reads (the
/// output is unchanged), and at 1/2 or 1/4 also the AC refinements that only add the
/// last bit of precision (see [`super::jpeg_scans`], [`scan_rule`]).
#[cfg(test)]
pub fn decode(
    src: &dyn Source,
    denominator: u8,
    grey: bool,
    fail_on: FailOn,
    cancel: &CancelFlag,
) -> Result<Raster, DecodeError> {
    let wants = Wants {
        grey,
        ..Wants::default()
    };
    decode_with(src, denominator, wants, fail_on, cancel)
}

/// [`decode`], with the pixels left in their embedded profile when `wants` says so.
pub fn decode_with(
    src: &dyn Source,
    denominator: u8,
    wants: Wants,
    fail_on: FailOn,
    cancel: &CancelFlag,
) -> Result<Raster, DecodeError> {
    if check_process(src)? == Process::Lossless {
        let bytes = super::source::prefix(src, src.len())
            .map_err(|e| DecodeError::Corrupt(format!("JPEG: the input cannot be read: {e}")))?;
        // The pixel limit was checked on the header; this bounds what a lying stream
        // can make the decoder allocate.
        return jpeg_lossless::decode(&bytes, denominator, LOSSLESS_BUDGET);
    }
    decode_parts(
        src,
        jpeg_scans::needed(src, denominator, scan_rule()),
        denominator,
        wants,
        fail_on,
        cancel,
    )
}

/// How far a scaled decode goes in leaving scans out: [`jpeg_scans::Rule::Approximate`].
///
/// At 1/2 and 1/4, the last-bit AC refinements are left out: most of a progressive
/// decode's time, and a loss of at most one quantisation step on those coefficients,
/// which the resize that follows (a further shrink of at least 1.5x, as
/// `shrink_denominator` picks the scale) mostly averages away. Measured in
/// `npm run bench` against sharp's output of the same chain (quality gate) and in the
/// tests below against a full decode; `COREPOOL_JPEG_SCANS=exact` in a `dev-switches`
/// build turns it off for A/B runs.
fn scan_rule() -> jpeg_scans::Rule {
    #[cfg(any(test, feature = "test-hooks"))]
    if crate::testing::exact_scans_only() {
        return jpeg_scans::Rule::Exact;
    }
    jpeg_scans::Rule::Approximate
}

/// [`decode`] from the given ranges of `src`, fed to libjpeg in order.
fn decode_parts(
    src: &dyn Source,
    parts: Vec<Range<u64>>,
    denominator: u8,
    wants: Wants,
    fail_on: FailOn,
    cancel: &CancelFlag,
) -> Result<Raster, DecodeError> {
    let grey = wants.grey;
    let left_out = parts.len() > 1;
    let input = CancellableInput::new(src, parts, cancel);
    let decoded = guard(|| {
        let mut d = Decompress::with_err(error_mgr(fail_on))
            .with_markers(&[Marker::APP(2)])
            .from_reader(input)?;
        let profile = icc::from_jpeg_app2(
            d.markers()
                .filter(|m| m.marker == Marker::APP(2))
                .map(|m| m.data),
        );
        d.scale(8 / denominator.clamp(1, 8));
        if left_out {
            // Scans were left out: libjpeg would guess the missing coefficients (and at
            // 1/8 even adjust the DC) by block smoothing; a complete file never is
            // smoothed, and without it a 1/8 decode stays identical to the full one.
            d.do_block_smoothing(false);
        }
        let cmyk = d.components().len() == 4;
        let mut started = if cmyk {
            d.to_colorspace(ColorSpace::JCS_CMYK)?
        } else if d.components().len() == 1 {
            d.grayscale()?
        } else {
            d.rgb()?
        };
        let (w, h) = (started.width() as u32, started.height() as u32);
        let channels = started.color_space().num_components() as u8;
        // Into a recycled buffer where one fits: a fresh one costs a page fault per
        // 4 KiB as libjpeg first writes it.
        let mut data = crate::recycle::PIXELS.take(w as usize * h as usize * usize::from(channels));
        started.read_scanlines_into(&mut data)?;
        started.finish()?;
        Ok((w, h, channels, data, cmyk, profile))
    });
    if cancel.is_cancelled() {
        return Err(DecodeError::Aborted);
    }
    let (width, height, channels, data, cmyk, profile) = decoded?;
    let (channels, data) = if cmyk {
        let rgb = cmyk_to_rgb(&data);
        crate::recycle::PIXELS.give(data);
        (3, rgb)
    } else {
        (channels, data)
    };
    let mut raster = Raster::new(width, height, channels, data).ok_or_else(|| {
        DecodeError::Corrupt("JPEG: decoder returned fewer rows than the header declares".into())
    })?;
    // CMYK profiles describe the ink, not the RGB approximation made above.
    if let (Some(profile), false, false) = (profile, cmyk, wants.keep_profile) {
        icc::convert_to_srgb(&mut raster, &profile);
    }
    Ok(if grey && !raster.is_grey() {
        raster.to_grey()
    } else {
        raster
    })
}

/// CMYK as Adobe writes it in JPEG (inverted: 255 means no ink) to RGB.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        let k = u32::from(px[3]);
        for &c in &px[..3] {
            rgb.push(((u32::from(c) * k + 127) / 255) as u8);
        }
    }
    rgb
}

/// Encodes grey or RGB (alpha must be removed first) at `quality` (1..=100), with
/// libjpeg-turbo's defaults as sharp uses them: baseline, 4:2:0 chroma subsampling,
/// optimised Huffman tables, no metadata.
#[cfg(test)]
pub fn encode(raster: &Raster, quality: u8) -> Result<Vec<u8>, EncodeError> {
    encode_with(
        raster,
        quality,
        &JpegSettings::default(),
        &Embedded::default(),
    )
}

/// The JPEG encoder's settings beyond quality.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JpegSettings {
    /// Progressive scans (libjpeg's simple progression, or MozJPEG's optimised scans
    /// with `mozjpeg`); `false`: baseline, even with `mozjpeg`.
    pub progressive: bool,
    /// 4:4:4 (no chroma subsampling) rather than 4:2:0.
    pub full_chroma: bool,
    /// MozJPEG's compression profile (`JCP_MAX_COMPRESSION`): trellis quantisation,
    /// overshoot deringing, optimised scans and quantisation table 3, which is what
    /// sharp's `mozjpeg: true` asks libvips for. Without it, libjpeg-turbo's profile
    /// (`JCP_FASTEST`), whose files match libjpeg-turbo's.
    pub mozjpeg: bool,
}

/// The most payload a JPEG marker segment holds.
const MAX_SEGMENT: usize = 65_533;

/// Encodes grey or RGB (alpha must be removed first) at `quality` (1..=100) with
/// optimised Huffman tables, as `settings` say, with the metadata of `meta`: EXIF and
/// XMP in APP1 (each left out when larger than one segment holds), the ICC profile
/// over APP2 segments.
pub fn encode_with(
    raster: &Raster,
    quality: u8,
    settings: &JpegSettings,
    meta: &Embedded,
) -> Result<Vec<u8>, EncodeError> {
    let colour_space = match raster.channels {
        1 => ColorSpace::JCS_GRAYSCALE,
        3 => ColorSpace::JCS_RGB,
        channels => {
            return Err(EncodeError::Channels {
                format: Format::Jpeg.name(),
                channels,
            })
        }
    };
    guard(|| {
        let mut c = Compress::new_err(Box::new(error_mgr(FailOn::Warning)), colour_space);
        // `new` starts from MozJPEG's profile; this resets to libjpeg-turbo's.
        if !settings.mozjpeg {
            c.set_fastest_defaults();
        }
        c.set_size(raster.width as usize, raster.height as usize);
        c.set_quality(f32::from(quality));
        c.set_optimize_coding(true);
        if settings.full_chroma {
            c.set_chroma_sampling_pixel_sizes((1, 1), (1, 1));
        }
        match (settings.mozjpeg, settings.progressive) {
            // MozJPEG's profile is progressive: without scans it is baseline.
            (true, false) => c.set_optimize_scans(false),
            (false, true) => c.set_progressive_mode(),
            _ => {}
        }
        let mut started = c.start_compress(Vec::new())?;
        let app1 = |prefix: &[u8], data: &Option<Vec<u8>>| {
            data.as_ref()
                .map(|d| [prefix, d].concat())
                .filter(|segment| segment.len() <= MAX_SEGMENT)
        };
        if let Some(exif) = app1(b"Exif\0\0", &meta.exif) {
            started.write_marker(Marker::APP(1), &exif);
        }
        if let Some(xmp) = app1(super::embedded::XMP_SIGNATURE, &meta.xmp) {
            started.write_marker(Marker::APP(1), &xmp);
        }
        // The ICC profile over APP2 segments, numbered from 1 as the ICC specification
        // says (the crate's `write_icc_profile` numbers them from 0, which libjpeg
        // readers, libvips included, refuse); at most 255 segments (16 MiB).
        if let Some(icc) = &meta.icc {
            let chunks: Vec<&[u8]> = icc.chunks(MAX_SEGMENT - 14).collect();
            if let Ok(count) = u8::try_from(chunks.len()) {
                for (i, chunk) in chunks.iter().enumerate() {
                    let segment = [b"ICC_PROFILE\0", &[i as u8 + 1, count][..], chunk].concat();
                    started.write_marker(Marker::APP(2), &segment);
                }
            }
        }
        started.write_scanlines(&raster.data)?;
        started.finish()
    })
    .map_err(|e| EncodeError::library(Format::Jpeg, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> Raster {
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                data.extend_from_slice(&[(x * 255 / w) as u8, (y * 255 / h) as u8, 128]);
            }
        }
        Raster::new(w, h, 3, data).expect("sizes")
    }

    #[test]
    fn round_trip_and_shrink_on_load() {
        let jpeg = encode(&gradient(64, 48), 90).expect("encodes");
        let header = probe(&jpeg).expect("probes");
        assert_eq!(
            (
                header.width,
                header.height,
                header.components,
                header.orientation
            ),
            (64, 48, 3, 1)
        );
        let full = decode(&jpeg, 1, false, FailOn::Warning, &CancelFlag::new()).expect("decodes");
        assert_eq!((full.width, full.height, full.channels), (64, 48, 3));
        // Close to the original: JPEG at q90 on a smooth gradient.
        let err: u64 = full
            .data
            .iter()
            .zip(gradient(64, 48).data.iter())
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        assert!(
            err / (full.data.len() as u64) < 3,
            "mean error {}",
            err / full.data.len() as u64
        );
        let quarter =
            decode(&jpeg, 4, true, FailOn::Warning, &CancelFlag::new()).expect("decodes scaled");
        assert_eq!(
            (quarter.width, quarter.height, quarter.channels),
            (16, 12, 1)
        );
    }

    #[test]
    fn messages_are_filled_in() {
        assert_eq!(
            fill_template(
                "Corrupt JPEG data: %u extraneous bytes before marker 0x%02x",
                &[7, 0xd9]
            ),
            "Corrupt JPEG data: 7 extraneous bytes before marker 0xd9"
        );
    }

    #[test]
    fn shrink_keeps_at_least_the_target() {
        // 4.8x: 1/4 reached, integer part 4 equals it, so 1/2 (as sharp does).
        assert_eq!(shrink_denominator((3840, 2400), (800, 500)), 2);
        assert_eq!(shrink_denominator((3840, 2400), (600, 375)), 4);
        assert_eq!(shrink_denominator((3840, 2400), (320, 200)), 8);
        assert_eq!(shrink_denominator((3840, 2400), (480, 300)), 4);
        assert_eq!(shrink_denominator((640, 427), (320, 213)), 1);
        assert_eq!(shrink_denominator((3840, 2400), (1921, 1200)), 1);
        assert_eq!(shrink_denominator((1, 1), (1, 1)), 1);
    }

    #[test]
    fn broken_input_is_an_error_not_a_panic() {
        let jpeg = encode(&gradient(64, 48), 90).expect("encodes");
        assert!(matches!(
            probe(b"\xff\xd8\xff"),
            Err(DecodeError::Corrupt(_))
        ));
        let truncated = &jpeg[..jpeg.len() / 2];
        // Truncation fails from 'truncated' up; 'none' decodes what is there.
        for level in [FailOn::Truncated, FailOn::Error, FailOn::Warning] {
            assert!(
                matches!(decode(&truncated, 1, false, level, &CancelFlag::new()), Err(DecodeError::Corrupt(m)) if m.contains("Premature end")),
                "{level:?}"
            );
        }
        let lenient =
            decode(&truncated, 1, false, FailOn::None, &CancelFlag::new()).expect("lenient decode");
        assert_eq!((lenient.width, lenient.height), (64, 48));
    }

    use crate::testing::corpus;

    /// libjpeg-turbo's arithmetic-coded test image decodes, to nearly the pixels of its
    /// Huffman-coded original (the same picture, encoded separately).
    #[test]
    fn arithmetic_coded_jpeg_decodes() {
        let ari = corpus("libjpeg-turbo/testimages/testimgari.jpg");
        let orig = corpus("libjpeg-turbo/testimages/testorig.jpg");
        let a = decode(&ari, 1, false, FailOn::Warning, &CancelFlag::new()).expect("arith");
        let b = decode(&orig, 1, false, FailOn::Warning, &CancelFlag::new()).expect("orig");
        assert_eq!((a.width, a.height), (b.width, b.height));
        assert_eq!((a.width, a.height), (227, 149));
        let mean = crate::testing::mean_abs_diff(&a.data, &b.data);
        assert!(mean < 2.0, "mean difference {mean}");
    }

    #[test]
    fn lossless_jpeg_is_read_and_12_bit_is_unsupported() {
        // libjpeg-turbo's test picture, lossless and as its lossy reference.
        let lossless = corpus("sharp/test/fixtures/testimgl.jpg");
        let h = probe(&lossless).expect("lossless header");
        assert_eq!((h.width, h.height, h.components), (227, 149, 3));
        let cancel = CancelFlag::new();
        let a = decode(&lossless, 1, false, FailOn::Warning, &cancel).expect("lossless");
        let b = decode(
            &corpus("libjpeg-turbo/testimages/testorig.jpg"),
            1,
            false,
            FailOn::Warning,
            &cancel,
        )
        .expect("lossy");
        assert_eq!(
            (a.width, a.height, a.channels),
            (b.width, b.height, b.channels)
        );
        let mean = crate::testing::mean_abs_diff(&a.data, &b.data);
        assert!(mean < 4.0, "mean difference to the lossy copy {mean}");
        let twelve = corpus("libjpeg-turbo/testimages/monkey12.jpg");
        assert!(matches!(probe(&twelve), Err(DecodeError::Unsupported(m)) if m.contains("12-bit")));
        // An ordinary file passes the check.
        assert_eq!(
            check_process(&corpus("libjpeg-turbo/testimages/testorig.jpg")),
            Ok(Process::Dct)
        );
    }

    #[test]
    fn other_warnings_fail_only_at_the_warning_level() {
        // Garbage between two markers: libjpeg warns "Corrupt JPEG data: 3 extraneous
        // bytes before marker 0x..", a warning that is not truncation.
        let jpeg = encode(&gradient(64, 48), 90).expect("encodes");
        let mut noisy = jpeg[..2].to_vec();
        noisy.extend_from_slice(&[0x12, 0x34, 0x56]);
        noisy.extend_from_slice(&jpeg[2..]);
        assert!(matches!(
            decode(&noisy, 1, false, FailOn::Warning, &CancelFlag::new()),
            Err(DecodeError::Corrupt(m)) if m.contains("extraneous")
        ));
        for level in [FailOn::None, FailOn::Truncated, FailOn::Error] {
            let r = decode(&noisy, 1, false, level, &CancelFlag::new())
                .expect("decodes despite the warning");
            assert_eq!((r.width, r.height), (64, 48), "{level:?}");
        }
    }

    #[test]
    fn a_raised_flag_stops_the_decode_with_aborted() {
        let mut c = Compress::new(ColorSpace::JCS_RGB);
        c.set_size(64, 48);
        c.set_progressive_mode();
        let mut started = c.start_compress(Vec::new()).expect("starts");
        started
            .write_scanlines(&gradient(64, 48).data)
            .expect("writes");
        let progressive = started.finish().expect("finishes");
        let cancel = CancelFlag::new();
        assert!(decode(&progressive, 1, false, FailOn::Warning, &cancel).is_ok());
        cancel.cancel();
        assert_eq!(
            decode(&progressive, 1, false, FailOn::Warning, &cancel).map(|_| ()),
            Err(DecodeError::Aborted)
        );
    }
}

#[cfg(test)]
mod scan_skipping {
    use super::*;

    /// Mean and max absolute difference, in levels.
    fn diff(a: &Raster, b: &Raster) -> (f64, u8) {
        assert_eq!(
            (a.width, a.height, a.channels),
            (b.width, b.height, b.channels)
        );
        let mut sum = 0u64;
        let mut max = 0u8;
        for (x, y) in a.data.iter().zip(&b.data) {
            let d = x.abs_diff(*y);
            sum += u64::from(d);
            max = max.max(d);
        }
        (sum as f64 / a.data.len() as f64, max)
    }

    #[test]
    fn left_out_scans_change_nothing() {
        for full_chroma in [false, true] {
            let jpeg = jpeg_scans::tests::progressive_photo(256, 192, full_chroma);
            let flag = CancelFlag::new();
            for d in [2u8, 4, 8] {
                let whole = std::iter::once(0..jpeg.len() as u64).collect();
                let full = decode_parts(&jpeg, whole, d, Wants::default(), FailOn::Warning, &flag)
                    .expect("full");
                let exact = jpeg_scans::needed(&jpeg, d, jpeg_scans::Rule::Exact);
                let exact = decode_parts(&jpeg, exact, d, Wants::default(), FailOn::Warning, &flag)
                    .expect("exact");
                assert_eq!(diff(&full, &exact).1, 0, "1/{d} exact");
                // The default also leaves out the last-bit refinements of components
                // decoded at 1/2 or 1/4 (at 1/8, 4:2:0 chroma is decoded at 1/4),
                // which on this high-frequency pattern costs a few levels.
                let fast = decode(&jpeg, d, false, FailOn::Warning, &flag).expect("decodes");
                let (mean, _) = diff(&full, &fast);
                if d == 8 && full_chroma {
                    assert_eq!(mean, 0.0, "1/8, 4:4:4: exact");
                } else {
                    assert!(mean > 0.0, "1/{d}: refinements were left out");
                    assert!(mean < 5.0, "1/{d}: mean difference {mean:.2}");
                }
            }
        }
    }

    /// On a photo saved progressive with libjpeg's scan script, the approximate
    /// decode stays within a level and a half on average of the full decode at the
    /// decoded scale (measured: 0.95 at 1/2 and 1.14 at 1/4 on this 451x300 photo,
    /// whose detail is fine for its size), before the resize that follows.
    #[test]
    fn approximate_scans_cost_a_photo_little() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../__test__/fixtures/photos/chelsea.png"
        );
        let png = std::fs::read(path).expect("fixture");
        let header = crate::codec::probe(&png).expect("png");
        let flag = CancelFlag::new();
        let photo = crate::codec::decode(&png, &header, 1, false, FailOn::Warning, None, &flag)
            .expect("decodes");
        let mut c = Compress::new(ColorSpace::JCS_RGB);
        c.set_fastest_defaults();
        c.set_size(photo.width as usize, photo.height as usize);
        c.set_quality(90.0);
        c.set_progressive_mode();
        let mut started = c.start_compress(Vec::new()).expect("starts");
        started.write_scanlines(&photo.data).expect("writes");
        let jpeg = started.finish().expect("finishes");
        for d in [2u8, 4] {
            let whole = std::iter::once(0..jpeg.len() as u64).collect();
            let full = decode_parts(&jpeg, whole, d, Wants::default(), FailOn::Warning, &flag)
                .expect("full");
            let fast = decode(&jpeg, d, false, FailOn::Warning, &flag).expect("decodes");
            let (mean, _) = diff(&full, &fast);
            println!("1/{d}: mean difference {mean:.3}");
            assert!(mean > 0.0 && mean < 1.5, "1/{d}: mean difference {mean:.3}");
        }
    }

    /// Served in small pieces, as from a file (never whole in memory), a decode is the
    /// same as from memory, scans left out or not, and reads each byte about once.
    #[test]
    fn a_source_read_in_pieces_decodes_the_same() {
        let flag = CancelFlag::new();
        for full_chroma in [false, true] {
            // Larger than a window of the parser (64 KiB), so re-reads would show.
            let jpeg = jpeg_scans::tests::progressive_photo(1024, 768, full_chroma);
            assert!(jpeg.len() > 4 << 16, "{} bytes", jpeg.len());
            for d in [1u8, 2, 8] {
                let whole = decode(&jpeg, d, false, FailOn::Warning, &flag).expect("from memory");
                for step in [1000, 64 << 10] {
                    let pieces = super::super::source::tests::Chunked::new(&jpeg, step);
                    let streamed =
                        decode(&pieces, d, false, FailOn::Warning, &flag).expect("in pieces");
                    assert_eq!(diff(&whole, &streamed).1, 0, "1/{d}, pieces of {step}");
                    let reads = pieces.reads.load(std::sync::atomic::Ordering::Relaxed);
                    // Parsing markers, finding scans, then decoding: each a pass at most.
                    assert!(reads <= 4 * jpeg.len().div_ceil(step) + 64, "{reads} reads");
                }
            }
        }
    }

    /// `COREPOOL_JPEG_FILES=a.jpg:b.jpg cargo test --release -p corepool-core
    /// scan_skipping -- --ignored --nocapture`: time and error of skipping scans.
    #[test]
    #[ignore = "measurement on real files"]
    fn measure_on_files() {
        let files = std::env::var("COREPOOL_JPEG_FILES").unwrap_or_default();
        for file in files.split(':').filter(|f| !f.is_empty()) {
            let bytes = std::fs::read(file).expect("reads");
            for d in [2u8, 4, 8] {
                let flag = CancelFlag::new();
                let t = std::time::Instant::now();
                let whole = std::iter::once(0..bytes.len() as u64).collect();
                let full = decode_parts(&bytes, whole, d, Wants::default(), FailOn::Warning, &flag)
                    .expect("full");
                let t_full = t.elapsed();
                let exact = jpeg_scans::needed(&bytes, d, jpeg_scans::Rule::Exact);
                let exact =
                    decode_parts(&bytes, exact, d, Wants::default(), FailOn::Warning, &flag)
                        .expect("exact");
                assert_eq!(diff(&full, &exact).1, 0, "{file} 1/{d}: exact differs");
                let t = std::time::Instant::now();
                let fast = decode(&bytes, d, false, FailOn::Warning, &flag).expect("fast");
                let t_fast = t.elapsed();
                let (mean, max) = diff(&full, &fast);
                println!(
                    "{file} 1/{d}: full {t_full:?} skipping {t_fast:?} mean diff {mean:.3} max {max}"
                );
            }
        }
    }
}
