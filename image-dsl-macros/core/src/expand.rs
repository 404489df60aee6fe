//! Code generation: each cell becomes a function returning an `image_dsl::Image`; a matrix becomes
//! a module with one function per cell and `all()`. Pin keys and cell arguments are looked up
//! exactly (`image_dsl::__private`) in consts spanned at the literal that named them, so a missing
//! or misspelt one is a compile error there.

use crate::Ctxt;
use crate::ast::{Decl, UserSpec};
use crate::cell::{
    self, Cell, CellBase, CellCopy, CellFile, CellHealth, CellHealthcheck, CellPin, CellRef,
    CellStage, Sp, Spanned,
};
use crate::check;
use image_dsl_step::{Convert, Phase, Step};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{LitInt, LitStr};

/// Generate the items of one declaration.
pub fn decl(cx: &Ctxt, decl: &Decl) -> TokenStream {
    let cells = cell::cells(cx, decl);
    for cell in &cells {
        check::check(cx, cell);
    }
    let attrs = &decl.attrs;
    let vis = &decl.vis;
    let ident = &decl.ident;
    if decl.axes.is_empty() {
        let body = cells
            .first()
            .map(|c| image(cx, c))
            .unwrap_or_else(|| quote!(unreachable!()));
        let facts = cells
            .first()
            .map(facts)
            .unwrap_or_else(|| quote!(::image_dsl::__private::Facts::NONE));
        // A module of the function's name (modules and functions do not share a namespace)
        // holds what a reference needs, as a matrix's module does: `path::__LOAD` and
        // `path::__FACTS`. A reference names only the module, so a wrong path is one error.
        let cfgs = attrs.iter().filter(|a| !a.path().is_ident("doc"));
        return quote! {
            #(#attrs)*
            #vis fn #ident() -> ::image_dsl::Image { #body }

            #(#cfgs)*
            #[doc(hidden)]
            #[allow(non_snake_case, dead_code, unused_imports)]
            #vis mod #ident {
                use super::*;
                pub const __LOAD: fn() -> ::image_dsl::Image = super::#ident;
                pub const __FACTS: ::image_dsl::__private::Facts = #facts;
            }
        };
    }
    // Values that would share a function name were reported at the value; generate the first.
    let mut names = std::collections::HashSet::new();
    let cells: Vec<Cell<'_>> = cells
        .into_iter()
        .filter(|c| names.insert(Cell::fn_name(&values(c))))
        .collect();
    let fns: Vec<_> = cells
        .iter()
        .map(|c| format_ident!("{}", Cell::fn_name(&values(c))))
        .collect();
    let bodies = cells.iter().map(|c| image(cx, c));
    let docs = cells.iter().map(|c| format!("`{}`", values(c).join(" × ")));
    let lookup = cell_lookup(decl, &cells);
    let cell_facts = cells.iter().map(facts);
    quote! {
        #(#attrs)*
        #[allow(non_snake_case, clippy::module_name_repetitions)]
        #vis mod #ident {
            #[allow(unused_imports)]
            use super::*;

            /// Every cell of this matrix, in declaration order.
            pub fn all() -> ::std::vec::Vec<::image_dsl::Image> {
                ::std::vec![#(#fns()),*]
            }

            #[doc(hidden)]
            pub const __LOAD: &[fn() -> ::image_dsl::Image] = &[#(#fns),*];
            #[doc(hidden)]
            pub const __FACTS: &[::image_dsl::__private::Facts] = &[#(#cell_facts),*];
            #lookup

            #(
                #[doc = #docs]
                pub fn #fns() -> ::image_dsl::Image { #bodies }
            )*
        }
    }
}

