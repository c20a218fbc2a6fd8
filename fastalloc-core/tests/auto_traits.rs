//! Which types are `Send` and `Sync`, checked at compile time.
#![cfg(feature = "std")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![allow(
    clippy::borrow_as_ptr,
    clippy::ref_as_ptr,
    clippy::many_single_char_names,
    clippy::cast_possible_truncation
)]

use std::cell::Cell;
use std::rc::Rc;

use fastalloc_core::{
    FixedPool, GrowingPool, LocalPooled, OwnedPooled, PoolError, Pooled, SharedPooled, StaticPool,
    StaticPooled, ThreadLocalPool, ThreadSafePool,
};

fn is_send<T: Send>() {}
fn is_sync<T: Sync>() {}

/// Fails to compile if `T` implements `Sync` (two impls would apply and inference fails).
trait NotSync<A> {
    fn check() {}
}
impl<T: ?Sized> NotSync<()> for T {}
impl<T: ?Sized + Sync> NotSync<u8> for T {}

trait NotSend<A> {
    fn check() {}
}
impl<T: ?Sized> NotSend<()> for T {}
impl<T: ?Sized + Send> NotSend<u8> for T {}

/// `Sync` but not `Send`, like a `MutexGuard`.
struct SyncNotSend(std::marker::PhantomData<std::sync::MutexGuard<'static, ()>>);

#[test]
fn shared_pools_and_owned_guards_cross_threads() {
    is_send::<ThreadSafePool<Vec<u8>>>();
    is_sync::<ThreadSafePool<Vec<u8>>>();
    is_send::<ThreadLocalPool<Vec<u8>>>();
    is_sync::<ThreadLocalPool<Vec<u8>>>();
    is_send::<OwnedPooled<Vec<u8>>>();
    is_sync::<OwnedPooled<Vec<u8>>>();
    is_send::<FixedPool<Vec<u8>>>();
    is_send::<GrowingPool<Vec<u8>>>();
    is_sync::<Pooled<'static, Vec<u8>>>();
    is_sync::<LocalPooled<'static, Vec<u8>>>();
    is_sync::<SharedPooled<'static, Vec<u8>>>();
    // The lock-free inline pool: shared, and its guards may be dropped on any thread.
    is_send::<StaticPool<Vec<u8>, 4>>();
    is_sync::<StaticPool<Vec<u8>, 4>>();
    is_send::<StaticPooled<'static, Vec<u8>, 4>>();
    is_sync::<StaticPooled<'static, Vec<u8>, 4>>();
}

#[test]
fn single_threaded_pools_and_guards_stay_put() {
    <FixedPool<u8> as NotSync<_>>::check();
    <GrowingPool<u8> as NotSync<_>>::check();
    <Pooled<'static, u8> as NotSend<_>>::check();
    // The borrowed guards of the shared pools go back on the thread that took them.
    <LocalPooled<'static, u8> as NotSend<_>>::check();
    <SharedPooled<'static, u8> as NotSend<_>>::check();
    // A pool of `!Send` objects is neither `Send` nor `Sync`.
    <ThreadSafePool<Rc<u8>> as NotSync<_>>::check();
    <ThreadSafePool<Rc<u8>> as NotSend<_>>::check();
    <FixedPool<Rc<u8>> as NotSend<_>>::check();
    // `&OwnedPooled` reaches the pool (`OwnedPooled::pool`), so sharing it needs `T: Send`.
    <OwnedPooled<SyncNotSend> as NotSync<_>>::check();
    // `Cell` is `Send` but not `Sync`: pooled across threads, yes; a shared guard, no.
    is_sync::<ThreadSafePool<Cell<u8>>>();
    <Pooled<'static, Cell<u8>> as NotSync<_>>::check();
    <LocalPooled<'static, Cell<u8>> as NotSync<_>>::check();
    <SharedPooled<'static, Cell<u8>> as NotSync<_>>::check();
    <StaticPool<Rc<u8>, 4> as NotSync<_>>::check();
    <StaticPool<Rc<u8>, 4> as NotSend<_>>::check();
    is_sync::<StaticPool<Cell<u8>, 4>>();
    <StaticPooled<'static, Cell<u8>, 4> as NotSync<_>>::check();
}

/// Guards stay small: the object's address and slot number, and the pool part it goes back
/// to (one reference; two for a `ThreadSafePool`: the core and the thread's cache). Not a
/// language guarantee, so a test rather than an API promise; a bigger guard costs memory in
/// programs that keep many.
#[test]
fn guards_are_three_or_four_words() {
    let word = std::mem::size_of::<usize>();
    assert_eq!(std::mem::size_of::<Pooled<'static, [u64; 8]>>(), 3 * word);
    assert_eq!(
        std::mem::size_of::<LocalPooled<'static, [u64; 8]>>(),
        3 * word
    );
    assert_eq!(
        std::mem::size_of::<SharedPooled<'static, [u64; 8]>>(),
        4 * word
    );
    assert_eq!(
        std::mem::size_of::<fastalloc_core::StaticPooled<'static, [u64; 8], 4>>(),
        3 * word
    );
    // `Result` uses the address's niche: no room for a tag.
    assert_eq!(
        std::mem::size_of::<Result<Pooled<'static, u8>, PoolError>>(),
        3 * word
    );
}

/// What `Box<T>` offers that a guard offers too: one list, checked for every guard type.
trait LikeABox<T>:
    std::ops::Deref<Target = T>
    + std::ops::DerefMut
    + AsRef<T>
    + AsMut<T>
    + std::borrow::Borrow<T>
    + std::borrow::BorrowMut<T>
    + std::fmt::Debug
    + std::fmt::Display
    + PartialEq
    + Eq
    + PartialOrd
    + Ord
    + std::hash::Hash
{
}

impl<T, G> LikeABox<T> for G where
    G: std::ops::Deref<Target = T>
        + std::ops::DerefMut
        + AsRef<T>
        + AsMut<T>
        + std::borrow::Borrow<T>
        + std::borrow::BorrowMut<T>
        + std::fmt::Debug
        + std::fmt::Display
        + PartialEq
        + Eq
        + PartialOrd
        + Ord
        + std::hash::Hash
{
}

fn like_a_box<G: LikeABox<String>>() {}

/// Every guard type has the same traits (they drifted apart when each kind had its own type).
#[test]
fn every_guard_has_the_same_traits() {
    like_a_box::<Pooled<'static, String>>();
    like_a_box::<LocalPooled<'static, String>>();
    like_a_box::<SharedPooled<'static, String>>();
    like_a_box::<OwnedPooled<String>>();
    like_a_box::<fastalloc_core::StaticPooled<'static, String, 4>>();
    #[cfg(feature = "async")]
    {
        like_a_box::<fastalloc_core::AsyncPooled<'static, String>>();
        like_a_box::<fastalloc_core::OwnedAsyncPooled<String>>();
    }
}

/// Uses three guards made by `allocate` (each holding the text it is given) as a `Box<String>`
/// would be used: compared with `assert_eq!`, sorted, formatted, kept in a `HashSet` and a
/// `HashMap` and found there by value. `name` is the guard's name in `Debug`. The pool behind
/// `allocate` needs room for four objects.
fn behaves_like_a_box<G: LikeABox<String>>(name: &str, allocate: impl Fn(&str) -> G) {
    use std::collections::{HashMap, HashSet};
    use std::hash::{BuildHasher, RandomState};

    let mut guards: Vec<G> = ["b", "a", "b"].into_iter().map(&allocate).collect();
    assert_eq!(
        guards[0], guards[2],
        "{name}: equal objects, different slots"
    );
    assert_ne!(guards[0], guards[1], "{name}");
    assert!(guards[1] < guards[0], "{name}: ordered by the objects");
    guards.sort();
    let sorted: Vec<&str> = guards.iter().map(|guard| guard.as_str()).collect();
    assert_eq!(sorted, ["a", "b", "b"], "{name}");

    // `Display` hands the formatter on, flags included; `Debug` names the guard.
    let text = format!("{}|{:>3}|{:<3}|", guards[0], guards[1], guards[2]);
    assert_eq!(text, "a|  b|b  |", "{name}");
    assert_eq!(format!("{:?}", guards[0]), format!("{name}(\"a\")"));

    // `Borrow<String>` promises the hash of the `String`: lookups by value depend on it.
    let state = RandomState::new();
    let a = String::from("a");
    assert_eq!(state.hash_one(&guards[0]), state.hash_one(&a), "{name}");

    // A set of guards keeps one per value (the other "b" goes back to its pool) and is
    // searched with a plain `String`.
    let set: HashSet<G> = guards.into_iter().collect();
    assert_eq!(set.len(), 2, "{name}");
    assert!(
        set.contains(&a) && set.contains(&String::from("b")),
        "{name}"
    );
    assert!(!set.contains(&String::from("c")), "{name}");

    // A guard as a map key, found by value; and a guard finding a key that is a `String`.
    let mut sizes: HashMap<G, usize> = HashMap::new();
    sizes.insert(allocate("cc"), 2);
    assert_eq!(sizes.get(&String::from("cc")), Some(&2), "{name}");
    let names: HashMap<String, u8> = [(String::from("a"), 1), (String::from("b"), 2)].into();
    for guard in &set {
        assert!(names.contains_key::<String>(guard.borrow()), "{name}");
        assert!(names.contains_key(&**guard), "{name}");
    }
}

/// The traits compare, order and hash the objects, as `Box` does, for every guard type.
#[test]
fn guards_compare_and_hash_their_objects() {
    fn filled<G: std::ops::DerefMut<Target = String>>(mut guard: G, text: &str) -> G {
        guard.push_str(text);
        guard
    }

    let fixed: FixedPool<String> = FixedPool::new(4).unwrap();
    behaves_like_a_box("Pooled", |text| filled(fixed.allocate().unwrap(), text));
    let local: ThreadLocalPool<String> = ThreadLocalPool::new(4).unwrap();
    behaves_like_a_box("LocalPooled", |text| {
        filled(local.allocate().unwrap(), text)
    });
    let shared = std::sync::Arc::new(ThreadSafePool::<String>::new(4).unwrap());
    behaves_like_a_box("SharedPooled", |text| {
        filled(shared.allocate().unwrap(), text)
    });
    behaves_like_a_box("OwnedPooled", |text| {
        filled(shared.allocate_owned().unwrap(), text)
    });
    let inline: fastalloc_core::StaticPool<String, 4> = fastalloc_core::StaticPool::new();
    behaves_like_a_box("StaticPooled", |text| {
        filled(inline.allocate().unwrap(), text)
    });
    #[cfg(feature = "async")]
    {
        let pool = std::sync::Arc::new(fastalloc_core::AsyncPool::<String>::new(4).unwrap());
        behaves_like_a_box("AsyncPooled", |text| {
            filled(pool.try_allocate().unwrap(), text)
        });
        behaves_like_a_box("OwnedAsyncPooled", |text| {
            filled(pool.try_allocate_owned().unwrap(), text)
        });
    }
}
