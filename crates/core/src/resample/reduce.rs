//! Reduction with `fast_image_resize`: SIMD convolution, Lanczos3 like sharp's
//! default kernel (enlargement is [`super::enlarge`]'s), alpha premultiplied during
//! resampling so that transparent pixels do not bleed their colour into visible ones. Resampling happens in sRGB space, as
//! sharp does by default.

use std::cell::RefCell;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::ResampleError;
use crate::raster::Raster;

/// A window of the source in source pixels (may be fractional): left, top, width,
/// height.
pub type Window = (f64, f64, f64, f64);

fn pixel_type(channels: u8) -> PixelType {
    match channels {
        1 => PixelType::U8,
        2 => PixelType::U8x2,
        3 => PixelType::U8x3,
        _ => PixelType::U8x4,
    }
}

/// Scratch memory a thread's resizer may keep between images.
const KEEP_SCRATCH_BYTES: usize = 32 << 20;

thread_local! {
    /// One resizer per thread keeps its scratch buffers between images. It is taken
    /// out while in use: with fast_image_resize's rayon support, a thread waiting
    /// inside one resize may pick up another image's resize job (work stealing), which
    /// then finds the slot empty and uses a fresh resizer instead of borrowing twice.
    static RESIZER: RefCell<Option<Resizer>> = const { RefCell::new(None) };
}

/// Resamples `window` of `src` (the whole image when `None`) to `width x height`.
pub fn resize(
    src: &Raster,
    window: Option<Window>,
    width: u32,
    height: u32,
) -> Result<Raster, ResampleError> {
    if window.is_none() && (src.width, src.height) == (width, height) {
        return Ok(src.clone());
    }
    let pixel = pixel_type(src.channels);
    let source = ImageRef::new(src.width, src.height, &src.data, pixel)
        .map_err(|e| ResampleError::Library(e.to_string()))?;
    // The output's pixels in a recycled buffer where one fits (see `crate::recycle`).
    let len = width as usize * height as usize * usize::from(src.channels);
    let mut target = Image::from_vec_u8(width, height, crate::recycle::PIXELS.take(len), pixel)
        .map_err(|e| ResampleError::Library(e.to_string()))?;
    // Reductions only (enlargements go through `enlarge`): Lanczos3, like
    // libvips' vips_reduce.
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if let Some((left, top, w, h)) = window {
        options = options.crop(left, top, w, h);
    }
    let mut resizer = RESIZER
        .with(|slot| slot.borrow_mut().take())
        .unwrap_or_default();
    let outcome = resizer.resize(&source, &mut target, &options);
    // Keep scratch buffers for the next image, but not a huge one's.
    if resizer.size_of_internal_buffers() > KEEP_SCRATCH_BYTES {
        resizer.reset_internal_buffers();
    }
    RESIZER.with(|slot| *slot.borrow_mut() = Some(resizer));
    outcome.map_err(|e| ResampleError::Library(e.to_string()))?;
    Raster::new(width, height, src.channels, target.into_vec())
        .ok_or(ResampleError::WrongSize("resizer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_colour_stays_flat() {
        let src = Raster::filled(300, 200, 3, [10, 200, 30, 255]);
        let out = resize(&src, None, 75, 50).expect("resizes");
        assert_eq!((out.width, out.height), (75, 50));
        assert!(out.data.chunks(3).all(|p| p == [10, 200, 30]));
    }

    #[test]
    fn a_resize_nested_in_another_on_the_same_thread_works() {
        // What work stealing does inside fast_image_resize's rayon jobs: a second
        // resize starts on a thread whose resizer is out, in use by the first.
        let held = RESIZER.with(|slot| slot.borrow_mut().take());
        let src = Raster::filled(64, 48, 3, [90, 120, 150, 255]);
        let nested = resize(&src, None, 32, 24).map(|r| (r.width, r.height));
        RESIZER.with(|slot| *slot.borrow_mut() = held);
        assert_eq!(nested, Ok((32, 24)));
    }

    #[test]
    fn window_selects_the_region() {
        // Left half black, right half white; a window over the right half is white
        // (up to the kernel reaching across the window's left edge, as it does when
        // sharp resizes the whole image and then crops).
        let mut data = Vec::new();
        for _y in 0..10 {
            for x in 0..20 {
                data.push(if x < 10 { 0 } else { 255 });
            }
        }
        let src = Raster::new(20, 10, 1, data).expect("sizes");
        let out = resize(&src, Some((10.0, 0.0, 10.0, 10.0)), 5, 5).expect("resizes");
        assert!(out.data.iter().all(|&v| v >= 235), "{:?}", out.data);
        let whole = resize(&src, None, 10, 5).expect("resizes");
        assert!(
            whole.data[0] < 20,
            "the left half stays black: {:?}",
            whole.data
        );
    }
}
