//! Hermetic builds of the catalog on a real Docker Engine.
//!
//! The stages, in the order [`build_all`] runs them:
//! 0. [`check_apt`]: every pinned apt version is still served by Debian (read from the suites'
//!    signed indexes on the host, in seconds); a withdrawn one stops the run before the base
//!    bootstrap, naming every such pin, its replacement, the images needing it and the fix.
//! 1. [`fetch::refuse_unverified`]: an artifact without a pinned checksum stops the run; the
//!    pinned inputs are still fetched first, so its error names every missing input at once.
//! 2. [`graph::Graph`]: images ordered by their parents.
//! 3. [`client::connect`]: the engine, or a fast error saying how to start one.
//! 4. [`bootstrap::ensure_base`]: the Debian base, made locally when missing.
//! 5. [`context::content_hash`] per image, and the up-to-date check against the tag's label.
//! 6. [`fetch::Fetcher`]: artifacts of the stale images into the verified cache; any failure
//!    stops the run before any build.
//! 7. [`build`]: stale images, `jobs` at a time, each built untagged, size-checked, then tagged.
//!
//! [`bench::bench_noop`] times a no-op run against warm-cache builds of the same contexts;
//! [`compressed::compressed_size`] measures what a built image weighs gzipped.
//!
//! What is cached where: artifacts in `<cache>/artifacts/<algorithm>/<digest>` (the cache is
//! `$XDG_CACHE_HOME/image-dsl` or `~/.cache/image-dsl`, see [`config`]); the bootstrap's scratch
//! root filesystem and lock in `<cache>/bootstrap` (removed after import); layers in the engine;
//! build logs in `target/images/logs`; compressed sizes by image ID in
//! `target/images/compressed-sizes.json`.

pub mod bench;
pub mod bootstrap;
pub mod build;
pub mod builder;
pub mod client;
pub mod compressed;
pub mod config;
pub mod context;
pub mod debian;
pub mod fetch;
pub mod git;
pub mod graph;
pub mod layout;
pub mod outcome;
pub mod programs;
pub mod push;
pub mod sbom;
pub mod spec;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub use bollard;
pub use bootstrap::{BASE_REFERENCE, BaseImage};
pub use build::CONTENT_HASH_LABEL;
pub use config::{Overrides, Settings};
pub use layout::{Fix, Layout};
pub use outcome::{BuildOutcome, ImageError, ImageOutcome, Status};
pub use spec::{
    AptPin, ArtifactSource, BuildSpec, Checksum, ContextArtifact, ContextFile, CrateBuild, GoBuild,
    Locator, MavenCoordinates,
};

/// How [`build_all`] runs.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// How many images build at once (`--jobs`, default: the number of cores).
    pub jobs: usize,
    /// Build even images whose tag already carries their content hash (`--force`).
    pub force: bool,
    /// Do not use the engine's layer cache.
    pub no_cache: bool,
    /// Which builder runs the Dockerfiles (`--builder`); by default the engine's own default.
    pub builder: builder::BuilderChoice,
    /// How long a build may go without output before it is stopped as hung
    /// (`--silence-timeout`, default [`build::SILENCE_TIMEOUT`]).
    pub silence_timeout: std::time::Duration,
    /// Stream build output (`--verbose`).
    pub verbose: bool,
    /// Draw progress bars on stderr (off in tests).
    pub progress: bool,
    /// The engine to use; `None` means `DOCKER_HOST` or the local socket.
    pub docker_host: Option<String>,
    /// Mirrors and the artifact cache.
    pub settings: Settings,
    /// Where build logs go, [`Layout::log_dir`] by default.
    pub log_dir: PathBuf,
    /// Build what can be built when some inputs are missing (`--keep-going`): images whose inputs
    /// have no checksum or cannot be fetched, and what builds on them, are reported instead of
    /// stopping the run.
    pub keep_going: bool,
    /// The locked package set of the bootstrapped base (`images/apt.lock`); `None` bootstraps
    /// from what the Debian mirror serves.
    pub base_lock: Option<debian::closure::LockedBase>,
    /// Tag every image as `<prefix><name>:<tag>`, its `FROM`s of other specs likewise: a test's
    /// builds of catalog images never move the tags a user's builds made, and two test runs share
    /// only what is identical. Empty: the references as they are. Reports and freshness still
    /// name the specs' own references.
    pub tag_prefix: String,
    /// Where each image's SBOM is written after its build (and for an up-to-date image that has
    /// none yet), [`Layout::sbom_dir`] by default; `None` writes none.
    pub sbom_dir: Option<PathBuf>,
    /// Where each image's last build time is kept ([`Layout::build_times`] by default): with
    /// more stale images ready than `jobs`, those heading the longest chain of recorded build
    /// times start first. `None` keeps none and starts them in graph order.
    pub build_times: Option<PathBuf>,
}

