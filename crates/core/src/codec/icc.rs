//! Embedded ICC profiles: pixels are converted to sRGB after decoding, as sharp does,
//! so that a photo tagged Adobe RGB or Display P3 looks the same in the output (which
//! carries no profile) as it did in the input.

use std::sync::OnceLock;

use qcms::{DataType, Intent, Profile, Transform};
use rayon::prelude::*;

use crate::raster::Raster;

/// Pixels per parallel chunk of a conversion.
const CHUNK_PIXELS: usize = 64 * 1024;

/// The sRGB output profile with its output tables precomputed, built once. The
/// precache is what lets qcms pick its AVX/SSE2 transform instead of the scalar one
/// (measured: the scalar path was half of a 3640x2400 JPEG's processing time).
fn srgb() -> &'static Profile {
    static SRGB: OnceLock<Box<Profile>> = OnceLock::new();
    SRGB.get_or_init(|| {
        let mut profile = Profile::new_sRGB();
        profile.precache_output_transform();
        profile
    })
}

/// Reassembles the ICC profile that a JPEG splits over `APP2` segments, each
/// `ICC_PROFILE\0`, its 1-based sequence number, the chunk count, then the data.
/// `None` when absent or inconsistent.
pub fn from_jpeg_app2<'a>(segments: impl Iterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut chunks: Vec<(u8, &[u8])> = segments
        .filter_map(|s| s.strip_prefix(b"ICC_PROFILE\0"))
        .filter_map(|s| match s {
            [seq, _count, data @ ..] => Some((*seq, data)),
            _ => None,
        })
        .collect();
    if chunks.is_empty() {
        return None;
    }
    chunks.sort_by_key(|(seq, _)| *seq);
    let in_order = chunks
        .iter()
        .enumerate()
        .all(|(i, (seq, _))| usize::from(*seq) == i + 1);
    in_order.then(|| {
        chunks
            .iter()
            .flat_map(|(_, data)| data.iter().copied())
            .collect()
    })
}

/// Converts an RGB or RGBA raster from `profile` to sRGB in place. Grey rasters, and
/// profiles that cannot be parsed or are not RGB, are left as they are (the pixels are
/// then taken as sRGB, which is what a viewer without colour management does).
pub fn convert_to_srgb(raster: &mut Raster, profile: &[u8]) {
    let data_type = match raster.channels {
        3 => DataType::RGB8,
        4 => DataType::RGBA8,
        _ => return,
    };
    let Some(input) = Profile::new_from_slice(profile, false) else {
        return;
    };
    if let Some(transform) = Transform::new(&input, srgb(), data_type, Intent::Perceptual) {
        let chunk = CHUNK_PIXELS * usize::from(raster.channels);
        raster
            .data
            .par_chunks_mut(chunk)
            .for_each(|pixels| transform.apply(pixels));
    }
}

/// Converts an RGB or RGBA raster whose nclx code points (ITU-T H.273) name primaries
/// other than sRGB's (BT.709, or unspecified), such as Display P3 (12) or BT.2020 (9),
/// to sRGB. sRGB-primaried pixels, and code points qcms cannot build a profile for (PQ
/// and HLG transfer among them), are left as they are.
pub fn convert_cicp_to_srgb(raster: &mut Raster, primaries: u16, transfer: u16) {
    // Unspecified transfer: take sRGB's.
    let transfer = if transfer == 2 { 13 } else { transfer };
    // Only code points qcms builds a profile for (it panics on reserved and
    // unspecified ones): BT.470 M and B/G, BT.601, SMPTE 240, film, BT.2020, Display
    // P3 and EBU 3213 primaries; BT.709-like, gamma, linear and sRGB transfers.
    let (primaries, transfer) = match (primaries, transfer) {
        (p @ (4..=9 | 12 | 22), t @ (1 | 4 | 5 | 6 | 8 | 13 | 14 | 15)) => (p as u8, t as u8),
        _ => return,
    };
    let data_type = match raster.channels {
        3 => DataType::RGB8,
        4 => DataType::RGBA8,
        _ => return,
    };
    let Some(input) = Profile::new_cicp(primaries.into(), transfer.into()) else {
        return;
    };
    if let Some(transform) = Transform::new(&input, srgb(), data_type, Intent::Perceptual) {
        let chunk = CHUNK_PIXELS * usize::from(raster.channels);
        raster
            .data
            .par_chunks_mut(chunk)
            .for_each(|pixels| transform.apply(pixels));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembles_chunks_in_sequence_order() {
        let a: &[u8] = b"ICC_PROFILE\0\x02\x02world";
        let b: &[u8] = b"ICC_PROFILE\0\x01\x02hello ";
        let other: &[u8] = b"Exif\0\0....";
        assert_eq!(
            from_jpeg_app2([a, other, b].into_iter()),
            Some(b"hello world".to_vec())
        );
        assert_eq!(from_jpeg_app2([a].into_iter()), None);
        assert_eq!(from_jpeg_app2([other].into_iter()), None);
    }

    #[test]
    fn garbage_profiles_leave_pixels_alone() {
        let mut r = Raster::filled(2, 2, 3, [10, 20, 30, 255]);
        let before = r.clone();
        convert_to_srgb(&mut r, b"not a profile");
        assert_eq!(r, before);
    }
}
