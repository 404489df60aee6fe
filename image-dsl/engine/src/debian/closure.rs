//! The complete `.deb` closure of every apt step, resolved at lock time and recorded in
//! `images/apt.lock`: each `.deb` with its version, suite, pool path, size and SHA-256, as the
//! suites' signed indexes give them.
//!
//! apt itself resolves each step, so what is recorded is exactly what `apt-get install` would
//! choose (alternatives, virtual packages, `Pre-Depends`, version constraints): in a throwaway
//! container of the bootstrapped base, with no network, reading only the `Packages` indexes the
//! host verified, against a dpkg status of what the step's stage has installed already (the
//! base's own packages plus the closures of the apt steps below it). A Rust resolver would be a
//! second implementation of apt's choices; none that is maintained matches them.

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::Archive;
use crate::fetch::Fetcher;
use crate::spec::{ArtifactSource, Checksum, Locator};

/// How long one apt command in the resolver container may take.
const APT_TIMEOUT: Duration = Duration::from_secs(120);

/// Every apt step's closure, and the packages of the bootstrapped base.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AptLock {
    /// The base's package set, as the bootstrap installs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<LockedBase>,
    /// One entry per apt step of the catalog, in build order.
    #[serde(default, rename = "step")]
    pub steps: Vec<LockedStep>,
}

/// The bootstrapped base's packages: `debootstrap --variant=minbase` with the suite's updates and
/// security fixes, as `.deb`s that the bootstrap installs without Debian.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedBase {
    /// The reference the base is imported as.
    pub reference: String,
    /// The Debian suite, e.g. `bookworm`.
    pub suite: String,
    /// Every package of the base, at the version installed.
    #[serde(rename = "deb")]
    pub debs: Vec<LockedDeb>,
}

impl LockedBase {
    /// The base at the versions Debian serves today for the packages of `names`: what a
    /// bootstrap followed by `apt-get upgrade` installs. `keep` gives the locked version of a
    /// package that is to stay as it is.
    pub fn resolve(
        reference: &str,
        suite: &str,
        names: &[String],
        archive: &Archive,
        keep: &dyn Fn(&str) -> Option<LockedDeb>,
    ) -> Result<LockedBase, ClosureError> {
        let mut debs = names
            .iter()
            .map(|name| {
                if let Some(kept) = keep(name) {
                    return Ok(kept);
                }
                let candidate =
                    archive
                        .candidate(name)
                        .ok_or_else(|| ClosureError::NotIndexed {
                            image: reference.to_owned(),
                            step: "bootstrap".to_owned(),
                            package: name.clone(),
                            version: "any".to_owned(),
                        })?;
                let found = archive.find(name, &candidate.version).ok_or_else(|| {
                    ClosureError::NotIndexed {
                        image: reference.to_owned(),
                        step: "bootstrap".to_owned(),
                        package: name.clone(),
                        version: candidate.version.clone(),
                    }
                })?;
                Ok(LockedDeb::of(found))
            })
            .collect::<Result<Vec<_>, ClosureError>>()?;
        debs.sort();
        debs.dedup_by(|a, b| a.package == b.package);
        Ok(LockedBase {
            reference: reference.to_owned(),
            suite: suite.to_owned(),
            debs,
        })
    }

    /// The base as a spec whose inputs are its `.deb`s: what the bootstrap fetches, and what the
    /// withdrawn check reads (the images on the base name it in `needs_base`).
    pub fn spec(&self) -> crate::BuildSpec {
        crate::BuildSpec {
            reference: self.reference.clone(),
            dockerfile: String::new(),
            files: Vec::new(),
            artifacts: self
                .debs
                .iter()
                .map(|deb| crate::ContextArtifact {
                    path: deb.file_name().to_owned(),
                    source: deb.source(),
                })
                .collect(),
            parents: Vec::new(),
            needs_base: None,
            budget_bytes: 0,
            apt: Vec::new(),
        }
    }

