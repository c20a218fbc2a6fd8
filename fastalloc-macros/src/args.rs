//! Parses the arguments of `#[pooled(...)]` into [`Args`], catching unknown, malformed and
//! duplicate arguments. Range checks and checks between arguments live in `valid.rs`.
//!
//! Parsing never stops at the first mistake: a bad argument is recorded, skipped up to the next
//! comma, and the rest are still read, so every mistake is reported in one round.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{
    parse_quote, token, Error, Expr, ExprLit, ExprPath, ExprUnary, Ident, Lit, LitStr, Path, Token,
    UnOp,
};

use crate::ctxt::{self, parse_list, Errors};

/// The names of the `#[pooled]` arguments and growth policies: the one place they are spelt,
/// read by the parser, by the "expected one of ..." lists and suggestions, and by the messages
/// of other stages.
pub(crate) mod name {
    pub(crate) const CAPACITY: &str = "capacity";
    pub(crate) const THREAD_SAFE: &str = "thread_safe";
    pub(crate) const THREAD_LOCAL: &str = "thread_local";
    pub(crate) const ASYNC: &str = "async";
    pub(crate) const HEAPLESS: &str = "heapless";
    pub(crate) const GROWTH: &str = "growth";
    pub(crate) const MAX_CAPACITY: &str = "max_capacity";
    pub(crate) const PREALLOCATE: &str = "preallocate";
    pub(crate) const FACTORY: &str = "factory";
    pub(crate) const RESET: &str = "reset";
    pub(crate) const RETAIN_IF: &str = "retain_if";
    pub(crate) const MANUAL_RESET: &str = "manual_reset";
    pub(crate) const CRATE: &str = "crate";
    pub(crate) const LINEAR: &str = "linear";
    pub(crate) const EXPONENTIAL: &str = "exponential";
}

use name::{
    ASYNC, CAPACITY, CRATE, EXPONENTIAL, FACTORY, GROWTH, HEAPLESS, LINEAR, MANUAL_RESET,
    MAX_CAPACITY, PREALLOCATE, RESET, RETAIN_IF, THREAD_LOCAL, THREAD_SAFE,
};

/// Every `#[pooled]` argument, in the order the documentation lists them.
const ARGUMENTS: &[&str] = &[
    CAPACITY,
    THREAD_SAFE,
    THREAD_LOCAL,
    ASYNC,
    HEAPLESS,
    GROWTH,
    MAX_CAPACITY,
    PREALLOCATE,
    FACTORY,
    RESET,
    MANUAL_RESET,
    RETAIN_IF,
    CRATE,
];

/// Words users reach for, mapped to the argument they mean.
const ALIASES: &[(&str, &str)] = &[
    ("cap", CAPACITY),
    ("size", CAPACITY),
    ("initial_capacity", CAPACITY),
    ("min_capacity", CAPACITY),
    ("max", MAX_CAPACITY),
    ("maximum", MAX_CAPACITY),
    ("max_size", MAX_CAPACITY),
    ("limit", MAX_CAPACITY),
    ("sync", THREAD_SAFE),
    ("shared", THREAD_SAFE),
    ("concurrent", THREAD_SAFE),
    ("local", THREAD_LOCAL),
    ("per_thread", THREAD_LOCAL),
    ("tokio", ASYNC),
    ("no_heap", HEAPLESS),
    ("no_alloc", HEAPLESS),
    ("no_std", HEAPLESS),
    ("static", HEAPLESS),
    ("inline", HEAPLESS),
    ("eager", PREALLOCATE),
    ("prealloc", PREALLOCATE),
    ("preallocated", PREALLOCATE),
    ("new", FACTORY),
    ("init", FACTORY),
    ("constructor", FACTORY),
    ("default", FACTORY),
    ("reset_with", RESET),
    ("on_release", RESET),
    ("custom_reset", MANUAL_RESET),
    ("no_reset", MANUAL_RESET),
    ("impl_reset", MANUAL_RESET),
    ("retain", RETAIN_IF),
    ("retain_when", RETAIN_IF),
    ("keep_if", RETAIN_IF),
    ("keep", RETAIN_IF),
    ("filter", RETAIN_IF),
    ("reusable", RETAIN_IF),
    ("krate", CRATE),
];

