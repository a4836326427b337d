//! The operations on a [`Raster`](crate::raster::Raster) that do not resample, one
//! family per module, each an `impl Raster` block: orientation and mirroring (`flip`),
//! rotation (`rotate`), grey (`grey`), canvas placement and crops (`embed`).

mod embed;
mod flip;
mod grey;
pub(crate) mod rotate;
