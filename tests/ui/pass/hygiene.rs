// Names in the user's crate do not disturb the expansions: they use `::core` and the facade's
// `__private` paths only, and keep their helper items inside `pool()`.
#![allow(dead_code, non_camel_case_types, non_upper_case_globals)]

use fastalloc::{pooled, Reset as ResetDerive};

mod core {}
mod std {}
struct Option;
struct Default;
struct LazyLock;
struct ThreadLocalPool;
struct usize;
struct f64;
struct bool;
type Result = ();
const capacity: u8 = 0;
const factory: u8 = 0;
const reset: u8 = 0;
const POOL: u8 = 0;
const error: u8 = 0;
const value: u8 = 0;
const __FASTALLOC_POOL: u8 = 0;
trait Reset {}
fn panic() {}

#[pooled(capacity = 2, growth = exponential(2.0), max_capacity = 8, retain_if = keep)]
#[derive(::core::default::Default)]
struct Hygienic {
    #[reset(max_capacity = 64)]
    data: ::std::vec::Vec<u8>,
}

fn keep(_: &Hygienic) -> ::core::primitive::bool {
    true
}

#[derive(ResetDerive)]
struct Derived {
    #[reset(max_capacity = 64)]
    data: ::std::vec::Vec<u8>,
}

fn main() {
    Hygienic::pool().allocate().unwrap().data.push(1);
    let _ = Derived { data: ::std::vec::Vec::new() };
}
