//! Matrix evaluation: a declaration becomes one concrete [`Cell`] per combination of axis values,
//! with templates filled in and `if` blocks resolved. Spans are kept for the rules.

use crate::Ctxt;
use crate::ast::*;
use image_dsl_step::{Convert, Phase, Step};
use proc_macro2::Span;
use std::marker::PhantomData;
use syn::{Ident, LitInt, LitStr};

/// A value with the span of the token it came from.
#[derive(Clone, Debug)]
pub struct Sp<T> {
    /// The value.
    pub value: T,
    /// Where it was written (the axis value token when a template is exactly `{axis}`).
    pub span: Span,
    /// Whether it is a matrix axis value (a template exactly `{axis}`), so `span` is a cell's own token.
    pub from_axis: bool,
}

impl<T> Sp<T> {
    /// A value written at `span`, not taken from an axis.
    pub fn new(value: T, span: Span) -> Self {
        Sp {
            value,
            span,
            from_axis: false,
        }
    }
}

/// One image of a declaration: a single image, or one cell of a matrix.
pub struct Cell<'a> {
    /// The declaration.
    pub decl: &'a Decl,
    /// Axis name and this cell's value, with the value token's span.
    pub values: Vec<(String, Sp<String>)>,
    /// `name`.
    pub name: Option<Sp<String>>,
    /// `tag`.
    pub tag: Option<Sp<String>>,
    /// `budget`.
    pub budget: Option<&'a Budget>,
    /// `spark VERSION variant VARIANT`.
    pub spark: Option<(Sp<String>, Sp<String>)>,
    /// `notebook`.
    pub notebook: Option<Span>,
    /// Builder stages.
    pub stages: Vec<CellStage<'a>>,
    /// The image's own stage (its name is `None`).
    pub last: CellStage<'a>,
}

/// A stage of a cell.
pub struct CellStage<'a> {
    /// Stage name; `None` for the final stage.
    pub name: Option<&'a Ident>,
    /// Base, once `from` was given.
    pub base: Option<CellBase>,
    /// Steps.
    pub steps: Vec<CellStep<'a>>,
}

/// A resolved base.
pub enum CellBase {
    /// Catalog image.
    Image(CellRef),
    /// Registry reference.
    External(Sp<String>),
    /// Bootstrapped Debian suite.
    Debian(Sp<String>),
    /// Empty base.
    Scratch,
}

/// A resolved reference to a catalog image or (for `copy`) a stage.
pub struct CellRef {
    /// Path as written.
    pub path: syn::Path,
    /// Cell values selected, when the referenced declaration is a matrix.
    pub args: Option<Vec<String>>,
    /// Span of the reference.
    pub span: Span,
    /// Span of each argument.
    pub arg_spans: Vec<Span>,
}

/// A step of a cell stage: the model's [`Step`] with spans attached, its templates filled.
pub type CellStep<'a> = Step<Spanned<'a>>;

/// The cell phase of a [`Step`]: values with the spans of the tokens they came from, so each
/// rule reports at its token.
pub struct Spanned<'a>(PhantomData<&'a ()>);

impl<'a> Phase for Spanned<'a> {
    type Text = Sp<String>;
    type Name = Sp<String>;
    type Reason = &'a LitStr;
    type Apt = Sp<String>;
    type Pip = Sp<String>;
    type Artifact = CellPin;
    type Git = CellPin;
    type Copy = CellCopy<'a>;
    type File = CellFile<'a>;
    type User = &'a UserSpec;
    type Port = &'a LitInt;
    type Healthcheck = CellHealthcheck<'a>;
}

/// A copy of a cell.
pub struct CellCopy<'a> {
    /// Source.
    pub from: CellRef,
    /// Whether `from` names a stage of this image.
    pub from_stage: bool,
    /// Sources.
    pub src: Vec<Sp<String>>,
    /// Destination.
    pub dest: Sp<String>,
    /// Owner.
    pub chown: Option<&'a UserSpec>,
    /// `chmod` span.
    pub chmod: Option<Span>,
    /// `link` span.
    pub link: Option<Span>,
}

