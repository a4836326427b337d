//! What resvg will allocate while it draws a parsed SVG, estimated from the tree before
//! drawing, so that a small document cannot ask for gigabytes.
//!
//! Besides the canvas (checked against the pixel limit by the caller), resvg allocates
//! scratch pixmaps that the document sizes: a layer for each isolated group (opacity,
//! clip, mask, filter, blend mode), as large as the group's bounds but at most resvg's
//! own bound of 5 x 5 canvases; a clip and a mask pixmap of the layer's size; a few
//! buffers of the layer's size for filters; the canvas again for an embedded SVG image;
//! and, for every fill or stroke with a pattern, one tile of the pattern's size in
//! device pixels, which nothing bounds (`<pattern height="1e9">` asked for 9.6 GB, and
//! Rust aborts on a failed allocation). Nested ones are alive together.
//!
//! [`peak_pixels`] walks the tree the way resvg draws it (same transforms, same
//! isolation rule) and returns the largest number of scratch pixels alive at once,
//! an upper estimate. The caller compares it with its budget before drawing.

use resvg::tiny_skia::Transform;
use resvg::usvg::{self, Group, Node, Paint};

/// Buffers of the layer's size that a filter chain holds at once (its source, the
/// previous result, the current result and a named input), an upper estimate.
const FILTER_BUFFERS: u64 = 4;

/// The largest number of scratch pixels that drawing `tree` with `transform` onto a
/// `canvas` (width, height) keeps alive at once, counting nothing twice that resvg frees
/// in between.
pub fn peak_pixels(tree: &usvg::Tree, transform: Transform, canvas: (u32, u32)) -> u64 {
    let walk = Walk {
        bounds: resvg_layer_bounds(canvas),
        canvas: u64::from(canvas.0) * u64::from(canvas.1),
    };
    walk.children(tree.root(), transform)
}

/// resvg's bound on a layer: the canvas extended by two canvases on every side.
fn resvg_layer_bounds(canvas: (u32, u32)) -> (f64, f64, f64, f64) {
    let (w, h) = (f64::from(canvas.0), f64::from(canvas.1));
    (-2.0 * w, -2.0 * h, 3.0 * w, 3.0 * h)
}

struct Walk {
    /// Left, top, right and bottom of the largest layer resvg allocates.
    bounds: (f64, f64, f64, f64),
    /// The canvas's pixels (an embedded SVG image draws on a copy of the canvas).
    canvas: u64,
}

impl Walk {
    /// The peak over `parent`'s children, drawn one after the other.
    fn children(&self, parent: &Group, transform: Transform) -> u64 {
        parent
            .children()
            .iter()
            .map(|node| self.node(node, transform))
            .max()
            .unwrap_or(0)
    }

    fn node(&self, node: &Node, transform: Transform) -> u64 {
        match node {
            Node::Group(group) => self.group(group, transform),
            Node::Path(path) => {
                let fill = path.fill().map(|f| self.paint(f.paint(), transform));
                let stroke = path.stroke().map(|s| self.paint(s.paint(), transform));
                fill.unwrap_or(0).max(stroke.unwrap_or(0))
            }
            Node::Image(image) => match image.kind() {
                usvg::ImageKind::SVG(tree) => self
                    .canvas
                    .saturating_add(self.children(tree.root(), transform)),
                // Raster images are probed against the pixel limit when they are read.
                _ => 0,
            },
            Node::Text(text) => self.children(text.flattened(), transform),
        }
    }

    /// A pattern's tile and what drawing its content needs; nothing for a colour or a
    /// gradient.
    fn paint(&self, paint: &Paint, transform: Transform) -> u64 {
        let Paint::Pattern(pattern) = paint else {
            return 0;
        };
        let (sx, sy) = transform.pre_concat(pattern.transform()).get_scale();
        let rect = pattern.rect();
        let tile = pixels(
            f64::from(rect.width() * sx).round(),
            f64::from(rect.height() * sy).round(),
        );
        let content = self.children(pattern.root(), Transform::from_scale(sx, sy));
        tile.saturating_add(content)
    }

    fn group(&self, group: &Group, transform: Transform) -> u64 {
        let transform = transform.pre_concat(group.transform());
        let inside = self.children(group, transform);
        if !group.should_isolate() {
            return inside;
        }
        let Some(layer) = self.layer_pixels(group, transform) else {
            // resvg skips a group whose bounds do not transform to a rectangle.
            return 0;
        };
        // While the layer is alive: its content, then the filters, the clip and the
        // mask, one after the other.
        let filters = if group.filters().is_empty() {
            0
        } else {
            layer.saturating_mul(FILTER_BUFFERS).saturating_add(
                group
                    .filters()
                    .iter()
                    .flat_map(|f| f.primitives())
                    .map(|p| match p.kind() {
                        usvg::filter::Kind::Image(image) => self.children(image.root(), transform),
                        _ => 0,
                    })
                    .max()
                    .unwrap_or(0),
            )
        };
        let clip = group
            .clip_path()
            .map_or(0, |c| self.clip(c, transform, layer));
        let mask = group.mask().map_or(0, |m| self.mask(m, transform, layer));
        layer.saturating_add(inside.max(filters).max(clip).max(mask))
    }

