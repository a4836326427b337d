//! Animation headers: how many frames a GIF or WebP has, each frame's delay and the loop
//! count, read from the block (GIF) or chunk (WebP) structure alone, a window at a
//! time: no pixel is decoded and the file is never held whole.

use super::source::{Source, Window};

/// The animation of a file, as sharp's `metadata()` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnimationInfo {
    /// Frames (sharp's `pages`).
    pub pages: u32,
    /// Each frame's delay in milliseconds.
    pub delays_ms: Vec<u32>,
    /// Times to play; 0 is forever.
    pub loop_count: u32,
}

/// The most frames counted; a file with more is damaged or hostile, and the count
/// stops there.
const MAX_FRAMES: u32 = 1 << 16;

/// The animation of a GIF: frames are image descriptors; the delay of each comes from
/// the graphic control extension before it (in centiseconds); the loop count from the
/// NETSCAPE2.0 application extension (absent: played once, as libvips reads it).
/// `None` when the block structure is damaged before the first frame.
pub fn gif(src: &dyn Source) -> Option<AnimationInfo> {
    let mut w = Window::new(src);
    let flags = w.byte(10)?;
    let mut at = 13u64
        + if flags & 0x80 != 0 {
            3 << ((flags & 7) + 1)
        } else {
            0
        };
    let mut info = AnimationInfo {
        pages: 0,
        delays_ms: Vec::new(),
        loop_count: 1,
    };
    let mut delay = 0u32;
    // Skips data sub-blocks from `at`; returns the position after the terminator.
    fn skip_sub_blocks(w: &mut Window, mut at: u64) -> Option<u64> {
        loop {
            let len = u64::from(w.byte(at)?);
            at += 1 + len;
            if len == 0 {
                return Some(at);
            }
        }
    }
    while info.pages < MAX_FRAMES {
        match w.byte(at) {
            Some(0x2C) => {
                let packed = w.byte(at + 9)?;
                at += 10;
                if packed & 0x80 != 0 {
                    at += 3 << ((packed & 7) + 1);
                }
                // LZW minimum code size, then the image data.
                at = match skip_sub_blocks(&mut w, at + 1) {
                    Some(next) => next,
                    // A truncated last frame still counts, as decoders show what
                    // they have.
                    None => {
                        info.pages += 1;
                        info.delays_ms.push(delay * 10);
                        break;
                    }
                };
                info.pages += 1;
                info.delays_ms.push(delay * 10);
                delay = 0;
            }
            Some(0x21) => {
                let label = w.byte(at + 1)?;
                let first = at + 2;
                match label {
                    0xF9 => {
                        if let Some(b) = w.get(first, 5) {
                            delay = u32::from(u16::from_le_bytes([b[2], b[3]]));
                        }
                    }
                    0xFF if w.get(first, 12) == Some(&b"\x0bNETSCAPE2.0"[..]) => {
                        if let Some(b) = w.get(first + 12, 4).filter(|b| b[0] >= 3 && b[1] == 1) {
                            let n = u32::from(u16::from_le_bytes([b[2], b[3]]));
                            // NETSCAPE counts repeats after the first play; 0 repeats
                            // forever.
                            info.loop_count = if n == 0 { 0 } else { n + 1 };
                        }
                    }
                    _ => {}
                }
                at = match skip_sub_blocks(&mut w, first) {
                    Some(next) => next,
                    None => break,
                };
            }
            // The trailer, the end of the data, or damage: what was counted stands.
            _ => break,
        }
    }
    (info.pages > 0).then_some(info)
}

