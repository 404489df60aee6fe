//! Host-side fetching of pinned artifacts into a content-addressed cache.
//!
//! Files live at `<cache>/artifacts/<algorithm>/<hex digest>`. A download goes to a temporary
//! file in `<cache>/artifacts/tmp` while it is hashed, and is renamed into place only when its
//! digest matches the pin: a fetch cut halfway or a tampered mirror leaves nothing behind. A cached
//! file is hashed again before each use. Fetching runs on the host, whose trust store holds the
//! TLS proxy's CA, so `docker build` itself needs no HTTPS.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Seek as _, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt as _;
use sha2::{Digest, Sha256, Sha512};

use super::config::{MirrorKind, Settings};
use super::context::hex;
use super::git;
use super::programs;
use super::spec::{ArtifactSource, BuildSpec, Checksum, Locator};

/// Artifacts without a pinned checksum, found before any fetch or build.
#[derive(Debug, thiserror::Error)]
#[error("{}", describe_unverified(.0))]
pub struct UnverifiedArtifacts(pub Vec<UnverifiedArtifact>);

/// One artifact whose checksum could not be pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedArtifact {
    /// The image that needs it.
    pub image: String,
    /// The artifact name and version.
    pub artifact: String,
    /// Why no checksum is pinned.
    pub reason: String,
    /// How the user changes the mirror it comes from.
    pub mirror_setting: String,
}

fn describe_unverified(list: &[UnverifiedArtifact]) -> String {
    let mut text = format!(
        "{} artifact(s) have no pinned checksum, nothing was built; make the mirror reachable and run {}:",
        list.len(),
        crate::Fix::Lock
    );
    for item in list {
        text.push_str(&format!(
            "\n  {} (needed by {}): {}; mirror set by {}",
            item.artifact, item.image, item.reason, item.mirror_setting
        ));
    }
    text
}

/// Refuses every artifact of `specs` that is [`Checksum::Unverified`], naming each one.
pub fn refuse_unverified(specs: &[BuildSpec]) -> Result<(), UnverifiedArtifacts> {
    let list: Vec<UnverifiedArtifact> = specs
        .iter()
        .flat_map(|spec| spec.artifacts.iter().map(move |a| (spec, a)))
        .filter_map(|(spec, artifact)| match &artifact.source.checksum {
            Checksum::Unverified(reason) => Some(UnverifiedArtifact {
                image: spec.reference.clone(),
                artifact: display_name(&artifact.source),
                reason: reason.clone(),
                mirror_setting: mirror_kind(&artifact.source.locator)
                    .map(MirrorKind::how_to_set)
                    .unwrap_or_else(|| "the URLs in its declaration".into()),
            }),
            _ => None,
        })
        .collect();
    if list.is_empty() {
        Ok(())
    } else {
        Err(UnverifiedArtifacts(list))
    }
}

/// A pinned input that could not be fetched, and the images that need it.
#[derive(Debug)]
pub struct Unreachable {
    /// The images of the run that need it.
    pub needed_by: Vec<String>,
    /// What went wrong.
    pub error: FetchError,
}

/// Every pinned artifact of `specs` that cannot be fetched and verified now (an empty list
/// when all can), each with the images needing it. What can be fetched lands in the cache.
pub async fn unreachable(fetcher: &Fetcher, specs: &[BuildSpec]) -> Vec<Unreachable> {
    let all: Vec<&BuildSpec> = specs.iter().collect();
    let Err(errors) = fetcher.fetch_all(&all).await else {
        return Vec::new();
    };
    errors
        .into_iter()
        .map(|error| {
            let mut needed_by: Vec<String> = specs
                .iter()
                .filter(|spec| error.is_needed_by(spec))
                .map(|spec| spec.reference.clone())
                .collect();
            needed_by.dedup();
            Unreachable { needed_by, error }
        })
        .collect()
}

