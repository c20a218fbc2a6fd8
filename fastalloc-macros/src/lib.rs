//! Implementation detail of the `fastalloc` crate: the `#[pooled]` attribute and
//! `#[derive(Reset)]`. Depend on `fastalloc` instead; it re-exports both.
//!
//! The code is laid out by stage: `args.rs` reads `#[pooled(...)]`, `reset.rs` reads
//! `#[reset(...)]`, `model.rs` is a borrowed model of the type, `valid.rs` holds the checks,
//! `expand.rs` generates code and `fallback.rs` what stands in for it after an error.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use syn::parse_macro_input;

mod args;
mod ctxt;
mod expand;
mod fallback;
mod model;
mod reset;
mod valid;

/// Gives a struct a pool of its own: `Type::pool()` returns a `'static` pool, created on first
/// use (or at compile time, with `heapless`), and `Type::pool().allocate()?` lends an object.
///
/// ```
/// use fastalloc::{pooled, Reset};
///
/// #[pooled(capacity = 1000, thread_safe)]
/// #[derive(Debug, Default, Reset)]
/// struct Particle {
///     position: [f32; 3],
///     velocity: [f32; 3],
///     trail: Vec<[f32; 3]>,   // cleared on release, capacity kept
///     #[reset(skip)]
///     id: u64,                // left as it is
/// }
///
/// let mut particle = Particle::pool().allocate()?;
/// particle.trail.push([1.0, 2.0, 3.0]);
/// drop(particle); // reset and back in the pool
/// assert_eq!(Particle::pool().stats().releases, 1);
/// # Ok::<(), fastalloc::PoolError>(())
/// ```
///
/// # Arguments
///
/// | argument | meaning |
/// |---|---|
/// | `capacity = N` | **required**: the objects the pool holds at first (for each thread, in a `ThreadLocalPool`); at least 1 |
/// | *no mode word*, or `thread_local` | a `ThreadLocalPool`: each thread has its own part, no locks or atomics |
/// | `thread_safe` | a `ThreadSafePool` shared by all threads |
/// | `async` | an `AsyncPool` (feature `async`, on by default): `Type::pool().allocate().await` |
/// | `heapless` | a `StaticPool`: exactly `capacity` objects stored inline in a plain `static`, with no heap, no `std` and no lazy initialisation; shared by all threads (see [below](#without-a-heap-heapless)) |
/// | `growth = linear(N)` | when every object is in use, add N more (N at least 1) |
/// | `growth = exponential(F)` | when every object is in use, multiply the capacity by F (F above 1.0) |
/// | `max_capacity = N` | grow up to N objects (at least `capacity`); doubling if `growth` is not given |
/// | `preallocate` | build every object when the pool is created (for a `ThreadLocalPool`, when each thread first allocates) instead of on demand |
/// | `factory = path` | build objects with this `fn() -> Type` instead of `Default` |
/// | `reset = path` | reset objects with this `fn(&mut Type)` instead of `Reset` (whose `reusable` is then not asked either) |
/// | `manual_reset` | you implement `Reset` for the type yourself: do not generate it |
/// | `retain_if = path` | after each reset, keep the object only if this `fn(&Type) -> bool` says so; else drop it |
/// | `crate = path` | the path of `fastalloc`, if your `Cargo.toml` renames it |
///
/// `N` is an integer literal or any constant expression of type `usize` (`CAPACITY`,
/// `Self::SIZE * 4`); `F` a number literal or a constant `f64` expression. Values are checked at
/// compile time, literals by the macro and expressions by `const` assertions, so `pool()`
/// cannot fail because of a setting.
///
/// Without a mode word the pool is a `ThreadLocalPool`: a pool whose objects are not shared
/// between threads must be per thread to live in a `static`. Its guards are not `Send`.
///
/// Every mode but `heapless` needs `fastalloc`'s `std` feature (on by default); without it,
/// they are a compile error that says so.
///
/// The pool is named after the type's path (`my_app::net::Packet`: the module where the type
/// is defined, then its name), so `fastalloc::registry::snapshot()` lists it once `pool()` was
/// first called. (Not a `heapless` pool: a `StaticPool` has no name.)
///
/// # Without a heap: `heapless`
///
/// `#[pooled(capacity = N, heapless)]` gives the type a `StaticPool<Type, N>`: `N` objects
/// stored inline in a plain `static`, built by a `const` initializer. It needs no heap and no
/// `std` (it works with `default-features = false`, in a `#![no_std]` crate), there is nothing
/// to initialise on first use, and it is shared by all threads (so the type must be `Send`).
/// Each object is built by the factory (or `Default`) when it is first allocated; when all `N`
/// are lent, `allocate` returns `PoolError::Exhausted`. Its guards are
/// `StaticPooled<'static, Type, N>`.
///
/// ```
/// use fastalloc::{pooled, PoolError, StaticPool};
///
/// #[pooled(capacity = 4, heapless)]
/// struct Frame {
///     data: [u8; 64],
///     len: usize,
/// }
///
/// impl Default for Frame {
///     fn default() -> Self {
///         Frame { data: [0; 64], len: 0 }
///     }
/// }
///
/// let pool: &'static StaticPool<Frame, 4> = Frame::pool();
/// let mut frame = pool.allocate()?;
/// frame.data[..5].copy_from_slice(b"hello");
/// frame.len = 5;
/// drop(frame); // reset (`len` back to 0) and back in the pool
/// assert_eq!(Frame::pool().allocate()?.len, 0);
/// # Ok::<(), PoolError>(())
/// ```
///
/// `factory`, `reset`, `manual_reset`, `retain_if` and `crate` work as for the other pools. A
/// fixed inline pool cannot honour `growth` or `max_capacity` (growing needs the heap) nor
/// `preallocate` (a `const` initializer cannot call the factory), and it is one pool for all
/// threads: those arguments, and another mode word, are errors beside `heapless`.
///
/// # Refusing objects
///
/// A returned object is reset, then kept only if it is worth keeping; otherwise the pool drops
/// it (counted in `stats().discarded`) and builds a fresh one when next needed. When objects
/// are reset through the type's `Reset` impl (generated, derived or `manual_reset`), the pool
/// asks `Reset::reusable`, which `#[reset(max_capacity = N)]` fields make refuse an object
/// that grew too large (see [`Reset`](derive@Reset)); `retain_if = path` adds a condition of your own
/// (`Self::method` works, as for `factory`). With `reset = path` only `retain_if` is asked.
///
/// ```
/// use fastalloc::pooled;
///
/// #[pooled(capacity = 8, thread_safe, retain_if = Self::healthy)]
/// #[derive(Default)]
/// struct Connection {
///     #[reset(max_capacity = 64 * 1024)]
///     buffer: Vec<u8>, // dropped with its object above 64 KiB
///     #[reset(skip)]
///     errors: u32,
/// }
///
/// impl Connection {
///     fn healthy(&self) -> bool {
///         self.errors < 3
///     }
/// }
///
/// let mut connection = Connection::pool().allocate()?;
/// connection.buffer.resize(1 << 20, 0);
/// drop(connection);
/// assert_eq!(Connection::pool().stats().discarded, 1);
/// # Ok::<(), fastalloc::PoolError>(())
/// ```
///
/// # The `Reset` impl
///
/// `#[pooled]` also implements [`Reset`](derive@Reset) for the type, field by field as
/// `#[derive(Reset)]` does (the `#[reset(...)]` field attributes work the same), unless:
///
/// - the type derives `Reset` (written above or below `#[pooled]`, either works; the derive is
///   recognised by name, so write it as `Reset` or a path ending in `Reset`, not a renamed
///   import),
/// - `reset = path` is given (objects are reset by that function), or
/// - `manual_reset` is given (you write `impl fastalloc::Reset for Type` yourself).
///
/// # The generated code
///
/// `#[pooled(capacity = 64)] struct Particle { .. }` keeps the struct as it is and adds
///
/// ```text
/// impl fastalloc::Reset for Particle { /* field by field */ }
/// impl Particle {
///     /// The `ThreadLocalPool` of `Particle` objects ...
///     pub fn pool() -> &'static fastalloc::ThreadLocalPool<Particle> {
///         static POOL: LazyLock<ThreadLocalPool<Particle>> = LazyLock::new(|| /* builder */);
///         &POOL
///     }
/// }
/// ```
///
/// With `heapless`, `pool()` returns `&'static fastalloc::StaticPool<Particle, 64>` from a
/// `static POOL: StaticPool<Particle, 64> = /* const constructor */;`, with no `LazyLock`.
///
/// `pool()` has the visibility of the struct. The type cannot be generic (a `static` cannot be),
/// must be `Send` and `'static`, and needs `Default` unless `factory` is given.
#[proc_macro_attribute]
pub fn pooled(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::pooled(args.into(), item.into()).into()
}

