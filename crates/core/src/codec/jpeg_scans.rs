//! Which scans of a progressive JPEG a scaled decode needs.
//!
//! A progressive JPEG sends its DCT coefficients in scans: the DC coefficients first,
//! then bands of AC coefficients, then (with successive approximation) refinement scans
//! that add one more bit of precision each. Entropy decoding those scans is most of the
//! cost of a progressive decode, and a decode scaled in the DCT domain does not need
//! all of them. libjpeg picks an inverse DCT of `n x n` outputs per 8x8 block for each
//! component (1/8 scale: `n = 1` for full-resolution components; subsampled chroma gets
//! a larger `n` so that it needs no upsampling):
//!
//! - `n = 1` reads only the DC coefficient, so every AC scan of that component is left
//!   out, and the output is **identical** to the full decode ([`Rule::Exact`]).
//! - `n = 2` or `4` reads AC coefficients too. With [`Rule::Approximate`] (what the
//!   decoder uses) we also leave
//!   out the AC scans that only add the last bit (`Ah > 0`, `Al = 0`): the coefficients
//!   stay known to within one quantisation step. On 3640-3840 px photos saved with
//!   libjpeg's and MozJPEG's progressive scripts this measured a mean difference of
//!   0.13-0.64 levels from the full decode at the decoded scale (max 30, at sharp
//!   edges), before the resize that follows; it halved those decodes' time at 1/4.
//!
//! Nothing else changes: tables, markers and every DC scan are always kept, and a
//! stream that does not parse cleanly from SOI to EOI (truncated, odd markers,
//! arithmetic coding) is passed through whole, so libjpeg sees every defect as before.
//! A defect inside a left-out scan is not seen: that data is not used for the output.
//! The decoder must turn block smoothing off when anything was left out (a complete
//! file is never smoothed).

use std::ops::Range;

use super::source::{Source, Window};

/// How far to go in leaving scans out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Only scans the scaled inverse DCT never reads: the output is unchanged (the
    /// decoder's rule before approximate skipping; kept for A/B runs and tests).
    #[cfg_attr(not(any(test, feature = "test-hooks")), allow(dead_code))]
    Exact,
    /// Also the last-bit AC refinements of components decoded at 1/2 or less: what the
    /// decoder uses (`jpeg::scan_rule`). Photos lost 0.13-0.64 levels on average at
    /// the decoded scale, before the resize that follows; a synthetic high-frequency
    /// pattern lost 3.8 at 1/4.
    Approximate,
}

/// One scan: where its SOS segment and entropy-coded data lie, and what it codes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Scan {
    bytes: Range<u64>,
    /// Component ids (an AC scan of a progressive JPEG has exactly one).
    components: Vec<u8>,
    /// First coefficient of the band (zig-zag order); 0 for a DC scan.
    ss: u8,
    /// Successive approximation: the bit position before (`ah`) and after (`al`).
    ah: u8,
    al: u8,
}

/// The frame's components: id and sampling factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Component {
    id: u8,
    h: u8,
    v: u8,
}

/// A progressive JPEG's frame and scans.
#[derive(Debug)]
struct Layout {
    components: Vec<Component>,
    scans: Vec<Scan>,
}

impl Layout {
    /// The side of the inverse DCT libjpeg-turbo uses for `c` at `1/denominator`
    /// (jdmaster.c: a subsampled component gets a larger IDCT instead of upsampling,
    /// doubling while that stays within 8 and divides the largest sampling factors).
    fn idct_size(&self, c: &Component, denominator: u8) -> u8 {
        let max_h = self.components.iter().map(|c| c.h).max().unwrap_or(1);
        let max_v = self.components.iter().map(|c| c.v).max().unwrap_or(1);
        let min = 8 / denominator.clamp(1, 8);
        let mut size = min;
        while size < 8
            && (max_h * min).is_multiple_of(c.h * size * 2)
            && (max_v * min).is_multiple_of(c.v * size * 2)
        {
            size *= 2;
        }
        size
    }

    /// Whether a decode at `1/denominator` can do without `scan` under `rule`.
    fn droppable(&self, scan: &Scan, denominator: u8, rule: Rule) -> bool {
        let [id] = scan.components[..] else {
            return false; // DC scans may interleave components; AC scans never do
        };
        let Some(c) = self.components.iter().find(|c| c.id == id) else {
            return false;
        };
        if scan.ss == 0 {
            return false;
        }
        match self.idct_size(c, denominator) {
            1 => true,
            2 | 4 => rule == Rule::Approximate && scan.ah > 0 && scan.al == 0,
            _ => false,
        }
    }
}

