//! Fair scheduling of calls on the shared pool.
//!
//! Every async call (a batch of images, one image, a header read, a sieve) is a
//! [`Call`] of `items` work items. Calls wait in one ring; the pool's threads run
//! *drainers* that take the next item round-robin across the calls in the ring, so a
//! single image submitted while a 64-image batch runs is started as soon as one batch
//! item finishes, instead of after the whole batch. A call's `concurrency` caps how
//! many of its items run at once (which bounds its peak memory).
//!
//! Invariants:
//! - every item of a submitted call runs exactly once (items check their own
//!   cancellation and return early), then `finish` runs exactly once, after the last
//!   (or at once, with the refusal, when the call is not admitted);
//! - at most `pool threads` drainers exist; a drainer exits only when no call has an
//!   item it may start, and the decision is made under the ring's lock, so no submitted
//!   item is ever left without a drainer;
//! - at most [`set_max_queue`] calls are submitted and not yet finished; beyond that,
//!   [`submit`] refuses with `ERR_QUEUE_FULL`.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{ErrorCode, Failure};
use crate::pool;

/// Runs item `i` of a call. It must not panic (callers catch panics per item); if it
/// does anyway, the panic is contained and the item counts as run.
pub type RunItem = Arc<dyn Fn(usize) + Send + Sync>;
/// Runs once: after the last item with `Ok(())`, or at once with the refusal
/// (`ERR_QUEUE_FULL`, or a pool that cannot start) when the call is not admitted.
pub type Finish = Box<dyn FnOnce(Result<(), Failure>) + Send>;

/// One call's work, as submitted.
pub struct Call {
    items: usize,
    cap: usize,
    run: RunItem,
    finish: Mutex<Option<Finish>>,
    /// Items started so far (`<= items`), guarded by the ring's lock.
    started: AtomicUsize,
    /// Items running now, guarded by the ring's lock.
    running: AtomicUsize,
    /// Items finished.
    finished: AtomicUsize,
}

impl Call {
    /// A call of `items` items, at most `cap` (at least 1) of them at once.
    pub fn new(items: usize, cap: usize, run: RunItem, finish: Finish) -> Self {
        Self {
            items,
            cap: cap.max(1),
            run,
            finish: Mutex::new(Some(finish)),
            started: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
        }
    }

    /// Whether the ring may start one more of its items.
    fn can_start(&self) -> bool {
        self.started.load(Ordering::Relaxed) < self.items
            && self.running.load(Ordering::Relaxed) < self.cap
    }

    fn complete(&self, admitted: Result<(), Failure>) {
        let finish = lock(&self.finish).take();
        if let Some(finish) = finish {
            let _ = panic::catch_unwind(AssertUnwindSafe(|| finish(admitted)));
        }
    }
}

#[derive(Default)]
struct Ring {
    /// Calls with items not yet started, in round-robin order.
    calls: VecDeque<Arc<Call>>,
    drainers: usize,
}

static RING: Mutex<Ring> = Mutex::new(Ring {
    calls: VecDeque::new(),
    drainers: 0,
});
/// Calls submitted and not yet finished.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
/// The most calls that may be active at once (`usize::MAX`: no bound).
static MAX_QUEUE: AtomicUsize = AtomicUsize::new(usize::MAX);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Bounds the calls in flight (queued or running): past `max`, new calls are refused
/// with `ERR_QUEUE_FULL`, so a flooded server sheds load instead of growing memory.
/// `None` removes the bound (the default).
pub fn set_max_queue(max: Option<usize>) {
    MAX_QUEUE.store(max.unwrap_or(usize::MAX), Ordering::Relaxed);
}

/// The bound set by [`set_max_queue`], if any.
pub fn max_queue() -> Option<usize> {
    Some(MAX_QUEUE.load(Ordering::Relaxed)).filter(|&m| m != usize::MAX)
}