/// A context file of a cell.
pub struct CellFile<'a> {
    /// Destination.
    pub dest: Sp<String>,
    /// Path of the source file, as written.
    pub path: &'a LitStr,
    /// Permission bits, as written.
    pub mode: Option<&'a LitInt>,
}

/// A health check of a cell: its options as written, and their values filled.
pub struct CellHealthcheck<'a> {
    /// Options as written.
    pub opts: &'a [HealthOption],
    /// Option name and value, in the same order.
    pub values: Vec<(String, CellHealth)>,
}

/// A resolved healthcheck value.
pub enum CellHealth {
    /// String.
    Str(Sp<String>),
    /// Integer.
    Int(Sp<u64>),
    /// List.
    List(Vec<Sp<String>>),
}

/// A resolved pin specification.
pub enum CellPin {
    /// Key in the pin file.
    Key(Sp<String>),
    /// Inline fields.
    Inline(Span, Vec<(Ident, Sp<String>)>),
}

impl<'a> Cell<'a> {
    /// `_3_5_7__gpu`: the Rust name of this cell's constructor inside the matrix module.
    pub fn fn_name(values: &[String]) -> String {
        let parts: Vec<String> = values.iter().map(|v| ident_part(v)).collect();
        format!("cell__{}", parts.join("__"))
    }

    /// How messages name this image: `` `app` ``, or for a matrix cell
    /// `` `spark_runtime` (cell spark = "3.5.7", variant = "gpu") ``.
    pub fn label(&self) -> String {
        let ident = &self.decl.ident;
        if self.values.is_empty() {
            return format!("`{ident}`");
        }
        let values: Vec<String> = self
            .values
            .iter()
            .map(|(axis, v)| format!("{axis} = {:?}", v.value))
            .collect();
        format!("`{ident}` (cell {})", values.join(", "))
    }

    /// Value of an axis in this cell.
    pub fn axis(&self, name: &str) -> Option<&Sp<String>> {
        self.values.iter().find(|(a, _)| a == name).map(|(_, v)| v)
    }
}

/// Lowercase identifier fragment for a value: `3.5.7` → `3_5_7`, `gpu-iceberg` → `gpu_iceberg`.
pub fn ident_part(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The `{axis}` and `{axis:derived}` placeholders of a template, in order: not `${VAR}` (shell)
/// nor `{}` (find -exec) nor anything else between braces.
pub fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(open) = text[at..].find('{').map(|i| at + i) {
            let close = open + text[open..].find('}')?;
            let key = &text[open + 1..close];
            at = close + 1;
            if !text[..open].ends_with('$') && is_placeholder(key) {
                return Some(key);
            }
        }
        None
    })
}

/// `axis` or `axis:derived`, lowercase identifiers.
fn is_placeholder(key: &str) -> bool {
    let ident = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    match key.split_once(':') {
        Some((axis, derived)) => ident(axis) && ident(derived),
        None => ident(key),
    }
}

/// A value derived from a version-like axis value: `{spark:minor}` (`3.5`) or `{spark:scala}`
/// (`2.12`, the Scala version of that Spark release's official build).
fn derive(value: &str, derived: &str) -> Result<String, String> {
    let version = image_dsl_spark::SparkVersion::parse(value)
        .or_else(|| image_dsl_spark::SparkVersion::parse(&format!("{value}.0")));
    match (derived, version) {
        ("minor", Some(v)) => Ok(format!("{}.{}", v.major, v.minor)),
        ("scala", Some(v)) => Ok(v.scala().to_owned()),
        ("minor" | "scala", None) => Err(format!("`{value}` is not a major.minor[.patch] version")),
        _ => Err(format!(
            "unknown derived value `:{derived}`: use `:minor` or `:scala`"
        )),
    }
}

