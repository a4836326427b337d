//! The memory an image will need, estimated from its planned sizes before any pixel is
//! decoded, and reserved up front so that an impossible image fails with a coded error
//! instead of aborting the process when an allocation fails later (Rust aborts on an
//! out-of-memory allocation; under `ulimit -v` or on a small machine that would take the
//! host Node process down).
//!
//! Peak memory for one image is about `decoded + M × raw output`, where `decoded` is the
//! decoded input raster (RGBA at most), `raw output` is `width × height × 4` bytes and
//! `M` is the encoder's working-memory multiple, [`encoder_multiple`], measured on
//! 8000x8000 outputs. Every encoder but AVIF stays within 3x; AVIF (rav1e, 10-bit YUV
//! planes and reference frames) needs about 6x, so AVIF outputs above
//! [`AVIF_MAX_PIXELS`] are refused up front.

use crate::codec::Format;
use crate::error::{ErrorCode, Failure};

/// The largest AVIF output encoded (16 MP, e.g. 4096x4096): above it, the encoder's
/// working memory (about 6x the raw output) and time (minutes) are refused up front.
pub const AVIF_MAX_PIXELS: u64 = 1 << 24;

/// The encoder's working memory as a multiple of the raw RGBA output (`w × h × 4`),
/// the output raster itself included, rounded up from measurements (peak RSS less the
/// process's baseline, 8000x8000, RGB and RGBA):
/// PNG 1.1, TIFF 1.9, WebP 2.8, GIF 3.0 (RGB widened to RGBA, then indexed), JPEG 3.0
/// (flattened copy plus the coefficient buffer of optimised Huffman coding), AVIF 5.2.
pub fn encoder_multiple(format: Format) -> u64 {
    match format {
        Format::Png | Format::Bmp | Format::Vips | Format::Svg => 2,
        Format::Tiff => 2,
        Format::Webp | Format::Gif | Format::Jpeg => 3,
        Format::Avif => 6,
    }
}

/// Bytes of an RGBA raster of `pixels` pixels.
fn rgba_bytes(pixels: u64) -> u64 {
    pixels.saturating_mul(4)
}

/// The estimated peak for decoding `decoded_pixels` and writing `output_pixels` as
/// `format`.
pub fn estimate(decoded_pixels: u64, output_pixels: u64, format: Format) -> u64 {
    rgba_bytes(decoded_pixels)
        .saturating_add(rgba_bytes(output_pixels).saturating_mul(encoder_multiple(format)))
}

/// Refuses an output the encoder cannot take within its documented memory, then checks
/// that the estimated peak can be allocated at all: address space is reserved (not
/// touched) and released at once. `ERR_INPUT_TOO_LARGE` either way.
///
/// A reservation that succeeds does not guarantee the later allocations will (another
/// call may take the memory meanwhile); it catches the images that can never fit, such
/// as a 65535x65535 canvas under a memory ulimit.
pub fn reserve(decoded_pixels: u64, output: (u32, u32), format: Format) -> Result<(), Failure> {
    let output_pixels = u64::from(output.0) * u64::from(output.1);
    if format == Format::Avif && output_pixels > AVIF_MAX_PIXELS {
        return Err(Failure::new(
            ErrorCode::InputTooLarge,
            format!(
                "AVIF output {}x{} has more than {AVIF_MAX_PIXELS} pixels; the AVIF encoder needs about {}x the raw output in memory, so larger outputs are refused",
                output.0,
                output.1,
                encoder_multiple(Format::Avif)
            ),
        ));
    }
    let bytes = estimate(decoded_pixels, output_pixels, format);
    let too_large = || {
        Failure::new(
            ErrorCode::InputTooLarge,
            format!(
                "output {}x{} needs about {} MiB of memory, which cannot be allocated",
                output.0,
                output.1,
                bytes >> 20
            ),
        )
    };
    let bytes = usize::try_from(bytes).map_err(|_| too_large())?;
    if can_map(bytes) {
        Ok(())
    } else {
        Err(too_large())
    }
}

/// Whether `bytes` of private anonymous memory can be mapped now: the kernel applies
/// the address-space limit (`ulimit -v`) and its overcommit policy, as it would to the
/// allocations that follow. The pages are never touched, and the mapping goes at once.
#[cfg(unix)]
fn can_map(bytes: usize) -> bool {
    if bytes == 0 {
        return true;
    }
    // SAFETY: a fresh anonymous mapping, never read or written, unmapped before return.
    unsafe {
        let at = libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if at == libc::MAP_FAILED {
            return false;
        }
        libc::munmap(at, bytes);
    }
    true
}

/// Elsewhere: reserve (without touching) through the allocator.
#[cfg(not(unix))]
fn can_map(bytes: usize) -> bool {
    Vec::<u8>::new().try_reserve_exact(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_follow_the_documented_multiples() {
        assert_eq!(estimate(100, 10, Format::Png), 400 + 80);
        assert_eq!(estimate(0, 10, Format::Jpeg), 120);
        assert_eq!(estimate(u64::MAX, u64::MAX, Format::Avif), u64::MAX);
        for format in [
            Format::Jpeg,
            Format::Png,
            Format::Webp,
            Format::Gif,
            Format::Tiff,
            Format::Bmp,
        ] {
            assert!(encoder_multiple(format) <= 3, "{format:?}");
        }
    }

    #[test]
    fn impossible_and_oversized_outputs_are_refused_with_a_code() {
        // More than the address space: refused whatever the overcommit policy.
        let err = reserve(1 << 61, (65_535, 65_535), Format::Png).expect_err("exabytes");
        assert_eq!(err.code, ErrorCode::InputTooLarge);
        assert!(
            err.message.contains("cannot be allocated"),
            "{}",
            err.message
        );
        let err = reserve(16, (4097, 4096), Format::Avif).expect_err("AVIF over 16 MP");
        assert!(err.message.contains("AVIF"), "{}", err.message);
        reserve(16, (4096, 4096), Format::Avif).expect("AVIF at 16 MP");
        reserve(16, (1000, 1000), Format::Jpeg).expect("small");
    }
}
