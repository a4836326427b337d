//! corepool: CPU-heavy work for Node.js on every core, off the JS thread.
//!
//! The pure logic lives in modules that never touch napi ([`primes`], [`cancel`]), so
//! `cargo test` covers it; [`binding`] is the thin napi layer over them.

pub mod cancel;
pub mod error;
pub mod image;
pub mod pool;
pub mod primes;
pub mod validate;

#[macro_use]
extern crate napi_derive;

mod binding;
