//! The codec layer's errors. Each variant maps to one stable code in `crate::error`.

/// Why an input could not be recognised or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("input is empty (0 bytes)")]
    Empty,
    /// The caller cancelled the decode (it stops within the next 64 KiB of input).
    #[error("the operation was aborted")]
    Aborted,
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Corrupt(String),
    /// Decoding would need more memory than the pixel limit allows.
    #[error("{0}")]
    LimitExceeded(String),
    #[error(
        "input image {width}x{height} has {pixels} pixels, more than limitInputPixels ({limit})"
    )]
    TooLarge {
        width: u32,
        height: u32,
        pixels: u64,
        limit: u64,
    },
}

/// Why a finished raster could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The format cannot store an image this large (a property of the request, not a bug).
    #[error("output {width}x{height} is larger than {format} can store ({max} pixels per side)")]
    TooLarge {
        format: &'static str,
        width: u32,
        height: u32,
        max: u32,
    },
    /// The encoder was handed a layout it cannot store (a bug in corepool).
    #[error("cannot encode {format}: {format} cannot store {channels} channels")]
    Channels { format: &'static str, channels: u8 },
    /// The encoder ran out of room for this image: its memory, or a size limit of the
    /// format's bitstream (a property of the request, not a bug).
    #[error("cannot encode {format}: the output is too large for the encoder ({message})")]
    Capacity {
        format: &'static str,
        message: String,
    },
    /// The encoding library failed.
    #[error("cannot encode {format}: {message}")]
    Library {
        format: &'static str,
        message: String,
    },
}

impl EncodeError {
    /// A library failure while writing `format`.
    pub(crate) fn library(format: super::Format, err: impl std::fmt::Display) -> Self {
        Self::Library {
            format: format.name(),
            message: err.to_string(),
        }
    }
}
