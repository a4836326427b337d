//! SVG input (and gzip-compressed SVGZ), rendered by resvg, sized the way sharp sizes it
//! (libvips' svgload over librsvg), so that the same file gives the same dimensions.
//!
//! The size, at `density` dots per inch (sharp's `density`, default 72), measured from
//! sharp 0.35 (librsvg 2.63):
//! 1. `width` and `height` both absolute (not percentages, positive): those.
//! 2. Else, with a usable `viewBox`: the one absolute side, and the other from the
//!    viewBox's aspect ratio; with neither side absolute, the viewBox's own size.
//! 3. Else the extent of what is drawn (strokes included), drawn where it stands (content
//!    left or above the origin is cut off, as in sharp).
//!
//! Lengths resolve as librsvg resolves them with its dpi set to `density` (`px` and
//! unitless 1, `in` = density, `em` = 12 and `ex` = 6), and the result is then scaled by
//! `density / 72`, as libvips does: so physical units scale with the square of the
//! density (`30mm` is 85 pixels at 72 and 340 at 144), exactly as in sharp. Each side is
//! rounded half up.
//!
//! Invariants: nothing outside the document is read (an `<image>` naming a file or a
//! URL is skipped; data URLs are used, and an embedded raster image is probed first and
//! refused when it has more pixels than the limit); the rendered size is known, and
//! checked against the pixel limit by the caller, before the pixmap is allocated; a
//! gzip body is inflated to at most [`MAX_DOCUMENT_BYTES`]; the scratch pixmaps resvg
//! will allocate (layers, masks, pattern tiles) are estimated from the tree and checked
//! against the pixel limit before drawing; a panic inside usvg or
//! resvg (tiny-skia unwraps degenerate geometry, such as a 1e9-wide blurred rectangle)
//! is this document's `Corrupt` error, not a crash.

use std::borrow::Cow;
use std::io::Read;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb, roxmltree};

use super::error::DecodeError;
use crate::raster::Raster;

/// sharp's default density, in dots per inch; also the density of a CSS pixel here.
pub const DEFAULT_DENSITY: f64 = 72.0;

/// The largest document read, after inflating SVGZ: a gzip bomb stops here.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// How far into the (inflated) file the `<svg` tag is looked for.
const SNIFF_BYTES: usize = 4096;

/// librsvg's default font size, which `em` and `ex` are relative to at the root.
const FONT_SIZE: f64 = 12.0;

/// Whether `bytes` look like an SVG document (or a gzip-compressed one): after an
/// optional byte-order mark and white space, markup, with an `<svg` tag near the start.
pub(crate) fn is_svg(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0x1F, 0x8B]) {
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        let mut inflater = flate2::read::GzDecoder::new(bytes).take(SNIFF_BYTES as u64);
        // A damaged stream still sniffs on what inflated before the damage.
        let _ = inflater.read_to_end(&mut head);
        return is_svg_text(&head);
    }
    is_svg_text(bytes)
}

fn is_svg_text(bytes: &[u8]) -> bool {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    let head = &text[..text.len().min(SNIFF_BYTES)];
    start.is_some_and(|i| text[i] == b'<')
        && head.windows(4).any(|w| w.eq_ignore_ascii_case(b"<svg"))
}

/// The document as text: inflated when it is SVGZ, at most [`MAX_DOCUMENT_BYTES`].
fn document(bytes: &[u8]) -> Result<Cow<'_, str>, DecodeError> {
    let inflated = if bytes.starts_with(&[0x1F, 0x8B]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_DOCUMENT_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| DecodeError::Corrupt(format!("SVG: the gzip stream is damaged: {e}")))?;
        Cow::Owned(out)
    } else {
        Cow::Borrowed(bytes)
    };
    if inflated.len() > MAX_DOCUMENT_BYTES {
        return Err(DecodeError::LimitExceeded(format!(
            "SVG: the document is larger than {} MiB",
            MAX_DOCUMENT_BYTES >> 20
        )));
    }
    let not_utf8 = |e: std::str::Utf8Error| {
        DecodeError::Corrupt(format!("SVG: the document is not UTF-8: {e}"))
    };
    Ok(match inflated {
        Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).map_err(not_utf8)?),
        Cow::Owned(b) => Cow::Owned(String::from_utf8(b).map_err(|e| not_utf8(e.utf8_error()))?),
    })
}

