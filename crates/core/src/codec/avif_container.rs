//! The HEIF container of an AVIF file (ISO/IEC 23008-12 over ISOBMFF boxes): which item
//! is the picture, where its AV1 data lies, its size (`ispe`), its colour (`colr`: nclx
//! code points or an ICC profile), its alpha (an auxiliary item) and its transforms
//! (`irot`, `imir`).
//!
//! Only the `ftyp` and `meta` boxes are parsed, and they sit before the (large) `mdat`
//! in every AVIF writer's output, so the header of a file comes from its first bytes;
//! item data is sliced out of the file only for decoding. Every length is checked
//! against the bytes at hand: a damaged or truncated file is an error, never a panic
//! or an allocation sized by the file.

use super::error::DecodeError;

/// The nclx colour code points (ITU-T H.273) of a `colr` box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nclx {
    pub primaries: u16,
    pub transfer: u16,
    pub matrix: u16,
    pub full_range: bool,
}

/// What an `av1C` box says about the AV1 stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Av1Config {
    /// 8, 10 or 12.
    pub bit_depth: u8,
    pub monochrome: bool,
}

/// An image item: its size and where its AV1 data lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageItem {
    pub id: u32,
    /// From `ispe`.
    pub width: u32,
    pub height: u32,
    pub config: Option<Av1Config>,
    /// Byte ranges of the coded data: in the file, or in the `idat` box when `in_idat`.
    extents: Vec<(u64, u64)>,
    in_idat: bool,
}

/// A grid image (`grid` item): tiles of AV1 items, row by row, cropped to `width` by
/// `height` (from the item's data, the `ImageGrid` structure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridLayout {
    pub rows: u32,
    pub columns: u32,
    pub width: u32,
    pub height: u32,
}

/// The most tiles a grid may have (ImageGrid allows 256x256).
pub const MAX_TILES: usize = 256 * 256;

/// The items and properties of an AVIF file that decoding needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avif {
    /// The picture: an AV1 item, or a grid item whose tiles are `tiles`.
    pub primary: ImageItem,
    /// The tiles of a grid primary item, in row order (`dimg` references); empty for
    /// a single AV1 item.
    pub tiles: Vec<ImageItem>,
    pub alpha: Option<ImageItem>,
    /// The tiles of a grid alpha item.
    pub alpha_tiles: Vec<ImageItem>,
    /// The colour is premultiplied by the alpha (a `prem` reference).
    pub premultiplied: bool,
    pub nclx: Option<Nclx>,
    pub icc: Option<Vec<u8>>,
    /// Quarter turns anticlockwise (`irot`), applied before `mirror`.
    pub rotation: u8,
    /// `imir`: `Some(0)` mirrors about a vertical axis (left to right), `Some(1)`
    /// about a horizontal one (top to bottom).
    pub mirror: Option<u8>,
    /// The body of the `idat` box: (start, length) in the file.
    idat: Option<(u64, u64)>,
}

impl Avif {
    /// The coded AV1 data of `item`, copied out of `file` (items may be split over
    /// several extents).
    pub fn item_data(&self, item: &ImageItem, file: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let (base, limit) = match (item.in_idat, self.idat) {
            (false, _) => (0, file.len() as u64),
            (true, Some((start, len))) => (start, len),
            (true, None) => return Err(corrupt("an item is stored in a missing idat box")),
        };
        let mut total = 0u64;
        for &(offset, len) in &item.extents {
            let len = if len == 0 {
                limit.saturating_sub(offset)
            } else {
                len
            };
            if offset.checked_add(len).is_none_or(|end| end > limit) {
                return Err(corrupt("an item's data lies past the end of the file"));
            }
            total += len;
        }
        // Extents may not overlap in a well-formed file, so more data than the file
        // holds is damage (and must not size an allocation).
        if total > limit {
            return Err(corrupt("an item's extents add up to more than the file"));
        }
        let mut data = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        for &(offset, len) in &item.extents {
            let len = if len == 0 {
                limit.saturating_sub(offset)
            } else {
                len
            };
            // In range: checked above.
            let start = (base + offset) as usize;
            data.extend_from_slice(&file[start..start + len as usize]);
        }
        if data.is_empty() {
            return Err(corrupt("an image item has no data"));
        }
        Ok(data)
    }

