//! Bytes to pixels and back: recognise the format from the content ([`sniff`]), read
//! the header and check it against the pixel limit before any pixel memory exists
//! ([`probe`], [`check_limit`]), decode (JPEG with shrink-on-load), and encode.
//!
//! Layering inside: `format` and `error` depend on nothing; `sniff`, `exif`, `icc` and
//! `webp_container` on those; `source` on nothing; `jpeg_scans` on `source`; `settings` and `palette` on nothing; `jpeg` on them; `tiff_planar` on `error`; `decode` and `encode` on all of the above.

mod decode;
mod encode;
mod error;
mod exif;
mod format;
mod icc;
pub(crate) mod jpeg;
mod jpeg_scans;
mod palette;
mod settings;
mod sniff;
pub mod source;
mod tiff_planar;
mod webp_container;

pub use decode::{check_limit, decode, probe, shrunk_size, Header};
pub use encode::{
    default_quality, encode, encoded_channels, max_dimension, max_effort, ChromaSubsampling,
    EncodeSettings, TiffCompression, DEFAULT_EFFORT,
};
pub use error::{DecodeError, EncodeError};
pub use format::{FailOn, Format};
pub use sniff::sniff;
pub use source::Source;