/// Calls submitted and not finished.
pub fn active_calls() -> usize {
    ACTIVE.load(Ordering::Relaxed)
}

/// Queues `call` and makes sure drainers run it. A call with no items finishes at once;
/// a call that is not admitted finishes at once with the refusal.
pub fn submit(call: Call) {
    let max = MAX_QUEUE.load(Ordering::Relaxed);
    if ACTIVE
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .is_err()
    {
        call.complete(Err(Failure::new(
            ErrorCode::QueueFull,
            format!("{max} calls are already queued or running (setMaxQueue); try again later"),
        )));
        return;
    }
    let call = Arc::new(call);
    if call.items == 0 {
        ACTIVE.fetch_sub(1, Ordering::AcqRel);
        call.complete(Ok(()));
        return;
    }
    let pool = match pool::pool() {
        Ok(pool) => pool,
        Err(e) => {
            ACTIVE.fetch_sub(1, Ordering::AcqRel);
            call.complete(Err(Failure::internal(format!(
                "cannot start the thread pool: {e}"
            ))));
            return;
        }
    };
    let threads = pool.current_num_threads().max(1);
    let mut ring = lock(&RING);
    ring.calls.push_back(call);
    let wanted = threads.saturating_sub(ring.drainers);
    ring.drainers += wanted;
    drop(ring);
    for _ in 0..wanted {
        pool.spawn(drain);
    }
}

/// Submits a call of one item: `work` runs on the pool when its turn comes, then
/// `then` receives its outcome, exactly once: a panic in `work` becomes `ERR_INTERNAL`,
/// a refused call (`ERR_QUEUE_FULL`) that failure, at once.
pub fn submit_one<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Failure> + Send + 'static,
    then: impl FnOnce(Result<T, Failure>) + Send + 'static,
) {
    let work = Mutex::new(Some(work));
    let outcome: Arc<Mutex<Option<Result<T, Failure>>>> = Arc::new(Mutex::new(None));
    let out = outcome.clone();
    let run: RunItem = Arc::new(move |_| {
        let Some(work) = lock(&work).take() else {
            return;
        };
        let result = panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
            Err(Failure::internal(format!(
                "internal error: {}",
                crate::error::panic_message(&*payload)
            )))
        });
        *lock(&out) = Some(result);
    });
    let finish: Finish = Box::new(move |admitted| {
        then(admitted.and_then(|()| {
            lock(&outcome)
                .take()
                .unwrap_or_else(|| Err(Failure::internal("the work ended without an outcome")))
        }))
    });
    submit(Call::new(1, 1, run, finish));
}

/// The next item to run: round-robin over the ring, skipping calls at their cap. Calls
/// with nothing left to start leave the ring.
fn next_item(ring: &mut Ring) -> Option<(Arc<Call>, usize)> {
    for _ in 0..ring.calls.len() {
        let call = ring.calls.pop_front()?;
        if call.can_start() {
            let index = call.started.fetch_add(1, Ordering::Relaxed);
            call.running.fetch_add(1, Ordering::Relaxed);
            if call.started.load(Ordering::Relaxed) < call.items {
                ring.calls.push_back(call.clone());
            }
            return Some((call, index));
        }
        if call.started.load(Ordering::Relaxed) < call.items {
            // At its cap: keep its place for later.
            ring.calls.push_back(call);
        }
    }
    None
}