const GROWTH_POLICIES: &[&str] = &[LINEAR, EXPONENTIAL];

const GROWTH_ALIASES: &[(&str, &str)] = &[
    ("double", EXPONENTIAL),
    ("doubling", EXPONENTIAL),
    ("geometric", EXPONENTIAL),
    ("exp", EXPONENTIAL),
    ("step", LINEAR),
    ("fixed", LINEAR),
    ("constant", LINEAR),
    ("additive", LINEAR),
];

/// What `#[pooled(...)]` asked for. Every field keeps the tokens it came from, for spans.
#[derive(Default)]
pub(crate) struct Args {
    /// `capacity = N`.
    pub(crate) capacity: Option<Number>,
    /// `thread_safe`, `thread_local`, `async` or `heapless`; `None` means a `ThreadLocalPool`.
    pub(crate) mode: Option<ModeArg>,
    /// `growth = linear(N)` or `growth = exponential(F)`.
    pub(crate) growth: Option<GrowthArg>,
    /// `max_capacity = N`.
    pub(crate) max_capacity: Option<Number>,
    /// `preallocate` (the word itself).
    pub(crate) preallocate: Option<Ident>,
    /// `factory = path`.
    pub(crate) factory: Option<ExprPath>,
    /// `reset = path` or `manual_reset`.
    pub(crate) reset: Option<ResetArg>,
    /// `retain_if = path`.
    pub(crate) retain_if: Option<ExprPath>,
    /// `crate = path`.
    pub(crate) krate: Option<Path>,
    /// The name of every argument read, as written and in order: for errors about an argument
    /// as a whole (`growth` beside `heapless`), whatever its value.
    pub(crate) given: Vec<Ident>,
    /// Whether `capacity` was written, maybe wrongly (`capacity = 1.5`, `capasity = 8`): then
    /// a missing `capacity` is a follow-on error, not reported.
    pub(crate) capacity_attempted: bool,
}

impl Args {
    /// Whether `#[pooled]` resets objects with a `Reset` impl that it must generate itself
    /// (unless the struct derives `Reset`): true unless `reset = path` or `manual_reset`.
    pub(crate) fn wants_generated_reset(&self) -> bool {
        self.reset.is_none()
    }

    /// Whether objects are reset through the type's `Reset` impl (generated, derived or
    /// handwritten), whose `reusable` the pool must then ask too: true unless `reset = path`.
    pub(crate) fn resets_with_impl(&self) -> bool {
        !matches!(self.reset, Some(ResetArg::With(_)))
    }

    /// The pool mode, `ThreadLocal` when no mode word was given.
    pub(crate) fn mode(&self) -> Mode {
        self.mode.as_ref().map_or(Mode::ThreadLocal, |arg| arg.mode)
    }
}

/// The path of the `fastalloc` crate: `crate = path` if given, else `::fastalloc`.
pub(crate) fn fastalloc_path(given: Option<&Path>) -> Path {
    given.cloned().unwrap_or_else(|| parse_quote!(::fastalloc))
}

/// A count of objects: a literal (whose value is checked when the macro runs) or a constant
/// expression (checked by a `const` assertion in the generated code).
pub(crate) struct Number {
    pub(crate) expr: Expr,
    /// The value, when `expr` is an integer literal.
    pub(crate) literal: Option<u64>,
}

/// A growth factor: a literal or a constant `f64` expression.
pub(crate) struct Factor {
    pub(crate) expr: Expr,
    /// The value, when `expr` is a number literal (possibly negated).
    pub(crate) literal: Option<f64>,
}

