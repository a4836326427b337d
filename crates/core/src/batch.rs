//! `processImages`: many files, each through the pipeline, in parallel on the current
//! rayon pool, one result per input in input order.
//!
//! At most `concurrency` images are in flight (default: one per pool thread), so peak
//! memory is bounded by the largest few images, not by the batch; the fair scheduler
//! (`crate::schedule`) runs them, interleaved with other calls. One bad file never fails
//! the batch: every per-file problem, a caught panic included, becomes that file's
//! `error`.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::cancel::CancelFlag;
use crate::codec;
use crate::error::{panic_message, Failure};
use crate::input::InputFile;
use crate::options::ProcessOptions;
use crate::targets::Targets;
use crate::{output, pipeline, schedule};

/// The outcome for one input.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageResult {
    pub original_path: String,
    /// Where the output was (or would have been) written; empty when unknown.
    pub output_path: String,
    pub success: bool,
    /// Bytes written.
    pub processed_size: u64,
    pub width: u32,
    pub height: u32,
    /// The output format's name; empty when unknown.
    pub format: String,
    pub duration_ms: f64,
    pub error: Option<Failure>,
}

/// Where a batch stands, for progress reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    pub current_path: String,
}

/// Lets through at most one report per `interval`, and always the last one.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl Throttle {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: Mutex::new(None),
        }
    }

    /// Whether a report made now should be delivered.
    pub fn admit(&self, progress: &Progress) -> bool {
        if progress.done == progress.total {
            return true;
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match *last {
            Some(at) if now.duration_since(at) < self.interval => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

/// Whether the test hook asks `input` to panic (never, without `test-hooks`).
fn forced_panic(input: &str) -> bool {
    #[cfg(any(test, feature = "test-hooks"))]
    return crate::testing::forced_panic(input);
    #[cfg(not(any(test, feature = "test-hooks")))]
    {
        let _ = input;
        false
    }
}

/// Processes one file into its result; never panics (a panic becomes `ERR_INTERNAL`).
///
/// A raised `cancel` stops it at the next stage boundary with `ERR_ABORTED`, before
/// anything is written.
pub fn process_file(input: &str, opts: &ProcessOptions, cancel: &CancelFlag) -> ImageResult {
    let inputs = [input.to_owned()];
    process_planned(&inputs, 0, &Targets::default(), opts, cancel)
}

/// [`process_file`] for `inputs[index]` of a batch whose outputs were planned in
/// `targets`: an output that an earlier input claims fails with `ERR_OUTPUT_EXISTS`.
fn process_planned(
    inputs: &[String],
    index: usize,
    targets: &Targets,
    opts: &ProcessOptions,
    cancel: &CancelFlag,
) -> ImageResult {
    let input = inputs[index].as_str();
    let started = Instant::now();
    let mut result = ImageResult {
        original_path: input.to_owned(),
        output_path: String::new(),
        success: false,
        processed_size: 0,
        width: 0,
        height: 0,
        format: String::new(),
        duration_ms: 0.0,
        error: None,
    };
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| -> Result<(), Failure> {
        let path = Path::new(input);
        let source = InputFile::open_within(path, opts.limit_input_bytes)?;
        let header = crate::metadata::probe_at(&source, opts.limit_input_bytes, opts.density)?;
        let format = opts.output_format(header.format);
        let target = output::output_path(path, Some(header.format), format, opts)?;
        result.output_path = target.to_string_lossy().into_owned();
        result.format = format.name().to_owned();
        targets.claim(inputs, index, &target)?;
        output::check_target(&target, opts.overwrite)?;
        codec::check_limit(&header, opts.limit_input_pixels)?;
        if forced_panic(input) {
            panic!("forced test panic for {input}");
        }
        let raster = pipeline::transform(&source, &header, format, opts, cancel)?;
        pipeline::check(cancel)?;
        let meta = pipeline::kept_metadata(&source, &header, format, opts)?;
        let data =
            codec::encode_with_metadata(&raster, format, &opts.encode_settings(format), &meta)?;
        output::write_atomic(&target, &data, opts.overwrite)?;
        result.processed_size = data.len() as u64;
        result.width = raster.width;
        result.height = raster.height;
        Ok(())
    }));
    let outcome = outcome.unwrap_or_else(|payload| {
        Err(Failure::internal(format!(
            "internal error while processing {input}: {}",
            panic_message(&*payload)
        )))
    });
    result.success = outcome.is_ok();
    result.error = outcome.err();
    result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    result
}

/// What a batch hands back when its last image is done: every result in input order,
/// or `ERR_ABORTED` when it was cancelled.
pub type BatchOutcome = Result<Vec<ImageResult>, Failure>;

/// Where a batch's progress reports go (called from pool threads, one at a time).
pub type ProgressSink = Box<dyn Fn(Progress) + Send + Sync>;

/// Starts processing every input on the shared pool and returns at once; `done`
/// receives the outcome after the last image, exactly once (at once, with
/// `ERR_QUEUE_FULL`, when the scheduler refuses the call).
///
/// Images go through the fair scheduler (`crate::schedule`), at most `concurrency` at a
/// time (default: one per pool thread), so other calls interleave with the batch image
/// by image. Progress is reported after each finished image, under one lock, so `done`
/// strictly increases from report to report and the last report has `done == total`.
/// When `cancel` is raised, no new image starts, images in flight stop at their next
/// stage boundary (nothing partial is written), and the outcome is `ERR_ABORTED`.
pub fn start_batch(
    inputs: Vec<String>,
    opts: ProcessOptions,
    cancel: CancelFlag,
    on_progress: ProgressSink,
    done: Box<dyn FnOnce(BatchOutcome) + Send>,
) {
    let total = inputs.len();
    let cap = opts.concurrency.unwrap_or_else(crate::pool::threads);
    let slots: Arc<Vec<Mutex<Option<ImageResult>>>> =
        Arc::new((0..total).map(|_| Mutex::new(None)).collect());
    // (done, failed), reported under this lock so reports never go backwards.
    let counts = Mutex::new((0usize, 0usize));
    // The k-th image started is inputs[order[k]], and the outputs are planned, by the
    // first one to start (on a pool thread: the file system must not be touched on the
    // caller's thread).
    let plan = OnceLock::new();
    let run = {
        let (slots, cancel) = (slots.clone(), cancel.clone());
        Arc::new(move |k: usize| {
            if cancel.is_cancelled() {
                return;
            }
            let (order, targets) =
                plan.get_or_init(|| (largest_first(&inputs), Targets::plan(&inputs, &opts)));
            let index = order[k];
            let input = &inputs[index];
            let result = process_planned(&inputs, index, targets, &opts, &cancel);
            let failed = !result.success;
            *lock(&slots[index]) = Some(result);
            let mut counts = lock(&counts);
            counts.0 += 1;
            counts.1 += usize::from(failed);
            on_progress(Progress {
                done: counts.0,
                total,
                failed: counts.1,
                current_path: input.clone(),
            });
        })
    };
    let finish: schedule::Finish = Box::new(move |admitted| {
        done(admitted.and_then(|()| {
            let results: Option<Vec<ImageResult>> =
                slots.iter().map(|slot| lock(slot).take()).collect();
            match results {
                Some(results) if !cancel.is_cancelled() => Ok(results),
                _ => Err(Failure::aborted()),
            }
        }))
    });
    schedule::submit(schedule::Call::new(total, cap, run, finish));
}

/// The order in which to start a batch's images: the largest files first, ties in
/// input order. The cost of an image grows with its size in bytes (entropy decoding
/// dominates), so starting the big ones first keeps every thread busy to the end
/// instead of leaving one big image running alone at the end.
/// Files that cannot be stat'ed sort last; they will fail fast anyway.
fn largest_first(inputs: &[String]) -> Vec<usize> {
    let sizes: Vec<u64> = inputs
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .collect();
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    order
}

/// [`start_batch`], waiting for the outcome: for callers that may block (tests, tools);
/// never call it from a pool thread.
pub fn process_files(
    inputs: &[String],
    opts: &ProcessOptions,
    cancel: &CancelFlag,
    on_progress: ProgressSink,
) -> BatchOutcome {
    let (tx, rx) = mpsc::channel();
    start_batch(
        inputs.to_vec(),
        opts.clone(),
        cancel.clone(),
        on_progress,
        Box::new(move |outcome| {
            let _ = tx.send(outcome);
        }),
    );
    rx.recv()
        .unwrap_or_else(|_| Err(Failure::internal("the batch ended without an outcome")))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::codec::{encode, EncodeSettings, Format};
    use crate::error::ErrorCode;
    use crate::raster::Raster;
    use crate::resample::ResizeRequest;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("corepool-batch-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn big_files_start_first_and_results_keep_input_order() {
        let dir = temp_dir("order");
        let mut inputs = Vec::new();
        for (name, side) in [("small", 8u32), ("big", 64), ("missing", 0), ("mid", 32)] {
            let path = dir.join(format!("{name}.png"));
            if side > 0 {
                let noise: Vec<u8> = (0..side * side * 3)
                    .map(|i| (i * 7919 % 251) as u8)
                    .collect();
                let raster = Raster::new(side, side, 3, noise).expect("sizes");
                let png = encode(&raster, Format::Png, &EncodeSettings::default()).expect("png");
                fs::write(&path, png).expect("write");
            }
            inputs.push(path.to_string_lossy().into_owned());
        }
        assert_eq!(largest_first(&inputs), vec![1, 3, 0, 2]);
        let started = Arc::new(Mutex::new(Vec::new()));
        let log = started.clone();
        let opts = ProcessOptions {
            concurrency: Some(1),
            ..ProcessOptions::default()
        };
        let results = process_files(
            &inputs,
            &opts,
            &CancelFlag::new(),
            Box::new(move |p| lock(&log).push(p.current_path)),
        )
        .expect("not aborted");
        let names: Vec<_> = results.iter().map(|r| r.original_path.clone()).collect();
        assert_eq!(names, inputs);
        assert_eq!(
            *lock(&started),
            [1, 3, 0, 2].map(|i| inputs[i].clone()).to_vec(),
            "one at a time, biggest first"
        );
        assert!(results[0].success && results[1].success && results[3].success);
        assert!(!results[2].success);
    }

    #[test]
    fn one_bad_file_does_not_fail_the_batch() {
        let dir = temp_dir("mixed");
        let good = dir.join("good.png");
        let png = encode(
            &Raster::filled(40, 30, 3, [1, 2, 3, 255]),
            Format::Png,
            &EncodeSettings::default(),
        )
        .expect("png");
        fs::write(&good, png).expect("write");
        let bad = dir.join("bad.png");
        fs::write(&bad, b"not an image").expect("write");
        let inputs: Vec<String> = [good.clone(), bad, dir.join("missing.jpg"), dir.clone()]
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let opts = ProcessOptions {
            resize: ResizeRequest {
                width: Some(20),
                ..ResizeRequest::default()
            },
            ..ProcessOptions::default()
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let results = process_files(
            &inputs,
            &opts,
            &CancelFlag::new(),
            Box::new(move |p| lock(&log).push(p.done)),
        )
        .expect("not aborted");
        assert_eq!(*lock(&seen), [1, 2, 3, 4], "reports strictly increase");
        assert!(results[0].success, "{:?}", results[0].error);
        assert_eq!((results[0].width, results[0].height), (20, 15));
        assert_eq!(
            results[0].output_path,
            dir.join("processed_good.png").to_string_lossy()
        );
        let codes: Vec<_> = results[1..]
            .iter()
            .map(|r| r.error.as_ref().map(|e| e.code))
            .collect();
        assert_eq!(
            codes,
            [
                Some(ErrorCode::InputUnsupported),
                Some(ErrorCode::InputNotFound),
                Some(ErrorCode::InputNotFound)
            ]
        );
        // A second run refuses to overwrite.
        let again = process_files(&inputs[..1], &opts, &CancelFlag::new(), Box::new(|_| {}))
            .expect("not aborted");
        assert_eq!(
            again[0].error.as_ref().map(|e| e.code),
            Some(ErrorCode::OutputExists)
        );
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn cancelled_batches_abort() {
        let cancel = CancelFlag::new();
        cancel.cancel();
        let err = process_files(
            &["x.png".into()],
            &ProcessOptions::default(),
            &cancel,
            Box::new(|_| {}),
        )
        .expect_err("aborted");
        assert_eq!(err.code, ErrorCode::Aborted);
    }

    #[test]
    fn panics_become_internal_errors() {
        // No other test uses a path containing the marker.
        crate::testing::set_panic_marker(Some("panic-me".into()));
        let dir = temp_dir("panic");
        let file = dir.join("panic-me.png");
        let png = encode(
            &Raster::filled(4, 4, 3, [1, 2, 3, 255]),
            Format::Png,
            &EncodeSettings::default(),
        )
        .expect("png");
        fs::write(&file, png).expect("write");
        let result = process_file(
            &file.to_string_lossy(),
            &ProcessOptions::default(),
            &CancelFlag::new(),
        );
        assert_eq!(result.error.map(|e| e.code), Some(ErrorCode::Internal));
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn throttle_admits_the_last_report() {
        let t = Throttle::new(Duration::from_secs(3600));
        let p = |done| Progress {
            done,
            total: 3,
            failed: 0,
            current_path: String::new(),
        };
        assert!(t.admit(&p(1)));
        assert!(!t.admit(&p(2)));
        assert!(t.admit(&p(3)));
    }
}
