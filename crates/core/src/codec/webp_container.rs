//! The RIFF container of an extended WebP (VP8X), read before any pixel is decoded:
//! the frame headers inside must agree with the canvas the pixel limit was checked on.
//! Pure byte parsing: every read is bounds-checked and nothing here panics.

use super::error::DecodeError;

/// A width and height, shown as `WxH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Display for Dims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// Why the frame headers inside an extended WebP (VP8X) contradict its container.
/// Each one makes the input corrupt (`DecodeError::Corrupt`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebpBitstreamError {
    #[error("WebP bitstream is {bitstream} but its canvas is {canvas}")]
    CanvasMismatch { bitstream: Dims, canvas: Dims },
    #[error(
        "WebP animation frame {frame} ({size} at {x},{y}) reaches outside its {canvas} canvas"
    )]
    FrameOutsideCanvas {
        frame: usize,
        size: Dims,
        x: u32,
        y: u32,
        canvas: Dims,
    },
    #[error("WebP animation frame {frame}: bitstream is {bitstream} but the frame is {size}")]
    FrameMismatch {
        frame: usize,
        bitstream: Dims,
        size: Dims,
    },
    #[error("WebP {chunk} chunk is too short for its header")]
    Truncated { chunk: &'static str },
    #[error("WebP VP8 bitstream does not start with a key frame header")]
    NotKeyFrame,
    #[error("WebP VP8L bitstream has signature {0:#04x}, not 0x2f")]
    BadSignature(u8),
}

impl From<WebpBitstreamError> for DecodeError {
    fn from(err: WebpBitstreamError) -> Self {
        DecodeError::Corrupt(err.to_string())
    }
}

/// The VP8X flag of an animated WebP (its frames are in ANMF chunks).
const VP8X_ANIMATION: u8 = 0b0000_0010;

/// Checks that the VP8 and VP8L bitstreams of an extended WebP (VP8X) declare the size
/// their container gives them: the canvas for a still image; for an animation, each
/// ANMF frame's size, and each frame lies inside the canvas.
///
/// Only the canvas is checked against `limitInputPixels`, and `image-webp` sizes its
/// Y/U/V planes from the VP8 frame header before it compares that with the canvas: a
/// bitstream claiming up to 16383x16383 inside a small canvas made it allocate hundreds
/// of MiB, whatever the limit (KB7). A bitstream that matches is no larger than the
/// checked canvas. A simple WebP (VP8 or VP8L first) passes: its header size is the
/// bitstream's, which the decoder reads and the limit check sees.
pub fn check(bytes: &[u8]) -> Result<(), WebpBitstreamError> {
    let mut chunks = riff_chunks(bytes.get(12..).unwrap_or_default());
    let Some(vp8x) = chunks.next().filter(|c| &c.fourcc == b"VP8X") else {
        return Ok(());
    };
    let (flags, canvas) = vp8x_header(vp8x.payload)?;
    if flags & VP8X_ANIMATION == 0 {
        return match first_bitstream_size(chunks)? {
            Some(bitstream) if bitstream != canvas => {
                Err(WebpBitstreamError::CanvasMismatch { bitstream, canvas })
            }
            _ => Ok(()),
        };
    }
    chunks
        .filter(|c| &c.fourcc == b"ANMF")
        .enumerate()
        .try_for_each(|(index, anmf)| check_webp_frame(index + 1, anmf.payload, canvas))
}

/// Checks ANMF frame number `frame` (from 1): it lies inside `canvas`, and its bitstream
/// (after an optional ALPH chunk) declares the frame's size.
fn check_webp_frame(frame: usize, payload: &[u8], canvas: Dims) -> Result<(), WebpBitstreamError> {
    let Some((&[x0, x1, x2, y0, y1, y2, w0, w1, w2, h0, h1, h2, ..], rest)) =
        payload.split_first_chunk::<16>()
    else {
        return Err(WebpBitstreamError::Truncated { chunk: "ANMF" });
    };
    let (x, y) = (2 * le24([x0, x1, x2]), 2 * le24([y0, y1, y2]));
    let size = Dims {
        width: le24([w0, w1, w2]) + 1,
        height: le24([h0, h1, h2]) + 1,
    };
    if u64::from(x) + u64::from(size.width) > u64::from(canvas.width)
        || u64::from(y) + u64::from(size.height) > u64::from(canvas.height)
    {
        return Err(WebpBitstreamError::FrameOutsideCanvas {
            frame,
            size,
            x,
            y,
            canvas,
        });
    }
    match first_bitstream_size(riff_chunks(rest))? {
        Some(bitstream) if bitstream != size => Err(WebpBitstreamError::FrameMismatch {
            frame,
            bitstream,
            size,
        }),
        _ => Ok(()),
    }
}

