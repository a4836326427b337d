//! `metadata()` of a file: the header, read from a bounded prefix of the file.
//!
//! A header sits near the start of a file (JPEG's EXIF and SOF, PNG's IHDR, GIF's
//! screen descriptor), so reading the whole file would only cost memory: a 128x128 PNG
//! followed by a gigabyte of zeros must not take a gigabyte. The prefix grows
//! ([`PREFIXES`]) only while the header cannot be read from it and the file is longer
//! (large APP segments, a TIFF whose directory sits at the end); the last attempt reads
//! the whole file within `limitInputBytes`, so a header anywhere in an accepted file is
//! found, and a damaged one fails with the same code as before.

use std::path::Path;

use crate::codec::animation::AnimationInfo;
use crate::codec::{self, Details, Header};
use crate::error::Failure;
use crate::input::InputFile;

/// The prefix sizes tried before the whole file: 64 KiB, 1 MiB, 16 MiB.
pub const PREFIXES: [u64; 3] = [64 << 10, 1 << 20, 16 << 20];

/// The header of the file at `path`, and the file's size in bytes.
pub fn probe_file(path: &Path, limit_bytes: u64) -> Result<(Header, u64), Failure> {
    let input = InputFile::open(path)?;
    Ok((probe(&input, limit_bytes)?, input.size()))
}

/// The header of the file at `path`, its details ([`codec::details`], from the same
/// bytes the header was read from), its frames ([`animation`]) and its size in bytes.
pub fn probe_file_details(
    path: &Path,
    limit_bytes: u64,
    density: f64,
) -> Result<(Header, Details, Option<AnimationInfo>, u64), Failure> {
    let input = InputFile::open(path)?;
    let (header, bytes) = probe_bytes(&input, limit_bytes, density)?;
    let details = codec::details(&bytes, header.format);
    Ok((
        header,
        details,
        animation(&input, header.format),
        input.size(),
    ))
}

/// The header of an open input file, from growing prefixes (see the module docs).
pub fn probe(input: &InputFile, limit_bytes: u64) -> Result<Header, Failure> {
    probe_at(input, limit_bytes, codec::DEFAULT_DENSITY)
}

/// [`probe`], with vector input (SVG) sized at `density` dots per inch.
pub fn probe_at(input: &InputFile, limit_bytes: u64, density: f64) -> Result<Header, Failure> {
    Ok(probe_bytes(input, limit_bytes, density)?.0)
}

/// The header, and the prefix of the file it was read from.
fn probe_bytes(
    input: &InputFile,
    limit_bytes: u64,
    density: f64,
) -> Result<(Header, Vec<u8>), Failure> {
    for len in PREFIXES {
        let bytes = input.prefix(len)?;
        match codec::probe_at(&bytes, density) {
            Ok(header) => return Ok((header, bytes)),
            // The whole file was read: this is its answer.
            Err(e) if bytes.len() as u64 >= input.size() => return Err(e.into()),
            Err(_) => {}
        }
    }
    let bytes = input.read_all(limit_bytes)?;
    Ok((codec::probe_at(&bytes, density)?, bytes))
}

/// The frames, delays and loop count of a GIF or WebP (`None` for other formats, or
/// when the block structure is damaged), read from its block or chunk headers.
pub fn animation(src: &dyn codec::Source, format: codec::Format) -> Option<AnimationInfo> {
    match format {
        codec::Format::Gif => codec::animation::gif(src),
        codec::Format::Webp => codec::animation::webp(src),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Write;

    use super::*;
    use crate::codec::{encode, EncodeSettings, Format};
    use crate::error::ErrorCode;
    use crate::raster::Raster;

    #[test]
    fn a_header_is_read_from_a_prefix_of_a_huge_file() {
        let dir = std::env::temp_dir().join(format!("corepool-metadata-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dir");
        let png = encode(
            &Raster::filled(128, 96, 3, [1, 2, 3, 255]),
            Format::Png,
            &EncodeSettings::default(),
        )
        .expect("encodes");
        // A PNG followed by 1 GiB of (sparse) zeros, past the byte limit.
        let path = dir.join("tail.png");
        let mut file = fs::File::create(&path).expect("create");
        file.write_all(&png).expect("write");
        file.set_len(1 << 30).expect("sparse tail");
        let (header, size) = probe_file(&path, 1 << 20).expect("probes");
        assert_eq!(
            (header.format, header.width, header.height),
            (Format::Png, 128, 96)
        );
        assert_eq!(size, 1 << 30);
        // Garbage that long: refused by the byte limit on the last attempt.
        let junk = dir.join("junk.png");
        fs::File::create(&junk)
            .and_then(|f| f.set_len(1 << 30))
            .expect("junk");
        assert_eq!(
            probe_file(&junk, 1 << 20).expect_err("junk").code,
            ErrorCode::InputTooLarge
        );
        // A short damaged file: the probe's own code.
        let short = dir.join("short.png");
        fs::write(&short, &png[..20]).expect("short");
        assert_eq!(
            probe_file(&short, 1 << 20).expect_err("truncated").code,
            ErrorCode::InputCorrupt
        );
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
