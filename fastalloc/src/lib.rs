#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub use fastalloc_core::*;
// The derive shares its name with the trait (they live in different namespaces), as serde's
// `Serialize` does: `use fastalloc::Reset;` brings in both.
pub use fastalloc_macros::{pooled, Reset};

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
    // Also in the glob above; named to show where the `const` checks of `#[pooled]` find it.
    pub use fastalloc_core::max_objects;
    // Also in the glob above; named to show where `#[reset(max_capacity = N)]` finds it. It is
    // called as is: its own `on_unimplemented` message is written for that attribute.
    pub use fastalloc_core::Capacity;
    pub use std::sync::LazyLock;

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