/// `growth = ...`.
pub(crate) enum GrowthArg {
    /// `linear(N)`.
    Linear { word: Ident, step: Number },
    /// `exponential(F)`.
    Exponential { word: Ident, factor: Factor },
}

/// Which pool type `pool()` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `ThreadLocalPool`: no mode word, or `thread_local`.
    ThreadLocal,
    /// `ThreadSafePool`: `thread_safe`.
    ThreadSafe,
    /// `AsyncPool`: `async`.
    Async,
    /// `StaticPool`: `heapless`.
    Heapless,
}

impl Mode {
    /// The name of the pool type in `fastalloc`.
    pub(crate) fn pool_type(self) -> &'static str {
        match self {
            Mode::ThreadLocal => "ThreadLocalPool",
            Mode::ThreadSafe => "ThreadSafePool",
            Mode::Async => "AsyncPool",
            Mode::Heapless => "StaticPool",
        }
    }

    /// Whether the pool needs `std` (and the heap): every mode but `heapless`.
    pub(crate) fn needs_std(self) -> bool {
        self != Mode::Heapless
    }
}

/// A mode word and which mode it names.
pub(crate) struct ModeArg {
    pub(crate) mode: Mode,
    pub(crate) word: Ident,
}

/// How objects are reset when `#[pooled]` is not to generate the `Reset` impl.
pub(crate) enum ResetArg {
    /// `reset = path`: a `fn(&mut T)`.
    With(ExprPath),
    /// `manual_reset`: the user implements `Reset`.
    Manual(Ident),
}

/// Parses the arguments of `#[pooled(...)]`, recording every mistake in `errors` and keeping
/// what could be read. `ty` is the pooled type's name, used in messages.
pub(crate) fn parse(tokens: TokenStream, ty: &str, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    parse_list(tokens, "`pooled` arguments", errors, |input, errors| {
        parse_one(input, &mut args, ty, errors)
    });
    args
}

fn parse_one(
    input: ParseStream,
    args: &mut Args,
    ty: &str,
    errors: &mut Errors,
) -> syn::Result<()> {
    if !input.peek(Ident::peek_any) {
        return Err(input.error("expected a `pooled` argument such as `capacity = 64`"));
    }
    let word = input.call(Ident::parse_any)?;
    let name = word.unraw().to_string();
    if ARGUMENTS.contains(&name.as_str()) {
        args.given.push(word.clone());
    }
    if name == CAPACITY || ctxt::did_you_mean(&name, ARGUMENTS, ALIASES) == Some(CAPACITY) {
        args.capacity_attempted = true;
    }
    match name.as_str() {
        CAPACITY => {
            let value = number(input, &word, "64")?;
            set(&mut args.capacity, value, &word, errors);
        }
        MAX_CAPACITY => {
            let value = number(input, &word, "1024")?;
            set(&mut args.max_capacity, value, &word, errors);
        }
        GROWTH => {
            let value = growth(input, &word)?;
            set(&mut args.growth, value, &word, errors);
        }
        THREAD_SAFE => mode(input, args, word, Mode::ThreadSafe, errors)?,
        THREAD_LOCAL => mode(input, args, word, Mode::ThreadLocal, errors)?,
        ASYNC => mode(input, args, word, Mode::Async, errors)?,
        HEAPLESS => mode(input, args, word, Mode::Heapless, errors)?,
        PREALLOCATE => {
            no_value(input, &word)?;
            set(&mut args.preallocate, word.clone(), &word, errors);
        }
        FACTORY => {
            let value = function(input, &word, &format!("fn() -> {ty}"), "make")?;
            set(&mut args.factory, value, &word, errors);
        }
        RESET => {
            if !input.peek(Token![=]) {
                return Err(Error::new_spanned(
                    &word,
                    format!(
                        "`reset` needs a function: write `reset = path` naming a \
                         `fn(&mut {ty})`, or write `manual_reset` if you implement `Reset` for \
                         `{ty}` yourself"
                    ),
                ));
            }
            let value = function(input, &word, &format!("fn(&mut {ty})"), "clear")?;
            set_reset(args, ResetArg::With(value), &word, errors);
        }
        MANUAL_RESET => {
            no_value(input, &word)?;
            set_reset(args, ResetArg::Manual(word.clone()), &word, errors);
        }
        RETAIN_IF => {
            if !input.peek(Token![=]) {
                return Err(Error::new_spanned(
                    &word,
                    format!(
                        "`retain_if` needs a function: write `retain_if = path` naming a \
                         `fn(&{ty}) -> bool`, asked after each reset whether to keep the object"
                    ),
                ));
            }
            let value = function(input, &word, &format!("fn(&{ty}) -> bool"), "keep")?;
            set(&mut args.retain_if, value, &word, errors);
        }
        CRATE => {
            let value = crate_path(input, &word)?;
            set(&mut args.krate, value, &word, errors);
        }
        _ => {
            return Err(Error::new_spanned(
                &word,
                format!(
                    "unknown `pooled` argument `{name}`; {}",
                    ctxt::suggestion(&name, ARGUMENTS, ALIASES)
                ),
            ));
        }
    }
    Ok(())
}

