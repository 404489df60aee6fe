//! Everything behind `image!`, as a plain library: [`ast`] (raw syntax) → [`cell`] (matrix
//! cells) → [`check`] (the rules) and [`policy`] (the rules whose data is the catalog's policy,
//! emitted as const assertions) → [`expand`] (code). The proc-macro crate only calls [`expand`];
//! tests, benches and the build script call the rest directly.

pub mod ast;
pub mod cell;
pub mod check;
pub mod expand;
mod parse;
pub mod policy;

use proc_macro2::{Span, TokenStream};
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt::Display;

/// Expand `image!` input into items, with every rule violation as a `compile_error!` at its token.
///
/// Each declaration is parsed on its own: a syntax error in one is reported there, and the others
/// still expand; the broken one becomes a typed stub from its header (the same function or
/// matrix module, with every cell), so rust-analyzer keeps completing against all of them.
pub fn expand(input: TokenStream) -> TokenStream {
    let mut decls = Vec::new();
    let mut out = TokenStream::new();
    for chunk in declarations(input) {
        match syn::parse2::<ast::Decl>(chunk.clone()) {
            Ok(decl) => decls.push(decl),
            Err(err) => {
                out.extend(err.to_compile_error());
                if let Ok(header) = syn::parse::Parser::parse2(parse::header_only, chunk) {
                    // The stub's own rule violations (no name, no user…) would only repeat
                    // the syntax error: they go to a context that is dropped.
                    out.extend(expand::decl(&Ctxt::default(), &header));
                }
            }
        }
    }
    out.extend(expand_input(&ast::Input { decls }));
    out
}

/// The input split after each top-level `{ … }` group: one declaration per chunk (a declaration
/// ends with its braced body; attributes, axes and exclusions use other delimiters).
fn declarations(input: TokenStream) -> Vec<TokenStream> {
    let mut chunks = Vec::new();
    let mut current = Vec::new();
    for tree in input {
        let ends = matches!(&tree, proc_macro2::TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace);
        current.push(tree);
        if ends {
            chunks.push(std::mem::take(&mut current).into_iter().collect());
        }
    }
    if !current.is_empty() {
        chunks.push(current.into_iter().collect());
    }
    chunks
}

/// Expand parsed input.
pub fn expand_input(input: &ast::Input) -> TokenStream {
    let cx = Ctxt::default();
    let items: Vec<TokenStream> = input.decls.iter().map(|d| expand::decl(&cx, d)).collect();
    let errors = cx.into_compile_errors();
    quote::quote!(#(#items)* #errors)
}

/// Parse and check without generating code: the rule violations as (message) strings, for tests
/// and benches. Each distinct violation is reported once, as in a compile.
///
/// It runs outside a compile, where tokens made by `quote!` all share one span, so the input is
/// re-lexed from its text: with proc-macro2's `span-locations` every token then has a place of its
/// own (`bytes(12..19)`), and two violations with the same message at different tokens stay two.
pub fn violations(input: TokenStream) -> Vec<String> {
    let input = input.to_string().parse().unwrap_or(input);
    let input: ast::Input = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return vec![e.to_string()],
    };
    let cx = Ctxt::default();
    for decl in &input.decls {
        expand::decl(&cx, decl);
    }
    cx.errors
        .into_inner()
        .into_iter()
        .map(|e| e.to_string())
        .collect()
}

/// Collects errors (serde's `Ctxt`): every violation is reported, each once.
#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
    seen: RefCell<HashSet<String>>,
}

impl Ctxt {
    /// Record an error at `span`; the same message at the same place (several matrix cells) once.
    /// The place is the span's `Debug`, its byte range (see [`violations`] for tests).
    pub fn error(&self, span: Span, message: impl Display) {
        let message = message.to_string();
        if self.seen.borrow_mut().insert(format!("{span:?} {message}")) {
            self.errors
                .borrow_mut()
                .push(syn::Error::new(span, message));
        }
    }

    /// Whether `what` at `span` is new: the generated code that several matrix cells would repeat
    /// at one token (a policy assertion) is emitted once, so its error is reported once.
    pub fn first_time(&self, span: Span, what: &str) -> bool {
        self.seen
            .borrow_mut()
            .insert(format!("emitted {span:?} {what}"))
    }

    fn into_compile_errors(self) -> TokenStream {
        self.errors
            .into_inner()
            .into_iter()
            .map(|e| e.to_compile_error())
            .collect()
    }
}

/// Bytes per unit of a budget: MB and GB are decimal, MiB and GiB binary.
fn budget_unit(b: &ast::Budget) -> Option<f64> {
    match b.unit.to_string().as_str() {
        "MB" => Some(1e6),
        "GB" => Some(1e9),
        "MiB" => Some(1024.0 * 1024.0),
        "GiB" => Some(1024.0 * 1024.0 * 1024.0),
        _ => None,
    }
}

/// Bytes of a budget (saturating; [`budget_fits`] tells whether it does).
pub(crate) fn budget_bytes(b: &ast::Budget) -> Option<u64> {
    budget_unit(b).map(|unit| (b.amount * unit).round() as u64)
}

/// Whether a budget's bytes fit in a `u64` (`as` would saturate silently).
pub(crate) fn budget_fits(b: &ast::Budget) -> bool {
    budget_unit(b).is_some_and(|unit| {
        let bytes = (b.amount * unit).round();
        bytes.is_finite() && bytes < u64::MAX as f64
    })
}
