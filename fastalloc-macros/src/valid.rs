//! Checks that need more than one token: values in range, arguments that fit together, and
//! types that can be pooled or reset. Values written as literals are checked here, when the
//! macro runs; constant expressions get the same checks as `const` assertions (see
//! `expand.rs`), so a bad value is a compile error either way.
//!
//! The most objects a pool can hold is the exception: it depends on the size of the type,
//! which a macro cannot know, so it is checked for literals too by the `const` assertion
//! against `fastalloc_core::max_objects`, the one place that limit is computed.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Attribute, DeriveInput, GenericParam, Item};

use crate::args::{name, Args, GrowthArg, Mode};
use crate::ctxt::Errors;
use crate::model::{Data, Input};

/// Checks the `#[pooled(...)]` arguments.
pub(crate) fn check_args(args: &Args, errors: &mut Errors) {
    if args.mode() == Mode::Heapless {
        check_heapless(args, errors);
    }
    let Some(capacity) = &args.capacity else {
        if args.capacity_attempted {
            // `capacity` is there but wrong, and that is reported already.
            return check_rest(args, None, errors);
        }
        let message = match args.mode() {
            Mode::ThreadLocal => {
                "`#[pooled]` needs a `capacity`: the number of objects each \
                                  thread's part of the pool holds at first, such as \
                                  `#[pooled(capacity = 64)]`"
            }
            Mode::ThreadSafe | Mode::Async => {
                "`#[pooled]` needs a `capacity`: the number of objects the pool holds at \
                 first, such as `#[pooled(capacity = 64)]`"
            }
            Mode::Heapless => {
                "`#[pooled(heapless)]` needs a `capacity`: the fixed number of objects stored \
                 inline in the pool, such as `#[pooled(capacity = 64, heapless)]`"
            }
        };
        errors.at(Span::call_site(), message);
        return check_rest(args, None, errors);
    };
    if capacity.literal == Some(0) {
        errors.spanned(
            &capacity.expr,
            "`capacity` must be at least 1: a pool of zero objects can never hand one out",
        );
    }
    check_rest(args, capacity.literal.filter(|&value| value > 0), errors);
}

/// Reports the arguments that a `heapless` pool cannot honour: it is a `StaticPool`, a fixed
/// array of objects in a `static`, built by a `const` initializer, with no heap. (Other modes
/// beside it are reported by `args.rs`, which sees both words.)
fn check_heapless(args: &Args, errors: &mut Errors) {
    let mut reported = Vec::new();
    for word in &args.given {
        let name = word.to_string();
        let why = match name.as_str() {
            name::GROWTH => {
                "a `heapless` pool holds exactly `capacity` objects, stored inline in a \
                 `static`, and growing needs the heap; remove `growth`, or remove `heapless` \
                 for a pool that grows"
            }
            name::MAX_CAPACITY => {
                "a `heapless` pool holds exactly `capacity` objects, stored inline in a \
                 `static`, and never grows; write the most objects you need as `capacity` and \
                 remove `max_capacity`, or remove `heapless` for a pool that grows"
            }
            name::PREALLOCATE => {
                "a `heapless` pool is built by a `const` initializer, which cannot call the \
                 factory, so each object is built when it is first allocated; remove \
                 `preallocate`"
            }
            _ => continue,
        };
        // A duplicate is reported by `args.rs`; say this once.
        if !reported.contains(&name) {
            errors.spanned(
                word,
                format!("`{name}` cannot be combined with `heapless`: {why}"),
            );
            reported.push(name);
        }
    }
}

fn check_rest(args: &Args, capacity: Option<u64>, errors: &mut Errors) {
    if args.mode() == Mode::Heapless {
        // `growth` and `max_capacity` are errors there already, whatever their values.
        return;
    }
    if let (Some(max), Some(capacity)) = (&args.max_capacity, capacity) {
        if let Some(max_value) = max.literal.filter(|&value| value < capacity) {
            errors.spanned(
                &max.expr,
                format!(
                    "`max_capacity` ({max_value}) is below `capacity` ({capacity}): the pool \
                     starts at `capacity` and grows up to `max_capacity`; raise `max_capacity` \
                     to at least {capacity}, or lower `capacity`"
                ),
            );
        }
    }
    match &args.growth {
        Some(GrowthArg::Linear { step, .. }) if step.literal == Some(0) => errors.spanned(
            &step.expr,
            "`linear(0)` never adds an object: the step of `growth = linear(N)` must be at \
             least 1",
        ),
        Some(GrowthArg::Exponential { factor, .. }) => match factor.literal {
            Some(value) if !value.is_finite() => errors.spanned(
                &factor.expr,
                "the growth factor must be a finite number greater than 1.0, such as \
                 `exponential(1.5)` or `exponential(2.0)`",
            ),
            Some(value) if value <= 1.0 => errors.spanned(
                &factor.expr,
                format!(
                    "growth factor {value:?} does not grow the pool: `exponential(F)` \
                     multiplies the capacity by F, so F must be greater than 1.0, such as \
                     `exponential(1.5)` or `exponential(2.0)`"
                ),
            ),
            _ => {}
        },
        _ => {}
    }
}

