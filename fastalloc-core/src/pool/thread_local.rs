//! [`ThreadLocalPool`]: one handle, a separate single-threaded pool per thread.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use crate::builder::{FactorySource, Hooks, PoolBuilder, PoolKind, ResetSource};
use crate::config::{Config, Kind};
use crate::error::{BuildError, PoolError};
use crate::guard::{kind, Home, LocalPooled, StaysOnItsThread};
use crate::per_thread::{self, ExitHook, Table};
use crate::pool::local::{LocalCore, PartEnv, SharedEnv};
use crate::registry::{self, Registration, View};
use crate::reset::Reset;
use crate::slab::Slot;
use crate::stats::PoolStats;
use crate::sync::{fence, Arc, AtomicU64, AtomicU8, AtomicUsize, Mutex, OnceLock, Ordering};

/// A pool whose storage is per thread: each thread that allocates gets its own pool of
/// `capacity` objects (growing too, if configured), so threads never contend: an allocation
/// or a release uses no lock and no atomic read-modify-write.
///
/// The handle is `Send + Sync`, so it can live in a `static` or be shared by reference. Guards
/// are not `Send`: an object goes back to the thread it came from. When a thread exits, the
/// idle objects of its part of the pool are dropped; when the pool is dropped, every thread's
/// objects are.
///
/// `capacity()`, `in_use()`, `idle()` and `available()` describe the calling thread's part;
/// `stats()` sums every thread's counters.
///
/// A thread that is exiting (running the destructors of its thread-locals) has no part any
/// more: `allocate` returns [`PoolError::ThreadExiting`] there, and a guard dropped there (kept
/// in a thread-local) drops its object instead of keeping it, which `stats()` counts as
/// discarded.
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
    /// `shared.id`, copied here to save a load on every `allocate` (`NO_POOL` until a lazy
    /// pool is built: no thread's record matches it, so `allocate` takes its slow path).
    id: AtomicU64,
    built: OnceLock<Built<T>>,
    /// Builds the pool on first use, for a pool made by [`lazy`](Self::lazy).
    init: Option<fn() -> ThreadLocalPool<T>>,
}

/// A built pool: what a lazy one gets from its `init` on first use.
struct Built<T: Send> {
    /// The pool's place in the registry, if it is named. Here rather than in `Shared`: it must
    /// drop first, before the `Arc` does (whose last drop takes `&mut Shared`), and `Shared`
    /// may outlive the handle for a moment in a thread's exit hook. Declared first, so dropped
    /// first.
    named: Option<Registration>,
    shared: Arc<Shared<T>>,
}

struct Shared<T: Send> {
    /// This pool's id for `per_thread::recent`.
    id: u64,
    env: Arc<SharedEnv<T>>,
    config: Config,
    locals: Table<PerThread<T>>,
}

impl<T: Send> Shared<T> {
    /// `ThreadLocalPool::stats`: any thread may call it.
    fn stats(&self) -> PoolStats {
        let mut stats = PoolStats::default();
        for local in self.locals.iter() {
            let counters = &local.core.stats;
            counters.add_to(&mut stats);
            // Slots parked by guards dropped on an exiting thread, not taken back yet.
            let (released, detached) = local.late_counts();
            stats.releases += released;
            stats.discarded += released;
            stats.detached += detached;
            stats.in_use = stats.in_use.saturating_sub((released + detached) as usize);
            // Written by the owner when the part grows or shrinks.
            stats.capacity += local.core.env.capacity();
        }
        stats.derive_idle();
        stats
    }
}

/// What the registry reads of a named `ThreadLocalPool`: its `Shared`, in its `Arc`, as
/// `stats()` reads it (each part's counters, atomics, and its late slots, under their lock).
struct ThreadLocalView<T: Send>(*const Shared<T>);

impl<T: Send> View for ThreadLocalView<T> {
    unsafe fn stats(&self) -> PoolStats {
        // SAFETY: the pool is alive (the caller's promise), and its `Shared` has stayed in its
        // `Arc`, which the handle keeps until the registration has dropped (see `Built`).
        // `Shared` is `Sync`.
        unsafe { &*self.0 }.stats()
    }
}