impl BuildOptions {
    /// Defaults: all cores, no force, progress on, logs under the layout's
    /// [`Layout::log_dir`], the base bootstrapped from the package set of its apt lock.
    pub fn new(settings: Settings, layout: &Layout) -> BuildOptions {
        BuildOptions {
            jobs: std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2),
            force: false,
            no_cache: false,
            builder: builder::BuilderChoice::Auto,
            silence_timeout: build::SILENCE_TIMEOUT,
            verbose: false,
            progress: true,
            docker_host: None,
            settings,
            log_dir: layout.log_dir(),
            keep_going: false,
            base_lock: debian::closure::AptLock::read(&layout.apt_lock())
                .ok()
                .and_then(|lock| lock.base),
            tag_prefix: String::new(),
            sbom_dir: Some(layout.sbom_dir()),
            build_times: Some(layout.build_times()),
        }
    }

    /// The engine's tag of `reference` under [`BuildOptions::tag_prefix`].
    pub fn tag(&self, reference: &str) -> String {
        format!("{}{reference}", self.tag_prefix)
    }

    /// The bootstrap settings these options imply for the base `reference`.
    pub fn bootstrap_options(&self, reference: &str, force: bool) -> bootstrap::BootstrapOptions {
        bootstrap::BootstrapOptions {
            reference: reference.to_owned(),
            suite: DEBIAN_SUITE.to_owned(),
            mirror: self.settings.debian_mirror.clone(),
            security_mirror: self.settings.debian_security_mirror.clone(),
            force,
            work_dir: self.settings.cache_dir.join("bootstrap"),
            log_dir: self.log_dir.clone(),
            announce: self.progress,
            locked: self
                .base_lock
                .clone()
                .filter(|base| base.reference == reference),
            settings: self.settings.clone(),
        }
    }
}

/// The Debian release the base and every apt step come from.
pub const DEBIAN_SUITE: &str = "bookworm";

