//! Built images to a registry, through the engine's own push (`POST /images/{name}/push`), so
//! the engine's registry settings apply: `/etc/docker/certs.d/HOST/ca.crt` for a private CA,
//! `insecure-registries` (loopback by default) for plain HTTP.
//!
//! [`push_all`] refuses, before pushing anything, an image that is not built, is stale (its
//! definition, a pin, a parent or the base changed since) or is over its budget. For each image it
//! then asks the registry, through the engine (`GET /distribution/{name}/json`), for the digest
//! the tag has there: when the local image already carries that digest nothing is sent. Otherwise
//! it tags `HOST[:PORT]/PREFIX/NAME:TAG` and pushes, and the engine sends only the layers the
//! registry lacks. Each pushed digest goes into the digest lock ([`record`]) as soon as it is
//! known, so an interrupted run still records what it pushed.
//!
//! With an SBOM directory (`BuildOptions::sbom_dir`), each image also needs the SBOM its build
//! wrote there, of that very build ([`sbom`]): one missing or describing another build refuses the
//! push as a stale image does. After each image is pushed (or found there), its SBOM goes up as
//! an OCI artifact that refers to it ([`referrer`]), unless the registry has it already; a
//! registry that refuses OCI artifacts gets the image alone, with a warning.
//!
//! Credentials come from the user's Docker config (`auths`, `credHelpers`, `credsStore`; see
//! [`credentials`]), read with the `docker_credential` crate.

pub mod referrer;
pub mod sbom;

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{PushImageOptionsBuilder, TagImageOptionsBuilder};
use futures_util::StreamExt;

use crate::spec::split_reference;
use crate::{BuildOptions, BuildSpec, EngineError, Fix, Freshness};
pub use referrer::SbomPush;
pub use sbom::SbomProblem;

/// How long a push may go without a word from the engine before it counts as hung.
pub const PUSH_SILENCE: Duration = Duration::from_secs(10 * 60);

/// Where images go: `HOST[:PORT]/PREFIX`, e.g. `registry.example.org:5000/data-platform`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// `HOST[:PORT]`, as the engine and the Docker config name the registry.
    pub host: String,
    /// The repository prefix, e.g. `data-platform/spark` (may be empty).
    pub prefix: String,
}

impl std::str::FromStr for Registry {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (host, prefix) = text.split_once('/').unwrap_or((text, ""));
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        };
        let host_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if !host_ok {
            return Err(format!(
                "`{text}` does not start with a registry host: HOST[:PORT]/PREFIX, e.g. registry.example.org:5000/team"
            ));
        }
        let prefix = prefix.trim_end_matches('/');
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && c.as_bytes()[0].is_ascii_alphanumeric()
        };
        if !prefix.is_empty() && !prefix.split('/').all(component_ok) {
            return Err(format!(
                "`{prefix}` is not a repository prefix: lowercase letters, digits and `._-`, in `/`-separated parts"
            ));
        }
        Ok(Registry {
            host: host.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            f.write_str(&self.host)
        } else {
            write!(f, "{}/{}", self.host, self.prefix)
        }
    }
}

impl Registry {
    /// The repository and tag the catalog's `reference` (`name:tag`) gets here.
    pub fn repository(&self, reference: &str) -> (String, String) {
        let (name, tag) = split_reference(reference);
        (format!("{self}/{name}"), tag.to_owned())
    }
}

/// One image's push.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    /// The catalog's `name:tag`.
    pub image: String,
    /// `HOST/PREFIX/NAME@sha256:…`: what a manifest pins.
    pub pinned: String,
    /// The manifest digest, `sha256:…`.
    pub digest: String,
    /// Layers the registry lacked and received.
    pub layers_sent: usize,
    /// Layers it already had.
    pub layers_present: usize,
    /// The registry already had this very image under the tag: nothing was sent.
    pub skipped: bool,
    /// What became of its SBOM; `None` when SBOMs are not pushed (no `sbom_dir`).
    pub sbom: Option<SbomPush>,
    /// Wall time of this image's push, its SBOM's included.
    pub seconds: f64,
}

impl Pushed {
    /// `HOST/PREFIX/NAME@sha256:…` of its SBOM artifact, when the registry holds one.
    pub fn sbom_pinned(&self) -> Option<String> {
        let repository = self.pinned.split_once('@').map_or("", |(r, _)| r);
        let digest = self.sbom.as_ref()?.digest()?;
        Some(format!("{repository}@{digest}"))
    }
}