/// A drainer: runs items until none may be started, then exits.
fn drain() {
    loop {
        let next = {
            let mut ring = lock(&RING);
            let next = next_item(&mut ring);
            if next.is_none() {
                ring.drainers -= 1;
            }
            next
        };
        let Some((call, index)) = next else {
            return;
        };
        let _ = panic::catch_unwind(AssertUnwindSafe(|| (call.run)(index)));
        {
            // Under the lock, so a drainer deciding to exit sees the freed slot.
            let _ring = lock(&RING);
            call.running.fetch_sub(1, Ordering::Relaxed);
        }
        if call.finished.fetch_add(1, Ordering::AcqRel) + 1 == call.items {
            ACTIVE.fetch_sub(1, Ordering::AcqRel);
            call.complete(Ok(()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Submits a call whose items record `(call, item)` into `log` and sleep `ms`; the
    /// receiver fires when the call finishes.
    fn call(
        id: usize,
        items: usize,
        cap: usize,
        ms: u64,
        log: &Arc<Mutex<Vec<(usize, usize)>>>,
    ) -> mpsc::Receiver<()> {
        let (tx, rx) = mpsc::channel();
        let log = log.clone();
        submit(Call::new(
            items,
            cap,
            Arc::new(move |i| {
                lock(&log).push((id, i));
                std::thread::sleep(Duration::from_millis(ms));
            }),
            Box::new(move |admitted| {
                admitted.expect("admitted");
                let _ = tx.send(());
            }),
        ));
        rx
    }

    #[test]
    fn every_item_runs_once_then_finish_runs_and_a_late_small_call_is_not_starved() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let batch = call(1, 40, 64, 5, &log);
        std::thread::sleep(Duration::from_millis(12));
        let single = call(2, 1, 1, 0, &log);
        single
            .recv_timeout(Duration::from_secs(10))
            .expect("the single call finishes");
        let position = lock(&log).iter().position(|&(c, _)| c == 2).expect("ran");
        batch
            .recv_timeout(Duration::from_secs(10))
            .expect("the batch finishes");
        let mut items: Vec<usize> = lock(&log)
            .iter()
            .filter(|&&(c, _)| c == 1)
            .map(|&(_, i)| i)
            .collect();
        items.sort_unstable();
        assert_eq!(items, (0..40).collect::<Vec<_>>(), "each item exactly once");
        // Round-robin: the single item starts within a few batch items, not after 40.
        assert!(
            position < 20,
            "single call started after {position} batch items"
        );
    }

    #[test]
    fn one_item_calls_hand_back_their_outcome_and_panics_become_internal() {
        let (tx, rx) = mpsc::channel();
        submit_one(|| Ok(21 * 2), move |r| tx.send(r).expect("send"));
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).expect("done"),
            Ok(42)
        );
        let (tx, rx) = mpsc::channel();
        submit_one(
            || -> Result<u8, Failure> { panic!("boom") },
            move |r| tx.send(r).expect("send"),
        );
        let err = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("done")
            .expect_err("panicked");
        assert_eq!(err.code, ErrorCode::Internal);
        assert!(err.message.contains("boom"), "{}", err.message);
    }

    #[test]
    fn a_cap_bounds_the_items_in_flight() {
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        let (r, p) = (running.clone(), peak.clone());
        submit(Call::new(
            12,
            1,
            Arc::new(move |_| {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
                r.fetch_sub(1, Ordering::SeqCst);
            }),
            Box::new(move |admitted| {
                admitted.expect("admitted");
                let _ = tx.send(());
            }),
        ));
        rx.recv_timeout(Duration::from_secs(10)).expect("finishes");
        assert_eq!(peak.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn empty_calls_finish_at_once_and_panicking_items_still_finish_the_call() {
        let (tx, rx) = mpsc::channel();
        submit(Call::new(
            0,
            1,
            Arc::new(|_| {}),
            Box::new(move |admitted| {
                admitted.expect("admitted");
                let _ = tx.send(());
            }),
        ));
        rx.recv_timeout(Duration::from_secs(1)).expect("finished");
        let (tx, rx) = mpsc::channel();
        submit(Call::new(
            3,
            3,
            Arc::new(|i| assert!(i != 1, "item 1 panics")),
            Box::new(move |admitted| {
                admitted.expect("admitted");
                let _ = tx.send(());
            }),
        ));
        rx.recv_timeout(Duration::from_secs(10)).expect("finished");
    }
}