/// Stores an argument given for the first time; reports a second one.
fn set<T>(slot: &mut Option<T>, value: T, word: &Ident, errors: &mut Errors) {
    if slot.is_some() {
        errors.spanned(word, duplicate(word));
    } else {
        *slot = Some(value);
    }
}

fn duplicate(word: &Ident) -> String {
    format!("duplicate `pooled` argument `{word}`; give each argument once")
}

fn mode(
    input: ParseStream,
    args: &mut Args,
    word: Ident,
    mode: Mode,
    errors: &mut Errors,
) -> syn::Result<()> {
    no_value(input, &word)?;
    match &args.mode {
        None => args.mode = Some(ModeArg { mode, word }),
        Some(first) if first.word == word => errors.spanned(&word, duplicate(&word)),
        // The error points at the other word, whichever came first: `heapless` is the
        // choice that decides what else may be written, as for `growth` beside it.
        Some(first) if first.mode == Mode::Heapless => {
            errors.spanned(&word, heapless_conflict(&word, mode));
        }
        Some(first) if mode == Mode::Heapless => {
            errors.spanned(&first.word, heapless_conflict(&first.word, first.mode));
            args.mode = Some(ModeArg { mode, word });
        }
        Some(first) => errors.spanned(
            &word,
            format!(
                "`{}` and `{word}` cannot be combined: a pool has one mode; keep one of \
                 `thread_safe` (a `ThreadSafePool` shared by all threads), `thread_local` or no \
                 mode word (a `ThreadLocalPool` with a part per thread), `async` (an \
                 `AsyncPool`), or `heapless` (a `StaticPool`, with no heap)",
                first.word
            ),
        ),
    }
    Ok(())
}

/// Why the mode word `word` (naming `mode`) cannot go with `heapless`, and what to write.
fn heapless_conflict(word: &Ident, mode: Mode) -> String {
    let why = match mode {
        Mode::ThreadSafe => {
            "a `heapless` pool is shared by all threads already (a `StaticPool` is `Sync` \
             when the type is `Send`), and `thread_safe` asks for a `ThreadSafePool`, which \
             needs the heap and `std`; remove `thread_safe`"
        }
        Mode::ThreadLocal => {
            "a `heapless` pool is one `StaticPool` shared by all threads, and a pool with a \
             part per thread (`thread_local`) needs the heap and `std`; keep one of them"
        }
        Mode::Async => {
            "an `AsyncPool`, whose `allocate` can be awaited, needs the heap and `std`, and a \
             `heapless` pool's `allocate` returns `PoolError::Exhausted` instead of waiting; \
             keep one of them"
        }
        Mode::Heapless => unreachable!("`heapless` twice is a duplicate"),
    };
    format!("`{word}` cannot be combined with `heapless`: {why}")
}