/// Derives `Reset`: resets every field with its own `Reset` impl, keeping allocated memory
/// (a `Vec` is cleared, not replaced).
///
/// ```
/// use fastalloc::Reset;
///
/// fn clear_twice(bytes: &mut Vec<u8>) {
///     bytes.clear();
/// }
///
/// #[derive(Reset)]
/// struct Request {
///     body: Vec<u8>,                      // cleared, capacity kept
///     #[reset(skip)]
///     connection_id: u64,                 // left as it is
///     #[reset(default)]
///     method: String,                     // assigned `String::default()`
///     #[reset(value = 3)]
///     retries: u8,                        // assigned 3
///     #[reset(with = clear_twice)]
///     scratch: Vec<u8>,                   // `clear_twice(&mut self.scratch)`
/// }
///
/// let mut request = Request {
///     body: b"hello".to_vec(),
///     connection_id: 7,
///     method: "GET".into(),
///     retries: 0,
///     scratch: vec![1],
/// };
/// request.reset();
/// assert!(request.body.is_empty() && request.method.is_empty() && request.scratch.is_empty());
/// assert_eq!((request.connection_id, request.retries), (7, 3));
/// ```
///
/// # Field attributes
///
/// | attribute | the field is |
/// |---|---|
/// | none | reset with its own `Reset` impl (an error points at a field whose type has none) |
/// | `#[reset(skip)]` | left as it is |
/// | `#[reset(default)]` | assigned `Default::default()` |
/// | `#[reset(value = expr)]` | assigned `expr` |
/// | `#[reset(with = path)]` | passed to `path(&mut field)` |
/// | `#[reset(max_capacity = N)]` | reset as above (alone: with its own `Reset`), then measured: the object is not reusable if the field's capacity is above `N` |
///
/// `max_capacity` goes alone or beside one of the others (`#[reset(skip, max_capacity = 64)]`).
/// The field's type must implement `fastalloc::Capacity` (`Vec`,
/// `String`, `VecDeque`, `HashMap`, ...); `N` is an integer literal or a constant `usize`
/// expression (`LIMIT`, `Self::LIMIT * 2`, a const generic parameter).
///
/// On the type, `#[reset(crate = path)]` names `fastalloc` if your `Cargo.toml` renames it.
///
/// # `reusable`
///
/// The derive also writes `Reset::reusable` when a field has a
/// say in it: the object is reusable only if every field reset with its own `Reset` (no
/// attribute, or only `max_capacity`) is reusable, and every `max_capacity` field is within
/// its limit. Fields that are skipped, assigned or reset `with` a function are not asked.
/// When no field has a say, the trait's default (always reusable) stays. A pool drops an
/// object that is not reusable after its reset instead of keeping it.
///
/// ```
/// use fastalloc::{FixedPool, Reset};
///
/// #[derive(Default, Reset)]
/// struct Response {
///     #[reset(max_capacity = 4096)]
///     body: Vec<u8>,
/// }
///
/// let pool: FixedPool<Response> = FixedPool::new(4).unwrap();
/// let mut response = pool.allocate().unwrap();
/// response.body.resize(1 << 20, 0); // one huge response
/// drop(response);
/// assert_eq!((pool.idle(), pool.stats().discarded), (0, 1)); // its megabyte is freed
/// ```
///
/// # Structs, enums, generics
///
/// Named, tuple and unit structs are supported. An enum is reset to the variant marked
/// `#[reset(default)]`, which must have no fields (so it has no field to measure after the
/// reset either: the enum keeps the default `reusable`, and `#[reset(...)]` on a variant's
/// field is an error):
///
/// ```
/// use fastalloc::Reset;
///
/// #[derive(Debug, PartialEq, Reset)]
/// enum State {
///     #[reset(default)]
///     Idle,
///     Busy(u32),
/// }
///
/// let mut state = State::Busy(3);
/// state.reset();
/// assert_eq!(state, State::Idle);
/// ```
///
/// For a generic type, the impl requires `FieldType: Reset` (and `FieldType: Capacity` with
/// `max_capacity`) for each field whose type names a type parameter, so `struct Batch<T> { items: Vec<T> }` resets for any `T`. (A type that
/// contains itself through a generic field, such as `Box<Node<T>>`, cannot be bounded this
/// way: implement `Reset` by hand for it.) Unions are rejected.
#[proc_macro_derive(Reset, attributes(reset))]
pub fn derive_reset(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as syn::DeriveInput);
    expand::derive_reset(&input).into()
}
