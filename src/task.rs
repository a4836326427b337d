//! One `AsyncTask` shape for every API: run a closure on the shared rayon pool from a
//! libuv worker, with panics caught, and reject with a coded JS error.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Once, OnceLock};

use napi::bindgen_prelude::*;
use napi::{Env, Task};

use corepool_core::{panic_message, pool, Failure};

use crate::js::to_napi_error;

type Work<O> = Box<dyn FnOnce() -> std::result::Result<O, Failure> + Send>;

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
/// `COREPOOL_TEST_PANIC` sets the core's panic marker. A no-op in other builds.
fn dev_switches() {
    #[cfg(feature = "dev-switches")]
    {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            corepool_core::testing::set_panic_marker(std::env::var("COREPOOL_TEST_PANIC").ok());
        });
    }
}

/// What every async API returns: a promise from either dispatch mode.
pub type Pending<'env, O, J> = Either<AsyncTask<PoolTask<O, J>>, Object<'env>>;

type Resolver<J> = Box<dyn FnOnce(Env) -> Result<J> + Send>;

/// Starts `work` and returns its promise, which resolves with `to_js(output)` or
/// rejects with the coded error. Validation failures (`work` is `Err`) reject too.
pub fn start<'env, O, J>(
    env: &'env Env,
    work: std::result::Result<Work<O>, Failure>,
    to_js: fn(O) -> J,
) -> Result<Pending<'env, O, J>>
where
    O: Send + 'static,
    J: ToNapiValue + TypeName + 'static,
{
    if dispatch() == Dispatch::Libuv {
        return Ok(Either::A(PoolTask::new(work, to_js)));
    }
    let (deferred, promise) = env.create_deferred::<J, Resolver<J>>()?;
    let settle = move |outcome: std::result::Result<O, Failure>| {
        deferred.resolve(Box::new(move |env: Env| match outcome {
            Ok(output) => Ok(to_js(output)),
            Err(failure) => Err(to_napi_error(&env, failure)),
        }))
    };
    match work {
        Err(failure) => settle(Err(failure)),
        Ok(work) => match pool::pool() {
            Ok(pool) => pool.spawn(move || settle(run_on_pool(work))),
            Err(e) => settle(Err(Failure::internal(format!(
                "cannot start the thread pool: {e}"
            )))),
        },
    }
    Ok(Either::B(promise))
}

/// Work to run off the JS thread, or the validation failure it was refused with (a
/// refused call still returns a promise, which then rejects).
pub struct PoolTask<O, J> {
    work: Option<std::result::Result<Work<O>, Failure>>,
    failure: Option<Failure>,
    to_js: fn(O) -> J,
}

impl<O, J> PoolTask<O, J> {
    pub fn new(work: std::result::Result<Work<O>, Failure>, to_js: fn(O) -> J) -> AsyncTask<Self>
    where
        Self: Task,
    {
        AsyncTask::new(Self {
            work: Some(work),
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
        let outcome = match self.work.take() {
            Some(Ok(work)) => run_on_pool(work),
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
