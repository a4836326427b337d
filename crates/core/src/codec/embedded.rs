//! The metadata an image carries besides its pixels, for `keepMetadata`, `keepExif` and
//! `keepIccProfile`: EXIF (a TIFF structure), the ICC profile and XMP (an XML packet),
//! read from the header bytes of JPEG (APP1, APP2), PNG (eXIf, iCCP, iTXt) and WebP
//! (EXIF, ICCP, XMP chunks), and written back into JPEG, PNG and WebP outputs.

use std::io::Cursor;

use super::format::Format;
use super::icc;

/// The metadata blocks of one image, each as its format stores it without framing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Embedded {
    /// EXIF as a TIFF structure (`II*\0` or `MM\0*`), without JPEG's `Exif\0\0`.
    pub exif: Option<Vec<u8>>,
    /// The whole ICC profile.
    pub icc: Option<Vec<u8>>,
    /// The XMP packet.
    pub xmp: Option<Vec<u8>>,
}

/// JPEG's APP1 signature of XMP.
pub const XMP_SIGNATURE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// PNG's iTXt keyword of XMP.
pub const XMP_KEYWORD: &str = "XML:com.adobe.xmp";

impl Embedded {
    pub fn is_empty(&self) -> bool {
        self.exif.is_none() && self.icc.is_none() && self.xmp.is_none()
    }
}

/// The metadata of `bytes` (a whole file, or a prefix holding its header) in `format`;
/// what cannot be read is left out.
pub fn read(bytes: &[u8], format: Format) -> Embedded {
    match format {
        Format::Jpeg => jpeg(bytes),
        Format::Png => png(bytes),
        Format::Webp => webp(bytes),
        _ => Embedded::default(),
    }
}

fn jpeg(bytes: &[u8]) -> Embedded {
    let mut found = Embedded::default();
    let mut app2 = Vec::new();
    for (code, segment) in super::details::jpeg_segments(bytes) {
        match code {
            0xE1 if found.exif.is_none() && segment.starts_with(b"Exif\0\0") => {
                found.exif = Some(segment[6..].to_vec());
            }
            0xE1 if found.xmp.is_none() && segment.starts_with(XMP_SIGNATURE) => {
                found.xmp = Some(segment[XMP_SIGNATURE.len()..].to_vec());
            }
            0xE2 => app2.push(segment),
            _ => {}
        }
    }
    found.icc = icc::from_jpeg_app2(app2.into_iter());
    found
}

fn png(bytes: &[u8]) -> Embedded {
    let Ok(reader) = png::Decoder::new(Cursor::new(bytes)).read_info() else {
        return Embedded::default();
    };
    let info = reader.info();
    Embedded {
        exif: info.exif_metadata.as_ref().map(|e| e.to_vec()),
        icc: info.icc_profile.as_ref().map(|p| p.to_vec()),
        xmp: info
            .utf8_text
            .iter()
            .find(|t| t.keyword == XMP_KEYWORD)
            .and_then(|t| t.get_text().ok())
            .map(String::into_bytes),
    }
}

/// The chunks of a RIFF WebP file: (fourcc, payload).
pub fn webp_chunks(bytes: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut chunks = Vec::new();
    let mut at = 12usize;
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let end = (at + 8).saturating_add(len).min(bytes.len());
        chunks.push(([head[0], head[1], head[2], head[3]], &bytes[at + 8..end]));
        at = (at + 8).saturating_add(len).saturating_add(len & 1);
    }
    chunks
}

fn webp(bytes: &[u8]) -> Embedded {
    let mut found = Embedded::default();
    for (fourcc, payload) in webp_chunks(bytes) {
        let slot = match &fourcc {
            b"EXIF" => &mut found.exif,
            b"ICCP" => &mut found.icc,
            b"XMP " => &mut found.xmp,
            _ => continue,
        };
        // Some writers keep JPEG's prefix in WebP's EXIF chunk.
        let payload = payload.strip_prefix(b"Exif\0\0").unwrap_or(payload);
        slot.get_or_insert_with(|| payload.to_vec());
    }
    found
}

