//! Per-thread state of the per-thread pools (`ThreadLocalPool`'s parts, `ThreadSafePool`'s
//! caches): the calling thread's number, what to do when it exits, and whether it is exiting.
//!
//! # Thread numbers
//!
//! Each thread that uses a per-thread pool gets a small number from [`current`]: the smallest
//! one free, so a pool's [`Table`] stays as small as the number of threads alive at once. A
//! thread keeps its number until its [`ThreadState`] (a thread-local with a destructor,
//! registered on the thread's first call to [`current`]) is destroyed, and the number is then
//! reused by the next new thread, which inherits the entries the old thread left in every
//! table (the `thread_local` crate's scheme; this module replaces that crate).
//!
//! # Thread exit
//!
//! A thread exits by running the destructors of its thread-locals, in an order nobody
//! controls. Code in one of them (a guard kept in a thread-local) may give back an object at
//! any point of that. The rule that keeps every point safe: [`ThreadState`]'s destructor sets
//! the exit flag ([`is_exiting`]) first, then runs the thread's [`ExitHook`]s (flush a cache,
//! drop idle objects), and only then frees the number. Before the flag is set, the number and
//! the thread's entries are still its own, whatever other destructors already ran; after it,
//! [`current`] returns `None` and the pools take their exiting-thread paths, which touch no
//! per-thread entry. The flag is a `const` thread-local without a destructor, so it can be read
//! at any point of a thread's life, teardown included. (With the `thread_local` crate the
//! number was freed by the crate's own destructor, which could run before ours: that aborted
//! the process, issue 12.)
//!
//! The module also keeps, per thread, the last pool of each per-thread kind that the thread
//! used and its entry there ([`Recent`]): one thread-local read instead of a table lookup on
//! every allocation. The exit flag clears both records first, so a hit also means that the
//! thread is not exiting.

mod table;

pub(crate) use table::Table;

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::sync::{global, thread_local, AtomicU64, LocalKey, Mutex, Ordering};

/// Work to do when the current thread exits, for one pool it used.
pub(crate) struct ExitHook {
    /// Whether the pool still exists (a dropped pool's hook is pruned, see `ThreadState::push`).
    pub(crate) alive: Box<dyn Fn() -> bool>,
    pub(crate) run: Box<dyn FnOnce()>,
}

/// The hand-out of thread numbers: the smallest free one first.
struct Numbers {
    next: usize,
    free: BinaryHeap<Reverse<usize>>,
}

global! {
    static NUMBERS: Mutex<Numbers> = Mutex::new(Numbers { next: 0, free: BinaryHeap::new() });
}

/// No number yet.
const UNNUMBERED: usize = usize::MAX;

/// The calling thread's number and exit hooks.
struct ThreadState {
    number: Cell<usize>,
    hooks: RefCell<Vec<ExitHook>>,
    /// The length after the last pruning: a thread that makes and drops many pools prunes
    /// the dead hooks whenever the list has doubled since, so it keeps a bounded amount.
    pruned_len: Cell<usize>,
}

impl ThreadState {
    fn number(&self) -> usize {
        let number = self.number.get();
        if number != UNNUMBERED {
            return number;
        }
        let mut numbers = NUMBERS.lock();
        let number = if let Some(Reverse(number)) = numbers.free.pop() {
            number
        } else {
            numbers.next += 1;
            numbers.next - 1
        };
        drop(numbers);
        assert!(number <= table::MAX_NUMBER, "too many threads at once");
        self.number.set(number);
        number
    }

    fn push(&self, hook: ExitHook) {
        let mut hooks = self.hooks.borrow_mut();
        if hooks.len() >= 2 * self.pruned_len.get().max(8) {
            hooks.retain(|hook| (hook.alive)());
            self.pruned_len.set(hooks.len());
        }
        hooks.push(hook);
    }
}

