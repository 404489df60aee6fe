//! Parsing `image!` input into [`crate::ast`] with syn.

use crate::ast::*;
use image_dsl_step::Step;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Ident, LitFloat, LitInt, LitStr, Token, Visibility, braced, bracketed, parenthesized,
};

mod kw {
    syn::custom_keyword!(image);
    syn::custom_keyword!(except);
    syn::custom_keyword!(name);
    syn::custom_keyword!(tag);
    syn::custom_keyword!(budget);
    syn::custom_keyword!(spark);
    syn::custom_keyword!(variant);
    syn::custom_keyword!(notebook);
    syn::custom_keyword!(stage);
    syn::custom_keyword!(from);
    syn::custom_keyword!(apt);
    syn::custom_keyword!(pip);
    syn::custom_keyword!(into);
    syn::custom_keyword!(artifact);
    syn::custom_keyword!(git);
    syn::custom_keyword!(to);
    syn::custom_keyword!(run);
    syn::custom_keyword!(copy);
    syn::custom_keyword!(chown);
    syn::custom_keyword!(chmod);
    syn::custom_keyword!(link);
    syn::custom_keyword!(file);
    syn::custom_keyword!(include);
    syn::custom_keyword!(mode);
    syn::custom_keyword!(env);
    syn::custom_keyword!(arg);
    syn::custom_keyword!(label);
    syn::custom_keyword!(workdir);
    syn::custom_keyword!(user);
    syn::custom_keyword!(expose);
    syn::custom_keyword!(volume);
    syn::custom_keyword!(entrypoint);
    syn::custom_keyword!(cmd);
    syn::custom_keyword!(healthcheck);
    syn::custom_keyword!(debian);
    syn::custom_keyword!(scratch);
    syn::custom_keyword!(because);
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut decls = Vec::new();
        while !input.is_empty() {
            decls.push(input.parse()?);
        }
        Ok(Input { decls })
    }
}

impl Parse for Decl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut decl = header(input)?;
        let content;
        braced!(content in input);
        decl.body = stmts(&content)?;
        Ok(decl)
    }
}

/// A declaration whose body does not parse, as its header alone (empty body), for the typed stub
/// the IDE keeps completing against; the rest of its tokens are skipped.
pub(crate) fn header_only(input: ParseStream<'_>) -> syn::Result<Decl> {
    let decl = header(input)?;
    input.parse::<proc_macro2::TokenStream>()?;
    Ok(decl)
}

/// Attributes, visibility, `image NAME`, axes and exclusions: everything before the body.
fn header(input: ParseStream<'_>) -> syn::Result<Decl> {
    {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<kw::image>()?;
        let ident: Ident = input.parse()?;
        let mut axes = Vec::new();
        if input.peek(Token![for]) {
            input.parse::<Token![for]>()?;
            loop {
                let ident: Ident = input.parse()?;
                input.parse::<Token![in]>()?;
                axes.push(Axis {
                    ident,
                    values: str_list(input)?,
                });
                if !input.peek(Token![,]) {
                    break;
                }
                input.parse::<Token![,]>()?;
            }
        }
        let mut excepts = Vec::new();
        if input.peek(kw::except) {
            input.parse::<kw::except>()?;
            loop {
                let content;
                let paren = parenthesized!(content in input);
                let conds = Punctuated::<(Ident, LitStr), Token![,]>::parse_terminated_with(
                    &content,
                    |p| {
                        let axis: Ident = p.parse()?;
                        p.parse::<Token![=]>()?;
                        Ok((axis, p.parse()?))
                    },
                )?;
                excepts.push(Exclusion {
                    span: paren.span.join(),
                    conds: conds.into_iter().collect(),
                });
                if !input.peek(Token![,]) {
                    break;
                }
                input.parse::<Token![,]>()?;
            }
        }
        Ok(Decl {
            attrs,
            vis,
            ident,
            axes,
            excepts,
            body: Vec::new(),
        })
    }
}

/// Statements until the end of the stream.
fn stmts(input: ParseStream<'_>) -> syn::Result<Vec<Stmt>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        out.push(stmt(input)?);
    }
    Ok(out)
}

fn block(input: ParseStream<'_>) -> syn::Result<Vec<Stmt>> {
    let content;
    braced!(content in input);
    stmts(&content)
}