/// The constants a reference looks its cell up in (`__private::axis_value`, `cell_index`): each
/// axis's values with a "did you mean" for each and the message for anything else, every cell's
/// values in `__LOAD`'s order, and the excluded cells with their exclusion.
fn cell_lookup(decl: &Decl, cells: &[Cell<'_>]) -> TokenStream {
    let ident = &decl.ident;
    let cell_values: Vec<Vec<String>> = cells.iter().map(values).collect();
    let rows = cell_values.iter().map(|v| quote!(&[#(#v),*]));
    let (excluded, why): (Vec<Vec<String>>, Vec<String>) = cell::excluded(decl).into_iter().unzip();
    let axis_values: Vec<Vec<String>> = decl
        .axes
        .iter()
        .map(|a| a.values.iter().map(|v| v.value()).collect())
        .collect();
    let axis_near = decl.axes.iter().zip(&axis_values).map(|(axis, values)| {
        let near = values.iter().map(|v| {
            format!("not a value of axis `{}` of `{ident}`, which matches values exactly: did you mean `{v}`?", axis.ident)
        });
        quote!(&[#(#near),*])
    });
    let axis_missing = decl.axes.iter().zip(&axis_values).map(|(axis, values)| {
        format!(
            "not a value of axis `{}` of `{ident}`: its values are {}",
            axis.ident,
            values.join(", ")
        )
    });
    let axis_rows = axis_values.iter().map(|v| quote!(&[#(#v),*]));
    let axis_names: Vec<String> = decl.axes.iter().map(|a| a.ident.to_string()).collect();
    let arity = format!(
        "`{ident}` takes {} arguments, one per axis: {}",
        axis_names.len(),
        axis_names.join(", ")
    );
    quote! {
        #[doc(hidden)]
        pub const __AXES: &[&[&str]] = &[#(#axis_rows),*];
        #[doc(hidden)]
        pub const __AXIS_NEAR: &[&[&str]] = &[#(#axis_near),*];
        #[doc(hidden)]
        pub const __AXIS_MISSING: &[&str] = &[#(#axis_missing),*];
        #[doc(hidden)]
        pub const __ARITY: &str = #arity;
        #[doc(hidden)]
        pub const __CELLS: &[&[&str]] = &[#(#rows),*];
        #[doc(hidden)]
        pub const __EXCLUDED: &[(&[&str], &str)] = &[#((&[#(#excluded),*], #why)),*];
    }
}

fn values(cell: &Cell<'_>) -> Vec<String> {
    cell.values.iter().map(|(_, v)| v.value.clone()).collect()
}

fn description(cell: &Cell<'_>) -> String {
    let mut lines = Vec::new();
    for attr in &cell.decl.attrs {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            // A `/** */` block or `#[doc = "..."]` may span lines; the description is one line.
            lines.extend(s.value().lines().map(|l| l.trim().to_owned()));
        }
    }
    let mut text = lines.join(" ").trim().to_owned();
    for (axis, value) in &cell.values {
        text = text.replace(&format!("{{{axis}}}"), &value.value);
    }
    // It is rendered into a Dockerfile comment and a LABEL: no control character may end them.
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn image(cx: &Ctxt, cell: &Cell<'_>) -> TokenStream {
    let name = cell
        .name
        .as_ref()
        .map(|s| s.value.clone())
        .unwrap_or_default();
    let tag = cell
        .tag
        .as_ref()
        .map(|s| s.value.clone())
        .unwrap_or_default();
    let description = description(cell);
    let budget = cell.budget.and_then(crate::budget_bytes).unwrap_or(0);
    let spark = match &cell.spark {
        Some((version, variant)) => {
            // A version or variant the rules refused was reported there; any stands in.
            let v = image_dsl_spark::SparkVersion::parse(&version.value).unwrap_or(
                image_dsl_spark::SparkVersion {
                    major: 0,
                    minor: 0,
                    patch: 0,
                },
            );
            let (major, minor, patch) = (v.major, v.minor, v.patch);
            let variant = format_ident!(
                "{}",
                image_dsl_spark::SparkVariant::parse(&variant.value)
                    .unwrap_or(image_dsl_spark::SparkVariant::Baseline)
                    .rust_name()
            );
            let notebook = cell.notebook.is_some();
            quote! {
                ::std::option::Option::Some(::image_dsl::SparkFlavor {
                    version: ::image_dsl::SparkVersion { major: #major, minor: #minor, patch: #patch },
                    variant: ::image_dsl::SparkVariant::#variant,
                    notebook: #notebook,
                })
            }
        }
        None => quote!(::std::option::Option::None),
    };
    let stages = cell
        .stages
        .iter()
        .chain(std::iter::once(&cell.last))
        .map(|s| stage(cx, s));
    let rapids = rapids_declared(cx, cell);
    let policy = crate::policy::assertions(cx, cell);
    quote! {{
        #rapids
        #policy
        ::image_dsl::Image {
            name: ::std::string::String::from(#name),
            tag: ::std::string::String::from(#tag),
            description: ::std::string::String::from(#description),
            source: ::core::file!(),
            budget: ::image_dsl::SizeBudget(#budget),
            spark: #spark,
            stages: ::std::vec![#(#stages),*],
        }
    }}
}

/// What this cell tells the images that reference it (`__private::Facts`), as a const
/// expression: whether it carries RAPIDS (fetches a RAPIDS jar, or any image it builds on or
/// copies from does) and whether it declares a `gpu` variant (itself, or else through the image
/// its final stage builds on).
fn facts(cell: &Cell<'_>) -> TokenStream {
    let own = !rapids_artifacts(cell).is_empty();
    let refs = image_refs(cell).into_iter().map(ref_facts);
    let gpu = declares_gpu(cell);
    quote!(::image_dsl::__private::Facts { rapids: #own #(|| #refs.rapids)*, gpu: #gpu })
}

/// Whether the cell declares a `gpu` variant: known here from its own `spark` statement, else
/// the facts of the image its final stage builds on (a const expression).
enum Gpu {
    Known(bool),
    Base(TokenStream),
}

impl quote::ToTokens for Gpu {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Gpu::Known(gpu) => gpu.to_tokens(tokens),
            Gpu::Base(base) => tokens.extend(quote!(#base.gpu)),
        }
    }
}

fn declares_gpu(cell: &Cell<'_>) -> Gpu {
    match (&cell.spark, &cell.last.base) {
        (Some((_, variant)), _) => Gpu::Known(
            image_dsl_spark::SparkVariant::parse(&variant.value).is_some_and(|v| v.gpu()),
        ),
        (None, Some(CellBase::Image(base))) => Gpu::Base(ref_facts(base)),
        (None, _) => Gpu::Known(false),
    }
}

/// The facts of a referenced image (`path::__FACTS`, or its cell's for a matrix), spanned at the
/// reference.
fn ref_facts(r: &CellRef) -> TokenStream {
    let path = &r.path;
    match &r.args {
        None => quote_spanned!(r.span=> #path::__FACTS),
        Some(args) => quote_spanned! {r.span=>
            ::image_dsl::__private::cell_facts(#path::__FACTS, #path::__CELLS, &[#(#args),*])
        },
    }
}

/// Every catalog image a cell builds on or copies from, in any stage.
fn image_refs<'c>(cell: &'c Cell<'_>) -> Vec<&'c CellRef> {
    let mut refs = Vec::new();
    for stage in cell.stages.iter().chain(std::iter::once(&cell.last)) {
        if let Some(CellBase::Image(r)) = &stage.base {
            refs.push(r);
        }
        for step in &stage.steps {
            if let Step::Copy(CellCopy {
                from,
                from_stage: false,
                ..
            }) = step
            {
                refs.push(from);
            }
        }
    }
    refs
}

/// The RAPIDS artifacts the cell fetches itself: the key's (or inline URL's file name's) span.
fn rapids_artifacts(cell: &Cell<'_>) -> Vec<Span> {
    let mut found = Vec::new();
    for stage in cell.stages.iter().chain(std::iter::once(&cell.last)) {
        for step in &stage.steps {
            let Step::Artifact { pin, .. } = step else {
                continue;
            };
            let (key, span) = match pin {
                CellPin::Key(key) => (key.value.clone(), key.span),
                CellPin::Inline(span, fields) => {
                    let url = fields
                        .iter()
                        .find(|(f, _)| f == "url")
                        .map(|(_, v)| v.value.clone())
                        .unwrap_or_default();
                    (url.rsplit('/').next().unwrap_or_default().to_owned(), *span)
                }
            };
            if image_dsl_spark::is_rapids_artifact(&key) {
                found.push(span);
            }
        }
    }
    found
}

/// A running image (not a `from scratch` layer) that carries the RAPIDS Accelerator must declare
/// a `gpu` Spark variant, itself or through the image it builds on, so that the
/// supported-combination rule checked its Spark release against RAPIDS' shims. Whether a
/// referenced image carries RAPIDS is known only to that image's expansion, so the check is a
/// const assertion at each reference (`__private::rapids_declared`); an artifact fetched here
/// with no `gpu` variant anywhere is reported directly.
fn rapids_declared(cx: &Ctxt, cell: &Cell<'_>) -> TokenStream {
    if matches!(cell.last.base, Some(CellBase::Scratch) | None) {
        return TokenStream::new();
    }
    let gpu = declares_gpu(cell);
    let why = match (&cell.spark, &gpu) {
        (_, Gpu::Known(true)) => return TokenStream::new(),
        (Some((_, variant)), _) => {
            format!("its Spark variant `{}` is not a gpu one", variant.value)
        }
        (None, Gpu::Base(_)) => {
            "it declares no Spark release, and the image it builds on no gpu variant".to_owned()
        }
        (None, Gpu::Known(false)) => "it declares no Spark release".to_owned(),
    };
    let fix = "declare `spark \"<version>\" variant \"gpu\"` (or \"gpu-iceberg\") so the supported-combination rule checks its Spark release against RAPIDS' shims";
    let label = cell.label();
    let mut checks = TokenStream::new();
    for span in rapids_artifacts(cell) {
        let message = format!("{label} fetches the RAPIDS Accelerator, but {why}: {fix}");
        if let Gpu::Known(false) = gpu {
            cx.error(span, message);
        } else {
            checks.extend(quote_spanned! {span=>
                const _: () = ::image_dsl::__private::rapids_declared(true, #gpu, #message);
            });
        }
    }
    for r in image_refs(cell) {
        let path = &r.path;
        let mut named = quote!(#path).to_string().replace(' ', "");
        if let Some(args) = &r.args {
            named = format!(
                "{named}({})",
                args.iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let message =
            format!("{label} carries the RAPIDS Accelerator through `{named}`, but {why}: {fix}");
        let facts = ref_facts(r);
        checks.extend(quote_spanned! {r.span=>
            const _: () = ::image_dsl::__private::rapids_declared(#facts.rapids, #gpu, #message);
        });
    }
    checks
}

fn stage(cx: &Ctxt, stage: &CellStage<'_>) -> TokenStream {
    let name = match stage.name {
        Some(n) => {
            let n = n.to_string();
            quote!(::std::option::Option::Some(::std::string::String::from(#n)))
        }
        None => quote!(::std::option::Option::None),
    };
    let base = match &stage.base {
        Some(CellBase::Image(r)) => {
            let r = image_ref(r);
            quote!(::image_dsl::Base::Image(#r))
        }
        Some(CellBase::External(r)) => {
            let r = &r.value;
            quote!(::image_dsl::Base::External(::image_dsl::ExternalBase { reference: ::std::string::String::from(#r) }))
        }
        Some(CellBase::Scratch) => quote!(::image_dsl::Base::Scratch),
        Some(CellBase::Debian(_)) | None => quote!(::image_dsl::Base::Debian(
            ::image_dsl::DebianSuite::Bookworm
        )),
    };
    let steps = stage.steps.iter().map(|s| s.map(&mut Emit { cx }));
    quote! {
        ::image_dsl::Stage { name: #name, base: #base, steps: ::std::vec![#(#steps),*] }
    }
}

/// A reference to a catalog image; a matrix cell is looked up by its exact values in a const
/// spanned at the arguments, so an unknown, misspelt or excluded cell is an error there.
fn image_ref(r: &CellRef) -> TokenStream {
    let path = &r.path;
    let load = match &r.args {
        None => quote_spanned!(r.span=> #path::__LOAD),
        Some(args) => {
            let checks = args.iter().zip(&r.arg_spans).enumerate().map(|(i, (value, span))| {
                quote_spanned! {*span=>
                    const _: () = ::image_dsl::__private::axis_value(#path::__AXES, #path::__AXIS_NEAR, #path::__AXIS_MISSING, #path::__ARITY, #i, #value);
                }
            });
            quote_spanned! {r.span=> {
                #(#checks)*
                const INDEX: usize = ::image_dsl::__private::cell_index(
                #path::__CELLS, #path::__EXCLUDED, #path::__AXES, #path::__ARITY, &[#(#args),*],
            );
            #path::__LOAD[INDEX]
            }}
        }
    };
    quote!(::image_dsl::ImageRef { load: #load })
}

fn string(s: &Sp<String>) -> TokenStream {
    let v = &s.value;
    quote!(::std::string::String::from(#v))
}

fn strings(list: &[Sp<String>]) -> TokenStream {
    let items = list.iter().map(string);
    quote!(::std::vec![#(#items),*])
}

/// The pin `key` names in `crate::pins::<kind>` (the catalog's pins: see `image!`'s contract),
/// looked up exactly (`__private::pin_index`) in a const
/// spanned at the literal, so a missing or misspelt key is a compile error there that names the
/// pin file and the key it resembles. With a version written next to the key, a compile-time
/// assertion that the pin file agrees.
///
/// A key that cannot be a key at all was reported by the rules; the value is then [`unresolved`]
/// so only that report is shown.
fn pin_path(kind: &str, key: &str, written_version: Option<&str>, span: Span) -> TokenStream {
    if !key.chars().any(|c| c.is_ascii_alphanumeric()) {
        return unresolved(kind, span);
    }
    let kind = format_ident!("{}", kind, span = span);
    let module = quote_spanned!(span=> crate::pins::#kind);
    let index = quote_spanned! {span=>
        const INDEX: usize = ::image_dsl::__private::pin_index(#module::__KEYS, #module::__NEAR, #module::__MISSING, #key);
    };
    match written_version {
        Some(version) if crate::check::exact_version(version) => {
            let message = format!(
                "{key}: the version written here ({version}) differs from images/pins.toml"
            );
            quote_spanned! {span=> {
                #index
                const _: () = ::core::assert!(::image_dsl::__private::str_eq(#module::ALL[INDEX].version, #version), #message);
                #module::ALL[INDEX]
            }}
        }
        _ => quote_spanned!(span=> { #index #module::ALL[INDEX] }),
    }
}

/// A stand-in for a pin a rule refused (reported there): any pin of the kind, so the expansion
/// still type-checks without a second error or an unreachable-code warning. It is never run: the
/// rule's error stops the compile.
fn unresolved(kind: &str, span: Span) -> TokenStream {
    let kind = format_ident!("{}", kind, span = span);
    quote_spanned!(span=> crate::pins::#kind::ALL[0])
}

fn user(u: &UserSpec) -> TokenStream {
    match u {
        UserSpec::Numeric { uid, gid } => {
            // Out of range or suffixed literals were reported by the rules.
            let (uid, gid) = (
                uid.base10_parse::<u32>().unwrap_or(0),
                gid.base10_parse::<u32>().unwrap_or(0),
            );
            quote!(::image_dsl::User { uid: #uid, gid: #gid })
        }
        UserSpec::Named { .. } | UserSpec::RootBecause { .. } => {
            quote!(::image_dsl::User { uid: 0, gid: 0 })
        }
    }
}

/// The code phase of a step: each part is the expression of the model's part, so the step's
/// own `ToTokens` (in `image-dsl-step`) writes the model's `::image_dsl::Step::…`.
struct Code;

impl Phase for Code {
    type Text = TokenStream;
    type Name = TokenStream;
    type Reason = TokenStream;
    type Apt = TokenStream;
    type Pip = TokenStream;
    type Artifact = TokenStream;
    type Git = TokenStream;
    type Copy = TokenStream;
    type File = TokenStream;
    type User = TokenStream;
    type Port = TokenStream;
    type Healthcheck = TokenStream;
}

/// A cell's step becomes code: each part the expression of the model's part.
struct Emit<'c> {
    cx: &'c Ctxt,
}

impl<'b, 'a: 'b> Convert<'b, Spanned<'a>, Code> for Emit<'_> {
    fn text(&mut self, text: &'b Sp<String>) -> TokenStream {
        string(text)
    }

    fn name(&mut self, name: &'b Sp<String>) -> TokenStream {
        string(name)
    }

    fn reason(&mut self, reason: &'b &'a LitStr) -> TokenStream {
        quote!(::std::string::String::from(#reason))
    }

    fn apt(&mut self, item: &'b Sp<String>) -> TokenStream {
        match item.value.split_once('=') {
            _ if check::apt_item_error(&item.value).is_some() => unresolved("apt", item.span),
            Some((name, version)) => pin_path("apt", name, Some(version), item.span),
            None => pin_path("apt", &item.value, None, item.span),
        }
    }

    fn pip(&mut self, item: &'b Sp<String>) -> TokenStream {
        match item.value.split_once("==") {
            _ if check::pip_item_error(&item.value).is_some() => unresolved("pip", item.span),
            Some((name, version)) => pin_path("pip", name, Some(version), item.span),
            None => pin_path("pip", &item.value, None, item.span),
        }
    }

    fn artifact(&mut self, pin: &'b CellPin) -> TokenStream {
        match pin {
            CellPin::Key(key) => pin_path("artifact", &key.value, None, key.span),
            CellPin::Inline(_, fields) => inline_artifact(fields),
        }
    }

    fn git(&mut self, pin: &'b CellPin) -> TokenStream {
        match pin {
            CellPin::Key(key) => pin_path("git", &key.value, None, key.span),
            CellPin::Inline(_, fields) => {
                let get = |k: &str| {
                    fields
                        .iter()
                        .find(|(f, _)| f == k)
                        .map(|(_, v)| v.value.clone())
                        .unwrap_or_default()
                };
                let (repo, commit) = (get("repo"), get("commit"));
                let key = repo.rsplit('/').next().unwrap_or_default().to_owned();
                quote!(::image_dsl::GitPin { key: #key, repo: #repo, commit: #commit })
            }
        }
    }

    fn copy(&mut self, copy: &'b CellCopy<'a>) -> TokenStream {
        let CellCopy {
            from,
            from_stage,
            src,
            dest,
            chown,
            ..
        } = copy;
        let source = if *from_stage {
            let name = from
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            quote!(::image_dsl::CopySource::Stage(::std::string::String::from(#name)))
        } else {
            let r = image_ref(from);
            quote!(::image_dsl::CopySource::Image(#r))
        };
        let chown = match chown {
            Some(u) => {
                let u = user(u);
                quote!(::std::option::Option::Some(#u))
            }
            None => quote!(::std::option::Option::None),
        };
        let (src, dest) = (strings(src), string(dest));
        quote!(::image_dsl::Copy { from: #source, src: #src, dest: #dest, chown: #chown })
    }

    fn file(&mut self, file: &'b CellFile<'a>) -> TokenStream {
        let mode = match file.mode {
            Some(m) => match m.base10_parse::<u32>() {
                Ok(v) => quote!(#v),
                Err(e) => {
                    self.cx.error(m.span(), e);
                    quote!(0o644)
                }
            },
            None => quote!(0o644),
        };
        let (dest, path) = (string(&file.dest), file.path);
        quote!(::image_dsl::ContextFile {
            dest: #dest, contents: ::core::include_str!(#path), mode: #mode,
        })
    }

    fn user(&mut self, u: &'b &'a UserSpec) -> TokenStream {
        user(u)
    }

    fn port(&mut self, port: &'b &'a LitInt) -> TokenStream {
        let p = port.base10_parse::<u16>().unwrap_or(0);
        quote!(::image_dsl::Port { number: #p, protocol: ::image_dsl::Protocol::Tcp })
    }

    fn healthcheck(&mut self, h: &'b CellHealthcheck<'a>) -> TokenStream {
        let values = &h.values;
        let get_str = |k: &str, default: &str| match values.iter().find(|(key, _)| key == k) {
            Some((_, CellHealth::Str(s))) => s.value.clone(),
            _ => default.to_owned(),
        };
        let cmd = match values.iter().find(|(k, _)| k == "cmd") {
            Some((_, CellHealth::List(l))) => strings(l),
            _ => quote!(::std::vec::Vec::new()),
        };
        let retries = match values.iter().find(|(k, _)| k == "retries") {
            Some((_, CellHealth::Int(i))) => i.value as u32,
            _ => 3,
        };
        let (interval, timeout, start) = (
            get_str("interval", "30s"),
            get_str("timeout", "5s"),
            get_str("start_period", "0s"),
        );
        quote!(::image_dsl::Healthcheck {
            cmd: #cmd,
            interval: ::std::string::String::from(#interval),
            timeout: ::std::string::String::from(#timeout),
            start_period: ::std::string::String::from(#start),
            retries: #retries,
        })
    }
}

fn inline_artifact(fields: &[(syn::Ident, Sp<String>)]) -> TokenStream {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.value.clone())
    };
    let url = get("url").unwrap_or_default();
    let version = get("version").unwrap_or_default();
    let key = url.rsplit('/').next().unwrap_or_default().to_owned();
    let checksum = match (get("sha256"), get("sha512")) {
        (Some(h), _) => quote!(::image_dsl::Checksum::Sha256(#h)),
        (None, Some(h)) => quote!(::image_dsl::Checksum::Sha512(#h)),
        (None, None) => quote!(::image_dsl::Checksum::Unverified("no checksum written")),
    };
    quote!(::image_dsl::ArtifactPin {
        key: #key,
        version: #version,
        source: ::image_dsl::Source::Url(#url),
        checksum: #checksum,
    })
}
