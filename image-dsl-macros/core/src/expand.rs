//! Code generation: each cell becomes a function returning an `image_dsl::Image`; a matrix becomes
//! a module with one function per cell and `all()`. Pins are referenced as `pins::<kind>::<KEY>`
//! paths spanned at the literal that named them, so a missing pin is reported there.

use crate::Ctxt;
use crate::ast::{Decl, UserSpec};
use crate::cell::{self, Cell, CellBase, CellHealth, CellPin, CellRef, CellStage, CellStep, Sp};
use crate::check;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

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
        return quote! {
            #(#attrs)*
            #vis fn #ident() -> ::image_dsl::Image { #body }
        };
    }
    let fns: Vec<_> = cells
        .iter()
        .map(|c| format_ident!("{}", Cell::fn_name(&values(c))))
        .collect();
    let bodies = cells.iter().map(|c| image(cx, c));
    let docs = cells.iter().map(|c| format!("`{}`", values(c).join(" × ")));
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

            #(
                #[doc = #docs]
                pub fn #fns() -> ::image_dsl::Image { #bodies }
            )*
        }
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
            let v = crate::compat::SparkVersion::parse(&version.value).unwrap_or(
                crate::compat::SparkVersion {
                    major: 0,
                    minor: 0,
                    patch: 0,
                },
            );
            let (major, minor, patch) = (v.major, v.minor, v.patch);
            let gpu = variant.value.contains("gpu");
            let iceberg = variant.value.contains("iceberg");
            let notebook = cell.notebook.is_some();
            quote! {
                ::std::option::Option::Some(::image_dsl::SparkFlavor {
                    version: ::image_dsl::SparkVersion { major: #major, minor: #minor, patch: #patch },
                    gpu: #gpu,
                    iceberg: #iceberg,
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
    quote! {
        ::image_dsl::Image {
            name: ::std::string::String::from(#name),
            tag: ::std::string::String::from(#tag),
            description: ::std::string::String::from(#description),
            source: ::core::file!(),
            budget: ::image_dsl::SizeBudget(#budget),
            spark: #spark,
            stages: ::std::vec![#(#stages),*],
        }
    }
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
    let steps = stage.steps.iter().map(|s| step(cx, s));
    quote! {
        ::image_dsl::Stage { name: #name, base: #base, steps: ::std::vec![#(#steps),*] }
    }
}

fn image_ref(r: &CellRef) -> TokenStream {
    let path = &r.path;
    let load = match &r.args {
        None => quote_spanned!(r.span=> #path),
        Some(args) => {
            let cell = format_ident!("{}", Cell::fn_name(args), span = r.span);
            quote_spanned!(r.span=> #path::#cell)
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

fn pairs(list: &[(Sp<String>, Sp<String>)]) -> TokenStream {
    let items = list.iter().map(|(k, v)| {
        let (k, v) = (string(k), string(v));
        quote!((#k, #v))
    });
    quote!(::std::vec![#(#items),*])
}

/// `pins::<kind>::<KEY>` spanned at the literal; with a version written next to the key, a
/// compile-time assertion that the pin file agrees.
///
/// A key that cannot name a constant, or a written version that is not exact, was reported by the
/// rules; the value is then a placeholder expression so only that report is shown.
fn pin_path(kind: &str, key: &str, written_version: Option<&str>, span: Span) -> TokenStream {
    let constant = crate::pin_ident(key);
    if !constant.chars().any(|c| c.is_ascii_alphanumeric()) {
        return quote_spanned!(span=> ::core::unreachable!("invalid pin key"));
    }
    let kind = format_ident!("{}", kind, span = span);
    let ident = format_ident!("{}", constant, span = span);
    let path = quote_spanned!(span=> pins::#kind::#ident);
    match written_version {
        None => path,
        Some(version) if !crate::check::exact_version(version) => path,
        Some(version) => {
            let message = format!(
                "{key}: the version written here ({version}) differs from images/pins.toml"
            );
            quote_spanned! {span=> {
                const _: () = ::core::assert!(::image_dsl::__private::str_eq(#path.version, #version), #message);
                #path
            }}
        }
    }
}

fn user(u: &UserSpec) -> TokenStream {
    match u {
        UserSpec::Numeric { uid, gid } => quote!(::image_dsl::User { uid: #uid, gid: #gid }),
        UserSpec::Named { .. } | UserSpec::RootBecause { .. } => {
            quote!(::image_dsl::User { uid: 0, gid: 0 })
        }
    }
}

fn step(cx: &Ctxt, step: &CellStep<'_>) -> TokenStream {
    match step {
        CellStep::Apt(items) => {
            let pins = items.iter().map(|item| match item.value.split_once('=') {
                Some((name, version)) => pin_path("apt", name, Some(version), item.span),
                None => pin_path("apt", &item.value, None, item.span),
            });
            quote!(::image_dsl::Step::Apt(::std::vec![#(#pins),*]))
        }
        CellStep::Pip(items, venv) => {
            let pins = items.iter().map(|item| {
                let path = match item.value.split_once("==") {
                    Some((name, version)) => pin_path("pip", name, Some(version), item.span),
                    None => pin_path("pip", &item.value, None, item.span),
                };
                quote!(&#path)
            });
            let venv = string(venv);
            quote!(::image_dsl::Step::Pip { pins: ::std::vec![#(#pins),*], venv: #venv })
        }
        CellStep::Artifact(spec, dest) => {
            let pin = match spec {
                CellPin::Key(key) => pin_path("artifact", &key.value, None, key.span),
                CellPin::Inline(_, fields) => inline_artifact(fields),
            };
            let dest = string(dest);
            quote!(::image_dsl::Step::Artifact { pin: #pin, dest: #dest })
        }
        CellStep::Git(spec, dest) => {
            let pin = match spec {
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
            };
            let dest = string(dest);
            quote!(::image_dsl::Step::Git { pin: #pin, dest: #dest })
        }
        CellStep::Run(cmds) => {
            let cmds = strings(cmds);
            quote!(::image_dsl::Step::Run(#cmds))
        }
        CellStep::Copy {
            from,
            from_stage,
            src,
            dest,
            chown,
            ..
        } => {
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
            quote!(::image_dsl::Step::Copy(::image_dsl::Copy { from: #source, src: #src, dest: #dest, chown: #chown }))
        }
        CellStep::File(dest, path, mode) => {
            let mode = match mode {
                Some(m) => match m.base10_parse::<u32>() {
                    Ok(v) => quote!(#v),
                    Err(e) => {
                        cx.error(m.span(), e);
                        quote!(0o644)
                    }
                },
                None => quote!(0o644),
            };
            let dest = string(dest);
            quote!(::image_dsl::Step::File(::image_dsl::ContextFile {
                dest: #dest, contents: ::core::include_str!(#path), mode: #mode,
            }))
        }
        CellStep::Env(p) => {
            let p = pairs(p);
            quote!(::image_dsl::Step::Env(#p))
        }
        CellStep::Arg(p) => {
            let p = pairs(p);
            quote!(::image_dsl::Step::Arg(#p))
        }
        CellStep::Label(p) => {
            let p = pairs(p);
            quote!(::image_dsl::Step::Label(#p))
        }
        CellStep::Workdir(w) => {
            let w = string(w);
            quote!(::image_dsl::Step::Workdir(#w))
        }
        CellStep::User(UserSpec::RootBecause { reason }) => {
            quote!(::image_dsl::Step::RootBecause(::std::string::String::from(#reason)))
        }
        CellStep::User(u) => {
            let u = user(u);
            quote!(::image_dsl::Step::User(#u))
        }
        CellStep::Expose(ports) => {
            let ports = ports.iter().map(
                |p| quote!(::image_dsl::Port { number: #p, protocol: ::image_dsl::Protocol::Tcp }),
            );
            quote!(::image_dsl::Step::Expose(::std::vec![#(#ports),*]))
        }
        CellStep::Volume(v) => {
            let v = strings(v);
            quote!(::image_dsl::Step::Volume(#v))
        }
        CellStep::Entrypoint(v) => {
            let v = strings(v);
            quote!(::image_dsl::Step::Entrypoint(#v))
        }
        CellStep::Cmd(v) => {
            let v = strings(v);
            quote!(::image_dsl::Step::Cmd(#v))
        }
        CellStep::Healthcheck(_, values) => {
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
            quote!(::image_dsl::Step::Healthcheck(::image_dsl::Healthcheck {
                cmd: #cmd,
                interval: ::std::string::String::from(#interval),
                timeout: ::std::string::String::from(#timeout),
                start_period: ::std::string::String::from(#start),
                retries: #retries,
            }))
        }
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