/// `webp` (libwebp's simple-format output) rewritten as an extended file (VP8X) with
/// the ICC profile, EXIF and XMP of `meta`, in the chunk order the WebP container
/// specifies: VP8X, ICCP, the image (ALPH, VP8 or VP8L), EXIF, XMP.
pub fn webp_with(webp: &[u8], width: u32, height: u32, meta: &Embedded) -> Vec<u8> {
    if meta.is_empty() {
        return webp.to_vec();
    }
    let chunks = webp_chunks(webp);
    let image: Vec<&([u8; 4], &[u8])> = chunks
        .iter()
        .filter(|(fourcc, _)| matches!(fourcc, b"ALPH" | b"VP8 " | b"VP8L"))
        .collect();
    // Alpha: an ALPH chunk, or VP8L's alpha_is_used bit (bit 28 of its header).
    let alpha = image.iter().any(|(fourcc, payload)| {
        fourcc == b"ALPH" || (fourcc == b"VP8L" && payload.get(4).is_some_and(|b| b & 0x10 != 0))
    });
    let mut flags = 0u8;
    if meta.icc.is_some() {
        flags |= 0x20;
    }
    if alpha {
        flags |= 0x10;
    }
    if meta.exif.is_some() {
        flags |= 0x08;
    }
    if meta.xmp.is_some() {
        flags |= 0x04;
    }
    let mut vp8x = vec![flags, 0, 0, 0];
    vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let mut body = b"WEBP".to_vec();
    let mut put = |fourcc: &[u8; 4], payload: &[u8]| {
        body.extend_from_slice(fourcc);
        body.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        body.extend_from_slice(payload);
        if payload.len() % 2 == 1 {
            body.push(0);
        }
    };
    put(b"VP8X", &vp8x);
    if let Some(icc) = &meta.icc {
        put(b"ICCP", icc);
    }
    for (fourcc, payload) in image {
        put(fourcc, payload);
    }
    if let Some(exif) = &meta.exif {
        put(b"EXIF", exif);
    }
    if let Some(xmp) = &meta.xmp {
        put(b"XMP ", xmp);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{encode_with_metadata, probe, EncodeSettings};
    use crate::raster::Raster;

    /// A minimal grey-free RGB "profile": only the header bytes the encoders look at.
    fn rgb_profile() -> Vec<u8> {
        let mut p = vec![0u8; 200];
        p[16..20].copy_from_slice(b"RGB ");
        p[100..104].copy_from_slice(b"test");
        p
    }

    fn meta() -> Embedded {
        Embedded {
            exif: Some(b"II*\0\x08\0\0\0\0\0\0\0\0\0Copyright here".to_vec()),
            icc: Some(rgb_profile()),
            xmp: Some(b"<x:xmpmeta>kept</x:xmpmeta>".to_vec()),
        }
    }

    /// What is written into JPEG, PNG and WebP reads back the same, and the outputs
    /// still decode.
    #[test]
    fn metadata_round_trips_through_each_format() {
        for channels in [3, 4] {
            let raster = Raster::filled(21, 13, channels, [10, 120, 230, 200]);
            for format in [Format::Jpeg, Format::Png, Format::Webp] {
                let bytes =
                    encode_with_metadata(&raster, format, &EncodeSettings::default(), &meta())
                        .expect("encodes");
                assert_eq!(
                    read(&bytes, format),
                    meta(),
                    "{format:?}, {channels} channels"
                );
                let header = probe(&bytes).expect("probes");
                assert_eq!((header.width, header.height), (21, 13));
                let decoded = image::load_from_memory(&bytes).expect("decodes");
                assert_eq!(decoded.width(), 21);
            }
        }
    }

    /// A grey output gets no RGB profile; EXIF and XMP stay.
    #[test]
    fn a_profile_that_does_not_fit_the_channels_is_left_out() {
        let grey = Raster::filled(8, 8, 1, [90, 90, 90, 255]);
        let bytes = encode_with_metadata(&grey, Format::Jpeg, &EncodeSettings::default(), &meta())
            .expect("encodes");
        let found = read(&bytes, Format::Jpeg);
        assert_eq!(found.icc, None);
        assert_eq!((found.exif, found.xmp), (meta().exif, meta().xmp));
    }

    #[test]
    fn nothing_to_keep_leaves_webp_as_libwebp_wrote_it() {
        let raster = Raster::filled(8, 8, 3, [1, 2, 3, 255]);
        let plain = encode_with_metadata(
            &raster,
            Format::Webp,
            &EncodeSettings::default(),
            &Embedded::default(),
        )
        .expect("encodes");
        assert_eq!(&plain[12..16], b"VP8 ");
        assert!(read(&plain, Format::Webp).is_empty());
    }
}
