//! Bytes to pixels and back: recognise the format from the content ([`sniff`]), read
//! the header and check it against the pixel limit before any pixel memory exists
//! ([`probe`], [`check_limit`]), decode (JPEG with shrink-on-load), and encode.
//!
//! Layering inside: `format` and `error` depend on nothing; `sniff`, `exif`, `icc`,
//! `webp_container` and `avif_container` on those; `avif` on `avif_container`;
//! `animation` on `source`; `source` on nothing; `jpeg_scans` on `source`; `jpeg` on them; `tiff_planar` on `error`; `decode` and `encode` on all of the above.

pub mod animation;
mod avif;
mod avif_container;
mod decode;
mod encode;
mod error;
mod exif;
mod format;
mod icc;
pub(crate) mod jpeg;
mod jpeg_scans;
mod sniff;
pub mod source;
mod tiff_planar;
mod tiff_samples;
mod webp_container;

pub use decode::{check_limit, decode, probe, shrunk_size, Header};
pub use encode::{default_quality, encode, encoded_channels, max_dimension, EncodeSettings};
pub use error::{DecodeError, EncodeError};
pub use format::{FailOn, Format};
pub use sniff::sniff;
pub use source::Source;