/// Every cell of a declaration, exclusions applied; each exclusion must match at least one cell.
pub fn cells<'a>(cx: &Ctxt, decl: &'a Decl) -> Vec<Cell<'a>> {
    for axis in &decl.axes {
        if axis.values.is_empty() {
            cx.error(
                axis.ident.span(),
                format!("axis `{}` has no values, so the matrix has no cell and no rule would run: list at least one", axis.ident),
            );
        }
        for (i, v) in axis.values.iter().enumerate() {
            if axis.values[..i].iter().any(|w| w.value() == v.value()) {
                cx.error(
                    v.span(),
                    format!("`{}` is listed twice in axis `{}`", v.value(), axis.ident),
                );
            } else if let Some(w) = axis.values[..i]
                .iter()
                .find(|w| ident_part(&w.value()) == ident_part(&v.value()))
            {
                cx.error(
                    v.span(),
                    format!(
                        "`{}` and `{}` would name the same cell function (`{}`): keep one spelling",
                        w.value(),
                        v.value(),
                        ident_part(&v.value())
                    ),
                );
            }
        }
    }
    for ex in &decl.excepts {
        for (axis, value) in &ex.conds {
            match decl.axes.iter().find(|a| a.ident == *axis) {
                None => cx.error(
                    axis.span(),
                    format!("`{axis}` is not an axis of `{}`", decl.ident),
                ),
                Some(a) if !a.values.iter().any(|v| v.value() == value.value()) => cx.error(
                    value.span(),
                    format!("`{}` is not a value of axis `{axis}`", value.value()),
                ),
                Some(_) => {}
            }
        }
    }
    let combos = combos(decl);
    let mut used = vec![false; decl.excepts.len()];
    // Whether the exclusion was the first to remove some cell.
    let mut needed = vec![false; decl.excepts.len()];
    let mut out = Vec::new();
    for values in combos {
        let mut excluded = false;
        for (i, ex) in decl.excepts.iter().enumerate() {
            let matches = ex.conds.iter().all(|(axis, value)| {
                values
                    .iter()
                    .any(|(a, v)| *axis == a.as_str() && v.value == value.value())
            });
            used[i] |= matches;
            needed[i] |= matches && !excluded;
            excluded |= matches;
        }
        if !excluded {
            out.push(cell(cx, decl, values));
        }
    }
    if out.is_empty()
        && !decl.axes.iter().any(|a| a.values.is_empty())
        && let Some(first) = decl.excepts.first()
    {
        cx.error(
            first.span,
            format!("these exclusions leave `{}` without any cell, so it declares no image and no rule would run", decl.ident),
        );
    }
    for ((ex, used), needed) in decl.excepts.iter().zip(used).zip(needed) {
        if !used {
            cx.error(
                ex.span,
                "this exclusion matches no cell of the matrix: remove it",
            );
        } else if !needed {
            cx.error(
                ex.span,
                "every cell this exclusion matches is already excluded by an earlier one: remove it",
            );
        }
    }
    out
}

/// Every combination of axis values, in declaration order, exclusions not applied.
fn combos(decl: &Decl) -> Vec<Vec<(String, Sp<String>)>> {
    let mut combos: Vec<Vec<(String, Sp<String>)>> = vec![Vec::new()];
    for axis in &decl.axes {
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                axis.values.iter().map(move |v| {
                    let mut c = prefix.clone();
                    c.push((
                        axis.ident.to_string(),
                        Sp {
                            value: v.value(),
                            span: v.span(),
                            from_axis: true,
                        },
                    ));
                    c
                })
            })
            .collect();
    }
    combos
}

/// The cells exclusions leave out, each with what a reference to it is told.
pub fn excluded(decl: &Decl) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    for values in combos(decl) {
        let by = decl.excepts.iter().find(|ex| {
            ex.conds.iter().all(|(axis, value)| {
                values
                    .iter()
                    .any(|(a, v)| *axis == a.as_str() && v.value == value.value())
            })
        });
        if let Some(ex) = by {
            let conds: Vec<String> = ex
                .conds
                .iter()
                .map(|(axis, value)| format!("{axis} = {:?}", value.value()))
                .collect();
            out.push((
                values.into_iter().map(|(_, v)| v.value).collect(),
                format!(
                    "this cell of `{}` is excluded by `except ({})`",
                    decl.ident,
                    conds.join(", ")
                ),
            ));
        }
    }
    out
}

