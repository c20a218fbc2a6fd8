//! The fluent [`PoolBuilder`] shared by every pool type.

use std::fmt;
use std::marker::PhantomData;

use crate::config::{Growth, Settings};
use crate::reset::Reset;

/// A boxed factory: builds one fresh object.
pub(crate) type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;
/// A boxed reset: returns one object to its fresh state. It catches its own panic and hands
/// back the payload, so that the pool's release path (inlined at every guard's end of scope)
/// needs no unwinding cleanup: on `Err` the pool drops the object and resumes the panic.
pub(crate) type Resetter<T> = Box<dyn Fn(&mut T) -> std::thread::Result<()> + Send + Sync>;

/// The payload of a caught panic, to be resumed.
pub(crate) type Panic = Box<dyn std::any::Any + Send>;

/// Wraps `reset` into a [`Resetter`].
pub(crate) fn catching<T>(reset: impl Fn(&mut T) + Send + Sync + 'static) -> Resetter<T> {
    // `AssertUnwindSafe`: after a panic the object is dropped, never reused, and the panic
    // goes on (see `LocalCore::release`).
    Box::new(move |value| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reset(value))))
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
    _pool: PhantomData<fn() -> P>,
}

impl<P> PoolBuilder<P> {
    pub(crate) fn new() -> Self {
        Self {
            settings: Settings::default(),
            factory: UseDefault,
            reset: UseReset,
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

    /// Builds new objects with `factory` instead of `Default`.
    pub fn factory<G>(self, factory: G) -> PoolBuilder<P, WithFactory<P::Item>, R>
    where
        G: Fn() -> P::Item + Send + Sync + 'static,
    {
        PoolBuilder {
            settings: self.settings,
            factory: WithFactory(Box::new(factory)),
            reset: self.reset,
            _pool: PhantomData,
        }
    }

    /// Resets returned objects with `reset` instead of their `Reset` impl.
    pub fn reset_with<G>(self, reset: G) -> PoolBuilder<P, F, WithReset<P::Item>>
    where
        G: Fn(&mut P::Item) + Send + Sync + 'static,
    {
        PoolBuilder {
            settings: self.settings,
            factory: self.factory,
            reset: WithReset(catching(reset)),
            _pool: PhantomData,
        }
    }

    pub(crate) fn into_parts(self) -> (Settings, Hooks<P::Item>)
    where
        F: FactorySource<P::Item>,
        R: ResetSource<P::Item>,
    {
        let hooks = Hooks {
            factory: self.factory.into_factory(),
            reset: self.reset.into_reset(),
            #[cfg(feature = "sanitizer")]
            loans: crate::sanitizer::Loans::new(std::any::type_name::<P>()),
        };
        (self.settings, hooks)
    }
}

impl<P, F, R> fmt::Debug for PoolBuilder<P, F, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("capacity", &self.settings.capacity)
            .field("max_capacity", &self.settings.max_capacity)
            .field("growth", &self.settings.growth)
            .field("preallocate", &self.settings.preallocate)
            .field("factory", &std::any::type_name::<F>())
            .field("reset", &std::any::type_name::<R>())
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
pub struct WithReset<T>(Resetter<T>);

impl<T> fmt::Debug for WithFactory<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WithFactory(..)")
    }
}

impl<T> fmt::Debug for WithReset<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WithReset(..)")
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
/// ([`WithReset`]).
#[diagnostic::on_unimplemented(
    message = "the pool cannot reset a `{T}`: it does not implement `Reset` and no reset \
               closure was given",
    label = "`{T}` needs `Reset` or a `.reset_with(...)`",
    note = "derive `Reset` for `{T}`, or call `.reset_with(|value| ...)` on the builder"
)]
pub trait ResetSource<T> {
    #[doc(hidden)]
    fn into_reset(self) -> Resetter<T>;
}

impl<T: Reset + 'static> ResetSource<T> for UseReset {
    fn into_reset(self) -> Resetter<T> {
        catching(T::reset)
    }
}

impl<T> ResetSource<T> for WithReset<T> {
    fn into_reset(self) -> Resetter<T> {
        self.0
    }
}
