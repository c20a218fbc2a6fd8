//! What to emit when the input is wrong: the item itself, stand-ins for the impls the user's
//! other code relies on, and the errors. So one mistake gives one error, not a flood of "no
//! function `pool`" and "`Reset` is not implemented" errors, and IDE completion keeps working.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::{DeriveInput, Path};

use crate::args::{self, Args};
use crate::ctxt::{self, Errors};
use crate::{expand, reset, valid};

/// `#[pooled(...)]` after an error: the item as it would be emitted, stand-ins for the
/// `Reset` impl and `pool()` it would have generated, and the errors.
pub(crate) fn pooled(args: TokenStream, mut item: TokenStream, errors: Errors) -> TokenStream {
    let first_error = errors.first_compile_error();
    let errors = errors.into_compile_errors();
    let Ok(mut input) = valid::pooled_item(item.clone()) else {
        // Not a struct, enum or union: nothing to stand in for.
        item.extend(errors);
        return item;
    };
    // Read again for what the stand-ins need; the mistakes in them are among `errors`.
    let args = ctxt::ignoring(|ignored| args::parse(args, "", ignored));
    let krate = args::fastalloc_path(args.krate.as_ref());
    let derives = expand::derives_reset(&input);
    // A type `#[pooled]` rejects (a generic one, say) still gets a stand-in `Reset` impl, so
    // the rest of the program sees the impl it expects.
    let reset_impl = if expand::writes_reset(&args, &input, derives) {
        reset_impl(&input, &krate)
    } else {
        TokenStream::new()
    };
    let pool = if valid::can_pool(&input) {
        pool_impl(&input, &krate, &args, first_error)
    } else {
        TokenStream::new()
    };
    expand::tidy_item(&mut input, &args, derives);
    quote! {
        #input
        #reset_impl
        #pool
        #errors
    }
}

/// `#[derive(Reset)]` after an error: a stand-in `Reset` impl, and the errors.
pub(crate) fn derive_reset(input: &DeriveInput, errors: Errors) -> TokenStream {
    let krate = ctxt::ignoring(|ignored| reset::container(&input.attrs, ignored));
    let reset_impl = reset_impl(input, &args::fastalloc_path(krate.as_ref()));
    let errors = errors.into_compile_errors();
    quote!(#reset_impl #errors)
}

/// An empty `Reset` impl, standing in for one that could not be generated.
fn reset_impl(input: &DeriveInput, krate: &Path) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private::Reset for #ident #ty_generics #where_clause {
            fn reset(&mut self) {}
        }
    }
}

/// A `pool()` with the right signature and no body, standing in for one that could not be
/// generated. It is never run: the errors beside it stop the build.
///
/// A `StaticPool` stand-in takes the capacity as it was written. Without one that could be
/// read, its capacity is the first of the errors again: rustc reports an error once however
/// often it is emitted, and a pool type with an erroneous capacity raises no further errors
/// wherever it is used (as one with a made-up capacity would, where the user names the type,
/// and a `pool()` generic over it would, where nothing else fixes it).
fn pool_impl(
    input: &DeriveInput,
    krate: &Path,
    args: &Args,
    first_error: TokenStream,
) -> TokenStream {
    let ident = &input.ident;
    let vis = &input.vis;
    let mode = args.mode();
    let pool_name = format_ident!("{}", mode.pool_type());
    let pool_ty = if mode.needs_std() {
        quote!(#krate::__private::#pool_name<#ident>)
    } else {
        let capacity = match &args.capacity {
            Some(capacity) => expand::replace_self(&capacity.expr, ident).into_token_stream(),
            None => first_error,
        };
        quote!(#krate::__private::#pool_name<#ident, { #capacity }>)
    };
    let item = quote! {
        #[automatically_derived]
        impl #ident {
            #[doc(hidden)]
            #vis fn pool() -> &'static #pool_ty {
                ::core::unreachable!("`#[pooled]` reported an error")
            }
        }
    };
    if mode.needs_std() {
        expand::requires_std(args.mode.as_ref(), krate, &item)
    } else {
        item
    }
}
