//! `cargo xtask images lock` as a library: refreshes a pin file (`images/pins.toml`) in place.
//!
//! - [`apt`]: the current Debian version of every `[apt]` package, from the suites' signed
//!   indexes read on the host; each change lists the CVE ids Debian's changelog gives between the
//!   two versions. [`Scope::Withdrawn`] moves only the pins Debian no longer serves or has a
//!   security update for, and touches nothing else.
//! - [`artifact`]: every `[artifact]` fetched through the configured mirrors into the verified
//!   cache; a pinned checksum is verified, an `unverified` entry gets its checksum recorded.
//! - [`pip`]: every wheel's sha256 against the digest the PyPI simple API publishes.
//! - [`git`]: each repository's host probed; the pins are kept as they are.
//!
//! Nothing is dropped or invented: an entry whose source cannot be reached keeps its value and is
//! listed as unverified. A checksum that disagrees with its source is a [`Problem`] and nothing is
//! written. The file is read as an [`image_dsl::pinfile::PinFile`], which decides what to look at
//! and what changes; the changed values are written with `toml_edit`, so comments and order stay;
//! the result is read again as a `PinFile`, then replaces the file atomically.

pub mod apt;
pub mod artifact;
pub mod debs;
pub mod git;
pub mod pip;
pub mod requires;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use image_dsl::pinfile::{PIN_FILE, PinError, PinFile};
use image_dsl::policy::{POLICY_FILE, PolicyFile};
use toml_edit::DocumentMut;

use crate::engine::BuildOptions;
use crate::engine::debian::{Archive, PinState, changelog};
use crate::engine::fetch::Fetcher;

/// How long a source may take to accept a connection before it counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether [`lock`] writes the refreshed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Replace the file when something changed and nothing is wrong.
    Write,
    /// Write nothing (`--check`).
    Check,
}

/// What a lock refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every section: apt versions, artifact checksums, wheels, git hosts.
    All,
    /// Only the apt pins that Debian no longer serves, or for which its security archive has a
    /// newer version (`--withdrawn`); nothing else is read or changed.
    Withdrawn,
}

/// One value of the pin file that the lock changes (or would change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `apt`, `artifact` or `pip` (its `requires`).
    pub section: &'static str,
    /// The package or artifact key.
    pub key: String,
    /// The value before, e.g. `0.19.0-1+b3` or `unverified`.
    pub old: String,
    /// The value after, e.g. `0.19.0-1+b4` or `sha256:<hex>`.
    pub new: String,
    /// What else a reviewer should know: for apt, the CVE ids fixed in between.
    pub note: Option<String>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {} → {}",
            self.section, self.key, self.old, self.new
        )?;
        match &self.note {
            Some(note) => write!(f, " ({note})"),
            None => Ok(()),
        }
    }
}

/// An entry kept as it is because its source could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified {
    /// `artifact`, `pip` or `git`.
    pub section: &'static str,
    /// The entry's key.
    pub key: String,
    /// What went wrong, with the URL tried.
    pub reason: String,
}

impl fmt::Display for Unverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.section, self.key, self.reason)
    }
}

