//! Generates the code: the `Reset` impl (with `reusable` when a field has a say in it) and the
//! `pool()` function.
//!
//! Generated code names only `::core::...` and `<crate>::__private::...` (where `<crate>` is
//! `::fastalloc` unless `crate = path` says otherwise), so it works whatever the user imported.
//!
//! # Which macro writes the `Reset` impl
//!
//! `#[pooled]` and `#[derive(Reset)]` can each write it, and exactly one of them must:
//!
//! - `#[pooled]` written *above* `#[derive(Reset)]` runs first and sees the derive below it: it
//!   leaves the impl (and the `#[reset(...)]` attributes) to the derive.
//! - `#[derive(Reset)]` written *above* `#[pooled]` runs first and sees `#[pooled(...)]` below
//!   it. `#[pooled]` will not see the derive (it is gone by then), so it will write the impl
//!   itself unless it has `reset = path` or `manual_reset`; the derive reads those arguments
//!   and stays silent exactly when `#[pooled]` will write the impl.
//! - `#[pooled]` without the derive writes the impl unless it has `reset = path` or
//!   `manual_reset`.

use std::collections::HashSet;
use std::fmt::Write as _;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt as _;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{parse_quote, DeriveInput, Expr, Ident, Meta, Path, Token, WherePredicate};

use crate::args::{self, name, Args, GrowthArg, Mode, ModeArg, Number, ResetArg};
use crate::ctxt::{self, Errors};
use crate::fallback;
use crate::model::{Data, Field, Input};
use crate::reset::{self, How};
use crate::valid;

/// `#[derive(Reset)]`.
pub(crate) fn derive_reset(input: &DeriveInput) -> TokenStream {
    match try_derive_reset(input) {
        Ok(tokens) => tokens,
        Err(errors) => fallback::derive_reset(input, errors),
    }
}

fn try_derive_reset(input: &DeriveInput) -> Result<TokenStream, Errors> {
    if pooled_below_writes_reset(input) {
        // It also reports any mistake in the `#[reset(...)]` attributes: stay silent, lest
        // they be reported twice.
        return Ok(TokenStream::new());
    }
    let mut errors = Errors::new();
    let model = Input::from_syn(input, &mut errors);
    valid::check_model(&model, &mut errors);
    errors.check()?;
    Ok(reset_impl(
        &model,
        &args::fastalloc_path(model.krate.as_ref()),
    ))
}

/// Whether a `#[pooled]` below the derive, which runs after it, writes the `Reset` impl.
fn pooled_below_writes_reset(input: &DeriveInput) -> bool {
    let Some(attr) = input.attrs.iter().find(|attr| valid::is_pooled_attr(attr)) else {
        return false;
    };
    let tokens = match &attr.meta {
        Meta::List(list) => list.tokens.clone(),
        Meta::Path(_) | Meta::NameValue(_) => TokenStream::new(),
    };
    ctxt::ignoring(|ignored| args::parse(tokens, "", ignored)).wants_generated_reset()
}

/// `#[pooled(...)]`.
pub(crate) fn pooled(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_pooled(args.clone(), item.clone()) {
        Ok(tokens) => tokens,
        Err(errors) => fallback::pooled(args, item, errors),
    }
}

fn try_pooled(args: TokenStream, item: TokenStream) -> Result<TokenStream, Errors> {
    let mut input = valid::pooled_item(item)?;
    let mut errors = Errors::new();
    let args = args::parse(args, &input.ident.to_string(), &mut errors);
    valid::check_args(&args, &mut errors);
    valid::check_pooled_type(&input, &mut errors);
    valid::check_single_pooled(&input, &mut errors);
    let derives = derives_reset(&input);
    let model = writes_reset(&args, &input, derives).then(|| {
        let model = Input::from_syn(&input, &mut errors);
        valid::check_model(&model, &mut errors);
        model
    });
    errors.check()?;

    let krate = args::fastalloc_path(args.krate.as_ref());
    let reset_impl = model.map_or_else(TokenStream::new, |model| reset_impl(&model, &krate));
    tidy_item(&mut input, &args, derives);
    let pool = if args.mode().needs_std() {
        pool_impl(&args, &input, &krate, derives)
    } else {
        heapless_pool_impl(&args, &input, &krate, derives)
    };
    Ok(quote! {
        #input
        #reset_impl
        #pool
    })
}

/// Whether the type has `#[derive(..., Reset, ...)]` among the attributes below `#[pooled]`.
pub(crate) fn derives_reset(input: &DeriveInput) -> bool {
    input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("derive"))
        .any(|attr| {
            attr.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths
                        .iter()
                        .any(|path| path.segments.last().is_some_and(|s| s.ident == "Reset"))
                })
        })
}

/// Whether `#[pooled]` writes the `Reset` impl (or, after an error, a stand-in for it): not when
/// a derive below does, not with `reset = path` or `manual_reset`, and not for a union, which
/// cannot have one.
pub(crate) fn writes_reset(args: &Args, input: &DeriveInput, derives_reset: bool) -> bool {
    !derives_reset && args.wants_generated_reset() && !matches!(input.data, syn::Data::Union(_))
}

