//! The image model: what an `image!` declaration means, with no syntax and no spans left.
//!
//! An [`Image`] is a list of [`Stage`]s; the last one is the image itself, the others are
//! builder stages it copies from. Bases that are catalog images are [`ImageRef`]s, Rust values
//! that carry a constructor, so the build graph follows from the declarations themselves.

use crate::pin::{AptPin, ArtifactPin, GitPin, PipPin};
pub use image_dsl_spark::{SparkVariant, SparkVersion};
use std::fmt;

/// A container image of the catalog: its name, tag, budget and stages.
#[derive(Debug, Clone)]
pub struct Image {
    /// Repository name, e.g. `spark-3.5.7`.
    pub name: String,
    /// Tag, e.g. `baseline`.
    pub tag: String,
    /// One-line description (the declaration's doc comment).
    pub description: String,
    /// Source file of the declaration, as `file!()` gives it.
    pub source: &'static str,
    /// Largest uncompressed size the built image may have.
    pub budget: SizeBudget,
    /// The Spark flavour this image carries, when it carries one.
    pub spark: Option<SparkFlavor>,
    /// Builder stages first, the image's own stage last.
    pub stages: Vec<Stage>,
}

/// A reference to another catalog image, as the DSL writes it (`from jre17`): the function the
/// referenced declaration generated, so a reference to an undeclared image does not compile.
#[derive(Clone, Copy)]
pub struct ImageRef {
    /// Builds the referenced image's value.
    pub load: fn() -> Image,
}

/// One `FROM` section of a Dockerfile.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Stage name (`AS name`); `None` for the image's own, final stage.
    pub name: Option<String>,
    /// What the stage starts from.
    pub base: Base,
    /// Steps in order.
    pub steps: Vec<Step>,
}

/// What a stage starts from.
#[derive(Debug, Clone)]
pub enum Base {
    /// Another image of the catalog.
    Image(ImageRef),
    /// A registry image pinned by digest.
    External(ExternalBase),
    /// The Debian base bootstrapped locally from Debian packages (`cargo xtask images bootstrap`).
    Debian(DebianSuite),
    /// The empty image, for data-only layers.
    Scratch,
}

/// A registry image pinned by digest, e.g. `docker.io/library/debian:bookworm-slim@sha256:…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalBase {
    /// Reference including the `@sha256:` digest.
    pub reference: String,
}

/// A Debian suite the base can be bootstrapped from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DebianSuite {
    /// Debian 12.
    Bookworm,
}

impl DebianSuite {
    /// Suite name as Debian spells it.
    pub fn name(self) -> &'static str {
        match self {
            DebianSuite::Bookworm => "bookworm",
        }
    }

    /// Tag of the bootstrapped base image in the local engine.
    pub fn image_reference(self) -> String {
        format!("image-dsl/debian:{}-slim", self.name())
    }
}

/// One instruction-level step of a stage: [`image_dsl_step::Step`] in the model's [`Model`]
/// phase, the same enum `image!` checks with spans attached.
pub type Step = image_dsl_step::Step<Model>;

/// The model's phase of a [`Step`]: its parts are pins, paths, users and strings, with no syntax
/// and no spans left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model;

impl image_dsl_step::Phase for Model {
    type Text = String;
    type Name = String;
    type Reason = String;
    type Apt = AptPin;
    type Pip = &'static PipPin;
    type Artifact = ArtifactPin;
    type Git = GitPin;
    type Copy = Copy;
    type File = ContextFile;
    type User = User;
    type Port = Port;
    type Healthcheck = Healthcheck;
}

/// `COPY --from=… src dest`.
#[derive(Debug, Clone)]
pub struct Copy {
    /// Where the files come from.
    pub from: CopySource,
    /// Absolute source paths.
    pub src: Vec<String>,
    /// Absolute destination.
    pub dest: String,
    /// Owner of the copied files.
    pub chown: Option<User>,
}

/// Source of a [`Copy`].
#[derive(Debug, Clone)]
pub enum CopySource {
    /// A builder stage of the same image, by name.
    Stage(String),
    /// Another catalog image.
    Image(ImageRef),
}

/// A file of the build context, such as an entrypoint script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFile {
    /// Absolute path in the image.
    pub dest: String,
    /// File contents.
    pub contents: &'static str,
    /// Unix permission bits.
    pub mode: u32,
}

/// A numeric user and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct User {
    /// Numeric uid.
    pub uid: u32,
    /// Numeric gid.
    pub gid: u32,
}

/// A port an image listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Port {
    /// Port number.
    pub number: u16,
    /// `tcp` or `udp`.
    pub protocol: Protocol,
}

/// Transport protocol of a [`Port`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// `HEALTHCHECK` options, limited to what Docker Engine 20.10 understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    /// Command, exec form.
    pub cmd: Vec<String>,
    /// `--interval`, e.g. `30s`.
    pub interval: String,
    /// `--timeout`.
    pub timeout: String,
    /// `--start-period`.
    pub start_period: String,
    /// `--retries`.
    pub retries: u32,
}

