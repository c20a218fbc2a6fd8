//! The fluent [`PoolBuilder`] shared by every pool type.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use core::fmt;
use core::marker::PhantomData;

use crate::config::{Growth, Settings};
use crate::reset::Reset;

/// A boxed factory: builds one fresh object.
pub(crate) type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;
/// A boxed reset: returns one object to its fresh state and says whether to keep it
/// ([`Reset::reusable`], the builder's `retain_if`). With `std` it catches its own panic and
/// hands back the payload, so that the pool's release path (inlined at every guard's end of
/// scope) needs no unwinding cleanup: on `Err` the pool drops the object, and resumes the panic
/// if any. Without `std` no panic can be caught: a panicking reset unwinds through the release,
/// which then drops the object and frees its slot on the way out (a drop guard, as in
/// `Slot::construct`; see `LocalCore::release_open`).
pub(crate) type Resetter<T> = Box<dyn Fn(&mut T) -> Result<(), Refusal> + Send + Sync>;

/// The payload of a caught panic, to be resumed.
pub(crate) type Panic = Box<dyn core::any::Any + Send>;

/// Why a reset object is not kept: the payload of the reset's or the check's panic, or a
/// boxed [`NotReusable`] (zero-sized, so boxing it allocates nothing) when the object is not
/// reusable. One box, so that `Result<(), Refusal>` is two words, returned in registers, and
/// the release tests one of them: the same cost as before objects could be refused.
/// (`Result<(), Option<Panic>>` is three words, returned through memory: with it the
/// `ThreadSafePool` round trip went from 5.0 to 9.0 ns, `benches/compare_revisions.py`.)
/// Without `std` it is always a `NotReusable`.
pub(crate) type Refusal = Panic;

// Two words, so that the release's result comes back in registers (see `Refusal`).
const _: () =
    assert!(core::mem::size_of::<Result<(), Refusal>>() == 2 * core::mem::size_of::<usize>());

/// The refusal of an object that is not reusable (a type no panic payload can have).
pub(crate) struct NotReusable;

/// The panic to resume after a refusal, if it was one.
#[cfg(feature = "std")]
pub(crate) fn panic_of(refusal: Refusal) -> Option<Panic> {
    if refusal.is::<NotReusable>() {
        None
    } else {
        Some(refusal)
    }
}

/// Wraps `reset` (which says whether the object is worth keeping) into a [`Resetter`]. When
/// `reset` always says yes (the default [`Reset::reusable`], no `retain_if`), the check
/// compiles away inside the one boxed closure. With `std` it catches a panic of `reset`;
/// without, the panic unwinds out of the resetter (see [`Resetter`]).
pub(crate) fn catching<T>(reset: impl Fn(&mut T) -> bool + Send + Sync + 'static) -> Resetter<T> {
    // `AssertUnwindSafe`: after a panic the object is dropped, never reused, and the panic
    // goes on (see `LocalCore::release`).
    #[cfg(feature = "std")]
    return Box::new(move |value| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reset(value))) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Box::new(NotReusable)),
            Err(panic) => Err(panic),
        }
    });
    #[cfg(not(feature = "std"))]
    return Box::new(move |value| {
        if reset(value) {
            Ok(())
        } else {
            Err(Box::new(NotReusable))
        }
    });
}

/// How a pool builds and resets its objects.
pub(crate) struct Hooks<T> {
    pub(crate) factory: Factory<T>,
    pub(crate) reset: Resetter<T>,
    /// The objects lent and where (feature `sanitizer`).
    #[cfg(feature = "sanitizer")]
    pub(crate) loans: crate::sanitizer::Loans,
}

// Without the sanitizer these are empty; `self` stays so that call sites need no `cfg`.
#[allow(clippy::unused_self)]
impl<T> Hooks<T> {
    /// Records a loan (with the sanitizer on; nothing otherwise).
    #[inline]
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub(crate) fn lend(&self, slot: crate::slab::Slot<T>) {
        #[cfg(feature = "sanitizer")]
        self.loans.lend(slot.addr(), std::panic::Location::caller());
        #[cfg(not(feature = "sanitizer"))]
        let _ = slot;
    }

