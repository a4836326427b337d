//! Bilevel TIFFs in CCITT coding the `tiff` crate refuses: modified Huffman
//! (Compression 2) and Group 3 (Compression 3, one- and two-dimensional, with or
//! without fill bits), as libtiff reads them. Decoded to 8-bit grey: the code's white is 255 under
//! WhiteIsZero and 0 under BlackIsZero (libtiff's fax decoder writes white as a 0 bit
//! and leaves the photometric to say what 0 means).
//!
//! The run-length and mode code tables are the `fax` crate's; the rows are decoded
//! here, since that crate's Group 3 decoder reads neither two-dimensional rows, nor
//! rows without EOLs, nor strips. Strips only (fax in tiles stays unsupported);
//! FillOrder 2 (least significant bit first) is read by reversing each byte. Invariant:
//! nothing larger than `max_bytes` is allocated for the pixels, and damaged data gives
//! `Corrupt`, never a panic.

use std::io::Cursor;

use fax::maps::{black, mode, white, Mode};
use fax::BitReader;
use image::{DynamicImage, ImageBuffer};
use tiff::decoder::Decoder;
use tiff::tags::Tag;

use super::error::DecodeError;
use super::tiff_planar::{corrupt, from_tiff};

/// TIFF Compression values this module reads.
const MODIFIED_HUFFMAN: u16 = 2;
const GROUP3: u16 = 3;

/// T4Options / T6Options and FillOrder tag numbers.
const T4_OPTIONS: u16 = 292;
const FILL_ORDER: u16 = 266;

/// Bits of a byte slice, most significant first; reading past the end gives zeros to
/// `peek` (so that a code ending at the last bit still matches) and `None` once no
/// bit is left.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn len(&self) -> usize {
        self.data.len() * 8
    }
    fn at_end(&self) -> bool {
        self.pos >= self.len()
    }
    fn bit(&self, at: usize) -> u16 {
        self.data
            .get(at / 8)
            .map_or(0, |b| u16::from((b >> (7 - at % 8)) & 1))
    }
    /// Zero bits from here (at most `max`), without consuming them.
    fn zeros_ahead(&self, max: usize) -> usize {
        let mut n = 0;
        while n < max && self.pos + n < self.len() && self.bit(self.pos + n) == 0 {
            n += 1;
        }
        n
    }
    fn align(&mut self) {
        self.pos = self.pos.div_ceil(8) * 8;
    }
}

impl BitReader for Bits<'_> {
    type Error = ();
    fn peek(&self, bits: u8) -> Option<u16> {
        if bits > 16 || self.at_end() {
            return None;
        }
        Some((0..usize::from(bits)).fold(0u16, |v, i| (v << 1) | self.bit(self.pos + i)))
    }
    fn consume(&mut self, bits: u8) -> Result<(), ()> {
        self.pos += usize::from(bits);
        Ok(())
    }
    fn bits_to_byte_boundary(&self) -> u8 {
        ((8 - self.pos % 8) % 8) as u8
    }
}

/// One run of `white` (or black) pixels: make-up codes then a terminating one.
fn run(bits: &mut Bits, white_run: bool) -> Option<usize> {
    let mut sum = 0usize;
    loop {
        let n = if white_run {
            white::decode(bits)?
        } else {
            black::decode(bits)?
        };
        sum += usize::from(n);
        if n < 64 {
            return Some(sum);
        }
        if sum > 1 << 20 {
            return None;
        }
    }
}

/// Fills `row[from..to]` (clamped to the row) with `black`.
fn fill(row: &mut [bool], from: usize, to: usize, black: bool) {
    let to = to.min(row.len());
    if from < to {
        row[from..to].fill(black);
    }
}

/// A one-dimensional row into `row` (true = black).
fn row_1d(bits: &mut Bits, row: &mut [bool]) -> Option<()> {
    let width = row.len();
    let (mut a0, mut black_run) = (0usize, false);
    while a0 < width {
        let n = run(bits, !black_run)?;
        let a1 = a0 + n;
        if a1 > width {
            return None;
        }
        fill(row, a0, a1, black_run);
        a0 = a1;
        black_run = !black_run;
    }
    Some(())
}

/// The changing elements of a row: where a pixel differs from the one before it (the
/// one before the first being white), then the width twice.
fn changes(row: &[bool], out: &mut Vec<usize>) {
    out.clear();
    let mut last = false;
    for (i, &p) in row.iter().enumerate() {
        if p != last {
            out.push(i);
            last = p;
        }
    }
    out.extend_from_slice(&[row.len(), row.len()]);
}