fn stmt(input: ParseStream<'_>) -> syn::Result<Stmt> {
    let la = input.lookahead1();
    // Block statements end without a semicolon.
    if la.peek(kw::stage) {
        input.parse::<kw::stage>()?;
        let name: Ident = input.parse()?;
        input.parse::<kw::from>()?;
        let base = base_expr(input)?;
        return Ok(Stmt::Stage {
            name,
            base,
            body: block(input)?,
        });
    }
    if la.peek(Token![if]) {
        input.parse::<Token![if]>()?;
        let axis: Ident = input.parse()?;
        input.parse::<Token![in]>()?;
        let values = str_list(input)?;
        let then = block(input)?;
        let otherwise = if input.peek(Token![else]) {
            input.parse::<Token![else]>()?;
            block(input)?
        } else {
            Vec::new()
        };
        return Ok(Stmt::If {
            axis,
            values,
            then,
            otherwise,
        });
    }
    let stmt = if la.peek(kw::name) {
        input.parse::<kw::name>()?;
        Stmt::Name(input.parse()?)
    } else if la.peek(kw::tag) {
        input.parse::<kw::tag>()?;
        Stmt::Tag(input.parse()?)
    } else if la.peek(kw::budget) {
        input.parse::<kw::budget>()?;
        Stmt::Budget(budget(input)?)
    } else if la.peek(kw::spark) {
        input.parse::<kw::spark>()?;
        let version = input.parse()?;
        input.parse::<kw::variant>()?;
        Stmt::Spark {
            version,
            variant: input.parse()?,
        }
    } else if la.peek(kw::notebook) {
        let kw: kw::notebook = input.parse()?;
        Stmt::Notebook(Ident::new("notebook", kw.span))
    } else if la.peek(kw::from) {
        let kw: kw::from = input.parse()?;
        Stmt::From(kw.span, base_expr(input)?)
    } else if la.peek(kw::apt) {
        input.parse::<kw::apt>()?;
        Stmt::Step(Step::Apt(str_list(input)?))
    } else if la.peek(kw::pip) {
        input.parse::<kw::pip>()?;
        let items = str_list(input)?;
        input.parse::<kw::into>()?;
        Stmt::Step(Step::Pip {
            pins: items,
            venv: input.parse()?,
        })
    } else if la.peek(kw::artifact) {
        input.parse::<kw::artifact>()?;
        let spec = pin_spec(input)?;
        input.parse::<kw::to>()?;
        Stmt::Step(Step::Artifact {
            pin: spec,
            dest: input.parse()?,
        })
    } else if la.peek(kw::git) {
        input.parse::<kw::git>()?;
        let spec = pin_spec(input)?;
        input.parse::<kw::to>()?;
        Stmt::Step(Step::Git {
            pin: spec,
            dest: input.parse()?,
        })
    } else if la.peek(kw::run) {
        input.parse::<kw::run>()?;
        Stmt::Step(Step::Run(str_list(input)?))
    } else if la.peek(kw::copy) {
        input.parse::<kw::copy>()?;
        Stmt::Step(Step::Copy(copy(input)?))
    } else if la.peek(kw::file) {
        input.parse::<kw::file>()?;
        let dest = input.parse()?;
        input.parse::<Token![=]>()?;
        input.parse::<kw::include>()?;
        let path = input.parse()?;
        let mode = if input.peek(kw::mode) {
            input.parse::<kw::mode>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Stmt::Step(Step::File(FileStmt { dest, path, mode }))
    } else if la.peek(kw::env) {
        input.parse::<kw::env>()?;
        Stmt::Step(Step::Env(assignments(input, |p| p.parse())?))
    } else if la.peek(kw::arg) {
        input.parse::<kw::arg>()?;
        Stmt::Step(Step::Arg(assignments(input, |p| p.parse())?))
    } else if la.peek(kw::label) {
        input.parse::<kw::label>()?;
        Stmt::Step(Step::Label(assignments(input, |p| p.parse())?))
    } else if la.peek(kw::workdir) {
        input.parse::<kw::workdir>()?;
        Stmt::Step(Step::Workdir(input.parse()?))
    } else if la.peek(kw::user) {
        input.parse::<kw::user>()?;
        Stmt::Step(match user_spec(input)? {
            UserSpec::RootBecause { reason } => Step::RootBecause(reason),
            user => Step::User(user),
        })
    } else if la.peek(kw::expose) {
        input.parse::<kw::expose>()?;
        let ports = Punctuated::<LitInt, Token![,]>::parse_separated_nonempty(input)?;
        Stmt::Step(Step::Expose(ports.into_iter().collect()))
    } else if la.peek(kw::volume) {
        input.parse::<kw::volume>()?;
        Stmt::Step(Step::Volume(str_list(input)?))
    } else if la.peek(kw::entrypoint) {
        input.parse::<kw::entrypoint>()?;
        Stmt::Step(Step::Entrypoint(str_list(input)?))
    } else if la.peek(kw::cmd) {
        input.parse::<kw::cmd>()?;
        Stmt::Step(Step::Cmd(str_list(input)?))
    } else if la.peek(kw::healthcheck) {
        input.parse::<kw::healthcheck>()?;
        Stmt::Step(Step::Healthcheck(health_options(input)?))
    } else {
        return Err(la.error());
    };
    input.parse::<Token![;]>()?;
    Ok(stmt)
}

/// `["a", "b"]`
fn str_list(input: ParseStream<'_>) -> syn::Result<Vec<LitStr>> {
    let content;
    bracketed!(content in input);
    Ok(Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

fn budget(input: ParseStream<'_>) -> syn::Result<Budget> {
    let (amount, amount_span) = if input.peek(LitFloat) {
        let lit: LitFloat = input.parse()?;
        (lit.base10_parse::<f64>()?, lit.span())
    } else {
        let lit: LitInt = input.parse()?;
        (lit.base10_parse::<u64>()? as f64, lit.span())
    };
    let unit: Ident = input.parse()?;
    Ok(Budget {
        amount,
        amount_span,
        unit,
    })
}

fn base_expr(input: ParseStream<'_>) -> syn::Result<BaseExpr> {
    if input.peek(LitStr) {
        return Ok(BaseExpr::External(input.parse()?));
    }
    if input.peek(kw::scratch) {
        input.parse::<kw::scratch>()?;
        return Ok(BaseExpr::Scratch);
    }
    if input.peek(kw::debian) {
        input.parse::<kw::debian>()?;
        return Ok(BaseExpr::Debian(input.parse()?));
    }
    Ok(BaseExpr::Image(image_call(input)?))
}

fn image_call(input: ParseStream<'_>) -> syn::Result<ImageCall> {
    let path = input.call(syn::Path::parse_mod_style)?;
    let args = if input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in input);
        let args = Punctuated::<CallArg, Token![,]>::parse_terminated_with(&content, |p| {
            if p.peek(LitStr) {
                Ok(CallArg::Lit(p.parse()?))
            } else {
                Ok(CallArg::Axis(p.parse()?))
            }
        })?;
        Some(args.into_iter().collect())
    } else {
        None
    };
    Ok(ImageCall { path, args })
}

fn pin_spec(input: ParseStream<'_>) -> syn::Result<PinSpec> {
    if input.peek(syn::token::Brace) {
        let content;
        let brace = braced!(content in input);
        let fields =
            Punctuated::<(Ident, LitStr), Token![,]>::parse_terminated_with(&content, |p| {
                let key: Ident = p.parse()?;
                p.parse::<Token![:]>()?;
                Ok((key, p.parse()?))
            })?;
        return Ok(PinSpec::Inline {
            span: brace.span.join(),
            fields: fields.into_iter().collect(),
        });
    }
    Ok(PinSpec::Key(input.parse()?))
}

fn copy(input: ParseStream<'_>) -> syn::Result<CopyStmt> {
    input.parse::<kw::from>()?;
    let from = image_call(input)?;
    let src = if input.peek(syn::token::Bracket) {
        str_list(input)?
    } else {
        vec![input.parse()?]
    };
    input.parse::<kw::to>()?;
    let dest = input.parse()?;
    let mut stmt = CopyStmt {
        from,
        src,
        dest,
        chown: None,
        chmod: None,
        link: None,
    };
    loop {
        if input.peek(kw::chown) {
            input.parse::<kw::chown>()?;
            stmt.chown = Some(user_spec(input)?);
        } else if input.peek(kw::chmod) {
            let kw: kw::chmod = input.parse()?;
            let _mode: LitInt = input.parse()?;
            stmt.chmod = Some(kw.span);
        } else if input.peek(kw::link) {
            let kw: kw::link = input.parse()?;
            stmt.link = Some(kw.span);
        } else {
            return Ok(stmt);
        }
    }
}

fn user_spec(input: ParseStream<'_>) -> syn::Result<UserSpec> {
    if input.peek(LitInt) {
        let uid: LitInt = input.parse()?;
        input.parse::<Token![:]>()?;
        let gid: LitInt = input.parse()?;
        return Ok(UserSpec::Numeric { uid, gid });
    }
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Ok(UserSpec::Named {
            name: lit.value(),
            span: lit.span(),
        });
    }
    let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
    if ident == "root" && input.peek(kw::because) {
        input.parse::<kw::because>()?;
        return Ok(UserSpec::RootBecause {
            reason: input.parse()?,
        });
    }
    Ok(UserSpec::Named {
        name: ident.to_string(),
        span: ident.span(),
    })
}

fn assignments<K: Parse>(
    input: ParseStream<'_>,
    key: fn(ParseStream<'_>) -> syn::Result<K>,
) -> syn::Result<Vec<(K, LitStr)>> {
    let mut out = Vec::new();
    loop {
        let k = key(input)?;
        input.parse::<Token![=]>()?;
        out.push((k, input.parse()?));
        if !input.peek(Token![,]) {
            return Ok(out);
        }
        input.parse::<Token![,]>()?;
    }
}

fn health_options(input: ParseStream<'_>) -> syn::Result<Vec<HealthOption>> {
    let content;
    braced!(content in input);
    let opts = Punctuated::<HealthOption, Token![,]>::parse_terminated_with(&content, |p| {
        let key: Ident = p.parse()?;
        p.parse::<Token![:]>()?;
        let value = if p.peek(syn::token::Bracket) {
            HealthValue::List(str_list(p)?)
        } else if p.peek(LitInt) {
            HealthValue::Int(p.parse()?)
        } else {
            HealthValue::Str(p.parse()?)
        };
        Ok(HealthOption { key, value })
    })?;
    Ok(opts.into_iter().collect())
}
