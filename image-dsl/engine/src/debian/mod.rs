//! Debian's archive as the host reads it, the way apt does: each suite's signed `InRelease`,
//! verified with `gpgv` against the Debian archive keyring, then the `main` Packages index it
//! lists, fetched by hash into the verified artifact cache.
//!
//! Three suites make up what an image's apt sees: the release (`bookworm`), its updates and its
//! security archive. Debian serves only the current version of a package in each suite, so a
//! pinned version disappears when a point release or a security update replaces it; [`withdrawn`]
//! finds every such pin before anything is built, and [`Archive::candidate`] is what `images lock`
//! moves a pin to (apt's choice among equal priorities: the highest version of any suite).
//!
//! Parsing uses maintained crates rather than copies: `deb822-fast` for the control-file format,
//! `debversion` for dpkg's version order, `liblzma` for the `.xz` indexes.

pub mod changelog;
pub mod closure;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use deb822_fast::{Deb822, Paragraph};
use debversion::Version;

use super::config::Settings;
use super::fetch::{FetchError, Fetcher};
use super::spec::{ArtifactSource, BuildSpec, Checksum, Locator};

/// The architecture and component the catalog installs from.
const ARCH: &str = "amd64";
const COMPONENT: &str = "main";

/// How long `gpgv` may take to check one `InRelease`.
const GPGV_TIMEOUT: Duration = Duration::from_secs(30);

/// One suite of the archive, e.g. `bookworm-security` at the security mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    /// The suite's name, e.g. `bookworm-updates`.
    pub name: String,
    /// The archive root serving it, e.g. the Debian mirror.
    pub mirror: String,
}

/// The suites apt inside a catalog image reads for `suite`: the release, its updates, its
/// security archive.
pub fn suites(settings: &Settings, suite: &str) -> Vec<Suite> {
    vec![
        Suite {
            name: suite.to_owned(),
            mirror: settings.debian_mirror.clone(),
        },
        Suite {
            name: format!("{suite}-updates"),
            mirror: settings.debian_mirror.clone(),
        },
        Suite {
            name: format!("{suite}-security"),
            mirror: settings.debian_security_mirror.clone(),
        },
    ]
}

/// A binary package of one version, as a suite's Packages index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The package, e.g. `tini`.
    pub name: String,
    /// Its version, e.g. `0.19.0-1+b3`.
    pub version: String,
    /// The `.deb`'s path below the archive root, e.g. `pool/main/t/tini/tini_0.19.0-1+b3_amd64.deb`.
    pub filename: String,
    /// The `.deb`'s SHA-256, lowercase hex.
    pub sha256: String,
    /// The `.deb`'s size in bytes.
    pub size: u64,
    /// The suite listing it.
    pub suite: String,
    /// The archive root serving it.
    pub mirror: String,
}

impl Package {
    /// The `.deb` as a verified input: its pool URL and the SHA-256 the signed index gives.
    pub fn deb(&self) -> ArtifactSource {
        ArtifactSource {
            name: self.name.clone(),
            version: self.version.clone(),
            locator: Locator::Debian {
                suite: self.suite.clone(),
                path: self.filename.clone(),
            },
            checksum: Checksum::Sha256(self.sha256.clone()),
        }
    }
}

/// The version apt would install of a package, and the suites offering it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The version, e.g. `0.19.0-1+b3`.
    pub version: String,
    /// The suites offering it, e.g. `bookworm-security`.
    pub suites: Vec<String>,
}

/// Every version of every package of one index, by package name.
type Packages = HashMap<String, Vec<Package>>;

/// A suite's verified index.
#[derive(Debug, Clone)]
pub struct SuiteIndex {
    /// The suite.
    pub suite: Suite,
    /// The `Date` of its `InRelease`.
    pub date: String,
    /// Every version of every package it lists (normally one each); of the packages asked for
    /// only, when loaded with [`Archive::load_only`].
    packages: Arc<Packages>,
    /// The verified `Packages.xz` as an input of the artifact cache (none for indexes built in
    /// memory): fetch it to read the index's text.
    pub index: Option<ArtifactSource>,
}