    /// The layout of a grid item, from its data.
    pub fn grid_layout(&self, item: &ImageItem, file: &[u8]) -> Result<GridLayout, DecodeError> {
        let data = self.item_data(item, file)?;
        let mut r = Reader::new(&data);
        let _version = r.u8()?;
        let flags = r.u8()?;
        let rows = u32::from(r.u8()?) + 1;
        let columns = u32::from(r.u8()?) + 1;
        let (width, height) = if flags & 1 != 0 {
            (r.u32()?, r.u32()?)
        } else {
            (u32::from(r.u16()?), u32::from(r.u16()?))
        };
        Ok(GridLayout {
            rows,
            columns,
            width,
            height,
        })
    }

    /// The displayed size: `ispe` with the quarter turns applied.
    pub fn displayed_size(&self) -> (u32, u32) {
        let (w, h) = (self.primary.width, self.primary.height);
        if self.rotation % 2 == 1 {
            (h, w)
        } else {
            (w, h)
        }
    }
}

fn corrupt(what: &str) -> DecodeError {
    DecodeError::Corrupt(format!("AVIF: {what}"))
}

/// The brands of an `ftyp` box at the start of `bytes` (major brand first), or `None`
/// when `bytes` does not start with one.
pub fn brands(bytes: &[u8]) -> Option<Vec<[u8; 4]>> {
    let mut boxes = Boxes::new(bytes, 0);
    let (kind, body, _) = boxes.next()?.ok()?;
    if &kind != b"ftyp" || body.len() < 8 {
        return None;
    }
    let mut out = vec![fourcc(&body[0..4])];
    out.extend(body[8..].chunks_exact(4).map(fourcc));
    Some(out)
}

/// Whether `bytes` is an AVIF file: an `ftyp` box naming the `avif` or `avis` brand,
/// or a generic HEIF one (`mif1`, `msf1`, `miaf`) whose primary item is AV1.
pub fn is_avif(bytes: &[u8]) -> bool {
    let Some(brands) = brands(bytes) else {
        return false;
    };
    let has = |b: &[u8; 4]| brands.contains(b);
    if has(b"avif") || has(b"avis") {
        return true;
    }
    (has(b"mif1") || has(b"msf1") || has(b"miaf")) && primary_is_av1(bytes)
}

fn primary_is_av1(bytes: &[u8]) -> bool {
    let Ok(Some(meta)) = find_meta(bytes) else {
        return false;
    };
    let Ok(parsed) = parse_meta_boxes(meta.0, meta.1) else {
        return false;
    };
    parsed
        .primary
        .and_then(|id| parsed.item_types.iter().find(|(i, _)| *i == id))
        .is_some_and(|(_, kind)| kind == b"av01")
}

fn fourcc(b: &[u8]) -> [u8; 4] {
    [b[0], b[1], b[2], b[3]]
}