/// A two-dimensional row into `row`, against the `reference` row's changing elements
/// ([`changes`]).
fn row_2d(bits: &mut Bits, reference: &[usize], row: &mut [bool]) -> Option<()> {
    let width = row.len();
    // a0 starts just before the row; `start` stands for that.
    let (mut a0, mut start, mut black_run) = (0usize, true, false);
    // The first changing element right of a0 (a0 never moves left).
    let mut first = 0;
    while a0 < width {
        while !start && first < reference.len() && reference[first] <= a0 {
            first += 1;
        }
        // b1: the first changing element right of a0 whose colour is not a0's. Changes
        // at even indices turn black, so the wanted parity follows the current colour.
        let k = first + usize::from((first % 2 == 1) != black_run);
        let b1 = reference.get(k).copied().unwrap_or(width);
        let b2 = reference.get(k + 1).copied().unwrap_or(width);
        match mode::decode(bits)? {
            Mode::Pass => {
                fill(row, a0, b2, black_run);
                a0 = b2;
            }
            Mode::Horizontal => {
                let first = run(bits, !black_run)?;
                let second = run(bits, black_run)?;
                let a1 = a0 + first;
                let a2 = a1 + second;
                if a2 > width {
                    return None;
                }
                fill(row, a0, a1, black_run);
                fill(row, a1, a2, !black_run);
                a0 = a2;
            }
            Mode::Vertical(d) => {
                let a1 = b1 as i64 + i64::from(d);
                if a1 < 0 || a1 > width as i64 || (!start && (a1 as usize) < a0) {
                    return None;
                }
                let a1 = a1 as usize;
                fill(row, a0, a1, black_run);
                a0 = a1;
                black_run = !black_run;
            }
            Mode::Extension | Mode::EOF => return None,
        }
        start = false;
    }
    Some(())
}

/// How the strips are coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    /// Compression 2: one-dimensional rows, each from a byte boundary, no EOLs.
    ModifiedHuffman,
    /// Compression 3: rows after EOLs; `two_d` when T4Options bit 0 is set (then each
    /// EOL is followed by a bit saying whether the row is one-dimensional).
    Group3 { two_d: bool },
}

/// Consumes an EOL (at least 11 zeros and a one) if one is next; true if so.
fn eol(bits: &mut Bits) -> bool {
    let zeros = bits.zeros_ahead(usize::MAX);
    if zeros >= 11 && bits.bit(bits.pos + zeros) == 1 && bits.pos + zeros < bits.len() {
        bits.pos += zeros + 1;
        true
    } else {
        false
    }
}

/// Decodes the rows of one strip into `out` (`width` pixels each, as many rows as
/// `out` holds), true = black. Errs with the row that could not be decoded.
fn strip(data: &[u8], coding: Coding, width: usize, out: &mut [bool]) -> Result<(), usize> {
    let mut bits = Bits { data, pos: 0 };
    let mut reference = vec![width, width];
    for (y, row) in out.chunks_exact_mut(width).enumerate() {
        let decoded = match coding {
            Coding::ModifiedHuffman => {
                let r = row_1d(&mut bits, row);
                bits.align();
                r
            }
            Coding::Group3 { two_d } => {
                // Skip EOLs (several before the first row are tolerated, as libtiff does).
                while eol(&mut bits) {}
                let one_d = !two_d || {
                    let tag = bits.bit(bits.pos) == 1;
                    bits.pos += 1;
                    tag
                };
                if one_d {
                    row_1d(&mut bits, row)
                } else {
                    row_2d(&mut bits, &reference, row)
                }
            }
        };
        if decoded.is_none() || bits.pos > bits.len() + 16 {
            return Err(y);
        }
        changes(row, &mut reference);
    }
    Ok(())
}

/// What this module reads of a fax TIFF's first image.
struct Layout {
    width: u32,
    height: u32,
    coding: Coding,
    white_is_zero: bool,
    lsb_first: bool,
    rows_per_strip: u32,
    offsets: Vec<u64>,
    counts: Vec<u64>,
    orientation: u16,
}

