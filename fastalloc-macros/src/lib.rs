//! Implementation detail of the `fastalloc` crate: the `#[pooled]` attribute and
//! `#[derive(Reset)]`. Depend on `fastalloc` instead.
#![forbid(unsafe_code)]
