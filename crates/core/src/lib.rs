//! corepool-core: the engine behind the corepool Node addon, with no napi in it.
//!
//! The layout follows the image pipeline:
//! - [`codec`]: recognise, probe and decode inputs (shrink-on-load for JPEG), encode outputs;
//! - [`resample`]: sharp's `resize` arithmetic ([`resample::ResizePlan`]), then reduce or enlarge;
//! - `ops`: the geometry and pixel operations on a [`Raster`] (orient, rotate, flip, grey, embed);
//! - `pipeline` runs them in their fixed order; `batch` runs files in parallel, reading
//!   through `input` and writing atomically through `output`;
//! - [`options`] holds the one table of options (parsing, messages, help), `error` the stable codes;
//! - [`primes`]: the segmented sieve.
//!
//! Everything runs on the one process-wide rayon pool ([`pool`]); callers cancel through a
//! [`CancelFlag`]. A binding converts values, calls the functions re-exported here, and
//! maps [`Failure`] to its host's errors.

mod animate;
mod batch;
mod cancel;
pub mod codec;
mod error;
pub mod input;
pub mod limits;
mod memory;
pub mod metadata;
pub mod ops;
pub mod options;
mod output;
mod pipeline;
pub mod pool;
pub mod primes;
mod raster;
pub mod recycle;
pub mod resample;
pub mod schedule;
mod srgb;
mod targets;
#[cfg(any(test, feature = "test-hooks"))]
pub mod testing;
pub mod validate;

pub use batch::{
    process_file, process_files, start_batch, BatchOutcome, ImageResult, Progress, ProgressSink,
    Throttle,
};
pub use cancel::CancelFlag;
pub use codec::{probe, Format, Header};
pub use error::{panic_message, ErrorClass, ErrorCode, Failure};
pub use options::{ProcessOptions, OPTIONS};
pub use pipeline::{process, process_path, Encoded};
pub use raster::{Raster, Rgba};
pub use resample::{Fit, Position, ResizeRequest};
pub use validate::Received;
