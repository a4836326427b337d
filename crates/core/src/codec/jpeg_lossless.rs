//! Lossless JPEG (ITU T.81 process 14, SOF3, Huffman-coded), which MozJPEG cannot
//! read: decoded with the pure-Rust `jpeg-decoder`, which reads it at 2 to 16 bits.
//!
//! Invariants: the header is read (and so checked against the pixel limit by the
//! caller) before any pixel memory is allocated; the decoder is told the most it may
//! allocate; samples over 8 bits are scaled to 8; a panic inside the decoder on a
//! hostile stream becomes `Corrupt`, never a crash. There is no DCT, so no
//! shrink-on-load: a scale of `1/denominator` is a box average, the nearest thing to
//! what libjpeg's scaled IDCT gives.
//!
//! Memory: `jpeg-decoder` holds the whole image several times over while it decodes
//! (16-bit sample planes, 32-bit differences, an interleaved 16-bit copy): about 26
//! bytes per pixel of an RGB image at its peak, measured 330 MiB for 227x65535, where
//! other decoders need 3 to 8.

use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};

use jpeg_decoder::{Decoder, PixelFormat};

use super::error::DecodeError;
use super::exif;
use super::jpeg::JpegHeader;
use crate::raster::Raster;

/// Runs `f`, turning the decoder's errors and panics into `Corrupt`.
fn guarded<T>(f: impl FnOnce() -> Result<T, jpeg_decoder::Error>) -> Result<T, DecodeError> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(jpeg_decoder::Error::Unsupported(what))) => Err(DecodeError::Unsupported(format!(
            "JPEG: lossless JPEG with {what:?} is not supported"
        ))),
        Ok(Err(e)) => Err(DecodeError::Corrupt(format!("JPEG: {e}"))),
        Err(_) => Err(DecodeError::Corrupt(
            "JPEG: the lossless JPEG stream is damaged".into(),
        )),
    }
}

/// What the frame header says, from the frame header's own bytes (`sof` starts at the
/// SOF3 marker's length field). The decoder's own `info()` panics on component counts
/// and precisions it does not expect, so those are refused here first.
pub(crate) fn check_frame(sof: &[u8]) -> Result<(), DecodeError> {
    let (precision, components) = match sof {
        [_, _, p, _, _, _, _, n, ..] => (*p, *n),
        _ => return Ok(()),
    };
    if !(2..=16).contains(&precision) {
        return Err(DecodeError::Corrupt(format!(
            "JPEG: lossless frame with {precision}-bit samples (2 to 16 allowed)"
        )));
    }
    if !matches!(components, 1 | 3) {
        return Err(DecodeError::Unsupported(format!(
            "JPEG: lossless JPEG with {components} components (1 or 3 are read)"
        )));
    }
    Ok(())
}

/// Reads the header and the EXIF orientation, without decoding pixels.
pub fn probe(bytes: &[u8]) -> Result<JpegHeader, DecodeError> {
    let mut decoder = Decoder::new(Cursor::new(bytes));
    guarded(|| decoder.read_info())?;
    let info = decoder
        .info()
        .ok_or_else(|| DecodeError::Corrupt("JPEG: no frame header".into()))?;
    let orientation = decoder.exif_data().and_then(exif::orientation).unwrap_or(1);
    Ok(JpegHeader {
        width: u32::from(info.width),
        height: u32::from(info.height),
        components: if info.pixel_format == PixelFormat::L8 || info.pixel_format == PixelFormat::L16
        {
            1
        } else {
            3
        },
        orientation,
    })
}

/// Where the frame's precision byte and every scan's `Ah/Al` byte are, walking the
/// marker segments (a marker inside entropy-coded data is always a real one, as the
/// coder stuffs a zero after every 0xFF of data).
fn positions(bytes: &[u8]) -> (Option<usize>, Vec<usize>) {
    let mut sof = None;
    let mut scans = Vec::new();
    let mut at = 2usize;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            break;
        }
        let code = bytes[at + 1];
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        match code {
            0xC3 => sof = Some(at + 4),
            0xDA => {
                let ns = bytes.get(at + 4).map_or(0, |&n| usize::from(n));
                scans.push(at + 4 + 1 + 2 * ns + 2);
                // The other scans follow entropy-coded data.
                let mut from = at + 2 + len;
                while let Some(p) = bytes
                    .get(from..)
                    .and_then(|rest| rest.windows(2).position(|w| w == [0xFF, 0xDA]))
                {
                    let sos = from + p;
                    let ns = bytes.get(sos + 4).map_or(0, |&n| usize::from(n));
                    scans.push(sos + 4 + 1 + 2 * ns + 2);
                    from = sos + 2;
                }
                break;
            }
            _ => {}
        }
        at += 2 + len;
    }
    scans.retain(|&p| p < bytes.len());
    (sof.filter(|&p| p < bytes.len()), scans)
}