/// The flags and canvas size of a VP8X chunk: a flag byte, 3 reserved bytes, then the
/// canvas width and height minus one, 24 bits each.
fn vp8x_header(payload: &[u8]) -> Result<(u8, Dims), WebpBitstreamError> {
    match *payload {
        [flags, _, _, _, w0, w1, w2, h0, h1, h2, ..] => Ok((
            flags,
            Dims {
                width: le24([w0, w1, w2]) + 1,
                height: le24([h0, h1, h2]) + 1,
            },
        )),
        _ => Err(WebpBitstreamError::Truncated { chunk: "VP8X" }),
    }
}

/// The size declared by the first VP8 or VP8L chunk among `chunks` (other chunks, such
/// as ALPH, ICCP or EXIF, are skipped); `None` when there is none, which the decoder
/// reports itself.
fn first_bitstream_size<'a>(
    mut chunks: impl Iterator<Item = RiffChunk<'a>>,
) -> Result<Option<Dims>, WebpBitstreamError> {
    chunks
        .find_map(|c| match &c.fourcc {
            b"VP8 " => Some(vp8_size(c.payload)),
            b"VP8L" => Some(vp8l_size(c.payload)),
            _ => None,
        })
        .transpose()
}

/// The size in a VP8 (lossy) key frame header: a 3-byte frame tag (bit 0 clear on a
/// key frame), the start code 9d 01 2a, then width and height, 14 bits each (the top
/// 2 bits of each 16 are a scale, ignored by decoders).
fn vp8_size(payload: &[u8]) -> Result<Dims, WebpBitstreamError> {
    match *payload {
        [tag, _, _, 0x9d, 0x01, 0x2a, w0, w1, h0, h1, ..] if tag & 1 == 0 => Ok(Dims {
            width: u32::from(u16::from_le_bytes([w0, w1]) & 0x3FFF),
            height: u32::from(u16::from_le_bytes([h0, h1]) & 0x3FFF),
        }),
        [_, _, _, _, _, _, _, _, _, _, ..] => Err(WebpBitstreamError::NotKeyFrame),
        _ => Err(WebpBitstreamError::Truncated { chunk: "VP8" }),
    }
}

/// The size in a VP8L (lossless) header: the signature 0x2f, then width and height
/// minus one, 14 bits each, in the low bits of a little-endian 32-bit word.
fn vp8l_size(payload: &[u8]) -> Result<Dims, WebpBitstreamError> {
    match *payload {
        [0x2f, b0, b1, b2, b3, ..] => {
            let bits = u32::from_le_bytes([b0, b1, b2, b3]);
            Ok(Dims {
                width: (bits & 0x3FFF) + 1,
                height: ((bits >> 14) & 0x3FFF) + 1,
            })
        }
        [signature, _, _, _, _, ..] => Err(WebpBitstreamError::BadSignature(signature)),
        _ => Err(WebpBitstreamError::Truncated { chunk: "VP8L" }),
    }
}

/// A little-endian 24-bit number.
fn le24([a, b, c]: [u8; 3]) -> u32 {
    u32::from_le_bytes([a, b, c, 0])
}

/// One RIFF chunk: its FourCC and its payload, cut short where the input ends.
struct RiffChunk<'a> {
    fourcc: [u8; 4],
    payload: &'a [u8],
}

