//! What to emit beside the errors when the input is wrong: the item itself (emitted by
//! `expand.rs` in every case) and stand-ins for the impls the user's other code relies on, so
//! that one mistake gives one error, not a flood of "no function `pool`" and "`Reset` is not
//! implemented" errors, and IDE completion keeps working.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::{DeriveInput, Item, Path};

use crate::args::Mode;

/// An empty `Reset` impl, standing in for one that could not be generated.
pub(crate) fn reset_impl(input: &DeriveInput, krate: &Path) -> TokenStream {
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
pub(crate) fn pool_impl(input: &DeriveInput, krate: &Path, mode: Mode) -> TokenStream {
    let ident = &input.ident;
    let vis = &input.vis;
    let pool_name = format_ident!("{}", mode.pool_type());
    quote! {
        #[automatically_derived]
        impl #ident {
            #[doc(hidden)]
            #vis fn pool() -> &'static #krate::__private::#pool_name<#ident> {
                ::core::unreachable!("`#[pooled]` reported an error")
            }
        }
    }
}

/// The token that names what kind of item `item` is (`fn`, `impl`, `trait`, ...), for an
/// error saying `#[pooled]` does not go there.
pub(crate) fn item_keyword(item: &Item) -> TokenStream {
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
