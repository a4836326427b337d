//! libvips' own format (`.v`), which sharp reads: a 64-byte header, then the pixels
//! uncompressed and band-interleaved, then XML metadata (ignored here).
//!
//! Read: 8- and 16-bit unsigned samples (16 is scaled to 8), 1 to 4 bands, no coding.
//! 2 bands are grey and alpha, 4 are RGBA unless the interpretation says CMYK (then
//! refused), as libvips reads them. Invariants: the header is checked against the file
//! length before any pixel memory is allocated; nothing past the file is read.

use super::error::DecodeError;
use super::source::{self, Source};
use crate::raster::Raster;

/// The magic number, as the first four bytes of a file written on a little-endian
/// machine (libvips' `VIPS_MAGIC_INTEL`) and on a big-endian one (`VIPS_MAGIC_SPARC`).
const MAGIC_LE: [u8; 4] = [0xB6, 0xA6, 0xF2, 0x08];
const MAGIC_BE: [u8; 4] = [0x08, 0xF2, 0xA6, 0xB6];

/// The header's length.
const HEADER_BYTES: usize = 64;

/// libvips' `VipsInterpretation` for CMYK.
const INTERPRETATION_CMYK: u32 = 15;

/// Whether `bytes` start like a libvips image.
pub(crate) fn is_vips(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC_LE) || bytes.starts_with(&MAGIC_BE)
}

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VipsHeader {
    pub width: u32,
    pub height: u32,
    pub bands: u8,
    /// Bytes a sample: 1 or 2.
    sample_bytes: u8,
    little_endian: bool,
}

/// Reads and checks the header.
pub fn probe(bytes: &[u8]) -> Result<VipsHeader, DecodeError> {
    let header = bytes
        .get(..HEADER_BYTES)
        .ok_or_else(|| DecodeError::Corrupt("VIPS: the header is cut short".into()))?;
    let little_endian = header.starts_with(&MAGIC_LE);
    let field = |i: usize| {
        let b = [
            header[4 + 4 * i],
            header[5 + 4 * i],
            header[6 + 4 * i],
            header[7 + 4 * i],
        ];
        if little_endian {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let (width, height, bands) = (field(0), field(1), field(2));
    let (band_format, coding, interpretation) = (field(4), field(5), field(6));
    if width == 0 || height == 0 || width > i32::MAX as u32 || height > i32::MAX as u32 {
        return Err(DecodeError::Corrupt(format!(
            "VIPS: image header declares a size of {width}x{height}"
        )));
    }
    if coding != 0 {
        return Err(DecodeError::Unsupported(format!(
            "VIPS: coded images (coding {coding}) are not supported"
        )));
    }
    let sample_bytes = match band_format {
        0 => 1,
        2 => 2,
        other => {
            return Err(DecodeError::Unsupported(format!(
                "VIPS: band format {other} is not supported (8- and 16-bit unsigned only)"
            )))
        }
    };
    if !(1..=4).contains(&bands) || (bands == 4 && interpretation == INTERPRETATION_CMYK) {
        return Err(DecodeError::Unsupported(format!(
            "VIPS: {bands} bands (interpretation {interpretation}) are not supported"
        )));
    }
    Ok(VipsHeader {
        width,
        height,
        bands: bands as u8,
        sample_bytes,
        little_endian,
    })
}

/// Decodes the pixels.
pub fn decode(src: &dyn Source) -> Result<Raster, DecodeError> {
    let head = source::prefix(src, HEADER_BYTES as u64)
        .map_err(|e| DecodeError::Corrupt(format!("VIPS: the input cannot be read: {e}")))?;
    let h = probe(&head)?;
    let samples = u64::from(h.width) * u64::from(h.height) * u64::from(h.bands);
    let need = samples * u64::from(h.sample_bytes);
    if src.len() < HEADER_BYTES as u64 + need {
        return Err(DecodeError::Corrupt(format!(
            "VIPS: the file holds {} bytes of pixels, the header declares {need}",
            src.len().saturating_sub(HEADER_BYTES as u64)
        )));
    }
    let all = source::prefix(src, HEADER_BYTES as u64 + need)
        .map_err(|e| DecodeError::Corrupt(format!("VIPS: the input cannot be read: {e}")))?;
    let pixels = &all[HEADER_BYTES..];
    let data = if h.sample_bytes == 1 {
        pixels.to_vec()
    } else {
        pixels
            .chunks_exact(2)
            .map(|b| {
                let v = if h.little_endian {
                    u16::from_le_bytes([b[0], b[1]])
                } else {
                    u16::from_be_bytes([b[0], b[1]])
                };
                ((u32::from(v) * 255 + 32767) / 65535) as u8
            })
            .collect()
    };
    Raster::new(h.width, h.height, h.bands, data)
        .ok_or_else(|| DecodeError::Corrupt("VIPS: decoded size does not match the header".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: u32, height: u32, bands: u32, format: u32, pixels: &[u8]) -> Vec<u8> {
        let mut v = MAGIC_LE.to_vec();
        for f in [width, height, bands, 8, format, 0, 22] {
            v.extend_from_slice(&f.to_le_bytes());
        }
        v.resize(HEADER_BYTES, 0);
        v.extend_from_slice(pixels);
        v.extend_from_slice(b"<?xml version=\"1.0\"?>");
        v
    }

    #[test]
    fn reads_sharps_fixture() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../__test__/corpora/sharp/test/fixtures/vfile.v"
        );
        let bytes = std::fs::read(path).expect("fixture");
        assert!(is_vips(&bytes));
        let h = probe(&bytes).expect("header");
        assert_eq!((h.width, h.height, h.bands), (70, 60, 3));
        let r = decode(&bytes.as_slice()).expect("pixels");
        assert_eq!(r.data[..], bytes[64..64 + 70 * 60 * 3]);
    }

    #[test]
    fn sixteen_bits_scale_and_bad_headers_are_refused() {
        let v = image(2, 1, 1, 2, &[0xFF, 0xFF, 0x00, 0x80]);
        let r = decode(&v.as_slice()).expect("16-bit");
        assert_eq!(r.data, [255, 128]);
        let short = image(4, 4, 3, 0, &[1, 2, 3]);
        assert!(matches!(
            decode(&short.as_slice()),
            Err(DecodeError::Corrupt(m)) if m.contains("declares")
        ));
        assert!(matches!(
            probe(&image(1, 1, 3, 6, &[])),
            Err(DecodeError::Unsupported(_))
        ));
        assert!(matches!(
            probe(&image(0, 1, 3, 0, &[])),
            Err(DecodeError::Corrupt(_))
        ));
        assert!(matches!(probe(&v[..20]), Err(DecodeError::Corrupt(_))));
    }
}