/// Why a run stopped before (or instead of) building.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No engine answers.
    #[error(transparent)]
    Client(#[from] client::ClientError),
    /// Debian's indexes could not be verified.
    #[error(transparent)]
    Debian(#[from] debian::DebianError),
    /// Some pinned apt versions are no longer served; nothing was built.
    #[error("{}", debian::describe_withdrawn(archive, pins))]
    Withdrawn {
        /// The indexes read.
        archive: debian::Archive,
        /// Every withdrawn pin.
        pins: Vec<debian::WithdrawnPin>,
    },
    /// The specs do not form a graph.
    #[error(transparent)]
    Graph(#[from] graph::GraphError),
    /// Some artifacts have no pinned checksum; the pinned inputs of the same run that could not
    /// be fetched either are listed with them, so one run names everything missing.
    #[error("{}", fetch::describe_missing(unverified, unreachable))]
    Unverified {
        /// The artifacts without a checksum.
        unverified: fetch::UnverifiedArtifacts,
        /// The pinned inputs that could not be fetched.
        unreachable: Vec<fetch::Unreachable>,
    },
    /// Some artifacts could not be fetched and verified; nothing was built.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Fetch(Vec<fetch::FetchError>),
    /// The base could not be bootstrapped.
    #[error(transparent)]
    Bootstrap(#[from] bootstrap::BootstrapError),
    /// A context could not be hashed.
    #[error(transparent)]
    Context(#[from] context::ContextError),
    /// The engine failed while checking what is up to date.
    #[error("{image}: the engine failed at `inspect`: {source}; check `docker info`")]
    Inspect {
        /// The image being checked.
        image: String,
        /// The engine's error.
        source: bollard::errors::Error,
    },
}

/// Builds `specs` (all of them; see [`graph::select`] to filter) and reports each image.
///
/// `Err` means nothing was built (no engine, unverified or tampered artifacts, a bad graph, a
/// failed bootstrap); per-image failures are in the [`BuildOutcome`], whose [`BuildOutcome::success`] decides
/// the exit code.
pub async fn build_all(
    specs: Vec<BuildSpec>,
    opts: &BuildOptions,
) -> Result<BuildOutcome, EngineError> {
    let started = Instant::now();
    // With `keep_going`: image → its missing inputs, reported instead of built.
    let mut unavailable: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Withdrawn apt versions are looked for before anything is fetched or built. When a base
    // must be bootstrapped (from its locked .debs) that is now; otherwise once the up-to-date
    // images are known, and only for the others: an image that is not built installs nothing,
    // so a run with nothing to build reads no Debian index and needs no network.
    let ready = bases_ready(&specs, opts).await;
    let bases_ready = ready.is_some();
    if !bases_ready {
        apt_gate(&specs, opts, &mut unavailable).await?;
    }
    if let Err(unverified) = fetch::refuse_unverified(&specs) {
        if !opts.keep_going {
            // A withdrawn pin is the cause to name first: its closure cannot be locked either.
            if bases_ready {
                apt_gate(&specs, opts, &mut unavailable).await?;
            }
            // Nothing will be built. Fetch what is pinned anyway, so this run names every
            // missing input, not just the first kind, and the cache holds the rest for the run
            // after the fix.
            let fetcher = fetch::Fetcher::new(opts.settings.clone());
            let unreachable = fetch::unreachable(&fetcher, &specs).await;
            return Err(EngineError::Unverified {
                unverified,
                unreachable,
            });
        }
        for item in unverified.0 {
            unavailable
                .entry(item.image)
                .or_default()
                .push(format!("{} (no checksum pinned)", item.artifact));
        }
    }
    let Plan {
        docker,
        graph,
        hashes,
        mut current,
        builder,
    } = plan(specs, opts, ready).await?;
    if opts.force {
        for image in &mut current {
            image.up_to_date = None;
        }
    }
    if bases_ready {
        let stale: Vec<BuildSpec> = graph
            .specs
            .iter()
            .zip(&current)
            .filter(|(_, c)| c.up_to_date.is_none())
            .map(|(s, _)| s.clone())
            .collect();
        if !stale.is_empty() {
            apt_gate(&stale, opts, &mut unavailable).await?;
        }
    }

    // Also what the unavailable images pin: so one run names all that is missing.
    let stale: Vec<&BuildSpec> = graph
        .specs
        .iter()
        .zip(&current)
        .filter(|(_, c)| c.up_to_date.is_none())
        .map(|(s, _)| s)
        .collect();
    let fetcher = fetch::Fetcher::new(opts.settings.clone());
    let (artifacts, errors) = fetcher.fetch_each(&stale).await;
    if !errors.is_empty() && !opts.keep_going {
        return Err(EngineError::Fetch(errors));
    }
    for error in &errors {
        for spec in &stale {
            if error.is_needed_by(spec) {
                unavailable
                    .entry(spec.reference.clone())
                    .or_default()
                    .push(format!("{} (cannot be fetched)", error.artifact()));
            }
        }
    }

    let builder_calls = AtomicUsize::new(0);
    let schedule = build::Schedule {
        docker: &docker,
        graph: &graph,
        hashes: &hashes,
        current: &current,
        artifacts: &artifacts,
        unavailable: &unavailable,
        jobs: opts.jobs,
        builder,
        no_cache: opts.no_cache,
        silence_timeout: opts.silence_timeout,
        verbose: opts.verbose,
        progress: opts.progress,
        log_dir: &opts.log_dir,
        builder_calls: &builder_calls,
        tag_prefix: &opts.tag_prefix,
        build_times: opts.build_times.as_deref(),
        sbom: opts.sbom_dir.as_deref().map(|dir| build::SbomSetup {
            dir,
            base: opts.base_lock.as_ref(),
            fetcher: &fetcher,
        }),
    };
    let images = schedule.run().await;
    if let Some(path) = &opts.build_times {
        build::record_times(path, &images);
    }
    Ok(BuildOutcome {
        images,
        builder_calls: builder_calls.load(Ordering::SeqCst),
        elapsed: started.elapsed(),
    })
}

/// The engine and every base `specs` build on (reference → package set), when all of them are
/// in it already, so none is bootstrapped in this run; `None` when one is missing or the engine
/// cannot say.
async fn bases_ready(specs: &[BuildSpec], opts: &BuildOptions) -> Option<Ready> {
    let docker = client::connect(opts.docker_host.as_deref()).await.ok()?;
    let mut bases = BTreeMap::new();
    for reference in specs.iter().filter_map(|s| s.needs_base.as_deref()) {
        if !bases.contains_key(reference) {
            let options = opts.bootstrap_options(reference, false);
            let base = bootstrap::existing(&docker, &options, reference)
                .await
                .ok()??;
            bases.insert(reference.to_owned(), base.package_set);
        }
    }
    Some(Ready { docker, bases })
}

/// An engine with every base a run needs ([`bases_ready`]).
pub(crate) struct Ready {
    docker: bollard::Docker,
    /// Base reference → its package set (part of the content hash of what builds on it).
    bases: BTreeMap<String, String>,
}

/// [`check_apt`] for a build: withdrawn pins stop the run, or with `keep_going` make the images
/// that need them (and what builds on those) unavailable.
async fn apt_gate(
    specs: &[BuildSpec],
    opts: &BuildOptions,
    unavailable: &mut BTreeMap<String, Vec<String>>,
) -> Result<(), EngineError> {
    match check_apt(specs, opts).await {
        Err(EngineError::Withdrawn { pins, .. }) if opts.keep_going => {
            for pin in pins {
                for image in pin.images.iter().chain(&pin.dependents) {
                    unavailable.entry(image.clone()).or_default().push(format!(
                        "apt {}={} (withdrawn by Debian{})",
                        pin.package,
                        pin.pinned,
                        pin.replacement
                            .as_ref()
                            .map(|c| format!(", now {}", c.version))
                            .unwrap_or_default()
                    ));
                }
            }
            Ok(())
        }
        result => result.map(|_| ()),
    }
}

/// Stage 0: every apt pin of `specs` against the suites' signed indexes, read on the host.
///
/// `Err(Withdrawn)` names every pin no suite serves any more, its replacement and the images
/// needing it (and those built on them). Pins still served but with a newer version (a point
/// release or a security update) are told on stderr. When the mirror cannot be reached at all the
/// check is skipped with a warning, so a machine with a warm engine can still work; a signature or
/// checksum that does not verify stops the run.
///
/// The `.deb`s locked for each apt step (`images/apt.lock`) are checked too. A withdrawn version
/// whose `.deb`s are all in the verified cache is only warned about: the build installs the
/// cached files and needs nothing from Debian.
///
/// `Ok(Some(n))`: the `n` distinct pins and `.deb`s were checked; `Ok(None)`: the mirror could
/// not be reached and nothing was checked.
pub async fn check_apt(
    specs: &[BuildSpec],
    opts: &BuildOptions,
) -> Result<Option<usize>, EngineError> {
    // The locked base's `.deb`s, as the inputs of a spec of its own that the images on it need.
    let base = opts.base_lock.as_ref().filter(|base| {
        specs
            .iter()
            .any(|s| s.needs_base.as_deref() == Some(base.reference.as_str()))
    });
    let with_base: Vec<BuildSpec>;
    let specs = match base {
        Some(base) => {
            with_base = std::iter::once(base.spec())
                .chain(specs.iter().cloned())
                .collect();
            &with_base[..]
        }
        None => specs,
    };
    let locked_debs = specs
        .iter()
        .flat_map(|s| &s.artifacts)
        .map(|a| &a.source)
        .filter(|s| matches!(s.locator, Locator::Debian { .. }))
        .map(|s| (s.name.as_str(), s.version.as_str()));
    let pins: std::collections::BTreeSet<(&str, &str)> = specs
        .iter()
        .flat_map(|s| &s.apt)
        .map(|p| (p.package.as_str(), p.version.as_str()))
        .chain(locked_debs)
        .collect();
    if pins.is_empty() {
        return Ok(Some(0));
    }
    let fetcher = fetch::Fetcher::new(opts.settings.clone());
    let suites = debian::suites(&opts.settings, DEBIAN_SUITE);
    let names: std::collections::BTreeSet<String> = pins
        .iter()
        .map(|(package, _)| (*package).to_owned())
        .collect();
    let loaded =
        debian::Archive::load_only(&fetcher, &opts.settings.debian_keyring, &suites, &names).await;
    let archive = match loaded {
        Ok(archive) => archive,
        Err(err @ debian::DebianError::Release { .. }) => {
            eprintln!("warning: withdrawn apt pins were not checked: {err}");
            return Ok(None);
        }
        Err(err) => return Err(err.into()),
    };
    let superseded = debian::superseded(&archive, specs);
    if !superseded.is_empty() && opts.progress {
        eprintln!(
            "note: Debian has newer versions of {} apt pin{}: {}; {} moves them",
            superseded.len(),
            if superseded.len() == 1 { "" } else { "s" },
            superseded.join(", "),
            Fix::LockWithdrawn
        );
    }
    let in_cache = |source: &ArtifactSource| {
        fetcher
            .cached_file(source)
            .is_some_and(|path| path.is_file())
    };
    let (from_cache, withdrawn): (Vec<_>, Vec<_>) = debian::withdrawn(&archive, specs, &in_cache)
        .into_iter()
        .partition(|pin| pin.cached);
    if !from_cache.is_empty() {
        let names: Vec<String> = from_cache
            .iter()
            .map(|pin| format!("{}={}", pin.package, pin.pinned))
            .collect();
        eprintln!(
            "warning: Debian no longer serves {} locked version{} ({}); the verified cache holds {}, so the images still build here, but not on a machine without this cache; {} moves {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" },
            Fix::LockWithdrawn,
            if names.len() == 1 { "it" } else { "them" },
        );
    }
    if withdrawn.is_empty() {
        Ok(Some(pins.len()))
    } else {
        Err(EngineError::Withdrawn {
            archive,
            pins: withdrawn,
        })
    }
}

/// The `bootstrap` command: makes (or with `force`, remakes) the base `reference`.
pub async fn bootstrap(
    reference: &str,
    force: bool,
    opts: &BuildOptions,
) -> Result<BaseImage, EngineError> {
    let docker = client::connect(opts.docker_host.as_deref()).await?;
    Ok(bootstrap::ensure_base(&docker, &opts.bootstrap_options(reference, force)).await?)
}

/// What a run knows before it builds anything.
pub(crate) struct Plan {
    pub docker: bollard::Docker,
    pub graph: graph::Graph,
    /// Content hash per image, in graph order.
    pub hashes: Vec<String>,
    /// What each tag points at now, in graph order.
    pub current: Vec<build::Current>,
    /// The builder stale images go to.
    pub builder: builder::Builder,
}

/// Stages 2 to 5: order, connect, ensure bases, hash, check tags ([`build_all`] has dealt with
/// unverified artifacts before).
pub(crate) async fn plan(
    specs: Vec<BuildSpec>,
    opts: &BuildOptions,
    ready: Option<Ready>,
) -> Result<Plan, EngineError> {
    let graph = graph::Graph::new(specs)?;
    let (docker, mut bases) = match ready {
        Some(Ready { docker, bases }) => (docker, bases),
        None => (
            client::connect(opts.docker_host.as_deref()).await?,
            BTreeMap::new(),
        ),
    };

    for reference in graph.specs.iter().filter_map(|s| s.needs_base.as_deref()) {
        if !bases.contains_key(reference) {
            let base =
                bootstrap::ensure_base(&docker, &opts.bootstrap_options(reference, false)).await?;
            bases.insert(reference.to_owned(), base.package_set);
        }
    }

    let hashes = hash_graph(&graph, &bases)?;
    let current = check_all(&docker, &graph, &hashes, opts).await?;
    let builder = builder::choose(&docker, opts.builder);
    Ok(Plan {
        docker,
        graph,
        hashes,
        current,
        builder,
    })
}

/// The content hash of every spec in graph order, given the package sets of the bases.
fn hash_graph(
    graph: &graph::Graph,
    bases: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<String>, EngineError> {
    let mut hashes: Vec<String> = Vec::with_capacity(graph.specs.len());
    for (i, spec) in graph.specs.iter().enumerate() {
        let mut parents: Vec<String> = graph.parents[i]
            .iter()
            .map(|&p| hashes[p].clone())
            .collect();
        if let Some(base) = spec.needs_base.as_deref() {
            parents.push(format!("base:{}", bases[base]));
        }
        hashes.push(context::content_hash(spec, &parents)?);
    }
    Ok(hashes)
}

/// What each tag points at now, in graph order.
async fn check_all(
    docker: &bollard::Docker,
    graph: &graph::Graph,
    hashes: &[String],
    opts: &BuildOptions,
) -> Result<Vec<build::Current>, EngineError> {
    let checks = graph.specs.iter().zip(hashes).map(|(spec, hash)| async {
        build::check_current(docker, &opts.tag(&spec.reference), hash, spec.budget_bytes)
            .await
            .map_err(|source| EngineError::Inspect {
                image: spec.reference.clone(),
                source,
            })
    });
    futures_util::future::try_join_all(checks).await
}

/// Whether an image's tag holds what its definition builds today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// No image carries the tag.
    Missing,
    /// The tag points at an image built from another definition (its content-hash label differs:
    /// the image, its context, a pin, a parent or the Debian base changed since), or one over
    /// its budget.
    Stale,
    /// The tag carries the content hash a build would give it now.
    Current,
}

/// The [`Freshness`] of each of `specs` (a closed set: every parent included), keyed by
/// reference. Unlike a build it changes nothing: a missing base makes everything on it
/// [`Freshness::Missing`] or [`Freshness::Stale`] instead of being bootstrapped, and artifacts
/// without a checksum are hashed as `unverified` rather than refused.
pub async fn freshness(
    specs: Vec<BuildSpec>,
    opts: &BuildOptions,
) -> Result<std::collections::BTreeMap<String, Freshness>, EngineError> {
    let graph = graph::Graph::new(specs)?;
    let docker = client::connect(opts.docker_host.as_deref()).await?;
    let mut bases = std::collections::BTreeMap::new();
    for reference in graph.specs.iter().filter_map(|s| s.needs_base.as_deref()) {
        if !bases.contains_key(reference) {
            let options = opts.bootstrap_options(reference, false);
            let package_set = bootstrap::existing(&docker, &options, reference)
                .await?
                .map_or_else(|| "missing".to_owned(), |base| base.package_set);
            bases.insert(reference.to_owned(), package_set);
        }
    }
    let hashes = hash_graph(&graph, &bases)?;
    let current = check_all(&docker, &graph, &hashes, opts).await?;
    Ok(graph
        .specs
        .iter()
        .zip(current)
        .map(|(spec, current)| {
            let freshness = match (current.tagged, current.up_to_date) {
                (None, _) => Freshness::Missing,
                (Some(_), None) => Freshness::Stale,
                (Some(_), Some(_)) => Freshness::Current,
            };
            (spec.reference.clone(), freshness)
        })
        .collect())
}
