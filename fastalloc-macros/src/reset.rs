//! Reads the `#[reset(...)]` helper attribute: on a field (`skip`, `default`, `value = expr`,
//! `with = path`, and `max_capacity = N` beside any of them), on an enum variant (`default`),
//! and on the type itself (`crate = path`).

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Attribute, Error, Expr, ExprPath, Ident, LitStr, Meta, Path, Token};

use crate::args::name::{CRATE, MAX_CAPACITY};
use crate::args::{self, Number};
use crate::ctxt::{self, parse_list, Errors};

/// The name of the helper attribute.
const RESET: &str = "reset";

// The names of the `#[reset(...)]` options: the one place they are spelt. `crate = path` is
// the option of `#[pooled]` too, so its name comes from `args.rs`; so does `max_capacity`,
// the same word for a field's capacity as for a pool's size, so that the two read alike.
const SKIP: &str = "skip";
const DEFAULT: &str = "default";
const VALUE: &str = "value";
const WITH: &str = "with";

const FIELD_OPTIONS: &[&str] = &[SKIP, DEFAULT, VALUE, WITH, MAX_CAPACITY];

const FIELD_ALIASES: &[(&str, &str)] = &[
    ("ignore", SKIP),
    ("keep", SKIP),
    ("none", SKIP),
    ("default_value", VALUE),
    ("to", VALUE),
    ("set", VALUE),
    ("function", WITH),
    ("fn", WITH),
    ("reset_with", WITH),
    ("using", WITH),
    ("max_len", MAX_CAPACITY),
    ("max_size", MAX_CAPACITY),
    ("max_cap", MAX_CAPACITY),
    ("capacity", MAX_CAPACITY),
    ("capacity_limit", MAX_CAPACITY),
    ("limit", MAX_CAPACITY),
    ("shrink", MAX_CAPACITY),
];

/// All the forms, for messages that must list them.
const FIELD_FORMS: &str = "`#[reset(skip)]`, `#[reset(default)]`, `#[reset(value = expr)]`, \
                           `#[reset(with = path)]` or `#[reset(max_capacity = N)]`";

/// What `max_capacity` counts, and an example, for its messages.
const MAX_CAPACITY_COUNTS: &str = "elements";
const MAX_CAPACITY_EXAMPLE: &str = "1024";

/// What the `#[reset(...)]` attributes of one field say.
pub(crate) struct FieldOptions {
    pub(crate) how: How,
    /// `max_capacity = N`: the object is not reusable when the field's capacity is above `N`
    /// after the reset. Separate from `how`, as it combines with any of them.
    pub(crate) max_capacity: Option<Number>,
}

/// How one field goes back to its fresh state.
pub(crate) enum How {
    /// No attribute: the field's own `Reset` impl.
    Reset,
    /// `skip`: left as it is.
    Skip,
    /// `default`: assigned `Default::default()`. Keeps the span of the word.
    Default(Span),
    /// `value = expr`: assigned `expr`.
    Value(Expr),
    /// `with = path`: `path(&mut field)`.
    With(ExprPath),
}

/// Whether `attr` is a `#[reset ...]` attribute.
pub(crate) fn is_reset_attr(attr: &Attribute) -> bool {
    attr.path().is_ident(RESET)
}

/// One `name` or `name = value` inside `#[reset(...)]`.
struct Opt {
    word: Ident,
    name: String,
    value: Option<Expr>,
}

/// The options inside every `#[reset(...)]` among `attrs`, recording malformed ones in `errors`.
fn options(attrs: &[Attribute], level: &str, errors: &mut Errors) -> Vec<Opt> {
    let mut found = Vec::new();
    for attr in attrs.iter().filter(|attr| is_reset_attr(attr)) {
        let list = match &attr.meta {
            Meta::List(list) if !list.tokens.is_empty() => list,
            _ => {
                errors.spanned(attr, format!("`#[reset]` needs an option: {level}"));
                continue;
            }
        };
        parse_list(
            list.tokens.clone(),
            "`reset` options",
            errors,
            |input, _| {
                found.push(option(input)?);
                Ok(())
            },
        );
    }
    found
}