    /// The names of the packages installed according to the dpkg `status` text.
    pub fn installed(status: &str) -> Vec<String> {
        let mut names: Vec<String> = status
            .split("\n\n")
            .filter(|p| field(p, "Status").is_some_and(|s| s.ends_with(" installed")))
            .filter_map(|p| field(p, "Package").map(str::to_owned))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// The closure of one apt step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedStep {
    /// The image, `name:tag`.
    pub image: String,
    /// The step, `apt-1`, … in Dockerfile order.
    pub step: String,
    /// What the step asks for, `package=version` each.
    pub requested: Vec<String>,
    /// Every `.deb` it installs: what the stage lacks of the requested packages and their
    /// dependencies, plus the requested packages themselves.
    #[serde(rename = "deb")]
    pub debs: Vec<LockedDeb>,
}

/// One `.deb`, as a suite's signed Packages index lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LockedDeb {
    /// The package.
    pub package: String,
    /// Its exact version.
    pub version: String,
    /// The suite listing it, e.g. `bookworm-security` (which mirror it is fetched from).
    pub suite: String,
    /// Its path below the archive root.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

impl LockedDeb {
    /// The `.deb` a verified index lists.
    pub fn of(package: &super::Package) -> LockedDeb {
        LockedDeb {
            package: package.name.clone(),
            version: package.version.clone(),
            suite: package.suite.clone(),
            path: package.filename.clone(),
            size: package.size,
            sha256: package.sha256.clone(),
        }
    }

    /// The `.deb` as a verified input of a build.
    pub fn source(&self) -> ArtifactSource {
        ArtifactSource {
            name: self.package.clone(),
            version: self.version.clone(),
            locator: Locator::Debian {
                suite: self.suite.clone(),
                path: self.path.clone(),
            },
            checksum: Checksum::Sha256(self.sha256.clone()),
        }
    }

    /// Its file name, the last part of its pool path.
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

impl AptLock {
    /// Reads `path`; a missing file is an empty lock. A file read before in this process, and
    /// not changed since (same length and modification time), is not parsed again: a build reads
    /// the lock for the base and for every image's closures, and parsing it is a no-op build's
    /// largest cost.
    pub fn read(path: &Path) -> Result<AptLock, String> {
        type Seen = (PathBuf, u64, Option<std::time::SystemTime>);
        static PARSED: std::sync::Mutex<Option<(Seen, AptLock)>> = std::sync::Mutex::new(None);
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(AptLock::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let seen: Seen = (path.to_owned(), meta.len(), meta.modified().ok());
        let mut parsed = PARSED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, lock)) = parsed.as_ref().filter(|(before, _)| *before == seen) {
            return Ok(lock.clone());
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let lock: AptLock =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        *parsed = Some((seen, lock.clone()));
        Ok(lock)
    }

    /// The closure of `image`'s `step`, when it was resolved for exactly `requested`.
    pub fn step(&self, image: &str, step: &str, requested: &[String]) -> Option<&LockedStep> {
        self.steps
            .iter()
            .find(|s| s.image == image && s.step == step && s.requested == requested)
    }

    /// The file's text: a header saying what it is, then the steps.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# The .deb closure of every apt step, resolved by apt against Debian's signed indexes.\n\
             # Written by the image-dsl lock command; do not edit. Builds install exactly these files,\n\
             # fetched on the host and checked against these SHA-256s, with no network.\n\n{body}"
        )
    }

    /// The number of distinct `.deb`s.
    pub fn distinct_debs(&self) -> usize {
        let mut all: Vec<&str> = self
            .steps
            .iter()
            .flat_map(|s| &s.debs)
            .chain(self.base.iter().flat_map(|b| &b.debs))
            .map(|d| d.sha256.as_str())
            .collect();
        all.sort_unstable();
        all.dedup();
        all.len()
    }
}

/// What the stage of an apt step starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepBase {
    /// The bootstrapped base.
    Debian,
    /// A catalog image: its own stage's closures are installed already.
    Image(String),
}

/// One apt step to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRequest {
    /// The image, `name:tag`.
    pub image: String,
    /// The step, `apt-1`, ….
    pub step: String,
    /// Whether it runs in the image's own stage (what later images build on).
    pub final_stage: bool,
    /// What its stage starts from.
    pub base: StepBase,
    /// The apt steps of the same stage before it.
    pub after: Vec<String>,
    /// The packages it asks for at their versions.
    pub packages: Vec<(String, String)>,
}

impl StepRequest {
    /// `package=version` of each requested package.
    pub fn requested(&self) -> Vec<String> {
        self.packages
            .iter()
            .map(|(p, v)| format!("{p}={v}"))
            .collect()
    }
}