/// A pin that disagrees with its source, or a package its suite lacks: nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The fetched bytes hash to something else than the pinned checksum.
    #[error(
        "artifact {key}: checksum mismatch at {url}: pinned {pinned}, fetched {actual}; the pin is kept: fix the mirror, or if the new bytes are trusted replace the checksum in {PIN_FILE} by hand"
    )]
    ArtifactMismatch {
        /// The artifact key.
        key: String,
        /// Where the bytes came from.
        url: String,
        /// The pinned checksum, `algorithm:hex`.
        pinned: String,
        /// What the fetched bytes hash to, `algorithm:hex`.
        actual: String,
    },
    /// A pinned RAPIDS jar's shims are not the Spark releases the compile-time list names.
    #[error("artifact {key}: {why}")]
    SupportList {
        /// The artifact key.
        key: String,
        /// What the jar and the list disagree about.
        why: String,
    },
    /// The artifact could not be kept in the cache.
    #[error("artifact {key}: {cause}")]
    ArtifactCache {
        /// The artifact key.
        key: String,
        /// The cache error, which names the fix.
        cause: String,
    },
    /// The index publishes another sha256 for the pinned wheel.
    #[error(
        "pip {name}: {wheel} has sha256 {actual} on {index} but the pin says {pinned}; the pin is kept: check the mirror, or re-pin the wheel in {PIN_FILE} if the index is right"
    )]
    WheelMismatch {
        /// The project.
        name: String,
        /// The wheel file name.
        wheel: String,
        /// The index page read.
        index: String,
        /// The pinned sha256.
        pinned: String,
        /// The index's sha256.
        actual: String,
    },
    /// The index does not list the pinned wheel.
    #[error("pip {name}: {wheel} is not listed on {index}; pin a file the index has in {PIN_FILE}")]
    WheelMissing {
        /// The project.
        name: String,
        /// The wheel file name.
        wheel: String,
        /// The index page read.
        index: String,
    },
    /// A wheel's metadata asks for a package that has no `[pip]` pin.
    #[error(
        "pip {name}: its metadata requires {dependency} ({via}), which has no [pip.{dependency}] pin; pin it in {PIN_FILE}"
    )]
    RequirementNotPinned {
        /// The pinned project.
        name: String,
        /// The unpinned dependency.
        dependency: String,
        /// The requirement chain that asks for it.
        via: String,
    },
    /// No Debian suite has the package.
    #[error(
        "apt {package}: no candidate version in {suite}, {suite}-updates or {suite}-security; check the package name or remove its pin from {PIN_FILE}"
    )]
    NoCandidate {
        /// The package.
        package: String,
        /// The Debian suite.
        suite: String,
    },
}

/// Why the lock could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The pin file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The pin file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The pin file does not pass validation; it is fixed by hand first.
    #[error("{} is not a valid pin file, fix these first:\n{}", path.display(), listed(path, errors))]
    Invalid {
        /// The pin file.
        path: PathBuf,
        /// Every validation error, each with its line.
        errors: Vec<PinError>,
    },
    /// The policy file beside the pin file (which the RAPIDS and Iceberg pins are checked
    /// against) does not pass validation.
    #[error("{} is not a valid policy file, fix these first:\n{}", path.display(), errors.join("\n"))]
    InvalidPolicy {
        /// The policy file.
        path: PathBuf,
        /// Every validation error, each with its line.
        errors: Vec<String>,
    },
    /// The refreshed text would not pass validation (a bug of the lock), so nothing was written.
    #[error("the refreshed {} would not be valid, nothing was written (report this bug of `{} lock`):\n{}", path.display(), crate::engine::layout::command(), listed(path, errors))]
    InvalidResult {
        /// The pin file.
        path: PathBuf,
        /// The validation errors of the refreshed text.
        errors: Vec<PinError>,
    },
    /// The refreshed file could not be written.
    #[error("cannot write {}: {source}; the pin file is unchanged", path.display())]
    Write {
        /// The pin file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Debian's indexes could not be read and verified.
    #[error(transparent)]
    Debian(#[from] crate::engine::debian::DebianError),
}

/// What a lock found and did.
#[derive(Debug, Default)]
pub struct LockReport {
    /// Values changed (or, in check mode or with problems, that would change).
    pub changes: Vec<Change>,
    /// Entries kept because their source could not be reached.
    pub unverified: Vec<Unverified>,
    /// Pins that disagree with their source; when any, nothing is written.
    pub problems: Vec<Problem>,
    /// Every entry of `[apt]`, `[pip]`, `[artifact]` and `[git]`.
    pub entries: usize,
    /// Artifacts whose bytes matched their pin or had their checksum recorded.
    pub artifacts_verified: usize,
    /// Of those, artifacts whose checksum was recorded (or changed algorithm).
    pub artifacts_recorded: usize,
    /// Wheels whose sha256 the index confirmed.
    pub wheels_verified: usize,
    /// Whether the file was replaced.
    pub written: bool,
}

/// How a lock ended, which decides the command's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing changes.
    Current,
    /// The file was rewritten.
    Written,
    /// `--check` found values that would change: run `cargo xtask images lock`.
    Stale,
    /// Some pins disagree with their sources; nothing was written.
    Problems,
}

