//! AVIF input: the HEIF container ([`super::avif_container`]) around AV1 data, which
//! rav1d (the Rust port of dav1d) decodes to Y'CbCr planes of 8 to 12 bits; those
//! become 8-bit RGB(A) here.
//!
//! - Y'CbCr to RGB uses the matrix and range of the `colr` nclx box when there is one,
//!   else those of the AV1 sequence header: BT.601 (also for "unspecified", as libavif
//!   does), BT.709, BT.2020, SMPTE 240, FCC, YCgCo and identity (GBR), full or limited
//!   range. Chroma is upsampled by nearest neighbour.
//! - 10- and 12-bit samples are scaled to 8 bits (rounded).
//! - Alpha comes from the auxiliary alpha item (its own AV1 stream, grey); colour that
//!   a `prem` reference marks as premultiplied is divided by it.
//! - `irot` and `imir` are applied, so the size reported is the displayed one.
//! - An ICC profile, or nclx primaries wider than sRGB's, is converted to sRGB by the
//!   caller, as for every other format.
//!
//! rav1d's API is dav1d's C API, so this module holds the unsafe calls, each with the
//! invariant it relies on; everything around them is safe code.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use rav1d::include::dav1d::data::Dav1dData;
use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dSettings};
use rav1d::include::dav1d::headers::{
    DAV1D_MC_BT2020_CL, DAV1D_MC_BT2020_NCL, DAV1D_MC_BT709, DAV1D_MC_FCC, DAV1D_MC_IDENTITY,
    DAV1D_MC_SMPTE240, DAV1D_MC_SMPTE_YCGCO, DAV1D_PIXEL_LAYOUT_I400, DAV1D_PIXEL_LAYOUT_I420,
    DAV1D_PIXEL_LAYOUT_I422,
};
use rav1d::include::dav1d::picture::Dav1dPicture;
use rav1d::src::lib::{
    dav1d_close, dav1d_data_create, dav1d_data_unref, dav1d_default_settings, dav1d_get_picture,
    dav1d_open, dav1d_picture_unref, dav1d_send_data,
};

use super::avif_container::{self, Avif, ImageItem, Nclx};
use super::error::DecodeError;
use crate::cancel::CancelFlag;
use crate::raster::Raster;

/// What the header of an AVIF file says: the displayed size and the channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvifHeader {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub has_alpha: bool,
    /// The coded pixels of the primary item (as stored, before `irot`).
    pub pixels: u64,
}

/// Reads the header (the `meta` box) only.
pub fn probe(bytes: &[u8]) -> Result<AvifHeader, DecodeError> {
    let avif = avif_container::parse(bytes)?;
    Ok(header_of(&avif))
}

fn header_of(avif: &Avif) -> AvifHeader {
    let (width, height) = avif.displayed_size();
    let grey = avif.primary.config.is_some_and(|c| c.monochrome);
    let has_alpha = avif.alpha.is_some();
    AvifHeader {
        width,
        height,
        channels: match (grey, has_alpha) {
            (true, false) => 1,
            (true, true) => 2,
            (false, false) => 3,
            (false, true) => 4,
        },
        has_alpha,
        pixels: u64::from(avif.primary.width) * u64::from(avif.primary.height),
    }
}

/// The colour of a decoded AVIF: its pixels and what they are in.
pub struct Decoded {
    pub raster: Raster,
    pub icc: Option<Vec<u8>>,
    pub nclx: Option<Nclx>,
}