/// The frame and scans of a Huffman-coded progressive JPEG (SOF2), or `None` for any
/// other kind of stream or for one that does not parse cleanly up to its EOI marker.
fn progressive_layout(src: &dyn Source) -> Option<Layout> {
    let mut w = Window::new(src);
    if w.get(0, 2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut components = Vec::new();
    let mut scans = Vec::new();
    let mut pos = 2u64;
    loop {
        // A marker: 0xFF, optional fill bytes, then the code.
        if w.byte(pos)? != 0xFF {
            return None;
        }
        let start = pos;
        while w.byte(pos)? == 0xFF {
            pos += 1;
        }
        let code = w.byte(pos)?;
        pos += 1;
        match code {
            0xD9 => break,
            // Start of frame: only progressive Huffman (SOF2) is ours to trim.
            0xC0 | 0xC1 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            // Standalone markers with no length outside a scan: not expected here.
            0x01 | 0xD0..=0xD8 => return None,
            _ => {}
        }
        let length = w.get(pos, 2)?;
        let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
        if length < 2 {
            return None;
        }
        let segment_end = pos + length as u64;
        match code {
            0xC2 => components = frame_components(w.get(pos + 2, length - 2)?)?,
            0xDA => {
                if components.is_empty() {
                    return None;
                }
                let scan = w.get(pos + 2, length - 2)?.to_vec();
                let data_end = entropy_end(&mut w, segment_end)?;
                scans.push(scan_header(&scan, start..data_end)?);
                pos = data_end;
                continue;
            }
            // Other segments are skipped, but must lie inside the stream.
            _ if segment_end > w.source_len() => return None,
            _ => {}
        }
        pos = segment_end;
    }
    Some(Layout { components, scans })
}

/// SOF2 after its length: precision, height, width, Nf, Nf x (id, h|v, table).
fn frame_components(segment: &[u8]) -> Option<Vec<Component>> {
    let count = usize::from(*segment.get(5)?);
    let list = segment.get(6..6 + 3 * count)?;
    let components: Vec<Component> = list
        .chunks_exact(3)
        .map(|c| Component {
            id: c[0],
            h: c[1] >> 4,
            v: c[1] & 0x0F,
        })
        .collect();
    let valid = |f: u8| (1..=4).contains(&f);
    (count > 0 && components.iter().all(|c| valid(c.h) && valid(c.v))).then_some(components)
}

/// SOS after its length: Ns, Ns x (id, tables), Ss, Se, Ah|Al.
fn scan_header(segment: &[u8], bytes: Range<u64>) -> Option<Scan> {
    let count = usize::from(*segment.first()?);
    if segment.len() != 1 + 2 * count + 3 {
        return None;
    }
    let params = &segment[1 + 2 * count..];
    Some(Scan {
        bytes,
        components: segment[1..1 + 2 * count]
            .iter()
            .step_by(2)
            .copied()
            .collect(),
        ss: params[0],
        ah: params[2] >> 4,
        al: params[2] & 0x0F,
    })
}

/// Where the entropy-coded data that starts at `from` ends: at the next marker that is
/// neither a stuffed zero (`FF 00`), a fill byte nor a restart marker.
fn entropy_end(w: &mut Window<'_>, from: u64) -> Option<u64> {
    /// How much entropy-coded data is searched for a marker at once.
    const STEP: usize = 64 << 10;
    let mut at = from;
    loop {
        let chunk = w.chunk(at, STEP);
        if chunk.is_empty() {
            return None;
        }
        let Some(found) = memchr::memchr(0xFF, chunk) else {
            at += chunk.len() as u64;
            continue;
        };
        at += found as u64;
        match w.byte(at + 1)? {
            0x00 | 0xD0..=0xD7 => at += 2,
            0xFF => at += 1,
            _ => return Some(at),
        }
    }
}

/// The byte ranges of `src` to feed libjpeg, in order, for a decode at
/// `1/denominator`: the whole stream, less the scans that decode can do without under
/// `rule` (see the module docs). More than one range means something was left out.
pub(crate) fn needed(src: &dyn Source, denominator: u8, rule: Rule) -> Vec<Range<u64>> {
    let whole = std::iter::once(0..src.len()).collect::<Vec<_>>();
    if denominator <= 1 {
        return whole;
    }
    let Some(layout) = progressive_layout(src) else {
        return whole;
    };
    let mut parts = Vec::new();
    let mut kept_from = 0;
    for scan in &layout.scans {
        if layout.droppable(scan, denominator, rule) {
            parts.push(kept_from..scan.bytes.start);
            kept_from = scan.bytes.end;
        }
    }
    parts.push(kept_from..src.len());
    parts.retain(|p| !p.is_empty());
    parts
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use mozjpeg::{ColorSpace, Compress};

    /// A progressive JPEG with libjpeg's standard scan script (successive
    /// approximation), 4:2:0 unless `full_chroma`.
    pub(crate) fn progressive_photo(w: usize, h: usize, full_chroma: bool) -> Vec<u8> {
        let mut data = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                let v = ((x * 31 + y * 17) ^ (x * y / 7)) as u8;
                data.extend_from_slice(&[v, (x * 255 / w) as u8, (y * 255 / h) as u8]);
            }
        }
        let mut c = Compress::new(ColorSpace::JCS_RGB);
        // libjpeg's defaults (MozJPEG's would search for its own scan script).
        c.set_fastest_defaults();
        c.set_size(w, h);
        c.set_quality(90.0);
        c.set_progressive_mode();
        if full_chroma {
            c.set_chroma_sampling_pixel_sizes((1, 1), (1, 1));
        }
        let mut started = c.start_compress(Vec::new()).expect("starts");
        started.write_scanlines(&data).expect("writes");
        started.finish().expect("finishes")
    }

    fn baseline_photo() -> Vec<u8> {
        let mut c = Compress::new(ColorSpace::JCS_RGB);
        c.set_fastest_defaults();
        c.set_size(16, 16);
        let mut started = c.start_compress(Vec::new()).expect("starts");
        started
            .write_scanlines(&[90u8; 16 * 16 * 3])
            .expect("writes");
        started.finish().expect("finishes")
    }

    #[test]
    fn finds_the_frame_and_every_scan() {
        let jpeg = progressive_photo(64, 48, false);
        let layout = progressive_layout(&jpeg).expect("parses");
        assert_eq!(
            layout
                .components
                .iter()
                .map(|c| (c.h, c.v))
                .collect::<Vec<_>>(),
            [(2, 2), (1, 1), (1, 1)]
        );
        let scans = &layout.scans;
        assert!(scans.len() >= 6, "{} scans", scans.len());
        assert_eq!(scans[0].ss, 0, "DC first");
        assert!(scans.iter().any(|s| s.ss > 0 && s.ah > 0 && s.al == 0));
        assert!(scans.windows(2).all(|w| w[0].bytes.end <= w[1].bytes.start));
        assert!(jpeg[scans[scans.len() - 1].bytes.end as usize..].starts_with(&[0xFF, 0xD9]));
    }

    #[test]
    fn idct_sizes_follow_libjpeg() {
        let layout = progressive_layout(&progressive_photo(64, 48, false)).expect("parses");
        let (luma, chroma) = (layout.components[0], layout.components[1]);
        let sizes = |d| (layout.idct_size(&luma, d), layout.idct_size(&chroma, d));
        assert_eq!(sizes(8), (1, 2));
        assert_eq!(sizes(4), (2, 4));
        assert_eq!(sizes(2), (4, 8));
        assert_eq!(sizes(1), (8, 8));
    }

    #[test]
    fn leaves_other_streams_whole() {
        let jpeg = progressive_photo(64, 48, true);
        for bad in [
            &baseline_photo()[..],
            &jpeg[..jpeg.len() - 40],
            &jpeg[..jpeg.len() - 2],
            b"\xFF\xD8",
            b"",
        ] {
            let whole: Vec<Range<u64>> = std::iter::once(0..bad.len() as u64).collect();
            assert_eq!(needed(&bad, 8, Rule::Approximate), whole);
        }
        assert_eq!(
            needed(&jpeg, 1, Rule::Approximate),
            vec![0..jpeg.len() as u64]
        );
    }

    #[test]
    fn drops_only_what_the_scale_and_rule_allow() {
        for full_chroma in [false, true] {
            let jpeg = progressive_photo(64, 48, full_chroma);
            let layout = progressive_layout(&jpeg).expect("parses");
            let dropped = |d: u8, rule| {
                layout
                    .scans
                    .iter()
                    .filter(|s| layout.droppable(s, d, rule))
                    .map(|s| s.bytes.end - s.bytes.start)
                    .sum::<u64>()
            };
            let kept = |d: u8, rule| {
                needed(&jpeg, d, rule)
                    .iter()
                    .map(|p| p.end - p.start)
                    .sum::<u64>()
            };
            for d in [2, 4, 8] {
                for rule in [Rule::Exact, Rule::Approximate] {
                    assert_eq!(kept(d, rule) + dropped(d, rule), jpeg.len() as u64, "1/{d}");
                }
                assert!(dropped(d, Rule::Approximate) > 0, "1/{d}");
                assert!(dropped(d, Rule::Approximate) >= dropped(d, Rule::Exact));
            }
            assert!(dropped(8, Rule::Exact) > 0, "luma AC at 1/8");
            assert_eq!(dropped(4, Rule::Exact), 0, "nothing is exact at 1/4");
            assert!(layout
                .scans
                .iter()
                .filter(|s| s.ss == 0)
                .all(|s| !layout.droppable(s, 8, Rule::Approximate)));
        }
    }
}
