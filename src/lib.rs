//! Not published: this package owns the workspace's integration tests, examples and benches.
//!
//! It also compiles the Rust snippets of `docs/getting-started.md` as doc tests, so the guide
//! cannot drift from the API.

#[cfg(doctest)]
#[doc = include_str!("../docs/getting-started.md")]
struct GettingStarted;
