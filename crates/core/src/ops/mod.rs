//! The operations on a [`Raster`](crate::raster::Raster) besides resampling, one
//! family per module, each an `impl Raster` block: orientation and mirroring (`flip`),
//! rotation (`rotate`), grey (`grey`), canvas placement and crops (`embed`), sharp's
//! `extract` and `extend` (`region`), `trim` (`trim`), `flatten` and premultiplied
//! alpha (`alpha`), `negate`, `normalise` and `modulate` (`tone`), `blur` and the mild sharpen (`convolve`),
//! `sharpen` on L* (`sharpen`, with `lab`), `composite` (`composite`), and the
//! `entropy`/`attention` crop strategies (`smartcrop`).
//!
//! [`Operations`] holds the validated options of these operations; the pipeline runs
//! them in one fixed order (see `crate::pipeline`).

mod alpha;
mod composite;
mod convolve;
mod embed;
mod flip;
mod grey;
mod lab;
mod region;
pub(crate) mod rotate;
mod sharpen;
mod smartcrop;
mod tone;
mod trim;

pub use composite::{Blend, Layer, LayerInput, Placement, BLENDS};
pub use convolve::Blur;
pub use region::{Extend, Region};
pub use sharpen::{Sharpen, SharpenParams};
pub use smartcrop::Strategy;
pub use tone::{Modulate, Negate, Normalise};
pub use trim::Trim;

use crate::error::{ErrorCode, Failure};
use crate::raster::Rgba;

/// The options of the operations around the resize, validated (`None`: not asked for).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Operations {
    pub extract: Option<Region>,
    pub trim: Option<Trim>,
    pub extend: Option<Extend>,
    pub sharpen: Option<Sharpen>,
    pub blur: Option<Blur>,
    /// The background to flatten onto.
    pub flatten: Option<Rgba>,
    pub negate: Option<Negate>,
    pub normalise: Option<Normalise>,
    pub modulate: Option<Modulate>,
    pub composite: Vec<Layer>,
    /// `position: 'entropy' | 'attention'`: the cover crop's window by content.
    pub strategy: Option<Strategy>,
}

/// Why an operation failed for one image. Each is about that image, not a bug.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OpError {
    #[error("extract region {}x{} at ({}, {}) lies outside the {width}x{height} image", region.width, region.height, region.left, region.top)]
    ExtractOutside {
        region: Region,
        width: u32,
        height: u32,
    },
    #[error("composite[{index}]: the overlay ({}x{}) is larger than the image ({}x{}); sharp refuses it too, tiled or not", overlay.0, overlay.1, image.0, image.1)]
    OverlayTooLarge {
        index: usize,
        overlay: (u32, u32),
        image: (u32, u32),
    },
    #[error("composite[{index}].input: {}", failure.message)]
    Overlay { index: usize, failure: Failure },
}

impl From<OpError> for Failure {
    fn from(err: OpError) -> Self {
        let code = match &err {
            OpError::ExtractOutside { .. } | OpError::OverlayTooLarge { .. } => {
                ErrorCode::InvalidOption
            }
            OpError::Overlay { failure, .. } => failure.code,
        };
        Failure::new(code, err.to_string())
    }
}