/// Why a closure could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ClosureError {
    /// The engine failed.
    #[error("resolving apt closures: the engine failed to {step}: {source}")]
    Engine {
        /// What was being done.
        step: &'static str,
        /// The engine's error.
        source: bollard::errors::Error,
    },
    /// A verified index is not in the cache (it was built in memory).
    #[error("resolving apt closures: the {suite} index is not in the artifact cache")]
    NoIndex {
        /// The suite.
        suite: String,
    },
    /// Reading an index or building the resolver's files failed.
    #[error("resolving apt closures: {0}")]
    Io(String),
    /// A step's base is an image outside the catalog (its packages are unknown).
    #[error(
        "{image} {step}: its stage starts from {base}, whose installed packages are unknown; apt steps need the Debian base or a catalog image"
    )]
    UnknownBase {
        /// The image.
        image: String,
        /// The step.
        step: String,
        /// The base.
        base: String,
    },
    /// apt found no solution.
    #[error("{image} {step}: apt cannot install {requested} on its stage:\n{output}")]
    Unresolvable {
        /// The image.
        image: String,
        /// The step.
        step: String,
        /// What it asks for.
        requested: String,
        /// apt's output.
        output: String,
    },
    /// apt chose a version no verified index lists.
    #[error("{image} {step}: apt chose {package}={version}, which no verified index lists")]
    NotIndexed {
        /// The image.
        image: String,
        /// The step.
        step: String,
        /// The package.
        package: String,
        /// The version.
        version: String,
    },
    /// An apt command took too long.
    #[error("resolving apt closures: `{0}` gave no answer within {secs}s", secs = APT_TIMEOUT.as_secs())]
    Timeout(String),
}

/// The options every apt command of the resolver gets: only the uploaded flat repositories, no
/// lock, its own cache and lists.
const APT_OPTIONS: &str = "-o Dir::Etc::SourceList=/resolve/sources.list -o Dir::Etc::SourceParts=/resolve/parts -o Dir::State::Lists=/resolve/lists -o Dir::Cache=/resolve/cache -o Debug::NoLocking=1 -o Acquire::Languages=none";

/// What the closures are resolved against.
pub struct Sources<'a> {
    /// The suites' verified indexes.
    pub archive: &'a Archive,
    /// The verified cache their `Packages` files are read from.
    pub fetcher: &'a Fetcher,
    /// The locked base; `None` locks it first (see [`resolve`]).
    pub base: Option<&'a LockedBase>,
    /// What the own stage of every catalog image starts from, so that an image without apt steps
    /// passes its base's packages on.
    pub bases: &'a HashMap<String, StepBase>,
}