/// One thread's part of the pool.
///
/// Only the owning thread touches its core's slab. Other threads read its counters (relaxed
/// atomics) for `stats`, and a guard dropped while its thread is exiting does not touch the
/// slab: once the exit flag is set, the thread's number, and with it this part, may be handed
/// to a new thread (see `per_thread`). It drops its object and parks the empty slot in `late`,
/// which the owner takes back on its next visit.
///
/// Aligned to its own cache lines: a [`Table`] stores the parts of several threads side by
/// side, and two threads writing neighbouring parts would slow each other down (false
/// sharing).
#[repr(align(128))]
pub(crate) struct PerThread<T> {
    core: LocalCore<T, PartEnv<T>>,
    /// `HOOK_PENDING | RETURNED_LATE | CLOSED | TRIM` bits: work for the owner's next slow
    /// path. The fast paths read it with one relaxed load.
    attention: AtomicU8,
    /// What another thread's `trim` or `trim_unused` asked of this part (see
    /// [`TrimRequest`]), done by the owner when it next uses the pool.
    trim_request: AtomicUsize,

    /// Slots given back by guards dropped while their thread was exiting.
    late: Mutex<Vec<Late<T>>>,
}

/// The owning thread has not registered its exit hook yet: true for a new entry, and set
/// again by the hook, because an exited thread's number and entries go to the next new
/// thread.
const HOOK_PENDING: u8 = 1;
/// `late` may hold slots.
const RETURNED_LATE: u8 = 2;
/// The pool is closed. Set on every part by `close` (and by a part made meanwhile), so that
/// the fast paths learn of the closing from the byte they read anyway.
const CLOSED: u8 = 4;
/// `trim_request` holds a request.
const TRIM: u8 = 8;

/// A trim asked of another thread's part, packed into `PerThread::trim_request`: 0 for none,
/// 1 for `trim_unused`, `keep + 2` for `trim(keep)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrimRequest {
    Unused,
    Keep(usize),
}

impl TrimRequest {
    fn encode(self) -> usize {
        match self {
            TrimRequest::Unused => 1,
            TrimRequest::Keep(keep) => keep.saturating_add(2),
        }
    }

    fn decode(word: usize) -> Option<Self> {
        match word {
            0 => None,
            1 => Some(TrimRequest::Unused),
            keep => Some(TrimRequest::Keep(keep - 2)),
        }
    }
}

/// A slot given back while its thread was exiting: the object in it is gone.
struct Late<T> {
    slot: Slot<T>,
    /// Moved out by `LocalPooled::detach` (else dropped: counted as a discarded release).
    detached: bool,
}

// SAFETY: a `PerThread` owns objects of type `T`, so moving it needs `T: Send`. Its slab is
// only used by the owning thread (see the type's docs); the counters and `attention` are
// atomics, and `late` is behind a mutex.
unsafe impl<T: Send> Send for PerThread<T> {}
// SAFETY: as above; other threads read the counters through `ThreadLocal::iter` and park late
// slots through `late`.
unsafe impl<T: Send> Sync for PerThread<T> {}

impl<T> PerThread<T> {
    /// Takes back a lent object.
    ///
    /// # Safety
    ///
    /// As for `LocalCore::release`: `slot` was lent by this part and is handed back once.
    #[inline]
    pub(crate) unsafe fn release(&self, slot: Slot<T>) {
        // One branch for every rare case keeps this small enough to inline into the guard.
        if per_thread::is_exiting() || self.attention.load(Ordering::Relaxed) != 0 {
            // SAFETY: forwarded from the caller.
            unsafe { self.release_rare(slot) };
        } else {
            // SAFETY: forwarded from the caller; the calling thread owns this part, and the
            // pool is open. A reset that closes the pool flags this part too (`close`).
            unsafe {
                self.core.release_open(slot, || {
                    self.attention.load(Ordering::Relaxed) & CLOSED != 0
                });
            }
        }
    }

    /// The release of a guard whose thread is exiting, or into a closed pool.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release).
    #[cold]
    #[inline(never)]
    unsafe fn release_rare(&self, slot: Slot<T>) {
        if per_thread::is_exiting() {
            // SAFETY: forwarded from the caller.
            unsafe { self.release_late(slot, false) };
        } else {
            // SAFETY: forwarded from the caller; the calling thread owns this part. (Other
            // attention bits are the owner's business on its next allocation.)
            unsafe { self.core.release(slot) };
            self.trim_if_asked();
        }
    }

