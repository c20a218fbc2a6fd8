//! The trybuild suite of `#[pooled]` and `#[derive(Reset)]`: `tests/ui/pass/*.rs` must compile
//! (and run), `tests/ui/fail/*.rs` must fail with the compiler output in the `.stderr` beside
//! each.
//!
//! The expected messages are those of the stable toolchain CI uses (`rustc --version` in
//! `.ci/run`); other channels word them differently, so the suite runs on stable only and is
//! reported as ignored elsewhere and under Miri. After a toolchain update or a change to a
//! message, regenerate with `TRYBUILD=overwrite cargo test --test compiletest` and read every
//! changed `.stderr`.

// Above `#[test]`, which must see the `#[ignore]` this attribute expands to on other channels.
#[rustversion::attr(
    not(stable),
    ignore = "UI expectations are written for the stable compiler"
)]
#[test]
#[cfg_attr(miri, ignore = "trybuild runs the compiler, which Miri cannot")]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