fn layout(bytes: &[u8]) -> Result<Layout, DecodeError> {
    let mut d = Decoder::new(Cursor::new(bytes)).map_err(from_tiff)?;
    let unsupported = |why: &str| DecodeError::Unsupported(format!("TIFF: {why}"));
    let compression = d
        .find_tag_unsigned::<u16>(Tag::Compression)
        .map_err(from_tiff)?;
    let options = d
        .find_tag_unsigned::<u32>(Tag::from_u16_exhaustive(T4_OPTIONS))
        .ok()
        .flatten()
        .unwrap_or(0);
    let coding = match compression {
        Some(MODIFIED_HUFFMAN) => Coding::ModifiedHuffman,
        Some(GROUP3) => Coding::Group3 {
            two_d: options & 1 != 0,
        },
        _ => return Err(unsupported("not a fax coding")),
    };
    if options & 2 != 0 {
        return Err(unsupported("uncompressed fax mode is not supported"));
    }
    let (width, height) = d.dimensions().map_err(from_tiff)?;
    let samples = d
        .find_tag_unsigned::<u16>(Tag::SamplesPerPixel)
        .map_err(from_tiff)?
        .unwrap_or(1);
    let bits = d
        .find_tag_unsigned_vec::<u16>(Tag::BitsPerSample)
        .map_err(from_tiff)?
        .unwrap_or_else(|| vec![1]);
    if samples != 1 || bits.iter().any(|&b| b != 1) {
        return Err(unsupported("fax coding of other than 1-bit grey"));
    }
    if d.find_tag(Tag::TileWidth).map_err(from_tiff)?.is_some() {
        return Err(unsupported("fax coding in tiles is not supported"));
    }
    let photometric = d
        .find_tag_unsigned::<u16>(Tag::PhotometricInterpretation)
        .map_err(from_tiff)?
        .unwrap_or(0);
    let fill_order = d
        .find_tag_unsigned::<u16>(Tag::from_u16_exhaustive(FILL_ORDER))
        .ok()
        .flatten()
        .unwrap_or(1);
    let rows_per_strip = d
        .find_tag_unsigned::<u32>(Tag::RowsPerStrip)
        .ok()
        .flatten()
        .unwrap_or(height)
        .clamp(1, height.max(1));
    let offsets = d
        .find_tag_unsigned_vec::<u64>(Tag::StripOffsets)
        .map_err(from_tiff)?
        .ok_or_else(|| corrupt("no StripOffsets"))?;
    let counts = d
        .find_tag_unsigned_vec::<u64>(Tag::StripByteCounts)
        .map_err(from_tiff)?
        .ok_or_else(|| corrupt("no StripByteCounts"))?;
    let orientation = d
        .find_tag_unsigned::<u16>(Tag::Orientation)
        .ok()
        .flatten()
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);
    Ok(Layout {
        width,
        height,
        coding,
        white_is_zero: photometric == 0,
        lsb_first: fill_order == 2,
        rows_per_strip,
        offsets,
        counts,
        orientation,
    })
}

/// The size, channels (1) and orientation of a modified Huffman or Group 3 TIFF.
pub(crate) fn probe(bytes: &[u8]) -> Result<(u32, u32, u8, u16), DecodeError> {
    let l = layout(bytes)?;
    Ok((l.width, l.height, 1, l.orientation))
}