/// Reads the `meta` box of an AVIF file. Fails with `Corrupt` when the file ends
/// before the `meta` box does (so a caller reading a prefix can read more and retry).
pub fn parse(bytes: &[u8]) -> Result<Avif, DecodeError> {
    let (meta, meta_start) = find_meta(bytes)?.ok_or_else(|| {
        corrupt(
            "the file has no meta box (an image sequence without a still image is not supported)",
        )
    })?;
    let parsed = parse_meta_boxes(meta, meta_start)?;
    let primary_id = parsed.primary.ok_or_else(|| corrupt("no primary item"))?;
    let kind = parsed
        .item_types
        .iter()
        .find(|(id, _)| *id == primary_id)
        .map(|(_, k)| *k)
        .ok_or_else(|| corrupt("the primary item is not described"))?;
    match &kind {
        b"av01" | b"grid" => {}
        other => {
            return Err(DecodeError::Unsupported(format!(
                "AVIF: the primary item is of type '{}', not AV1",
                String::from_utf8_lossy(other)
            )))
        }
    }
    let primary = parsed.image(primary_id)?;
    let tiles = parsed.tiles(primary_id, &kind)?;
    let mut primary = primary;
    if primary.config.is_none() {
        // A grid's av1C is its tiles'.
        primary.config = tiles.first().and_then(|t| t.config);
    }
    let alpha_id = parsed
        .references
        .iter()
        .filter(|r| &r.kind == b"auxl" && r.to.contains(&primary_id))
        .map(|r| r.from)
        .find(|&id| {
            parsed.props_of(id).any(|p| match p {
                Property::AuxType(t) => {
                    t == b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha"
                        || t == b"urn:mpeg:hevc:2015:auxid:1"
                }
                _ => false,
            }) && parsed
                .item_types
                .iter()
                .any(|(i, k)| *i == id && (k == b"av01" || k == b"grid"))
        });
    let alpha = alpha_id.map(|id| parsed.image(id)).transpose()?;
    let alpha_tiles = match alpha_id {
        Some(id) => {
            let kind = parsed
                .item_types
                .iter()
                .find(|(i, _)| *i == id)
                .map_or(*b"av01", |(_, k)| *k);
            parsed.tiles(id, &kind)?
        }
        None => Vec::new(),
    };
    let premultiplied = alpha_id.is_some_and(|a| {
        parsed
            .references
            .iter()
            .any(|r| &r.kind == b"prem" && r.from == primary_id && r.to.contains(&a))
    });
    let mut nclx = None;
    let mut icc = None;
    let mut rotation = 0;
    let mut mirror = None;
    for p in parsed.props_of(primary_id) {
        match p {
            Property::Nclx(n) if nclx.is_none() => nclx = Some(*n),
            Property::Icc(range) if icc.is_none() => {
                icc = Some(meta_slice(meta, meta_start, *range)?.to_vec())
            }
            Property::Rotation(r) => rotation = *r,
            Property::Mirror(m) => mirror = Some(*m),
            _ => {}
        }
    }
    Ok(Avif {
        primary,
        tiles,
        alpha,
        alpha_tiles,
        premultiplied,
        nclx,
        icc,
        rotation,
        mirror,
        idat: parsed.idat,
    })
}

/// `range` (absolute file offsets) inside the meta box's bytes.
fn meta_slice(
    meta: &[u8],
    meta_start: u64,
    (start, len): (u64, u64),
) -> Result<&[u8], DecodeError> {
    let from = usize::try_from(start - meta_start).map_err(|_| corrupt("bad offset"))?;
    meta.get(from..from + len as usize)
        .ok_or_else(|| corrupt("a property lies past its box"))
}

/// The body of the top-level `meta` box and its offset in the file; `None` when the
/// file has none; `Corrupt` when it is truncated or the boxes before it are damaged.
fn find_meta(bytes: &[u8]) -> Result<Option<(&[u8], u64)>, DecodeError> {
    let boxes = Boxes::new(bytes, 0);
    for next in boxes {
        let (kind, body, start) = next?;
        if &kind == b"meta" {
            return Ok(Some((body, start)));
        }
    }
    Ok(None)
}

/// A property of an item, from the `ipco` box.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Property {
    Extent(u32, u32),
    Nclx(Nclx),
    /// The profile's bytes: (file offset, length).
    Icc((u64, u64)),
    Av1(Av1Config),
    AuxType(Vec<u8>),
    Rotation(u8),
    Mirror(u8),
    Other,
}

/// An `iref` entry: `from` refers to each of `to` by `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    kind: [u8; 4],
    from: u32,
    to: Vec<u32>,
}

/// An `iloc` entry: item id, construction method (0 file, 1 idat), extents (offset,
/// length).
type Location = (u32, u16, Vec<(u64, u64)>);

#[derive(Debug, Default)]
struct MetaBoxes {
    primary: Option<u32>,
    item_types: Vec<(u32, [u8; 4])>,
    locations: Vec<Location>,
    references: Vec<Reference>,
    properties: Vec<Property>,
    /// Item id and the 1-based indices of its properties.
    associations: Vec<(u32, Vec<u16>)>,
    idat: Option<(u64, u64)>,
}

impl MetaBoxes {
    fn props_of(&self, id: u32) -> impl Iterator<Item = &Property> {
        self.associations
            .iter()
            .filter(move |(item, _)| *item == id)
            .flat_map(|(_, indices)| indices.iter())
            .filter_map(|&i| self.properties.get(usize::from(i).checked_sub(1)?))
    }

