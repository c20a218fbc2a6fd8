#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Without `std`, only what needs no heap and no operating system: `StaticPool`, `Reset`,
// `#[pooled(heapless)]`.
#![cfg_attr(not(feature = "std"), no_std)]

pub use fastalloc_core::*;
// The derive shares its name with the trait (they live in different namespaces), as serde's
// `Serialize` does: `use fastalloc::Reset;` brings in both.
pub use fastalloc_macros::{pooled, Reset};

/// Not public API: wraps the `pool()` that `#[pooled]` generates for a pool that needs `std`
/// (every mode but `heapless`), as `__private::__requires_std! { "message", item }`. The macro
/// cannot see this crate's features; this can. With `std` the item is passed on as it is.
#[cfg(feature = "std")]
#[doc(hidden)]
#[macro_export]
macro_rules! __fastalloc_requires_std {
    ($message:literal, $($item:tt)*) => {
        $($item)*
    };
}

/// Not public API: without `std`, the `pool()` of a `#[pooled]` mode that needs it is replaced
/// by the error the macro wrote (which says to turn `std` on, or to use `heapless`), rather than
/// left to fail on the missing pool type with errors that say neither.
#[cfg(not(feature = "std"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __fastalloc_requires_std {
    ($message:literal, $($item:tt)*) => {
        ::core::compile_error!($message);
    };
}

/// Everything a user of pools needs: `use fastalloc::prelude::*;`.
pub mod prelude {
    pub use fastalloc_core::prelude::*;
    pub use fastalloc_macros::{pooled, Reset};
}

/// Not public API: paths used by the code that `#[pooled]` and `#[derive(Reset)]` generate.
///
/// The traits here exist for their `on_unimplemented` messages: they say what to write in the
/// macro's arguments, where the builder's own messages would talk about builder methods.
#[doc(hidden)]
pub mod __private {
    pub use fastalloc_core::*;
    // Also in the glob above; named to show where the `const` checks of `#[pooled]` find it
    // (not those of `heapless`: `StaticPool` checks its own `N`).
    #[cfg(feature = "std")]
    pub use fastalloc_core::max_objects;
    // Also in the glob above; named to show where `#[reset(max_capacity = N)]` finds it. It is
    // called as is: its own `on_unimplemented` message is written for that attribute.
    pub use fastalloc_core::Capacity;
    #[cfg(feature = "std")]
    pub use std::sync::LazyLock;

    // Named `__private::__requires_std` by the generated code; `#[macro_export]` puts it at
    // the crate root too, hidden.
    pub use crate::__fastalloc_requires_std as __requires_std;

    /// `StaticPool::with_factory`, for `#[pooled(heapless)]`: its `Reset` bound spelt
    /// `ResetForStaticPool`, whose message speaks of `#[pooled]` and `manual_reset`.
    #[inline]
    pub const fn static_pool<T: ResetForStaticPool, const N: usize>(
        factory: fn() -> T,
    ) -> StaticPool<T, N> {
        StaticPool::with_factory(factory)
    }

    /// A type `#[pooled]` can build without a `factory`.
    #[diagnostic::on_unimplemented(
        message = "`#[pooled]` cannot build a `{Self}`: it has no `Default` impl and no \
                   `factory = ...` was given",
        label = "`{Self}` needs `Default` or a `factory`",
        note = "derive or implement `Default` for `{Self}`, or name a function that builds \
                one: `#[pooled(capacity = ..., factory = path)]` with `fn path() -> {Self}`"
    )]
    pub trait DefaultForPool: Sized {
        /// `Default::default()`.
        fn default_for_pool() -> Self;
    }

    #[diagnostic::do_not_recommend]
    impl<T: Default> DefaultForPool for T {
        #[inline]
        fn default_for_pool() -> Self {
            T::default()
        }
    }

    /// A field type `#[reset(default)]` can assign `Default::default()` to.
    #[diagnostic::on_unimplemented(
        message = "`#[reset(default)]` assigns `Default::default()`, but the field type \
                   `{Self}` does not implement `Default`",
        label = "`{Self}` needs `Default`",
        note = "implement or derive `Default` for `{Self}`, or use `#[reset(value = expr)]` \
                or `#[reset(with = path)]`"
    )]
    pub trait DefaultField: Sized {
        /// `Default::default()`.
        fn default_field() -> Self;
    }

    #[diagnostic::do_not_recommend]
    impl<T: Default> DefaultField for T {
        #[inline]
        fn default_field() -> Self {
            T::default()
        }
    }

    /// A field type `#[derive(Reset)]` can reset.
    #[diagnostic::on_unimplemented(
        message = "the field type `{Self}` does not implement `Reset`, so the field cannot be \
                   reset",
        label = "`{Self}` needs `Reset`",
        note = "implement or derive `Reset` for `{Self}`, or tell the derive what to do with \
                the field: `#[reset(skip)]`, `#[reset(default)]`, `#[reset(value = expr)]` or \
                `#[reset(with = path)]`"
    )]
    pub trait ResetField {
        /// `Reset::reset`.
        fn reset_field(&mut self);
        /// `Reset::reusable`.
        fn reusable_field(&self) -> bool;
    }

    #[diagnostic::do_not_recommend]
    impl<T: Reset + ?Sized> ResetField for T {
        #[inline]
        fn reset_field(&mut self) {
            self.reset();
        }

        #[inline]
        fn reusable_field(&self) -> bool {
            self.reusable()
        }
    }

    /// A type a `#[pooled]` pool resets with its `Reset` impl.
    #[diagnostic::on_unimplemented(
        message = "`#[pooled]` resets a `{Self}` with its `Reset` impl, but `{Self}` does not \
                   implement `Reset`",
        label = "`{Self}` needs `Reset`",
        note = "`manual_reset` means you write `impl fastalloc::Reset for {Self}`; or remove \
                `manual_reset` to have `#[pooled]` generate it, or give a `fn(&mut {Self})` \
                with `reset = path`"
    )]
    pub trait ResetForPool {
        /// `Reset::reset`.
        fn reset_for_pool(&mut self);
        /// `Reset::reusable`: the pool resets through `reset_with`, so the builder does not
        /// ask it by itself.
        fn reusable_for_pool(&self) -> bool;
    }

    /// A type a `#[pooled(heapless)]` pool resets with its `Reset` impl: `Reset` itself, with
    /// the message of [`ResetForPool`]. (`ResetForPool` cannot be this: as a supertrait,
    /// `Reset` would be the bound its methods report.)
    #[diagnostic::on_unimplemented(
        message = "`#[pooled]` resets a `{Self}` with its `Reset` impl, but `{Self}` does not \
                   implement `Reset`",
        label = "`{Self}` needs `Reset`",
        note = "`manual_reset` means you write `impl fastalloc::Reset for {Self}`; or remove \
                `manual_reset` to have `#[pooled]` generate it, or give a `fn(&mut {Self})` \
                with `reset = path`"
    )]
    pub trait ResetForStaticPool: Reset {}

    #[diagnostic::do_not_recommend]
    impl<T: Reset> ResetForStaticPool for T {}

    #[diagnostic::do_not_recommend]
    impl<T: Reset> ResetForPool for T {
        #[inline]
        fn reset_for_pool(&mut self) {
            self.reset();
        }

        #[inline]
        fn reusable_for_pool(&self) -> bool {
            self.reusable()
        }
    }
}