    /// Records a return.
    #[inline]
    pub(crate) fn give_back(&self, slot: crate::slab::Slot<T>) {
        #[cfg(feature = "sanitizer")]
        self.loans.give_back(slot.addr());
        #[cfg(not(feature = "sanitizer"))]
        let _ = slot;
    }

    /// Reports loans still out at `close()`.
    pub(crate) fn check_closed(&self) {
        #[cfg(feature = "sanitizer")]
        self.loans.check(crate::sanitizer::Event::Closed);
    }
}

impl<T> fmt::Debug for Hooks<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks").finish_non_exhaustive()
    }
}

/// Names the type of object a pool holds; implemented by every pool type so that
/// [`PoolBuilder`] can be shared between them.
pub trait PoolKind {
    /// The pooled object type.
    type Item;
}

/// A fluent builder for any pool type, created by `FixedPool::builder()`,
/// `GrowingPool::builder()`, `ThreadSafePool::builder()` or `ThreadLocalPool::builder()`.
///
/// Only `capacity` is required. Without `factory` the pool builds objects with `Default`;
/// without `reset_with` it resets them with their [`Reset`] impl. With both, any type can be
/// pooled, and the object type is inferred from the factory.
///
/// Factories and reset closures must be `Send + Sync + 'static`, since a pool may be shared
/// between threads or moved to another one.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{GrowingPool, Growth};
///
/// struct Connection { buffer: Vec<u8> } // neither `Default` nor `Reset`
///
/// let pool = GrowingPool::builder()
///     .capacity(4)
///     .growth(Growth::Linear(4))
///     .max_capacity(16)
///     .preallocate(true)
///     .factory(|| Connection { buffer: Vec::with_capacity(1024) })
///     .reset_with(|c| c.buffer.clear())
///     .build()
///     .unwrap();
/// assert_eq!(pool.idle(), 4); // built up front
/// let conn = pool.allocate().unwrap();
/// assert!(conn.buffer.capacity() >= 1024);
/// ```
#[must_use = "a builder does nothing until `.build()` is called"]
pub struct PoolBuilder<P, F = UseDefault, R = UseReset> {
    pub(crate) settings: Settings,
    pub(crate) factory: F,
    pub(crate) reset: R,
    /// Beside `settings`, which is `Copy`.
    pub(crate) name: Option<Cow<'static, str>>,
    _pool: PhantomData<fn() -> P>,
}

impl<P> PoolBuilder<P> {
    pub(crate) fn new() -> Self {
        Self {
            settings: Settings::default(),
            factory: UseDefault,
            reset: UseReset,
            name: None,
            _pool: PhantomData,
        }
    }
}