fn parse_xml(text: &str) -> Result<roxmltree::Document<'_>, DecodeError> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| DecodeError::Corrupt(format!("SVG: {e}")))?;
    if doc.root_element().tag_name().name() != "svg" {
        return Err(DecodeError::Corrupt(
            "SVG: the root element is not <svg>".into(),
        ));
    }
    Ok(doc)
}

/// Where the document's size comes from (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sizing {
    /// From the root's attributes: width and height in pixels at the density, before
    /// the `density / 72` scale. The document is laid out at exactly this size.
    Declared(f64, f64),
    /// The extent of the content, in the same pixels.
    Content(f64, f64),
}

impl Sizing {
    fn size(self) -> (f64, f64) {
        match self {
            Self::Declared(w, h) | Self::Content(w, h) => (w, h),
        }
    }
}

/// An absolute length in pixels at `dpi`, or `None` for a percentage, a value that is
/// not a length, or a negative one (librsvg ignores those).
fn absolute(value: Option<&str>, dpi: f64) -> Option<f64> {
    use svgtypes::LengthUnit as U;
    let length: svgtypes::Length = value?.trim().parse().ok()?;
    let per_unit = match length.unit {
        U::None | U::Px => 1.0,
        U::In => dpi,
        U::Cm => dpi / 2.54,
        U::Mm => dpi / 25.4,
        U::Pt => dpi / 72.0,
        U::Pc => dpi / 6.0,
        U::Em => FONT_SIZE,
        U::Ex => FONT_SIZE / 2.0,
        U::Percent => return None,
    };
    let px = length.number * per_unit;
    (px.is_finite() && px >= 0.0).then_some(px)
}

/// The size declared by the root's attributes, if they declare one.
fn declared(doc: &roxmltree::Document, density: f64) -> Option<(f64, f64)> {
    let root = doc.root_element();
    let width = absolute(root.attribute("width"), density);
    let height = absolute(root.attribute("height"), density);
    let view_box = root
        .attribute("viewBox")
        .and_then(|v| v.parse::<svgtypes::ViewBox>().ok())
        .filter(|b| b.w > 0.0 && b.h > 0.0 && b.w.is_finite() && b.h.is_finite());
    match (width, height, view_box) {
        (Some(w), Some(h), _) => Some((w, h)),
        (Some(w), None, Some(b)) => Some((w, w * b.h / b.w)),
        (None, Some(h), Some(b)) => Some((h * b.w / b.h, h)),
        (None, None, Some(b)) => Some((b.w, b.h)),
        _ => None,
    }
}

/// The fonts text is drawn with: the system's, loaded once per process, the generic
/// families mapped to fonts that are installed.
fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            db.load_system_fonts();
            let installed = |candidates: &[&str]| {
                candidates.iter().find_map(|name| {
                    db.faces()
                        .any(|f| f.families.iter().any(|(family, _)| family == name))
                        .then(|| (*name).to_owned())
                })
            };
            let serif = installed(&[
                "Times New Roman",
                "DejaVu Serif",
                "Liberation Serif",
                "Noto Serif",
            ]);
            let sans = installed(&["Arial", "DejaVu Sans", "Liberation Sans", "Noto Sans"]);
            let mono = installed(&[
                "Courier New",
                "DejaVu Sans Mono",
                "Liberation Mono",
                "Noto Sans Mono",
            ]);
            if let Some(name) = serif {
                db.set_serif_family(name);
            }
            if let Some(name) = sans {
                db.set_sans_serif_family(name);
            }
            if let Some(name) = mono {
                db.set_monospace_family(name);
            }
            Arc::new(db)
        })
        .clone()
}

