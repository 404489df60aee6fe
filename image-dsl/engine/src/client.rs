//! Connecting to the Docker Engine: `DOCKER_HOST` (`unix://`, `tcp://`) or the local socket,
//! API version negotiation (remembered per daemon), and a ping bounded in time so a missing
//! daemon fails fast.

use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};

/// Where the engine is looked for when neither an explicit host nor `DOCKER_HOST` is given.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How long the version negotiation and the ping may take before the daemon counts as absent.
pub const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one engine request may wait for its response headers (builds stream after that).
const REQUEST_TIMEOUT_SECS: u64 = 600;

/// The fix printed with every connection error.
const HOW_TO_START: &str = "start one with `apt-get install -y docker.io && dockerd &` \
     (or run `.ci/run`), or set DOCKER_HOST to a running daemon";

/// Why no engine could be used.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The host's scheme is not one the engine client speaks.
    #[error(
        "DOCKER_HOST `{host}` is not supported: use unix:///path/to/docker.sock or tcp://host:port"
    )]
    UnsupportedHost {
        /// The host as given.
        host: String,
    },
    /// Nothing answered at the host.
    #[error("no Docker daemon answers at {host}: {cause}; {HOW_TO_START}")]
    Unreachable {
        /// The host that was tried.
        host: String,
        /// What went wrong, in the transport's words.
        cause: String,
    },
    /// The daemon did not answer within [`PING_TIMEOUT`].
    #[error("the Docker daemon at {host} did not answer within {}s; {HOW_TO_START}", PING_TIMEOUT.as_secs())]
    Timeout {
        /// The host that was tried.
        host: String,
    },
}

/// The host to connect to: the explicit one, else `DOCKER_HOST`, else [`DEFAULT_HOST`].
pub fn resolve_host(explicit: Option<&str>) -> String {
    explicit
        .map(str::to_owned)
        .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| DEFAULT_HOST.to_owned())
}

/// Connects to the engine at `explicit` (or `DOCKER_HOST`, or the local socket), negotiates the API
/// version and proves the daemon answers; errors within [`PING_TIMEOUT`] when none does.
///
/// Negotiating asks the engine's `/version`, which takes several milliseconds (the daemon asks
/// containerd); a no-op build has little else to do. For a unix socket the negotiated version is
/// kept beside the socket's identity (inode and modification time, which a restarted daemon
/// renews), so later runs only ping.
pub async fn connect(explicit: Option<&str>) -> Result<Docker, ClientError> {
    let host = resolve_host(explicit);
    let failed = |err: bollard::errors::Error| ClientError::Unreachable {
        host: host.clone(),
        cause: err.to_string(),
    };
    let remembered = remembered_api(&host);
    let connected = async {
        if let Some(api) = &remembered {
            let docker = open(&host, api)?;
            docker.ping().await.map_err(failed)?;
            return Ok(docker);
        }
        let docker = open(&host, API_DEFAULT_VERSION)?
            .negotiate_version()
            .await
            .map_err(failed)?;
        remember_api(&host, &docker.client_version());
        Ok(docker)
    };
    match tokio::time::timeout(PING_TIMEOUT, connected).await {
        Ok(result) => result,
        Err(_) => Err(ClientError::Timeout { host }),
    }
}

/// Where the API version negotiated with the daemon behind the unix socket of `host` is kept,
/// named after the socket's path, inode and modification time; `None` for other hosts.
fn api_memo(host: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::MetadataExt as _;
    let path = host.strip_prefix("unix://").unwrap_or(host);
    if !path.starts_with('/') {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    let identity = format!(
        "{path}\n{}\n{}.{}",
        meta.ino(),
        meta.mtime(),
        meta.mtime_nsec()
    );
    let digest = sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(identity));
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    Some(std::env::temp_dir().join(format!("image-dsl-engine-api-{name}")))
}

fn remembered_api(host: &str) -> Option<bollard::ClientVersion> {
    let text = std::fs::read_to_string(api_memo(host)?).ok()?;
    let (major, minor) = text.trim().split_once('.')?;
    Some(bollard::ClientVersion {
        major_version: major.parse().ok()?,
        minor_version: minor.parse().ok()?,
    })
}

fn remember_api(host: &str, api: &bollard::ClientVersion) {
    let Some(path) = api_memo(host) else { return };
    let Ok(mut file) = tempfile::NamedTempFile::new_in(std::env::temp_dir()) else {
        return;
    };
    let text = format!("{}.{}\n", api.major_version, api.minor_version);
    if std::io::Write::write_all(&mut file, text.as_bytes()).is_ok() {
        let _ = file.persist(path);
    }
}

/// Builds the transport for `host`, speaking API `version`, without talking to it yet.
fn open(host: &str, version: &bollard::ClientVersion) -> Result<Docker, ClientError> {
    let unreachable = |err: bollard::errors::Error| ClientError::Unreachable {
        host: host.to_owned(),
        cause: err.to_string(),
    };
    if let Some(path) = host.strip_prefix("unix://") {
        Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, version).map_err(unreachable)
    } else if host.starts_with("tcp://") || host.starts_with("http://") {
        Docker::connect_with_http(host, REQUEST_TIMEOUT_SECS, version).map_err(unreachable)
    } else if host.starts_with('/') {
        Docker::connect_with_unix(host, REQUEST_TIMEOUT_SECS, version).map_err(unreachable)
    } else {
        Err(ClientError::UnsupportedHost {
            host: host.to_owned(),
        })
    }
}
