#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]

pub use fastalloc_core::*;

/// Everything a user of pools needs: `use fastalloc::prelude::*;`.
pub mod prelude {
    pub use fastalloc_core::prelude::*;
}

/// Not public API: paths used by the code that `#[pooled]` and `#[derive(Reset)]` generate.
#[doc(hidden)]
pub mod __private {
    pub use fastalloc_core::*;
    pub use std::sync::LazyLock;
}