/// Decodes the whole image, shrunk by `1/denominator` (a box average; the size is
/// `floor(size / denominator)`, never 0), allocating at most `budget` bytes.
///
/// A point transform (`Al`: samples stored shifted right) is undone here, not by the
/// decoder: `jpeg-decoder` 0.3 predicts from the already shifted-back samples, which
/// doubles the error along every row. So a copy of the stream says `Al = 0` at a
/// precision `Al` bits lower, is decoded as such, and the samples are shifted left
/// afterwards, as libjpeg does.
pub fn decode(bytes: &[u8], denominator: u8, budget: u64) -> Result<Raster, DecodeError> {
    let (sof, scans) = positions(bytes);
    let precision = sof.map_or(8, |p| bytes[p]);
    let shift = scans.first().map_or(0, |&p| bytes[p] & 0x0F);
    if scans.iter().any(|&p| bytes[p] & 0x0F != shift) || shift + 2 > precision {
        return Err(DecodeError::Unsupported(format!(
            "JPEG: lossless JPEG with a point transform of {shift} at {precision} bits"
        )));
    }
    let patched;
    let stream = match (sof, shift) {
        (Some(p), 1..) => {
            let mut copy = bytes.to_vec();
            copy[p] = precision - shift;
            for &s in &scans {
                copy[s] &= 0xF0;
            }
            patched = copy;
            &patched[..]
        }
        _ => bytes,
    };
    let mut decoder = Decoder::new(Cursor::new(stream));
    decoder.set_max_decoding_buffer_size(usize::try_from(budget).unwrap_or(usize::MAX));
    let data = guarded(|| decoder.decode())?;
    let info = decoder
        .info()
        .ok_or_else(|| DecodeError::Corrupt("JPEG: no frame header".into()))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let channels: u8 = if matches!(info.pixel_format, PixelFormat::L8 | PixelFormat::L16) {
        1
    } else {
        3
    };
    let samples = width as usize * height as usize * usize::from(channels);
    // Samples of `precision` bits once shifted back; over 8 bits, scaled to 8.
    let top = (1u32 << precision) - 1;
    let to_u8 = |v: u32| -> u8 {
        let v = (v << shift).min(top);
        if precision == 8 {
            v as u8
        } else {
            ((v * 255 + top / 2) / top) as u8
        }
    };
    // The decoder gives a byte a sample at 8 bits (converted in place: `into_iter` and
    // `collect` reuse the buffer), a native-endian u16 otherwise.
    let data: Vec<u8> = if precision - shift == 8 {
        data.into_iter().map(|v| to_u8(u32::from(v))).collect()
    } else {
        data.chunks_exact(2)
            .map(|b| to_u8(u32::from(u16::from_ne_bytes([b[0], b[1]]))))
            .collect()
    };
    let raster = Raster::new(width, height, channels, data)
        .filter(|r| r.data.len() == samples)
        .ok_or_else(|| {
            DecodeError::Corrupt("JPEG: decoded size does not match the header".into())
        })?;
    Ok(box_shrink(raster, denominator))
}

/// `raster` shrunk by `1/d` by averaging `d x d` blocks (the last partial column and
/// row are left out, as libjpeg's scaled size is cropped to `floor(size / d)`).
fn box_shrink(raster: Raster, d: u8) -> Raster {
    let d = u32::from(d.max(1));
    if d == 1 {
        return raster;
    }
    let (w, h) = ((raster.width / d).max(1), (raster.height / d).max(1));
    let c = usize::from(raster.channels);
    let stride = raster.width as usize * c;
    let mut out = Vec::with_capacity(w as usize * h as usize * c);
    for y in 0..h {
        let rows = (y * d)..((y + 1) * d).min(raster.height);
        for x in 0..w {
            let cols = (x * d)..((x + 1) * d).min(raster.width);
            let n = rows.len() as u32 * cols.len() as u32;
            for ch in 0..c {
                let sum: u32 = rows
                    .clone()
                    .flat_map(|r| {
                        cols.clone()
                            .map(move |q| r as usize * stride + q as usize * c + ch)
                    })
                    .map(|i| u32::from(raster.data[i]))
                    .sum();
                out.push(((sum + n / 2) / n) as u8);
            }
        }
    }
    Raster::new(w, h, raster.channels, out).unwrap_or(raster)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::corpus;

    #[test]
    fn reads_a_lossless_rgb_jpeg() {
        let bytes = corpus("sharp/test/fixtures/testimgl.jpg");
        let h = probe(&bytes).expect("header");
        assert_eq!((h.width, h.height, h.components), (227, 149, 3));
        let raster = decode(&bytes, 1, 1 << 30).expect("pixels");
        assert_eq!(
            (raster.width, raster.height, raster.channels),
            (227, 149, 3)
        );
        // Not flat: real picture content.
        let (min, max) = raster
            .data
            .iter()
            .fold((255u8, 0u8), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        assert!(max - min > 100, "range {min}..{max}");
        let half = decode(&bytes, 2, 1 << 30).expect("shrunk");
        assert_eq!((half.width, half.height), (113, 74));
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let bytes = corpus("sharp/test/fixtures/testimgl.jpg");
        for cut in [20, 40, 200, bytes.len() / 2] {
            let _ = decode(&bytes[..cut], 1, 1 << 30);
        }
        let mut flipped = bytes.clone();
        for i in (300..flipped.len()).step_by(97) {
            flipped[i] ^= 0x5A;
        }
        let _ = decode(&flipped, 1, 1 << 30);
        assert!(matches!(
            check_frame(&[0, 11, 17, 0, 1, 0, 1, 3]),
            Err(DecodeError::Corrupt(_))
        ));
        assert!(matches!(
            check_frame(&[0, 11, 8, 0, 1, 0, 1, 2]),
            Err(DecodeError::Unsupported(_))
        ));
    }

    #[test]
    fn budget_is_respected() {
        let bytes = corpus("sharp/test/fixtures/testimgl.jpg");
        assert!(decode(&bytes, 1, 1000).is_err());
    }
}