impl ThreadState {
    /// What the thread's exit does for its pools: the exit flag, the hooks, the number.
    fn exit(&self) {
        // Under loom the other thread-locals may be gone already: `try_with` everywhere.
        let _ = EXITING.try_with(|exiting| exiting.set(true));
        let _ = RECENT_LOCAL.try_with(Recent::clear);
        let _ = RECENT_SHARED.try_with(Recent::clear);
        let hooks = std::mem::take(&mut *self.hooks.borrow_mut());
        for hook in hooks {
            // A panic cannot go anywhere from here (unwinding out of a thread-local's
            // destructor aborts the process); the hooks report their own panics, so this
            // only keeps one failing hook from skipping the others.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(hook.run));
        }
        let number = self.number.replace(UNNUMBERED);
        if number != UNNUMBERED {
            NUMBERS.lock().free.push(Reverse(number));
        }
    }
}

impl Drop for ThreadState {
    fn drop(&mut self) {
        self.exit();
    }
}

/// Runs the calling thread's exit now, for loom models. loom destroys a simulated thread's
/// thread-locals after the thread is done, and the main thread's while it shuts a run down,
/// when loom's objects can no longer be touched; so every simulated thread of the models ends
/// by calling this (`tests::model` and `tests::spawn`), and the destructor finds nothing left
/// to do.
#[cfg(all(loom, test))]
pub(crate) fn exit_current_thread() {
    THREAD.with(ThreadState::exit);
}

thread_local! {
    /// Set when the thread starts tearing down its pools' per-thread state (never unset).
    static EXITING: Cell<bool> = const { Cell::new(false) };
    static THREAD: ThreadState = const {
        ThreadState {
            number: Cell::new(UNNUMBERED),
            hooks: RefCell::new(Vec::new()),
            pruned_len: Cell::new(0),
        }
    };
    /// The last `ThreadLocalPool` this thread used, and its part there.
    static RECENT_LOCAL: Recent = const { Recent::new() };
    /// The last `ThreadSafePool` this thread used, and its cache there.
    static RECENT_SHARED: Recent = const { Recent::new() };
}

/// The calling thread's number, or `None` once it is exiting (see the module docs).
#[inline]
pub(crate) fn current() -> Option<usize> {
    if is_exiting() {
        return None;
    }
    THREAD.try_with(ThreadState::number).ok()
}

/// Runs `hook` when the calling thread exits (after setting the exit flag). Returns `false`,
/// dropping the hook, if the thread is already exiting.
pub(crate) fn at_exit(hook: ExitHook) -> bool {
    !is_exiting() && THREAD.try_with(move |state| state.push(hook)).is_ok()
}

/// Whether the calling thread is exiting: its pools' per-thread entries must not be used any
/// more. One read of a thread-local without a destructor, so it is cheap and always allowed.
#[inline]
pub(crate) fn is_exiting() -> bool {
    // A `const` thread-local without a destructor is never destroyed: `with` cannot fail
    // (and `try_with`'s error path cost the inlined releases their inlining).
    #[cfg(not(loom))]
    return EXITING.with(Cell::get);
    // loom destroys every thread-local of a finished simulated thread.
    #[cfg(loom)]
    return EXITING.try_with(Cell::get).unwrap_or(true);
}

/// Which pool kind's [`Recent`] entry to use.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// `ThreadLocalPool`: the entry is the thread's part.
    ThreadLocal,
    /// `ThreadSafePool`: the entry is the thread's cache.
    ThreadSafe,
}

impl Kind {
    fn key(self) -> &'static LocalKey<Recent> {
        match self {
            Kind::ThreadLocal => &RECENT_LOCAL,
            Kind::ThreadSafe => &RECENT_SHARED,
        }
    }
}

/// A pool's unique id, never reused in the process (0 is never given out).
///
/// Ids start at 1 (0 is the empty record's) and never reach [`NO_POOL`] (it would take
/// 2^64 pools).
pub(crate) fn new_pool_id() -> u64 {
    global! {
        static NEXT: AtomicU64 = AtomicU64::new(1);
    }
    NEXT.fetch_add(1, Ordering::Relaxed)
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
    kind.key()
        .try_with(|recent| (recent.pool.get() == id).then(|| recent.entry.get()))
        .ok()
        .flatten()
}

/// Records `entry` as the calling thread's entry in pool `id` (see [`recent`]). Call it only
/// with the entry of the thread's number from [`current`].
pub(crate) fn remember(kind: Kind, id: u64, entry: *const ()) {
    let _ = kind.key().try_with(|recent| {
        recent.pool.set(id);
        recent.entry.set(entry);
    });
}
