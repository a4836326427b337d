//! The Node binding of corepool: thin glue over `corepool-core`. It converts JS
//! values in (`js`), starts the work on the shared pool and settles the promise
//! (`task`), and converts results and failures out (`images`, `primes`, `options`).
//! No image or sieve logic lives here.
//!
//! The crate has no tests of its own (`test = false`: the Node tests exercise it), so
//! `cargo test` never compiles napi code. `cargo clippy --all-targets` still checks it
//! in test configuration, where napi-derive leaves out the registration that uses
//! every `#[napi]` item; hence the one allowance below.
#![cfg_attr(test, allow(dead_code))]

#[macro_use]
extern crate napi_derive;

mod hooks;
mod images;
mod js;
mod limits;
mod options;
mod pool;
mod primes;
mod task;
