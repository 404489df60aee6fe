//! One step type for every stage of image-dsl: a [`Step`] is an instruction of a stage, generic
//! over what its parts are in a [`Phase`]. The model (`image_dsl::Step`) is a `Step` of pins,
//! paths and users; `image!` parses a `Step` of literals as written, fills a matrix cell's
//! templates into a `Step` of spanned values that the rules check, and generates code from a
//! `Step` of tokens. So an instruction is declared once, here: a new one is a variant (with its
//! line in [`Step::map`] and, with the `tokens` feature, in its `ToTokens`), then its parse, its
//! rules and its rendering, each in one place.

/// What the parts of a step are in one phase: the model's values, or the macro's literals,
/// spanned values or tokens.
pub trait Phase {
    /// A string value: a command, a path, an environment value.
    type Text;
    /// The name of an environment variable or build argument.
    type Name;
    /// Why an image must start as root.
    type Reason;
    /// A Debian package.
    type Apt;
    /// A wheel.
    type Pip;
    /// A downloaded artifact.
    type Artifact;
    /// A git checkout.
    type Git;
    /// A copy from a stage or an image.
    type Copy;
    /// A file of the build context.
    type File;
    /// A numeric user and group.
    type User;
    /// A port.
    type Port;
    /// A health check.
    type Healthcheck;
}

/// One instruction-level step of a stage.
#[derive(Debug, Clone)]
pub enum Step<P: Phase> {
    /// Install exact Debian package versions, without recommends, cleaning lists in the same layer.
    Apt(Vec<P::Apt>),
    /// Install pinned wheels (and their closure) into a virtual environment, from the context.
    Pip {
        /// Requested pins; their requirement closure is installed.
        pins: Vec<P::Pip>,
        /// Virtual environment created if missing, e.g. `/opt/venv`.
        venv: P::Text,
    },
    /// Place a host-fetched, verified artifact at a path.
    Artifact {
        /// The pinned artifact.
        pin: P::Artifact,
        /// Absolute destination path in the image.
        dest: P::Text,
    },
    /// Place a git checkout (fetched on the host at a full commit) at a path.
    Git {
        /// The pinned repository.
        pin: P::Git,
        /// Absolute destination directory in the image.
        dest: P::Text,
    },
    /// Shell commands run in one layer under `set -o errexit -o nounset -o pipefail`.
    Run(Vec<P::Text>),
    /// Copy from a builder stage or another catalog image.
    Copy(P::Copy),
    /// A file rendered into the build context and copied into the image.
    File(P::File),
    /// Environment variables.
    Env(Vec<(P::Name, P::Text)>),
    /// Build arguments with their defaults.
    Arg(Vec<(P::Name, P::Text)>),
    /// Labels besides the OCI ones the renderer adds.
    Label(Vec<(P::Text, P::Text)>),
    /// Working directory.
    Workdir(P::Text),
    /// User the following steps and the container run as.
    User(P::User),
    /// Run as root (uid 0) on purpose, for the reason given (rendered as a comment).
    RootBecause(P::Reason),
    /// Ports the image listens on.
    Expose(Vec<P::Port>),
    /// Mount points.
    Volume(Vec<P::Text>),
    /// Entrypoint, exec form.
    Entrypoint(Vec<P::Text>),
    /// Default arguments, exec form.
    Cmd(Vec<P::Text>),
    /// Container health check.
    Healthcheck(P::Healthcheck),
}