/// The verified indexes of a release's suites.
#[derive(Debug, Clone)]
pub struct Archive {
    /// One index per suite, in the order of [`suites`].
    pub suites: Vec<SuiteIndex>,
}

/// Why the archive's indexes could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DebianError {
    /// A suite's `InRelease` could not be fetched.
    #[error(
        "cannot read Debian's {suite} index at {url}: {reason}; set the Debian mirror with --debian-mirror, IMAGE_DSL_DEBIAN_MIRROR or `[mirrors] debian = ...` in images.toml"
    )]
    Release {
        /// The suite.
        suite: String,
        /// The URL tried.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The signature did not verify against the keyring.
    #[error(
        "Debian's {suite} index at {url} is not signed by a key of {keyring}: {reason}; the mirror may be tampered with or the keyring outdated (install debian-archive-keyring, or set IMAGE_DSL_DEBIAN_KEYRING or `[mirrors] debian_keyring` to the mirror's keyring)"
    )]
    Signature {
        /// The suite.
        suite: String,
        /// The URL read.
        url: String,
        /// The keyring used.
        keyring: PathBuf,
        /// What gpgv said.
        reason: String,
    },
    /// The signed Release is past its `Valid-Until`: the mirror serves an old copy (apt refuses
    /// it too, as it could be replayed to hide security updates).
    #[error(
        "Debian's {suite} index at {url} expired on {valid_until}; the mirror is out of date: update it or use another (--debian-mirror, IMAGE_DSL_DEBIAN_MIRROR)"
    )]
    Expired {
        /// The suite.
        suite: String,
        /// The URL read.
        url: String,
        /// Its `Valid-Until`.
        valid_until: String,
    },
    /// The signed Release lists no Packages index for the architecture.
    #[error("Debian's {suite} Release at {url} lists no {COMPONENT}/binary-{ARCH}/Packages.xz")]
    NoIndex {
        /// The suite.
        suite: String,
        /// The URL read.
        url: String,
    },
    /// The Packages index could not be fetched or did not match the signed Release.
    #[error("Debian's {suite} package index: {source}")]
    Packages {
        /// The suite.
        suite: String,
        /// The fetch error (it names the URL and the mismatch).
        source: FetchError,
    },
    /// The cached Packages index could not be read.
    #[error("Debian's {suite} package index at {path} cannot be read: {reason}")]
    Parse {
        /// The suite.
        suite: String,
        /// The cached file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl Archive {
    /// Reads and verifies the indexes of `suites`, all at once.
    pub async fn load(
        fetcher: &Fetcher,
        keyring: &Path,
        suites: &[Suite],
    ) -> Result<Archive, DebianError> {
        Archive::load_some(fetcher, keyring, suites, None).await
    }

    /// [`Archive::load`] keeping only the entries of `packages`: reading a whole index takes
    /// about a second of CPU, skipping the paragraphs of other packages a fraction of that.
    pub async fn load_only(
        fetcher: &Fetcher,
        keyring: &Path,
        suites: &[Suite],
        packages: &BTreeSet<String>,
    ) -> Result<Archive, DebianError> {
        Archive::load_some(fetcher, keyring, suites, Some(packages)).await
    }

    async fn load_some(
        fetcher: &Fetcher,
        keyring: &Path,
        suites: &[Suite],
        only: Option<&BTreeSet<String>>,
    ) -> Result<Archive, DebianError> {
        let loads = suites.iter().map(|s| load_suite(fetcher, keyring, s, only));
        // All at once, but the error told is the first suite's, whichever failed first.
        let loaded = futures_util::future::join_all(loads).await;
        Ok(Archive {
            suites: loaded.into_iter().collect::<Result<_, _>>()?,
        })
    }

    /// An archive made of already parsed indexes (tests, and callers with their own source).
    pub fn from_indexes(suites: Vec<(Suite, Vec<Package>)>) -> Archive {
        Archive {
            suites: suites
                .into_iter()
                .map(|(suite, packages)| SuiteIndex {
                    suite,
                    date: String::new(),
                    packages: Arc::new(group(packages)),
                    index: None,
                })
                .collect(),
        }
    }

    /// Every version of `package` the suites list, in suite order.
    pub fn versions<'a>(&'a self, package: &str) -> impl Iterator<Item = &'a Package> + 'a {
        let lists: Vec<&'a Vec<Package>> = self
            .suites
            .iter()
            .filter_map(|s| s.packages.get(package))
            .collect();
        lists.into_iter().flatten()
    }

    /// `package` at exactly `version`, from the first suite listing it.
    pub fn find(&self, package: &str, version: &str) -> Option<&Package> {
        self.versions(package).find(|p| p.version == version)
    }

    /// What apt would install of `package`: its highest version in any suite (Debian's suites
    /// all have the same priority), with the suites offering that version.
    pub fn candidate(&self, package: &str) -> Option<Candidate> {
        let best = self
            .versions(package)
            .filter_map(|p| p.version.parse::<Version>().ok().map(|v| (v, p)))
            .max_by(|a, b| a.0.cmp(&b.0))?;
        let version = best.1.version.clone();
        let mut suites: Vec<String> = Vec::new();
        for p in self.versions(package).filter(|p| p.version == version) {
            if !suites.contains(&p.suite) {
                suites.push(p.suite.clone());
            }
        }
        Some(Candidate { version, suites })
    }

    /// `suite at mirror` for each suite, for messages.
    pub fn describe(&self) -> String {
        self.suites
            .iter()
            .map(|s| match s.date.is_empty() {
                true => format!("{} ({})", s.suite.name, s.suite.mirror),
                false => format!("{} ({}, {})", s.suite.name, s.suite.mirror, s.date),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether a pin can be installed as it is, and what apt would install instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinState {
    /// The pinned version is the candidate.
    Current,
    /// The pinned version is still served, but a newer one is (a point release or, when the
    /// candidate comes from the security suite, a security update).
    Superseded(Candidate),
    /// No suite serves the pinned version any more; `None`: no suite has the package at all.
    Withdrawn(Option<Candidate>),
}

impl Archive {
    /// The state of `package` pinned at `version`.
    pub fn pin_state(&self, package: &str, version: &str) -> PinState {
        let candidate = self.candidate(package);
        match (self.find(package, version), candidate) {
            (None, candidate) => PinState::Withdrawn(candidate),
            (Some(_), Some(c)) if c.version != version => PinState::Superseded(c),
            (Some(_), _) => PinState::Current,
        }
    }
}

/// A pinned apt version no suite serves any more, with the images that install it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawnPin {
    /// The package.
    pub package: String,
    /// The pinned version.
    pub pinned: String,
    /// What apt would install instead (`None`: the package is gone).
    pub replacement: Option<Candidate>,
    /// The images whose own steps install it, `name:tag`.
    pub images: Vec<String>,
    /// The images built on those (they cannot build either).
    pub dependents: Vec<String>,
    /// Whether the verified cache holds every `.deb` of it, so that the images still build
    /// here: it is then a warning, not an error.
    pub cached: bool,
}

/// Every apt pin and every locked `.deb` of `specs` that `archive` no longer serves, each with the
/// images needing it. `cached` tells whether the verified cache holds a `.deb`: a withdrawn
/// version whose every `.deb` is cached still builds (see [`WithdrawnPin::cached`]).
pub fn withdrawn(
    archive: &Archive,
    specs: &[BuildSpec],
    cached: &dyn Fn(&ArtifactSource) -> bool,
) -> Vec<WithdrawnPin> {
    // (package, version) → (the images needing it, whether all its `.deb`s are cached).
    let mut by_pin: BTreeMap<(String, String), (BTreeSet<String>, bool)> = BTreeMap::new();
    for spec in specs {
        let debs = spec
            .artifacts
            .iter()
            .map(|a| &a.source)
            .filter(|s| matches!(s.locator, Locator::Debian { .. }));
        for deb in debs {
            let entry = by_pin
                .entry((deb.name.clone(), deb.version.clone()))
                .or_insert((BTreeSet::new(), true));
            entry.0.insert(spec.reference.clone());
            entry.1 &= cached(deb);
        }
    }
    for spec in specs {
        for pin in &spec.apt {
            // A pin without a locked `.deb` (no closure resolved yet) cannot come from the cache.
            let entry = by_pin
                .entry((pin.package.clone(), pin.version.clone()))
                .or_insert((BTreeSet::new(), false));
            entry.0.insert(spec.reference.clone());
        }
    }
    by_pin
        .into_iter()
        .filter_map(|((package, pinned), (images, cached))| {
            let PinState::Withdrawn(replacement) = archive.pin_state(&package, &pinned) else {
                return None;
            };
            let images: Vec<String> = images.into_iter().collect();
            let dependents = dependents(specs, &images);
            Some(WithdrawnPin {
                package,
                pinned,
                replacement,
                images,
                dependents,
                cached,
            })
        })
        .collect()
}

/// `package=pinned → candidate (suites)` for every apt pin of `specs` still served but older than
/// what Debian serves now.
pub fn superseded(archive: &Archive, specs: &[BuildSpec]) -> Vec<String> {
    let pins: BTreeSet<(&str, &str)> = specs
        .iter()
        .flat_map(|s| &s.apt)
        .map(|p| (p.package.as_str(), p.version.as_str()))
        .collect();
    pins.into_iter()
        .filter_map(
            |(package, version)| match archive.pin_state(package, version) {
                PinState::Superseded(c) => Some(format!(
                    "{package}={version} → {} ({})",
                    c.version,
                    c.suites.join(", ")
                )),
                _ => None,
            },
        )
        .collect()
}

/// The images of `specs` built on any of `images`, directly or not (not `images` themselves).
fn dependents(specs: &[BuildSpec], images: &[String]) -> Vec<String> {
    let mut affected: BTreeSet<String> = images.iter().cloned().collect();
    loop {
        let before = affected.len();
        for spec in specs {
            let on_affected = spec.parents.iter().any(|p| affected.contains(p))
                || spec
                    .needs_base
                    .as_ref()
                    .is_some_and(|base| affected.contains(base));
            if on_affected {
                affected.insert(spec.reference.clone());
            }
        }
        if affected.len() == before {
            break;
        }
    }
    affected
        .into_iter()
        .filter(|r| !images.contains(r))
        .collect()
}

/// The message for withdrawn pins: every pin with its replacement and images, then the fix.
pub fn describe_withdrawn(archive: &Archive, pins: &[WithdrawnPin]) -> String {
    let mut text = format!(
        "{} pinned apt version{} no longer served by Debian ({}); nothing was built:",
        pins.len(),
        if pins.len() == 1 { " is" } else { "s are" },
        archive.describe()
    );
    for pin in pins {
        let now = match &pin.replacement {
            Some(c) => format!("now {} ({})", c.version, c.suites.join(", ")),
            None => "no suite has the package any more".to_owned(),
        };
        text.push_str(&format!(
            "\n  {}={}: {now}; installed by {}",
            pin.package,
            pin.pinned,
            pin.images.join(", ")
        ));
        if !pin.dependents.is_empty() {
            text.push_str(&format!(
                " (and the {} image{} built on {}: {})",
                pin.dependents.len(),
                if pin.dependents.len() == 1 { "" } else { "s" },
                if pin.images.len() == 1 { "it" } else { "them" },
                pin.dependents.join(", ")
            ));
        }
    }
    text.push_str(&format!(
        "\n  fix: {} moves exactly these pins to the versions Debian serves (it lists the CVEs fixed in between), then accept the snapshots it names",
        crate::Fix::LockWithdrawn
    ));
    text
}

async fn load_suite(
    fetcher: &Fetcher,
    keyring: &Path,
    suite: &Suite,
    only: Option<&BTreeSet<String>>,
) -> Result<SuiteIndex, DebianError> {
    let url = format!("{}/dists/{}/InRelease", suite.mirror, suite.name);
    let signed = fetcher
        .get_small(&url)
        .await
        .map_err(|reason| DebianError::Release {
            suite: suite.name.clone(),
            url: url.clone(),
            reason,
        })?;
    let release = gpgv(keyring, &signed)
        .await
        .map_err(|reason| DebianError::Signature {
            suite: suite.name.clone(),
            url: url.clone(),
            keyring: keyring.to_owned(),
            reason,
        })?;
    let release: Paragraph = release.parse().map_err(|e| DebianError::Release {
        suite: suite.name.clone(),
        url: url.clone(),
        reason: format!("the signed Release does not parse: {e}"),
    })?;
    if let Some(valid_until) = release.get("Valid-Until").map(str::trim)
        && expired(valid_until, SystemTime::now())
    {
        return Err(DebianError::Expired {
            suite: suite.name.clone(),
            url,
            valid_until: valid_until.to_owned(),
        });
    }
    let path = format!("{COMPONENT}/binary-{ARCH}/Packages.xz");
    let Some((sha256, _size)) = release_entry(&release, &path) else {
        return Err(DebianError::NoIndex {
            suite: suite.name.clone(),
            url,
        });
    };
    let dists = format!("{}/dists/{}", suite.mirror, suite.name);
    let mut urls = Vec::new();
    if release
        .get("Acquire-By-Hash")
        .is_some_and(|v| v.trim() == "yes")
    {
        urls.push(format!(
            "{dists}/{COMPONENT}/binary-{ARCH}/by-hash/SHA256/{sha256}"
        ));
    }
    urls.push(format!("{dists}/{path}"));
    let source = ArtifactSource {
        name: format!("{} Packages index", suite.name),
        version: sha256.clone(),
        locator: Locator::Urls(urls),
        checksum: Checksum::Sha256(sha256.clone()),
    };
    // Parsing a suite's index takes about a second; a process that checks several runs (the
    // tests) parses each verified index once. A parse of some packages only is not kept.
    static PARSED: OnceLock<Mutex<HashMap<String, Arc<Packages>>>> = OnceLock::new();
    let parsed_key = format!("{sha256}@{}", suite.mirror);
    let known = PARSED
        .get_or_init(Default::default)
        .lock()
        .ok()
        .and_then(|m| m.get(&parsed_key).cloned());
    let packages = match known {
        Some(packages) => packages,
        None => {
            let cached = fetcher
                .fetch(&source)
                .await
                .map_err(|source| DebianError::Packages {
                    suite: suite.name.clone(),
                    source,
                })?;
            let parsed = {
                let suite = suite.clone();
                let cached = cached.clone();
                let only = only.cloned();
                tokio::task::spawn_blocking(move || read_packages(&cached, &suite, only.as_ref()))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r)
            };
            let packages = Arc::new(group(parsed.map_err(|reason| DebianError::Parse {
                suite: suite.name.clone(),
                path: cached,
                reason,
            })?));
            if only.is_none()
                && let Ok(mut map) = PARSED.get_or_init(Default::default).lock()
            {
                map.insert(parsed_key, packages.clone());
            }
            packages
        }
    };
    Ok(SuiteIndex {
        suite: suite.clone(),
        date: release.get("Date").unwrap_or_default().trim().to_owned(),
        packages,
        index: Some(source),
    })
}

/// Whether a Release's `Valid-Until` (`Tue, 08 Dec 2026 01:33:13 UTC`) is before `now`; a date
/// that does not parse is not taken as expired.
fn expired(valid_until: &str, now: SystemTime) -> bool {
    let imf = match valid_until.strip_suffix(" UTC") {
        Some(date) => format!("{date} GMT"),
        None => valid_until.to_owned(),
    };
    httpdate::parse_http_date(&imf).is_ok_and(|until| until < now)
}

fn group(packages: Vec<Package>) -> HashMap<String, Vec<Package>> {
    let mut map: HashMap<String, Vec<Package>> = HashMap::new();
    for p in packages {
        map.entry(p.name.clone()).or_default().push(p);
    }
    map
}

/// The SHA-256 and size the Release's `SHA256` field gives `path`.
fn release_entry(release: &Paragraph, path: &str) -> Option<(String, u64)> {
    release.get("SHA256")?.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let (hash, size, name) = (words.next()?, words.next()?, words.next()?);
        (name == path).then(|| (hash.to_ascii_lowercase(), size.parse().unwrap_or(0)))
    })
}

