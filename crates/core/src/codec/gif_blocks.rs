//! A GIF's block structure, walked without decoding: what the header alone tells
//! (transparency, the first frame's extent) and the repair of two kinds of damage that
//! libnsgif (sharp's GIF reader) tolerates and the `gif` crate refuses.
//!
//! The repairs only ever drop or add header data, never pixel data:
//! - an extension block of a kind GIF89a does not define is dropped (readers skip
//!   extensions they do not know: that is what the sub-block structure is for);
//! - a frame without a colour table, in a file without a global one, gets libnsgif's
//!   default table: black, white, then black.

/// The extension labels GIF89a defines: plain text, graphic control, comment,
/// application.
const KNOWN_EXTENSIONS: [u8; 4] = [0x01, 0xF9, 0xFE, 0xFF];

/// What the walk found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Logical screen size.
    pub screen: (u32, u32),
    /// The right and bottom edges of the first frame, when one was reached.
    pub first_extent: Option<(u32, u32)>,
    /// Some frame has a transparent colour index (a graphic control extension with the
    /// transparency flag): sharp's `hasAlpha` for a GIF, which matches it on all 58
    /// corpus GIFs both read (frames smaller than the screen do not count).
    pub transparency: bool,
    /// Extension blocks of unknown kinds.
    pub unknown_extensions: usize,
    /// No global colour table and some frame has no local one.
    pub missing_palette: bool,
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([
        *bytes.get(at)?,
        *bytes.get(at + 1)?,
    ])))
}

/// The end of the data sub-blocks starting at `at` (after the zero-length one), or
/// `None` when the file ends first.
fn skip_sub_blocks(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = usize::from(*bytes.get(at)?);
        at += 1 + len;
        if len == 0 {
            return Some(at);
        }
    }
}

/// One block of the body: its byte range and what it is.
enum Block {
    Extension {
        label: u8,
        end: usize,
    },
    Image {
        end: usize,
        palette: bool,
        extent: (u32, u32),
    },
}

/// The block starting at `at`, or `None` at the trailer, at bytes that start no
/// block, or where the file ends.
fn block(bytes: &[u8], at: usize) -> Option<Block> {
    match *bytes.get(at)? {
        0x21 => Some(Block::Extension {
            label: *bytes.get(at + 1)?,
            end: skip_sub_blocks(bytes, at + 2)?,
        }),
        0x2C => {
            let (left, top) = (u16_at(bytes, at + 1)?, u16_at(bytes, at + 3)?);
            let (w, h) = (u16_at(bytes, at + 5)?, u16_at(bytes, at + 7)?);
            let flags = *bytes.get(at + 9)?;
            let table = if flags & 0x80 != 0 {
                3 << ((flags & 7) + 1)
            } else {
                0
            };
            // Then the LZW minimum code size and the data sub-blocks.
            let data = at + 10 + table + 1;
            Some(Block::Image {
                end: skip_sub_blocks(bytes, data)?,
                palette: table > 0,
                extent: (left + w, top + h),
            })
        }
        _ => None,
    }
}

/// Where the body starts (after the header, screen descriptor and global table),
/// whether there is a global table, and the screen size.
fn body(bytes: &[u8]) -> Option<(usize, bool, (u32, u32))> {
    let screen = (u16_at(bytes, 6)?, u16_at(bytes, 8)?);
    let flags = *bytes.get(10)?;
    let global = flags & 0x80 != 0;
    let table = if global { 3 << ((flags & 7) + 1) } else { 0 };
    Some((13 + table, global, screen))
}

/// Walks the blocks of `bytes` (a GIF) as far as they go.
pub(crate) fn scan(bytes: &[u8]) -> Scan {
    let Some((mut at, global, screen)) = body(bytes) else {
        return Scan::default();
    };
    let mut out = Scan {
        screen,
        ..Scan::default()
    };
    while let Some(b) = block(bytes, at) {
        match b {
            Block::Extension { label, end } => {
                if !KNOWN_EXTENSIONS.contains(&label) {
                    out.unknown_extensions += 1;
                }
                // Graphic control: size 4, then packed flags (bit 0: transparency).
                if label == 0xF9 && bytes.get(at + 2) == Some(&4) {
                    out.transparency |= bytes.get(at + 3).is_some_and(|f| f & 1 != 0);
                }
                at = end;
            }
            Block::Image {
                end,
                palette,
                extent,
            } => {
                out.first_extent.get_or_insert(extent);
                out.missing_palette |= !palette && !global;
                at = end;
            }
        }
    }
    out
}

