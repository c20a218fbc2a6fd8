//! A borrowed model of the type that gets a `Reset` impl: its fields and how each one is reset,
//! keeping the original syn nodes so that errors and generated code point at the user's tokens.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, DeriveInput, Generics, Ident, Index, Member, Path, Type};

use crate::args::Number;
use crate::ctxt::Errors;
use crate::reset::{self, How};

/// The type being given a `Reset` impl.
pub(crate) struct Input<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) data: Data<'a>,
    /// `#[reset(crate = path)]` on the type.
    pub(crate) krate: Option<Path>,
}

/// What kind of type it is.
pub(crate) enum Data<'a> {
    /// A struct (named, tuple or unit): reset field by field.
    Struct(Vec<Field<'a>>),
    /// An enum: reset to the variant marked `#[reset(default)]`.
    Enum(Vec<Variant<'a>>),
    /// A union: rejected by `valid.rs`.
    Union(&'a syn::DataUnion),
}

/// One field of a struct.
pub(crate) struct Field<'a> {
    /// `self.name` or `self.0`.
    pub(crate) member: Member,
    pub(crate) ty: &'a Type,
    /// The field's `#[cfg(...)]` attributes, repeated on its reset statement: an attribute macro
    /// (unlike a derive) sees fields that `cfg` is about to remove.
    pub(crate) cfgs: Vec<&'a Attribute>,
    pub(crate) how: How,
    /// `#[reset(max_capacity = N)]`.
    pub(crate) max_capacity: Option<Number>,
}

/// One variant of an enum.
pub(crate) struct Variant<'a> {
    pub(crate) original: &'a syn::Variant,
    /// The span of `default` in `#[reset(default)]`, if the variant is marked.
    pub(crate) marked: Option<Span>,
}

impl<'a> Input<'a> {
    /// Reads `input` and its `#[reset(...)]` attributes, recording mistakes in `errors`.
    pub(crate) fn from_syn(input: &'a DeriveInput, errors: &mut Errors) -> Self {
        let krate = reset::container(&input.attrs, errors);
        let data = match &input.data {
            syn::Data::Struct(data) => Data::Struct(
                data.fields
                    .iter()
                    .enumerate()
                    .map(|(index, field)| Field::from_syn(index, field, errors))
                    .collect(),
            ),
            syn::Data::Enum(data) => Data::Enum(
                data.variants
                    .iter()
                    .map(|v| Variant::from_syn(v, errors))
                    .collect(),
            ),
            syn::Data::Union(data) => Data::Union(data),
        };
        Input {
            ident: &input.ident,
            generics: &input.generics,
            data,
            krate,
        }
    }

    /// The variant marked `#[reset(default)]` (the first, if `valid.rs` reported several).
    pub(crate) fn default_variant(&self) -> Option<&'a syn::Variant> {
        match &self.data {
            Data::Enum(variants) => variants
                .iter()
                .find(|variant| variant.marked.is_some())
                .map(|v| v.original),
            _ => None,
        }
    }
}

impl<'a> Field<'a> {
    fn from_syn(index: usize, field: &'a syn::Field, errors: &mut Errors) -> Self {
        let member = match &field.ident {
            Some(ident) => Member::Named(ident.clone()),
            None => Member::Unnamed(Index {
                index: index as u32,
                span: field.ty.span(),
            }),
        };
        let reset::FieldOptions { how, max_capacity } = reset::field(field, errors);
        Field {
            member,
            ty: &field.ty,
            cfgs: field
                .attrs
                .iter()
                .filter(|attr| attr.path().is_ident("cfg"))
                .collect(),
            how,
            max_capacity,
        }
    }
}

impl<'a> Variant<'a> {
    fn from_syn(variant: &'a syn::Variant, errors: &mut Errors) -> Self {
        for field in &variant.fields {
            for attr in field.attrs.iter().filter(|attr| reset::is_reset_attr(attr)) {
                // Nor has `max_capacity`: after the reset the enum is in its fieldless
                // `#[reset(default)]` variant, so there is no field left to measure.
                errors.spanned(
                    attr,
                    "`#[reset(...)]` has no effect on a field of an enum variant: an enum is \
                     reset by assigning its `#[reset(default)]` variant; remove it",
                );
            }
        }
        Variant {
            original: variant,
            marked: reset::variant(variant, errors),
        }
    }
}
