//! The command line of `cargo xtask`, declared in one place.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Project tasks: the image catalog.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
pub struct Xtask {
    /// What to do.
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// The image catalog: list, generate, bootstrap, build, lock, bench.
    #[command(subcommand)]
    Images(Images),
}

/// `cargo xtask images …`
#[derive(Debug, Subcommand)]
pub enum Images {
    /// Print every image as `name:tag`, one per line, in build order.
    List(List),
    /// Write each image's Dockerfile and build context files to DIR/<name>/<tag>/.
    Generate(Generate),
    /// Time rendering and checking the whole catalog; with --startup, built images' startup.
    Bench(Bench),
    /// Make the Debian base from Debian packages and import it into the engine.
    Bootstrap(Bootstrap),
    /// Build images (and what they depend on) on the Docker engine.
    Build(Build),
    /// Refresh images/pins.toml: current Debian versions, checksums of fetched artifacts.
    Lock(Lock),
    /// Check, in seconds and before any build, that Debian still serves every pinned apt version
    /// (the first thing `images build` and `images test` do).
    CheckApt(CheckApt),
    /// Write Dockerfiles, contexts, docker-bake.json and the compose kits for use without Rust.
    Export(Export),
    /// Prove built images in real containers (probes generated from each image's model).
    Test(Test),
    /// Write target/images/report.md: every image, built here or what it needs, size and compressed
    /// size (docker save | gzip -1), budget, probes.
    Report(Report),
    /// Push built, up-to-date images to a registry and record their digests in a lock.
    Push(Push),
    /// Build the specs of a JSON file (engine tests' fixtures).
    #[command(hide = true)]
    BuildSpecs(BuildSpecs),
}

/// Mirror and cache settings shared by the commands that fetch or build.
#[derive(Debug, Args, Clone, Default)]
pub struct Mirrors {
    /// PyPI mirror (simple index URL); also IMAGE_DSL_PYPI_MIRROR or images.toml.
    #[arg(long)]
    pub pypi_mirror: Option<String>,
    /// Maven repository mirror; also IMAGE_DSL_MAVEN_MIRROR or images.toml.
    #[arg(long)]
    pub maven_mirror: Option<String>,
    /// Apache archive mirror; also IMAGE_DSL_APACHE_MIRROR or images.toml.
    #[arg(long)]
    pub apache_mirror: Option<String>,
    /// Debian archive for the base bootstrap; also IMAGE_DSL_DEBIAN_MIRROR or images.toml.
    #[arg(long)]
    pub debian_mirror: Option<String>,
    /// Git mirror holding each repository under its path (github.com/a/b at MIRROR/a/b); also
    /// IMAGE_DSL_GIT_MIRROR or images.toml.
    #[arg(long)]
    pub git_mirror: Option<String>,
    /// Artifact cache directory (default ~/.cache/image-dsl).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
}

/// `images build-specs` (hidden)
#[derive(Debug, Args)]
pub struct BuildSpecs {
    /// JSON array of build specs.
    #[arg(long)]
    pub file: PathBuf,
    /// Rebuild images that are up to date.
    #[arg(long)]
    pub force: bool,
    /// Mirrors and cache.
    #[command(flatten)]
    pub mirrors: Mirrors,
}

/// `images list`
#[derive(Debug, Args)]
pub struct List {}

/// `images generate`
#[derive(Debug, Args)]
pub struct Generate {
    /// Output directory.
    #[arg(long, default_value = "target/images/generated")]
    pub out: PathBuf,
    /// Only check that the committed snapshots match the declarations; write nothing.
    #[arg(long)]
    pub check: bool,
}

/// `images bench`
#[derive(Debug, Args)]
pub struct Bench {
    /// Rounds to time (the median is reported).
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Also measure builds of the buildable catalog beside `docker buildx bake` of its export,
    /// in one run: cold (every step, no layer cache) and no-op (all up to date), plus warm-cache
    /// rebuilds through the engine's builder. Builds whatever is missing first; needs buildx.
    #[arg(long)]
    pub engine: bool,
    /// Instead: time built Spark images from `docker run` to the first Python import, a
    /// SparkSession, a local job's result, a `spark-shell` answer and an executor registering
    /// with a live driver, side by side with each of their optimizations undone; writes
    /// target/images/bench-startup.md.
    #[arg(long, conflicts_with = "engine")]
    pub startup: bool,
    /// With --startup: counted runs of each phase per image and column (medians are reported).
    #[arg(long, default_value_t = 5, requires = "startup")]
    pub runs: usize,
    /// With --startup: leave out the uncounted warm-up round that otherwise runs first (the first
    /// container of a new image reads its layers from disk, later ones from the page cache).
    #[arg(long, requires = "startup")]
    pub no_warm_up: bool,
    /// With --engine: only these images (and what they build on); default all buildable. With
    /// --startup: only these built images (patterns with `*`); default every built Spark image.
    pub filters: Vec<String>,
    /// With --engine: leave these images (patterns with `*`) out, e.g. 'python-deps:gpu'.
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Mirrors and cache.
    #[command(flatten)]
    pub mirrors: Mirrors,
}