    /// Moves a lent object out for good.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release).
    pub(crate) unsafe fn detach(&self, slot: Slot<T>) -> T {
        if per_thread::is_exiting() {
            // SAFETY: the caller hands over a constructed object; the slot is empty afterwards
            // and is parked as detached, never dropped.
            let value = unsafe { slot.take() };
            // SAFETY: forwarded from the caller.
            unsafe { self.release_late(slot, true) };
            value
        } else {
            // SAFETY: forwarded from the caller; the calling thread owns this part.
            unsafe { self.core.detach(slot) }
        }
    }

    /// The release of a guard whose thread is exiting: drop the object (unless `detached`) and
    /// park the slot for the owner, without touching the slab.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release); with `detached`, the object was moved out already.
    #[cold]
    pub(crate) unsafe fn release_late(&self, slot: Slot<T>, detached: bool) {
        /// Parks the slot even if the object's `Drop` panics.
        struct Park<'a, T>(&'a PerThread<T>, Late<T>);

        impl<T> Drop for Park<'_, T> {
            fn drop(&mut self) {
                let late = Late { ..self.1 };
                self.0.late.lock().push(late);
                self.0.attention.fetch_or(RETURNED_LATE, Ordering::Release);
            }
        }

        crate::pool::local::Env::hooks(&self.core.env).give_back(slot);
        let _park = Park(self, Late { slot, detached });
        if !detached {
            // SAFETY: the caller hands over a constructed object that nothing else refers to;
            // `_park` lists its slot as empty afterwards.
            unsafe { slot.drop_object() };
        }
    }

    /// Lends a slot straight from the engine, for models that play a guard's part by hand.
    #[cfg(all(loom, test))]
    pub(crate) fn allocate_for_test(&self) -> Slot<T> {
        self.core.allocate().expect("the part has room")
    }

    /// Takes back the slots parked in `late`, if any (on the owning thread).
    fn take_late_if_any(&self) {
        if self.attention.load(Ordering::Relaxed) & RETURNED_LATE != 0 {
            self.take_late();
        }
    }

    #[cold]
    fn take_late(&self) {
        self.attention.fetch_and(!RETURNED_LATE, Ordering::Acquire);
        let parked = std::mem::take(&mut *self.late.lock());
        for Late { slot, detached } in parked {
            self.core.take_back_empty(slot, detached);
        }
    }

    /// Does what another thread's `trim` or `trim_unused` asked, if anything (on the owning
    /// thread).
    fn trim_if_asked(&self) {
        if self.attention.load(Ordering::Relaxed) & TRIM != 0 {
            self.attention.fetch_and(!TRIM, Ordering::Acquire);
            if let Some(request) = TrimRequest::decode(self.trim_request.swap(0, Ordering::Acquire))
            {
                self.trim(request);
            }
        }
    }

    /// Trims this part now (on the owning thread); how many objects it dropped.
    fn trim(&self, request: TrimRequest) -> usize {
        match request {
            TrimRequest::Unused => self.core.trim_unused(),
            TrimRequest::Keep(keep) => self.core.trim(keep),
        }
    }

    /// Asks the owner of this part to trim it when it next uses the pool (a later request
    /// replaces one not done yet).
    fn ask_trim(&self, request: TrimRequest) {
        self.trim_request.store(request.encode(), Ordering::Relaxed);
        self.attention.fetch_or(TRIM, Ordering::Release);
    }

    /// Parked slots not taken back yet: `(released, detached)`.
    fn late_counts(&self) -> (u64, u64) {
        let late = self.late.lock();
        let detached = late.iter().filter(|late| late.detached).count() as u64;
        (late.len() as u64 - detached, detached)
    }

    /// Drops this part's idle objects as its thread exits. A `Drop` of `T` that panics here
    /// has no caller to go to (unwinding out of a thread-local's destructor aborts the
    /// process), so the panic is caught and reported on stderr, the object counts as
    /// discarded, and the rest are dropped all the same.
    fn drop_idle_at_exit(&self) {
        use std::panic::{catch_unwind, AssertUnwindSafe};
        while let Err(panic) = catch_unwind(AssertUnwindSafe(|| self.core.drop_idle())) {
            // Neither the report nor the payload's own `Drop` may end the loop early.
            let _ = catch_unwind(AssertUnwindSafe(move || report_exit_panic::<T>(panic)));
        }
    }
}

