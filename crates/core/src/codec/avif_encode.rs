//! AVIF output with 4:2:0 chroma (sharp's `chromaSubsampling: '4:2:0'`), which ravif
//! (the 4:4:4 encoder under `image`) does not write: the same AV1 encoder (rav1e, as
//! ravif drives it) fed 4:2:0 planes, and the same container writer (avif-serialize).
//!
//! Colour: 8-bit YCbCr, BT.601 matrix, full range, sRGB primaries and transfer, as
//! ravif writes its 4:4:4; chroma is the mean of each 2x2 block (a last odd column or
//! row averages what it has). Alpha, where there is some, is a second, monochrome AV1
//! image at the same quantizer, as `image` asks of ravif. Quality maps onto rav1e's
//! quantizer by ravif's curve, so that a quality means the same in both layouts.

use rav1e::prelude::{
    ChromaSampling, ColorDescription, ColorPrimaries, Config, Context, EncoderConfig,
    EncoderStatus, MatrixCoefficients, PixelRange, SpeedSettings, TransferCharacteristics,
};

use crate::raster::Raster;

/// ravif's quality (1-100) to rav1e quantizer (0-255) curve.
fn quantizer(quality: u8) -> usize {
    let q = f32::from(quality.clamp(1, 100)) / 100.0;
    let x = if q >= 0.82 {
        (1.0 - q) * 2.6
    } else if q > 0.25 {
        q.mul_add(-0.5, 1.0 - 0.125)
    } else {
        1.0 - q
    };
    (x * 255.0).round() as usize
}

/// BT.601 full-range YCbCr of one sRGB pixel.
fn ycbcr(r: u8, g: u8, b: u8) -> (f32, f32, f32) {
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = (b - y) * (0.5 / (1.0 - 0.114)) + 128.0;
    let cr = (r - y) * (0.5 / (1.0 - 0.299)) + 128.0;
    (y, cb, cr)
}

fn to_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// The luma plane and the two chroma planes at half size (rounded up).
fn planes_420(raster: &Raster) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (w, h) = (raster.width as usize, raster.height as usize);
    let c = usize::from(raster.channels);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut y_plane = vec![0u8; w * h];
    let mut sums = vec![(0f32, 0f32, 0u32); cw * ch];
    for y in 0..h {
        for x in 0..w {
            let p = &raster.data[(y * w + x) * c..];
            let (r, g, b) = if c >= 3 {
                (p[0], p[1], p[2])
            } else {
                (p[0], p[0], p[0])
            };
            let (luma, cb, cr) = ycbcr(r, g, b);
            y_plane[y * w + x] = to_u8(luma);
            let s = &mut sums[(y / 2) * cw + x / 2];
            s.0 += cb;
            s.1 += cr;
            s.2 += 1;
        }
    }
    let (u, v) = sums
        .iter()
        .map(|&(cb, cr, n)| (to_u8(cb / n as f32), to_u8(cr / n as f32)))
        .unzip();
    (y_plane, u, v)
}