/// Why nothing or not everything was pushed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The engine could not plan (no engine, a bad graph, …).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Some images are not ready; nothing was pushed.
    #[error("{}", describe_unready(.0))]
    NotReady(Vec<(String, Freshness)>),
    /// Some images' SBOMs are missing or describe another build; nothing was pushed.
    #[error("{}", describe_sbom_problems(.0))]
    NoSbom(Vec<(String, SbomProblem)>),
    /// The registry client for the SBOMs cannot be made (an unreadable CA, …).
    #[error("the SBOMs cannot be pushed to {registry}: {message}")]
    SbomClient {
        /// `HOST[:PORT]`.
        registry: String,
        /// What went wrong.
        message: String,
    },
    /// An image to push is not in the catalog's selection.
    #[error("{0} is not an image of this catalog; `cargo xtask images list` names them")]
    Unknown(String),
    /// The Docker config could not give the registry's credentials.
    #[error(
        "reading the credentials for {registry} from {config}: {message}; fix that entry or run `docker login {registry}`"
    )]
    Credentials {
        /// `HOST[:PORT]`.
        registry: String,
        /// The config file read.
        config: String,
        /// What went wrong.
        message: String,
    },
    /// The engine or the registry refused a step.
    #[error("{image}: {step} {remote} failed: {message}{}", hint(.message, .remote))]
    Push {
        /// The catalog's `name:tag`.
        image: String,
        /// `tag as`, `push to`, …
        step: &'static str,
        /// `HOST/PREFIX/NAME:TAG`.
        remote: String,
        /// The engine's or registry's words.
        message: String,
    },
    /// The engine went silent.
    #[error(
        "{image}: no word from the engine for {} s while pushing to {remote}; check the registry and `docker info`",
        PUSH_SILENCE.as_secs()
    )]
    Silent {
        /// The catalog's `name:tag`.
        image: String,
        /// `HOST/PREFIX/NAME:TAG`.
        remote: String,
    },
    /// The digest lock could not be written.
    #[error("writing the digest lock {path}: {message}")]
    Lock {
        /// The lock file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

fn describe_unready(images: &[(String, Freshness)]) -> String {
    let mut text = "nothing was pushed:".to_owned();
    for (image, freshness) in images {
        let why = match freshness {
            Freshness::Missing => "is not built",
            _ => {
                "is stale or over its budget (its definition, a pin, a parent or the base changed since it was built)"
            }
        };
        text.push_str(&format!(
            "\n  {image} {why}: run {} first",
            Fix::Build(image.clone())
        ));
    }
    text
}

fn describe_sbom_problems(images: &[(String, SbomProblem)]) -> String {
    let mut text = "nothing was pushed:".to_owned();
    for (image, problem) in images {
        text.push_str(&format!(
            "\n  {image} {problem}: run {} first",
            Fix::Build(image.clone())
        ));
    }
    text
}

/// What to do about a registry's or engine's refusal, from its words.
fn hint(message: &str, remote: &str) -> String {
    let host = remote.split('/').next().unwrap_or(remote);
    let m = message.to_ascii_lowercase();
    if m.contains("unauthorized") || m.contains("authentication required") || m.contains("denied") {
        format!(
            "; the registry refused the credentials: run `docker login {host}` or fix its entry in the Docker config"
        )
    } else if m.contains("x509") || m.contains("certificate") {
        format!(
            "; the engine does not trust the registry's certificate: put its CA in /etc/docker/certs.d/{host}/ca.crt"
        )
    } else if m.contains("http response to https client") {
        format!(
            "; the registry speaks plain HTTP: add {host} to the engine's insecure-registries (loopback addresses are already)"
        )
    } else if m.contains("connection refused") || m.contains("no such host") {
        format!("; is the registry running at {host}?")
    } else {
        String::new()
    }
}

/// The Docker config directory: `DOCKER_CONFIG`, else `~/.docker`.
pub fn docker_config_dir() -> Option<PathBuf> {
    std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker")))
}

/// The credentials `config_dir/config.json` holds for `host` (`HOST[:PORT]`), through its
/// credential helper or store where it names one; `None` when it has none (an anonymous push).
pub fn credentials(config_dir: &Path, host: &str) -> Result<Option<DockerCredentials>, PushError> {
    let path = config_dir.join("config.json");
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(PushError::Credentials {
                registry: host.to_owned(),
                config: path.display().to_string(),
                message: e.to_string(),
            });
        }
    };
    use docker_credential::{CredentialRetrievalError as E, DockerCredential};
    match docker_credential::get_credential_from_reader(BufReader::new(file), host) {
        Ok(DockerCredential::UsernamePassword(username, password)) => Ok(Some(DockerCredentials {
            username: Some(username),
            password: Some(password),
            serveraddress: Some(host.to_owned()),
            ..Default::default()
        })),
        Ok(DockerCredential::IdentityToken(token)) => Ok(Some(DockerCredentials {
            identitytoken: Some(token),
            serveraddress: Some(host.to_owned()),
            ..Default::default()
        })),
        Err(E::NoCredentialConfigured) => Ok(None),
        Err(e) => Err(PushError::Credentials {
            registry: host.to_owned(),
            config: path.display().to_string(),
            message: match e {
                E::HelperFailure {
                    helper,
                    stdout,
                    stderr,
                } => format!(
                    "{helper} failed: {}",
                    format!("{} {}", stdout.trim(), stderr.trim()).trim()
                ),
                E::HelperCommunicationError => {
                    "its credential helper could not be run (is docker-credential-<name> on PATH?)"
                        .to_owned()
                }
                other => other.to_string(),
            },
        }),
    }
}