/// `images bootstrap`
#[derive(Debug, Args)]
pub struct Bootstrap {
    /// Bootstrap again even when the engine has a base with the same package set.
    #[arg(long)]
    pub force: bool,
    /// Mirrors and cache.
    #[command(flatten)]
    pub mirrors: Mirrors,
}

/// `images build`
#[derive(Debug, Args)]
pub struct Build {
    /// Images to build, as `name:tag` or patterns with `*` (e.g. 'spark-4.1.*'); all when empty.
    pub filters: Vec<String>,
    /// Images built at once (default: number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Rebuild images that are up to date.
    #[arg(long)]
    pub force: bool,
    /// Use no layer the engine has cached (with --force: a cold build of every step).
    #[arg(long)]
    pub no_cache: bool,
    /// The engine's builder: `buildkit`, `classic`, or `auto` (the engine's default: BuildKit
    /// from Docker Engine 23, classic before). Without the flag, DOCKER_BUILDKIT=0 or 1 decides
    /// as it does for `docker build`.
    #[arg(long, value_name = "BUILDER", value_parser = ["auto", "buildkit", "classic"])]
    pub builder: Option<String>,
    /// Stop a build (failed, nothing tagged) after this many seconds without output from the
    /// engine: a hung step. Default 1800.
    #[arg(long, value_name = "SECONDS")]
    pub silence_timeout: Option<u64>,
    /// Stream build logs.
    #[arg(long, short)]
    pub verbose: bool,
    /// Write no SBOM (target/images/sbom/); `images push` then refuses the images.
    #[arg(long)]
    pub no_sbom: bool,
    /// Build what can be built: images with inputs missing here (no checksum, cannot be
    /// fetched) and what builds on them are listed instead of stopping the run.
    #[arg(long, short)]
    pub keep_going: bool,
    /// Mirrors and cache.
    #[command(flatten)]
    pub mirrors: Mirrors,
}

/// `images check-apt`
#[derive(Debug, Args)]
pub struct CheckApt {
    /// Images to check, as `name:tag` or patterns with `*` (and what they build on); all when
    /// empty.
    pub filters: Vec<String>,
    /// Mirrors and cache.
    #[command(flatten)]
    pub mirrors: Mirrors,
}

/// `images lock`
#[derive(Debug, Args)]
pub struct Lock {
    /// Verify without writing; exit non-zero when the pin file is not current.
    #[arg(long)]
    pub check: bool,
    /// Change only the apt pins Debian no longer serves or has a security update for, and print
    /// each change with the CVE ids fixed in between (as `cargo update -p` touches one crate).
    #[arg(long)]
    pub withdrawn: bool,
    /// Mirrors and cache.
    #[command(flatten)]
    pub mirrors: Mirrors,
}

/// `images report`
#[derive(Debug, Args)]
pub struct Report {
    /// Mirrors and cache (where fetched inputs are looked for).
    #[command(flatten)]
    pub mirrors: Mirrors,
}

/// `images test`
#[derive(Debug, Args)]
pub struct Test {
    /// Images to test, as `name:tag` or patterns with `*`; all buildable images when empty.
    pub filters: Vec<String>,
    /// Build what is missing or stale first (and the images the probes need).
    #[arg(long)]
    pub build: bool,
    /// Run only these probes (e.g. `--probe local --probe jdbc`); all that apply when empty.
    #[arg(long = "probe")]
    pub probes: Vec<String>,
    /// Mirrors and cache (for `--build`).
    #[command(flatten)]
    pub mirrors: Mirrors,
}

/// `images export`
#[derive(Debug, Args)]
pub struct Export {
    /// Output directory.
    #[arg(long, default_value = "target/images/export")]
    pub out: PathBuf,
    /// Also fetch and verify every pinned input into the contexts (so Buildx can build offline).
    #[arg(long)]
    pub fetch: bool,
    /// Mirrors and cache (for `--fetch`).
    #[command(flatten)]
    pub mirrors: Mirrors,
}

/// `images push`
#[derive(Debug, Args)]
pub struct Push {
    /// Where to: the registry and a repository prefix, e.g. registry.example.org:5000/data
    /// (credentials from your Docker config, credential helpers included).
    #[arg(long, value_name = "HOST[:PORT]/PREFIX")]
    pub registry: crate::engine::push::Registry,
    /// Images to push, as `name:tag` or patterns with `*`; all when empty. Only these are
    /// pushed, not the images they build on.
    pub filters: Vec<String>,
    /// The digest lock to update (`name:tag` → `HOST/PREFIX/NAME@sha256:…` per registry).
    #[arg(long, default_value = "images/digests.toml")]
    pub lock: PathBuf,
    /// Do not write the digest lock.
    #[arg(long, conflicts_with = "lock")]
    pub no_lock: bool,
    /// Mirrors and cache.
    #[command(flatten)]
    pub mirrors: Mirrors,
}