/// How each part of a step of phase `P` becomes a part of phase `Q`, for [`Step::map`]. `'a` is
/// how long the parts it reads live, so a later phase may borrow them.
pub trait Convert<'a, P: Phase, Q: Phase> {
    /// A string value.
    fn text(&mut self, text: &'a P::Text) -> Q::Text;
    /// An environment variable's or build argument's name.
    fn name(&mut self, name: &'a P::Name) -> Q::Name;
    /// Why an image starts as root.
    fn reason(&mut self, reason: &'a P::Reason) -> Q::Reason;
    /// A Debian package.
    fn apt(&mut self, apt: &'a P::Apt) -> Q::Apt;
    /// A wheel.
    fn pip(&mut self, pip: &'a P::Pip) -> Q::Pip;
    /// An artifact.
    fn artifact(&mut self, artifact: &'a P::Artifact) -> Q::Artifact;
    /// A git checkout.
    fn git(&mut self, git: &'a P::Git) -> Q::Git;
    /// A copy.
    fn copy(&mut self, copy: &'a P::Copy) -> Q::Copy;
    /// A context file.
    fn file(&mut self, file: &'a P::File) -> Q::File;
    /// A user.
    fn user(&mut self, user: &'a P::User) -> Q::User;
    /// A port.
    fn port(&mut self, port: &'a P::Port) -> Q::Port;
    /// A health check.
    fn healthcheck(&mut self, healthcheck: &'a P::Healthcheck) -> Q::Healthcheck;
}

impl<P: Phase> Step<P> {
    /// The same step in phase `Q`, each part converted by `c` (in the order written).
    pub fn map<'a, Q: Phase>(&'a self, c: &mut impl Convert<'a, P, Q>) -> Step<Q> {
        fn texts<'a, P: Phase, Q: Phase>(
            c: &mut impl Convert<'a, P, Q>,
            list: &'a [P::Text],
        ) -> Vec<Q::Text> {
            list.iter().map(|t| c.text(t)).collect()
        }
        match self {
            Step::Apt(items) => Step::Apt(items.iter().map(|a| c.apt(a)).collect()),
            Step::Pip { pins, venv } => Step::Pip {
                pins: pins.iter().map(|p| c.pip(p)).collect(),
                venv: c.text(venv),
            },
            Step::Artifact { pin, dest } => Step::Artifact {
                pin: c.artifact(pin),
                dest: c.text(dest),
            },
            Step::Git { pin, dest } => Step::Git {
                pin: c.git(pin),
                dest: c.text(dest),
            },
            Step::Run(cmds) => Step::Run(texts(c, cmds)),
            Step::Copy(copy) => Step::Copy(c.copy(copy)),
            Step::File(file) => Step::File(c.file(file)),
            Step::Env(pairs) => {
                Step::Env(pairs.iter().map(|(k, v)| (c.name(k), c.text(v))).collect())
            }
            Step::Arg(pairs) => {
                Step::Arg(pairs.iter().map(|(k, v)| (c.name(k), c.text(v))).collect())
            }
            Step::Label(pairs) => {
                Step::Label(pairs.iter().map(|(k, v)| (c.text(k), c.text(v))).collect())
            }
            Step::Workdir(dir) => Step::Workdir(c.text(dir)),
            Step::User(user) => Step::User(c.user(user)),
            Step::RootBecause(reason) => Step::RootBecause(c.reason(reason)),
            Step::Expose(ports) => Step::Expose(ports.iter().map(|p| c.port(p)).collect()),
            Step::Volume(list) => Step::Volume(texts(c, list)),
            Step::Entrypoint(list) => Step::Entrypoint(texts(c, list)),
            Step::Cmd(list) => Step::Cmd(texts(c, list)),
            Step::Healthcheck(h) => Step::Healthcheck(c.healthcheck(h)),
        }
    }
}

/// A step whose parts are each an expression of the model's part (`image!`'s code generation):
/// it writes the expression of the model's step, `::image_dsl::Step::…`.
#[cfg(feature = "tokens")]
impl<P> quote::ToTokens for Step<P>
where
    P: Phase<
            Text = proc_macro2::TokenStream,
            Name = proc_macro2::TokenStream,
            Reason = proc_macro2::TokenStream,
            Apt = proc_macro2::TokenStream,
            Pip = proc_macro2::TokenStream,
            Artifact = proc_macro2::TokenStream,
            Git = proc_macro2::TokenStream,
            Copy = proc_macro2::TokenStream,
            File = proc_macro2::TokenStream,
            User = proc_macro2::TokenStream,
            Port = proc_macro2::TokenStream,
            Healthcheck = proc_macro2::TokenStream,
        >,
{
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        use quote::quote;
        let pairs = |list: &[(proc_macro2::TokenStream, proc_macro2::TokenStream)]| {
            let items = list.iter().map(|(k, v)| quote!((#k, #v)));
            quote!(::std::vec![#(#items),*])
        };
        tokens.extend(match self {
            Step::Apt(pins) => quote!(::image_dsl::Step::Apt(::std::vec![#(#pins),*])),
            Step::Pip { pins, venv } => {
                quote!(::image_dsl::Step::Pip { pins: ::std::vec![#(#pins),*], venv: #venv })
            }
            Step::Artifact { pin, dest } => {
                quote!(::image_dsl::Step::Artifact { pin: #pin, dest: #dest })
            }
            Step::Git { pin, dest } => quote!(::image_dsl::Step::Git { pin: #pin, dest: #dest }),
            Step::Run(cmds) => quote!(::image_dsl::Step::Run(::std::vec![#(#cmds),*])),
            Step::Copy(copy) => quote!(::image_dsl::Step::Copy(#copy)),
            Step::File(file) => quote!(::image_dsl::Step::File(#file)),
            Step::Env(p) => {
                let p = pairs(p);
                quote!(::image_dsl::Step::Env(#p))
            }
            Step::Arg(p) => {
                let p = pairs(p);
                quote!(::image_dsl::Step::Arg(#p))
            }
            Step::Label(p) => {
                let p = pairs(p);
                quote!(::image_dsl::Step::Label(#p))
            }
            Step::Workdir(dir) => quote!(::image_dsl::Step::Workdir(#dir)),
            Step::User(user) => quote!(::image_dsl::Step::User(#user)),
            Step::RootBecause(reason) => quote!(::image_dsl::Step::RootBecause(#reason)),
            Step::Expose(ports) => quote!(::image_dsl::Step::Expose(::std::vec![#(#ports),*])),
            Step::Volume(v) => quote!(::image_dsl::Step::Volume(::std::vec![#(#v),*])),
            Step::Entrypoint(v) => quote!(::image_dsl::Step::Entrypoint(::std::vec![#(#v),*])),
            Step::Cmd(v) => quote!(::image_dsl::Step::Cmd(::std::vec![#(#v),*])),
            Step::Healthcheck(h) => quote!(::image_dsl::Step::Healthcheck(#h)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{Convert, Phase, Step};

    /// Strings, as a model would have them.
    struct Words;
    /// Their lengths, as a later phase.
    struct Lengths;

    impl Phase for Words {
        type Text = String;
        type Name = String;
        type Reason = String;
        type Apt = String;
        type Pip = String;
        type Artifact = String;
        type Git = String;
        type Copy = String;
        type File = String;
        type User = String;
        type Port = String;
        type Healthcheck = String;
    }

    impl Phase for Lengths {
        type Text = usize;
        type Name = usize;
        type Reason = usize;
        type Apt = usize;
        type Pip = usize;
        type Artifact = usize;
        type Git = usize;
        type Copy = usize;
        type File = usize;
        type User = usize;
        type Port = usize;
        type Healthcheck = usize;
    }

    /// Each part becomes its length; names count double, to tell them from values.
    struct Measure;

    impl<'a> Convert<'a, Words, Lengths> for Measure {
        fn text(&mut self, t: &'a String) -> usize {
            t.len()
        }
        fn name(&mut self, n: &'a String) -> usize {
            2 * n.len()
        }
        fn reason(&mut self, r: &'a String) -> usize {
            r.len()
        }
        fn apt(&mut self, a: &'a String) -> usize {
            a.len()
        }
        fn pip(&mut self, p: &'a String) -> usize {
            p.len()
        }
        fn artifact(&mut self, a: &'a String) -> usize {
            a.len()
        }
        fn git(&mut self, g: &'a String) -> usize {
            g.len()
        }
        fn copy(&mut self, c: &'a String) -> usize {
            c.len()
        }
        fn file(&mut self, f: &'a String) -> usize {
            f.len()
        }
        fn user(&mut self, u: &'a String) -> usize {
            u.len()
        }
        fn port(&mut self, p: &'a String) -> usize {
            p.len()
        }
        fn healthcheck(&mut self, h: &'a String) -> usize {
            h.len()
        }
    }

    #[test]
    fn map_keeps_the_variant_and_converts_each_part_by_its_kind() {
        let env: Step<Words> = Step::Env(vec![("HOME".into(), "/opt".into())]);
        assert!(matches!(env.map(&mut Measure), Step::Env(pairs) if pairs == [(8, 4)]));
        let pip: Step<Words> = Step::Pip {
            pins: vec!["pandas".into()],
            venv: "/opt/venv".into(),
        };
        assert!(matches!(
            pip.map(&mut Measure),
            Step::Pip { pins, venv: 9 } if pins == [6]
        ));
    }
}
