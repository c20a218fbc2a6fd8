//! The model-based tests' shared code: `model.rs`, what a pool must do, and `driver.rs`, which
//! runs a pool and the model side by side. `tests/model.rs` (proptest) and the fuzz target
//! `fuzz/fuzz_targets/pool_ops.rs` (cargo-fuzz, which includes this folder with `#[path]`) only
//! choose the settings and operations.
#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod driver;
pub mod model;