/// The text of [`crate::EngineError::Unverified`]: the unverified artifacts, then the
/// pinned ones this run could not fetch either.
pub fn describe_missing(unverified: &UnverifiedArtifacts, unreachable: &[Unreachable]) -> String {
    let mut text = unverified.to_string();
    if !unreachable.is_empty() {
        text.push_str(&format!(
            "
{} pinned input(s) cannot be fetched here either:",
            unreachable.len()
        ));
        for item in unreachable {
            let error = item.error.to_string();
            let mut lines = error.lines();
            let first = lines.next().unwrap_or_default();
            text.push_str(&format!(
                "
  {first} (needed by {})",
                item.needed_by.join(", ")
            ));
            for line in lines {
                text.push_str(&format!(
                    "
  {line}"
                ));
            }
        }
    }
    text
}

/// An artifact that could not be made available.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Every source URL was tried and none gave the pinned bytes.
    #[error("{}", describe_failed(artifact, attempts, mirror_setting))]
    Failed {
        /// Name and version.
        artifact: String,
        /// Each URL tried and what went wrong there.
        attempts: Vec<Attempt>,
        /// How the user changes the mirror.
        mirror_setting: String,
    },
    /// The cache directory cannot be used.
    #[error("artifact {artifact}: cache at {} is not usable: {source}; set IMAGE_DSL_CACHE_DIR or --cache-dir", path.display())]
    Cache {
        /// Name and version.
        artifact: String,
        /// The path that failed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The artifact has no pinned checksum.
    #[error("artifact {artifact} has no pinned checksum; run {}", crate::Fix::Lock)]
    Unpinned {
        /// Name and version.
        artifact: String,
    },
    /// A program could not be built on the host, or did not verify.
    #[error("program {artifact} could not be built on the host, nothing was built: {cause}")]
    Program {
        /// Name and version.
        artifact: String,
        /// What went wrong, with the end of the compiler's output.
        cause: String,
    },
}

impl FetchError {
    /// Whether `spec` has the artifact that failed.
    pub fn is_needed_by(&self, spec: &BuildSpec) -> bool {
        spec.artifacts
            .iter()
            .any(|a| display_name(&a.source) == self.artifact())
    }

    /// The artifact's `name version`.
    pub fn artifact(&self) -> &str {
        match self {
            FetchError::Failed { artifact, .. }
            | FetchError::Cache { artifact, .. }
            | FetchError::Unpinned { artifact }
            | FetchError::Program { artifact, .. } => artifact,
        }
    }
}

/// One URL tried for an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The URL.
    pub url: String,
    /// What went wrong.
    pub problem: Problem,
}

/// What went wrong with one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The transfer failed or was cut (connection, status, truncated body).
    Transfer(String),
    /// The bytes arrived but hash to something else than the pin.
    Mismatch {
        /// The pinned checksum, `algorithm:hex`.
        expected: String,
        /// What the bytes hash to, `algorithm:hex`.
        actual: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Transfer(cause) => write!(f, "{cause}"),
            Problem::Mismatch { expected, actual } => {
                write!(f, "checksum mismatch: expected {expected}, actual {actual}")
            }
        }
    }
}

fn describe_failed(artifact: &str, attempts: &[Attempt], mirror_setting: &str) -> String {
    let mut text =
        format!("artifact {artifact} could not be fetched and verified, nothing was built");
    for attempt in attempts {
        text.push_str(&format!("\n  {}: {}", attempt.url, attempt.problem));
    }
    let mismatch = attempts
        .iter()
        .any(|a| matches!(a.problem, Problem::Mismatch { .. }));
    text.push_str(&if mismatch {
        format!(
            "\n  fix the mirror ({mirror_setting}) or, if the new bytes are trusted, re-pin with {}",
            crate::Fix::Lock
        )
    } else {
        format!("\n  make the source reachable or set a mirror ({mirror_setting})")
    });
    text
}

/// Fetches artifacts through the configured mirrors into the content-addressed cache.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// Made on the first download: loading the host's trust store takes a no-op run's time.
    http: std::sync::OnceLock<reqwest::Client>,
    connect_timeout: Duration,
    settings: Settings,
    /// Tries per URL when a transfer fails in a way that may pass.
    attempts: u32,
}

/// How many downloads run at once. More only share one link, and through a TLS-intercepting
/// proxy dozens of simultaneous connections time out while connecting (seen with the 80 wheels
/// of `python-deps:gpu`).
const PARALLEL_DOWNLOADS: usize = 4;