fn set_reset(args: &mut Args, value: ResetArg, word: &Ident, errors: &mut Errors) {
    match (&args.reset, &value) {
        (None, _) => args.reset = Some(value),
        (Some(ResetArg::With(_)), ResetArg::With(_))
        | (Some(ResetArg::Manual(_)), ResetArg::Manual(_)) => errors.spanned(word, duplicate(word)),
        (Some(_), _) => errors.spanned(
            word,
            "`reset = ...` and `manual_reset` cannot be combined: `reset = path` resets objects \
             with that function, `manual_reset` with your own `impl Reset`; keep one",
        ),
    }
}

/// A flag such as `preallocate` or `thread_safe` takes no value.
fn no_value(input: ParseStream, word: &Ident) -> syn::Result<()> {
    if input.peek(Token![=]) || input.peek(token::Paren) {
        return Err(Error::new_spanned(
            word,
            format!("`{word}` takes no value: write `{word}` alone, or leave it out"),
        ));
    }
    Ok(())
}

/// The `=` after an argument name.
fn equals(input: ParseStream, word: &Ident, example: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        Ok(())
    } else {
        Err(Error::new_spanned(
            word,
            format!("`{word}` needs a value: write `{word} = {example}`"),
        ))
    }
}

/// An expression after `name =` or inside `policy(...)`.
fn expression(input: ParseStream, what: &str, example: &str) -> syn::Result<Expr> {
    if input.is_empty() || input.peek(Token![,]) {
        return Err(input.error(format!(
            "expected a value for `{what}`, such as `{example}`"
        )));
    }
    input.parse::<Expr>().map_err(|error| {
        Error::new(
            error.span(),
            format!("expected a value for `{what}`, such as `{example}`"),
        )
    })
}

/// `= N` for a count of objects.
fn number(input: ParseStream, word: &Ident, example: &str) -> syn::Result<Number> {
    equals(input, word, example)?;
    let expr = expression(input, &word.to_string(), &format!("{word} = {example}"))?;
    classify_number(expr, &word.to_string(), example, "objects")
}

/// Reads the value of an integer literal; any other expression is left for a `const` check.
/// `counts` names what the number counts, for messages (`"objects"`): `reset.rs` reads
/// `#[reset(max_capacity = N)]`, a count of elements, with it too.
pub(crate) fn classify_number(
    expr: Expr,
    what: &str,
    example: &str,
    counts: &str,
) -> syn::Result<Number> {
    let literal = match &expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => {
            if !matches!(int.suffix(), "" | "usize") {
                return Err(Error::new_spanned(
                    int,
                    format!(
                        "`{what}` is a `usize`: write `{}` without the `{}` suffix",
                        int.base10_digits(),
                        int.suffix()
                    ),
                ));
            }
            // No `usize` is wider than 64 bits; a value that fits is range-checked by a
            // `const` assertion against the pooled type's `max_objects`.
            Some(int.base10_parse::<u64>().map_err(|_| {
                Error::new_spanned(int, format!("`{what}` is far too large for a `usize`"))
            })?)
        }
        Expr::Lit(ExprLit { lit, .. }) => return Err(not_a_number(lit, what, example, counts)),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr: inner,
            ..
        }) if matches!(**inner, Expr::Lit(_)) => {
            return Err(Error::new_spanned(
                &expr,
                format!("`{what}` cannot be negative: it counts {counts}, such as `{example}`"),
            ));
        }
        _ => None,
    };
    Ok(Number { expr, literal })
}

fn not_a_number(lit: &Lit, what: &str, example: &str, counts: &str) -> Error {
    let found = match lit {
        Lit::Str(string) if string.value().trim().parse::<u128>().is_ok() => {
            return Error::new_spanned(
                lit,
                format!(
                    "`{what}` takes a number, not a string: write `{}` without quotes",
                    string.value().trim()
                ),
            );
        }
        Lit::Str(_) => "a string".to_owned(),
        Lit::Float(float) => format!("`{float}`, which is not a whole number"),
        Lit::Bool(boolean) => format!("`{}`", boolean.value),
        Lit::Char(_) | Lit::Byte(_) => "a character".to_owned(),
        _ => "a literal of another type".to_owned(),
    };
    Error::new_spanned(
        lit,
        format!(
            "`{what}` must be a whole number of {counts} (a `usize`, such as `{example}`), \
             found {found}"
        ),
    )
}

