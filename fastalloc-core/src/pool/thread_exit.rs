//! What the per-thread pools need to know about the calling thread's exit: hooks to run when it
//! exits (a `ThreadLocalPool` drops the thread's idle objects), and whether it is exiting now.
//!
//! A thread exits by running the destructors of its thread-locals. The `thread_local` crate,
//! which the per-thread pools use to find the calling thread's storage, frees the thread's id in
//! one of them; after that, `ThreadLocal::get` on the exiting thread panics (it would register a
//! new id during teardown), and the thread's entries can be handed to a new thread. Code that
//! runs in a later destructor (a guard kept in a thread-local) must therefore not look up or
//! touch per-thread storage any more.
//!
//! [`watch`] registers this module's own thread-local destructor, which sets the flag that
//! [`is_exiting`] reads and then runs the hooks. Every pool calls it only after its first
//! `ThreadLocal::get` on the thread, which is where the crate registers its destructor; as
//! thread-local destructors run in reverse order of registration, ours runs first, so the flag
//! is set before the id is freed. The flag itself is a `const` thread-local without a
//! destructor, which can be read at any point of a thread's life, teardown included.
//!
//! The module also keeps, per thread, the last pool of each per-thread kind that the thread
//! used and its entry there ([`Recent`]): one thread-local read instead of the `thread_local`
//! crate's lookup on every allocation. The exit flag clears both, so a hit also means that the
//! thread is not exiting.

use std::cell::{Cell, RefCell};

/// Work to do when the current thread exits, for one pool it used.
pub(crate) struct ExitHook {
    /// Whether the pool still exists (a dropped pool's hook is pruned, see `ExitHooks::push`).
    pub(crate) alive: Box<dyn Fn() -> bool>,
    pub(crate) run: Box<dyn FnOnce()>,
}

/// The exit hooks of the current thread.
struct ExitHooks {
    hooks: RefCell<Vec<ExitHook>>,
    /// The length after the last pruning: a thread that makes and drops many pools prunes
    /// the dead hooks whenever the list has doubled since, so it keeps a bounded amount.
    pruned_len: Cell<usize>,
}

impl ExitHooks {
    fn push(&self, hook: ExitHook) {
        let mut hooks = self.hooks.borrow_mut();
        if hooks.len() >= 2 * self.pruned_len.get().max(8) {
            hooks.retain(|hook| (hook.alive)());
            self.pruned_len.set(hooks.len());
        }
        hooks.push(hook);
    }
}

impl Drop for ExitHooks {
    fn drop(&mut self) {
        EXITING.with(|exiting| exiting.set(true));
        RECENT_LOCAL.with(Recent::clear);
        RECENT_SHARED.with(Recent::clear);
        for hook in std::mem::take(self.hooks.get_mut()) {
            (hook.run)();
        }
    }
}

std::thread_local! {
    /// Set when the thread starts tearing down its pools' per-thread state (never unset).
    static EXITING: Cell<bool> = const { Cell::new(false) };
    static EXIT_HOOKS: ExitHooks = const {
        ExitHooks { hooks: RefCell::new(Vec::new()), pruned_len: Cell::new(0) }
    };
    /// The last `ThreadLocalPool` this thread used, and its part there.
    static RECENT_LOCAL: Recent = const { Recent::new() };
    /// The last `ThreadSafePool` this thread used, and its cache there.
    static RECENT_SHARED: Recent = const { Recent::new() };
}

/// Which pool kind's [`Recent`] entry to use.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// `ThreadLocalPool`: the entry is the thread's part.
    ThreadLocal,
    /// `ThreadSafePool`: the entry is the thread's cache.
    ThreadSafe,
}

/// A pool's unique id, never reused in the process (0 is never given out).
///
/// Ids start at 1 (0 is the empty record's) and never reach [`NO_POOL`] (it would take
/// 2^64 pools).
pub(crate) fn new_pool_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// An id that matches no record, not even the empty one: a lazy pool's before it is built.
pub(crate) const NO_POOL: u64 = u64::MAX;

/// The last pool of one kind the thread used (by id) and its entry for this thread there.
pub(crate) struct Recent {
    pool: Cell<u64>,
    entry: Cell<*const ()>,
}

impl Recent {
    const fn new() -> Self {
        Self {
            pool: Cell::new(0),
            entry: Cell::new(std::ptr::null()),
        }
    }

    fn clear(&self) {
        self.pool.set(0);
    }
}

/// The entry recorded by [`remember`] for the pool `id`, if it is the last pool of its kind
/// that the calling thread used, and the thread is not exiting.
///
/// The pointer stays valid for as long as the pool lives: ids are never reused, a pool's
/// per-thread entries stay at one address until it is dropped, and an entry belongs to its
/// thread until the thread exits, which clears this record first.
#[inline]
pub(crate) fn recent(kind: Kind, id: u64) -> Option<*const ()> {
    #[cfg(loom)]
    {
        // Loom's simulated threads share one OS thread, and so its thread-locals.
        let _ = (kind, id);
        None
    }
    #[cfg(not(loom))]
    {
        let read = |recent: &Recent| (recent.pool.get() == id).then(|| recent.entry.get());
        match kind {
            Kind::ThreadLocal => RECENT_LOCAL.with(read),
            Kind::ThreadSafe => RECENT_SHARED.with(read),
        }
    }
}

/// Records `entry` as the calling thread's entry in pool `id` (see [`recent`]). Call it only
/// when the thread is not exiting, after [`watch`] succeeded.
pub(crate) fn remember(kind: Kind, id: u64, entry: *const ()) {
    let write = |recent: &Recent| {
        recent.pool.set(id);
        recent.entry.set(entry);
    };
    match kind {
        Kind::ThreadLocal => RECENT_LOCAL.with(write),
        Kind::ThreadSafe => RECENT_SHARED.with(write),
    }
}

/// Whether the calling thread is exiting: its pools' per-thread storage must not be used any
/// more. One read of a thread-local without a destructor, so it is cheap and always allowed.
#[inline]
pub(crate) fn is_exiting() -> bool {
    // Loom's simulated threads share one OS thread, whose exit the models never reach.
    #[cfg(loom)]
    return false;
    #[cfg(not(loom))]
    EXITING.with(Cell::get)
}

/// Makes sure the exit flag will be set when the calling thread exits. Call it after the first
/// `ThreadLocal::get` of the thread (see the module docs). Returns whether it could (it cannot
/// once the thread is tearing down its thread-locals; the flag is then already set).
pub(crate) fn watch() -> bool {
    EXIT_HOOKS.try_with(|_| ()).is_ok()
}

/// Runs `hook` when the calling thread exits (after setting the exit flag). Returns `false`,
/// dropping the hook, if the thread is already tearing down its thread-locals.
pub(crate) fn at_exit(hook: ExitHook) -> bool {
    EXIT_HOOKS.try_with(move |hooks| hooks.push(hook)).is_ok()
}