/// Decodes the first image of a modified Huffman or Group 3 TIFF into 8-bit grey. With `partial`, rows from the first undecodable one on are left white (as
/// libtiff leaves them, with a warning) instead of failing.
pub(crate) fn decode(
    bytes: &[u8],
    max_bytes: u64,
    partial: bool,
) -> Result<DynamicImage, DecodeError> {
    let l = layout(bytes)?;
    let (w, h) = (l.width as usize, l.height as usize);
    let need = l.width as u64 * l.height as u64;
    if need > max_bytes {
        return Err(DecodeError::LimitExceeded(format!(
            "TIFF: decoding needs {need} bytes, more than limitInputPixels allows"
        )));
    }
    if w == 0 || h == 0 {
        return Err(corrupt("an image without pixels"));
    }
    let strips = h.div_ceil(l.rows_per_strip as usize);
    if l.offsets.len() < strips || l.counts.len() < strips {
        return Err(corrupt("fewer strips than the image needs"));
    }
    let mut pixels = vec![false; w * h];
    let rows = l.rows_per_strip as usize * w;
    for (i, out) in pixels.chunks_mut(rows).enumerate() {
        let start = usize::try_from(l.offsets[i]).unwrap_or(usize::MAX);
        let end = start.saturating_add(usize::try_from(l.counts[i]).unwrap_or(usize::MAX));
        // A byte count past the end of the file is cut to it (libtiff does the same).
        let data = bytes.get(start..end.min(bytes.len())).unwrap_or(&[]);
        let reversed;
        let data = if l.lsb_first {
            reversed = data.iter().map(|b| b.reverse_bits()).collect::<Vec<u8>>();
            &reversed[..]
        } else {
            data
        };
        if let Err(y) = strip(data, l.coding, w, out) {
            if !partial {
                return Err(corrupt(format!(
                    "fax data of strip {i} cannot be decoded at row {y}"
                )));
            }
            out[y * w..].fill(false);
        }
    }
    let (black, white) = if l.white_is_zero { (0, 255) } else { (255, 0) };
    let data = pixels
        .into_iter()
        .map(|p| if p { black } else { white })
        .collect();
    Ok(DynamicImage::ImageLuma8(
        ImageBuffer::from_raw(l.width, l.height, data)
            .ok_or_else(|| corrupt("decoded size does not match the header"))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::corpus;

    /// The same picture, Group 3 in its variants (plain, with fill bits, LSB-first
    /// bit order): pixel for pixel the same. (Against sharp: `__test__/tiff.test.mjs`.)
    #[test]
    fn group3_variants_decode_alike() {
        let dir = "image-tiff/tests/images/seq/";
        let mut reference: Option<image::GrayImage> = None;
        for name in [
            "seq-1c-1b-fax3-71f6a21a.tiff",
            "seq-1c-1b-fax3-fillbits-71f6a21a.tiff",
            "seq-1c-1b-fax3-lsb-71f6a21a.tiff",
        ] {
            let bytes = corpus(&format!("{dir}{name}"));
            assert!(probe(&bytes).is_ok(), "{name}");
            let ours = decode(&bytes, 1 << 30, false)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"))
                .to_luma8();
            if let Some(reference) = &reference {
                assert_eq!(ours.dimensions(), reference.dimensions(), "{name}");
                assert_eq!(ours.as_raw(), reference.as_raw(), "{name}");
            } else {
                reference = Some(ours.clone());
            }
            assert!(ours.as_raw().contains(&0) && ours.as_raw().contains(&255));
        }
    }

    #[test]
    fn truncated_or_garbled_data_is_corrupt_or_partial() {
        let bytes = corpus("sharp/test/fixtures/G31D.TIF");
        let whole = decode(&bytes, 1 << 30, false).expect("G31D");
        let l = layout(&bytes).expect("layout");
        let mut cut = bytes.clone();
        // Garble the middle of the first strip.
        let at = l.offsets[0] as usize + l.counts[0] as usize / 2;
        for b in &mut cut[at..at + 64] {
            *b = 0x00;
        }
        assert!(matches!(
            decode(&cut, 1 << 30, false),
            Err(DecodeError::Corrupt(_))
        ));
        let partial = decode(&cut, 1 << 30, true).expect("partial");
        assert_eq!(
            (partial.width(), partial.height()),
            (whole.width(), whole.height())
        );
        assert!(matches!(
            decode(&bytes, 1000, false),
            Err(DecodeError::LimitExceeded(_))
        ));
        // Random bytes as fax data never panic.
        let mut seed = 1u32;
        for _ in 0..50 {
            let mut garbled = bytes.clone();
            for b in &mut garbled[l.offsets[0] as usize..] {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (seed >> 16) as u8;
            }
            let _ = decode(&garbled, 1 << 30, true);
            let _ = decode(&garbled, 1 << 30, false);
        }
    }

    #[test]
    fn bit_reader_and_rows() {
        // white 4 (1011), black 4 (011), white 8 (10011): 16 pixels.
        let data = [0b1011_0111, 0b0011_0000];
        let mut bits = Bits {
            data: &data,
            pos: 0,
        };
        let mut row = vec![false; 16];
        row_1d(&mut bits, &mut row).expect("row");
        let black: Vec<usize> = (0..16).filter(|&i| row[i]).collect();
        assert_eq!(black, vec![4, 5, 6, 7]);
        let mut reference = Vec::new();
        changes(&row, &mut reference);
        assert_eq!(reference, vec![4, 8, 16, 16]);
        // The same row again in 2D: V0 V0 V0 (1 1 1) then end.
        let data = [0b1110_0000];
        let mut bits = Bits {
            data: &data,
            pos: 0,
        };
        let mut again = vec![false; 16];
        row_2d(&mut bits, &reference, &mut again).expect("2d row");
        assert_eq!(again, row);
    }
}
