//! Not published: this package owns the workspace's integration tests, examples and benches.