impl<P: PoolKind, F, R> PoolBuilder<P, F, R> {
    /// The number of objects the pool holds at first (at least 1). For a `ThreadLocalPool`
    /// it is the capacity of each thread.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.settings.capacity = Some(capacity);
        self
    }

    /// The most objects a growing pool may reach (at least `capacity`). Giving a maximum to a
    /// shared pool makes it grow (by doubling unless `growth` says otherwise).
    pub fn max_capacity(mut self, max_capacity: usize) -> Self {
        self.settings.max_capacity = Some(max_capacity);
        self
    }

    /// How the pool grows when every object is in use.
    pub fn growth(mut self, growth: Growth) -> Self {
        self.settings.growth = Some(growth);
        self
    }

    /// `true` builds every object when the pool is built (eager); `false`, the default,
    /// builds objects on demand (lazy). Memory for the slots is reserved up front either way.
    pub fn preallocate(mut self, eager: bool) -> Self {
        self.settings.preallocate = eager;
        self
    }

    /// Names the pool: its `Debug` shows the name, and with `std` the pool is listed in the
    /// [`registry`](crate::registry) while it lives, so that a
    /// [`snapshot`](crate::registry::snapshot) of every named pool's statistics can be
    /// printed or exported. Unnamed pools are not listed; naming one costs nothing on
    /// `allocate` and release. Without `std` there is no registry (it is shared between
    /// threads, under a lock): the pool only keeps the name, for `name()` and `Debug`.
    ///
    /// # Examples
    ///
    /// ```
    /// use fastalloc_core::{registry, GrowingPool};
    ///
    /// let pool: GrowingPool<String> = GrowingPool::builder()
    ///     .capacity(16)
    ///     .name(format!("worker-{}::names", 3))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(pool.name(), Some("worker-3::names"));
    /// assert!(registry::snapshot().get("worker-3::names").is_some());
    /// ```
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Builds new objects with `factory` instead of `Default`.
    pub fn factory<G>(self, factory: G) -> PoolBuilder<P, WithFactory<P::Item>, R>
    where
        G: Fn() -> P::Item + Send + Sync + 'static,
    {
        PoolBuilder {
            settings: self.settings,
            factory: WithFactory(Box::new(factory)),
            reset: self.reset,
            name: self.name,
            _pool: PhantomData,
        }
    }

    /// Resets returned objects with `reset` instead of their `Reset` impl (whose
    /// [`reusable`](Reset::reusable) is then not asked either: use
    /// [`retain_if`](Self::retain_if)).
    pub fn reset_with<G>(self, reset: G) -> PoolBuilder<P, F, WithReset<G>>
    where
        G: Fn(&mut P::Item) + Send + Sync + 'static,
    {
        PoolBuilder {
            settings: self.settings,
            factory: self.factory,
            reset: WithReset(reset),
            name: self.name,
            _pool: PhantomData,
        }
    }

    /// Keeps a returned object only if `retain` says so, asked right after the reset (and
    /// after [`Reset::reusable`]): otherwise the object is dropped, counted in
    /// `PoolStats::discarded`, and its slot is refilled by the factory when next needed. For
    /// types you do not own, where you cannot override `reusable`. Calling it again adds a
    /// second condition.
    ///
    /// A `retain` that panics is treated like a panicking reset: the object is dropped and
    /// the panic goes on from the guard's drop.
    ///
    /// # Examples
    ///
    /// ```
    /// use fastalloc_core::FixedPool;
    ///
    /// // Keep buffers of up to 64 KiB; give larger ones back to the allocator.
    /// let pool = FixedPool::<Vec<u8>>::builder()
    ///     .capacity(8)
    ///     .retain_if(|buffer: &Vec<u8>| buffer.capacity() <= 64 * 1024)
    ///     .build()
    ///     .unwrap();
    /// let mut buffer = pool.allocate().unwrap();
    /// buffer.reserve(1 << 20);
    /// drop(buffer);
    /// assert_eq!((pool.idle(), pool.stats().discarded), (0, 1));
    /// ```
    pub fn retain_if<G>(self, retain: G) -> PoolBuilder<P, F, RetainIf<R, G>>
    where
        G: Fn(&P::Item) -> bool + Send + Sync + 'static,
    {
        PoolBuilder {
            settings: self.settings,
            factory: self.factory,
            reset: RetainIf {
                reset: self.reset,
                retain,
            },
            name: self.name,
            _pool: PhantomData,
        }
    }

    /// The settings, the hooks and the name.
    pub(crate) fn into_parts(self) -> (Settings, Hooks<P::Item>, Option<Cow<'static, str>>)
    where
        F: FactorySource<P::Item>,
        R: ResetSource<P::Item>,
    {
        let reset = self.reset;
        let hooks = Hooks {
            factory: self.factory.into_factory(),
            reset: catching(move |value| reset.reset_and_check(value)),
            #[cfg(feature = "sanitizer")]
            loans: crate::sanitizer::Loans::new(core::any::type_name::<P>()),
        };
        (self.settings, hooks, self.name)
    }
}