/// One still AV1 image of `planes` (1 plane for `Cs400`, 3 for `Cs420`).
fn encode_av1(
    width: usize,
    height: usize,
    planes: &[&[u8]],
    sampling: ChromaSampling,
    quality: u8,
    speed: u8,
) -> Result<Vec<u8>, String> {
    let q = quantizer(quality);
    let config = Config::new().with_encoder_config(EncoderConfig {
        width,
        height,
        bit_depth: 8,
        chroma_sampling: sampling,
        pixel_range: PixelRange::Full,
        color_description: (sampling != ChromaSampling::Cs400).then_some(ColorDescription {
            color_primaries: ColorPrimaries::BT709,
            transfer_characteristics: TransferCharacteristics::SRGB,
            matrix_coefficients: MatrixCoefficients::BT601,
        }),
        still_picture: true,
        quantizer: q,
        min_quantizer: q as u8,
        speed_settings: SpeedSettings::from_preset(speed),
        ..EncoderConfig::default()
    });
    let mut ctx: Context<u8> = config.new_context().map_err(|e| e.to_string())?;
    let mut frame = ctx.new_frame();
    for (i, plane) in planes.iter().enumerate() {
        let stride = if i == 0 { width } else { width.div_ceil(2) };
        frame.planes[i].copy_from_raw_u8(plane, stride, 1);
    }
    ctx.send_frame(frame).map_err(|e| e.to_string())?;
    ctx.flush();
    let mut out = Vec::new();
    loop {
        match ctx.receive_packet() {
            Ok(packet) => out.extend_from_slice(&packet.data),
            Err(EncoderStatus::Encoded) => {}
            Err(EncoderStatus::LimitReached) => break,
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(out)
}

/// `raster` (grey, grey+alpha, RGB or RGBA, 8-bit) as a 4:2:0 AVIF file.
/// `speed` is rav1e's (1 slowest to 10 fastest).
pub fn encode(raster: &Raster, quality: u8, speed: u8) -> Result<Vec<u8>, String> {
    let (w, h) = (raster.width as usize, raster.height as usize);
    let (y, u, v) = planes_420(raster);
    let alpha: Option<Vec<u8>> = raster.channels.is_multiple_of(2).then(|| {
        let c = usize::from(raster.channels);
        raster.data.chunks_exact(c).map(|p| p[c - 1]).collect()
    });
    let (colour, alpha) = rayon::join(
        || encode_av1(w, h, &[&y, &u, &v], ChromaSampling::Cs420, quality, speed),
        || {
            alpha
                .as_deref()
                .map(|a| encode_av1(w, h, &[a], ChromaSampling::Cs400, quality, speed))
        },
    );
    let (colour, alpha) = (colour?, alpha.transpose()?);
    let mut container = avif_serialize::Aviffy::new();
    container
        .set_matrix_coefficients(avif_serialize::constants::MatrixCoefficients::Bt601)
        .set_full_color_range(true)
        .set_chroma_subsampling((true, true))
        .set_seq_profile(0);
    Ok(container.to_vec(&colour, alpha.as_deref(), raster.width, raster.height, 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chroma_is_averaged_over_2x2_blocks() {
        // 3x1: two red pixels, one blue: chroma planes are 2x1.
        let r = Raster::new(3, 1, 3, vec![255, 0, 0, 255, 0, 0, 0, 0, 255]).expect("raster");
        let (y, u, v) = planes_420(&r);
        assert_eq!(y.len(), 3);
        assert_eq!((u.len(), v.len()), (2, 2));
        let (_, cb_red, cr_red) = ycbcr(255, 0, 0);
        assert_eq!((u[0], v[0]), (to_u8(cb_red), to_u8(cr_red)));
        assert!(u[1] > 200, "blue has high Cb: {}", u[1]);
    }

    #[test]
    fn writes_a_420_avif_that_reads_back() {
        let (w, h) = (67u32, 45u32);
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                data.extend_from_slice(&[(x * 255 / w) as u8, (y * 255 / h) as u8, 90, 200]);
            }
        }
        let raster = Raster::new(w, h, 4, data).expect("raster");
        let file = encode(&raster, 80, 10).expect("encodes");
        assert_eq!(&file[4..8], b"ftyp");
        let header = crate::codec::avif::probe(&file).expect("reads back");
        assert_eq!((header.width, header.height), (w, h));
        assert!(header.has_alpha);
        // av1C: marker/version, profile/level, then tier, depth, monochrome and
        // subsampling in x and y. The colour image's is not monochrome, and subsampled.
        let colour: Vec<u8> = file
            .windows(4)
            .enumerate()
            .filter(|(_, b)| *b == b"av1C")
            .map(|(at, _)| file[at + 6])
            .filter(|flags| flags & 0b0001_0000 == 0)
            .collect();
        assert_eq!(colour.len(), 1, "one colour image");
        assert_eq!(
            colour[0] & 0b0000_1100,
            0b0000_1100,
            "subsampled in x and y"
        );
    }
}
