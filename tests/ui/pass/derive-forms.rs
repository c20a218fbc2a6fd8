// `#[derive(Reset)]` on every shape of type, with bounds added where needed.
use std::marker::PhantomData;

use fastalloc::Reset;

#[derive(Reset)]
struct Named {
    a: u8,
    b: Vec<u8>,
}

#[derive(Reset)]
struct Tuple(u8, #[reset(default)] String, #[reset(value = 4)] u32);

/// `max_capacity` alone and with each other option, on a tuple struct.
#[derive(Reset)]
struct Limited(
    #[reset(max_capacity = 8)] String,
    #[reset(skip, max_capacity = 8)] Vec<u8>,
    #[reset(default, max_capacity = 8)] Vec<u8>,
    #[reset(value = Vec::new(), max_capacity = 8)] Vec<u8>,
    #[reset(with = Vec::clear, max_capacity = 8)] Box<Vec<u8>>,
);

/// Only skipped fields: no `reusable` of its own, the default is kept.
#[derive(Reset)]
struct AllSkipped {
    #[reset(skip)]
    a: Vec<u8>,
}

#[derive(Reset)]
struct Unit;

#[derive(Reset)]
struct Empty {}

/// `T` is not `Reset`: only `Vec<T>` and `Option<T>` need to be.
#[derive(Reset)]
struct Generic<'a, T: Clone, const N: usize>
where
    T: Send,
{
    items: Vec<T>,
    maybe: Option<T>,
    array: [u16; N],
    #[reset(skip)]
    borrowed: &'a str,
    marker: PhantomData<T>,
}

#[derive(Reset)]
struct NeedsBound<T> {
    value: T,
    #[reset(default)]
    other: T,
}

#[derive(Debug, PartialEq, Reset)]
enum Light {
    Red,
    #[reset(default)]
    Off,
    Dimmed(u8),
}

#[derive(Clone)]
struct NotReset;

fn check<T: Reset>() {}

fn main() {
    check::<Named>();
    check::<Limited>();
    assert!(AllSkipped { a: Vec::with_capacity(1 << 20) }.reusable());
    check::<Tuple>();
    check::<Unit>();
    check::<Empty>();
    check::<Generic<'static, NotReset, 3>>();
    check::<NeedsBound<String>>();
    let mut light = Light::Dimmed(3);
    light.reset();
    assert_eq!(light, Light::Off);
    let _ = (Light::Red, NotReset);
}