/// `= linear(N)` or `= exponential(F)`.
fn growth(input: ParseStream, word: &Ident) -> syn::Result<GrowthArg> {
    const HINT: &str = "write `growth = linear(N)` to add N objects each time the pool runs \
                        out, or `growth = exponential(F)` to multiply its capacity by F";
    equals(input, word, "linear(16)")?;
    if !input.peek(Ident::peek_any) {
        return Err(input.error(format!("expected a growth policy: {HINT}")));
    }
    let policy = input.call(Ident::parse_any)?;
    let name = policy.to_string();
    let linear = match name.as_str() {
        LINEAR => true,
        EXPONENTIAL => false,
        _ => {
            let hint = match ctxt::did_you_mean(&name, GROWTH_POLICIES, GROWTH_ALIASES) {
                Some(close) => format!("did you mean `{close}`? {HINT}"),
                None => HINT.to_owned(),
            };
            return Err(Error::new_spanned(
                &policy,
                format!("unknown growth policy `{name}`; {hint}"),
            ));
        }
    };
    let example = if linear {
        "linear(16)"
    } else {
        "exponential(2.0)"
    };
    let needs = if linear { "step" } else { "factor" };
    if !input.peek(token::Paren) {
        return Err(Error::new_spanned(
            &policy,
            format!("`{name}` needs its {needs} in parentheses: write `growth = {example}`"),
        ));
    }
    let content;
    syn::parenthesized!(content in input);
    let grown = growth_value(&content, linear, policy, example, needs);
    // Whatever is left in the parentheses was reported already: consume it, or syn adds an
    // "unexpected token" error of its own.
    let _ = content.parse::<TokenStream>();
    grown
}

/// The step or factor inside `linear(...)` or `exponential(...)`.
fn growth_value(
    content: ParseStream,
    linear: bool,
    policy: Ident,
    example: &str,
    needs: &str,
) -> syn::Result<GrowthArg> {
    let grown = if linear {
        let expr = expression(content, LINEAR, example)?;
        GrowthArg::Linear {
            step: classify_number(expr, LINEAR, "16", "objects")?,
            word: policy,
        }
    } else {
        let expr = expression(content, EXPONENTIAL, example)?;
        GrowthArg::Exponential {
            factor: classify_factor(expr)?,
            word: policy,
        }
    };
    if !content.is_empty() {
        return Err(content.error(format!(
            "expected a single {needs} in the parentheses, such as `growth = {example}`"
        )));
    }
    Ok(grown)
}

/// Reads the value of a number literal; any other expression is left for a `const` check.
fn classify_factor(expr: Expr) -> syn::Result<Factor> {
    fn literal_value(lit: &Lit) -> syn::Result<Option<f64>> {
        let wrong = || {
            Error::new_spanned(
                lit,
                "the growth factor must be an `f64` greater than 1.0, such as \
                 `exponential(1.5)` or `exponential(2.0)`",
            )
        };
        match lit {
            Lit::Float(float) if matches!(float.suffix(), "" | "f64") => {
                float.base10_parse::<f64>().map(Some)
            }
            Lit::Int(int) if int.suffix().is_empty() => int.base10_parse::<f64>().map(Some),
            _ => Err(wrong()),
        }
    }
    let literal = match &expr {
        Expr::Lit(ExprLit { lit, .. }) => literal_value(lit)?,
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr: inner,
            ..
        }) => match &**inner {
            Expr::Lit(ExprLit { lit, .. }) => literal_value(lit)?.map(|value| -value),
            _ => None,
        },
        _ => None,
    };
    Ok(Factor { expr, literal })
}