/// The packages of an `.xz` Packages index; with `only`, of those packages only (the other
/// paragraphs are skipped by their first line, `Package: NAME`, before any parsing).
fn read_packages(
    path: &Path,
    suite: &Suite,
    only: Option<&BTreeSet<String>>,
) -> Result<Vec<Package>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::with_capacity(
        1 << 20,
        liblzma::read::XzDecoder::new(std::io::BufReader::new(file)),
    );
    let Some(only) = only else {
        return parse_packages(reader, suite);
    };
    let mut text = String::new();
    std::io::Read::read_to_string(&mut reader, &mut text).map_err(|e| e.to_string())?;
    let wanted: String = text
        .split("\n\n")
        .filter(|paragraph| {
            paragraph
                .lines()
                .find_map(|l| l.strip_prefix("Package:"))
                .is_some_and(|name| only.contains(name.trim()))
        })
        .flat_map(|paragraph| [paragraph, "\n\n"])
        .collect();
    parse_packages(wanted.as_bytes(), suite)
}

/// The packages of a Packages index (deb822 paragraphs).
pub fn parse_packages(
    reader: impl std::io::BufRead,
    suite: &Suite,
) -> Result<Vec<Package>, String> {
    let mut out = Vec::new();
    for paragraph in Deb822::iter_paragraphs_from_reader(reader) {
        let paragraph = paragraph.map_err(|e| e.to_string())?;
        let field = |name: &str| paragraph.get(name).map(|v| v.trim().to_owned());
        let (Some(name), Some(version), Some(filename), Some(sha256)) = (
            field("Package"),
            field("Version"),
            field("Filename"),
            field("SHA256"),
        ) else {
            continue;
        };
        out.push(Package {
            name,
            version,
            filename,
            sha256: sha256.to_ascii_lowercase(),
            size: field("Size").and_then(|s| s.parse().ok()).unwrap_or(0),
            suite: suite.name.clone(),
            mirror: suite.mirror.clone(),
        });
    }
    Ok(out)
}