/// The animation of a WebP: frames are `ANMF` chunks (their 24-bit durations in
/// milliseconds), the loop count is in the `ANIM` chunk. A still WebP is one frame;
/// `None` when the chunk structure is damaged or the file is not WebP.
pub fn webp(src: &dyn Source) -> Option<AnimationInfo> {
    let mut w = Window::new(src);
    if w.get(0, 4)? != b"RIFF" || w.get(8, 4)? != b"WEBP" {
        return None;
    }
    let end = src.len();
    let mut at = 12u64;
    let mut info = AnimationInfo {
        pages: 0,
        delays_ms: Vec::new(),
        loop_count: 0,
    };
    let mut still = false;
    while at + 8 <= end && info.pages < MAX_FRAMES {
        let head = w.get(at, 8)?;
        let kind = [head[0], head[1], head[2], head[3]];
        let len = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
        match &kind {
            b"ANIM" => {
                if let Some(b) = w.get(at + 8, 6) {
                    info.loop_count = u32::from(u16::from_le_bytes([b[4], b[5]]));
                }
            }
            b"ANMF" => {
                if let Some(b) = w.get(at + 8 + 12, 3) {
                    info.pages += 1;
                    info.delays_ms
                        .push(u32::from_le_bytes([b[0], b[1], b[2], 0]));
                }
            }
            b"VP8 " | b"VP8L" => still = true,
            _ => {}
        }
        at += 8 + len + (len & 1);
    }
    if info.pages == 0 && still {
        return Some(AnimationInfo {
            pages: 1,
            delays_ms: Vec::new(),
            loop_count: 0,
        });
    }
    (info.pages > 0).then_some(info)
}

#[cfg(test)]
mod tests {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame, RgbaImage};

    use super::*;

    fn gif(delays: &[u32], repeat: Option<Repeat>) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = GifEncoder::new(&mut out);
            if let Some(repeat) = repeat {
                encoder.set_repeat(repeat).expect("repeat");
            }
            for (i, &ms) in delays.iter().enumerate() {
                let image = RgbaImage::from_fn(6, 4, |x, _| {
                    image::Rgba([x as u8 * 40, i as u8 * 60, 0, 255])
                });
                encoder
                    .encode_frame(Frame::from_parts(
                        image,
                        0,
                        0,
                        Delay::from_numer_denom_ms(ms, 1),
                    ))
                    .expect("frame");
            }
        }
        out
    }

    #[test]
    fn reads_gif_frames_delays_and_loops() {
        let forever = gif(&[100, 70, 250], Some(Repeat::Infinite));
        assert_eq!(
            super::gif(&forever.as_slice()),
            Some(AnimationInfo {
                pages: 3,
                delays_ms: vec![100, 70, 250],
                loop_count: 0
            })
        );
        // NETSCAPE's 2 repeats: played 3 times.
        let thrice = gif(&[50, 50], Some(Repeat::Finite(2)));
        assert_eq!(
            super::gif(&thrice.as_slice()).map(|a| a.loop_count),
            Some(3)
        );
        // No NETSCAPE extension: played once.
        let once = gif(&[40], None);
        assert_eq!(
            super::gif(&once.as_slice()).map(|a| (a.pages, a.loop_count)),
            Some((1, 1))
        );
        // Every prefix: a count or nothing, never a panic.
        for len in 0..forever.len() {
            if let Some(info) = super::gif(&&forever[..len]) {
                assert!(info.pages <= 3);
            }
        }
    }

    #[test]
    fn reads_webp_frames_delays_and_loops() {
        let config = webp::WebPConfig::new().expect("config");
        let frames: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i * 80; 8 * 6 * 4]).collect();
        let mut encoder = webp::AnimEncoder::new(8, 6, &config);
        encoder.set_loop_count(4);
        for (i, f) in frames.iter().enumerate() {
            encoder.add_frame(webp::AnimFrame::from_rgba(f, 8, 6, i as i32 * 120));
        }
        let bytes = encoder.try_encode().expect("encodes").to_vec();
        let info = super::webp(&bytes.as_slice()).expect("animation");
        assert_eq!((info.pages, info.loop_count), (3, 4));
        assert_eq!(&info.delays_ms[..2], &[120, 120]);
        for len in 0..bytes.len() {
            let _ = super::webp(&&bytes[..len]);
        }
        // A still WebP: one page, no delays.
        let still = webp::Encoder::from_rgba(&frames[0], 8, 6)
            .encode(80.0)
            .to_vec();
        assert_eq!(
            super::webp(&still.as_slice()),
            Some(AnimationInfo {
                pages: 1,
                delays_ms: vec![],
                loop_count: 0
            })
        );
    }
}
