//! Raw syntax of `image!` input: what was written, with every token's span, nothing resolved.
//!
//! Strings may be templates (`"spark-{spark}"`) over a matrix's axes; `if axis in [...]` blocks
//! select statements per cell. [`crate::cell`] turns a declaration into concrete cells.

use image_dsl_step::{Phase, Step};
use proc_macro2::Span;
use syn::{Attribute, Ident, LitInt, LitStr, Path, Visibility};

/// The whole macro input: one or more declarations.
pub struct Input {
    /// Declarations in source order.
    pub decls: Vec<Decl>,
}

/// `pub image NAME [for AXES] [except ...] { body }`.
pub struct Decl {
    /// Doc comments and other attributes.
    pub attrs: Vec<Attribute>,
    /// Visibility of the generated item.
    pub vis: Visibility,
    /// Rust name of the declaration (function, or module for a matrix).
    pub ident: Ident,
    /// Matrix axes; empty for a single image.
    pub axes: Vec<Axis>,
    /// Matrix cells left out on purpose.
    pub excepts: Vec<Exclusion>,
    /// Statements.
    pub body: Vec<Stmt>,
}

/// `spark in ["3.5.7", "4.1.1"]`.
pub struct Axis {
    /// Axis name, usable as `{name}` in templates and as an argument of image references.
    pub ident: Ident,
    /// Values, in order.
    pub values: Vec<LitStr>,
}

/// `(spark = "3.5.7", variant = "gpu-iceberg")`: every cell matching all conditions is left out.
pub struct Exclusion {
    /// Span of the whole parenthesized group.
    pub span: Span,
    /// Axis = value conditions.
    pub conds: Vec<(Ident, LitStr)>,
}

/// One statement of an image or stage body.
pub enum Stmt {
    /// `name "spark-{spark}";`
    Name(LitStr),
    /// `tag "{variant}";`
    Tag(LitStr),
    /// `budget 600 MB;`
    Budget(Budget),
    /// `spark "{spark}" variant "{variant}";`
    Spark {
        /// Spark version template.
        version: LitStr,
        /// Variant template: baseline, gpu, iceberg or gpu-iceberg.
        variant: LitStr,
    },
    /// `notebook;`: the image is a notebook image (its own budget ceiling; on a Spark image also
    /// `SparkFlavor::notebook`, which gives it the notebook probe).
    Notebook(Ident),
    /// `stage NAME from BASE { ... }`
    Stage {
        /// Stage name.
        name: Ident,
        /// Base.
        base: BaseExpr,
        /// Statements.
        body: Vec<Stmt>,
    },
    /// `from BASE;` (the final stage's base), with the span of `from`.
    From(Span, BaseExpr),
    /// An instruction of the stage (`apt`, `run`, `copy`, `user`…), as written.
    Step(Step<Syntax>),
    /// `if axis in ["a", "b"] { .. } else { .. }`
    If {
        /// Axis tested.
        axis: Ident,
        /// Values for which the first branch applies.
        values: Vec<LitStr>,
        /// Statements when it matches.
        then: Vec<Stmt>,
        /// Statements otherwise.
        otherwise: Vec<Stmt>,
    },
}

/// The syntax phase of a [`Step`]: its parts as written, templates unfilled.
///
/// - `apt ["pkg", "pkg=version"];`, `pip ["pandas"] into "/opt/venv";`
/// - `artifact "key" to "/dest";` or `artifact { url: .., version: .., sha256: .. } to "/dest";`,
///   `git "key" to "/dest";` or `git { repo: .., commit: .. } to "/dest";`
/// - `run ["cmd", "cmd"];`, `copy from SOURCE ["/src"] to "/dest" [chown U:G] [chmod ..] [link];`,
///   `file "/dest" = include "path" [mode 0o755];`
/// - `env NAME = "value", ...;`, `arg NAME = "default", ...;`, `label "key" = "value", ...;`,
///   `workdir "/path";`, `user 185:0;`, `user root because "why";`, `expose 8080, 7077;`
/// - `volume ["/data"];`, `entrypoint ["..."];`, `cmd ["..."];`,
///   `healthcheck { cmd: [..], interval: "30s", ... };`
pub struct Syntax;