/// Tries per URL for a build's fetches: a connect or read time-out, a cut transfer, a 5xx or a
/// 429 is tried again after 2 s, then 4 s.
const BUILD_ATTEMPTS: u32 = 3;

/// Why a transfer failed, and whether trying again may help.
struct TransferError {
    message: String,
    transient: bool,
}

impl TransferError {
    fn from_reqwest(err: &reqwest::Error) -> TransferError {
        let status = err.status();
        let message = describe_reqwest(err);
        // A name the resolver says does not exist stays so ("Temporary failure in name
        // resolution" is tried again).
        let no_such_host = message.contains("Name or service not known")
            || message.contains("No address associated with hostname");
        TransferError {
            message,
            transient: !no_such_host
                && (err.is_timeout()
                    || err.is_connect()
                    || err.is_body()
                    || err.is_request() && status.is_none()
                    || status.is_some_and(|s| {
                        s.is_server_error() || s == reqwest::StatusCode::TOO_MANY_REQUESTS
                    })),
        }
    }

    fn fatal(message: String) -> TransferError {
        TransferError {
            message,
            transient: false,
        }
    }
}

impl Fetcher {
    /// A fetcher using the host's trust store (so a TLS-intercepting proxy's CA is honoured).
    pub fn new(settings: Settings) -> Fetcher {
        Fetcher {
            attempts: BUILD_ATTEMPTS,
            ..Fetcher::with_connect_timeout(settings, Duration::from_secs(15))
        }
    }

    /// A fetcher that gives up on a host after `connect_timeout` and tries each URL once
    /// (`images lock` and the bench probe sources that may be unreachable and must finish in
    /// minutes).
    pub fn with_connect_timeout(settings: Settings, connect_timeout: Duration) -> Fetcher {
        Fetcher {
            http: std::sync::OnceLock::new(),
            connect_timeout,
            settings,
            attempts: 1,
        }
    }

