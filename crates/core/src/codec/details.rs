//! What `metadata()` reports beyond the [`super::Header`], read from the header bytes
//! only (no pixel is decoded), with sharp's (libvips') meanings: whether the image is
//! progressive or interlaced, JPEG chroma subsampling, the density in pixels per inch,
//! whether an ICC profile is embedded, whether it is palette-based, and the bits per
//! sample of PNG and GIF.

use std::io::Cursor;

use super::exif;
use super::format::Format;

/// The header details of one image; absent values are `None` (or `false`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Details {
    /// Progressive JPEG (SOF2, 6, 10, 14) or interlaced PNG (Adam7).
    pub is_progressive: bool,
    /// JPEG only, as libvips names it: '4:2:0' when any component is subsampled, else
    /// '4:4:4' ('4:2:0:4' and '4:4:4:4' with four components).
    pub chroma_subsampling: Option<&'static str>,
    /// Pixels per inch, rounded, when it is more than 25.4 (libvips' rule): JPEG from
    /// EXIF, else JFIF, else libvips' default of 72; PNG from pHYs, else 72; TIFF from
    /// its resolution tags; none for GIF and WebP.
    pub density: Option<u32>,
    /// An embedded ICC profile (JPEG APP2, PNG iCCP, WebP ICCP, TIFF tag 34675).
    pub has_profile: bool,
    /// Palette-based: GIF, and PNG of colour type 3 (and TIFF with a colour map).
    pub is_palette: bool,
    /// PNG's bit depth, 8 for GIF, TIFF's BitsPerSample; `None` for JPEG and WebP (as
    /// sharp).
    pub bits_per_sample: Option<u8>,
}

/// What libvips assumes for JPEG and PNG that state no resolution (and so what sharp
/// reports for them).
const DEFAULT_DENSITY: u32 = 72;

/// Density from a resolution in pixels per inch, as sharp reports it.
fn density(ppi: f64) -> Option<u32> {
    (ppi.is_finite() && ppi > 25.4).then(|| ppi.round() as u32)
}

/// The details of `bytes`, a whole file or a prefix holding its header, in `format`.
/// What cannot be read from the bytes is left at its default.
pub fn details(bytes: &[u8], format: Format) -> Details {
    match format {
        Format::Jpeg => jpeg(bytes),
        Format::Png => png(bytes),
        Format::Gif => Details {
            is_palette: true,
            bits_per_sample: Some(8),
            ..Details::default()
        },
        Format::Webp => webp(bytes),
        Format::Tiff => tiff(bytes),
        Format::Avif | Format::Bmp | Format::Vips | Format::Svg => Details::default(),
    }
}

/// The marker segments of a JPEG up to its first scan, as (marker code, payload after
/// the length); stops at the first scan, at the end of the bytes, or at anything that
/// is not a marker.
pub fn jpeg_segments(bytes: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut at = 2usize;
    std::iter::from_fn(move || loop {
        let (Some(0xFF), Some(&code)) = (bytes.get(at), bytes.get(at + 1)) else {
            return None;
        };
        if code == 0xFF {
            at += 1;
            continue;
        }
        at += 2;
        if matches!(code, 0x01 | 0xD0..=0xD8) {
            continue;
        }
        if matches!(code, 0xDA | 0xD9) {
            return None;
        }
        let len = bytes
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))?;
        let segment = bytes
            .get(at + 2..(at + len).min(bytes.len()))
            .unwrap_or(&[]);
        at += len.max(2);
        return Some((code, segment));
    })
}