/// Makes the item what `#[pooled]` emits, with or without errors: a second `#[pooled]` (an
/// error) is removed, lest it add a second `pool()`. The `#[reset(...)]` attributes are left
/// for a derive below, with `crate = ...` added for it; otherwise they were read by this macro
/// (or by a derive that ran already), and are removed: they are not attributes of their own.
pub(crate) fn tidy_item(input: &mut DeriveInput, args: &Args, derives_reset: bool) {
    input.attrs.retain(|attr| !valid::is_pooled_attr(attr));
    if !derives_reset {
        strip_reset_attrs(input);
    } else if let Some(krate) = &args.krate {
        if !input.attrs.iter().any(reset::is_reset_attr) {
            input.attrs.push(parse_quote!(#[reset(crate = #krate)]));
        }
    }
}

fn strip_reset_attrs(input: &mut DeriveInput) {
    let keep = |attr: &syn::Attribute| !reset::is_reset_attr(attr);
    input.attrs.retain(keep);
    let fields: Vec<&mut syn::Field> = match &mut input.data {
        syn::Data::Struct(data) => data.fields.iter_mut().collect(),
        syn::Data::Enum(data) => data
            .variants
            .iter_mut()
            .flat_map(|variant| {
                variant.attrs.retain(keep);
                variant.fields.iter_mut()
            })
            .collect(),
        syn::Data::Union(data) => data.fields.named.iter_mut().collect(),
    };
    for field in fields {
        field.attrs.retain(keep);
    }
}

/// The `Reset` impl for a model without errors.
fn reset_impl(input: &Input, krate: &Path) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = bounds(input, krate);
    let body = match &input.data {
        Data::Struct(fields) => fields
            .iter()
            .map(|field| reset_field(field, krate))
            .collect(),
        Data::Enum(_) => match input.default_variant() {
            Some(variant) => {
                let name = &variant.ident;
                quote_spanned!(name.span()=> *self = Self::#name;)
            }
            None => TokenStream::new(),
        },
        Data::Union(_) => TokenStream::new(),
    };
    let reusable = reusable_fn(input, krate);
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private::Reset for #ident #ty_generics #where_clause {
            #[inline]
            fn reset(&mut self) {
                #body
            }
            #reusable
        }
    }
}

/// `fn reusable`, asking every field that has a say: a field reset with its own `Reset` (its
/// `reusable`) and a field with `#[reset(max_capacity = N)]` (its capacity). Nothing when no
/// field has a say, so that the trait's default (always `true`) stays and the pool's check
/// compiles away without relying on inlining.
///
/// Only structs: an enum is in its fieldless `#[reset(default)]` variant after the reset, so
/// there is nothing left to ask (and `model.rs` rejects `#[reset(...)]` on variant fields).
fn reusable_fn(input: &Input, krate: &Path) -> TokenStream {
    let Data::Struct(fields) = &input.data else {
        return TokenStream::new();
    };
    let checks: Vec<TokenStream> = fields
        .iter()
        .flat_map(|field| reusable_checks(field, krate))
        .collect();
    if checks.is_empty() {
        return TokenStream::new();
    }
    // One `if` per check rather than a chain of `&&`: a field's `#[cfg(...)]` can go on a
    // statement, not on an operand.
    quote! {
        #[inline]
        fn reusable(&self) -> ::core::primitive::bool {
            #(#checks)*
            true
        }
    }
}

/// The statements that return `false` when one field makes the object not worth keeping. They
/// carry the field type's span, so that a type without `Capacity` (or `Reset`) is reported at
/// the field.
fn reusable_checks(field: &Field, krate: &Path) -> Vec<TokenStream> {
    let Field {
        member,
        ty,
        cfgs,
        how,
        max_capacity,
    } = field;
    let span = ty.span();
    let mut checks = Vec::new();
    if let Some(max) = max_capacity {
        // A literal was checked when the macro ran; any other expression must be a constant
        // `usize`, which the `const` block enforces (and it may name `Self` or the type's
        // generic parameters, where a `const` item could not).
        let expr = &max.expr;
        let max = if max.literal.is_some() {
            expr.to_token_stream()
        } else {
            quote_spanned!(expr.span()=> const { #expr })
        };
        checks.push(quote_spanned! {span=>
            #(#cfgs)*
            if <#ty as #krate::__private::Capacity>::capacity(&self.#member) > #max {
                return false;
            }
        });
    }
    // A field assigned (`default`, `value`) or reset by a function (`with`) has a fresh value
    // the derive knows nothing about; only one reset with its own `Reset` is asked.
    if let How::Reset = how {
        checks.push(quote_spanned! {span=>
            #(#cfgs)*
            if !<#ty as #krate::__private::ResetField>::reusable_field(&self.#member) {
                return false;
            }
        });
    }
    checks
}

/// The statement that resets one field. Its tokens carry the field's spans, so that a type
/// error (no `Reset`, no `Default`, a wrong `with` function) points at the field.
fn reset_field(field: &Field, krate: &Path) -> TokenStream {
    let Field {
        member,
        ty,
        cfgs,
        how,
        max_capacity: _, // asked after the reset, by `reusable`
    } = field;
    let span = ty.span();
    match how {
        How::Reset => quote_spanned! {span=>
            #(#cfgs)*
            <#ty as #krate::__private::ResetField>::reset_field(&mut self.#member);
        },
        How::Skip => TokenStream::new(),
        How::Default(word) => quote_spanned! {*word=>
            #(#cfgs)*
            self.#member = <#ty as #krate::__private::DefaultField>::default_field();
        },
        How::Value(value) => quote_spanned! {value.span()=>
            #(#cfgs)*
            self.#member = #value;
        },
        How::With(path) => quote_spanned! {path.span()=>
            #(#cfgs)*
            #path(&mut self.#member);
        },
    }
}