fn cell<'a>(cx: &Ctxt, decl: &'a Decl, values: Vec<(String, Sp<String>)>) -> Cell<'a> {
    let mut cell = Cell {
        decl,
        values,
        name: None,
        tag: None,
        budget: None,
        spark: None,
        notebook: None,
        stages: Vec::new(),
        last: CellStage {
            name: None,
            base: None,
            steps: Vec::new(),
        },
    };
    let stage_names: Vec<String> = collect_stage_names(&decl.body);
    let mut walker = Walker {
        cx,
        cell: &mut cell,
        stage_names: &stage_names,
    };
    walker.stmts(&decl.body, None);
    cell
}

fn collect_stage_names(body: &[Stmt]) -> Vec<String> {
    let mut names = Vec::new();
    for stmt in body {
        match stmt {
            Stmt::Stage { name, .. } => names.push(name.to_string()),
            Stmt::If {
                then, otherwise, ..
            } => {
                names.extend(collect_stage_names(then));
                names.extend(collect_stage_names(otherwise));
            }
            _ => {}
        }
    }
    names
}

struct Walker<'c, 'a> {
    cx: &'c Ctxt,
    cell: &'c mut Cell<'a>,
    stage_names: &'c [String],
}

impl<'a> Walker<'_, 'a> {
    /// Fill a template: `{axis}` becomes the cell's value.
    fn fill(&self, lit: &LitStr) -> Sp<String> {
        let text = lit.value();
        for (axis, value) in &self.cell.values {
            if text == format!("{{{axis}}}") {
                return value.clone();
            }
        }
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                out.push_str(&rest[open..]);
                rest = "";
                break;
            };
            let key = &rest[open + 1..open + close];
            // `${VAR}` (shell) and `{}` (find -exec) are not placeholders.
            if out.ends_with('$') || !is_placeholder(key) {
                out.push_str(&rest[open..=open + close]);
                rest = &rest[open + close + 1..];
                continue;
            }
            let (axis, derived) = key
                .split_once(':')
                .map_or((key, None), |(a, d)| (a, Some(d)));
            match (self.cell.axis(axis), derived) {
                (Some(v), None) => out.push_str(&v.value),
                (Some(v), Some(derived)) => match derive(&v.value, derived) {
                    Ok(d) => out.push_str(&d),
                    Err(e) => self.cx.error(lit.span(), e),
                },
                (None, _) => {
                    self.cx.error(
                        lit.span(),
                        format!("`{{{axis}}}` is not an axis of `{}`", self.cell.decl.ident),
                    );
                    // Keep the placeholder, so later rules see it was not filled.
                    out.push_str(&rest[open..=open + close]);
                }
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        Sp::new(out, lit.span())
    }

    /// An image-level statement given a second time would silently replace the first.
    fn once(&self, given: bool, span: Span, what: &str) {
        if given {
            self.cx.error(
                span,
                format!(
                    "`{what}` is given twice for `{}`: an image has one, and the second would silently replace the first",
                    self.cell.decl.ident
                ),
            );
        }
    }

    fn fill_all(&self, lits: &[LitStr]) -> Vec<Sp<String>> {
        lits.iter().map(|l| self.fill(l)).collect()
    }

    fn target(&mut self, stage: Option<usize>) -> &mut CellStage<'a> {
        match stage {
            Some(i) => &mut self.cell.stages[i],
            None => &mut self.cell.last,
        }
    }

    fn push(&mut self, stage: Option<usize>, step: CellStep<'a>) {
        self.target(stage).steps.push(step);
    }

    fn reference(&self, call: &ImageCall) -> CellRef {
        let span = syn::spanned::Spanned::span(&call.path);
        let args = call.args.as_ref().map(|args| {
            args.iter()
                .map(|arg| match arg {
                    CallArg::Lit(lit) => self.fill(lit).value,
                    CallArg::Axis(axis) => match self.cell.axis(&axis.to_string()) {
                        Some(v) => v.value.clone(),
                        None => {
                            self.cx.error(
                                axis.span(),
                                format!("`{axis}` is not an axis of `{}`: pass an axis name or a string", self.cell.decl.ident),
                            );
                            String::new()
                        }
                    },
                })
                .collect()
        });
        let arg_spans = call
            .args
            .iter()
            .flatten()
            .map(|arg| match arg {
                CallArg::Lit(lit) => lit.span(),
                CallArg::Axis(axis) => axis.span(),
            })
            .collect();
        CellRef {
            path: call.path.clone(),
            args,
            span,
            arg_spans,
        }
    }

    fn base(&self, base: &BaseExpr) -> CellBase {
        match base {
            BaseExpr::Image(call) => CellBase::Image(self.reference(call)),
            BaseExpr::External(lit) => CellBase::External(self.fill(lit)),
            BaseExpr::Debian(lit) => CellBase::Debian(self.fill(lit)),
            BaseExpr::Scratch => CellBase::Scratch,
        }
    }

    fn pin(&self, spec: &PinSpec) -> CellPin {
        match spec {
            PinSpec::Key(lit) => CellPin::Key(self.fill(lit)),
            PinSpec::Inline { span, fields } => CellPin::Inline(
                *span,
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), self.fill(v)))
                    .collect(),
            ),
        }
    }

    fn stmts(&mut self, body: &'a [Stmt], stage: Option<usize>) {
        for stmt in body {
            self.stmt(stmt, stage);
        }
    }

    fn stmt(&mut self, stmt: &'a Stmt, stage: Option<usize>) {
        let image_level = |cx: &Ctxt, span: Span, what: &str| {
            if stage.is_some() {
                cx.error(
                    span,
                    format!("`{what}` belongs to the image, not to a builder stage"),
                );
            }
        };
        match stmt {
            Stmt::Name(lit) => {
                image_level(self.cx, lit.span(), "name");
                self.once(self.cell.name.is_some(), lit.span(), "name");
                self.cell.name = Some(self.fill(lit));
            }
            Stmt::Tag(lit) => {
                image_level(self.cx, lit.span(), "tag");
                self.once(self.cell.tag.is_some(), lit.span(), "tag");
                self.cell.tag = Some(self.fill(lit));
            }
            Stmt::Budget(b) => {
                image_level(self.cx, b.unit.span(), "budget");
                self.once(self.cell.budget.is_some(), b.amount_span, "budget");
                self.cell.budget = Some(b);
            }
            Stmt::Spark { version, variant } => {
                image_level(self.cx, version.span(), "spark");
                self.once(self.cell.spark.is_some(), version.span(), "spark");
                self.cell.spark = Some((self.fill(version), self.fill(variant)));
            }
            Stmt::Notebook(kw) => {
                image_level(self.cx, kw.span(), "notebook");
                self.once(self.cell.notebook.is_some(), kw.span(), "notebook");
                self.cell.notebook = Some(kw.span());
            }
            Stmt::Stage { name, base, body } => {
                if stage.is_some() {
                    self.cx.error(name.span(), "stages cannot be nested");
                    return;
                }
                if self.cell.stages.iter().any(|s| s.name == Some(name)) {
                    self.cx
                        .error(name.span(), format!("stage `{name}` is declared twice"));
                }
                let base = Some(self.base(base));
                self.cell.stages.push(CellStage {
                    name: Some(name),
                    base,
                    steps: Vec::new(),
                });
                let index = self.cell.stages.len() - 1;
                self.stmts(body, Some(index));
            }
            Stmt::From(from, base) => {
                let base = self.base(base);
                let target = self.target(stage);
                if target.base.is_some() {
                    self.cx
                        .error(*from, "`from` is given twice: a stage has one base");
                }
                self.target(stage).base = Some(base);
            }
            Stmt::Step(step) => {
                let step = step.map(&mut Fill {
                    walker: self,
                    stage,
                });
                self.push(stage, step);
            }
            Stmt::If {
                axis,
                values,
                then,
                otherwise,
            } => {
                let Some(current) = self.cell.axis(&axis.to_string()).map(|v| v.value.clone())
                else {
                    self.cx.error(
                        axis.span(),
                        format!("`{axis}` is not an axis of `{}`", self.cell.decl.ident),
                    );
                    return;
                };
                if let Some(axis_decl) = self.cell.decl.axes.iter().find(|a| a.ident == *axis) {
                    for v in values {
                        if !axis_decl.values.iter().any(|w| w.value() == v.value()) {
                            self.cx.error(
                                v.span(),
                                format!("`{}` is not a value of axis `{axis}`", v.value()),
                            );
                        }
                    }
                }
                if values.iter().any(|v| v.value() == current) {
                    self.stmts(then, stage);
                } else {
                    self.stmts(otherwise, stage);
                }
            }
        }
    }
}

