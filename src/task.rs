//! One `AsyncTask` shape for every API: run a closure on the shared rayon pool from a
//! libuv worker, with panics caught, and reject with a coded JS error.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Once, OnceLock};

use napi::bindgen_prelude::*;
use napi::{Env, Task};

use corepool_core::{panic_message, pool, Failure};

use crate::js::to_napi_error;

/// Hands a call's outcome back, once, from whichever thread finishes the work.
pub type Settle<O> = Box<dyn FnOnce(std::result::Result<O, Failure>) + Send>;

/// A call's work: started with the [`Settle`] that receives its outcome. It returns
/// at once; the work runs on the shared pool through the fair scheduler.
pub type Job<O> = Box<dyn FnOnce(Settle<O>) + Send>;

/// A job of one piece of synchronous work (one image, one header, one sieve).
pub fn one<O: Send + 'static>(
    work: impl FnOnce() -> std::result::Result<O, Failure> + Send + 'static,
) -> Job<O> {
    Box::new(move |settle| corepool_core::schedule::submit_one(work, settle))
}

/// Where a call's work starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatch {
    /// Straight onto the rayon pool; the promise is settled through a threadsafe
    /// deferred. No libuv thread is held, so `fs`, `dns` and `zlib` never wait behind
    /// corepool. The default.
    Rayon,
    /// Through an `AsyncTask`: a libuv worker blocks in `ThreadPool::install` until
    /// the work is done, as sharp does. Kept (`COREPOOL_DISPATCH=libuv`) to measure
    /// the difference.
    Libuv,
}

/// The dispatch mode: always [`Dispatch::Rayon`], except in builds with the
/// `dev-switches` feature, where `COREPOOL_DISPATCH=libuv` (read once) selects
/// [`Dispatch::Libuv`].
pub fn dispatch() -> Dispatch {
    static MODE: OnceLock<Dispatch> = OnceLock::new();
    *MODE.get_or_init(|| {
        dev_switches();
        match std::env::var("COREPOOL_DISPATCH").as_deref() {
            Ok("libuv") if cfg!(feature = "dev-switches") => Dispatch::Libuv,
            _ => Dispatch::Rayon,
        }
    })
}

/// Reads the test switches of a `dev-switches` build from the environment, once:
/// `COREPOOL_TEST_PANIC` sets the core's panic marker, `COREPOOL_JPEG_SCANS=exact`
/// turns approximate scan skipping off (for A/B benchmarks). A no-op in other builds.
fn dev_switches() {
    #[cfg(feature = "dev-switches")]
    {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            corepool_core::testing::set_panic_marker(std::env::var("COREPOOL_TEST_PANIC").ok());
            corepool_core::testing::set_exact_scans_only(
                std::env::var("COREPOOL_JPEG_SCANS").as_deref() == Ok("exact"),
            );
        });
    }
}

/// What every async API returns: a promise from either dispatch mode.
pub type Pending<'env, O, J> = Either<AsyncTask<PoolTask<O, J>>, Object<'env>>;

type Resolver<J> = Box<dyn FnOnce(Env) -> Result<J> + Send>;

/// Starts `job` and returns its promise, which resolves with `to_js(output)` or
/// rejects with the coded error. Validation failures (`job` is `Err`) reject too:
/// nothing here throws synchronously.
pub fn start<'env, O, J>(
    env: &'env Env,
    job: std::result::Result<Job<O>, Failure>,
    to_js: fn(O) -> J,
) -> Result<Pending<'env, O, J>>
where
    O: Send + 'static,
    J: ToNapiValue + TypeName + 'static,
{
    silence_panic_output();
    if dispatch() == Dispatch::Libuv {
        return Ok(Either::A(PoolTask::new(job, to_js)));
    }
    let (deferred, promise) = env.create_deferred::<J, Resolver<J>>()?;
    let settle: Settle<O> = Box::new(move |outcome| {
        deferred.resolve(Box::new(move |env: Env| match outcome {
            Ok(output) => Ok(to_js(output)),
            Err(failure) => Err(to_napi_error(&env, failure)),
        }))
    });
    match job {
        Err(failure) => settle(Err(failure)),
        Ok(job) => job(settle),
    }
    Ok(Either::B(promise))
}

/// A job run from a libuv worker that waits for its outcome (`COREPOOL_DISPATCH=libuv`),
/// or the validation failure it was refused with (a refused call still returns a
/// promise, which then rejects).
pub struct PoolTask<O, J> {
    job: Option<std::result::Result<Job<O>, Failure>>,
    failure: Option<Failure>,
    to_js: fn(O) -> J,
}

impl<O, J> PoolTask<O, J> {
    pub fn new(job: std::result::Result<Job<O>, Failure>, to_js: fn(O) -> J) -> AsyncTask<Self>
    where
        Self: Task,
    {
        AsyncTask::new(Self {
            job: Some(job),
            failure: None,
            to_js,
        })
    }
}

/// Panic messages are turned into `ERR_INTERNAL` failures; they must not also be
/// printed to the host's stderr. Setting the hook affects only this library's copy of
/// std, not Node or other addons. `COREPOOL_DEBUG_PANICS=1` keeps the default output.
fn silence_panic_output() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("COREPOOL_DEBUG_PANICS").is_none() {
            panic::set_hook(Box::new(|_| {}));
        }
    });
}

/// Runs `work` inside the shared pool and turns a panic into `ERR_INTERNAL`.
pub fn run_on_pool<O: Send>(
    work: impl FnOnce() -> std::result::Result<O, Failure> + Send,
) -> std::result::Result<O, Failure> {
    silence_panic_output();
    let pool = pool::pool()
        .map_err(|e| Failure::internal(format!("cannot start the thread pool: {e}")))?;
    panic::catch_unwind(AssertUnwindSafe(|| pool.install(work))).unwrap_or_else(|payload| {
        Err(Failure::internal(format!(
            "internal error: {}",
            panic_message(&*payload)
        )))
    })
}

impl<O, J> Task for PoolTask<O, J>
where
    O: Send + 'static,
    J: ToNapiValue + TypeName,
{
    type Output = O;
    type JsValue = J;

    fn compute(&mut self) -> Result<O> {
        let outcome = match self.job.take() {
            Some(Ok(job)) => {
                let (tx, rx) = std::sync::mpsc::channel();
                job(Box::new(move |outcome| {
                    let _ = tx.send(outcome);
                }));
                rx.recv()
                    .unwrap_or_else(|_| Err(Failure::internal("the work ended without an outcome")))
            }
            Some(Err(failure)) => Err(failure),
            None => Err(Failure::internal("task computed twice")),
        };
        outcome.map_err(|failure| {
            let reason = failure.message.clone();
            self.failure = Some(failure);
            napi::Error::from_reason(reason)
        })
    }

    fn resolve(&mut self, _env: Env, output: O) -> Result<J> {
        Ok((self.to_js)(output))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<J> {
        Err(match self.failure.take() {
            Some(failure) => to_napi_error(&env, failure),
            None => err,
        })
    }
}