/// Pushes `images` (catalog references, in the order given) of `specs` (a closed graph: every
/// parent included) to `registry`, recording each digest in `lock` when given.
///
/// Nothing is pushed when any of them is not built, stale or over budget, or (with
/// `opts.sbom_dir`) lacks an SBOM of its present build. An image the registry already holds under
/// its tag, with the same digest as the local one, is not sent again; nor is an SBOM artifact the
/// registry holds.
pub async fn push_all(
    specs: Vec<BuildSpec>,
    images: &[String],
    registry: &Registry,
    credentials: Option<DockerCredentials>,
    lock: Option<&Path>,
    opts: &BuildOptions,
) -> Result<Vec<Pushed>, PushError> {
    let sbom_names: std::collections::BTreeMap<String, String> = specs
        .iter()
        .map(|s| (s.reference.clone(), s.sbom_file_name()))
        .collect();
    let freshness = crate::freshness(specs, opts).await?;
    let mut unready = Vec::new();
    for image in images {
        match freshness.get(image) {
            None => return Err(PushError::Unknown(image.clone())),
            Some(Freshness::Current) => {}
            Some(&other) => unready.push((image.clone(), other)),
        }
    }
    if !unready.is_empty() {
        return Err(PushError::NotReady(unready));
    }
    let docker = crate::client::connect(opts.docker_host.as_deref())
        .await
        .map_err(EngineError::from)?;
    let sboms = match &opts.sbom_dir {
        Some(dir) => read_sboms(&docker, dir, images, &sbom_names, opts).await?,
        None => vec![None; images.len()],
    };
    let referrers = match opts.sbom_dir {
        Some(_) => Some(
            referrer::Referrers::new(&registry.host, credentials.as_ref()).map_err(|message| {
                PushError::SbomClient {
                    registry: registry.host.clone(),
                    message,
                }
            })?,
        ),
        None => None,
    };
    let mut pushed = Vec::new();
    for (image, sbom) in images.iter().zip(&sboms) {
        let mut one = push_one(&docker, image, registry, credentials.clone(), opts).await?;
        let mut failed = None;
        if let (Some(referrers), Some(sbom)) = (&referrers, sbom) {
            let started = Instant::now();
            match push_sbom(referrers, image, registry, &one.digest, sbom).await {
                Ok(state) => one.sbom = Some(state),
                Err(e) => failed = Some(e),
            }
            one.seconds += started.elapsed().as_secs_f64();
        }
        // The image is up whatever became of its SBOM: its digest is recorded either way.
        if let Some(lock) = lock {
            record(lock, registry, std::slice::from_ref(&one))?;
        }
        if let Some(e) = failed {
            return Err(e);
        }
        pushed.push(one);
    }
    Ok(pushed)
}

/// The SBOM of each of `images` in `dir` (`names` gives its file), each checked to be of the
/// image's present build; all problems at once, before anything is pushed.
async fn read_sboms(
    docker: &Docker,
    dir: &Path,
    images: &[String],
    names: &std::collections::BTreeMap<String, String>,
    opts: &BuildOptions,
) -> Result<Vec<Option<sbom::Sbom>>, PushError> {
    let (mut sboms, mut problems) = (Vec::new(), Vec::new());
    for image in images {
        match sbom::read(docker, dir, &names[image], &opts.tag(image)).await {
            Ok(sbom) => sboms.push(Some(sbom)),
            Err(problem) => problems.push((image.clone(), problem)),
        }
    }
    if problems.is_empty() {
        Ok(sboms)
    } else {
        Err(PushError::NoSbom(problems))
    }
}