/// Checks `signed` (a clearsigned `InRelease`) with `gpgv` against `keyring` and returns the
/// signed text. apt itself verifies with gpgv (or sqv), and the host has it: Debian's `gpgv`
/// package is of priority "important".
async fn gpgv(keyring: &Path, signed: &[u8]) -> Result<String, String> {
    if !keyring.is_file() {
        return Err(format!("the keyring {} does not exist", keyring.display()));
    }
    let mut file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    std::io::Write::write_all(&mut file, signed).map_err(|e| e.to_string())?;
    let mut cmd = tokio::process::Command::new("gpgv");
    cmd.arg("--quiet")
        .arg("--keyring")
        .arg(keyring)
        .arg("--output")
        .arg("-")
        .arg(file.path())
        .kill_on_drop(true);
    let output = match tokio::time::timeout(GPGV_TIMEOUT, cmd.output()).await {
        Err(_) => {
            return Err(format!(
                "gpgv gave no answer within {}s",
                GPGV_TIMEOUT.as_secs()
            ));
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("gpgv is not installed (apt-get install gpgv)".to_owned());
        }
        Ok(Err(e)) => return Err(format!("gpgv could not run: {e}")),
        Ok(Ok(output)) => output,
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        return Err(format!("gpgv: {}", lines.join("; ")));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("the signed text is not UTF-8: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{AptPin, ContextArtifact};

    fn suite(name: &str) -> Suite {
        Suite {
            name: name.to_owned(),
            mirror: "http://mirror.test/debian".to_owned(),
        }
    }

    fn package(name: &str, version: &str, suite: &str) -> Package {
        Package {
            name: name.to_owned(),
            version: version.to_owned(),
            filename: format!("pool/main/{name}_{version}_amd64.deb"),
            sha256: "00".repeat(32),
            size: 1,
            suite: suite.to_owned(),
            mirror: "http://mirror.test/debian".to_owned(),
        }
    }

    fn archive() -> Archive {
        Archive::from_indexes(vec![
            (
                suite("bookworm"),
                vec![
                    package("tini", "0.19.0-1+b3", "bookworm"),
                    package("zstd", "1.5.4+dfsg2-5", "bookworm"),
                ],
            ),
            (suite("bookworm-updates"), vec![]),
            (
                suite("bookworm-security"),
                vec![
                    package("zstd", "1.5.4+dfsg2-5+deb12u1", "bookworm-security"),
                    package(
                        "openjdk-17-jdk-headless",
                        "17.0.21.1+2-1~deb12u1",
                        "bookworm-security",
                    ),
                ],
            ),
        ])
    }

    #[test]
    fn a_pin_is_current_superseded_or_withdrawn() {
        let archive = archive();
        assert_eq!(archive.pin_state("tini", "0.19.0-1+b3"), PinState::Current);
        let PinState::Superseded(c) = archive.pin_state("zstd", "1.5.4+dfsg2-5") else {
            panic!("zstd is superseded by the security update");
        };
        assert_eq!(c.version, "1.5.4+dfsg2-5+deb12u1");
        assert_eq!(c.suites, ["bookworm-security"]);
        let PinState::Withdrawn(Some(c)) =
            archive.pin_state("openjdk-17-jdk-headless", "17.0.21+9-1~deb12u1")
        else {
            panic!("the old openjdk is withdrawn");
        };
        assert_eq!(c.version, "17.0.21.1+2-1~deb12u1");
        assert_eq!(archive.pin_state("gone", "1"), PinState::Withdrawn(None));
    }

    #[test]
    fn the_candidate_follows_dpkg_version_order_not_text_order() {
        let archive = Archive::from_indexes(vec![(
            suite("bookworm"),
            vec![
                package("p", "1.10-1", "bookworm"),
                package("p", "1.9-1", "bookworm"),
                package("p", "1:0.1-1", "bookworm"),
            ],
        )]);
        assert_eq!(archive.candidate("p").unwrap().version, "1:0.1-1");
    }

    #[test]
    fn withdrawn_pins_name_their_images_and_what_builds_on_them() {
        let spec = |reference: &str, parents: &[&str], apt: &[(&str, &str)]| BuildSpec {
            reference: reference.to_owned(),
            dockerfile: String::new(),
            files: Vec::new(),
            artifacts: Vec::new(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            needs_base: None,
            budget_bytes: 1,
            apt: apt
                .iter()
                .map(|(p, v)| AptPin {
                    package: p.to_string(),
                    version: v.to_string(),
                })
                .collect(),
        };
        let specs = vec![
            spec(
                "jre:1",
                &[],
                &[
                    ("openjdk-17-jdk-headless", "17.0.21+9-1~deb12u1"),
                    ("tini", "0.19.0-1+b3"),
                ],
            ),
            spec("py:1", &["jre:1"], &[("zstd", "1.5.4+dfsg2-5")]),
            spec("spark:1", &["py:1"], &[]),
            spec("other:1", &[], &[]),
        ];
        let archive = archive();
        let found = withdrawn(&archive, &specs, &|_| true);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].package, "openjdk-17-jdk-headless");
        assert_eq!(found[0].images, ["jre:1"]);
        assert_eq!(found[0].dependents, ["py:1", "spark:1"]);
        assert!(
            !found[0].cached,
            "a pin without a locked .deb cannot come from the cache"
        );
        let message = describe_withdrawn(&archive, &found);
        assert!(
            message.contains(
                "openjdk-17-jdk-headless=17.0.21+9-1~deb12u1: now 17.0.21.1+2-1~deb12u1 (bookworm-security); installed by jre:1 (and the 2 images built on it: py:1, spark:1)"
            ),
            "{message}"
        );
        assert!(
            message.contains("cargo xtask images lock --withdrawn"),
            "{message}"
        );
    }

    #[test]
    fn a_withdrawn_locked_deb_builds_from_the_cache_only_when_cached() {
        let deb = |package: &str, version: &str| ContextArtifact {
            path: format!("debs/apt-1/{package}.deb"),
            source: package_deb(package, version),
        };
        let spec = BuildSpec {
            reference: "jre:1".to_owned(),
            dockerfile: String::new(),
            files: Vec::new(),
            artifacts: vec![deb("tini", "0.19.0-1+b3"), deb("libzstd1", "1.5.4+dfsg2-5")],
            parents: Vec::new(),
            needs_base: None,
            budget_bytes: 1,
            apt: vec![AptPin {
                package: "tini".to_owned(),
                version: "0.19.0-1+b3".to_owned(),
            }],
        };
        let archive = archive();
        // An image on it as on a bootstrapped base (as check_apt adds the locked base).
        let on_it = BuildSpec {
            reference: "app:1".to_owned(),
            needs_base: Some("jre:1".to_owned()),
            artifacts: Vec::new(),
            apt: Vec::new(),
            ..spec.clone()
        };
        let specs = [spec, on_it];
        let found = withdrawn(&archive, &specs, &|_| false);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].package.as_str(), found[0].pinned.as_str()),
            ("libzstd1", "1.5.4+dfsg2-5")
        );
        assert_eq!(found[0].images, ["jre:1"]);
        assert_eq!(found[0].dependents, ["app:1"]);
        assert!(!found[0].cached);
        let found = withdrawn(&archive, &specs, &|source| source.name == "libzstd1");
        assert!(found[0].cached, "{found:?}");
    }

    fn package_deb(name: &str, version: &str) -> ArtifactSource {
        package(name, version, "bookworm").deb()
    }

    #[test]
    fn a_release_past_its_valid_until_is_expired() {
        let now = httpdate::parse_http_date("Wed, 02 Dec 2026 12:00:00 GMT").unwrap();
        assert!(expired("Tue, 01 Dec 2026 01:33:13 UTC", now));
        assert!(!expired("Tue, 08 Dec 2026 01:33:13 UTC", now));
        assert!(!expired("not a date", now));
    }

    #[test]
    fn packages_indexes_and_release_hashes_are_read() {
        let index = "Package: tini\nVersion: 0.19.0-1+b3\nFilename: pool/main/t/tini/tini_0.19.0-1+b3_amd64.deb\nSize: 231052\nSHA256: ABCD\nDescription: tiny init\n more text\n\nPackage: broken\nVersion: 1\n";
        let found = parse_packages(std::io::Cursor::new(index), &suite("bookworm")).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].sha256, "abcd");
        assert_eq!(found[0].size, 231052);
        assert_eq!(
            found[0].deb().locator,
            Locator::Debian {
                suite: "bookworm".to_owned(),
                path: "pool/main/t/tini/tini_0.19.0-1+b3_amd64.deb".to_owned()
            }
        );
        let release: Paragraph = "Origin: Debian\nSHA256:\n aa 10 main/binary-amd64/Packages\n BB 5 main/binary-amd64/Packages.xz\n"
            .parse()
            .unwrap();
        assert_eq!(
            release_entry(&release, "main/binary-amd64/Packages.xz"),
            Some(("bb".to_owned(), 5))
        );
        assert_eq!(release_entry(&release, "contrib/x"), None);
    }
}