/// usvg's options for a document at `density`: the fonts, librsvg's font size, and an
/// `<image>` resolver that reads data URLs only, refusing (through `too_large`) an
/// embedded raster image with more than `limit_pixels` pixels and skipping one whose
/// header is damaged.
fn options(density: f64, limit_pixels: u64, too_large: Arc<AtomicBool>) -> usvg::Options<'static> {
    let data = usvg::ImageHrefResolver::default_data_resolver();
    let resolve_data: usvg::ImageHrefDataResolverFn<'static> =
        Box::new(move |mime, bytes: Arc<Vec<u8>>, opts| {
            if let Some(format) = super::sniff::sniff(&bytes) {
                if format != super::Format::Svg {
                    // An image whose header does not parse is skipped, as librsvg
                    // skips it, rather than handed to resvg's decoders.
                    let pixels = super::probe(&bytes).ok()?.decode_pixels;
                    if pixels > limit_pixels {
                        too_large.store(true, Ordering::Relaxed);
                        return None;
                    }
                }
            }
            data(mime, bytes, opts)
        });
    usvg::Options {
        dpi: density as f32,
        font_size: FONT_SIZE as f32,
        font_family: "serif".into(),
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data,
            // Never a file or a URL: an upload must not pull in the server's files.
            resolve_string: Box::new(|_, _| None),
        },
        fontdb: fonts(),
        ..usvg::Options::default()
    }
}

/// The parsed document, ready to render, and where its size came from.
struct Parsed {
    tree: usvg::Tree,
    sizing: Sizing,
}

/// Parses `bytes` at `density`; with a declared size the root's `width` and `height` are
/// replaced by it in pixels first, so that usvg lays the document out in the same
/// viewport librsvg does.
fn parse(bytes: &[u8], density: f64, limit_pixels: u64) -> Result<Parsed, DecodeError> {
    let text = document(bytes)?;
    let doc = parse_xml(&text)?;
    let too_large = Arc::new(AtomicBool::new(false));
    let opts = options(density, limit_pixels, too_large.clone());
    let fail = |e: usvg::Error| DecodeError::Corrupt(format!("SVG: {e}"));
    let parsed = match declared(&doc, density) {
        Some((w, h)) => {
            let sized = with_root_size(&text, &doc, Some((w, h)));
            let tree = guarded(|| usvg::Tree::from_str(&sized, &opts))?.map_err(fail)?;
            Parsed {
                tree,
                sizing: Sizing::Declared(w, h),
            }
        }
        None => {
            // Without the sizes librsvg ignored (negative, or one side alone), which
            // usvg would refuse.
            let bare = with_root_size(&text, &doc, None);
            let tree = guarded(|| usvg::Tree::from_str(&bare, &opts))?.map_err(fail)?;
            let ink = tree.root().abs_stroke_bounding_box();
            Parsed {
                sizing: Sizing::Content(f64::from(ink.width()), f64::from(ink.height())),
                tree,
            }
        }
    };
    if too_large.load(Ordering::Relaxed) {
        return Err(DecodeError::LimitExceeded(format!(
            "SVG: an embedded image has more pixels than limitInputPixels ({limit_pixels})"
        )));
    }
    Ok(parsed)
}

/// Runs usvg or resvg work, turning a panic in them into this document's error.
fn guarded<T>(work: impl FnOnce() -> T) -> Result<T, DecodeError> {
    panic::catch_unwind(AssertUnwindSafe(work)).map_err(|_| {
        DecodeError::Corrupt("SVG: the renderer failed on this document's geometry".into())
    })
}

