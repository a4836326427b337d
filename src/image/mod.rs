//! The image pipeline: decode, orient, resize, rotate, flip, grayscale, encode, write.
//! Pure Rust; the napi binding lives in `crate::binding`.

pub mod batch;
pub mod color;
pub mod decode;
pub mod encode;
pub mod exif;
pub mod geometry;
pub mod icc;
pub mod jpeg;
pub mod options;
pub mod output;
pub mod pipeline;
pub mod raster;
pub mod resize;
pub mod upsample;
pub mod webp_container;
