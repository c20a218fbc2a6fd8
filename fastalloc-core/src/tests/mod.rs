//! Unit tests that need the crate internals, and loom models (under `cfg(loom)`).
