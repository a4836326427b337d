//! Reducing RGBA pixels to a palette of at most 256 colours, for palette PNG and GIF.
//!
//! An image with no more distinct colours than allowed keeps them exactly (logos,
//! screenshots, images that were palette-based already). Otherwise the palette comes
//! from NeuQuant (`color_quant`, the quantiser image-rs maintains and the `gif` crate
//! uses; MIT licensed, unlike `imagequant`, which is GPL-3.0 and so cannot ship in an
//! MIT package), which learns all four channels, so soft alpha edges keep soft
//! palette entries. Pixels are then mapped to the palette with Floyd-Steinberg error
//! diffusion scaled by `dither` (0: nearest colour, 1: full diffusion), as libimagequant
//! does for sharp.
//!
//! With `binary_alpha` (GIF, whose palette has one fully transparent entry and no
//! partial alpha), pixels with alpha below 128 become that one transparent entry and
//! the rest are treated as opaque.

use std::collections::{HashMap, HashSet};

/// Pixels as palette indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indexed {
    /// RGBA entries, at most 256. Entries that are not opaque come first, so a PNG's
    /// tRNS chunk (alpha of the first entries) stays short.
    pub palette: Vec<[u8; 4]>,
    /// One index into `palette` per pixel, row by row.
    pub indices: Vec<u8>,
    /// The fully transparent entry, when `binary_alpha` found transparent pixels.
    pub transparent: Option<u8>,
}

/// NeuQuant's sampling factor for `pixels`: it learns from every n-th pixel. 10 is what
/// its authors and the `gif` crate use; smaller images are sampled more densely, so it
/// always sees at least about 64 Ki pixels (or all of them).
fn sample_factor(pixels: usize) -> i32 {
    (pixels / (64 << 10)).clamp(1, 10) as i32
}

/// Reduces `rgba` (4 bytes a pixel, rows of `width`) to at most `colours` (2..=256)
/// colours, dithered with strength `dither` (0.0..=1.0).
pub fn quantise(
    rgba: &[u8],
    width: usize,
    colours: usize,
    dither: f32,
    binary_alpha: bool,
) -> Indexed {
    let colours = colours.clamp(2, 256);
    let pixels: Vec<[u8; 4]> = rgba
        .chunks_exact(4)
        .map(|p| {
            if !binary_alpha {
                [p[0], p[1], p[2], p[3]]
            } else if p[3] < 128 {
                [0, 0, 0, 0]
            } else {
                [p[0], p[1], p[2], 255]
            }
        })
        .collect();
    let has_transparent = binary_alpha && pixels.iter().any(|p| p[3] == 0);
    // The transparent entry takes one place of the palette.
    let room = colours - usize::from(has_transparent);
    let opaque = || pixels.iter().filter(|p| !binary_alpha || p[3] != 0);
    let mut palette = distinct(opaque(), room).unwrap_or_else(|| {
        let learn: Vec<u8> = opaque().flatten().copied().collect();
        let quant = color_quant::NeuQuant::new(sample_factor(learn.len() / 4), room, &learn);
        quant
            .color_map_rgba()
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], if binary_alpha { 255 } else { c[3] }])
            .collect()
    });
    if has_transparent {
        palette.push([0, 0, 0, 0]);
    }
    // Not-opaque entries first (stable, so the rest keep NeuQuant's order).
    palette.sort_by_key(|c| c[3] == 255);
    palette.dedup();
    let transparent = has_transparent
        .then(|| palette.iter().position(|c| *c == [0, 0, 0, 0]))
        .flatten()
        .map(|i| i as u8);
    let indices = map_pixels(&pixels, width, &palette, dither, transparent);
    Indexed {
        palette,
        indices,
        transparent,
    }
}

/// The distinct colours of `pixels`, when there are at most `room` of them.
fn distinct<'a>(pixels: impl Iterator<Item = &'a [u8; 4]>, room: usize) -> Option<Vec<[u8; 4]>> {
    let mut seen: HashSet<[u8; 4]> = HashSet::new();
    let mut order = Vec::new();
    for p in pixels {
        if seen.insert(*p) {
            if order.len() == room {
                return None;
            }
            order.push(*p);
        }
    }
    Some(order)
}

/// The entry of `palette` nearest to `colour` (squared distance over RGBA), skipping
/// `skip` (the transparent entry of a GIF, which opaque pixels must not use).
fn nearest(palette: &[[u8; 4]], colour: [f32; 4], skip: Option<u8>) -> u8 {
    let mut best = (f32::INFINITY, 0u8);
    for (i, entry) in palette.iter().enumerate() {
        if skip == Some(i as u8) {
            continue;
        }
        let d: f32 = (0..4)
            .map(|c| {
                let e = f32::from(entry[c]) - colour[c];
                e * e
            })
            .sum();
        if d < best.0 {
            best = (d, i as u8);
        }
    }
    best.1
}