/// Resolves `requests` (in build order: a catalog base's steps before the steps on it) with apt
/// in a container of `base_image`, against the verified indexes of `sources`. A step for which
/// `keep` returns a closure keeps it (apt is not asked).
///
/// The steps on the Debian base resolve against the locked base; without one, the base is locked
/// first: the packages `base_image` has installed, at the versions Debian serves today.
pub async fn resolve(
    docker: &Docker,
    base_image: &str,
    sources: &Sources<'_>,
    requests: &[StepRequest],
    keep: &(dyn Fn(&StepRequest) -> Option<LockedStep> + Sync),
) -> Result<AptLock, ClosureError> {
    let Sources {
        archive,
        fetcher,
        base,
        bases,
    } = *sources;
    let stanzas = Stanzas::read(archive, fetcher).await?;
    static RESOLVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let container = format!(
        "image-dsl-apt-resolve-{}-{}",
        std::process::id(),
        RESOLVERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let _ = remove(docker, &container).await;
    let body = ContainerCreateBody {
        image: Some(base_image.to_owned()),
        entrypoint: Some(vec!["sleep".to_owned()]),
        cmd: Some(vec!["infinity".to_owned()]),
        network_disabled: Some(true),
        host_config: Some(HostConfig {
            network_mode: Some("none".to_owned()),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    };
    let engine = |step| move |source| ClosureError::Engine { step, source };
    docker
        .create_container(
            Some(
                CreateContainerOptionsBuilder::new()
                    .name(&container)
                    .build(),
            ),
            body,
        )
        .await
        .map_err(engine("create the resolver container"))?;
    let result = async {
        docker
            .start_container(&container, None)
            .await
            .map_err(engine("start the resolver container"))?;
        upload(docker, &container, &stanzas.repository_files(archive)).await?;
        run(
            docker,
            &container,
            &format!("apt-get -qq {APT_OPTIONS} update"),
        )
        .await?;
        let (code, base_status) = run(docker, &container, "cat /var/lib/dpkg/status").await?;
        if code != 0 {
            return Err(ClosureError::Io(
                "cannot read the base's dpkg status".into(),
            ));
        }
        let base = match base {
            Some(base) => base.clone(),
            None => LockedBase::resolve(
                base_image,
                super::super::DEBIAN_SUITE,
                &LockedBase::installed(&base_status),
                archive,
                &|_| None,
            )?,
        };
        let resolver = Resolver {
            docker,
            container: &container,
            archive,
            stanzas: &stanzas,
            base_status: &base_status,
        };
        let mut lock = resolve_in(&resolver, &base, bases, requests, keep).await?;
        lock.base = Some(base);
        Ok(lock)
    }
    .await;
    let _ = remove(docker, &container).await;
    result
}

/// The resolver container and what it resolves against.
struct Resolver<'a> {
    docker: &'a Docker,
    container: &'a str,
    archive: &'a Archive,
    stanzas: &'a Stanzas,
    base_status: &'a str,
}

async fn resolve_in(
    resolver: &Resolver<'_>,
    base: &LockedBase,
    bases: &HashMap<String, StepBase>,
    requests: &[StepRequest],
    keep: &(dyn Fn(&StepRequest) -> Option<LockedStep> + Sync),
) -> Result<AptLock, ClosureError> {
    // Image → what its own stage has installed on top of the base, by package.
    let mut installed: HashMap<String, BTreeMap<String, LockedDeb>> = HashMap::new();
    // (image, step) → its closure.
    let mut closures: HashMap<(String, String), Vec<LockedDeb>> = HashMap::new();
    let mut lock = AptLock::default();
    for request in requests {
        let mut on_top = installed_on(&request.base, base, &installed, bases).ok_or_else(|| {
            ClosureError::UnknownBase {
                image: request.image.clone(),
                step: request.step.clone(),
                base: match &request.base {
                    StepBase::Image(parent) => parent.clone(),
                    StepBase::Debian => "the Debian base".to_owned(),
                },
            }
        })?;
        for earlier in &request.after {
            for deb in closures
                .get(&(request.image.clone(), earlier.clone()))
                .into_iter()
                .flatten()
            {
                on_top.insert(deb.package.clone(), deb.clone());
            }
        }
        let (requested, debs) = match keep(request) {
            Some(kept) => (kept.requested, kept.debs),
            None => (
                request.requested(),
                resolve_step(resolver, request, &on_top).await?,
            ),
        };
        if request.final_stage {
            let mut after = on_top.clone();
            for deb in &debs {
                after.insert(deb.package.clone(), deb.clone());
            }
            installed.insert(request.image.clone(), after);
        }
        closures.insert((request.image.clone(), request.step.clone()), debs.clone());
        lock.steps.push(LockedStep {
            image: request.image.clone(),
            step: request.step.clone(),
            requested,
            debs,
        });
    }
    Ok(lock)
}

/// The closure of one step with apt, on a stage that has `on_top` installed over the base.
async fn resolve_step(
    resolver: &Resolver<'_>,
    request: &StepRequest,
    on_top: &BTreeMap<String, LockedDeb>,
) -> Result<Vec<LockedDeb>, ClosureError> {
    let status = status_file(resolver.base_status, resolver.stanzas, on_top);
    upload(
        resolver.docker,
        resolver.container,
        &[("resolve/status".to_owned(), status)],
    )
    .await?;
    let requested = request.requested();
    let (code, output) = run(
        resolver.docker,
        resolver.container,
        &format!(
            "apt-get {APT_OPTIONS} -o Dir::State::status=/resolve/status -s install --no-install-recommends {}",
            requested.join(" ")
        ),
    )
    .await?;
    if code != 0 {
        return Err(ClosureError::Unresolvable {
            image: request.image.clone(),
            step: request.step.clone(),
            requested: requested.join(" "),
            output,
        });
    }
    let mut chosen: BTreeMap<String, String> = inst_lines(&output).into_iter().collect();
    for (package, version) in &request.packages {
        chosen.insert(package.clone(), version.clone());
    }
    chosen
        .into_iter()
        .map(|(package, version)| {
            let found = resolver.archive.find(&package, &version).ok_or_else(|| {
                ClosureError::NotIndexed {
                    image: request.image.clone(),
                    step: request.step.clone(),
                    package: package.clone(),
                    version: version.clone(),
                }
            })?;
            Ok(LockedDeb::of(found))
        })
        .collect()
}

/// What a stage starting from `base` has installed: the locked Debian base, with the closures of
/// its own stage's apt steps (or, for an image without any, its own base's); `None` for an image
/// outside the catalog.
fn installed_on(
    base: &StepBase,
    debian: &LockedBase,
    installed: &HashMap<String, BTreeMap<String, LockedDeb>>,
    bases: &HashMap<String, StepBase>,
) -> Option<BTreeMap<String, LockedDeb>> {
    let mut current = base;
    // The chain is finite (the catalog's graph has no cycles); the bound guards a bad map.
    for _ in 0..=bases.len() {
        match current {
            StepBase::Debian => {
                return Some(
                    debian
                        .debs
                        .iter()
                        .map(|deb| (deb.package.clone(), deb.clone()))
                        .collect(),
                );
            }
            StepBase::Image(image) => {
                if let Some(found) = installed.get(image) {
                    return Some(found.clone());
                }
                current = bases.get(image)?;
            }
        }
    }
    None
}

/// `(package, version)` of every `Inst` line of `apt-get -s` output:
/// `Inst libssl3 [3.0.1] (3.0.2 Debian:12 [amd64])` installs 3.0.2.
pub fn inst_lines(output: &str) -> Vec<(String, String)> {
    output
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("Inst ")?;
            let (package, rest) = rest.split_once(' ')?;
            let rest = match rest.strip_prefix('[') {
                Some(old) => old.split_once("] ")?.1,
                None => rest,
            };
            let version = rest.strip_prefix('(')?.split_whitespace().next()?;
            Some((package.to_owned(), version.to_owned()))
        })
        .collect()
}