/// The where clause of the `Reset` impl: the type's own, plus `FieldType: Reset` (or
/// `: Default` for `#[reset(default)]`, and `: Capacity` for `#[reset(max_capacity = N)]`) for
/// each field whose type names a type parameter.
///
/// Bounding field types rather than parameters ("perfect derive") lets `Buffer<T>` with a
/// `Vec<T>` field reset for any `T`, since `Vec<T>: Reset` needs nothing of `T`.
fn bounds(input: &Input, krate: &Path) -> Option<syn::WhereClause> {
    let params: HashSet<&Ident> = input
        .generics
        .type_params()
        .map(|param| &param.ident)
        .collect();
    let mut where_clause = input.generics.where_clause.clone();
    let Data::Struct(fields) = &input.data else {
        return where_clause;
    };
    if params.is_empty() {
        return where_clause;
    }
    let mut seen = HashSet::new();
    for field in fields {
        let ty = field.ty;
        if !mentions_any(ty, &params) {
            continue;
        }
        let how: Option<WherePredicate> = match field.how {
            How::Reset => Some(parse_quote!(#ty: #krate::__private::Reset)),
            How::Default(_) => Some(parse_quote!(#ty: ::core::default::Default)),
            How::Skip | How::Value(_) | How::With(_) => None,
        };
        let capacity: Option<WherePredicate> = field
            .max_capacity
            .as_ref()
            .map(|_| parse_quote!(#ty: #krate::__private::Capacity));
        for predicate in how.into_iter().chain(capacity) {
            if seen.insert(predicate.to_token_stream().to_string()) {
                where_clause
                    .get_or_insert_with(|| parse_quote!(where))
                    .predicates
                    .push(predicate);
            }
        }
    }
    where_clause
}

/// Whether `ty` names one of `params`.
fn mentions_any(ty: &syn::Type, params: &HashSet<&Ident>) -> bool {
    struct Finder<'a> {
        params: &'a HashSet<&'a Ident>,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_path(&mut self, path: &'ast Path) {
            if path.leading_colon.is_none()
                && path
                    .segments
                    .first()
                    .is_some_and(|s| self.params.contains(&s.ident))
            {
                self.found = true;
            }
            syn::visit::visit_path(self, path);
        }
        fn visit_type_macro(&mut self, _: &'ast syn::TypeMacro) {
            // A macro may expand to anything: bound it, to be safe.
            self.found = true;
        }
    }
    let mut finder = Finder {
        params,
        found: false,
    };
    finder.visit_type(ty);
    finder.found
}

/// Replaces `Self` in a user expression with the type's name: the expression ends up inside
/// `pool()`'s `static` and `const` items, where `Self` is not allowed.
pub(crate) fn replace_self(expr: &Expr, ident: &Ident) -> Expr {
    struct Replace<'a>(&'a Ident);
    impl VisitMut for Replace<'_> {
        fn visit_path_mut(&mut self, path: &mut Path) {
            if path.leading_colon.is_none() {
                if let Some(first) = path.segments.first_mut() {
                    if first.ident == "Self" {
                        first.ident = Ident::new(&self.0.to_string(), first.ident.span());
                    }
                }
            }
            syn::visit_mut::visit_path_mut(self, path);
        }
    }
    let mut expr = expr.clone();
    Replace(ident).visit_expr_mut(&mut expr);
    expr
}

/// `impl Type { fn pool() -> &'static Pool<Type> }` for arguments without errors.
///
/// Every setting is a `const` item: a literal was range-checked by `valid.rs` already, and a
/// constant expression gets the same checks as `const` assertions here. Every count, literal
/// or not, is checked here against `max_objects` (which depends on the type's size, which the
/// macro cannot know). So the `build()` in
/// `pool()` cannot fail because of a setting; what is left is failing to reserve memory for the
/// slots, which is reported by a panic that names the pool and the reason.
fn pool_impl(args: &Args, input: &DeriveInput, krate: &Path, derives_reset: bool) -> TokenStream {
    let ident = &input.ident;
    let vis = &input.vis;
    let mode = args.mode();
    let pool_name = format_ident!("{}", mode.pool_type());
    let pool_ty = quote!(#krate::__private::#pool_name<#ident>);
    let Settings { items, calls } = settings(args, ident, krate);

    let factory = match &args.factory {
        Some(path) => replace_self(&Expr::Path(path.clone()), ident).into_token_stream(),
        None => {
            quote_spanned!(ident.span()=> <#ident as #krate::__private::DefaultForPool>::default_for_pool)
        }
    };
    // Where an error about the type's `Reset` impl points: at `manual_reset` (which promised
    // one), at the type (which derives it), or nowhere in particular (it is generated).
    let reset_impl_span = match &args.reset {
        Some(ResetArg::Manual(word)) => word.span(),
        _ if derives_reset => ident.span(),
        _ => Span::call_site(),
    };
    let reset = match &args.reset {
        Some(ResetArg::With(path)) => {
            replace_self(&Expr::Path(path.clone()), ident).into_token_stream()
        }
        Some(ResetArg::Manual(_)) | None => quote_spanned!(reset_impl_span=>
            <#ident as #krate::__private::ResetForPool>::reset_for_pool
        ),
    };
    let factory_var = Ident::new("__fastalloc_factory", Span::mixed_site());
    let reset_var = Ident::new("__fastalloc_reset", Span::mixed_site());
    let value_var = value_var();
    let error_var = Ident::new("__fastalloc_error", Span::mixed_site());
    let Retain {
        function: retain_fn,
        call: retain_call,
    } = retain(args, ident, krate, reset_impl_span);
    let panic_message = format!(
        "`#[pooled]` could not build the `{}` of `{ident}`: {{}}",
        mode.pool_type()
    );
    let doc = pool_doc(args, ident);
    // The pool's name in `fastalloc::registry`: the type's path, as `std::any::type_name`
    // spells it for a type without generics (`module_path!` expands in the user's module).
    let type_name = ident.unraw().to_string();
    let name = quote!(::core::concat!(::core::module_path!(), "::", #type_name));
    // The builder gets local functions rather than `fn` pointers: a function item is
    // zero-sized and its call direct (inlined), where a pointer made every release one more
    // indirect call. Inside each, the `let` checks the user's path against the signature
    // (the clearest error for a wrong one) and compiles to a direct call.
    let build = quote! {
        || {
            fn #factory_var() -> #ident {
                let #factory_var: fn() -> #ident = #factory;
                #factory_var()
            }
            fn #reset_var(#value_var: &mut #ident) {
                let #reset_var: fn(&mut #ident) = #reset;
                #reset_var(#value_var);
            }
            #retain_fn
            <#pool_ty>::builder()
                .name(#name)
                #(#calls)*
                .factory(#factory_var)
                .reset_with(#reset_var)
                #retain_call
                .build()
                .unwrap_or_else(|#error_var| ::core::panic!(#panic_message, #error_var))
        }
    };
    // A `ThreadLocalPool` builds itself on first use (`lazy`), which leaves no check on the
    // fast path; the other pools sit in a `LazyLock`.
    let pool_static = if mode == Mode::ThreadLocal {
        quote!(static __FASTALLOC_POOL: #pool_ty = <#pool_ty>::lazy(#build);)
    } else {
        quote! {
            static __FASTALLOC_POOL: #krate::__private::LazyLock<#pool_ty> =
                #krate::__private::LazyLock::new(#build);
        }
    };
    let item = quote! {
        #[automatically_derived]
        impl #ident {
            #[doc = #doc]
            #[must_use]
            #vis fn pool() -> &'static #pool_ty {
                #(#items)*
                #pool_static
                &__FASTALLOC_POOL
            }
        }
    };
    requires_std(args.mode.as_ref(), krate, &item)
}

/// `item`, a `pool()` whose pool needs `std`, inside `__requires_std!`: the facade passes it
/// on as it is when its `std` feature is on, and otherwise replaces it with an error saying so
/// (a proc macro cannot see the features of the crate its code names). The error points at
/// the mode word, or at the attribute when there is none.
pub(crate) fn requires_std(
    mode: Option<&ModeArg>,
    krate: &Path,
    item: &TokenStream,
) -> TokenStream {
    let (span, written, pool) = match mode {
        Some(arg) => (
            arg.word.span(),
            format!("`#[pooled({})]`", arg.word),
            arg.mode.pool_type(),
        ),
        None => (
            Span::call_site(),
            "`#[pooled]` without a mode word".to_owned(),
            Mode::ThreadLocal.pool_type(),
        ),
    };
    let article = if pool.starts_with('A') { "an" } else { "a" };
    let message = format!(
        "{written} makes {article} `{pool}`, which needs the heap and fastalloc's `std` feature \
         (on by default, off in this build); turn the feature on, or write \
         `#[pooled(capacity = N, heapless)]` for a `StaticPool`: a fixed pool stored inline in \
         a `static`, with no heap and no `std`"
    );
    // The error is reported at the whole macro call, from the crate path to the braces: all
    // of them get the span.
    let path: TokenStream = quote!(#krate::__private::__requires_std)
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect();
    quote_spanned!(span=> #path! { #message, #item })
}

/// `impl Type { fn pool() -> &'static StaticPool<Type, N> }` for `heapless` arguments without
/// errors.
///
/// The pool is a plain `static`, built by `const` constructors: no `LazyLock`, no heap, nothing
/// done on first use. The factory, reset and `retain_if` functions are local functions (as in
/// [`pool_impl`]) passed as `fn` pointers, which is all a `const` initializer can hold. When
/// objects are reset through the type's `Reset` impl, `StaticPool::with_factory` calls it and
/// asks its `reusable` by itself, so only `retain_if = path` adds a `.retain_if(..)`.
fn heapless_pool_impl(
    args: &Args,
    input: &DeriveInput,
    krate: &Path,
    derives_reset: bool,
) -> TokenStream {
    let ident = &input.ident;
    let vis = &input.vis;
    let capacity = args
        .capacity
        .as_ref()
        .expect("`valid.rs` reports a missing `capacity`");
    // A literal as it is (`valid.rs` checked it); any other expression in braces, as a const
    // argument must be. (The upper limit depends on the target: `StaticPool` checks it.)
    let n = if capacity.literal.is_some() {
        capacity.expr.to_token_stream()
    } else {
        let expr = replace_self(&capacity.expr, ident);
        quote_spanned!(capacity.expr.span()=> { #expr })
    };
    let pool_ty = quote!(#krate::__private::StaticPool<#ident, #n>);

    let factory_var = Ident::new("__fastalloc_factory", Span::mixed_site());
    let reset_var = Ident::new("__fastalloc_reset", Span::mixed_site());
    let retain_var = Ident::new("__fastalloc_retain", Span::mixed_site());
    let value_var = value_var();
    let factory = match &args.factory {
        Some(path) => replace_self(&Expr::Path(path.clone()), ident).into_token_stream(),
        None => {
            quote_spanned!(ident.span()=> <#ident as #krate::__private::DefaultForPool>::default_for_pool)
        }
    };
    // As in `pool_impl`, each `let` checks the user's path against the signature.
    let mut functions = vec![quote! {
        fn #factory_var() -> #ident {
            let #factory_var: fn() -> #ident = #factory;
            #factory_var()
        }
    }];
    let constructor = match &args.reset {
        Some(ResetArg::With(path)) => {
            let reset = replace_self(&Expr::Path(path.clone()), ident);
            functions.push(quote! {
                fn #reset_var(#value_var: &mut #ident) {
                    let #reset_var: fn(&mut #ident) = #reset;
                    #reset_var(#value_var);
                }
            });
            quote!(<#pool_ty>::with_hooks(#factory_var, #reset_var))
        }
        // `static_pool` is `StaticPool::with_factory` with its `Reset` bound spelt
        // `ResetForStaticPool`, whose message talks about `#[pooled]`. An unmet bound is reported
        // at the type argument naming the type, which gets the span of `manual_reset` (which
        // promised the impl), of the type (which derives it), or of the attribute.
        reset => {
            let span = match reset {
                Some(ResetArg::Manual(word)) => word.span(),
                _ if derives_reset => ident.span(),
                _ => Span::call_site(),
            };
            let mut ty = ident.clone();
            ty.set_span(span);
            quote!(#krate::__private::static_pool::<#ty, #n>(#factory_var))
        }
    };
    let retain_call = args.retain_if.as_ref().map(|path| {
        let path = replace_self(&Expr::Path(path.clone()), ident);
        functions.push(quote! {
            fn #retain_var(#value_var: &#ident) -> ::core::primitive::bool {
                let #retain_var: fn(&#ident) -> ::core::primitive::bool = #path;
                #retain_var(#value_var)
            }
        });
        quote!(.retain_if(#retain_var))
    });
    let mut items = Vec::new();
    let mut init = quote!(#constructor #retain_call);
    if capacity.literal.is_none() {
        // A constant expression is checked by the initializer, which never builds a pool of
        // zero objects: `StaticPool`'s own check of `N` would then fail too, pointing into
        // `fastalloc` rather than at the capacity. (The `const` item gives a value of another
        // type one error at the expression.)
        let capacity_name = Ident::new("__FASTALLOC_CAPACITY", Span::call_site());
        items.push(size_const(&capacity_name, capacity, ident));
        let message = "`capacity` in `#[pooled]` must be at least 1: a pool of zero objects can \
                       never hand one out";
        init = quote_spanned! {capacity.expr.span()=>
            if #capacity_name > 0 {
                #init
            } else {
                ::core::panic!(#message)
            }
        };
    }
    let doc = pool_doc(args, ident);
    quote! {
        #[automatically_derived]
        impl #ident {
            #[doc = #doc]
            #[must_use]
            #vis fn pool() -> &'static #pool_ty {
                #(#items)*
                #(#functions)*
                static __FASTALLOC_POOL: #pool_ty = #init;
                &__FASTALLOC_POOL
            }
        }
    }
}

/// The parameter of the local functions `pool()` gives the builder. Mixed-site, like their
/// names: a user's `const value` must not turn the parameter into a pattern.
fn value_var() -> Ident {
    Ident::new("__fastalloc_value", Span::mixed_site())
}

/// What decides whether a reset object is kept: a local function, and the builder call
/// passing it (both empty when nothing decides).
struct Retain {
    function: TokenStream,
    call: TokenStream,
}

/// The type's `Reset::reusable` when the reset goes through that impl (`reset_with`, which
/// `pool()` uses, bypasses the builder's own call of it), and `retain_if = path`. Both go into
/// one local function, so the builder gets one `.retain_if(..)`: one zero-sized function item,
/// inlined into the reset closure. Without either there is no call at all. `reset_impl_span`
/// is where an error about the `Reset` impl points.
fn retain(args: &Args, ident: &Ident, krate: &Path, reset_impl_span: Span) -> Retain {
    let retain_var = Ident::new("__fastalloc_retain", Span::mixed_site());
    let value_var = value_var();
    // As for `factory` and `reset`, the `let` checks the user's path against the signature.
    let user_retain = args.retain_if.as_ref().map(|path| {
        let path = replace_self(&Expr::Path(path.clone()), ident);
        quote! {
            let #retain_var: fn(&#ident) -> ::core::primitive::bool = #path;
        }
    });
    let mut conditions = Vec::new();
    if args.resets_with_impl() {
        conditions.push(quote_spanned!(reset_impl_span=>
            <#ident as #krate::__private::ResetForPool>::reusable_for_pool(#value_var)
        ));
    }
    if user_retain.is_some() {
        conditions.push(quote!(#retain_var(#value_var)));
    }
    if conditions.is_empty() {
        return Retain {
            function: TokenStream::new(),
            call: TokenStream::new(),
        };
    }
    Retain {
        function: quote! {
            fn #retain_var(#value_var: &#ident) -> ::core::primitive::bool {
                #user_retain
                #(#conditions)&&*
            }
        },
        call: quote!(.retain_if(#retain_var)),
    }
}

/// The pool's settings: `const` items with their checks, and the builder calls using them.
struct Settings {
    items: Vec<TokenStream>,
    calls: Vec<TokenStream>,
}

fn settings(args: &Args, ident: &Ident, krate: &Path) -> Settings {
    let mut items = Vec::new();
    let mut calls = Vec::new();
    let Some(capacity) = &args.capacity else {
        return Settings { items, calls };
    };
    let capacity_name = Ident::new("__FASTALLOC_CAPACITY", Span::call_site());
    items.push(size_const(&capacity_name, capacity, ident));
    items.push(size_check(
        &capacity_name,
        capacity,
        name::CAPACITY,
        ident,
        krate,
    ));
    if capacity.literal.is_none() {
        items.push(const_assert(
            capacity.expr.span(),
            &quote!(#capacity_name > 0),
            "`capacity` in `#[pooled]` must be at least 1: a pool of zero objects can never \
             hand one out",
        ));
    }
    calls.push(quote!(.capacity(#capacity_name)));

    if let Some(max) = &args.max_capacity {
        let max_name = Ident::new("__FASTALLOC_MAX_CAPACITY", Span::call_site());
        items.push(size_const(&max_name, max, ident));
        items.push(size_check(&max_name, max, name::MAX_CAPACITY, ident, krate));
        if max.literal.is_none() || capacity.literal.is_none() {
            items.push(const_assert(
                max.expr.span(),
                &quote!(#max_name >= #capacity_name),
                "`max_capacity` in `#[pooled]` is below `capacity`: the pool starts at \
                 `capacity` and grows up to `max_capacity`; raise `max_capacity` or lower \
                 `capacity`",
            ));
        }
        calls.push(quote!(.max_capacity(#max_name)));
    }

    match &args.growth {
        Some(GrowthArg::Linear { step, word }) => {
            let step_name = Ident::new("__FASTALLOC_GROWTH_STEP", Span::call_site());
            items.push(size_const(&step_name, step, ident));
            if step.literal.is_none() {
                items.push(const_assert(
                    step.expr.span(),
                    &quote!(#step_name > 0),
                    "the step of `growth = linear(N)` in `#[pooled]` must be at least 1",
                ));
            }
            let growth = quote_spanned!(word.span()=> #krate::__private::Growth::Linear);
            calls.push(quote!(.growth(#growth(#step_name))));
        }
        Some(GrowthArg::Exponential { factor, word }) => {
            let factor_name = Ident::new("__FASTALLOC_GROWTH_FACTOR", Span::call_site());
            let span = factor.expr.span();
            let value = match factor.literal {
                Some(value) => Literal::f64_unsuffixed(value).into_token_stream(),
                None => replace_self(&factor.expr, ident).into_token_stream(),
            };
            items.push(quote_spanned!(span=> const #factor_name: ::core::primitive::f64 = #value;));
            if factor.literal.is_none() {
                items.push(const_assert(
                    span,
                    &quote!(#factor_name > 1.0 && #factor_name < ::core::primitive::f64::INFINITY),
                    "the factor of `growth = exponential(F)` in `#[pooled]` must be finite and \
                     greater than 1.0, such as 1.5 or 2.0",
                ));
            }
            let growth = quote_spanned!(word.span()=> #krate::__private::Growth::Exponential);
            calls.push(quote!(.growth(#growth(#factor_name))));
        }
        None => {}
    }
    if args.preallocate.is_some() {
        calls.push(quote!(.preallocate(true)));
    }
    Settings { items, calls }
}

/// `const NAME: usize = expr;`, spanned at `expr` so that a type error points at it.
fn size_const(name: &Ident, number: &Number, ident: &Ident) -> TokenStream {
    let expr = replace_self(&number.expr, ident);
    quote_spanned!(number.expr.span()=> const #name: ::core::primitive::usize = #expr;)
}

/// A `const` assertion that `name` objects of the pooled type fit in one pool.
fn size_check(
    name: &Ident,
    number: &Number,
    what: &str,
    ident: &Ident,
    krate: &Path,
) -> TokenStream {
    let message = format!(
        "`{what}` in `#[pooled]` is larger than a pool of `{ident}` can hold: at most \
         `u32::MAX` objects, and their memory must fit in the address space"
    );
    let max = quote!(#krate::__private::max_objects::<#ident>());
    const_assert(number.expr.span(), &quote!(#name <= #max), &message)
}

fn const_assert(span: Span, condition: &TokenStream, message: &str) -> TokenStream {
    quote_spanned!(span=> const _: () = ::core::assert!(#condition, #message);)
}

fn pool_doc(args: &Args, ident: &Ident) -> String {
    let describe = |number: &Number| match number.literal {
        Some(value) => value.to_string(),
        None => format!("`{}`", number.expr.to_token_stream()),
    };
    let capacity = args.capacity.as_ref().map(describe).unwrap_or_default();
    let mut doc = match args.mode() {
        Mode::ThreadLocal => format!(
            " The `ThreadLocalPool` of `{ident}` objects, generated by `#[pooled]`: each thread \
             that allocates gets its own part of {capacity} objects"
        ),
        Mode::ThreadSafe => format!(
            " The `ThreadSafePool` of `{ident}` objects, generated by `#[pooled]`: {capacity} \
             objects shared by all threads"
        ),
        Mode::Async => format!(
            " The `AsyncPool` of `{ident}` objects, generated by `#[pooled]`: {capacity} objects"
        ),
        Mode::Heapless => format!(
            " The `StaticPool` of `{ident}` objects, generated by `#[pooled(heapless)]`: \
             {capacity} objects stored inline in a `static`, never growing. It uses no heap: the \
             pool is built at compile time, and each object by the factory when it is first \
             allocated"
        ),
    };
    match (&args.growth, &args.max_capacity) {
        _ if args.mode() == Mode::Heapless => {}
        (None, None) => doc.push_str(", never growing"),
        (_, Some(max)) => {
            let _ = write!(doc, ", growing up to {}", describe(max));
        }
        (Some(_), None) => doc.push_str(", growing as needed"),
    }
    if args.mode().needs_std() {
        doc.push_str(". It is created on the first call");
    }
    match (args.preallocate.is_some(), args.mode()) {
        (false, _) | (true, Mode::Heapless) => {}
        (true, Mode::ThreadLocal) => {
            doc.push_str(", and each thread's objects are built on its first allocation");
        }
        (true, _) => doc.push_str(", and its objects are built then"),
    }
    doc.push_str(
        ".\n\n Dropping a guard from `allocate()` resets the object and returns it to the pool",
    );
    match (&args.retain_if, args.resets_with_impl()) {
        (Some(path), true) => {
            let _ = write!(
                doc,
                ", unless `Reset::reusable` or `{}` refuses it (then it is dropped)",
                path.to_token_stream()
            );
        }
        (Some(path), false) => {
            let _ = write!(
                doc,
                ", unless `{}` refuses it (then it is dropped)",
                path.to_token_stream()
            );
        }
        (None, true) => doc.push_str(", unless `Reset::reusable` refuses it (then it is dropped)"),
        (None, false) => {}
    }
    doc.push('.');
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_pooled(args: TokenStream, item: TokenStream) -> String {
        pooled(args, item).to_string()
    }

    #[test]
    fn a_renamed_crate_is_the_only_path_used() {
        let out = expand_pooled(
            quote!(capacity = 4, growth = linear(2), crate = my::pools),
            quote!(
                struct Particle {
                    trail: Vec<u8>,
                    #[reset(value = 1)]
                    id: u64,
                }
            ),
        );
        assert!(!out.contains("fastalloc ::"), "{out}");
        assert!(out.contains("my :: pools :: __private :: Reset"), "{out}");
        assert!(
            out.contains("my :: pools :: __private :: ThreadLocalPool < Particle >"),
            "{out}"
        );
        assert!(
            !out.contains("# [reset"),
            "the helper attributes are removed: {out}"
        );
    }

    #[test]
    fn the_derive_below_is_left_to_write_the_impl() {
        let out = expand_pooled(
            quote!(capacity = 4, crate = my::pools),
            quote!(
                #[derive(Default, Reset)]
                struct Particle {
                    #[reset(skip)]
                    id: u64,
                }
            ),
        );
        assert!(
            !out.contains("impl my :: pools :: __private :: Reset"),
            "{out}"
        );
        assert!(
            out.contains("# [reset (skip)]"),
            "kept for the derive: {out}"
        );
        assert!(out.contains("# [reset (crate = my :: pools)]"), "{out}");
    }

    #[test]
    fn the_derive_above_stays_silent_when_pooled_writes_the_impl() {
        let silent: DeriveInput = parse_quote! {
            #[pooled(capacity = 4, thread_safe)]
            struct Particle { id: u64 }
        };
        assert!(derive_reset(&silent).is_empty());
        let writes: DeriveInput = parse_quote! {
            #[fastalloc::pooled(capacity = 4, reset = clear)]
            struct Particle { id: u64 }
        };
        assert!(derive_reset(&writes)
            .to_string()
            .contains("__private :: Reset for Particle"));
    }

    #[test]
    fn reusable_only_when_a_field_has_a_say() {
        let silent: DeriveInput = parse_quote! {
            struct Quiet {
                #[reset(skip)]
                a: Vec<u8>,
                #[reset(default)]
                b: String,
                #[reset(with = Vec::clear)]
                c: Vec<u8>,
            }
        };
        assert!(!derive_reset(&silent).to_string().contains("fn reusable"));
        let enumeration: DeriveInput = parse_quote! {
            enum State { #[reset(default)] Idle, Busy(Vec<u8>) }
        };
        assert!(!derive_reset(&enumeration)
            .to_string()
            .contains("fn reusable"));

        let asked: DeriveInput = parse_quote! {
            struct Asked {
                #[reset(skip, max_capacity = 8)]
                a: Vec<u8>,
                b: Vec<u8>,
                #[reset(default)]
                c: String,
            }
        };
        let out = derive_reset(&asked).to_string();
        assert!(out.contains("fn reusable"), "{out}");
        assert!(
            out.contains("Capacity > :: capacity (& self . a) > 8"),
            "{out}"
        );
        assert!(out.contains("reusable_field (& self . b)"), "{out}");
        assert!(!out.contains("(& self . c)"), "{out}");
    }

    #[test]
    fn one_retain_if_call_when_anything_decides() {
        let item = quote!(
            #[derive(Default)]
            struct Frame {
                data: Vec<u8>,
            }
        );
        let count = |args: TokenStream| {
            expand_pooled(args, item.clone())
                .matches(". retain_if (")
                .count()
        };
        assert_eq!(count(quote!(capacity = 2)), 1, "`Reset::reusable`");
        assert_eq!(count(quote!(capacity = 2, manual_reset)), 1);
        assert_eq!(count(quote!(capacity = 2, retain_if = keep)), 1, "both");
        assert_eq!(count(quote!(capacity = 2, reset = clear)), 0, "neither");
        assert_eq!(
            count(quote!(capacity = 2, reset = clear, retain_if = keep)),
            1
        );
        let out = expand_pooled(quote!(capacity = 2, reset = clear, retain_if = keep), item);
        assert!(!out.contains("reusable_for_pool"), "{out}");
    }

    #[test]
    fn heapless_pools_are_plain_statics() {
        let item = quote!(
            #[derive(Default)]
            struct Frame {
                data: [u8; 64],
                len: usize,
            }
        );
        let out = expand_pooled(quote!(capacity = 4, heapless), item.clone());
        assert!(
            out.contains(
                "fn pool () -> & 'static :: fastalloc :: __private :: StaticPool < Frame , 4 >"
            ),
            "{out}"
        );
        assert!(out.contains("static __FASTALLOC_POOL : :: fastalloc :: __private :: StaticPool < Frame , 4 > = :: fastalloc :: __private :: static_pool :: < Frame , 4 > (__fastalloc_factory) ;"), "{out}");
        assert!(
            out.contains("DefaultForPool > :: default_for_pool"),
            "{out}"
        );
        // No lazy initialisation, no builder, no name, no `std`; `Reset::reusable` is asked by
        // `StaticPool` itself, so nothing else decides.
        for absent in [
            "LazyLock",
            "builder",
            ". name (",
            "__requires_std",
            "retain_if",
            "reusable_for_pool",
        ] {
            assert!(!out.contains(absent), "{absent}: {out}");
        }
        assert!(
            out.contains("impl :: fastalloc :: __private :: Reset for Frame"),
            "{out}"
        );

        let out = expand_pooled(
            quote!(
                heapless,
                capacity = Self::SLOTS * 2,
                factory = Self::make,
                reset = clear,
                retain_if = Self::small,
                crate = my::pools
            ),
            item.clone(),
        );
        assert!(
            out.contains(
                "my :: pools :: __private :: StaticPool < Frame , { Frame :: SLOTS * 2 } >"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "{ < my :: pools :: __private :: StaticPool < Frame , { Frame :: SLOTS * 2 } > > :: with_hooks (__fastalloc_factory , __fastalloc_reset) . retain_if (__fastalloc_retain) } else { :: core :: panic !"
            ),
            "{out}"
        );
        assert!(out.contains("= Frame :: make ;"), "{out}");
        assert!(out.contains("= Frame :: small ;"), "{out}");
        assert!(
            out.contains("= if __FASTALLOC_CAPACITY > 0 { < my :: pools"),
            "{out}"
        );
        assert!(
            !out.contains("impl my :: pools :: __private :: Reset"),
            "{out}"
        );

        let out = expand_pooled(quote!(capacity = 2, heapless, retain_if = keep), item);
        assert!(
            out.contains("static_pool :: < Frame , 2 > (__fastalloc_factory) . retain_if (__fastalloc_retain)"),
            "{out}"
        );
    }

    #[test]
    fn every_other_mode_requires_std() {
        let item = quote!(
            #[derive(Default)]
            struct Frame {
                data: Vec<u8>,
            }
        );
        for args in [
            quote!(capacity = 2),
            quote!(capacity = 2, thread_local),
            quote!(capacity = 2, thread_safe),
            quote!(capacity = 2, async),
            // The stand-in `pool()` after an error too.
            quote!(capacity = 2, thread_safe, growth = linear(0)),
        ] {
            let out = expand_pooled(args, item.clone());
            assert_eq!(
                out.matches(":: fastalloc :: __private :: __requires_std ! {")
                    .count(),
                1,
                "{out}"
            );
            assert!(
                out.contains("needs the heap and fastalloc's `std` feature"),
                "{out}"
            );
        }
        let out = expand_pooled(quote!(capacity = 2, async), item);
        assert!(
            out.contains("`#[pooled(async)]` makes an `AsyncPool`"),
            "{out}"
        );
    }

    #[test]
    fn heapless_refuses_what_needs_a_heap() {
        let item = quote!(
            #[derive(Default)]
            struct Frame {
                len: usize,
            }
        );
        let out = expand_pooled(
            quote!(
                capacity = 4,
                heapless,
                growth = linear(2),
                max_capacity = 2,
                preallocate,
                max_capacity = 8
            ),
            item.clone(),
        );
        for message in [
            "`growth` cannot be combined with `heapless`",
            "`max_capacity` cannot be combined with `heapless`",
            "`preallocate` cannot be combined with `heapless`",
        ] {
            assert_eq!(out.matches(message).count(), 1, "{message}: {out}");
        }
        assert!(!out.contains("is below `capacity`"), "{out}");
        // The stand-in has the capacity as written.
        assert!(
            out.contains(
                "fn pool () -> & 'static :: fastalloc :: __private :: StaticPool < Frame , { 4 } >"
            ),
            "{out}"
        );

        // Without a capacity, the stand-in's is the error again (reported once by rustc).
        let out = expand_pooled(quote!(heapless), item);
        let message = "`#[pooled(heapless)]` needs a `capacity`";
        assert_eq!(out.matches(message).count(), 2, "{out}");
        assert!(
            out.contains("StaticPool < Frame , { :: core :: compile_error !"),
            "{out}"
        );
    }

    #[test]
    fn generic_bounds_name_field_types() {
        let input: DeriveInput = parse_quote! {
            struct Batch<T, U: Clone> where U: Send {
                items: Vec<T>,
                value: U,
                #[reset(default)]
                other: Option<U>,
                #[reset(skip)]
                kept: T,
                fixed: u8,
                #[reset(skip, max_capacity = 4)]
                limited: Vec<T>,
            }
        };
        let out = derive_reset(&input).to_string();
        assert!(out.contains("where U : Send , Vec < T > : :: fastalloc :: __private :: Reset , U : :: fastalloc :: __private :: Reset , Option < U > : :: core :: default :: Default , Vec < T > : :: fastalloc :: __private :: Capacity"), "{out}");
    }
}