/// A written step becomes a cell's: templates filled with the cell's values, references resolved.
struct Fill<'w, 'c, 'a> {
    walker: &'w Walker<'c, 'a>,
    /// The builder stage the step is in (`None`: the image's own stage).
    stage: Option<usize>,
}

impl<'a> Convert<'a, Syntax, Spanned<'a>> for Fill<'_, '_, 'a> {
    fn text(&mut self, text: &'a LitStr) -> Sp<String> {
        self.walker.fill(text)
    }

    fn name(&mut self, name: &'a Ident) -> Sp<String> {
        Sp::new(name.to_string(), name.span())
    }

    fn reason(&mut self, reason: &'a LitStr) -> &'a LitStr {
        reason
    }

    fn apt(&mut self, apt: &'a LitStr) -> Sp<String> {
        self.walker.fill(apt)
    }

    fn pip(&mut self, pip: &'a LitStr) -> Sp<String> {
        self.walker.fill(pip)
    }

    fn artifact(&mut self, artifact: &'a PinSpec) -> CellPin {
        self.walker.pin(artifact)
    }

    fn git(&mut self, git: &'a PinSpec) -> CellPin {
        self.walker.pin(git)
    }

    fn copy(&mut self, c: &'a CopyStmt) -> CellCopy<'a> {
        let walker = self.walker;
        let from = walker.reference(&c.from);
        let from_stage = c.from.args.is_none()
            && c.from
                .path
                .get_ident()
                .is_some_and(|i| walker.stage_names.contains(&i.to_string()));
        // A builder stage can only copy from a stage before it (the image's own stage comes
        // after every builder stage).
        if let (true, Some(current), Some(name)) = (from_stage, self.stage, c.from.path.get_ident())
            && !walker.cell.stages[..current]
                .iter()
                .any(|s| s.name == Some(name))
        {
            walker.cx.error(
                name.span(),
                format!("stage `{name}` is not before this one: a stage copies only from stages declared before it"),
            );
        }
        CellCopy {
            from,
            from_stage,
            src: walker.fill_all(&c.src),
            dest: walker.fill(&c.dest),
            chown: c.chown.as_ref(),
            chmod: c.chmod,
            link: c.link,
        }
    }

    fn file(&mut self, file: &'a FileStmt) -> CellFile<'a> {
        CellFile {
            dest: self.walker.fill(&file.dest),
            path: &file.path,
            mode: file.mode.as_ref(),
        }
    }

    fn user(&mut self, user: &'a UserSpec) -> &'a UserSpec {
        user
    }

    fn port(&mut self, port: &'a LitInt) -> &'a LitInt {
        port
    }

    fn healthcheck(&mut self, opts: &'a Vec<HealthOption>) -> CellHealthcheck<'a> {
        let values = opts
            .iter()
            .map(|o| {
                let v = match &o.value {
                    HealthValue::Str(s) => CellHealth::Str(self.walker.fill(s)),
                    HealthValue::Int(i) => {
                        CellHealth::Int(Sp::new(i.base10_parse().unwrap_or(0), i.span()))
                    }
                    HealthValue::List(l) => CellHealth::List(self.walker.fill_all(l)),
                };
                (o.key.to_string(), v)
            })
            .collect();
        CellHealthcheck { opts, values }
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_are_axis_names_not_shell_or_find_braces() {
        let found: Vec<&str> = placeholders("{spark}-${HOME}-{}-{Big}-{spark:minor}-{x").collect();
        assert_eq!(found, ["spark", "spark:minor"]);
    }
}