/// Reports a panic that cannot be passed on: a `Drop` of `T` that panicked while a thread
/// exited. Written straight to stderr (the test harness's capture of `eprintln!` is gone by
/// then, and printing must not fail).
#[cold]
#[allow(clippy::needless_pass_by_value)] // the payload drops here, inside the caller's catch
fn report_exit_panic<T>(panic: Box<dyn std::any::Any + Send>) {
    use std::io::Write;
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string payload");
    let _ = writeln!(
        std::io::stderr(),
        "fastalloc: dropping an idle `{}` of a ThreadLocalPool at thread exit panicked \
         ({message}); the object was discarded and the others were dropped",
        std::any::type_name::<T>()
    );
}

/// What a [`LocalPooled`] guard holds: the part of the thread that took the object.
pub struct ThreadLocalHome<'a, T> {
    part: &'a PerThread<T>,
    /// The object goes back to this thread's part: the guard must not be `Send`.
    _this_thread: StaysOnItsThread,
}

impl<'a, T> ThreadLocalHome<'a, T> {
    fn new(part: &'a PerThread<T>) -> Self {
        Self {
            part,
            _this_thread: PhantomData,
        }
    }
}

// SAFETY: through `&ThreadLocalHome` nothing can be done (the release needs the guard).
unsafe impl<T> Sync for ThreadLocalHome<'_, T> {}

impl<'a, T: 'a> crate::guard::GuardKind<'a, T> for kind::ThreadLocal {
    type Home = ThreadLocalHome<'a, T>;
    const NAME: &'static str = "LocalPooled";
}