/// The dpkg status of a stage: the base's own, with `on_top` installed (replacing the base's
/// entry of a package they upgrade).
fn status_file(base: &str, stanzas: &Stanzas, on_top: &BTreeMap<String, LockedDeb>) -> String {
    let mut out = String::with_capacity(base.len());
    for paragraph in base.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let name = field(paragraph, "Package").unwrap_or_default();
        if on_top.contains_key(name) {
            continue;
        }
        out.push_str(paragraph.trim_matches('\n'));
        out.push_str("\n\n");
    }
    for deb in on_top.values() {
        if let Some(stanza) = stanzas.get(&deb.package, &deb.version) {
            out.push_str("Status: install ok installed\n");
            out.push_str(stanza.trim_matches('\n'));
            out.push_str("\n\n");
        }
    }
    out
}

/// The single-line value of `name` in the deb822 `paragraph` (read by `deb822-fast`, as the
/// indexes are).
fn field<'a>(paragraph: &'a str, name: &str) -> Option<&'a str> {
    deb822_fast::borrowed::iter_paragraphs_borrowed(paragraph)
        .next()?
        .ok()?
        .get_single(name)
        .map(str::trim)
}

/// The verified Packages indexes as text, with each `(package, version)`'s paragraph.
struct Stanzas {
    /// Per suite, in archive order: the decompressed index.
    texts: Vec<String>,
    /// `(package, version)` → (suite position, byte range).
    index: HashMap<(String, String), (usize, std::ops::Range<usize>)>,
}