    /// The tiles of item `id` when it is a grid (its `dimg` references, in order, each
    /// an AV1 item); none for an AV1 item.
    fn tiles(&self, id: u32, kind: &[u8; 4]) -> Result<Vec<ImageItem>, DecodeError> {
        if kind != b"grid" {
            return Ok(Vec::new());
        }
        let ids: Vec<u32> = self
            .references
            .iter()
            .filter(|r| &r.kind == b"dimg" && r.from == id)
            .flat_map(|r| r.to.iter().copied())
            .collect();
        if ids.is_empty() || ids.len() > MAX_TILES {
            return Err(corrupt(&format!("a grid has {} tiles", ids.len())));
        }
        ids.into_iter()
            .map(|tile| {
                let is_av1 = self
                    .item_types
                    .iter()
                    .any(|(i, k)| *i == tile && k == b"av01");
                if is_av1 {
                    self.image(tile)
                } else {
                    Err(DecodeError::Unsupported(
                        "AVIF: a grid tile is not an AV1 item".into(),
                    ))
                }
            })
            .collect()
    }

    fn image(&self, id: u32) -> Result<ImageItem, DecodeError> {
        let (width, height) = self
            .props_of(id)
            .find_map(|p| match p {
                Property::Extent(w, h) => Some((*w, *h)),
                _ => None,
            })
            .ok_or_else(|| corrupt("an image item has no size (ispe)"))?;
        if width == 0 || height == 0 {
            return Err(corrupt(&format!(
                "image header declares a size of {width}x{height}"
            )));
        }
        let config = self.props_of(id).find_map(|p| match p {
            Property::Av1(c) => Some(*c),
            _ => None,
        });
        let (_, method, extents) = self
            .locations
            .iter()
            .find(|(i, _, _)| *i == id)
            .ok_or_else(|| corrupt("an image item has no location (iloc)"))?;
        if *method > 1 {
            return Err(DecodeError::Unsupported(
                "AVIF: items built from other items (iloc construction method 2) are not supported"
                    .into(),
            ));
        }
        Ok(ImageItem {
            id,
            width,
            height,
            config,
            extents: extents.clone(),
            in_idat: *method == 1,
        })
    }
}

fn parse_meta_boxes(meta: &[u8], meta_start: u64) -> Result<MetaBoxes, DecodeError> {
    // `meta` is a full box: version and flags first.
    let body = meta.get(4..).ok_or_else(|| corrupt("short meta box"))?;
    let mut out = MetaBoxes::default();
    let boxes = Boxes::new(body, meta_start + 4);
    for next in boxes {
        let (kind, body, start) = next?;
        let mut r = Reader::new(body);
        match &kind {
            b"pitm" => {
                let version = r.full_box()?.0;
                out.primary = Some(r.id(version == 0)?);
            }
            b"iinf" => {
                let version = r.full_box()?.0;
                let _count = if version == 0 {
                    u32::from(r.u16()?)
                } else {
                    r.u32()?
                };
                let entries = Boxes::new(r.rest(), 0);
                for entry in entries {
                    let (kind, body, _) = entry?;
                    if &kind != b"infe" {
                        continue;
                    }
                    let mut e = Reader::new(body);
                    let version = e.full_box()?.0;
                    if version < 2 {
                        continue;
                    }
                    let id = e.id(version == 2)?;
                    let _protection = e.u16()?;
                    out.item_types.push((id, fourcc(e.take(4)?)));
                }
            }
            b"iloc" => out.locations = parse_iloc(&mut r)?,
            b"iref" => {
                let version = r.full_box()?.0;
                let refs = Boxes::new(r.rest(), 0);
                for entry in refs {
                    let (kind, body, _) = entry?;
                    let mut e = Reader::new(body);
                    let from = e.id(version == 0)?;
                    let count = e.u16()?;
                    let to = (0..count)
                        .map(|_| e.id(version == 0))
                        .collect::<Result<_, _>>()?;
                    out.references.push(Reference { kind, from, to });
                }
            }
            b"iprp" => parse_iprp(body, start, &mut out)?,
            b"idat" => out.idat = Some((start, body.len() as u64)),
            _ => {}
        }
    }
    Ok(out)
}