/// Reads JPEG markers up to the first scan: SOF, APP0 (JFIF), APP1 (EXIF), APP2 (ICC).
fn jpeg(bytes: &[u8]) -> Details {
    let mut d = Details::default();
    let (mut jfif, mut exif) = (None, None);
    for (code, segment) in jpeg_segments(bytes) {
        match code {
            0xC0..=0xCF if !matches!(code, 0xC4 | 0xC8 | 0xCC) => {
                d.is_progressive = matches!(code, 0xC2 | 0xC6 | 0xCA | 0xCE);
                let components = usize::from(*segment.get(5).unwrap_or(&0));
                let subsampled = (0..components)
                    .filter_map(|c| segment.get(7 + 3 * c))
                    .any(|&hv| hv >> 4 > 1 || hv & 15 > 1);
                d.chroma_subsampling = Some(match (components > 3, subsampled) {
                    (false, true) => "4:2:0",
                    (false, false) => "4:4:4",
                    (true, true) => "4:2:0:4",
                    (true, false) => "4:4:4:4",
                });
            }
            0xE0 if segment.starts_with(b"JFIF\0") && segment.len() >= 12 => jfif = Some(segment),
            0xE1 if segment.starts_with(b"Exif\0\0") && exif.is_none() => exif = Some(segment),
            0xE2 if segment.starts_with(b"ICC_PROFILE\0") => d.has_profile = true,
            _ => {}
        }
    }
    // EXIF's resolution wins over JFIF's, as in libvips.
    let from_jfif = jfif.and_then(|j| {
        let (unit, x, y) = (
            j[7],
            u16::from_be_bytes([j[8], j[9]]),
            u16::from_be_bytes([j[10], j[11]]),
        );
        match unit {
            _ if x == 1 || y == 1 => None,
            1 => Some(f64::from(x)),
            2 => Some(f64::from(x) * 2.54),
            _ => None,
        }
    });
    d.density = exif
        .and_then(exif::resolution)
        .or(from_jfif)
        .map_or(Some(DEFAULT_DENSITY), density);
    d
}

/// Reads PNG chunks up to the first IDAT: IHDR, pHYs, iCCP.
fn png(bytes: &[u8]) -> Details {
    let mut d = Details {
        density: Some(DEFAULT_DENSITY),
        ..Details::default()
    };
    let mut at = 8usize;
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let data = bytes
            .get(at + 8..(at + 8).saturating_add(len).min(bytes.len()))
            .unwrap_or(&[]);
        match &head[4..8] {
            b"IHDR" if data.len() >= 13 => {
                d.bits_per_sample = Some(data[8]);
                d.is_palette = data[9] == 3;
                d.is_progressive = data[12] == 1;
            }
            b"pHYs" if data.len() >= 9 && data[8] == 1 => {
                // Pixels per metre.
                let x = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                d.density = density(f64::from(x) * 0.0254);
            }
            b"iCCP" => d.has_profile = true,
            b"IDAT" | b"IEND" => break,
            _ => {}
        }
        at = at.saturating_add(12).saturating_add(len);
    }
    d
}

/// WebP: an extended file (VP8X) flags its ICC profile.
fn webp(bytes: &[u8]) -> Details {
    Details {
        has_profile: bytes.get(12..16) == Some(b"VP8X")
            && bytes.get(20).is_some_and(|f| f & 0x20 != 0),
        ..Details::default()
    }
}