impl<T> Home<T> for ThreadLocalHome<'_, T> {
    #[inline]
    unsafe fn release(&self, slot: Slot<T>) {
        // SAFETY: forwarded from the caller (the guard's one release, on the thread that took
        // the object: the guard is not `Send`).
        unsafe { self.part.release(slot) };
    }

    unsafe fn detach(&self, slot: Slot<T>) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { self.part.detach(slot) }
    }
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

    fn from_parts(config: Config, hooks: Hooks<T>, name: Option<Cow<'static, str>>) -> Self {
        let shared = Arc::new(Shared {
            id: per_thread::new_pool_id(),
            env: Arc::new(SharedEnv::new(hooks)),
            config,
            locals: Table::new(),
        });
        let named = name.map(|name| {
            let view = ThreadLocalView(&*shared);
            // SAFETY: the view reads `Shared` in its `Arc`, which stays where it is and which
            // `Built` keeps until after the registration has dropped.
            unsafe { registry::register(name, view) }
        });
        Self {
            id: AtomicU64::new(shared.id),
            built: OnceLock::from(Built { named, shared }),
            init: None,
        }
    }

    /// A pool built by `init` on first use, for a `static`: what `#[pooled]` generates. Unlike
    /// a `LazyLock<ThreadLocalPool<T>>`, it costs nothing on `allocate` once built (the
    /// `LazyLock` check was a tenth of a round trip).
    ///
    /// # Panics
    ///
    /// The first use panics if `init` does (and so does every later one: the pool is built
    /// again each time until `init` succeeds).
    #[doc(hidden)]
    #[must_use]
    #[cfg(not(loom))]
    pub const fn lazy(init: fn() -> ThreadLocalPool<T>) -> Self {
        Self {
            id: AtomicU64::new(per_thread::NO_POOL),
            built: OnceLock::new(),
            init: Some(init),
        }
    }

    /// [`lazy`](Self::lazy) for loom models, where nothing can be `const`.
    #[doc(hidden)]
    #[must_use]
    #[cfg(loom)]
    pub fn lazy(init: fn() -> ThreadLocalPool<T>) -> Self {
        Self {
            id: AtomicU64::new(per_thread::NO_POOL),
            built: OnceLock::new(),
            init: Some(init),
        }
    }

    /// The pool's shared state, built first for a lazy pool.
    fn shared(&self) -> &Arc<Shared<T>> {
        &self.built().shared
    }

    /// The built pool, built first for a lazy pool (which is named and listed in the registry
    /// then, if its `init` names it).
    fn built(&self) -> &Built<T> {
        self.built.get_or_init(|| {
            let init = self.init.expect("only a lazy pool starts unbuilt");
            let built = init()
                .built
                .into_inner()
                .expect("`init` returns a built pool");
            self.id.store(built.shared.id, Ordering::Relaxed);
            built
        })
    }

    /// The name given to the builder's [`name`](crate::PoolBuilder::name), if any (for a
    /// `#[pooled]` pool, its type's path).
    pub fn name(&self) -> Option<&str> {
        self.built().named.as_ref().map(Registration::name)
    }

    /// The calling thread's part if it was the last one this thread used and needs no
    /// attention (so the pool is open too).
    #[inline]
    fn recent_local(&self) -> Option<&PerThread<T>> {
        let entry = per_thread::recent(
            per_thread::Kind::ThreadLocal,
            self.id.load(Ordering::Relaxed),
        )?;
        // SAFETY: recorded by `local_slow` from `self.shared().locals` for this pool, which is
        // alive (`&self`); see `per_thread::recent` for why it is still this thread's.
        let local = unsafe { &*entry.cast::<PerThread<T>>() };
        (local.attention.load(Ordering::Relaxed) == 0).then_some(local)
    }

    #[cold]
    pub(crate) fn local_slow(&self) -> Result<&PerThread<T>, PoolError> {
        let number = per_thread::current().ok_or(PoolError::ThreadExiting)?;
        let shared = self.shared();
        let local = shared
            .locals
            .get_or_try(number, || {
                let core = LocalCore::new(shared.config, PartEnv::new(Arc::clone(&shared.env)))?;
                Ok::<_, BuildError>(PerThread {
                    core,
                    trim_request: AtomicUsize::new(0),
                    attention: AtomicU8::new(HOOK_PENDING),
                    late: Mutex::new(Vec::new()),
                })
            })
            .map_err(|_| PoolError::Exhausted {
                capacity: shared.config.capacity,
            })?;
        // `close` sets the closed flag and then flags every part it finds; this part may be
        // new, so look at the flag after inserting it (the fences make one of the two see
        // the other).
        fence(Ordering::SeqCst);
        if shared.env.is_closed() {
            local.attention.fetch_or(CLOSED, Ordering::Relaxed);
        }
        local.take_late_if_any();
        local.trim_if_asked();
        if local.attention.load(Ordering::Relaxed) & HOOK_PENDING != 0 {
            self.register_exit_hook(local);
        }
        if local.attention.load(Ordering::Relaxed) & HOOK_PENDING == 0 {
            // The exit hook is registered, so the exit flag will clear this record in time.
            let entry: *const PerThread<T> = local;
            per_thread::remember(per_thread::Kind::ThreadLocal, shared.id, entry.cast());
        }
        Ok(local)
    }

    /// Drops this thread's idle objects when it exits, and sets the exit flag that keeps its
    /// late guards away from the part (see `PerThread`).
    fn register_exit_hook(&self, local: &PerThread<T>) {
        let pool = Arc::downgrade(self.shared());
        let alive = pool.clone();
        let local_ptr: *const PerThread<T> = local;
        let run = Box::new(move || {
            if let Some(pool) = pool.upgrade() {
                // SAFETY: a `Table` keeps each entry at a fixed address until it is dropped,
                // and the upgraded `Arc` keeps it alive. This hook runs as this thread exits,
                // before its number, and with it the part, can go to another thread (see
                // `per_thread`), so this thread still owns the part.
                let local = unsafe { &*local_ptr };
                local.drop_idle_at_exit();
                local.attention.fetch_or(HOOK_PENDING, Ordering::Relaxed);
                drop(pool);
            }
        });
        let hook = ExitHook {
            alive: Box::new(move || alive.strong_count() > 0),
            run,
        };
        // If the thread is already tearing down its thread-locals the hook cannot be
        // registered; the objects are then dropped with the pool instead.
        if per_thread::at_exit(hook) {
            local.attention.fetch_and(!HOOK_PENDING, Ordering::Relaxed);
        }
    }

    /// The calling thread's part if it has one (and is not exiting), with its late slots taken
    /// back.
    fn existing_local(&self) -> Option<&PerThread<T>> {
        let local = self.shared().locals.get(per_thread::current()?)?;
        local.take_late_if_any();
        Some(local)
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
    pub fn allocate(&self) -> Result<LocalPooled<'_, T>, PoolError> {
        if let Some(local) = self.recent_local() {
            // The attention byte was clear: the pool is open.
            let slot = local.core.allocate_open()?;
            return Ok(LocalPooled::new(slot, ThreadLocalHome::new(local)));
        }
        self.allocate_slow()
    }

    /// `allocate` on a thread's first use of the pool, or when its part needs attention.
    #[cold]
    #[cfg_attr(feature = "sanitizer", track_caller)]
    fn allocate_slow(&self) -> Result<LocalPooled<'_, T>, PoolError> {
        let local = self.local_slow()?;
        let slot = local.core.allocate()?;
        Ok(LocalPooled::new(slot, ThreadLocalHome::new(local)))
    }

    /// The calling thread's capacity (the configured one if it has not allocated yet).
    pub fn capacity(&self) -> usize {
        self.existing_local()
            .map_or(self.shared().config.capacity, |l| l.core.capacity())
    }

    /// Objects this thread has lent and not yet returned.
    pub fn in_use(&self) -> usize {
        self.existing_local().map_or(0, |l| l.core.in_use())
    }

    /// How many more allocations succeed on this thread before its part must grow or report
    /// exhaustion.
    pub fn available(&self) -> usize {
        self.existing_local()
            .map_or(self.shared().config.capacity, |l| l.core.available())
    }

    /// Constructed objects waiting in this thread's part.
    pub fn idle(&self) -> usize {
        self.existing_local().map_or(0, |l| l.core.idle())
    }

    /// Statistics summed over every thread that used the pool. `capacity` is the sum of the
    /// threads' capacities and `peak_in_use` the sum of their peaks.
    pub fn stats(&self) -> PoolStats {
        self.shared().stats()
    }

    /// Closes the pool for every thread: `allocate` returns [`PoolError::Closed`] from now on.
    /// The calling thread's idle objects are dropped now, other threads' when they exit or
    /// when the pool is dropped; objects still lent are dropped when their guards return them.
    pub fn close(&self) {
        self.shared().env.set_closed();
        // Pairs with the fence in `local_slow`: a part made meanwhile is either flagged here
        // or sees the closed flag there.
        fence(Ordering::SeqCst);
        for local in self.shared().locals.iter() {
            local.attention.fetch_or(CLOSED, Ordering::Relaxed);
        }
        if let Some(local) = self.existing_local() {
            local.core.close();
        } else {
            self.shared().env.hooks.check_closed();
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.shared().env.is_closed()
    }

    /// Drops idle objects until at most `keep_idle` are idle in each thread's part, and
    /// returns how many it dropped from the calling thread's part.
    ///
    /// The calling thread's part is trimmed at once. Another thread's part is trimmed by that
    /// thread, at the latest when it next allocates or releases an object of this pool (its
    /// part is its own: no other thread may touch it); `stats().trimmed` counts those objects
    /// then. A thread that never uses the pool again drops its idle objects when it exits.
    ///
    /// A part gives back the chunks it grew by whose slots are all empty, as
    /// [`GrowingPool::trim`](crate::GrowingPool::trim) does.
    pub fn trim(&self, keep_idle: usize) -> usize {
        self.trim_all(TrimRequest::Keep(keep_idle))
    }

    /// Drops the idle objects that no allocation needed since the previous call (or since the
    /// part was made), in each thread's part; returns how many it dropped from the calling
    /// thread's part. Other threads' parts are trimmed by their threads, as for
    /// [`trim`](Self::trim), over the period that ends when they do it.
    pub fn trim_unused(&self) -> usize {
        self.trim_all(TrimRequest::Unused)
    }

    fn trim_all(&self, request: TrimRequest) -> usize {
        let own = self.existing_local();
        let own_ptr = own.map_or(std::ptr::null(), std::ptr::from_ref);
        for local in self.shared().locals.iter() {
            if !std::ptr::eq(local, own_ptr) {
                local.ask_trim(request);
            }
        }
        own.map_or(0, |local| local.trim(request))
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
        let (settings, hooks, name) = self.into_parts();
        let config = settings.check::<T>(Kind::Either)?;
        Ok(ThreadLocalPool::from_parts(config, hooks, name))
    }
}