/// `= path` naming a function.
fn function(
    input: ParseStream,
    word: &Ident,
    signature: &str,
    example: &str,
) -> syn::Result<ExprPath> {
    equals(input, word, example)?;
    if input.peek(LitStr) {
        let string: LitStr = input.parse()?;
        return Err(Error::new_spanned(
            &string,
            format!(
                "`{word}` takes a path, not a string: write `{word} = {}` without quotes",
                string.value()
            ),
        ));
    }
    let expr = expression(input, &word.to_string(), &format!("{word} = {example}"))?;
    match expr {
        Expr::Path(path) => Ok(path),
        other => Err(Error::new_spanned(
            other,
            format!(
                "`{word}` takes the path of a `{signature}`, such as `{word} = {example}`; \
                 to use a closure, define a function and name it here"
            ),
        )),
    }
}

/// `= path` naming the `fastalloc` crate.
fn crate_path(input: ParseStream, word: &Ident) -> syn::Result<Path> {
    equals(input, word, "my_fastalloc")?;
    if input.peek(LitStr) {
        let string: LitStr = input.parse()?;
        return Err(Error::new_spanned(
            &string,
            format!(
                "`crate` takes a path, not a string: write `crate = {}` without quotes",
                string.value()
            ),
        ));
    }
    input.call(Path::parse_mod_style).map_err(|error| {
        Error::new(
            error.span(),
            "expected the path of the `fastalloc` crate, such as `crate = my_fastalloc`",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse_ok(tokens: TokenStream) -> Args {
        let mut errors = Errors::new();
        let args = parse(tokens, "T", &mut errors);
        if let Err(error) = errors.finish() {
            panic!("unexpected error: {error}");
        }
        args
    }

    fn parse_err(tokens: TokenStream) -> Vec<String> {
        let mut errors = Errors::new();
        let _ = parse(tokens, "T", &mut errors);
        errors
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|error| error.to_string())
            .collect()
    }

    #[test]
    fn everything() {
        let args = parse_ok(quote! {
            capacity = 8, thread_safe, growth = exponential(1.5), max_capacity = CAP * 2,
            preallocate, factory = T::new, reset = T::clear, retain_if = T::small,
            crate = ::my::fastalloc
        });
        assert_eq!(args.capacity.as_ref().unwrap().literal, Some(8));
        assert_eq!(args.mode(), Mode::ThreadSafe);
        assert!(matches!(
            args.growth,
            Some(GrowthArg::Exponential { factor: Factor { literal: Some(f), .. }, .. }) if (f - 1.5).abs() < 1e-9
        ));
        assert!(args.max_capacity.as_ref().unwrap().literal.is_none());
        assert!(args.preallocate.is_some());
        assert!(args.factory.is_some());
        assert!(!args.wants_generated_reset());
        assert!(!args.resets_with_impl());
        assert!(args.retain_if.is_some());
        assert!(args.krate.is_some());
    }

    #[test]
    fn defaults() {
        let args = parse_ok(quote!(capacity = 1_000usize));
        assert_eq!(args.capacity.as_ref().unwrap().literal, Some(1000));
        assert_eq!(args.mode(), Mode::ThreadLocal);
        assert!(args.wants_generated_reset());
        let args = parse_ok(quote!(
            async,
            capacity = 4,
            growth = linear(2),
            manual_reset,
        ));
        assert_eq!(args.mode(), Mode::Async);
        assert!(matches!(args.reset, Some(ResetArg::Manual(_))));
        assert!(
            args.resets_with_impl(),
            "manual_reset goes through the `Reset` impl"
        );
    }

    #[test]
    fn every_mistake_is_reported() {
        let errors = parse_err(quote! {
            capasity = 8, capacity = 8, capacity = 9, thread_safe, async, growth = quadratic(2),
            preallocate = true, factory = "make", 12
        });
        assert_eq!(errors.len(), 7, "{errors:#?}");
        assert!(errors[0].contains("did you mean `capacity`?"));
        assert!(errors[1].starts_with("duplicate `pooled` argument `capacity`"));
        assert!(errors[2].starts_with("`thread_safe` and `async` cannot be combined"));
        assert!(errors[3].starts_with("unknown growth policy `quadratic`"));
        assert!(errors[4].starts_with("`preallocate` takes no value"));
        assert!(errors[5].contains("write `factory = make` without quotes"));
        assert!(errors[6].starts_with("expected a `pooled` argument"));
    }

    #[test]
    fn heapless() {
        let args = parse_ok(quote!(
            capacity = 4,
            heapless,
            factory = make,
            retain_if = keep
        ));
        assert_eq!(args.mode(), Mode::Heapless);
        assert!(!args.mode().needs_std());
        assert!(Mode::ThreadLocal.needs_std() && Mode::Async.needs_std());
        let names: Vec<String> = args.given.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["capacity", "heapless", "factory", "retain_if"]);

        // Another mode word is the one pointed at, before or after `heapless`, and `heapless`
        // is the mode kept, so that its own checks run too.
        let mut errors = Errors::new();
        let args = parse(quote!(thread_safe, heapless, async), "T", &mut errors);
        assert_eq!(args.mode(), Mode::Heapless);
        let errors: Vec<String> = errors
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|error| error.to_string())
            .collect();
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(errors[0].starts_with("`thread_safe` cannot be combined with `heapless`: a"));
        assert!(errors[0].ends_with("remove `thread_safe`"));
        assert!(errors[1].starts_with("`async` cannot be combined with `heapless`"));
        let errors = parse_err(quote!(heapless, thread_local, heapless));
        assert!(errors[0].starts_with("`thread_local` cannot be combined with `heapless`"));
        assert!(errors[1].starts_with("duplicate `pooled` argument `heapless`"));
        assert!(parse_err(quote!(heapless = true))[0].starts_with("`heapless` takes no value"));
        assert!(parse_err(quote!(no_std))[0].contains("did you mean `heapless`?"));
        assert!(parse_err(quote!(static))[0].contains("did you mean `heapless`?"));
        assert!(parse_err(quote!(heaples))[0].contains("did you mean `heapless`?"));
    }

    #[test]
    fn numbers() {
        assert!(parse_err(quote!(capacity = 1.5))[0].contains("not a whole number"));
        assert!(parse_err(quote!(capacity = "64"))[0].contains("write `64` without quotes"));
        assert!(parse_err(quote!(capacity = -1))[0].contains("cannot be negative"));
        assert!(parse_err(quote!(capacity = 8u32))[0].contains("without the `u32` suffix"));
        assert!(parse_err(quote!(capacity))[0].contains("write `capacity = 64`"));
        assert!(parse_err(quote!(capacity = ))[0].contains("expected a value for `capacity`"));
        assert!(parse_err(quote!(capacity = 8 thread_safe))[0].starts_with("expected `,`"));
        assert!(parse_err(quote!(growth = linear))[0].contains("write `growth = linear(16)`"));
        assert!(parse_err(quote!(growth = exponential("2")))[0].contains("an `f64` greater"));
        assert!(parse_err(quote!(growth = linear(1, 2)))[0].contains("a single step"));
        assert!(parse_err(quote!(retain_if))[0].contains("naming a `fn(&T) -> bool`"));
        assert!(parse_err(quote!(retain_if = |t| true))[0].contains("`fn(&T) -> bool`"));
        assert!(parse_err(quote!(keep_if = f))[0].contains("did you mean `retain_if`?"));
        let args = parse_ok(quote!(capacity = 1, growth = exponential(-2)));
        assert!(matches!(
            args.growth,
            Some(GrowthArg::Exponential { factor: Factor { literal: Some(f), .. }, .. }) if (f + 2.0).abs() < 1e-9
        ));
    }
}