    /// The HTTP client, made on first use.
    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .read_timeout(Duration::from_secs(60))
                .user_agent(concat!("image-dsl/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default()
        })
    }

    /// The mirrors and cache it fetches through.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The directory cached artifacts live in.
    pub fn cache_root(&self) -> PathBuf {
        self.settings.cache_dir.join("artifacts")
    }

    /// Where the artifact with `checksum` is (or would be) cached.
    pub fn cached_path(&self, checksum: &Checksum) -> Option<PathBuf> {
        let (algorithm, digest) = match checksum {
            Checksum::Sha256(hex) => ("sha256", hex),
            Checksum::Sha512(hex) => ("sha512", hex),
            Checksum::GitCommit(hex) => ("git", hex),
            // Programs are cached by their recipe (`programs::cached_path`).
            Checksum::GoModule(_) | Checksum::Unverified(_) => return None,
        };
        Some(
            self.cache_root()
                .join(algorithm)
                .join(digest.to_ascii_lowercase()),
        )
    }

    /// Where `source` is (or would be) cached: a download by its checksum, a program by its recipe.
    pub fn cached_file(&self, source: &ArtifactSource) -> Option<PathBuf> {
        if source.is_program() {
            programs::cached_path(&self.cache_root(), source)
        } else {
            self.cached_path(&source.checksum)
        }
    }

    /// Fetches every distinct artifact of `specs`; all errors are returned, not just the first.
    /// On success maps each artifact's key ([`ArtifactSource::key`]: its pinned checksum, a
    /// program's recipe) to its verified cached file.
    pub async fn fetch_all(
        &self,
        specs: &[&BuildSpec],
    ) -> Result<BTreeMap<String, PathBuf>, Vec<FetchError>> {
        let (fetched, errors) = self.fetch_each(specs).await;
        if errors.is_empty() {
            Ok(fetched)
        } else {
            Err(errors)
        }
    }

    /// [`Fetcher::fetch_all`], keeping what was fetched when some artifacts fail.
    ///
    /// Downloads and git sources come first. Programs are compiled after them, and only those
    /// that an image with every other input at hand needs: an image that cannot be built anyway
    /// (a missing download or mirror, an unverified input) does not cost an hour of compiling
    /// before the run says so.
    pub async fn fetch_each(
        &self,
        specs: &[&BuildSpec],
    ) -> (BTreeMap<String, PathBuf>, Vec<FetchError>) {
        self.remove_stale_downloads();
        let mut downloads = BTreeMap::new();
        let mut programs = BTreeMap::new();
        for artifact in specs.iter().flat_map(|spec| &spec.artifacts) {
            if let Some(key) = artifact.source.key() {
                let kind = if artifact.source.is_program() {
                    &mut programs
                } else {
                    &mut downloads
                };
                kind.entry(key).or_insert(&artifact.source);
            }
        }
        let (mut fetched, mut errors) = self.fetch_keyed(downloads, PARALLEL_DOWNLOADS).await;
        let buildable = |spec: &&&BuildSpec| {
            !errors.iter().any(|e: &FetchError| e.is_needed_by(spec))
                && spec.artifacts.iter().all(|a| a.source.key().is_some())
        };
        let needed: BTreeMap<String, &ArtifactSource> = programs
            .into_iter()
            .filter(|(key, _)| {
                specs.iter().filter(buildable).any(|spec| {
                    spec.artifacts
                        .iter()
                        .any(|a| a.source.key().as_ref() == Some(key))
                })
            })
            .collect();
        // One compile at a time uses every core already.
        let (built, failed) = self.fetch_keyed(needed, 1).await;
        fetched.extend(built);
        errors.extend(failed);
        (fetched, errors)
    }

    /// Fetches each of `sources` by key, `parallel` at a time.
    async fn fetch_keyed(
        &self,
        sources: BTreeMap<String, &ArtifactSource>,
        parallel: usize,
    ) -> (BTreeMap<String, PathBuf>, Vec<FetchError>) {
        let fetches = sources
            .into_iter()
            .map(|(key, source)| async move { self.fetch(source).await.map(|path| (key, path)) });
        let results: Vec<_> = futures_util::stream::iter(fetches)
            .buffer_unordered(parallel)
            .collect()
            .await;
        let mut fetched = BTreeMap::new();
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok((key, path)) => {
                    fetched.insert(key, path);
                }
                Err(error) => errors.push(error),
            }
        }
        (fetched, errors)
    }

    /// Removes downloads a killed run left in the temporary directory (older than an hour, so a
    /// concurrent run's downloads stay).
    fn remove_stale_downloads(&self) {
        let tmp_dir = self.cache_root().join("tmp");
        for entry in std::fs::read_dir(tmp_dir).into_iter().flatten().flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(3600));
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Makes `source` available in the cache and returns its verified path.
    pub async fn fetch(&self, source: &ArtifactSource) -> Result<PathBuf, FetchError> {
        let artifact = display_name(source);
        if source.is_program() {
            return self.build_program(source).await;
        }
        let Some(target) = self.cached_path(&source.checksum) else {
            return Err(FetchError::Unpinned { artifact });
        };
        let git = match (&source.locator, &source.checksum) {
            (Locator::Git { repo }, Checksum::GitCommit(commit)) => Some((repo, commit)),
            _ => None,
        };
        let cache_error = |path: &Path, source| FetchError::Cache {
            artifact: artifact.clone(),
            path: path.to_owned(),
            source,
        };
        // A git tree's tar was written only after its commit was fetched and checked.
        if git.is_some() && target.exists() {
            return Ok(target);
        }
        if target.exists() {
            let check = (target.clone(), source.checksum.clone());
            let actual = tokio::task::spawn_blocking(move || hash_file(&check.0, &check.1))
                .await
                .map_err(|e| cache_error(&target, std::io::Error::other(e)))?
                .map_err(|e| cache_error(&target, e))?;
            if Some(actual) == source.checksum.pinned() {
                return Ok(target);
            }
            // A corrupted cache entry is replaced, never used.
            std::fs::remove_file(&target).map_err(|e| cache_error(&target, e))?;
        }
        let tmp_dir = self.cache_root().join("tmp");
        for dir in [&tmp_dir, &target.parent().unwrap_or(&tmp_dir).to_path_buf()] {
            std::fs::create_dir_all(dir).map_err(|e| cache_error(dir, e))?;
        }
        if let Some((repo, commit)) = git {
            return self
                .fetch_git(source, repo, commit, &target, &tmp_dir)
                .await;
        }
        let mut attempts = Vec::new();
        for url in self.urls(source, &mut attempts).await {
            let mut tmp =
                tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| cache_error(&tmp_dir, e))?;
            match self
                .download_retrying(&url, &source.checksum, &mut tmp)
                .await
            {
                Ok(actual) if Some(&actual) == source.checksum.pinned().as_ref() => {
                    tmp.persist(&target)
                        .map_err(|e| cache_error(&target, e.error))?;
                    return Ok(target);
                }
                Ok(actual) => attempts.push(Attempt {
                    url,
                    problem: Problem::Mismatch {
                        expected: source.checksum.pinned().unwrap_or_default(),
                        actual,
                    },
                }),
                Err(cause) => attempts.push(Attempt {
                    url,
                    problem: Problem::Transfer(cause),
                }),
            }
        }
        Err(failed(source, artifact, attempts))
    }

    /// The program of `source`, built on the host unless it is cached ([`crate::programs`]).
    async fn build_program(&self, source: &ArtifactSource) -> Result<PathBuf, FetchError> {
        let artifact = display_name(source);
        let root = self.cache_root();
        let Some(target) = programs::cached_path(&root, source) else {
            return Err(FetchError::Unpinned { artifact });
        };
        let tmp_dir = root.join("tmp");
        for dir in [&tmp_dir, &root.join("programs")] {
            std::fs::create_dir_all(dir).map_err(|e| FetchError::Cache {
                artifact: artifact.clone(),
                path: dir.clone(),
                source: e,
            })?;
        }
        programs::build(source, &target, &tmp_dir)
            .await
            .map(|()| target)
            .map_err(|cause| FetchError::Program { artifact, cause })
    }

    /// The tree of `commit` of `repo` written as a tar to `target`, through `tmp_dir`.
    async fn fetch_git(
        &self,
        source: &ArtifactSource,
        repo: &str,
        commit: &str,
        target: &Path,
        tmp_dir: &Path,
    ) -> Result<PathBuf, FetchError> {
        let artifact = display_name(source);
        let url = git::fetch_url(repo, self.settings.git_mirror.as_deref());
        let git_cache = self.settings.cache_dir.join("git");
        match git::archive(&git_cache, repo, &url, commit, target, tmp_dir).await {
            Ok(()) => Ok(target.to_owned()),
            Err(cause) => Err(failed(
                source,
                artifact,
                vec![Attempt {
                    url,
                    problem: Problem::Transfer(cause),
                }],
            )),
        }
    }

    /// Fetches `source`, whose checksum is not known yet, into the cache and returns what its
    /// bytes hash to with `algorithm` (a [`Checksum::Sha256`] or [`Checksum::Sha512`]; the digest
    /// inside is ignored) and the cached path. For `images lock`, which records the checksum.
    pub async fn fetch_unpinned(
        &self,
        source: &ArtifactSource,
        algorithm: &Checksum,
    ) -> Result<(Checksum, PathBuf), FetchError> {
        let artifact = display_name(source);
        let cache_error = |path: &Path, source| FetchError::Cache {
            artifact: artifact.clone(),
            path: path.to_owned(),
            source,
        };
        let tmp_dir = self.cache_root().join("tmp");
        std::fs::create_dir_all(&tmp_dir).map_err(|e| cache_error(&tmp_dir, e))?;
        let mut attempts = Vec::new();
        for url in self.urls(source, &mut attempts).await {
            let mut tmp =
                tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| cache_error(&tmp_dir, e))?;
            match self.download_retrying(&url, algorithm, &mut tmp).await {
                Ok(actual) => {
                    let checksum = match actual.split_once(':') {
                        Some(("sha512", hex)) => Checksum::Sha512(hex.to_owned()),
                        Some((_, hex)) => Checksum::Sha256(hex.to_owned()),
                        None => Checksum::Sha256(actual),
                    };
                    let target = self.cached_path(&checksum).unwrap_or_default();
                    let dir = target.parent().unwrap_or(&tmp_dir).to_path_buf();
                    std::fs::create_dir_all(&dir).map_err(|e| cache_error(&dir, e))?;
                    tmp.persist(&target)
                        .map_err(|e| cache_error(&target, e.error))?;
                    return Ok((checksum, target));
                }
                Err(cause) => attempts.push(Attempt {
                    url,
                    problem: Problem::Transfer(cause),
                }),
            }
        }
        Err(failed(source, artifact, attempts))
    }

    /// The bytes at `url`, with the same retries as a download; for small files read fresh on
    /// every run (Debian's signed `InRelease`), which have no checksum to be cached by.
    pub async fn get_small(&self, url: &str) -> Result<Vec<u8>, String> {
        let mut tmp = tempfile::NamedTempFile::new()
            .map_err(|e| format!("cannot make a temporary file: {e}"))?;
        self.download_retrying(url, &Checksum::Sha256(String::new()), &mut tmp)
            .await?;
        std::fs::read(tmp.path()).map_err(|e| format!("reading the download failed: {e}"))
    }

    /// The URLs to try for `source`; a PyPI index that cannot be read is recorded in `attempts`.
    async fn urls(&self, source: &ArtifactSource, attempts: &mut Vec<Attempt>) -> Vec<String> {
        let s = &self.settings;
        match &source.locator {
            Locator::Urls(urls) => urls.clone(),
            Locator::Git { repo } => vec![git::fetch_url(repo, s.git_mirror.as_deref())],
            Locator::Apache { path } => vec![format!(
                "{}/{}",
                s.apache_mirror,
                path.trim_start_matches('/')
            )],
            Locator::Maven(coords) => {
                vec![format!("{}/{}", s.maven_mirror, coords.repository_path())]
            }
            Locator::Debian { suite, path } => {
                let mirror = if suite.ends_with("-security") {
                    &s.debian_security_mirror
                } else {
                    &s.debian_mirror
                };
                vec![format!("{mirror}/{}", path.trim_start_matches('/'))]
            }
            // Built by `build_program`, never downloaded here.
            Locator::Go(_) | Locator::Crate(_) => Vec::new(),
            Locator::Pypi { project, filename } => {
                let index = format!("{}/{}/", s.pypi_mirror, normalize_project(project));
                match self.find_in_index(&index, filename).await {
                    Ok(url) => vec![url],
                    Err(cause) => {
                        attempts.push(Attempt {
                            url: index,
                            problem: Problem::Transfer(cause),
                        });
                        Vec::new()
                    }
                }
            }
        }
    }

    /// Reads a PEP 503 simple index page and returns the absolute URL of `filename` on it.
    async fn find_in_index(&self, index: &str, filename: &str) -> Result<String, String> {
        let response = self
            .http()
            .get(index)
            .send()
            .await
            .map_err(|e| describe_reqwest(&e))?;
        let response = response
            .error_for_status()
            .map_err(|e| describe_reqwest(&e))?;
        let base = response.url().clone();
        let page = response.text().await.map_err(|e| describe_reqwest(&e))?;
        page.split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(|href| href.replace("&amp;", "&"))
            .find(|href| {
                let path = href.split(['#', '?']).next().unwrap_or_default();
                path.rsplit('/').next() == Some(filename)
            })
            .and_then(|href| base.join(&href).ok())
            .map(|mut url| {
                url.set_fragment(None);
                url.to_string()
            })
            .ok_or_else(|| format!("{filename} is not listed on the index page"))
    }

    /// Streams `url` into `file` and returns the digest (`algorithm:hex`) of what arrived.
    /// [`Fetcher::download`] into `tmp`, tried again (from the start, `tmp` emptied) while the
    /// failure may pass and attempts remain. The error names how many attempts were made.
    async fn download_retrying(
        &self,
        url: &str,
        checksum: &Checksum,
        tmp: &mut tempfile::NamedTempFile,
    ) -> Result<String, String> {
        let mut attempt = 1;
        loop {
            let file = tmp.as_file_mut();
            let emptied = file.set_len(0).and_then(|()| file.rewind());
            emptied.map_err(|e| format!("writing the download failed: {e}"))?;
            match self.download(url, checksum, file).await {
                Ok(actual) => return Ok(actual),
                Err(err) if err.transient && attempt < self.attempts => {
                    tokio::time::sleep(Duration::from_secs(2u64.pow(attempt))).await;
                    attempt += 1;
                }
                Err(err) if attempt > 1 => {
                    return Err(format!("{} (after {attempt} attempts)", err.message));
                }
                Err(err) => return Err(err.message),
            }
        }
    }

    async fn download(
        &self,
        url: &str,
        checksum: &Checksum,
        file: &mut std::fs::File,
    ) -> Result<String, TransferError> {
        let mut response = self
            .http()
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| TransferError::from_reqwest(&e))?;
        let expected_len = response.content_length();
        let mut hasher = Hasher::for_checksum(checksum);
        let mut received = 0u64;
        let cut = |received: u64, e: &reqwest::Error| TransferError {
            message: format!(
                "transfer cut after {received} bytes: {}",
                describe_reqwest(e)
            ),
            transient: true,
        };
        let write_failed =
            |e: std::io::Error| TransferError::fatal(format!("writing the download failed: {e}"));
        while let Some(chunk) = response.chunk().await.map_err(|e| cut(received, &e))? {
            hasher.update(&chunk);
            received += chunk.len() as u64;
            file.write_all(&chunk).map_err(write_failed)?;
        }
        if let Some(expected) = expected_len.filter(|len| *len != received) {
            return Err(TransferError {
                message: format!("transfer cut after {received} of {expected} bytes"),
                transient: true,
            });
        }
        file.flush().map_err(write_failed)?;
        Ok(hasher.finish())
    }
}