/// `text` with the root element's `width` and `height` attributes replaced by `size`
/// in pixels, or removed.
fn with_root_size(text: &str, doc: &roxmltree::Document, size: Option<(f64, f64)>) -> String {
    let root = doc.root_element();
    let mut cut: Vec<std::ops::Range<usize>> = root
        .attributes()
        .filter(|a| a.namespace().is_none() && matches!(a.name(), "width" | "height"))
        .map(|a| a.range())
        .collect();
    cut.sort_by_key(|r| r.start);
    // Just after the tag name: `<svg` or `<prefix:svg`.
    let start = root.range().start;
    let name_end = text[start + 1..]
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .map_or(text.len(), |i| start + 1 + i);
    let mut out = String::with_capacity(text.len() + 48);
    out.push_str(&text[..name_end]);
    if let Some((w, h)) = size {
        out.push_str(&format!(" width=\"{w}\" height=\"{h}\""));
    }
    let mut at = name_end;
    for range in cut {
        out.push_str(&text[at..range.start]);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// `len` rounded half up, as libvips rounds the scaled size (at least 1 when `len` > 0).
fn round_side(len: f64) -> Result<u32, DecodeError> {
    let rounded = (len + 0.5).floor();
    if rounded.is_nan() || rounded < 1.0 {
        return Err(DecodeError::Corrupt(format!(
            "SVG: the document's size rounds to {rounded} pixels"
        )));
    }
    if rounded > f64::from(u32::MAX) {
        return Err(DecodeError::LimitExceeded(format!(
            "SVG: the document would be {rounded} pixels across"
        )));
    }
    Ok(rounded as u32)
}

/// The size in pixels at `density`, scaled by `scale`.
fn pixel_size(sizing: Sizing, density: f64, scale: f64) -> Result<(u32, u32), DecodeError> {
    let (w, h) = sizing.size();
    let k = density / DEFAULT_DENSITY * scale;
    Ok((round_side(w * k)?, round_side(h * k)?))
}

/// The size of `bytes` at `density` and `scale` (1 unless rendering straight to a
/// resize's target), without drawing it. A declared size needs the XML only; a size
/// from the content parses the whole document.
pub fn size(bytes: &[u8], density: f64, scale: f64) -> Result<(u32, u32), DecodeError> {
    let text = document(bytes)?;
    let doc = parse_xml(&text)?;
    match declared(&doc, density) {
        Some((w, h)) => pixel_size(Sizing::Declared(w, h), density, scale),
        None => pixel_size(parse(bytes, density, u64::MAX)?.sizing, density, scale),
    }
}

/// Renders `bytes` at `density` into an RGBA raster of exactly `size` (a size
/// [`size`] gave at some scale; the scale is recovered from it), with straight alpha.
pub fn decode(
    bytes: &[u8],
    density: f64,
    size: (u32, u32),
    limit_pixels: Option<u64>,
) -> Result<Raster, DecodeError> {
    let parsed = parse(bytes, density, limit_pixels.unwrap_or(u64::MAX))?;
    let (w, h) = parsed.sizing.size();
    // One scale for both axes, as librsvg draws; it is the one that rounded to `size`.
    let k = if w >= h {
        f64::from(size.0) / w
    } else {
        f64::from(size.1) / h
    };
    let transform = tiny_skia::Transform::from_scale(k as f32, k as f32);
    check_scratch(&parsed.tree, transform, size, limit_pixels)?;
    let mut pixmap = tiny_skia::Pixmap::new(size.0, size.1).ok_or_else(|| {
        DecodeError::LimitExceeded(format!(
            "SVG: a {}x{} canvas cannot be allocated",
            size.0, size.1
        ))
    })?;
    guarded(|| resvg::render(&parsed.tree, transform, &mut pixmap.as_mut()))?;
    let mut data = pixmap.take();
    unpremultiply(&mut data);
    Raster::new(size.0, size.1, 4, data)
        .ok_or_else(|| DecodeError::Corrupt("SVG: the canvas has the wrong size".into()))
}

/// Refuses a document whose drawing would keep more scratch pixels alive at once
/// (layers, clip and mask pixmaps, filter buffers, pattern tiles: see
/// [`svg_scratch`](super::svg_scratch)) than the pixel limit, or than 4 canvases where
/// that is more: a legitimate drawing needs a few layers about the canvas's size, while a
/// `<pattern height="1e9">` asks for gigabytes. Without a limit, sharp's default
/// limit bounds it.
fn check_scratch(
    tree: &usvg::Tree,
    transform: tiny_skia::Transform,
    canvas: (u32, u32),
    limit_pixels: Option<u64>,
) -> Result<(), DecodeError> {
    let limit = limit_pixels.unwrap_or(crate::limits::DEFAULT_LIMIT_INPUT_PIXELS);
    let budget = limit.max((u64::from(canvas.0) * u64::from(canvas.1)).saturating_mul(4));
    let peak = super::svg_scratch::peak_pixels(tree, transform, canvas);
    if peak > budget {
        return Err(DecodeError::LimitExceeded(format!(
            "SVG: drawing it at {}x{} needs {peak} pixels of layers, masks and pattern \
             tiles at once, more than {budget} (limitInputPixels, or 4 canvases)",
            canvas.0, canvas.1
        )));
    }
    Ok(())
}

/// Premultiplied RGBA to straight RGBA, in place, rounding to nearest.
fn unpremultiply(data: &mut [u8]) {
    for px in data.chunks_exact_mut(4) {
        let a = u32::from(px[3]);
        if a != 0 && a != 255 {
            for c in &mut px[..3] {
                *c = ((u32::from(*c) * 255 + a / 2) / a).min(255) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg(attrs: &str, body: &str) -> Vec<u8> {
        format!("<svg xmlns=\"http://www.w3.org/2000/svg\" {attrs}>{body}</svg>").into_bytes()
    }

    const RECT: &str = "<rect width=\"10\" height=\"10\" fill=\"red\"/>";

    /// The sizes sharp 0.35 gives these documents (measured with `metadata()` at
    /// densities 72, 144 and 96).
    #[test]
    fn sizes_follow_sharp() {
        /// Root attributes, body, and the sizes at 72, 144 and 96 dpi.
        type Case<'a> = (&'a str, &'a str, [(u32, u32); 3]);
        let cases: [Case; 12] = [
            ("width=\"120\" height=\"80\"", RECT, [(120, 80), (240, 160), (160, 107)]),
            ("width=\"120px\" height=\"80.6px\"", RECT, [(120, 81), (240, 161), (160, 107)]),
            ("width=\"10.5\" height=\"10.4\"", RECT, [(11, 10), (21, 21), (14, 14)]),
            ("viewBox=\"0 0 50 30\"", RECT, [(50, 30), (100, 60), (67, 40)]),
            ("viewBox=\"5 5 50.5 30.5\"", RECT, [(51, 31), (101, 61), (67, 41)]),
            ("width=\"30mm\" height=\"1in\"", RECT, [(85, 72), (340, 288), (151, 128)]),
            ("width=\"2.54cm\" height=\"1cm\"", RECT, [(72, 28), (288, 113), (128, 50)]),
            ("width=\"10em\" height=\"2ex\"", RECT, [(120, 12), (240, 24), (160, 16)]),
            ("", RECT, [(10, 10), (20, 20), (13, 13)]),
            (
                "",
                "<rect x=\"20\" y=\"30\" width=\"10\" height=\"5\" stroke=\"black\" stroke-width=\"4\"/>",
                [(14, 9), (28, 18), (19, 12)],
            ),
            ("width=\"200\" viewBox=\"0 0 50 30\"", RECT, [(200, 120), (400, 240), (267, 160)]),
            ("width=\"100%\" height=\"50%\" viewBox=\"0 0 50 30\"", RECT, [(50, 30), (100, 60), (67, 40)]),
        ];
        for (attrs, body, expected) in cases {
            let bytes = svg(attrs, body);
            for (density, want) in [72.0, 144.0, 96.0].into_iter().zip(expected) {
                assert_eq!(size(&bytes, density, 1.0), Ok(want), "{attrs} at {density}");
            }
        }
        // A width alone without a viewBox, or a negative one, is ignored: the content.
        assert_eq!(size(&svg("width=\"200\"", RECT), 72.0, 1.0), Ok((10, 10)));
        assert_eq!(
            size(&svg("width=\"-5\" height=\"10\"", RECT), 72.0, 1.0),
            Ok((10, 10))
        );
        // Zero, or nothing drawn and no size: no image.
        assert!(matches!(
            size(&svg("width=\"0\" height=\"10\"", RECT), 72.0, 1.0),
            Err(DecodeError::Corrupt(_))
        ));
        assert!(matches!(
            size(&svg("", ""), 72.0, 1.0),
            Err(DecodeError::Corrupt(_))
        ));
    }

    #[test]
    fn sniffs_svg_and_svgz_but_not_other_xml() {
        let doc = svg("width=\"7\" height=\"9\"", RECT);
        assert!(is_svg(&doc));
        let with_prolog = [
            b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<!-- c -->\n".as_slice(),
            &doc,
        ]
        .concat();
        assert!(is_svg(&with_prolog));
        assert_eq!(size(&with_prolog, 72.0, 1.0), Ok((7, 9)));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &doc).expect("gzip");
        let svgz = gz.finish().expect("gzip");
        assert!(is_svg(&svgz));
        assert_eq!(size(&svgz, 144.0, 1.0), Ok((14, 18)));
        assert!(!is_svg(b"<html><body>svg</body></html>"));
        assert!(!is_svg(b"hello <svg"));
        assert!(matches!(
            size(
                b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"5\"",
                72.0,
                1.0
            ),
            Err(DecodeError::Corrupt(_))
        ));
    }

    #[test]
    fn renders_at_the_declared_size_with_straight_alpha() {
        // A red square on the left half, half-transparent blue on the right.
        let bytes = svg(
            "width=\"20\" height=\"10\" viewBox=\"0 0 2 1\"",
            "<rect width=\"1\" height=\"1\" fill=\"red\"/><rect x=\"1\" width=\"1\" height=\"1\" fill=\"blue\" fill-opacity=\"0.5\"/>",
        );
        let (w, h) = size(&bytes, 72.0, 1.0).expect("size");
        let raster = decode(&bytes, 72.0, (w, h), None).expect("renders");
        assert_eq!((raster.width, raster.height, raster.channels), (20, 10, 4));
        let px = |x: usize, y: usize| &raster.data[(y * 20 + x) * 4..][..4];
        assert_eq!(px(2, 5), [255, 0, 0, 255]);
        assert_eq!(px(15, 5)[..3], [0, 0, 255]);
        assert!((127..=128).contains(&px(15, 5)[3]));
        // At twice the scale, straight to 40x20, the same picture.
        let (w2, h2) = size(&bytes, 72.0, 2.0).expect("size");
        assert_eq!((w2, h2), (40, 20));
        let big = decode(&bytes, 72.0, (w2, h2), None).expect("renders");
        assert_eq!(&big.data[(10 * 40 + 4) * 4..][..4], [255, 0, 0, 255]);
    }

    /// Content is drawn where it stands when the size comes from its extent (sharp
    /// cuts off what lies left of or above the origin).
    #[test]
    fn a_size_from_the_content_draws_from_the_origin() {
        let bytes = svg("", "<rect x=\"-5\" y=\"-5\" width=\"10\" height=\"8\"/>");
        let size = size(&bytes, 72.0, 1.0).expect("size");
        assert_eq!(size, (10, 8));
        let raster = decode(&bytes, 72.0, size, None).expect("renders");
        let alpha = |x: usize, y: usize| raster.data[(y * 10 + x) * 4 + 3];
        assert_eq!(
            (alpha(0, 0), alpha(4, 2), alpha(6, 0), alpha(0, 4)),
            (255, 255, 0, 0)
        );
    }

    /// Nothing outside the document is read: a file named by `<image>` is not drawn.
    #[test]
    fn files_named_by_the_document_are_not_read() {
        let dir = std::env::temp_dir().join(format!("corepool-svg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let png = dir.join("secret.png");
        let red = Raster::new(4, 4, 3, [255, 0, 0].repeat(16)).expect("raster");
        let encoded = super::super::encode(&red, super::super::Format::Png, &Default::default())
            .expect("png");
        std::fs::write(&png, encoded).expect("write");
        let bytes = svg(
            "width=\"4\" height=\"4\"",
            &format!(
                "<image href=\"{}\" width=\"4\" height=\"4\"/>",
                png.display()
            ),
        );
        let raster = decode(&bytes, 72.0, (4, 4), None).expect("renders");
        assert!(raster.data.iter().all(|&b| b == 0), "the file was drawn");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// An embedded image over the pixel limit is refused before it is decoded.
    #[test]
    fn an_embedded_image_over_the_limit_is_refused() {
        let red = Raster::new(64, 64, 3, [255, 0, 0].repeat(64 * 64)).expect("raster");
        let encoded = super::super::encode(&red, super::super::Format::Png, &Default::default())
            .expect("png");
        let b64 = base64_encode(&encoded);
        let bytes = svg(
            "width=\"8\" height=\"8\"",
            &format!("<image href=\"data:image/png;base64,{b64}\" width=\"8\" height=\"8\"/>"),
        );
        let drawn = decode(&bytes, 72.0, (8, 8), Some(64 * 64)).expect("within the limit");
        assert_eq!(&drawn.data[..4], [255, 0, 0, 255]);
        assert!(matches!(
            decode(&bytes, 72.0, (8, 8), Some(64 * 64 - 1)),
            Err(DecodeError::LimitExceeded(_))
        ));
    }

    fn base64_encode(bytes: &[u8]) -> String {
        const TABLE: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(TABLE[(n >> (18 - 6 * i)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