    /// A clip path: a pixmap of the layer's size, its paths' patterns, a nested clip.
    fn clip(&self, clip: &usvg::ClipPath, transform: Transform, layer: u64) -> u64 {
        let content = self.children(clip.root(), transform.pre_concat(clip.transform()));
        let nested = clip
            .clip_path()
            .map_or(0, |c| self.clip(c, transform, layer));
        layer.saturating_add(content.max(nested))
    }

    /// A mask: a pixmap and an 8-bit mask of the layer's size, its content, a nested mask.
    fn mask(&self, mask: &usvg::Mask, transform: Transform, layer: u64) -> u64 {
        let content = self.children(mask.root(), transform);
        let nested = mask.mask().map_or(0, |m| self.mask(m, transform, layer));
        layer
            .saturating_add(layer / 4)
            .saturating_add(content.max(nested))
    }

    /// The pixels of `group`'s layer as resvg sizes it: its layer bounds transformed,
    /// widened by 2 pixels a side (not with filters), cut to resvg's bound.
    fn layer_pixels(&self, group: &Group, transform: Transform) -> Option<u64> {
        let bbox = group.layer_bounding_box().transform(transform)?;
        let pad = if group.filters().is_empty() { 2.0 } else { 0.0 };
        let (left, top, right, bottom) = self.bounds;
        let x0 = (f64::from(bbox.left()).floor() - pad).max(left);
        let y0 = (f64::from(bbox.top()).floor() - pad).max(top);
        let x1 = (f64::from(bbox.right()).ceil() + pad).min(right);
        let y1 = (f64::from(bbox.bottom()).ceil() + pad).min(bottom);
        (x1 > x0 && y1 > y0).then(|| pixels(x1 - x0, y1 - y0))
    }
}

/// `width x height` as a pixel count (both sides are not negative here). Rust's float to
/// integer cast saturates: an infinite or too large product is `u64::MAX`, NaN is 0.
fn pixels(width: f64, height: f64) -> u64 {
    (width * height) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(body: &str) -> usvg::Tree {
        let text = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"50\">{body}</svg>"
        );
        usvg::Tree::from_str(&text, &usvg::Options::default()).expect("a valid document")
    }

    fn peak(body: &str, scale: f32) -> u64 {
        let canvas = ((100.0 * scale) as u32, (50.0 * scale) as u32);
        peak_pixels(&tree(body), Transform::from_scale(scale, scale), canvas)
    }

    #[test]
    fn plain_shapes_need_no_scratch() {
        assert_eq!(
            peak("<rect width=\"100\" height=\"50\" fill=\"red\"/>", 1.0),
            0
        );
    }

    #[test]
    fn a_pattern_tile_counts_in_device_pixels() {
        let body = "<defs><pattern id=\"p\" width=\"4\" height=\"1e9\" \
                    patternUnits=\"userSpaceOnUse\"><rect width=\"2\" height=\"2\"/></pattern>\
                    </defs><rect width=\"100\" height=\"50\" fill=\"url(#p)\"/>";
        // 4 x 1e9 at scale 1, and a quarter of it at scale 0.5.
        let at_1 = peak(body, 1.0);
        assert!((3_900_000_000..=4_100_000_000).contains(&at_1), "{at_1}");
        let at_half = peak(body, 0.5);
        assert!(
            (900_000_000..=1_100_000_000).contains(&at_half),
            "{at_half}"
        );
    }

    #[test]
    fn an_isolated_layer_is_cut_to_resvgs_bound() {
        // A half-opaque rectangle far larger than the canvas: one layer of 5 x 5
        // canvases, as resvg allocates it.
        let body = "<g opacity=\"0.5\"><rect x=\"-1e6\" y=\"-1e6\" width=\"2e6\" \
                    height=\"2e6\"/></g>";
        assert_eq!(peak(body, 1.0), 500 * 250);
    }

    #[test]
    fn nested_layers_add_up() {
        let one = peak(
            "<g opacity=\"0.5\"><rect width=\"100\" height=\"50\"/></g>",
            1.0,
        );
        let three = peak(
            "<g opacity=\"0.5\"><g opacity=\"0.5\"><g opacity=\"0.5\">\
             <rect width=\"100\" height=\"50\"/></g></g></g>",
            1.0,
        );
        // Each layer is the rectangle widened by 2 pixels a side.
        assert_eq!(one, 104 * 54);
        assert_eq!(three, 3 * one);
    }

    #[test]
    fn masks_and_clips_count_their_pixmaps() {
        let masked = peak(
            "<mask id=\"m\"><rect width=\"100\" height=\"50\" fill=\"white\"/></mask>\
             <rect width=\"100\" height=\"50\" mask=\"url(#m)\"/>",
            1.0,
        );
        let clipped = peak(
            "<clipPath id=\"c\"><circle cx=\"50\" cy=\"25\" r=\"20\"/></clipPath>\
             <rect width=\"100\" height=\"50\" clip-path=\"url(#c)\"/>",
            1.0,
        );
        assert!(masked > 104 * 54 * 2, "{masked}");
        assert!(clipped >= 2 * 40 * 40, "{clipped}");
    }
}
