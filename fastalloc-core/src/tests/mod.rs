//! Loom models of the concurrent paths, run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p fastalloc-core --lib --release loom`.

#[cfg(loom)]
mod loom_thread_safe;

#[cfg(all(loom, feature = "async"))]
mod loom_async;
