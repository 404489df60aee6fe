//! Connecting to the Docker Engine: `DOCKER_HOST` (`unix://`, `tcp://`) or the local socket,
//! API version negotiation, and a ping bounded in time so a missing daemon fails fast.

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
/// version and pings it; errors within [`PING_TIMEOUT`] when no daemon answers.
pub async fn connect(explicit: Option<&str>) -> Result<Docker, ClientError> {
    let host = resolve_host(explicit);
    let docker = open(&host)?;
    // Negotiating asks the engine its version: an answer is the proof it is there, so no
    // separate ping (each round trip is a few ms of a no-op build).
    let negotiated = docker.negotiate_version();
    match tokio::time::timeout(PING_TIMEOUT, negotiated).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(err)) => Err(ClientError::Unreachable {
            host,
            cause: err.to_string(),
        }),
        Err(_) => Err(ClientError::Timeout { host }),
    }
}

/// Builds the transport for `host` without talking to it yet.
fn open(host: &str) -> Result<Docker, ClientError> {
    let unreachable = |err: bollard::errors::Error| ClientError::Unreachable {
        host: host.to_owned(),
        cause: err.to_string(),
    };
    if let Some(path) = host.strip_prefix("unix://") {
        Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
            .map_err(unreachable)
    } else if host.starts_with("tcp://") || host.starts_with("http://") {
        Docker::connect_with_http(host, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
            .map_err(unreachable)
    } else if host.starts_with('/') {
        Docker::connect_with_unix(host, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
            .map_err(unreachable)
    } else {
        Err(ClientError::UnsupportedHost {
            host: host.to_owned(),
        })
    }
}