/// Maps every pixel to its palette index, diffusing `dither` of each pixel's error to
/// its right and lower neighbours (Floyd-Steinberg: 7/16, 3/16, 5/16, 1/16). Exact
/// palette colours are found through a cache, so images that fit their palette cost a
/// lookup a pixel. Transparent pixels (`transparent`) neither take nor pass on error.
fn map_pixels(
    pixels: &[[u8; 4]],
    width: usize,
    palette: &[[u8; 4]],
    dither: f32,
    transparent: Option<u8>,
) -> Vec<u8> {
    let exact: HashMap<[u8; 4], u8> = palette
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, i as u8))
        .collect();
    let width = width.max(1);
    // Errors for this row and the next, with a pixel of margin on each side.
    let mut this_row = vec![[0f32; 4]; width + 2];
    let mut next_row = vec![[0f32; 4]; width + 2];
    let mut indices = Vec::with_capacity(pixels.len());
    for row in pixels.chunks(width) {
        for (x, pixel) in row.iter().enumerate() {
            if transparent.is_some() && pixel[3] == 0 {
                indices.push(transparent.unwrap_or(0));
                continue;
            }
            let err = this_row[x + 1];
            let wanted: [f32; 4] =
                std::array::from_fn(|c| (f32::from(pixel[c]) + err[c]).clamp(0.0, 255.0));
            let rounded: [u8; 4] = std::array::from_fn(|c| wanted[c].round() as u8);
            let index = match exact.get(&rounded) {
                Some(&i) if transparent != Some(i) => i,
                _ => nearest(palette, wanted, transparent),
            };
            indices.push(index);
            if dither > 0.0 {
                let chosen = palette[usize::from(index)];
                for c in 0..4 {
                    let e = (wanted[c] - f32::from(chosen[c])) * dither;
                    this_row[x + 2][c] += e * 7.0 / 16.0;
                    next_row[x][c] += e * 3.0 / 16.0;
                    next_row[x + 1][c] += e * 5.0 / 16.0;
                    next_row[x + 2][c] += e / 16.0;
                }
            }
        }
        std::mem::swap(&mut this_row, &mut next_row);
        next_row.iter_mut().for_each(|e| *e = [0.0; 4]);
    }
    indices
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: usize, h: usize) -> Vec<u8> {
        (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                [(x * 255 / w) as u8, (y * 255 / h) as u8, 128, 255]
            })
            .collect()
    }

    #[test]
    fn few_colours_are_kept_exactly() {
        let colours = [[255, 0, 0, 255], [0, 255, 0, 128], [0, 0, 255, 0]];
        let rgba: Vec<u8> = (0..60).flat_map(|i| colours[i % 3]).collect();
        let out = quantise(&rgba, 10, 256, 1.0, false);
        assert_eq!(out.palette.len(), 3);
        // Not-opaque entries first.
        assert!(out.palette[0][3] < 255 && out.palette[1][3] < 255);
        for (i, &index) in out.indices.iter().enumerate() {
            assert_eq!(out.palette[usize::from(index)], colours[i % 3]);
        }
    }

    #[test]
    fn many_colours_fit_the_palette_and_stay_close() {
        let (w, h) = (64, 48);
        let rgba = gradient(w, h);
        for (colours, dither) in [(256, 1.0), (256, 0.0), (16, 0.0), (2, 0.5)] {
            let out = quantise(&rgba, w, colours, dither, false);
            assert!(
                out.palette.len() <= colours,
                "{colours}: {}",
                out.palette.len()
            );
            assert_eq!(out.indices.len(), w * h);
            assert!(out
                .indices
                .iter()
                .all(|&i| usize::from(i) < out.palette.len()));
            if colours == 256 && dither == 0.0 {
                // A smooth gradient with 256 entries: mean error a few levels at most.
                let err: f64 = rgba
                    .chunks_exact(4)
                    .zip(&out.indices)
                    .map(|(p, &i)| {
                        let c = out.palette[usize::from(i)];
                        (0..3)
                            .map(|k| (f64::from(p[k]) - f64::from(c[k])).abs())
                            .sum::<f64>()
                    })
                    .sum::<f64>()
                    / (w * h * 3) as f64;
                assert!(err < 6.0, "mean error {err}");
            }
        }
    }

    #[test]
    fn binary_alpha_reserves_one_transparent_entry() {
        let (w, h) = (32, 32);
        let mut rgba = gradient(w, h);
        for p in rgba.chunks_exact_mut(4).step_by(3) {
            p[3] = 10;
        }
        let out = quantise(&rgba, w, 8, 1.0, true);
        let t = out.transparent.expect("transparent entry");
        assert!(out.palette.len() <= 8);
        for (p, &i) in rgba.chunks_exact(4).zip(&out.indices) {
            assert_eq!(p[3] < 128, i == t);
            assert!(out.palette[usize::from(i)][3] == if i == t { 0 } else { 255 });
        }
    }
}