/// The largest uncompressed size a built image may have, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SizeBudget(pub u64);

impl SizeBudget {
    /// The budget in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SizeBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mb = self.0 as f64 / 1e6;
        if mb >= 1000.0 {
            write!(f, "{:.2} GB", mb / 1000.0)
        } else {
            write!(f, "{mb:.0} MB")
        }
    }
}

/// A Spark release with the optional components an image adds to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SparkFlavor {
    /// Spark version.
    pub version: SparkVersion,
    /// What it adds to Spark: RAPIDS (`gpu`), Iceberg, both or neither.
    pub variant: SparkVariant,
    /// A notebook server whose kernels run this Spark (`notebook;`), probed by running a
    /// notebook through it. Kept here rather than on [`Image`] because only Spark notebook images
    /// exist; `notebook;` on an image without `spark` sets only its budget ceiling.
    pub notebook: bool,
}

impl SparkFlavor {
    /// Carries the RAPIDS Accelerator.
    pub fn gpu(self) -> bool {
        self.variant.gpu()
    }

    /// Carries the Iceberg runtime.
    pub fn iceberg(self) -> bool {
        self.variant.iceberg()
    }
}

impl Image {
    /// `name:tag`.
    pub fn reference(&self) -> String {
        format!("{}:{}", self.name, self.tag)
    }

    /// The image's own, final stage.
    pub fn final_stage(&self) -> &Stage {
        self.stages
            .last()
            .expect("an image has at least its own stage")
    }

    /// Catalog images this one builds from or copies from, each once, in first-use order.
    pub fn parents(&self) -> Vec<ImageRef> {
        let mut parents: Vec<ImageRef> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        let mut add = |r: &ImageRef| {
            let reference = r.reference();
            if !seen.contains(&reference) {
                seen.push(reference);
                parents.push(*r);
            }
        };
        for stage in &self.stages {
            if let Base::Image(r) = &stage.base {
                add(r);
            }
            for step in &stage.steps {
                if let Step::Copy(Copy {
                    from: CopySource::Image(r),
                    ..
                }) = step
                {
                    add(r);
                }
            }
        }
        parents
    }

    /// Catalog images used as `copy from` sources, each once, in first-use order.
    pub fn copy_sources(&self) -> Vec<ImageRef> {
        let mut out: Vec<ImageRef> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for step in self.stages.iter().flat_map(|s| &s.steps) {
            if let Step::Copy(Copy {
                from: CopySource::Image(r),
                ..
            }) = step
            {
                let reference = r.reference();
                if !seen.contains(&reference) {
                    seen.push(reference);
                    out.push(*r);
                }
            }
        }
        out
    }

    /// Whether any stage starts from the locally bootstrapped Debian base.
    pub fn bootstrap_base(&self) -> Option<DebianSuite> {
        self.stages.iter().find_map(|s| match s.base {
            Base::Debian(suite) => Some(suite),
            _ => None,
        })
    }

    /// Every artifact any stage fetches, each once.
    pub fn artifacts(&self) -> Vec<ArtifactPin> {
        let mut out: Vec<ArtifactPin> = Vec::new();
        for step in self.stages.iter().flat_map(|s| &s.steps) {
            if let Step::Artifact { pin, .. } = step
                && !out.contains(pin)
            {
                out.push(*pin);
            }
        }
        out
    }

    /// Every wheel any stage installs, closure included, each once, sorted by name.
    pub fn wheels(&self) -> Vec<&'static PipPin> {
        let requested: Vec<&'static PipPin> = self
            .stages
            .iter()
            .flat_map(|s| &s.steps)
            .filter_map(|step| match step {
                Step::Pip { pins, .. } => Some(pins.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect();
        PipPin::closure(&requested)
    }

    /// Every Debian package any stage installs.
    pub fn apt_packages(&self) -> Vec<AptPin> {
        let mut out: Vec<AptPin> = Vec::new();
        for step in self.stages.iter().flat_map(|s| &s.steps) {
            if let Step::Apt(pins) = step {
                for pin in pins {
                    if !out.contains(pin) {
                        out.push(*pin);
                    }
                }
            }
        }
        out
    }

    /// The user the container runs as (the last `user` step of the final stage).
    pub fn user(&self) -> Option<User> {
        self.final_stage().steps.iter().rev().find_map(|s| match s {
            Step::User(u) => Some(*u),
            Step::RootBecause(_) => Some(User { uid: 0, gid: 0 }),
            _ => None,
        })
    }
}

impl ImageRef {
    /// The referenced image.
    pub fn image(&self) -> Image {
        (self.load)()
    }

    /// `name:tag` of the referenced image.
    pub fn reference(&self) -> String {
        self.image().reference()
    }
}

impl fmt::Debug for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageRef({})", self.reference())
    }
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}