/// Decodes the primary image of the AVIF file `bytes` (all of it) to 8-bit samples.
/// `limit_pixels` is checked on the `ispe` sizes before any pixel memory exists, and
/// rav1d is held to those sizes.
pub fn decode(
    bytes: &[u8],
    limit_pixels: Option<u64>,
    cancel: &CancelFlag,
) -> Result<Decoded, DecodeError> {
    let avif = avif_container::parse(bytes)?;
    let header = header_of(&avif);
    let items = std::iter::once(&avif.primary)
        .chain(avif.alpha.as_ref())
        .chain(&avif.tiles)
        .chain(&avif.alpha_tiles);
    for item in items {
        let pixels = u64::from(item.width) * u64::from(item.height);
        if let Some(limit) = limit_pixels.filter(|&limit| pixels > limit) {
            return Err(DecodeError::TooLarge {
                width: item.width,
                height: item.height,
                pixels,
                limit,
            });
        }
    }
    // A grid's tiles together may reach past its size by up to a tile each way.
    for tiles in [&avif.tiles, &avif.alpha_tiles] {
        let pixels: u64 = tiles
            .iter()
            .map(|t| u64::from(t.width) * u64::from(t.height))
            .sum();
        if let Some(limit) = limit_pixels.filter(|&limit| pixels > limit) {
            return Err(DecodeError::TooLarge {
                width: avif.primary.width,
                height: avif.primary.height,
                pixels,
                limit,
            });
        }
    }
    let (w, h) = (avif.primary.width, avif.primary.height);
    let colour = picture(
        &avif,
        &avif.primary,
        &avif.tiles,
        bytes,
        Samples::Colour,
        cancel,
    )?;
    let mut channels: u8 = if colour.grey { 1 } else { 3 };
    let mut data = colour.data;
    if let Some(alpha_item) = &avif.alpha {
        let alpha = picture(
            &avif,
            alpha_item,
            &avif.alpha_tiles,
            bytes,
            Samples::Alpha,
            cancel,
        )?;
        if (alpha.width, alpha.height) != (w, h) {
            return Err(DecodeError::Corrupt(format!(
                "AVIF: the alpha plane is {}x{}, the image {w}x{h}",
                alpha.width, alpha.height
            )));
        }
        data = add_alpha(
            &data,
            usize::from(channels),
            &alpha.data,
            avif.premultiplied,
        );
        channels += 1;
    }
    if header.channels != channels {
        // The av1C box said monochrome and the stream is not, or the reverse.
        return Err(DecodeError::Corrupt(
            "AVIF: the av1C box and the AV1 stream disagree on the colour layout".into(),
        ));
    }
    let mut raster = Raster::new(w, h, channels, data)
        .ok_or_else(|| DecodeError::Corrupt("AVIF: decoded size does not match".into()))?;
    if avif.rotation != 0 {
        // irot turns anticlockwise; rotate_quarters clockwise.
        raster = raster.rotate_quarters(4 - u32::from(avif.rotation));
    }
    match avif.mirror {
        // About a vertical axis: left to right.
        Some(0) => raster = raster.flop(),
        Some(_) => raster = raster.flip(),
        None => {}
    }
    Ok(Decoded {
        raster,
        icc: avif.icc.clone(),
        nclx: avif.nclx,
    })
}

/// Which samples a picture is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Samples {
    /// RGB, or grey for a monochrome stream.
    Colour,
    /// The luma of an alpha item.
    Alpha,
}

/// A picture as interleaved 8-bit samples (RGB, grey or alpha).
struct Picture {
    width: u32,
    height: u32,
    grey: bool,
    data: Vec<u8>,
}