impl Verdict {
    /// Whether the command exits with success.
    pub fn success(self) -> bool {
        matches!(self, Verdict::Current | Verdict::Written)
    }
}

impl LockReport {
    /// Whether the pin file is current (nothing would change).
    pub fn is_current(&self) -> bool {
        self.changes.is_empty()
    }

    /// How the lock ended.
    pub fn verdict(&self) -> Verdict {
        if !self.problems.is_empty() {
            Verdict::Problems
        } else if self.is_current() {
            Verdict::Current
        } else if self.written {
            Verdict::Written
        } else {
            Verdict::Stale
        }
    }

    /// One line: updated, verified, unverified (by name) and unchanged counts.
    pub fn summary(&self) -> String {
        let apt = self.changes.iter().filter(|c| c.section == "apt").count();
        let mut by_section: Vec<String> = Vec::new();
        for section in ["artifact", "pip", "git"] {
            let keys: Vec<&str> = self
                .unverified
                .iter()
                .filter(|u| u.section == section)
                .map(|u| u.key.as_str())
                .collect();
            if !keys.is_empty() {
                by_section.push(format!("{section}: {}", keys.join(", ")));
            }
        }
        let unchanged = self
            .entries
            .saturating_sub(self.changes.len() + self.unverified.len() + self.problems.len());
        format!(
            "{apt} apt updated, {} artifacts verified ({} recorded), {} wheels verified, {} unverified{}, {unchanged} unchanged{}",
            self.artifacts_verified,
            self.artifacts_recorded,
            self.wheels_verified,
            self.unverified.len(),
            if by_section.is_empty() {
                String::new()
            } else {
                format!(" ({})", by_section.join("; "))
            },
            if self.problems.is_empty() {
                String::new()
            } else {
                format!(", {} problems", self.problems.len())
            },
        )
    }
}

/// Refreshes the pin file at `path`: resolves apt versions, verifies or records artifact
/// checksums, checks wheels and probes git hosts. In [`Mode::Write`] the file is replaced
/// atomically when something changed and no [`Problem`] was found.
pub async fn lock(path: &Path, opts: &BuildOptions, mode: Mode) -> Result<LockReport, LockError> {
    lock_scoped(path, opts, mode, Scope::All).await
}

/// The catalog's policy file, `policy.toml` beside the pin file, read through its schema; a pin
/// file with none beside it (a test's) is checked against an empty policy.
fn policy_beside(pins: &Path) -> Result<PolicyFile, LockError> {
    let path = pins.with_file_name("policy.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(LockError::Read { path, source }),
    };
    PolicyFile::parse(POLICY_FILE, &text)
        .map_err(|errors| LockError::InvalidPolicy { path, errors })
}