fn option(input: ParseStream) -> syn::Result<Opt> {
    if !input.peek(Ident::peek_any) {
        return Err(input.error(format!("expected a `reset` option: {FIELD_FORMS}")));
    }
    let word = input.call(Ident::parse_any)?;
    let name = word.unraw().to_string();
    let value = if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        if input.is_empty() || input.peek(Token![,]) {
            return Err(input.error(format!("expected a value after `{name} =`")));
        }
        Some(input.parse::<Expr>()?)
    } else {
        None
    };
    Ok(Opt { word, name, value })
}

fn takes_no_value(opt: &Opt) -> syn::Result<()> {
    match &opt.value {
        None => Ok(()),
        Some(_) => Err(Error::new_spanned(
            &opt.word,
            format!(
                "`{}` takes no value: write `#[reset({})]`",
                opt.name, opt.name
            ),
        )),
    }
}

fn string_instead_of_path(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(string),
            ..
        }) => Some(string),
        _ => None,
    }
}

/// How `field` is reset and checked, from its `#[reset(...)]` attributes.
pub(crate) fn field(field: &syn::Field, errors: &mut Errors) -> FieldOptions {
    let mut chosen: Option<(Ident, How)> = None;
    let mut max_capacity: Option<Number> = None;
    for opt in options(
        &field.attrs,
        &format!("on a field, write {FIELD_FORMS}"),
        errors,
    ) {
        if opt.name == MAX_CAPACITY {
            match (max_capacity_value(opt.value, &opt.word), &max_capacity) {
                (Err(error), _) => errors.push(error),
                (Ok(value), None) => max_capacity = Some(value),
                (Ok(_), Some(_)) => errors.spanned(
                    &opt.word,
                    format!("duplicate `reset` option `{MAX_CAPACITY}`; give it once"),
                ),
            }
            continue;
        }
        let how = match opt.name.as_str() {
            SKIP => takes_no_value(&opt).map(|()| How::Skip),
            DEFAULT => takes_no_value(&opt).map(|()| How::Default(opt.word.span())),
            VALUE => match opt.value {
                Some(expr) => Ok(How::Value(expr)),
                None => Err(Error::new_spanned(
                    &opt.word,
                    "`value` needs the value to assign: write `#[reset(value = expr)]`",
                )),
            },
            WITH => with_path(&opt),
            CRATE => Err(Error::new_spanned(
                &opt.word,
                "`crate = ...` goes on the type, not on a field: write `#[reset(crate = path)]` \
                 above the struct",
            )),
            name => Err(Error::new_spanned(
                &opt.word,
                format!(
                    "unknown `reset` option `{name}`; {}",
                    ctxt::suggestion(name, FIELD_OPTIONS, FIELD_ALIASES)
                ),
            )),
        };
        match (how, &chosen) {
            (Err(error), _) => errors.push(error),
            (Ok(how), None) => chosen = Some((opt.word, how)),
            (Ok(_), Some((first, _))) if *first == opt.word => errors.spanned(
                &opt.word,
                format!("duplicate `reset` option `{}`; give it once", opt.name),
            ),
            (Ok(_), Some((first, _))) => errors.spanned(
                &opt.word,
                format!(
                    "conflicting `reset` options `{first}` and `{}`: a field is reset one way; \
                     keep one (`{MAX_CAPACITY} = N` can go with either)",
                    opt.name
                ),
            ),
        }
    }
    FieldOptions {
        how: chosen.map_or(How::Reset, |(_, how)| how),
        max_capacity,
    }
}

