//! Recognising a format from the content (magic bytes), never from the file name.

use super::avif_container;
use super::error::DecodeError;
use super::format::Format;
use super::svg;
use super::vips;

/// The format of `bytes`, from their first bytes.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    Some(match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Format::Jpeg,
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Format::Png,
        [b'G', b'I', b'F', b'8', ..] => Format::Gif,
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Format::Webp,
        // Classic TIFF (42) and BigTIFF (43), little- and big-endian.
        [b'I', b'I', 42 | 43, 0, ..] | [b'M', b'M', 0, 42 | 43, ..] => Format::Tiff,
        [b'B', b'M', ..] => Format::Bmp,
        _ if vips::is_vips(bytes) => Format::Vips,
        // ISOBMFF: the brands of the `ftyp` box say AVIF (see `avif_container::is_avif`).
        [_, _, _, _, b'f', b't', b'y', b'p', ..] if avif_container::is_avif(bytes) => Format::Avif,
        // Text (or gzip) last: the binary formats' magic bytes never look like markup.
        _ if svg::is_svg(bytes) => Format::Svg,
        _ => return None,
    })
}

/// The format of `bytes`, or why it is not one corepool reads.
pub(crate) fn recognise(bytes: &[u8]) -> Result<Format, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    match sniff(bytes) {
        Some(format) => Ok(format),
        None => Err(DecodeError::Unsupported(
            "input is not a supported image format (jpeg, png, webp, avif, gif, tiff, bmp, vips, svg)"
                .into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"\xff\xd8\xff\xe0rest"), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Format::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(sniff(b"GIF89a"), Some(Format::Gif));
        assert_eq!(sniff(b"II*\0rest"), Some(Format::Tiff));
        assert_eq!(sniff(b"II+\0rest"), Some(Format::Tiff), "BigTIFF");
        assert_eq!(
            sniff(b"MM\0+rest"),
            Some(Format::Tiff),
            "big-endian BigTIFF"
        );
        assert_eq!(sniff(b"hello, I am text"), None);
        assert_eq!(recognise(b""), Err(DecodeError::Empty));
        assert!(matches!(
            recognise(b"plain text"),
            Err(DecodeError::Unsupported(_))
        ));
    }
}