impl Stanzas {
    /// The indexes of `archive`, from the verified cache of `fetcher` (another process, or
    /// another cache, may have verified them).
    async fn read(archive: &Archive, fetcher: &Fetcher) -> Result<Stanzas, ClosureError> {
        let mut texts = Vec::new();
        let mut index = HashMap::new();
        for (position, suite) in archive.suites.iter().enumerate() {
            let source = suite.index.as_ref().ok_or_else(|| ClosureError::NoIndex {
                suite: suite.suite.name.clone(),
            })?;
            let path = fetcher
                .fetch(source)
                .await
                .map_err(|e| ClosureError::Io(e.to_string()))?;
            let file = std::fs::File::open(&path)
                .map_err(|e| ClosureError::Io(format!("{}: {e}", path.display())))?;
            let mut text = String::new();
            liblzma::read::XzDecoder::new(std::io::BufReader::new(file))
                .read_to_string(&mut text)
                .map_err(|e| ClosureError::Io(format!("{}: {e}", path.display())))?;
            let mut start = 0;
            for paragraph in text.split("\n\n") {
                let range = start..start + paragraph.len();
                start = range.end + 2;
                if let (Some(p), Some(v)) =
                    (field(paragraph, "Package"), field(paragraph, "Version"))
                {
                    index
                        .entry((p.to_owned(), v.to_owned()))
                        .or_insert((position, range));
                }
            }
            texts.push(text);
        }
        Ok(Stanzas { texts, index })
    }

    fn get(&self, package: &str, version: &str) -> Option<&str> {
        let (position, range) = self.index.get(&(package.to_owned(), version.to_owned()))?;
        self.texts[*position].get(range.clone())
    }

    /// One flat repository per suite (`resolve/repo/<suite>/Packages`), the sources naming them,
    /// and apt's empty directories.
    fn repository_files(&self, archive: &Archive) -> Vec<(String, String)> {
        let mut files = Vec::new();
        let mut sources = String::new();
        for (suite, text) in archive.suites.iter().zip(&self.texts) {
            let name = &suite.suite.name;
            files.push((format!("resolve/repo/{name}/Packages"), text.clone()));
            sources.push_str(&format!("deb [trusted=yes] file:/resolve/repo/{name} ./\n"));
        }
        files.push(("resolve/sources.list".to_owned(), sources));
        for dir in ["parts", "lists/partial", "cache/archives/partial"] {
            files.push((format!("resolve/{dir}/"), String::new()));
        }
        files
    }
}

/// Places `files` (path → contents; a path ending in `/` is a directory) in `container`.
async fn upload(
    docker: &Docker,
    container: &str,
    files: &[(String, String)],
) -> Result<(), ClosureError> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, contents) in files {
        let mut header = tar::Header::new_gnu();
        if path.ends_with('/') {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            header.set_cksum();
            builder
                .append_data(&mut header, path, std::io::empty())
                .map_err(|e| ClosureError::Io(e.to_string()))?;
        } else {
            header.set_mode(0o644);
            header.set_size(contents.len() as u64);
            header.set_cksum();
            builder
                .append_data(&mut header, path, contents.as_bytes())
                .map_err(|e| ClosureError::Io(e.to_string()))?;
        }
    }
    let tar = builder
        .into_inner()
        .map_err(|e| ClosureError::Io(e.to_string()))?;
    docker
        .upload_to_container(
            container,
            Some(UploadToContainerOptionsBuilder::new().path("/").build()),
            bollard::body_full(tar.into()),
        )
        .await
        .map_err(|source| ClosureError::Engine {
            step: "upload the resolver's files",
            source,
        })
}

/// Runs `script` with bash in `container`; returns its exit code and output.
async fn run(
    docker: &Docker,
    container: &str,
    script: &str,
) -> Result<(i64, String), ClosureError> {
    let engine = |step| move |source| ClosureError::Engine { step, source };
    let exec = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(vec!["bash", "-c", script]),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..CreateExecOptions::default()
            },
        )
        .await
        .map_err(engine("create an apt command"))?;
    let collect = async {
        let mut log = String::new();
        if let StartExecResults::Attached { mut output, .. } = docker
            .start_exec(&exec.id, None)
            .await
            .map_err(engine("run an apt command"))?
        {
            while let Some(Ok(chunk)) = output.next().await {
                log.push_str(&chunk.to_string());
            }
        }
        Ok::<_, ClosureError>(log)
    };
    let log = tokio::time::timeout(APT_TIMEOUT, collect)
        .await
        .map_err(|_| ClosureError::Timeout(script.to_owned()))??;
    let inspected = docker
        .inspect_exec(&exec.id)
        .await
        .map_err(engine("inspect an apt command"))?;
    Ok((inspected.exit_code.unwrap_or(-1), log))
}