/// The `N` of `max_capacity = N`: checked as the counts of `#[pooled]` are, a literal here and
/// a constant expression by the compiler (it is evaluated in a `const` block).
fn max_capacity_value(value: Option<Expr>, word: &Ident) -> syn::Result<Number> {
    let Some(expr) = value else {
        return Err(Error::new_spanned(
            word,
            format!(
                "`{MAX_CAPACITY}` needs the largest capacity to keep: write \
                 `#[reset({MAX_CAPACITY} = {MAX_CAPACITY_EXAMPLE})]`"
            ),
        ));
    };
    args::classify_number(
        expr,
        MAX_CAPACITY,
        MAX_CAPACITY_EXAMPLE,
        MAX_CAPACITY_COUNTS,
    )
}

fn with_path(opt: &Opt) -> syn::Result<How> {
    let Some(expr) = &opt.value else {
        return Err(Error::new_spanned(
            &opt.word,
            "`with` needs a function: write `#[reset(with = path)]` naming a `fn(&mut FieldType)`",
        ));
    };
    if let Some(string) = string_instead_of_path(expr) {
        return Err(Error::new_spanned(
            string,
            format!(
                "`with` takes a path, not a string: write `with = {}` without quotes",
                string.value()
            ),
        ));
    }
    match expr {
        Expr::Path(path) => Ok(How::With(path.clone())),
        other => Err(Error::new_spanned(
            other,
            "`with` takes the path of a function called as `path(&mut field)`, such as \
             `with = Vec::clear`; to use a closure, define a function and name it here",
        )),
    }
}

/// Whether an enum variant is marked `#[reset(default)]`; the span of the mark if so.
pub(crate) fn variant(variant: &syn::Variant, errors: &mut Errors) -> Option<Span> {
    let mut marked = None;
    let level = "on an enum variant, write `#[reset(default)]` to mark the variant that \
                 `reset` goes back to";
    for opt in options(&variant.attrs, level, errors) {
        if opt.name != DEFAULT {
            errors.spanned(
                &opt.word,
                format!(
                    "unknown `reset` option `{}` on an enum variant; {level}",
                    opt.name
                ),
            );
        } else if let Err(error) = takes_no_value(&opt) {
            errors.push(error);
        } else if marked.is_some() {
            errors.spanned(
                &opt.word,
                "duplicate `reset` option `default`; give it once",
            );
        } else {
            marked = Some(opt.word.span());
        }
    }
    marked
}

