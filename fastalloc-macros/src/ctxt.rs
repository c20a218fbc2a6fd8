//! Collects every error of one macro call so that they are reported together, and suggests
//! the closest valid word for a misspelt one.

use std::fmt::Display;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::Token;

/// The errors found so far in one macro call.
///
/// Every stage pushes into the same `Errors`, so a user sees all mistakes in one round instead
/// of fixing them one compile at a time. Like serde's `Ctxt`, it must be consumed with
/// [`check`](Self::check), [`finish`](Self::finish) or
/// [`into_compile_errors`](Self::into_compile_errors); dropping it unchecked is a bug in the
/// macro and panics in debug builds.
pub(crate) struct Errors {
    combined: Option<syn::Error>,
    checked: bool,
}

impl Errors {
    pub(crate) fn new() -> Self {
        Self {
            combined: None,
            checked: false,
        }
    }

    /// Records `error`.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// Records an error pointing at `tokens` (all of them, when they span several tokens).
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error pointing at `span`.
    pub(crate) fn at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// `Ok` if no error was recorded; else these errors, still to be reported (by
    /// `fallback.rs`). For the `?` that ends the checks of a macro call.
    pub(crate) fn check(mut self) -> Result<(), Errors> {
        if self.combined.is_some() {
            return Err(self);
        }
        self.checked = true;
        Ok(())
    }

    /// `Ok` if no error was recorded, else all of them combined.
    pub(crate) fn finish(mut self) -> Result<(), syn::Error> {
        self.checked = true;
        match self.combined.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// The `compile_error!` of the first recorded error (nothing if there is none), to be
    /// emitted a second time where the code needs an expression.
    pub(crate) fn first_compile_error(&self) -> TokenStream {
        self.combined
            .as_ref()
            .and_then(|combined| combined.clone().into_iter().next())
            .map_or_else(TokenStream::new, syn::Error::into_compile_error)
    }

    /// One `compile_error!` per recorded error (nothing if there is none).
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        match self.finish() {
            Ok(()) => TokenStream::new(),
            Err(error) => error.into_compile_error(),
        }
    }
}

impl From<syn::Error> for Errors {
    fn from(error: syn::Error) -> Self {
        let mut errors = Errors::new();
        errors.push(error);
        errors
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        debug_assert!(
            self.checked || std::thread::panicking(),
            "fastalloc-macros: errors were collected but never reported"
        );
    }
}

/// Runs `read` with errors that are thrown away: for a second look at input whose mistakes are
/// reported by another macro call, or were reported already.
pub(crate) fn ignoring<T>(read: impl FnOnce(&mut Errors) -> T) -> T {
    let mut errors = Errors::new();
    let value = read(&mut errors);
    errors.checked = true;
    value
}

/// The candidate closest to `word`, if one is close enough to be a likely typo, or a known
/// alias of `word` (`aliases` maps what users tend to write to the right word).
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: &[&'a str],
    aliases: &[(&str, &'a str)],
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    if let Some(&(_, target)) = aliases.iter().find(|(alias, _)| *alias == lower) {
        return Some(target);
    }
    let normalized = lower.replace('-', "_");
    candidates
        .iter()
        .map(|&candidate| (edit_distance(&normalized, candidate), candidate))
        .filter(|&(distance, candidate)| distance <= (candidate.len() / 3).max(1))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// "did you mean `x`?" when a close candidate exists, else "expected one of `a`, `b`, ...".
pub(crate) fn suggestion(word: &str, candidates: &[&str], aliases: &[(&str, &str)]) -> String {
    match did_you_mean(word, candidates, aliases) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("expected one of {}", one_of(candidates)),
    }
}

/// "`a`, `b` or `c`".
pub(crate) fn one_of(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|word| format!("`{word}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// The Levenshtein distance between `a` and `b`, counted in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Parses `tokens` as a comma-separated list, calling `item` to read each element.
///
/// Parsing never stops at the first mistake: a bad element (an `Err` from `item`, or no comma
/// after it) is recorded, skipped up to the next top-level comma, and the rest are still read,
/// so every mistake is reported in one round. `what` names the elements in the message for a
/// missing comma (``"`pooled` arguments"``).
pub(crate) fn parse_list(
    tokens: TokenStream,
    what: &str,
    errors: &mut Errors,
    mut item: impl FnMut(ParseStream, &mut Errors) -> syn::Result<()>,
) {
    let parser = |input: ParseStream| {
        while !input.is_empty() {
            if let Err(error) = item(input, errors) {
                errors.push(error);
                skip_to_comma(input);
                continue;
            }
            if !input.is_empty() && input.parse::<Token![,]>().is_err() {
                errors.at(input.span(), format!("expected `,` between two {what}"));
                skip_to_comma(input);
            }
        }
        Ok(())
    };
    if let Err(error) = parser.parse2(tokens) {
        errors.push(error);
    }
}

/// Skips the rest of a bad element, up to and including the next top-level comma.
fn skip_to_comma(input: ParseStream) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            rest = next;
            if matches!(&tree, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
        }
        Ok(((), rest))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("capasity", "capacity"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("thread_safe", "thread_safe"), 0);
        assert_eq!(edit_distance("threadsafe", "thread_safe"), 1);
    }

    #[test]
    fn suggestions() {
        let words = ["capacity", "max_capacity", "thread_safe", "growth"];
        assert_eq!(did_you_mean("capasity", &words, &[]), Some("capacity"));
        assert_eq!(did_you_mean("ThreadSafe", &words, &[]), Some("thread_safe"));
        assert_eq!(
            did_you_mean("max_capcity", &words, &[]),
            Some("max_capacity")
        );
        assert_eq!(did_you_mean("colour", &words, &[]), None);
        assert_eq!(
            did_you_mean("max", &words, &[("max", "max_capacity")]),
            Some("max_capacity")
        );
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(one_of(&["a"]), "`a`");
    }

    #[test]
    fn errors_combine() {
        assert!(Errors::new().check().is_ok());
        let mut errors = Errors::new();
        errors.at(Span::call_site(), "one");
        errors.at(Span::call_site(), "two");
        let combined = errors.check().err().unwrap().finish().unwrap_err();
        assert_eq!(combined.into_iter().count(), 2);
    }
}
