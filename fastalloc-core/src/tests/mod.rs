//! Loom models of the concurrent paths, run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p fastalloc-core --lib --release loom`.
#![allow(clippy::disallowed_types)] // the models' own tallies are plain `std`, not modelled

#[cfg(loom)]
mod loom_biased;
#[cfg(loom)]
mod loom_static;
#[cfg(loom)]
mod loom_thread_local;
#[cfg(loom)]
mod loom_thread_safe;

#[cfg(all(loom, feature = "async"))]
mod loom_async;

/// `loom::model` for the models of this crate: runs `f`, then the main simulated thread's exit
/// (see `per_thread::exit_current_thread`).
#[cfg(loom)]
fn model(f: impl Fn() + Sync + Send + 'static) {
    loom::model(move || {
        f();
        crate::per_thread::exit_current_thread();
    });
}

/// `loom::thread::spawn` for the models: the thread's exit (hooks, number freed) runs at the
/// end of its closure, so `join` waits for it too.
#[cfg(loom)]
fn spawn<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> loom::thread::JoinHandle<R> {
    loom::thread::spawn(move || {
        let result = f();
        crate::per_thread::exit_current_thread();
        result
    })
}
