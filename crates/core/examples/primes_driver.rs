//! Times the prime sieve outside Node, for tuning:
//!
//!   cargo run --release --example primes_driver -- list|count MAX [CALLS] [GAP_MS]
//!
//! Runs `CALLS` calls (default 5) of `primes_below(MAX)` or `count_below(MAX)` on the
//! shared pool, sleeping `GAP_MS` (default 0) between calls, and prints each call's
//! wall time with the process's user and system CPU time for it. A listed vector is
//! dropped (or, with recycling, returned to the pool) before the gap.

use std::time::{Duration, Instant};

use corepool_core::primes;
use corepool_core::CancelFlag;

fn cpu_times() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let tick = 100.0;
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / tick
    };
    (get(11), get(12))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map_or("list", String::as_str).to_owned();
    let max: u64 = args
        .get(1)
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(1_000_000_000, |v| v as u64);
    let calls: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(5);
    let gap: u64 = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(0);
    let pool = corepool_core::pool::pool().expect("thread pool");
    for call in 0..calls {
        let (u0, s0) = cpu_times();
        let start = Instant::now();
        let n = pool.install(|| match mode.as_str() {
            "count" => primes::count_below(max, &CancelFlag::new()).expect("count"),
            _ => {
                let list = primes::primes_below(max, &CancelFlag::new()).expect("list");
                let n = list.len() as u64;
                primes::recycle(list);
                n
            }
        });
        let wall = start.elapsed().as_secs_f64();
        let (u1, s1) = cpu_times();
        println!(
            "call {call}: {:.1} ms  user {:.0} ms  sys {:.0} ms  n {n}",
            wall * 1e3,
            (u1 - u0) * 1e3,
            (s1 - s0) * 1e3
        );
        if gap > 0 && call + 1 < calls {
            std::thread::sleep(Duration::from_millis(gap));
        }
    }
}