impl<T: Send + 'static> fmt::Debug for ThreadLocalPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadLocalPool")
            .field("name", &self.name())
            .field("capacity_per_thread", &self.shared().config.capacity)
            .field("stats", &self.stats())
            .field("closed", &self.is_closed())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
#[allow(clippy::disallowed_types)] // the tests' own counters, not under loom
mod tests {
    use super::*;

    /// A lazy pool (what `#[pooled]` puts in a `static`) is built once, on first use, by
    /// whichever thread comes first, and then works like any other; closing it flags every
    /// thread's part, so the fast path stops lending.
    #[test]
    fn a_lazy_pool_is_built_once_on_first_use() {
        use std::sync::atomic::AtomicUsize;
        static BUILDS: AtomicUsize = AtomicUsize::new(0);
        static POOL: ThreadLocalPool<Vec<u8>> = ThreadLocalPool::lazy(|| {
            BUILDS.fetch_add(1, Ordering::SeqCst);
            ThreadLocalPool::new(2).unwrap()
        });
        assert_eq!(BUILDS.load(Ordering::SeqCst), 0);
        let first = POOL.allocate().unwrap();
        assert_eq!(BUILDS.load(Ordering::SeqCst), 1);
        drop(first);
        drop(POOL.allocate().unwrap()); // the fast path, through the recorded part
        std::thread::spawn(|| drop(POOL.allocate().unwrap()))
            .join()
            .unwrap();
        assert_eq!(BUILDS.load(Ordering::SeqCst), 1);
        let stats = POOL.stats();
        assert_eq!((stats.allocations, stats.releases), (3, 3));
        POOL.close();
        assert_eq!(POOL.allocate().unwrap_err(), PoolError::Closed);
        std::thread::spawn(|| assert_eq!(POOL.allocate().unwrap_err(), PoolError::Closed))
            .join()
            .unwrap();
    }