/// [`lock`] limited to `scope`.
pub async fn lock_scoped(
    path: &Path,
    opts: &BuildOptions,
    mode: Mode,
    scope: Scope,
) -> Result<LockReport, LockError> {
    let text = std::fs::read_to_string(path).map_err(|source| LockError::Read {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |errors| LockError::Invalid {
        path: path.to_owned(),
        errors,
    };
    let policy = policy_beside(path)?;
    let pins = PinFile::parse_with(&text, Some(&policy)).map_err(invalid)?;
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        invalid(vec![PinError::at(
            &text,
            e.span().unwrap_or(0..0),
            e.message(),
        )])
    })?;

    let suite = pins.debian.suite.get_ref().clone();
    let all = scope == Scope::All;
    let wheels = if all { pip::pins(&pins) } else { Vec::new() };
    let artifacts = if all {
        artifact::pins(&pins)
    } else {
        Vec::new()
    };
    let repos = if all { git::pins(&pins) } else { Vec::new() };

    let http = http_client();
    let fetcher = Fetcher::with_connect_timeout(opts.settings.clone(), CONNECT_TIMEOUT);
    let suites = crate::engine::debian::suites(&opts.settings, &suite);
    let (archive, wheel_checks, artifact_checks, git_checks) = tokio::join!(
        async {
            if pins.apt.is_empty() {
                Ok(None)
            } else {
                Archive::load(&fetcher, &opts.settings.debian_keyring, &suites)
                    .await
                    .map(Some)
            }
        },
        pip::check_all(&http, &opts.settings.pypi_mirror, &wheels),
        artifact::check_all(&fetcher, &artifacts, &policy),
        git::probe_all(&http, &repos),
    );
    let archive = archive?;
    let candidates: BTreeMap<String, apt::Candidate> = archive
        .as_ref()
        .map(|archive| {
            pins.apt
                .iter()
                .filter_map(|(package, pin)| {
                    let (package, version) = (package.get_ref(), pin.version.get_ref());
                    let candidate = archive.candidate(package)?;
                    let wanted = match archive.pin_state(package, version) {
                        PinState::Withdrawn(_) => true,
                        PinState::Superseded(c) => {
                            all || c.suites.iter().any(|s| s.ends_with("-security"))
                        }
                        PinState::Current => all,
                    };
                    wanted.then(|| (package.clone(), candidate))
                })
                .collect()
        })
        .unwrap_or_default();

    let mut report = LockReport {
        entries: pins.apt.len() + wheels.len() + artifacts.len() + repos.len(),
        ..LockReport::default()
    };
    if all {
        apt::apply(&mut doc, &pins.apt, &suite, &candidates, &mut report);
    } else {
        apt::apply_some(&mut doc, &pins.apt, &candidates, &mut report);
    }
    if let Some(archive) = &archive {
        note_cves(&fetcher, archive, &mut report).await;
    }
    pip::record(&mut doc, &wheels, wheel_checks, &fetcher, &mut report);
    artifact::apply(&mut doc, &artifacts, artifact_checks, &mut report);
    git::record(&repos, git_checks, &mut report);

    let refreshed = doc.to_string();
    if refreshed != text {
        PinFile::parse_with(&refreshed, Some(&policy)).map_err(|errors| {
            LockError::InvalidResult {
                path: path.to_owned(),
                errors,
            }
        })?;
    }
    if mode == Mode::Write && report.problems.is_empty() && refreshed != text {
        write_atomically(path, &refreshed).map_err(|source| LockError::Write {
            path: path.to_owned(),
            source,
        })?;
        report.written = true;
    }
    Ok(report)
}

/// Notes on each apt change the CVE ids Debian's changelog lists between its old and new version
/// (read from the new `.deb`, which lands in the verified cache), four packages at a time.
async fn note_cves(fetcher: &Fetcher, archive: &Archive, report: &mut LockReport) {
    use futures_util::StreamExt as _;
    let lookups: Vec<(usize, Option<String>)> = futures_util::stream::iter(
        report
            .changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.section == "apt"),
    )
    .map(|(i, change)| async move {
        let cves =
            changelog::cves_between(fetcher, archive, &change.key, &change.old, &change.new).await;
        let note = match cves {
            Ok(ids) if ids.is_empty() => "no CVE in the changelog".to_owned(),
            Ok(ids) => format!("fixes {}", ids.join(", ")),
            Err(why) => format!("changelog not read: {why}"),
        };
        (i, Some(note))
    })
    .buffer_unordered(4)
    .collect()
    .await;
    for (i, note) in lookups {
        report.changes[i].note = note;
    }
}

/// One error a line, as [`LockError`] lists them.
/// Each error as `<path>:<line>: <message>`, the pin file named as the lock was given it.
fn listed(path: &Path, errors: &[PinError]) -> String {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| format!("{}:{}: {}", path.display(), e.line, e.message))
        .collect();
    lines.join("\n")
}

/// The HTTP client of the index and git probes: the host's trust store, a short connect timeout.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(Duration::from_secs(60))
        .user_agent(concat!("image-dsl/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// `URL: CAUSE` without reqwest's "error sending request for url (URL)" repeating the URL.
fn unreachable_reason(url: &str, cause: &str) -> String {
    let cause = cause.replace(&format!("error sending request for url ({url}): "), "");
    format!("{url}: {cause}")
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`.
pub(crate) fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