async fn remove(docker: &Docker, container: &str) -> Result<(), bollard::errors::Error> {
    docker
        .remove_container(
            container,
            Some(RemoveContainerOptionsBuilder::new().force(true).build()),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inst_lines_give_the_version_installed() {
        let output = "NOTE: simulation\nInst libssl3 [3.0.1-1] (3.0.2-1 localhost [amd64])\nInst tini (0.19.0-1+b3 localhost [amd64])\nConf tini (0.19.0-1+b3 localhost [amd64])\n";
        assert_eq!(
            inst_lines(output),
            [
                ("libssl3".to_owned(), "3.0.2-1".to_owned()),
                ("tini".to_owned(), "0.19.0-1+b3".to_owned())
            ]
        );
    }

    #[test]
    fn the_base_keeps_its_packages_and_takes_the_served_versions() {
        let status = "Package: tini\nStatus: install ok installed\nVersion: 0.1\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: zstd\nStatus: install ok installed\nVersion: 1.5.4+dfsg2-5\n";
        let names = LockedBase::installed(status);
        assert_eq!(names, ["tini", "zstd"], "only installed packages count");
        let package = |name: &str, version: &str, suite: &str| crate::debian::Package {
            name: name.to_owned(),
            version: version.to_owned(),
            filename: format!("pool/main/{name}_{version}_amd64.deb"),
            sha256: format!("{name}{version}"),
            size: 1,
            suite: suite.to_owned(),
            mirror: "http://mirror.test/debian".to_owned(),
        };
        let suite = |name: &str| crate::debian::Suite {
            name: name.to_owned(),
            mirror: "http://mirror.test/debian".to_owned(),
        };
        let archive = Archive::from_indexes(vec![
            (
                suite("bookworm"),
                vec![
                    package("tini", "0.19.0-1+b3", "bookworm"),
                    package("zstd", "1.5.4+dfsg2-5", "bookworm"),
                ],
            ),
            (
                suite("bookworm-security"),
                vec![package(
                    "zstd",
                    "1.5.4+dfsg2-5+deb12u1",
                    "bookworm-security",
                )],
            ),
        ]);
        let base = LockedBase::resolve("base:1", "bookworm", &names, &archive, &|_| None).unwrap();
        let versions: Vec<(&str, &str, &str)> = base
            .debs
            .iter()
            .map(|d| (d.package.as_str(), d.version.as_str(), d.suite.as_str()))
            .collect();
        assert_eq!(
            versions,
            [
                ("tini", "0.19.0-1+b3", "bookworm"),
                ("zstd", "1.5.4+dfsg2-5+deb12u1", "bookworm-security")
            ],
            "what bootstrap and upgrade install"
        );
        let kept = base.debs[1].clone();
        let again = LockedBase::resolve("base:1", "bookworm", &names, &archive, &|name| {
            (name == "zstd").then(|| LockedDeb {
                version: "kept".to_owned(),
                ..kept.clone()
            })
        })
        .unwrap();
        assert_eq!(again.debs[1].version, "kept");
        let missing =
            LockedBase::resolve("base:1", "bookworm", &["nope".into()], &archive, &|_| None);
        assert!(
            matches!(missing, Err(ClosureError::NotIndexed { ref package, .. }) if package == "nope")
        );
    }

    #[test]
    fn the_lock_round_trips_through_its_file() {
        let lock = AptLock {
            base: None,
            steps: vec![LockedStep {
                image: "jre-17:bookworm".into(),
                step: "apt-1".into(),
                requested: vec!["tini=0.19.0-1+b3".into()],
                debs: vec![LockedDeb {
                    package: "tini".into(),
                    version: "0.19.0-1+b3".into(),
                    suite: "bookworm".into(),
                    path: "pool/main/t/tini/tini_0.19.0-1+b3_amd64.deb".into(),
                    size: 1,
                    sha256: "ab".into(),
                }],
            }],
        };
        let text = lock.to_toml();
        assert_eq!(toml::from_str::<AptLock>(&text).unwrap(), lock);
        assert_eq!(
            lock.steps[0].debs[0].file_name(),
            "tini_0.19.0-1+b3_amd64.deb"
        );
        assert_eq!(
            lock.step("jre-17:bookworm", "apt-1", &["tini=0.19.0-1+b3".into()]),
            Some(&lock.steps[0])
        );
        assert_eq!(
            lock.step("jre-17:bookworm", "apt-1", &["tini=1".into()]),
            None
        );
    }
}