    /// `close` reaches a thread whose part is on the fast path: its next allocation fails and
    /// its guard still out is dropped on return, not kept.
    #[test]
    fn close_flags_the_parts_of_other_threads() {
        use std::sync::mpsc::channel;
        let pool: ThreadLocalPool<Vec<u8>> = ThreadLocalPool::new(2).unwrap();
        let (closed_tx, closed_rx) = channel();
        let (ready_tx, ready_rx) = channel();
        std::thread::scope(|scope| {
            let pool = &pool;
            scope.spawn(move || {
                drop(pool.allocate().unwrap());
                let held = pool.allocate().unwrap(); // fast path: the part is recorded
                ready_tx.send(()).unwrap();
                closed_rx.recv().unwrap();
                assert_eq!(pool.allocate().unwrap_err(), PoolError::Closed);
                drop(held);
            });
            ready_rx.recv().unwrap();
            pool.close();
            closed_tx.send(()).unwrap();
        });
        let stats = pool.stats();
        assert_eq!((stats.allocations, stats.releases, stats.in_use), (2, 2, 0));
        assert_eq!(stats.idle, 0, "a closed pool keeps nothing");
    }

    /// A guard released or detached while its thread was exiting parks its slot; the owner
    /// takes it back on its next visit, and the counts add up before and after.
    #[test]
    fn slots_parked_by_late_guards_are_taken_back() {
        let pool: ThreadLocalPool<Vec<u8>> = ThreadLocalPool::new(2).unwrap();
        let part = pool.local_slow().unwrap();
        let dropped = part.core.allocate().unwrap();
        let moved = part.core.allocate().unwrap();
        // SAFETY: both slots were just lent by this part and are handed back once; the
        // second one's object is moved out first, as `LocalPooled::detach` does.
        let kept = unsafe {
            part.release_late(dropped, false);
            let kept = moved.take();
            part.release_late(moved, true);
            kept
        };
        assert!(kept.is_empty());
        let stats = pool.stats();
        assert_eq!(
            (
                stats.in_use,
                stats.releases,
                stats.discarded,
                stats.detached
            ),
            (0, 1, 1, 1)
        );
        assert_ne!(part.attention.load(Ordering::Relaxed) & RETURNED_LATE, 0);

        assert_eq!(pool.available(), 2, "both slots are vacant again");
        assert_eq!(part.attention.load(Ordering::Relaxed) & RETURNED_LATE, 0);
        let stats = pool.stats();
        assert_eq!(
            (
                stats.in_use,
                stats.releases,
                stats.discarded,
                stats.detached
            ),
            (0, 1, 1, 1),
            "taking the slots back does not count them twice"
        );
        let (a, b) = (pool.allocate().unwrap(), pool.allocate().unwrap());
        drop((a, b));
        assert_eq!(pool.stats().created, 4);
    }
}