/// `bytes` with the damage that `found` (their [`scan`]) shows repaired, or `None`
/// when there is none. Blocks after the last whole one are kept as they are, for the
/// decoder to judge.
pub(crate) fn repaired(bytes: &[u8], found: &Scan) -> Option<Vec<u8>> {
    if found.unknown_extensions == 0 && !found.missing_palette {
        return None;
    }
    let (mut at, global, _) = body(bytes)?;
    let mut out = Vec::with_capacity(bytes.len() + 768);
    out.extend_from_slice(&bytes[..13]);
    if found.missing_palette && !global {
        // A global table of 256 entries: libnsgif's default.
        out[10] |= 0x87;
        out.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        out.resize(out.len() + 254 * 3, 0);
    } else {
        out.extend_from_slice(&bytes[13..at]);
    }
    while let Some(b) = block(bytes, at) {
        let end = match b {
            Block::Extension { label, end } if !KNOWN_EXTENSIONS.contains(&label) => {
                at = end;
                continue;
            }
            Block::Extension { end, .. } | Block::Image { end, .. } => end,
        };
        out.extend_from_slice(&bytes[at..end]);
        at = end;
    }
    out.extend_from_slice(&bytes[at..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::corpus;

    /// A 2x1 GIF87a with a global table and one frame (LZW code size 2).
    fn tiny(gce: Option<u8>, extra: &[u8]) -> Vec<u8> {
        let mut g = b"GIF89a\x02\x00\x01\x00\x80\x00\x00".to_vec();
        g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        if let Some(flags) = gce {
            g.extend_from_slice(&[0x21, 0xF9, 4, flags, 0, 0, 0, 0]);
        }
        g.extend_from_slice(extra);
        g.extend_from_slice(&[0x2C, 0, 0, 0, 0, 2, 0, 1, 0, 0]);
        g.extend_from_slice(&[2, 2, 0x44, 0x01, 0, 0x3B]);
        g
    }

    #[test]
    fn reads_transparency_and_extent_from_blocks() {
        let opaque = scan(&tiny(Some(0), &[]));
        assert_eq!(opaque.screen, (2, 1));
        assert_eq!(opaque.first_extent, Some((2, 1)));
        assert!(!opaque.transparency);
        assert!(scan(&tiny(Some(1), &[])).transparency);
        assert!(
            repaired(&tiny(None, &[]), &scan(&tiny(None, &[]))).is_none(),
            "nothing to repair"
        );
    }

    #[test]
    fn drops_unknown_extensions_only() {
        let with = tiny(None, &[0x21, 0x99, 2, 7, 7, 0, 0x21, 0xFE, 1, b'x', 0]);
        assert_eq!(scan(&with).unknown_extensions, 1);
        let fixed = repaired(&with, &scan(&with)).expect("repaired");
        assert_eq!(fixed, tiny(None, &[0x21, 0xFE, 1, b'x', 0]));
        let file = corpus("image-gif/tests/regression/issue-209-extension-block-type.gif");
        let fixed = repaired(&file, &scan(&file)).expect("repaired");
        assert_eq!(scan(&fixed).unknown_extensions, 0);
    }

    #[test]
    fn gives_a_default_palette_where_there_is_none() {
        let file = corpus("pillow/Tests/images/no_palette.gif");
        assert!(scan(&file).missing_palette);
        let fixed = repaired(&file, &scan(&file)).expect("repaired");
        assert!(!scan(&fixed).missing_palette);
        assert_eq!(fixed.len(), file.len() + 768);
        assert_eq!(&fixed[13..19], &[0, 0, 0, 255, 255, 255]);
    }

    #[test]
    fn truncation_anywhere_is_harmless() {
        let g = tiny(Some(1), &[0x21, 0x42, 1, 0, 0]);
        for cut in 0..g.len() {
            let _ = scan(&g[..cut]);
            let _ = repaired(&g[..cut], &scan(&g[..cut]));
        }
    }
}