impl<P, F, R> fmt::Debug for PoolBuilder<P, F, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("name", &self.name)
            .field("capacity", &self.settings.capacity)
            .field("max_capacity", &self.settings.max_capacity)
            .field("growth", &self.settings.growth)
            .field("preallocate", &self.settings.preallocate)
            .field("factory", &core::any::type_name::<F>())
            .field("reset", &core::any::type_name::<R>())
            .finish()
    }
}

/// Builder state: no factory given, objects are built with `Default`.
#[derive(Debug, Clone, Copy, Default)]
pub struct UseDefault;

/// Builder state: no reset closure given, objects are reset with their `Reset` impl.
#[derive(Debug, Clone, Copy, Default)]
pub struct UseReset;

/// Builder state: objects are built by a factory closure.
pub struct WithFactory<T>(Factory<T>);

/// Builder state: objects are reset by a closure.
pub struct WithReset<G>(G);

/// Builder state: objects are reset by `R`, then kept only if a predicate says so.
pub struct RetainIf<R, G> {
    reset: R,
    retain: G,
}

impl<T> fmt::Debug for WithFactory<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WithFactory(..)")
    }
}

impl<G> fmt::Debug for WithReset<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WithReset(..)")
    }
}

impl<R: fmt::Debug, G> fmt::Debug for RetainIf<R, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetainIf")
            .field("reset", &self.reset)
            .finish_non_exhaustive()
    }
}

/// Where a builder gets its factory: `Default` ([`UseDefault`]) or a closure
/// ([`WithFactory`]).
#[diagnostic::on_unimplemented(
    message = "the pool cannot build a `{T}`: it has no `Default` impl and no factory was given",
    label = "`{T}` needs `Default` or a `.factory(...)`",
    note = "implement or derive `Default` for `{T}`, or call `.factory(|| ...)` on the builder"
)]
pub trait FactorySource<T> {
    #[doc(hidden)]
    fn into_factory(self) -> Box<dyn Fn() -> T + Send + Sync>;
}

impl<T: Default + 'static> FactorySource<T> for UseDefault {
    fn into_factory(self) -> Box<dyn Fn() -> T + Send + Sync> {
        Box::new(T::default)
    }
}

impl<T> FactorySource<T> for WithFactory<T> {
    fn into_factory(self) -> Box<dyn Fn() -> T + Send + Sync> {
        self.0
    }
}

/// Where a builder gets its reset: the `Reset` impl ([`UseReset`]) or a closure
/// ([`WithReset`]), and whether to keep the object ([`RetainIf`]).
#[diagnostic::on_unimplemented(
    message = "the pool cannot reset a `{T}`: it does not implement `Reset` and no reset \
               closure was given",
    label = "`{T}` needs `Reset` or a `.reset_with(...)`",
    note = "derive `Reset` for `{T}`, or call `.reset_with(|value| ...)` on the builder"
)]
pub trait ResetSource<T>: Send + Sync + 'static {
    /// Resets `value` and says whether to keep it.
    #[doc(hidden)]
    fn reset_and_check(&self, value: &mut T) -> bool;
}

impl<T: Reset> ResetSource<T> for UseReset {
    #[inline]
    fn reset_and_check(&self, value: &mut T) -> bool {
        value.reset();
        value.reusable()
    }
}

impl<T, G: Fn(&mut T) + Send + Sync + 'static> ResetSource<T> for WithReset<G> {
    #[inline]
    fn reset_and_check(&self, value: &mut T) -> bool {
        (self.0)(value);
        true
    }
}

impl<T, R, G> ResetSource<T> for RetainIf<R, G>
where
    R: ResetSource<T>,
    G: Fn(&T) -> bool + Send + Sync + 'static,
{
    #[inline]
    fn reset_and_check(&self, value: &mut T) -> bool {
        self.reset.reset_and_check(value) && (self.retain)(value)
    }
}