/// `name version`, as messages show an artifact.
fn display_name(source: &ArtifactSource) -> String {
    format!("{} {}", source.name, source.version)
}

fn mirror_kind(locator: &Locator) -> Option<MirrorKind> {
    match locator {
        Locator::Urls(_) | Locator::Go(_) | Locator::Crate(_) => None,
        Locator::Apache { .. } => Some(MirrorKind::Apache),
        Locator::Maven(_) => Some(MirrorKind::Maven),
        Locator::Pypi { .. } => Some(MirrorKind::Pypi),
        Locator::Debian { .. } => Some(MirrorKind::Debian),
        Locator::Git { .. } => Some(MirrorKind::Git),
    }
}

/// Every URL of `source` failed: the error lists each attempt and how to set its mirror.
fn failed(source: &ArtifactSource, artifact: String, attempts: Vec<Attempt>) -> FetchError {
    FetchError::Failed {
        artifact,
        attempts,
        mirror_setting: mirror_kind(&source.locator)
            .map(MirrorKind::how_to_set)
            .unwrap_or_else(|| "the URLs in its declaration".into()),
    }
}
/// PEP 503 name normalisation: lowercase, runs of `-_.` become `-`.
pub fn normalize_project(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// reqwest errors with their causes, which carry the useful part ("connection refused").
pub fn describe_reqwest(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    fn for_checksum(checksum: &Checksum) -> Hasher {
        match checksum {
            Checksum::Sha512(_) => Hasher::Sha512(Sha512::new()),
            _ => Hasher::Sha256(Sha256::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    fn finish(self) -> String {
        match self {
            Hasher::Sha256(h) => format!("sha256:{}", hex(&h.finalize())),
            Hasher::Sha512(h) => format!("sha512:{}", hex(&h.finalize())),
        }
    }
}

/// The digest (`algorithm:hex`) of a file, with the algorithm of `checksum`.
pub fn hash_file(path: &Path, checksum: &Checksum) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Hasher::for_checksum(checksum);
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.update(&buffer[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_are_normalised_as_pep_503_says() {
        assert_eq!(
            normalize_project("Py_Spark.Connect--x"),
            "py-spark-connect-x"
        );
    }
}