fn parse_iloc(r: &mut Reader) -> Result<Vec<Location>, DecodeError> {
    let version = r.full_box()?.0;
    if version > 2 {
        return Err(corrupt("unknown iloc version"));
    }
    let sizes = r.u8()?;
    let (offset_size, length_size) = (sizes >> 4, sizes & 15);
    let sizes = r.u8()?;
    let base_size = sizes >> 4;
    let index_size = if version > 0 { sizes & 15 } else { 0 };
    let count = if version < 2 {
        u32::from(r.u16()?)
    } else {
        r.u32()?
    };
    let mut out = Vec::new();
    for _ in 0..count {
        let id = r.id(version < 2)?;
        let method = if version > 0 { r.u16()? & 15 } else { 0 };
        let _data_reference = r.u16()?;
        let base = r.sized(base_size)?;
        let extent_count = r.u16()?;
        let mut extents = Vec::new();
        for _ in 0..extent_count {
            r.sized(index_size)?;
            let offset = r.sized(offset_size)?;
            let length = r.sized(length_size)?;
            let offset = base
                .checked_add(offset)
                .ok_or_else(|| corrupt("an item offset overflows"))?;
            extents.push((offset, length));
        }
        out.push((id, method, extents));
    }
    Ok(out)
}

fn parse_iprp(body: &[u8], start: u64, out: &mut MetaBoxes) -> Result<(), DecodeError> {
    let boxes = Boxes::new(body, start);
    for next in boxes {
        let (kind, body, start) = next?;
        match &kind {
            b"ipco" => {
                let props = Boxes::new(body, start);
                for prop in props {
                    let (kind, body, start) = prop?;
                    out.properties.push(parse_property(kind, body, start)?);
                }
            }
            b"ipma" => {
                let mut r = Reader::new(body);
                let (version, flags) = r.full_box()?;
                let count = r.u32()?;
                for _ in 0..count {
                    let id = r.id(version < 1)?;
                    let n = r.u8()?;
                    let mut indices = Vec::with_capacity(usize::from(n));
                    for _ in 0..n {
                        indices.push(if flags & 1 != 0 {
                            r.u16()? & 0x7FFF
                        } else {
                            u16::from(r.u8()? & 0x7F)
                        });
                    }
                    out.associations.push((id, indices));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn parse_property(kind: [u8; 4], body: &[u8], start: u64) -> Result<Property, DecodeError> {
    let mut r = Reader::new(body);
    Ok(match &kind {
        b"ispe" => {
            r.full_box()?;
            Property::Extent(r.u32()?, r.u32()?)
        }
        b"colr" => match r.take(4)? {
            b"nclx" => Property::Nclx(Nclx {
                primaries: r.u16()?,
                transfer: r.u16()?,
                matrix: r.u16()?,
                full_range: r.u8()? & 0x80 != 0,
            }),
            b"prof" | b"rICC" => Property::Icc((start + 4, body.len() as u64 - 4)),
            _ => Property::Other,
        },
        b"av1C" => {
            let bytes = r.take(3)?;
            let flags = bytes[2];
            let high = flags & 0x40 != 0;
            let twelve = flags & 0x20 != 0;
            Property::Av1(Av1Config {
                bit_depth: match (high, twelve) {
                    (false, _) => 8,
                    (true, false) => 10,
                    (true, true) => 12,
                },
                monochrome: flags & 0x10 != 0,
            })
        }
        b"auxC" => {
            r.full_box()?;
            let rest = r.rest();
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            Property::AuxType(rest[..end].to_vec())
        }
        b"irot" => Property::Rotation(r.u8()? & 3),
        b"imir" => Property::Mirror(r.u8()? & 1),
        _ => Property::Other,
    })
}

/// The boxes in `bytes`, one after another: (type, body, file offset of the body).
/// A box that runs past `bytes` is an error (the file is damaged or truncated).
struct Boxes<'a> {
    bytes: &'a [u8],
    at: usize,
    /// The file offset of `bytes[0]`.
    base: u64,
}

impl<'a> Boxes<'a> {
    fn new(bytes: &'a [u8], base: u64) -> Self {
        Self { bytes, at: 0, base }
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<([u8; 4], &'a [u8], u64), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.bytes.get(self.at..)?;
        if rest.is_empty() {
            return None;
        }
        let mut r = Reader::new(rest);
        let parsed = (|| {
            let size = u64::from(r.u32()?);
            let kind = fourcc(r.take(4)?);
            let (header, size) = match size {
                0 => (8, rest.len() as u64),
                1 => (16, r.u64()?),
                n => (8, n),
            };
            if size < header || size > rest.len() as u64 {
                return Err(corrupt(&format!(
                    "box '{}' runs past the end of its container (the file is damaged or truncated)",
                    String::from_utf8_lossy(&kind)
                )));
            }
            let body = &rest[header as usize..size as usize];
            let start = self.base + (self.at + header as usize) as u64;
            Ok((kind, body, start, size as usize))
        })();
        Some(match parsed {
            Ok((kind, body, start, size)) => {
                self.at += size;
                Ok((kind, body, start))
            }
            Err(e) => {
                self.at = self.bytes.len();
                Err(e)
            }
        })
    }
}

/// Big-endian fields from a box body; reading past the end is `Corrupt`.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let out = self
            .at
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.at..end))
            .ok_or_else(|| corrupt("a box ends before its fields do"))?;
        self.at += n;
        Ok(out)
    }

    fn rest(&mut self) -> &'a [u8] {
        let out = self.bytes.get(self.at..).unwrap_or_default();
        self.at = self.bytes.len();
        out
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok((u64::from(self.u32()?) << 32) | u64::from(self.u32()?))
    }

    /// A field of 0, 4 or 8 bytes (iloc's sizes).
    fn sized(&mut self, bytes: u8) -> Result<u64, DecodeError> {
        match bytes {
            0 => Ok(0),
            4 => Ok(u64::from(self.u32()?)),
            8 => self.u64(),
            _ => Err(corrupt("an iloc field size is not 0, 4 or 8")),
        }
    }

    /// An item id: 16 bits when `short`, else 32.
    fn id(&mut self, short: bool) -> Result<u32, DecodeError> {
        if short {
            Ok(u32::from(self.u16()?))
        } else {
            self.u32()
        }
    }

    /// A full box's version and flags.
    fn full_box(&mut self) -> Result<(u8, u32), DecodeError> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0xFF_FFFF))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A box: size, type, body.
    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A full box: version and flags, then the body.
    fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
        let mut b = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
        b.extend_from_slice(body);
        bx(kind, &b)
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    /// A hand-built file: colour item 1 (data in idat) and alpha item 2 (in the file,
    /// two extents), premultiplied, with nclx, ICC, a quarter turn and a mirror.
    fn file() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let colour = b"COLOUR-AV1".to_vec();
        let alpha = b"ALPHA-AV1-DATA".to_vec();
        let ftyp = bx(b"ftyp", b"mif1\0\0\0\0mif1miaf");
        let infe = |id: u16, kind: &[u8; 4]| {
            full(
                b"infe",
                2,
                0,
                &cat(&[&id.to_be_bytes(), &[0, 0], kind, b"\0"]),
            )
        };
        let iinf = full(
            b"iinf",
            0,
            0,
            &cat(&[&2u16.to_be_bytes(), &infe(1, b"av01"), &infe(2, b"av01")]),
        );
        let ispe = full(
            b"ispe",
            0,
            0,
            &cat(&[&30u32.to_be_bytes(), &20u32.to_be_bytes()]),
        );
        let nclx = bx(b"colr", &cat(&[b"nclx", &[0, 12, 0, 13, 0, 6, 0x80]]));
        let icc = bx(b"colr", &cat(&[b"prof", b"ICCDATA"]));
        let av1c = bx(b"av1C", &[0x81, 0, 0x40, 0]);
        let auxc = full(
            b"auxC",
            0,
            0,
            b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\0",
        );
        let irot = bx(b"irot", &[1]);
        let imir = bx(b"imir", &[1]);
        let ipco = bx(
            b"ipco",
            &cat(&[&ispe, &nclx, &icc, &av1c, &auxc, &irot, &imir]),
        );
        // Item 1: ispe, nclx, icc, av1C, irot, imir; item 2: ispe, av1C, auxC.
        let ipma = full(
            b"ipma",
            0,
            0,
            &cat(&[
                &2u32.to_be_bytes(),
                &[0, 1, 6, 0x81, 2, 3, 0x84, 6, 7],
                &[0, 2, 3, 0x81, 0x84, 5],
            ]),
        );
        let iprp = bx(b"iprp", &cat(&[&ipco, &ipma]));
        let iref = full(
            b"iref",
            0,
            0,
            &cat(&[
                &bx(b"auxl", &[0, 2, 0, 1, 0, 1]),
                &bx(b"prem", &[0, 1, 0, 1, 0, 2]),
            ]),
        );
        let pitm = full(b"pitm", 0, 0, &1u16.to_be_bytes());
        let idat = bx(b"idat", &colour);
        // iloc v1: 4-byte offsets and lengths, no base offset or index.
        let iloc_for = |alpha_at: u32| {
            full(
                b"iloc",
                1,
                0,
                &cat(&[
                    &[0x44, 0x00],
                    &2u16.to_be_bytes(),
                    // Item 1: idat (method 1), one extent.
                    &[0, 1, 0, 1, 0, 0, 0, 1],
                    &0u32.to_be_bytes(),
                    &(colour.len() as u32).to_be_bytes(),
                    // Item 2: file (method 0), two extents.
                    &[0, 2, 0, 0, 0, 0, 0, 2],
                    &alpha_at.to_be_bytes(),
                    &5u32.to_be_bytes(),
                    &(alpha_at + 5).to_be_bytes(),
                    &(alpha.len() as u32 - 5).to_be_bytes(),
                ]),
            )
        };
        let meta_len = |iloc: &[u8]| {
            full(
                b"meta",
                0,
                0,
                &cat(&[&pitm, &iinf, iloc, &iprp, &iref, &idat]),
            )
            .len()
        };
        let alpha_at = (ftyp.len() + meta_len(&iloc_for(0)) + 8) as u32;
        let meta = full(
            b"meta",
            0,
            0,
            &cat(&[&pitm, &iinf, &iloc_for(alpha_at), &iprp, &iref, &idat]),
        );
        let mdat = bx(b"mdat", &alpha);
        (cat(&[&ftyp, &meta, &mdat]), colour, alpha)
    }

    #[test]
    fn reads_items_properties_and_references() {
        let (bytes, colour, alpha) = file();
        assert!(is_avif(&bytes));
        let avif = parse(&bytes).expect("parses");
        assert_eq!((avif.primary.width, avif.primary.height), (30, 20));
        assert_eq!(avif.displayed_size(), (20, 30));
        assert_eq!(
            avif.primary.config,
            Some(Av1Config {
                bit_depth: 10,
                monochrome: false
            })
        );
        assert_eq!(
            avif.nclx,
            Some(Nclx {
                primaries: 12,
                transfer: 13,
                matrix: 6,
                full_range: true
            })
        );
        assert_eq!(avif.icc.as_deref(), Some(&b"ICCDATA"[..]));
        assert_eq!((avif.rotation, avif.mirror), (1, Some(1)));
        assert!(avif.premultiplied);
        assert_eq!(
            avif.item_data(&avif.primary, &bytes).expect("colour"),
            colour
        );
        let alpha_item = avif.alpha.clone().expect("alpha item");
        assert_eq!(avif.item_data(&alpha_item, &bytes).expect("alpha"), alpha);
    }

    /// Every prefix that cuts the meta box is an error, never a panic; the header
    /// needs no byte of the mdat.
    #[test]
    fn prefixes_and_damage_are_errors() {
        let (bytes, _, _) = file();
        let mdat_at = bytes.len() - 14 - 8;
        for len in 0..bytes.len() {
            let parsed = parse(&bytes[..len]);
            if len >= mdat_at {
                let avif = parsed.expect("the meta box is whole");
                let alpha = avif.alpha.clone().expect("alpha");
                assert_eq!(
                    avif.item_data(&alpha, &bytes[..len]).is_ok(),
                    len == bytes.len()
                );
            } else {
                assert!(parsed.is_err(), "{len}");
            }
        }
        for at in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xFF] {
                let mut damaged = bytes.clone();
                damaged[at] ^= flip;
                if let Ok(avif) = parse(&damaged) {
                    for item in std::iter::once(&avif.primary).chain(avif.alpha.as_ref()) {
                        let _ = avif.item_data(item, &damaged);
                    }
                }
            }
        }
    }
}
