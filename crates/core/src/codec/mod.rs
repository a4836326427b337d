//! Bytes to pixels and back: recognise the format from the content ([`sniff`]), read
//! the header and check it against the pixel limit before any pixel memory exists
//! ([`probe`], [`check_limit`]), decode (JPEG with shrink-on-load), and encode.
//!
//! Layering inside: `format` and `error` depend on nothing; `sniff`, `exif`, `icc`,
//! `webp_container` and `avif_container` on those; `avif` on `avif_container`;
//! `animation` on `source`; `source` on nothing; `jpeg_scans` on `source`; `settings`
//! and `palette` on nothing; `details` on `exif` and `format`; `embedded` on `details`
//! and `icc`; `jpeg` on them; `tiff_planar` and `tiff_samples` on `error`; `decode` and
//! `encode` on all of the above.

pub mod animation;
mod avif;
mod avif_container;
mod avif_encode;
mod decode;
mod details;
mod embedded;
mod encode;
mod error;
mod exif;
mod format;
mod gif_blocks;
mod icc;
pub(crate) mod jpeg;
mod jpeg_lossless;
mod jpeg_scans;
mod palette;
mod settings;
mod sniff;
pub mod source;
mod svg;
mod svg_scratch;
mod tiff_fax;
mod tiff_planar;
mod tiff_samples;
mod vips;
mod webp_container;

pub use decode::{
    check_limit, decode, decode_with, probe, probe_at, shrunk_size, svg_size, Header,
};
pub use details::{details, Details};
pub use embedded::{read as read_embedded, Embedded};
pub use encode::{
    default_quality, encode, encode_with_metadata, encoded_channels, max_dimension, max_effort,
    ChromaSubsampling, EncodeSettings, TiffCompression, DEFAULT_EFFORT,
};
pub use error::{DecodeError, EncodeError};
pub use exif::set_orientation as set_exif_orientation;
pub use format::{FailOn, Format, Wants};
pub use sniff::sniff;
pub use source::Source;
pub use svg::DEFAULT_DENSITY;

/// `bytes` (a GIF) with the damage libnsgif tolerates (unknown extension blocks, no
/// colour table) repaired in a copy, or `None` when there is none: for the still and the
/// animated decoders alike.
pub(crate) fn repaired_gif(bytes: &[u8]) -> Option<Vec<u8>> {
    gif_blocks::repaired(bytes, &gif_blocks::scan(bytes))
}