/// Decodes `item` (an AV1 item, or a grid of `tiles`) to 8-bit samples.
fn picture(
    avif: &Avif,
    item: &ImageItem,
    tiles: &[ImageItem],
    file: &[u8],
    samples: Samples,
    cancel: &CancelFlag,
) -> Result<Picture, DecodeError> {
    let one = |item: &ImageItem| -> Result<Picture, DecodeError> {
        if cancel.is_cancelled() {
            return Err(DecodeError::Aborted);
        }
        let planes = decode_item(avif, item, file)?;
        let grey = planes.layout == Layout::I400;
        let data = match samples {
            Samples::Alpha => alpha_plane(&planes),
            Samples::Colour => {
                let (matrix, full_range) = avif
                    .nclx
                    .map(|n| (u32::from(n.matrix), n.full_range))
                    .unwrap_or((planes.matrix, planes.full_range));
                to_rgb(&planes, matrix, full_range, grey)
            }
        };
        Ok(Picture {
            width: planes.width,
            height: planes.height,
            grey: grey || samples == Samples::Alpha,
            data,
        })
    };
    if tiles.is_empty() {
        return one(item);
    }
    let layout = avif.grid_layout(item, file)?;
    if (layout.width, layout.height) != (item.width, item.height) {
        return Err(DecodeError::Corrupt(format!(
            "AVIF: the grid is {}x{}, its ispe box says {}x{}",
            layout.width, layout.height, item.width, item.height
        )));
    }
    if tiles.len() as u64 != u64::from(layout.rows) * u64::from(layout.columns) {
        return Err(DecodeError::Corrupt(format!(
            "AVIF: a {}x{} grid has {} tiles",
            layout.columns,
            layout.rows,
            tiles.len()
        )));
    }
    let (tw, th) = (tiles[0].width, tiles[0].height);
    let covers = u64::from(tw) * u64::from(layout.columns) >= u64::from(layout.width)
        && u64::from(th) * u64::from(layout.rows) >= u64::from(layout.height);
    if !covers || tiles.iter().any(|t| (t.width, t.height) != (tw, th)) {
        return Err(DecodeError::Corrupt(
            "AVIF: the grid's tiles do not cover it, or differ in size".into(),
        ));
    }
    let (w, h) = (layout.width as usize, layout.height as usize);
    let mut canvas: Option<(Vec<u8>, bool, usize)> = None;
    for (index, tile) in tiles.iter().enumerate() {
        let decoded = one(tile)?;
        let ch = if decoded.grey { 1 } else { 3 };
        let (data, grey, channels) =
            canvas.get_or_insert_with(|| (vec![0; w * h * ch], decoded.grey, ch));
        if *grey != decoded.grey || (decoded.width, decoded.height) != (tw, th) {
            return Err(DecodeError::Corrupt(
                "AVIF: the grid's tiles differ in layout".into(),
            ));
        }
        let (left, top) = (
            (index % layout.columns as usize) * tw as usize,
            (index / layout.columns as usize) * th as usize,
        );
        let row_len = (tw as usize).min(w.saturating_sub(left)) * *channels;
        for y in 0..(th as usize).min(h.saturating_sub(top)) {
            let from = y * tw as usize * *channels;
            let to = ((top + y) * w + left) * *channels;
            data[to..to + row_len].copy_from_slice(&decoded.data[from..from + row_len]);
        }
    }
    let (data, grey, _) =
        canvas.ok_or_else(|| DecodeError::Corrupt("AVIF: an empty grid".into()))?;
    Ok(Picture {
        width: layout.width,
        height: layout.height,
        grey,
        data,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    I400,
    I420,
    I422,
    I444,
}

/// One decoded AV1 picture, copied out of rav1d's buffers: the planes as u16 samples
/// (8-bit ones widened), with their sizes.
struct Planes {
    width: u32,
    height: u32,
    bit_depth: u32,
    layout: Layout,
    matrix: u32,
    full_range: bool,
    /// Y, then Cb and Cr (empty for I400), each `plane_width * plane_height`.
    planes: [Vec<u16>; 3],
    chroma_width: usize,
}

/// Decodes the AV1 data of `item`, which must be exactly its `ispe` size.
fn decode_item(avif: &Avif, item: &ImageItem, file: &[u8]) -> Result<Planes, DecodeError> {
    let data = avif.item_data(item, file)?;
    let planes = Decoder::open(item)?.decode(&data)?;
    if (planes.width, planes.height) != (item.width, item.height) {
        return Err(DecodeError::Corrupt(format!(
            "AVIF: the AV1 frame is {}x{}, the ispe box says {}x{}",
            planes.width, planes.height, item.width, item.height
        )));
    }
    Ok(planes)
}

/// A rav1d decoder context, closed on drop.
struct Decoder {
    ctx: Option<Dav1dContext>,
}

fn av1_error(what: &str, code: i32) -> DecodeError {
    DecodeError::Corrupt(format!(
        "AVIF: the AV1 data cannot be decoded ({what}: error {code})"
    ))
}

impl Decoder {
    /// Two threads and two frame contexts, and frames no larger than `item`'s `ispe`
    /// size (a stream that declares more is refused by rav1d before it allocates).
    ///
    /// Why two and not one (corepool already runs one image per core): with a single
    /// frame context, rav1d 1.1 panics on any decoding error (it unwraps a frame
    /// header its own error path has taken, memorysafety/rav1d#1497), and a panic in
    /// its `extern "C"` API aborts the process. With two, errors take the other path
    /// and come back as error codes.
    fn open(item: &ImageItem) -> Result<Self, DecodeError> {
        let mut settings = MaybeUninit::<Dav1dSettings>::uninit();
        // SAFETY: `dav1d_default_settings` writes every field of the settings.
        let mut settings = unsafe {
            dav1d_default_settings(NonNull::new_unchecked(settings.as_mut_ptr()));
            settings.assume_init()
        };
        settings.n_threads = 2;
        settings.max_frame_delay = 2;
        // rav1d writes its messages about damaged data to stderr; the error codes say
        // enough. SAFETY: the logger is a `repr(C)` pair of `Option`s of non-null
        // pointers (a cookie and a callback), for which all-zero bytes are `None`: no
        // logger.
        unsafe { std::ptr::addr_of_mut!(settings.logger).write_bytes(0, 1) };
        settings.frame_size_limit =
            u32::try_from(u64::from(item.width) * u64::from(item.height)).unwrap_or(u32::MAX);
        let mut ctx: Option<Dav1dContext> = None;
        // SAFETY: both pointers are to live locals; `ctx` is written (or left `None`).
        let rc = unsafe {
            dav1d_open(
                Some(NonNull::from(&mut ctx)),
                Some(NonNull::from(&mut settings)),
            )
        };
        match ctx {
            Some(_) if rc.0 == 0 => Ok(Self { ctx }),
            _ => Err(DecodeError::Corrupt(format!(
                "AVIF: the AV1 decoder could not be started (error {})",
                rc.0
            ))),
        }
    }

    /// Sends the whole stream (one temporal unit: a still image) and takes the first
    /// picture out.
    fn decode(&mut self, stream: &[u8]) -> Result<Planes, DecodeError> {
        let mut data = Dav1dData::default();
        // SAFETY: `data` is a live local; on success rav1d returns a buffer of
        // `stream.len()` bytes that `data` owns.
        let buf = unsafe { dav1d_data_create(Some(NonNull::from(&mut data)), stream.len()) };
        if buf.is_null() {
            return Err(DecodeError::Corrupt(
                "AVIF: no memory for the AV1 data".into(),
            ));
        }
        // SAFETY: `buf` points to `stream.len()` writable bytes owned by `data`.
        unsafe { std::ptr::copy_nonoverlapping(stream.as_ptr(), buf, stream.len()) };
        let result = self.send_and_receive(&mut data);
        // SAFETY: `data` came from `dav1d_data_create`; unref is a no-op once rav1d has
        // consumed it.
        unsafe { dav1d_data_unref(Some(NonNull::from(&mut data))) };
        result
    }

    fn send_and_receive(&mut self, data: &mut Dav1dData) -> Result<Planes, DecodeError> {
        let eagain = -libc::EAGAIN;
        // A still image needs a handful of rounds at most; bound them so that a
        // stream without a shown frame ends as an error, never as a loop.
        for _ in 0..64 {
            if data.sz > 0 {
                // SAFETY: the context is open; `data` is a live, rav1d-owned buffer.
                let rc =
                    unsafe { dav1d_send_data(self.ctx_ref(), Some(NonNull::from(&mut *data))) };
                if rc.0 < 0 && rc.0 != eagain {
                    return Err(av1_error("sending data", rc.0));
                }
            }
            let mut picture = Dav1dPicture::default();
            // SAFETY: the context is open; `picture` is a live local that rav1d writes.
            let rc =
                unsafe { dav1d_get_picture(self.ctx_ref(), Some(NonNull::from(&mut picture))) };
            if rc.0 == 0 {
                let planes = copy_planes(&picture);
                // SAFETY: `picture` was filled by `dav1d_get_picture` and is released once.
                unsafe { dav1d_picture_unref(Some(NonNull::from(&mut picture))) };
                return planes;
            }
            if rc.0 != eagain {
                return Err(av1_error("decoding", rc.0));
            }
        }
        Err(DecodeError::Corrupt(
            "AVIF: the AV1 data holds no complete picture (truncated?)".into(),
        ))
    }

    /// The context, for rav1d's calls: a `Copy` handle that they borrow (only
    /// `dav1d_close` releases it).
    fn ctx_ref(&self) -> Option<Dav1dContext> {
        self.ctx
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: closes the context opened in `open`, once; rav1d sets `ctx` to `None`.
        unsafe { dav1d_close(Some(NonNull::from(&mut self.ctx))) };
    }
}

/// Copies the planes of a picture rav1d returned into owned vectors.
fn copy_planes(picture: &Dav1dPicture) -> Result<Planes, DecodeError> {
    let p = &picture.p;
    let (width, height) = (
        u32::try_from(p.w).unwrap_or(0),
        u32::try_from(p.h).unwrap_or(0),
    );
    let bit_depth = u32::try_from(p.bpc).unwrap_or(0);
    if width == 0 || height == 0 || !matches!(bit_depth, 8 | 10 | 12) {
        return Err(DecodeError::Corrupt(format!(
            "AVIF: the AV1 decoder returned a {width}x{height} picture of {bit_depth} bits"
        )));
    }
    let layout = match p.layout {
        DAV1D_PIXEL_LAYOUT_I400 => Layout::I400,
        DAV1D_PIXEL_LAYOUT_I420 => Layout::I420,
        DAV1D_PIXEL_LAYOUT_I422 => Layout::I422,
        _ => Layout::I444,
    };
    let (matrix, full_range) = match picture.seq_hdr {
        // SAFETY: rav1d keeps the sequence header alive as long as the picture.
        Some(seq) => unsafe {
            let seq = seq.as_ref();
            (seq.mtrx, seq.color_range != 0)
        },
        None => (2, false),
    };
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = match layout {
        Layout::I400 => (0, 0),
        Layout::I420 => (w.div_ceil(2), h.div_ceil(2)),
        Layout::I422 => (w.div_ceil(2), h),
        Layout::I444 => (w, h),
    };
    let wide = bit_depth > 8;
    let copy =
        |index: usize, pw: usize, ph: usize, stride: isize| -> Result<Vec<u16>, DecodeError> {
            let ptr = picture.data[index]
                .ok_or_else(|| DecodeError::Corrupt("AVIF: a picture plane is missing".into()))?;
            let mut out = Vec::with_capacity(pw * ph);
            for y in 0..ph {
                // SAFETY: rav1d's planes hold `ph` rows of `stride` bytes, each with at least
                // `pw` samples of 1 byte (8-bit) or 2 (more); the picture is alive.
                unsafe {
                    let row = ptr.as_ptr().cast::<u8>().offset(y as isize * stride);
                    if wide {
                        let row = std::slice::from_raw_parts(row.cast::<u16>(), pw);
                        out.extend_from_slice(row);
                    } else {
                        let row = std::slice::from_raw_parts(row, pw);
                        out.extend(row.iter().map(|&v| u16::from(v)));
                    }
                }
            }
            Ok(out)
        };
    let luma = copy(0, w, h, picture.stride[0])?;
    let (cb, cr) = if layout == Layout::I400 {
        (Vec::new(), Vec::new())
    } else {
        (
            copy(1, cw, ch, picture.stride[1])?,
            copy(2, cw, ch, picture.stride[1])?,
        )
    };
    Ok(Planes {
        width,
        height,
        bit_depth,
        layout,
        matrix,
        full_range,
        planes: [luma, cb, cr],
        chroma_width: cw,
    })
}

/// The luma and blue-difference weights (Kr, Kb) of a matrix, `None` for identity and
/// YCgCo (which are not of that form).
fn weights(matrix: u32) -> Option<(f32, f32)> {
    Some(match matrix {
        DAV1D_MC_BT709 => (0.2126, 0.0722),
        DAV1D_MC_FCC => (0.30, 0.11),
        DAV1D_MC_SMPTE240 => (0.212, 0.087),
        DAV1D_MC_BT2020_NCL | DAV1D_MC_BT2020_CL => (0.2627, 0.0593),
        DAV1D_MC_IDENTITY | DAV1D_MC_SMPTE_YCGCO => return None,
        // BT.601 (5, 6), unspecified (2) and the rest, as libavif.
        _ => (0.299, 0.114),
    })
}

/// Y'CbCr planes to interleaved 8-bit RGB (or grey).
fn to_rgb(p: &Planes, matrix: u32, full_range: bool, grey: bool) -> Vec<u8> {
    let (w, h) = (p.width as usize, p.height as usize);
    let max = ((1u32 << p.bit_depth) - 1) as f32;
    let scale = (1u32 << (p.bit_depth - 8)) as f32;
    // Normalised luma in 0..1 and chroma in -0.5..0.5.
    let (y_off, y_range, c_range) = if full_range {
        (0.0, max, max)
    } else {
        (16.0 * scale, 219.0 * scale, 224.0 * scale)
    };
    let mid = (1u32 << (p.bit_depth - 1)) as f32;
    let to8 = |v: f32| (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
    let luma = |v: u16| (f32::from(v) - y_off) / y_range;
    let chroma = |v: u16| (f32::from(v) - mid) / c_range;
    let [ys, cbs, crs] = &p.planes;
    if grey {
        return ys.iter().map(|&v| to8(luma(v))).collect();
    }
    let (sx, sy) = match p.layout {
        Layout::I420 => (1, 1),
        Layout::I422 => (1, 0),
        _ => (0, 0),
    };
    let coefficients = weights(matrix);
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        let crow = (y >> sy) * p.chroma_width;
        for x in 0..w {
            let ci = crow + (x >> sx);
            let (yv, cbv, crv) = (ys[y * w + x], cbs[ci], crs[ci]);
            let rgb = match coefficients {
                Some((kr, kb)) => {
                    let (yn, cb, cr) = (luma(yv), chroma(cbv), chroma(crv));
                    let kg = 1.0 - kr - kb;
                    let r = yn + 2.0 * (1.0 - kr) * cr;
                    let b = yn + 2.0 * (1.0 - kb) * cb;
                    let g = (yn - kr * r - kb * b) / kg;
                    [r, g, b]
                }
                None if matrix == DAV1D_MC_IDENTITY => {
                    // GBR: Y is green, Cb blue, Cr red (all with luma's range).
                    [luma(crv), luma(yv), luma(cbv)]
                }
                None => {
                    // YCgCo: Cb holds Cg, Cr holds Co.
                    let (yn, cg, co) = (luma(yv), chroma(cbv), chroma(crv));
                    let t = yn - cg;
                    [t + co, yn + cg, t - co]
                }
            };
            out.extend(rgb.map(to8));
        }
    }
    out
}

/// The alpha item's luma as 8-bit alpha (its own range from its sequence header).
fn alpha_plane(p: &Planes) -> Vec<u8> {
    let max = ((1u32 << p.bit_depth) - 1) as f32;
    let scale = (1u32 << (p.bit_depth - 8)) as f32;
    let (off, range) = if p.full_range {
        (0.0, max)
    } else {
        (16.0 * scale, 219.0 * scale)
    };
    p.planes[0]
        .iter()
        .map(|&v| (((f32::from(v) - off) / range).clamp(0.0, 1.0) * 255.0 + 0.5) as u8)
        .collect()
}

/// Interleaves `alpha` after each pixel's `channels` colour samples, dividing the colour
/// by the alpha when it is premultiplied.
fn add_alpha(colour: &[u8], channels: usize, alpha: &[u8], premultiplied: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(colour.len() + alpha.len());
    for (px, &a) in colour.chunks_exact(channels).zip(alpha) {
        if premultiplied && a < 255 {
            out.extend(px.iter().map(|&c| {
                if a == 0 {
                    0
                } else {
                    ((u32::from(c) * 255 + u32::from(a) / 2) / u32::from(a)).min(255) as u8
                }
            }));
        } else {
            out.extend_from_slice(px);
        }
        out.push(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{encode, probe, sniff, EncodeSettings, Format};

    /// A smooth gradient with a few edges: `channels` 3 (RGB) or 4 (alpha a ramp).
    fn sample(w: u32, h: u32, channels: u8) -> Raster {
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let px = [
                    (x * 255 / w) as u8,
                    (y * 255 / h) as u8,
                    if (x / 8 + y / 8) % 2 == 0 { 200 } else { 60 },
                    ((x + y) * 255 / (w + h)) as u8,
                ];
                data.extend_from_slice(&px[..usize::from(channels)]);
            }
        }
        Raster::new(w, h, channels, data).expect("sample")
    }

    fn avif_of(raster: &Raster) -> Vec<u8> {
        let settings = EncodeSettings {
            quality: Some(95),
            ..EncodeSettings::default()
        };
        encode(raster, Format::Avif, &settings).expect("encodes")
    }

    fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
        assert_eq!(a.len(), b.len());
        let sum: u64 = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| u64::from(x.abs_diff(y)))
            .sum();
        sum as f64 / a.len() as f64
    }

    #[test]
    fn decodes_what_the_encoder_wrote() {
        for channels in [3, 4] {
            let src = sample(67, 45, channels);
            let bytes = avif_of(&src);
            assert_eq!(sniff(&bytes), Some(Format::Avif));
            let header = probe(&bytes).expect("probes");
            assert_eq!(
                (header.format, header.width, header.height, header.channels),
                (Format::Avif, 67, 45, channels)
            );
            assert_eq!(header.has_alpha, channels == 4);
            let decoded = decode(&bytes, None, &CancelFlag::new()).expect("decodes");
            let r = decoded.raster;
            assert_eq!((r.width, r.height, r.channels), (67, 45, channels));
            let diff = mean_abs_diff(&r.data, &src.data);
            assert!(diff < 4.0, "{channels} channels: mean difference {diff}");
        }
    }

    #[test]
    fn the_pixel_limit_is_checked_on_ispe() {
        let bytes = avif_of(&sample(40, 30, 3));
        assert!(matches!(
            decode(&bytes, Some(40 * 30 - 1), &CancelFlag::new()),
            Err(DecodeError::TooLarge { pixels: 1200, .. })
        ));
        assert!(decode(&bytes, Some(40 * 30), &CancelFlag::new()).is_ok());
    }

    /// Every prefix of a file, and files with bytes flipped, fail with a coded error
    /// (or decode), never a panic.
    #[test]
    fn truncated_and_damaged_files_are_errors() {
        let bytes = avif_of(&sample(24, 16, 4));
        for len in (0..bytes.len()).step_by(7) {
            let cut = &bytes[..len];
            if let Some(Format::Avif) = sniff(cut) {
                assert!(
                    decode(cut, None, &CancelFlag::new()).is_err(),
                    "a {len}-byte prefix decoded"
                );
            }
            let _ = probe(cut);
        }
        // Every third byte: each flip is a full decode (slow in debug builds).
        for at in (0..bytes.len()).step_by(3) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x5A;
            let _ = probe(&damaged);
            let _ = decode(&damaged, None, &CancelFlag::new());
        }
    }

    /// A generic HEIF brand (`mif1`, `miaf`) with an AV1 primary item is AVIF; with no
    /// AV1 item (HEIC) it is not.
    #[test]
    fn sniffs_by_compatible_brands() {
        let bytes = avif_of(&sample(16, 16, 3));
        let brands = avif_container::brands(&bytes).expect("ftyp");
        assert!(brands.contains(b"avif"), "{brands:?}");
        let renamed = |from: &[u8; 4], to: &[u8; 4]| {
            let mut out = bytes.clone();
            let ftyp_len = u32::from_be_bytes([out[0], out[1], out[2], out[3]]) as usize;
            for brand in out[8..ftyp_len].chunks_exact_mut(4) {
                if brand == from {
                    brand.copy_from_slice(to);
                }
            }
            out
        };
        let generic = renamed(b"avif", b"mif1");
        assert!(!avif_container::brands(&generic)
            .expect("ftyp")
            .contains(b"avif"));
        assert_eq!(sniff(&generic), Some(Format::Avif));
        // The same file calling its item HEVC is not AVIF.
        let mut heic = generic.clone();
        let at = heic
            .windows(4)
            .position(|w| w == b"av01")
            .expect("an av01 item");
        heic[at..at + 4].copy_from_slice(b"hvc1");
        assert_eq!(sniff(&heic), None);
    }

    /// A grid image (sharp's `pitm.avif` fixture): its tiles are decoded and put
    /// together to the grid's size; every prefix fails cleanly.
    #[test]
    fn decodes_a_grid() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../__test__/corpora/sharp/test/fixtures/pitm.avif"
        );
        let bytes = std::fs::read(path).expect("pitm.avif");
        let avif = avif_container::parse(&bytes).expect("parses");
        assert!(avif.tiles.len() > 1, "{} tiles", avif.tiles.len());
        let header = probe(&bytes).expect("probes");
        let decoded = decode(&bytes, None, &CancelFlag::new()).expect("decodes");
        let r = decoded.raster;
        assert_eq!(
            (r.width, r.height, r.channels),
            (header.width, header.height, header.channels)
        );
        // Not one flat colour: the tiles carry the picture.
        assert!(r.data.iter().any(|&v| v != r.data[0]));
        let limit = u64::from(header.width) * u64::from(header.height) - 1;
        assert!(matches!(
            decode(&bytes, Some(limit), &CancelFlag::new()),
            Err(DecodeError::TooLarge { .. })
        ));
        for len in (0..bytes.len()).step_by(997) {
            assert!(decode(&bytes[..len], None, &CancelFlag::new()).is_err());
        }
    }
}