/// `#[reset(crate = path)]` on the type: the path of the `fastalloc` crate.
pub(crate) fn container(attrs: &[Attribute], errors: &mut Errors) -> Option<Path> {
    let mut krate = None;
    let level = "on the type, only `#[reset(crate = path)]` is accepted";
    for opt in options(attrs, level, errors) {
        match opt.name.as_str() {
            CRATE => match opt.value {
                Some(Expr::Path(path)) if path.qself.is_none() => {
                    if krate.is_some() {
                        errors.spanned(&opt.word, "duplicate `reset` option `crate`; give it once");
                    } else {
                        krate = Some(path.path);
                    }
                }
                Some(other) => errors.spanned(
                    other,
                    "`crate` takes the path of the `fastalloc` crate, such as \
                     `#[reset(crate = my_fastalloc)]`",
                ),
                None => errors.spanned(&opt.word, "`crate` needs a path: write `crate = path`"),
            },
            MAX_CAPACITY => errors.spanned(
                &opt.word,
                format!(
                    "`{MAX_CAPACITY}` goes on a field, not on the type: \
                     `#[reset({MAX_CAPACITY} = N)]` above a field drops the object when that \
                     field's capacity is above N; to bound the number of objects in a pool, \
                     write `#[pooled(..., {MAX_CAPACITY} = N)]`"
                ),
            ),
            name if FIELD_OPTIONS.contains(&name) => errors.spanned(
                &opt.word,
                format!(
                    "`{name}` goes on a field, not on the type; {level} (it names the \
                     `fastalloc` crate when it is renamed)"
                ),
            ),
            name => errors.spanned(
                &opt.word,
                format!("unknown `reset` option `{name}` on the type; {level}"),
            ),
        }
    }
    krate
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn options(field: &syn::Field) -> Result<FieldOptions, Vec<String>> {
        let mut errors = Errors::new();
        let options = super::field(field, &mut errors);
        match errors.finish() {
            Ok(()) => Ok(options),
            Err(error) => Err(error.into_iter().map(|error| error.to_string()).collect()),
        }
    }

    fn how(field: &syn::Field) -> Result<How, Vec<String>> {
        options(field).map(|options| options.how)
    }

    fn named(field: syn::FieldsNamed) -> syn::Field {
        field.named.into_iter().next().unwrap()
    }

    #[test]
    fn field_options() {
        assert!(matches!(
            how(&named(parse_quote!({ a: u8 }))),
            Ok(How::Reset)
        ));
        assert!(matches!(
            how(&named(parse_quote!({ #[reset(skip)] a: u8 }))),
            Ok(How::Skip)
        ));
        assert!(matches!(
            how(&named(parse_quote!({ #[reset(default)] a: u8 }))),
            Ok(How::Default(_))
        ));
        assert!(matches!(
            how(&named(parse_quote!({ #[reset(value = 1 + 2)] a: u8 }))),
            Ok(How::Value(_))
        ));
        assert!(matches!(
            how(&named(parse_quote!({ #[reset(with = Vec::clear)] a: u8 }))),
            Ok(How::With(_))
        ));
    }

    #[test]
    fn field_mistakes() {
        let errors = how(&named(parse_quote!({
            #[reset(skp, skip, default, skip, value, with = "f", with = |x| x, crate = c)]
            #[reset]
            a: u8
        })))
        .err()
        .unwrap();
        assert_eq!(errors.len(), 8, "{errors:#?}");
        assert!(errors[0].starts_with("`#[reset]` needs an option"));
        assert!(errors[1].contains("did you mean `skip`?"));
        assert!(errors[2].starts_with("conflicting `reset` options `skip` and `default`"));
        assert!(errors[3].starts_with("duplicate `reset` option `skip`"));
        assert!(errors[4].starts_with("`value` needs the value"));
        assert!(errors[5].contains("write `with = f` without quotes"));
        assert!(errors[6].contains("define a function"));
        assert!(errors[7].starts_with("`crate = ...` goes on the type"));
    }

    #[test]
    fn max_capacity_goes_with_any_option() {
        let alone = options(&named(
            parse_quote!({ #[reset(max_capacity = 1024)] a: Vec<u8> }),
        ));
        let alone = alone.ok().unwrap();
        assert!(matches!(alone.how, How::Reset));
        assert_eq!(alone.max_capacity.unwrap().literal, Some(1024));
        let with_skip = options(&named(parse_quote!({
            #[reset(skip, max_capacity = LIMIT * 2)]
            a: Vec<u8>
        })));
        let with_skip = with_skip.ok().unwrap();
        assert!(matches!(with_skip.how, How::Skip));
        assert!(with_skip.max_capacity.unwrap().literal.is_none());
        let split = options(&named(parse_quote!({
            #[reset(max_capacity = 8)]
            #[reset(with = Vec::clear)]
            a: Vec<u8>
        })));
        assert!(matches!(split.ok().unwrap().how, How::With(_)));
    }

    #[test]
    fn max_capacity_mistakes() {
        let errors = options(&named(parse_quote!({
            #[reset(max_capacity, max_capacity = "64", max_capacity = 1.5, max_capacity = -1)]
            #[reset(max_capacity = 8, max_capacity = 9, max_len = 3)]
            a: Vec<u8>
        })))
        .err()
        .unwrap();
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(errors[0].contains("write `#[reset(max_capacity = 1024)]`"));
        assert!(errors[1].contains("write `64` without quotes"));
        assert!(errors[2].contains("whole number of elements"));
        assert!(errors[3].contains("cannot be negative"));
        assert!(errors[4].starts_with("duplicate `reset` option `max_capacity`"));
        assert!(errors[5].contains("did you mean `max_capacity`?"));
    }
}
