//! [`ThreadLocalPool`]: one handle, a separate single-threaded pool per thread.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::Arc;

use thread_local::ThreadLocal;

use crate::builder::{FactorySource, Hooks, PoolBuilder, PoolKind, ResetSource};
use crate::config::{Config, Kind};
use crate::error::{BuildError, PoolError};
use crate::guard::{Home, Pooled};
use crate::pool::local::{LocalCore, SharedEnv};
use crate::reset::Reset;
use crate::stats::{Counter, PoolStats};

/// A pool whose storage is per thread: each thread that allocates gets its own pool of
/// `capacity` objects (growing too, if configured), so threads never contend. Each part takes
/// one uncontended atomic swap per operation: a guard kept in a thread-local that is destroyed
/// late can come back after its thread's part was handed to a new thread, and the swap makes
/// that safe.
///
/// The handle is `Send + Sync`, so it can live in a `static` or be shared by reference. Guards
/// are not `Send`: an object goes back to the thread it came from. When a thread exits, the
/// idle objects of its part of the pool are dropped; when the pool is dropped, every thread's
/// objects are.
///
/// `capacity()`, `in_use()`, `idle()` and `available()` describe the calling thread's part;
/// `stats()` sums every thread's counters.
///
/// # Examples
///
/// ```
/// use fastalloc_core::ThreadLocalPool;
///
/// let pool: ThreadLocalPool<Vec<f32>> = ThreadLocalPool::new(4).unwrap();
/// std::thread::scope(|s| {
///     for _ in 0..2 {
///         s.spawn(|| {
///             let mut scratch = pool.allocate().unwrap();
///             scratch.extend([1.0, 2.0]);
///             assert_eq!(pool.in_use(), 1); // this thread's part only
///         });
///     }
/// });
/// assert_eq!(pool.stats().allocations, 2);
/// ```
pub struct ThreadLocalPool<T: Send> {
    shared: Arc<Shared<T>>,
}

struct Shared<T: Send> {
    env: Arc<SharedEnv<T>>,
    config: Config,
    locals: ThreadLocal<PerThread<T>>,
}

/// One thread's part of the pool.
struct PerThread<T> {
    core: LocalCore<T, Arc<SharedEnv<T>>>,
    /// The owning thread has not registered its exit hook yet: true for a new entry, and set
    /// again by the hook, because the `thread_local` crate gives an exited thread's entry to
    /// the next new thread.
    hook_pending: std::sync::atomic::AtomicBool,
}

// SAFETY: a `PerThread` owns objects of type `T`, so moving it needs `T: Send`. It is used by
// its owning thread, and by another one in two cases: the pool is dropped (with `&mut`), or the
// `thread_local` crate hands an exited thread's entry to a new thread while a guard of the old
// thread is still out (kept in a thread-local destroyed late). The slab is guarded by the
// core's `SpinFlag` for that case, and the counters and `hook_pending` are atomics.
unsafe impl<T: Send> Send for PerThread<T> {}
// SAFETY: as above; other threads also read the counters through `ThreadLocal::iter`.
unsafe impl<T: Send> Sync for PerThread<T> {}

/// Work to do when the current thread exits, for one pool it used: drop that thread's idle
/// objects.
struct ExitHook {
    /// Whether the pool still exists (a dropped pool's hook is pruned, see `ExitHooks::push`).
    alive: Box<dyn Fn() -> bool>,
    run: Box<dyn FnOnce()>,
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
        for hook in std::mem::take(self.hooks.get_mut()) {
            (hook.run)();
        }
    }
}

std::thread_local! {
    static EXIT_HOOKS: ExitHooks = const {
        ExitHooks { hooks: RefCell::new(Vec::new()), pruned_len: Cell::new(0) }
    };
}

impl<T: Send> PoolKind for ThreadLocalPool<T> {
    type Item = T;
}

impl<T: Send + Default + Reset + 'static> ThreadLocalPool<T> {
    /// A pool of `capacity` objects per thread, built on demand with `Default` and reset with
    /// [`Reset`].
    ///
    /// # Errors
    ///
    /// [`BuildError::ZeroCapacity`] for 0, [`BuildError::CapacityTooLarge`] if the slots do
    /// not fit in memory.
    pub fn new(capacity: usize) -> Result<Self, BuildError> {
        Self::builder().capacity(capacity).build()
    }
}