/// Pushes `sbom` as the referrer of `image`, pushed as `digest`.
async fn push_sbom(
    referrers: &referrer::Referrers,
    image: &str,
    registry: &Registry,
    digest: &str,
    sbom: &sbom::Sbom,
) -> Result<SbomPush, PushError> {
    let (repository, _) = registry.repository(image);
    let path = repository
        .strip_prefix(&format!("{}/", registry.host))
        .unwrap_or(&repository);
    referrers
        .push(path, digest, sbom)
        .await
        .map_err(|failure| PushError::Push {
            image: image.to_owned(),
            step: failure.step,
            remote: format!("{repository}:{}", digest.replace(':', "-")),
            message: failure.message,
        })
}

async fn push_one(
    docker: &Docker,
    image: &str,
    registry: &Registry,
    credentials: Option<DockerCredentials>,
    opts: &BuildOptions,
) -> Result<Pushed, PushError> {
    let started = Instant::now();
    let local = opts.tag(image);
    let (repository, tag) = registry.repository(image);
    let remote = format!("{repository}:{tag}");
    let failed = |step: &'static str, message: String| PushError::Push {
        image: image.to_owned(),
        step,
        remote: remote.clone(),
        message,
    };
    let digests = docker
        .inspect_image(&local)
        .await
        .map_err(|e| failed("inspect before pushing to", e.to_string()))?
        .repo_digests
        .unwrap_or_default();
    // The registry's digest for the tag, when it has the tag; the same as one of the local
    // image's own digests means the registry has this very image.
    if let Ok(there) = docker
        .inspect_registry_image(&remote, credentials.clone())
        .await
        && let Some(digest) = there.descriptor.digest
        && digests.contains(&format!("{repository}@{digest}"))
    {
        return Ok(Pushed {
            image: image.to_owned(),
            pinned: format!("{repository}@{digest}"),
            digest,
            layers_sent: 0,
            layers_present: 0,
            skipped: true,
            sbom: None,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    docker
        .tag_image(
            &local,
            Some(
                TagImageOptionsBuilder::new()
                    .repo(&repository)
                    .tag(&tag)
                    .build(),
            ),
        )
        .await
        .map_err(|e| failed("tag as", e.to_string()))?;
    let mut stream = docker.push_image(
        &repository,
        Some(PushImageOptionsBuilder::new().tag(&tag).build()),
        credentials,
    );
    let (mut sent, mut present, mut digest) = (0, 0, None);
    loop {
        let next = tokio::time::timeout(PUSH_SILENCE, stream.next())
            .await
            .map_err(|_| PushError::Silent {
                image: image.to_owned(),
                remote: remote.clone(),
            })?;
        let Some(item) = next else { break };
        let info = item.map_err(|e| {
            failed(
                "push to",
                match e {
                    bollard::errors::Error::DockerStreamError { error } => error,
                    other => other.to_string(),
                },
            )
        })?;
        let status = info.status.unwrap_or_default();
        match status.as_str() {
            "Pushed" => sent += 1,
            "Layer already exists" => present += 1,
            s if s.starts_with("Mounted from ") => present += 1,
            // `TAG: digest: sha256:… size: N`, the last word of a successful push.
            s => {
                if let Some(rest) = s.split_once("digest: ").map(|(_, r)| r) {
                    digest = rest.split_whitespace().next().map(str::to_owned);
                }
            }
        }
    }
    let digest = digest.ok_or_else(|| {
        failed(
            "push to",
            "the engine finished without naming the manifest's digest".to_owned(),
        )
    })?;
    Ok(Pushed {
        image: image.to_owned(),
        pinned: format!("{repository}@{digest}"),
        digest,
        layers_sent: sent,
        layers_present: present,
        skipped: false,
        sbom: None,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Header of a new digest lock.
const LOCK_HEADER: &str = "\
# Written by `cargo xtask images push`: the digest each image was pushed as, by registry.
# Pin Kubernetes manifests and SparkApplications to these (`image: HOST/PREFIX/NAME@sha256:…`),
# not to tags, which can move. Commit it or not, as your deployment needs.
";

/// Records `pushed` in the digest lock `path`: a table per image, `"REGISTRY" = "REPO@DIGEST"`,
/// and its SBOM artifact's digest likewise in the image's `sbom` table. Other entries and comments
/// stay as they are; the file is replaced whole or not at all.
pub fn record(path: &Path, registry: &Registry, pushed: &[Pushed]) -> Result<(), PushError> {
    let error = |message: String| PushError::Lock {
        path: path.display().to_string(),
        message,
    };
    // A new lock starts with the header, which then stays the first table's leading comment.
    let (text, header) = match std::fs::read_to_string(path) {
        Ok(text) => (text, ""),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), LOCK_HEADER),
        Err(e) => return Err(error(e.to_string())),
    };
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| error(format!("it is not TOML: {e}")))?;
    let key = registry.to_string();
    for one in pushed {
        let table = doc
            .entry(&one.image)
            .or_insert_with(toml_edit::table)
            .as_table_mut()
            .ok_or_else(|| error(format!("`{}` is not a table", one.image)))?;
        table.insert(&key, toml_edit::value(&one.pinned));
        // Without an SBOM pushed now, an older one recorded here would belong to another build.
        match one.sbom_pinned() {
            Some(sbom) => {
                table
                    .entry(SBOM_TABLE)
                    .or_insert_with(toml_edit::table)
                    .as_table_mut()
                    .ok_or_else(|| error(format!("`{}.{SBOM_TABLE}` is not a table", one.image)))?
                    .insert(&key, toml_edit::value(sbom));
            }
            None => {
                if let Some(sboms) = table.get_mut(SBOM_TABLE).and_then(|t| t.as_table_mut()) {
                    sboms.remove(&key);
                    if sboms.is_empty() {
                        table.remove(SBOM_TABLE);
                    }
                }
            }
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| error(e.to_string()))?;
    }
    let temp = path.with_extension("toml.partial");
    std::fs::write(&temp, format!("{header}{doc}")).map_err(|e| error(e.to_string()))?;
    std::fs::rename(&temp, path).map_err(|e| error(e.to_string()))
}

/// The image table's sub-table of SBOM artifacts. No registry is keyed `sbom`: a host without a
/// dot or port is a Docker Hub namespace to the engine, never a registry.
const SBOM_TABLE: &str = "sbom";

/// The digest the lock at `path` records for `image` at `registry`, if any.
pub fn recorded(path: &Path, registry: &Registry, image: &str) -> Option<String> {
    let doc: toml_edit::DocumentMut = std::fs::read_to_string(path).ok()?.parse().ok()?;
    doc.get(image)?
        .get(registry.to_string().as_str())?
        .as_str()
        .map(str::to_owned)
}

/// The SBOM artifact the lock at `path` records for `image` at `registry`, if any.
pub fn recorded_sbom(path: &Path, registry: &Registry, image: &str) -> Option<String> {
    let doc: toml_edit::DocumentMut = std::fs::read_to_string(path).ok()?.parse().ok()?;
    doc.get(image)?
        .get(SBOM_TABLE)?
        .get(registry.to_string().as_str())?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_is_a_host_with_an_optional_port_and_a_prefix() {
        let r: Registry = "127.0.0.1:5000/data/spark".parse().unwrap();
        assert_eq!(
            (r.host.as_str(), r.prefix.as_str()),
            ("127.0.0.1:5000", "data/spark")
        );
        assert_eq!(
            r.repository("spark-3.5.8:baseline"),
            (
                "127.0.0.1:5000/data/spark/spark-3.5.8".to_owned(),
                "baseline".to_owned()
            )
        );
        let bare: Registry = "registry.example.org".parse().unwrap();
        assert_eq!(
            bare.repository("jre-17:bookworm").0,
            "registry.example.org/jre-17"
        );
        for bad in [
            "",
            "/team",
            "host:port/team",
            "host/Team",
            "host/-x",
            "ho st/x",
        ] {
            assert!(bad.parse::<Registry>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn refusals_say_what_to_do() {
        let remote = "127.0.0.1:5000/t/a:1";
        assert!(
            hint("unauthorized: authentication required", remote)
                .contains("run `docker login 127.0.0.1:5000`")
        );
        assert!(
            hint("x509: certificate signed by unknown authority", remote)
                .contains("/etc/docker/certs.d/127.0.0.1:5000/ca.crt")
        );
        assert_eq!(hint("something else", remote), "");
        let text = describe_unready(&[
            ("a:1".into(), Freshness::Missing),
            ("b:1".into(), Freshness::Stale),
        ]);
        assert!(
            text.contains("a:1 is not built: run `cargo xtask images build a:1` first"),
            "{text}"
        );
        assert!(text.contains("b:1 is stale or over its budget"), "{text}");
    }

    #[test]
    fn the_lock_keeps_other_entries_and_replaces_an_images_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("images/digests.toml");
        let registry: Registry = "127.0.0.1:5000/t".parse().unwrap();
        let other: Registry = "registry.example.org/t".parse().unwrap();
        let pushed = |image: &str, digest: &str, r: &Registry| Pushed {
            image: image.into(),
            pinned: format!("{}@{digest}", r.repository(image).0),
            digest: digest.into(),
            layers_sent: 1,
            layers_present: 0,
            skipped: false,
            sbom: None,
            seconds: 0.0,
        };
        record(&path, &registry, &[pushed("a:1", "sha256:aa", &registry)]).unwrap();
        record(&path, &other, &[pushed("a:1", "sha256:bb", &other)]).unwrap();
        record(&path, &registry, &[pushed("a:1", "sha256:cc", &registry)]).unwrap();
        assert_eq!(
            recorded(&path, &registry, "a:1").as_deref(),
            Some("127.0.0.1:5000/t/a@sha256:cc")
        );
        assert_eq!(
            recorded(&path, &other, "a:1").as_deref(),
            Some("registry.example.org/t/a@sha256:bb")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# Written by `cargo xtask images push`"),
            "{text}"
        );
        assert!(!path.with_extension("toml.partial").exists());
    }

    #[test]
    fn the_lock_records_the_sbom_beside_the_image_and_forgets_it_when_none_went_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("digests.toml");
        let registry: Registry = "127.0.0.1:5000/t".parse().unwrap();
        let other: Registry = "registry.example.org/t".parse().unwrap();
        let pushed = |r: &Registry, sbom: Option<SbomPush>| Pushed {
            image: "a:1".into(),
            pinned: format!("{}@sha256:aa", r.repository("a:1").0),
            digest: "sha256:aa".into(),
            layers_sent: 1,
            layers_present: 0,
            skipped: false,
            sbom,
            seconds: 0.0,
        };
        let sent = SbomPush::Sent("sha256:5b".into());
        record(&path, &registry, &[pushed(&registry, Some(sent))]).unwrap();
        record(
            &path,
            &other,
            &[pushed(&other, Some(SbomPush::Present("sha256:5c".into())))],
        )
        .unwrap();
        assert_eq!(
            recorded_sbom(&path, &registry, "a:1").as_deref(),
            Some("127.0.0.1:5000/t/a@sha256:5b")
        );
        assert_eq!(
            recorded(&path, &registry, "a:1").as_deref(),
            Some("127.0.0.1:5000/t/a@sha256:aa")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(
                "[\"a:1\".sbom]\n\"127.0.0.1:5000/t\" = \"127.0.0.1:5000/t/a@sha256:5b\""
            ),
            "{text}"
        );

        let refused = SbomPush::NotAccepted("registry does not accept OCI artifacts: 400".into());
        record(&path, &registry, &[pushed(&registry, Some(refused))]).unwrap();
        assert_eq!(recorded_sbom(&path, &registry, "a:1"), None);
        assert!(recorded_sbom(&path, &other, "a:1").is_some());
        record(&path, &other, &[pushed(&other, None)]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("sbom"), "{text}");
        assert!(recorded(&path, &other, "a:1").is_some());
    }

    #[test]
    fn credentials_come_from_auths_and_none_is_anonymous() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(credentials(dir.path(), "127.0.0.1:5000").unwrap(), None);
        // base64("alice:secret")
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths": {"127.0.0.1:5000": {"auth": "YWxpY2U6c2VjcmV0"}}}"#,
        )
        .unwrap();
        let found = credentials(dir.path(), "127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(
            (found.username.as_deref(), found.password.as_deref()),
            (Some("alice"), Some("secret"))
        );
        assert_eq!(credentials(dir.path(), "other:5000").unwrap(), None);
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"credHelpers": {"127.0.0.1:5000": "image-dsl-missing-helper"}}"#,
        )
        .unwrap();
        let err = credentials(dir.path(), "127.0.0.1:5000")
            .unwrap_err()
            .to_string();
        assert!(err.contains("credential helper could not be run"), "{err}");
        assert!(err.contains("docker login 127.0.0.1:5000"), "{err}");
    }
}