/// The RIFF chunks that `bytes` starts with, in order: each an 8-byte header (FourCC,
/// little-endian 32-bit size), then the payload, padded to an even length. Ends at the
/// first header that does not fit, and after a payload that runs past the end.
fn riff_chunks(mut bytes: &[u8]) -> impl Iterator<Item = RiffChunk<'_>> {
    std::iter::from_fn(move || {
        let (&[a, b, c, d, s0, s1, s2, s3], after) = bytes.split_first_chunk::<8>()?;
        let size = usize::try_from(u32::from_le_bytes([s0, s1, s2, s3])).ok()?;
        let payload = after.get(..size).unwrap_or(after);
        bytes = size
            .checked_add(size & 1)
            .and_then(|padded| after.get(padded..))
            .unwrap_or_default();
        Some(RiffChunk {
            fourcc: [a, b, c, d],
            payload,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::probe;
    use crate::codec::{check_limit, decode, encode, EncodeSettings, FailOn, Format};
    use crate::raster::Raster;

    /// A RIFF chunk: header, payload and the pad byte of an odd size.
    fn chunk(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = fourcc.to_vec();
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
        if payload.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    /// A WebP file made of `chunks`.
    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = b"WEBP"
            .iter()
            .chain(chunks.concat().iter())
            .copied()
            .collect();
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    fn le24_bytes(n: u32) -> [u8; 3] {
        let [a, b, c, _] = n.to_le_bytes();
        [a, b, c]
    }

    /// A VP8X chunk with `flags` and a `width` x `height` canvas.
    fn vp8x(flags: u8, width: u32, height: u32) -> Vec<u8> {
        let mut payload = vec![flags, 0, 0, 0];
        payload.extend_from_slice(&le24_bytes(width - 1));
        payload.extend_from_slice(&le24_bytes(height - 1));
        chunk(b"VP8X", &payload)
    }

    /// The header of a VP8 key frame declaring `width` x `height`, with no frame data.
    fn vp8_key_frame(width: u16, height: u16) -> Vec<u8> {
        let mut payload = vec![0, 0, 0, 0x9d, 0x01, 0x2a];
        payload.extend_from_slice(&width.to_le_bytes());
        payload.extend_from_slice(&height.to_le_bytes());
        payload
    }

    /// An ANMF chunk: a `width` x `height` frame at (`x`, `y`) holding `chunks`.
    fn anmf(x: u32, y: u32, width: u32, height: u32, chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut payload = Vec::new();
        for n in [x / 2, y / 2, width - 1, height - 1, 100] {
            payload.extend_from_slice(&le24_bytes(n));
        }
        payload.push(0);
        payload.extend_from_slice(&chunks.concat());
        chunk(b"ANMF", &payload)
    }

    /// The image chunk (VP8 or VP8L, whole) of a simple WebP encoded from `raster`.
    fn simple_bitstream(raster: &Raster, lossless: bool) -> Vec<u8> {
        let webp = encode(
            raster,
            Format::Webp,
            &EncodeSettings {
                lossless,
                ..EncodeSettings::quality(80)
            },
        )
        .expect("encodes");
        assert!(matches!(&webp[12..16], b"VP8 " | b"VP8L"), "a simple WebP");
        webp[12..].to_vec()
    }

    fn decodes_to(bytes: &[u8]) -> (u32, u32) {
        let header = probe(bytes).expect("probes");
        check_limit(&header, Some(1_000_000)).expect("within the limit");
        let raster = decode(
            &bytes,
            &header,
            1,
            false,
            FailOn::Warning,
            Some(1_000_000),
            &crate::CancelFlag::new(),
        )
        .expect("decodes");
        assert_eq!((raster.width, raster.height), (header.width, header.height));
        (raster.width, raster.height)
    }

    fn corrupt(bytes: &[u8]) -> String {
        match probe(bytes) {
            Err(DecodeError::Corrupt(message)) => message,
            other => panic!("expected a corrupt input, got {other:?}"),
        }
    }

    #[test]
    fn extended_webp_bitstream_larger_than_its_canvas_is_refused() {
        // KB7: a 48x32 canvas whose VP8 frame header claims 15144x16361.
        let webp = riff(&[
            vp8x(0, 48, 32),
            chunk(b"VP8 ", &vp8_key_frame(15144, 16361)),
        ]);
        assert_eq!(
            corrupt(&webp),
            "WebP bitstream is 15144x16361 but its canvas is 48x32"
        );
        // The same behind other chunks (skipped by their padded sizes), and lossless.
        let webp = riff(&[
            vp8x(0x20, 48, 32),
            chunk(b"ICCP", b"odd"),
            chunk(b"EXIF", b""),
            chunk(b"VP8L", &[0x2f, 0xFF, 0xFF, 0xFF, 0x0F]),
        ]);
        assert_eq!(
            corrupt(&webp),
            "WebP bitstream is 16384x16384 but its canvas is 48x32"
        );
    }

    #[test]
    fn extended_webp_bitstream_smaller_than_its_canvas_is_refused() {
        let bitstream = simple_bitstream(&Raster::filled(40, 30, 3, [90, 160, 30, 255]), false);
        let webp = riff(&[vp8x(0, 48, 32), bitstream]);
        assert_eq!(
            corrupt(&webp),
            "WebP bitstream is 40x30 but its canvas is 48x32"
        );
    }

    #[test]
    fn extended_webp_that_agrees_with_its_canvas_still_decodes() {
        // libwebp writes lossy with alpha as VP8X + ALPH + VP8.
        let rgba = Raster::filled(48, 32, 4, [200, 100, 50, 128]);
        let lossy = encode(&rgba, Format::Webp, &EncodeSettings::quality(80)).expect("encodes");
        assert_eq!(&lossy[12..16], b"VP8X");
        assert_eq!(decodes_to(&lossy), (48, 32));
        // Simple bitstreams wrapped in a VP8X container, with an ICC-like chunk first.
        let rgb = Raster::filled(48, 32, 3, [20, 100, 250, 255]);
        for lossless in [false, true] {
            let webp = riff(&[
                vp8x(0, 48, 32),
                chunk(b"XYZW", b"unknown"),
                simple_bitstream(&rgb, lossless),
            ]);
            assert_eq!(decodes_to(&webp), (48, 32), "lossless: {lossless}");
        }
    }

    #[test]
    fn animated_webp_frames_are_checked_against_canvas_and_bitstream() {
        let frame = simple_bitstream(&Raster::filled(16, 8, 3, [1, 2, 3, 255]), true);
        let animated = |frames: &[Vec<u8>]| {
            let mut chunks = vec![vp8x(VP8X_ANIMATION, 48, 32), chunk(b"ANIM", &[0; 6])];
            chunks.extend_from_slice(frames);
            riff(&chunks)
        };
        let good = animated(&[
            anmf(0, 0, 16, 8, std::slice::from_ref(&frame)),
            anmf(32, 24, 16, 8, std::slice::from_ref(&frame)),
        ]);
        assert_eq!(decodes_to(&good), (48, 32));
        let outside = animated(&[
            anmf(0, 0, 16, 8, std::slice::from_ref(&frame)),
            anmf(34, 24, 16, 8, std::slice::from_ref(&frame)),
        ]);
        assert_eq!(
            corrupt(&outside),
            "WebP animation frame 2 (16x8 at 34,24) reaches outside its 48x32 canvas"
        );
        let lying = animated(&[anmf(
            0,
            0,
            16,
            8,
            &[
                chunk(b"ALPH", &[0]),
                chunk(b"VP8 ", &vp8_key_frame(16383, 16383)),
            ],
        )]);
        assert_eq!(
            corrupt(&lying),
            "WebP animation frame 1: bitstream is 16383x16383 but the frame is 16x8"
        );
    }

    #[test]
    fn malformed_webp_headers_are_refused_without_panicking() {
        let cases: [(Vec<u8>, WebpBitstreamError); 4] = [
            (
                vec![0x01, 0, 0, 0x9d, 0x01, 0x2a, 48, 0, 32, 0],
                WebpBitstreamError::NotKeyFrame,
            ),
            (
                vec![0, 0, 0, 0x9d, 0x01, 0x2b, 48, 0, 32, 0],
                WebpBitstreamError::NotKeyFrame,
            ),
            (
                vec![0, 0, 0, 0x9d, 0x01, 0x2a, 48, 0],
                WebpBitstreamError::Truncated { chunk: "VP8" },
            ),
            (vec![], WebpBitstreamError::Truncated { chunk: "VP8" }),
        ];
        for (payload, expected) in cases {
            let webp = riff(&[vp8x(0, 48, 32), chunk(b"VP8 ", &payload)]);
            assert_eq!(check(&webp), Err(expected), "{payload:?}");
        }
        let webp = riff(&[vp8x(0, 48, 32), chunk(b"VP8L", &[0x2e, 0, 0, 0, 0])]);
        assert_eq!(check(&webp), Err(WebpBitstreamError::BadSignature(0x2e)));
        // Every truncation and every single-byte change of a valid file: no panic.
        let rgba = Raster::filled(24, 16, 4, [10, 20, 30, 100]);
        let valid = encode(&rgba, Format::Webp, &EncodeSettings::quality(50)).expect("encodes");
        let animated = riff(&[
            vp8x(VP8X_ANIMATION, 48, 32),
            chunk(b"ANIM", &[0; 6]),
            anmf(0, 0, 48, 32, &[chunk(b"VP8 ", &vp8_key_frame(48, 32))]),
        ]);
        for file in [valid, animated] {
            for len in 0..file.len() {
                let _ = check(&file[..len]);
                let _ = probe(&file[..len]);
            }
            for at in 0..file.len() {
                for value in [0x00, 0x01, 0x7F, 0xFF] {
                    let mut bytes = file.clone();
                    bytes[at] = value;
                    let _ = check(&bytes);
                    let _ = probe(&bytes);
                }
            }
        }
    }
}