/// TIFF's first directory, through the `tiff` crate: resolution, ICC, colour map.
fn tiff(bytes: &[u8]) -> Details {
    use tiff::decoder::Decoder;
    use tiff::tags::Tag;
    let Ok(mut decoder) = Decoder::new(Cursor::new(bytes)) else {
        return Details::default();
    };
    let resolution = decoder
        .find_tag(Tag::XResolution)
        .ok()
        .flatten()
        .and_then(|v| v.into_f64().ok());
    let unit = decoder
        .find_tag(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .and_then(|v| v.into_u16().ok())
        .unwrap_or(2);
    let ppi = resolution.and_then(|r| match unit {
        2 => Some(r),
        3 => Some(r * 2.54),
        _ => None,
    });
    let photometric = decoder
        .find_tag(Tag::PhotometricInterpretation)
        .ok()
        .flatten()
        .and_then(|v| v.into_u16().ok());
    let bits = decoder
        .find_tag(Tag::BitsPerSample)
        .ok()
        .flatten()
        .and_then(|v| v.into_u16_vec().ok())
        .and_then(|v| v.first().copied())
        .map_or(Some(1), |b| u8::try_from(b).ok());
    Details {
        density: ppi.and_then(density),
        has_profile: decoder.find_tag(Tag::IccProfile).ok().flatten().is_some(),
        is_palette: photometric == Some(3),
        bits_per_sample: bits,
        ..Details::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../__test__/fixtures/photos/"
        );
        std::fs::read(format!("{root}{name}")).expect("fixture")
    }

    /// The values sharp's metadata() reports for the fixtures.
    #[test]
    fn fixtures_read_as_sharp_reads_them() {
        for (name, format, progressive, chroma, density, profile, palette, bits) in [
            (
                "rocket.jpg",
                Format::Jpeg,
                false,
                Some("4:4:4"),
                Some(72),
                true,
                false,
                None,
            ),
            (
                "retina.jpg",
                Format::Jpeg,
                false,
                Some("4:2:0"),
                Some(150),
                false,
                false,
                None,
            ),
            (
                "hubble_deep_field.jpg",
                Format::Jpeg,
                false,
                Some("4:4:4"),
                Some(300),
                true,
                false,
                None,
            ),
            (
                "astronaut.png",
                Format::Png,
                false,
                None,
                Some(300),
                true,
                false,
                Some(8),
            ),
            (
                "camera.png",
                Format::Png,
                false,
                None,
                Some(72),
                false,
                false,
                Some(8),
            ),
            (
                "coffee.png",
                Format::Png,
                false,
                None,
                Some(96),
                false,
                false,
                Some(8),
            ),
            (
                "logo.png",
                Format::Png,
                false,
                None,
                Some(100),
                false,
                false,
                Some(8),
            ),
            (
                "no_time_for_that_tiny.gif",
                Format::Gif,
                false,
                None,
                None,
                false,
                true,
                Some(8),
            ),
        ] {
            let d = details(&fixture(name), format);
            assert_eq!(
                (
                    d.is_progressive,
                    d.chroma_subsampling,
                    d.density,
                    d.has_profile,
                    d.is_palette,
                    d.bits_per_sample
                ),
                (progressive, chroma, density, profile, palette, bits),
                "{name}"
            );
        }
    }

    /// corepool's own outputs: the encoder options show in the details.
    #[test]
    fn encoder_options_show_in_the_details() {
        use crate::codec::{encode, ChromaSubsampling, EncodeSettings};
        use crate::raster::Raster;
        let raster = Raster::filled(40, 30, 4, [10, 200, 30, 128]);
        let with = |format, settings| {
            details(
                &encode(&raster, format, &settings).expect("encodes"),
                format,
            )
        };
        let jpeg = with(Format::Jpeg, EncodeSettings::default());
        assert_eq!(
            (jpeg.is_progressive, jpeg.chroma_subsampling, jpeg.density),
            (false, Some("4:2:0"), Some(72))
        );
        let jpeg = with(
            Format::Jpeg,
            EncodeSettings {
                progressive: true,
                chroma_subsampling: Some(ChromaSubsampling::Yuv444),
                ..EncodeSettings::default()
            },
        );
        assert_eq!(
            (jpeg.is_progressive, jpeg.chroma_subsampling),
            (true, Some("4:4:4"))
        );
        let png = with(
            Format::Png,
            EncodeSettings {
                palette: true,
                ..EncodeSettings::default()
            },
        );
        assert_eq!((png.is_palette, png.bits_per_sample), (true, Some(1)));
        let png = with(Format::Png, EncodeSettings::default());
        assert_eq!(
            (png.is_palette, png.bits_per_sample, png.density),
            (false, Some(8), Some(72))
        );
        let tiff = with(Format::Tiff, EncodeSettings::default());
        assert_eq!(
            (
                tiff.is_palette,
                tiff.has_profile,
                tiff.density,
                tiff.bits_per_sample
            ),
            (false, false, None, Some(8))
        );
    }

    #[test]
    fn damaged_headers_give_defaults_not_panics() {
        for format in [Format::Jpeg, Format::Png, Format::Webp, Format::Tiff] {
            for bytes in [
                &b""[..],
                b"\xff\xd8\xff\xe0\xff\xff",
                b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIHDR",
                b"RIFF",
            ] {
                let _ = details(bytes, format);
            }
        }
        let rocket = fixture("rocket.jpg");
        for cut in [3, 10, 20, 100, 1000] {
            let _ = details(&rocket[..cut], Format::Jpeg);
        }
    }
}