/// The struct, enum or union under `#[pooled]`; an error for any other item (or none).
pub(crate) fn pooled_item(item: TokenStream) -> syn::Result<DeriveInput> {
    match syn::parse2::<Item>(item)? {
        Item::Struct(item) => Ok(item.into()),
        Item::Enum(item) => Ok(item.into()),
        Item::Union(item) => Ok(item.into()),
        other => Err(syn::Error::new_spanned(
            item_keyword(&other),
            "`#[pooled]` goes on a struct (or an enum) to give it a pool: \
             `#[pooled(capacity = 64)] struct Particle { ... }`",
        )),
    }
}

/// The token that names what kind of item `item` is (`fn`, `impl`, `trait`, ...), for an
/// error saying `#[pooled]` does not go there.
fn item_keyword(item: &Item) -> TokenStream {
    match item {
        Item::Fn(item) => item.sig.fn_token.into_token_stream(),
        Item::Impl(item) => item.impl_token.into_token_stream(),
        Item::Trait(item) => item.trait_token.into_token_stream(),
        Item::Type(item) => item.type_token.into_token_stream(),
        Item::Mod(item) => item.mod_token.into_token_stream(),
        Item::Const(item) => item.const_token.into_token_stream(),
        Item::Static(item) => item.static_token.into_token_stream(),
        Item::Use(item) => item.use_token.into_token_stream(),
        other => other.into_token_stream(),
    }
}

/// Whether the type can have a pool in a `static`: what [`check_pooled_type`] checks.
pub(crate) fn can_pool(input: &DeriveInput) -> bool {
    !matches!(input.data, syn::Data::Union(_)) && input.generics.params.is_empty()
}

/// Checks that the type under `#[pooled]` can have a pool in a `static`.
pub(crate) fn check_pooled_type(input: &DeriveInput, errors: &mut Errors) {
    if let syn::Data::Union(data) = &input.data {
        errors.spanned(
            data.union_token,
            "`#[pooled]` cannot pool a union: a pool resets what it takes back, and a union \
             does not know which of its fields is in use; wrap it in a struct or an enum",
        );
    }
    let ident = &input.ident;
    let params = &input.generics.params;
    if params
        .iter()
        .any(|param| !matches!(param, GenericParam::Lifetime(_)))
    {
        errors.spanned(
            params,
            format!(
                "`#[pooled]` cannot pool a generic type: the pool lives in a `static`, and a \
                 `static` cannot depend on generic parameters; use `#[derive(Reset)]` and \
                 build a pool for the type you need, such as \
                 `ThreadSafePool::<{ident}<u64>>::builder()`, or put `#[pooled]` on a \
                 non-generic wrapper"
            ),
        );
    } else if !params.is_empty() {
        errors.spanned(
            params,
            "`#[pooled]` cannot pool a type with a lifetime: the pool lives in a `static`, so \
             its objects must be `'static`; own the data instead of borrowing it",
        );
    }
}

/// Reports a second `#[pooled]` on the type (the first is the one expanding, and is no longer
/// among the attributes).
pub(crate) fn check_single_pooled(input: &DeriveInput, errors: &mut Errors) {
    if let Some(second) = input.attrs.iter().find(|attr| is_pooled_attr(attr)) {
        errors.spanned(
            second,
            "`#[pooled]` is applied twice; merge the arguments into one `#[pooled(...)]`",
        );
    }
}

/// Whether `attr` is `#[pooled ...]` (or `#[some::path::pooled ...]`).
pub(crate) fn is_pooled_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "pooled")
}

/// Checks that the model can get a `Reset` impl.
pub(crate) fn check_model(input: &Input, errors: &mut Errors) {
    match &input.data {
        Data::Struct(_) => {}
        Data::Union(data) => errors.spanned(
            data.union_token,
            "`Reset` cannot be derived for a union: only one of its fields is in use at a \
             time, and the derive cannot know which; implement `Reset` by hand",
        ),
        Data::Enum(variants) => {
            let mut marked = variants.iter().filter(|variant| variant.marked.is_some());
            match marked.next() {
                None => errors.spanned(
                    input.ident,
                    format!(
                        "`Reset` for an enum resets it to one of its variants: mark a variant \
                         without fields with `#[reset(default)]`{}",
                        if variants.is_empty() {
                            " (this enum has no variants)"
                        } else {
                            ""
                        }
                    ),
                ),
                Some(first) => {
                    if !first.original.fields.is_empty() {
                        errors.spanned(
                            &first.original.fields,
                            format!(
                                "the `#[reset(default)]` variant must have no fields, so that \
                                 `reset` can assign it; `{}` has fields: mark a unit variant, \
                                 or implement `Reset` by hand",
                                first.original.ident
                            ),
                        );
                    }
                    for other in marked {
                        errors.at(
                            other.marked.unwrap_or_else(|| other.original.span()),
                            format!(
                                "only one variant can be `#[reset(default)]`; `{}` is marked \
                                 already",
                                first.original.ident
                            ),
                        );
                    }
                }
            }
        }
    }
}