impl<T: Send + 'static> ThreadLocalPool<T> {
    /// A builder for a thread-local pool (each thread's part is fixed unless `growth` or
    /// `max_capacity` is given).
    pub fn builder() -> PoolBuilder<Self> {
        PoolBuilder::new()
    }

    fn from_parts(config: Config, hooks: Hooks<T>) -> Self {
        let shared = Shared {
            env: Arc::new(SharedEnv::new(hooks)),
            config,
            locals: ThreadLocal::new(),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// The calling thread's part, made (and its exit hook registered) on first use.
    #[inline]
    fn local(&self) -> Result<&LocalCore<T, Arc<SharedEnv<T>>>, PoolError> {
        match self.shared.locals.get() {
            Some(local)
                if !local
                    .hook_pending
                    .load(std::sync::atomic::Ordering::Relaxed) =>
            {
                Ok(&local.core)
            }
            _ => self.local_slow(),
        }
    }

    #[cold]
    fn local_slow(&self) -> Result<&LocalCore<T, Arc<SharedEnv<T>>>, PoolError> {
        self.shared
            .locals
            .get_or_try(|| {
                let core = LocalCore::new(self.shared.config, Arc::clone(&self.shared.env))?;
                Ok::<_, BuildError>(PerThread {
                    core,
                    hook_pending: std::sync::atomic::AtomicBool::new(true),
                })
            })
            .map_err(|_| PoolError::Exhausted {
                capacity: self.shared.config.capacity,
            })?;
        // Look the entry up again rather than keep the reference `get_or_try` returns: that
        // one is derived from the `&mut` the `thread_local` crate used to write the entry, and
        // Miri (Stacked Borrows) invalidates it at the next write through another reference.
        let local = self
            .shared
            .locals
            .get()
            .expect("the entry was just inserted");
        if local
            .hook_pending
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            let pool = Arc::downgrade(&self.shared);
            let alive = pool.clone();
            let local_ptr: *const PerThread<T> = local;
            let run = Box::new(move || {
                if let Some(pool) = pool.upgrade() {
                    // SAFETY: `ThreadLocal` keeps each entry at a fixed address until it is
                    // dropped, and the upgraded `Arc` keeps it alive. This hook runs as this
                    // thread exits, and the `thread_local` crate hands the entry to another
                    // thread only after this thread's id is released, which (thread-local
                    // destructors running in reverse order of registration) happens after this
                    // hook, registered later than that id.
                    let local = unsafe { &*local_ptr };
                    local.core.drop_idle();
                    local
                        .hook_pending
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    drop(pool);
                }
            });
            let hook = ExitHook {
                alive: Box::new(move || alive.strong_count() > 0),
                run,
            };
            // If the thread is already tearing down its thread-locals the hook cannot be
            // registered; the objects are then dropped with the pool instead.
            if EXIT_HOOKS.try_with(|hooks| hooks.push(hook)).is_ok() {
                local
                    .hook_pending
                    .store(false, std::sync::atomic::Ordering::Relaxed);
            }
        }
        Ok(&local.core)
    }

    /// Lends an object from the calling thread's part of the pool.
    ///
    /// # Errors
    ///
    /// [`PoolError::Exhausted`] when this thread's objects are all lent and its part cannot
    /// grow; [`PoolError::Closed`] after [`close`](Self::close).
    ///
    /// # Panics
    ///
    /// If the factory panics, the panic propagates; the pool stays consistent.
    #[inline]
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub fn allocate(&self) -> Result<Pooled<'_, T>, PoolError> {
        let core = self.local()?;
        let slot = core.allocate()?;
        Ok(Pooled::new(slot, Home::PerThread(core)))
    }

    /// The calling thread's capacity (the configured one if it has not allocated yet).
    pub fn capacity(&self) -> usize {
        self.shared
            .locals
            .get()
            .map_or(self.shared.config.capacity, |l| l.core.capacity())
    }

    /// Objects this thread has lent and not yet returned.
    pub fn in_use(&self) -> usize {
        self.shared.locals.get().map_or(0, |l| l.core.in_use())
    }

    /// How many more allocations succeed on this thread before its part must grow or report
    /// exhaustion.
    pub fn available(&self) -> usize {
        self.shared
            .locals
            .get()
            .map_or(self.shared.config.capacity, |l| l.core.available())
    }

    /// Constructed objects waiting in this thread's part.
    pub fn idle(&self) -> usize {
        self.shared.locals.get().map_or(0, |l| l.core.idle())
    }

    /// Statistics summed over every thread that used the pool. `capacity` is the sum of the
    /// threads' capacities and `peak_in_use` the sum of their peaks.
    pub fn stats(&self) -> PoolStats {
        let mut stats = PoolStats::default();
        for local in self.shared.locals.iter() {
            let counters = &local.core.stats;
            counters.add_to(&mut stats);
            let mut capacity = self.shared.config.capacity;
            for _ in 0..counters.growths.get() {
                capacity = self.shared.config.grown(capacity).unwrap_or(capacity);
            }
            stats.capacity += capacity;
        }
        stats.idle = (stats.created)
            .saturating_sub(stats.detached + stats.discarded + stats.in_use as u64)
            as usize;
        stats
    }

    /// Closes the pool for every thread: `allocate` returns [`PoolError::Closed`] from now on.
    /// The calling thread's idle objects are dropped now, other threads' when they exit or
    /// when the pool is dropped; objects still lent are dropped when their guards return them.
    pub fn close(&self) {
        if let Some(local) = self.shared.locals.get() {
            local.core.close();
        } else {
            crate::pool::local::Env::set_closed(&self.shared.env);
            self.shared.env.hooks.check_closed();
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.shared.env.is_closed()
    }
}

impl<T, F, R> PoolBuilder<ThreadLocalPool<T>, F, R>
where
    T: Send + 'static,
    F: FactorySource<T>,
    R: ResetSource<T>,
{
    /// Builds the pool. Each thread's part is made on that thread's first `allocate` (and,
    /// with `preallocate(true)`, filled then).
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming the setting to change: no or zero capacity, a maximum below the
    /// capacity, a growth step of 0 or factor of at most 1.0, or a capacity too large.
    pub fn build(self) -> Result<ThreadLocalPool<T>, BuildError> {
        let (settings, hooks) = self.into_parts();
        let config = settings.check::<T>(Kind::Either)?;
        Ok(ThreadLocalPool::from_parts(config, hooks))
    }
}

impl<T: Send + 'static> fmt::Debug for ThreadLocalPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadLocalPool")
            .field("capacity_per_thread", &self.shared.config.capacity)
            .field("stats", &self.stats())
            .field("closed", &self.is_closed())
            .finish()
    }
}