impl Phase for Syntax {
    type Text = LitStr;
    type Name = Ident;
    type Reason = LitStr;
    type Apt = LitStr;
    type Pip = LitStr;
    type Artifact = PinSpec;
    type Git = PinSpec;
    type Copy = CopyStmt;
    type File = FileStmt;
    type User = UserSpec;
    type Port = LitInt;
    type Healthcheck = Vec<HealthOption>;
}

/// `file "/dest" = include "path" [mode 0o755];`
pub struct FileStmt {
    /// Destination in the image.
    pub dest: LitStr,
    /// Path of the source file, relative to the declaring file.
    pub path: LitStr,
    /// Permission bits.
    pub mode: Option<LitInt>,
}

/// `budget 1.3 GB;`
pub struct Budget {
    /// Number as written.
    pub amount: f64,
    /// Span of the number.
    pub amount_span: Span,
    /// Unit: MB, GB, MiB or GiB.
    pub unit: Ident,
}

/// A pinned input: by key in the pin file, or written inline.
pub enum PinSpec {
    /// Key in the pin file (template).
    Key(LitStr),
    /// Inline fields, e.g. `{ url: "..", version: "..", sha256: ".." }`.
    Inline {
        /// Span of the braces.
        span: Span,
        /// Field name and value.
        fields: Vec<(Ident, LitStr)>,
    },
}

/// What a stage starts from.
pub enum BaseExpr {
    /// A catalog image: `jre17` or `spark_core(spark)` / `spark_core("3.5.7")`.
    Image(ImageCall),
    /// `"registry/ref@sha256:..."`.
    External(LitStr),
    /// `debian "bookworm"`: the locally bootstrapped base.
    Debian(LitStr),
    /// `scratch`: an empty base, for data-only layers such as jar sets.
    Scratch,
}

/// A reference to a catalog image.
pub struct ImageCall {
    /// Path of the declaration.
    pub path: Path,
    /// Arguments selecting a matrix cell; `None` for a single image.
    pub args: Option<Vec<CallArg>>,
}

/// An argument of an image reference.
pub enum CallArg {
    /// The current cell's value of this axis.
    Axis(Ident),
    /// A literal value (template).
    Lit(LitStr),
}

/// `copy from SOURCE ...`.
pub struct CopyStmt {
    /// A stage of this image (by name) or a catalog image.
    pub from: ImageCall,
    /// Source paths.
    pub src: Vec<LitStr>,
    /// Destination.
    pub dest: LitStr,
    /// Owner.
    pub chown: Option<UserSpec>,
    /// `chmod ...` as written (rejected: needs BuildKit).
    pub chmod: Option<Span>,
    /// `link` as written (rejected: needs BuildKit's dockerfile 1.4 frontend).
    pub link: Option<Span>,
}

/// A user as written.
pub enum UserSpec {
    /// `185:0`
    Numeric {
        /// uid.
        uid: LitInt,
        /// gid.
        gid: LitInt,
    },
    /// `root`, `"spark"`: a name, which the rules reject.
    Named {
        /// The name.
        name: String,
        /// Where it was written.
        span: Span,
    },
    /// `root because "why"`: an image that must start as root (e.g. sshd switching to the
    /// logging-in user) says so, with the reason, which is rendered into the Dockerfile. A `user`
    /// statement of this form is parsed as its own step, [`Step::RootBecause`].
    RootBecause {
        /// The reason.
        reason: LitStr,
    },
}

/// One `healthcheck` option.
pub struct HealthOption {
    /// Option name.
    pub key: Ident,
    /// Value: a string, an integer or a list of strings.
    pub value: HealthValue,
}

/// Value of a [`HealthOption`].
pub enum HealthValue {
    /// `"30s"`
    Str(LitStr),
    /// `3`
    Int(LitInt),
    /// `["cmd", "arg"]`
    List(Vec<LitStr>),
}
