//! An image's SBOM as an OCI 1.1 artifact that refers to the pushed image: an image manifest
//! with `artifactType: application/vnd.cyclonedx+json`, the empty config, the SBOM as its one
//! layer and the image's manifest as its `subject`. It goes up with `oci-client` (the engine
//! pushes images only), under the same credentials, CA and plain-HTTP rule as the engine's push.
//!
//! A registry with the referrers API (OCI distribution 1.1) indexes the artifact by its
//! `subject`. For those without it, such as `registry` 2.8, the artifact is listed where the
//! spec's referrers tag schema looks: an image index tagged `sha256-<hex of the image digest>`,
//! read, extended and written back, other tools' entries kept. That index is written on every
//! registry: oci-client does not show whether the registry took the `subject` (its `OCI-Subject`
//! header), and where the API exists the tag is merely redundant. A second push of the same SBOM
//! for the same image finds the artifact and its index entry there and sends nothing.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use bollard::auth::DockerCredentials;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, ImageIndexEntry,
    OCI_IMAGE_INDEX_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageIndex,
    OciImageManifest,
};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sha2::{Digest as _, Sha256};

use super::sbom::Sbom;

/// The artifact type, and the layer's media type, of a CycloneDX JSON SBOM.
pub const CYCLONEDX_JSON: &str = "application/vnd.cyclonedx+json";
/// The OCI empty descriptor's media type: the config of an artifact that has none.
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// The OCI empty descriptor's content.
const EMPTY_CONFIG: &[u8] = b"{}";
/// Where the engine takes a registry's private CA from, and so do we.
const CERTS_D: &str = "/etc/docker/certs.d";
/// How long one registry call may take, connection included.
pub const REGISTRY_CALL: Duration = Duration::from_secs(120);
/// How long connecting to the registry may take.
const CONNECT: Duration = Duration::from_secs(15);
/// How long a response may go without a byte.
const READ: Duration = Duration::from_secs(60);

/// What became of an image's SBOM at the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SbomPush {
    /// The artifact was sent: its manifest's digest.
    Sent(String),
    /// The registry already had this very artifact, listed as the image's referrer: nothing was
    /// sent. Its manifest's digest.
    Present(String),
    /// The registry refused the artifact: the image is pushed, its SBOM is not. The warning.
    NotAccepted(String),
}

impl SbomPush {
    /// The artifact manifest's digest, when the registry holds it.
    pub fn digest(&self) -> Option<&str> {
        match self {
            SbomPush::Sent(digest) | SbomPush::Present(digest) => Some(digest),
            SbomPush::NotAccepted(_) => None,
        }
    }
}

/// Where an SBOM push stopped: the step and the registry's or the connection's words.
#[derive(Debug)]
pub(crate) struct Failure {
    /// `read the pushed manifest from`, `send the SBOM to`, …
    pub step: &'static str,
    /// What went wrong, with its causes.
    pub message: String,
}

/// A client for one registry host, with its credentials.
pub(crate) struct Referrers {
    client: Client,
    /// `HOST[:PORT]`.
    host: String,
    auth: RegistryAuth,
}

impl Referrers {
    /// A client for `host` (`HOST[:PORT]`): plain HTTP where the engine allows it by default
    /// (loopback), otherwise HTTPS trusting the CAs in `/etc/docker/certs.d/HOST/` as the engine
    /// does. The credentials are those of the image push.
    pub fn new(host: &str, credentials: Option<&DockerCredentials>) -> Result<Referrers, String> {
        let config = ClientConfig {
            protocol: if insecure_by_default(host) {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            extra_root_certificates: certs_d(&Path::new(CERTS_D).join(host))?,
            connect_timeout: Some(CONNECT),
            read_timeout: Some(READ),
            ..ClientConfig::default()
        };
        let client = Client::try_from(config).map_err(|e| chain(&e))?;
        Ok(Referrers {
            client,
            host: host.to_owned(),
            auth: registry_auth(credentials),
        })
    }

    /// Pushes `sbom` as the referrer of the manifest `image_digest` in `repository`
    /// (`PREFIX/NAME` on this host), unless the registry already has it.
    pub async fn push(
        &self,
        repository: &str,
        image_digest: &str,
        sbom: &Sbom,
    ) -> Result<SbomPush, Failure> {
        let host = &self.host;
        let at = |reference: &str| {
            if reference.contains(':') {
                Reference::with_digest(host.clone(), repository.to_owned(), reference.into())
            } else {
                Reference::with_tag(host.clone(), repository.to_owned(), reference.into())
            }
        };
        self.client.store_auth_if_needed(host, &self.auth).await;
        let subject = self.subject(&at(image_digest)).await?;
        let manifest = artifact_manifest(&sbom.file_name, &sbom.bytes, subject);
        let body = serde_json::to_vec(&manifest).map_err(|e| Failure {
            step: "write the SBOM manifest for",
            message: e.to_string(),
        })?;
        let digest = sha256(&body);
        let artifact = at(&digest);
        let tag = at(&image_digest.replace(':', "-"));

        let index = self.referrers_index(&tag).await?;
        let listed = index
            .as_ref()
            .is_some_and(|i| i.manifests.iter().any(|m| m.digest == digest));
        let present = match call(
            "look for the SBOM in",
            self.client.fetch_manifest_digest(&artifact, &self.auth),
        )
        .await
        {
            Ok(found) => found == digest,
            Err(failure) if failure.not_found => false,
            Err(failure) => return Err(failure.into()),
        };
        if present && listed {
            return Ok(SbomPush::Present(digest));
        }
        if !present && let Some(refusal) = self.send(&artifact, &manifest, &body, sbom).await? {
            return Ok(SbomPush::NotAccepted(refusal));
        }
        if !listed {
            let entry = ImageIndexEntry {
                media_type: OCI_IMAGE_MEDIA_TYPE.to_owned(),
                digest: digest.clone(),
                size: body.len() as i64,
                platform: None,
                annotations: None,
                artifact_type: Some(CYCLONEDX_JSON.to_owned()),
            };
            if let Some(refusal) = self.list(&tag, index, entry).await? {
                return Ok(SbomPush::NotAccepted(refusal));
            }
        }
        Ok(SbomPush::Sent(digest))
    }

    /// The descriptor of the manifest `image` as the registry serves it.
    async fn subject(&self, image: &Reference) -> Result<OciDescriptor, Failure> {
        let (body, digest) = call(
            "read the pushed manifest from",
            self.client.pull_manifest_raw(
                image,
                &self.auth,
                &[
                    IMAGE_MANIFEST_MEDIA_TYPE,
                    OCI_IMAGE_MEDIA_TYPE,
                    IMAGE_MANIFEST_LIST_MEDIA_TYPE,
                    OCI_IMAGE_INDEX_MEDIA_TYPE,
                ],
            ),
        )
        .await?;
        Ok(OciDescriptor {
            media_type: manifest_media_type(&body),
            digest,
            size: body.len() as i64,
            ..OciDescriptor::default()
        })
    }

    /// Sends the blobs the registry lacks, then the artifact `manifest` (serialized as `body`);
    /// the warning when the registry refuses the manifest.
    async fn send(
        &self,
        artifact: &Reference,
        manifest: &OciImageManifest,
        body: &[u8],
        sbom: &Sbom,
    ) -> Result<Option<String>, Failure> {
        for (data, blob) in [
            (EMPTY_CONFIG, &manifest.config),
            (&sbom.bytes[..], &manifest.layers[0]),
        ] {
            let there = call(
                "look for the SBOM's blobs in",
                self.client.blob_exists(artifact, &blob.digest),
            )
            .await?;
            if !there {
                call(
                    "send the SBOM to",
                    self.client.push_blob(artifact, data.to_vec(), &blob.digest),
                )
                .await?;
            }
        }
        let pushed = call(
            "send the SBOM manifest to",
            self.client.push_manifest_raw(
                artifact,
                body.to_vec(),
                OCI_IMAGE_MEDIA_TYPE.parse().expect("a header value"),
            ),
        )
        .await;
        match refused(&pushed) {
            Some(refusal) => Ok(Some(refusal)),
            None => pushed.map(|_| None).map_err(Failure::from),
        }
    }

    /// Adds `entry` to the referrers `index` (a new one when `None`) under the tag schema's
    /// `tag`; the warning when the registry refuses the index.
    async fn list(
        &self,
        tag: &Reference,
        index: Option<OciImageIndex>,
        entry: ImageIndexEntry,
    ) -> Result<Option<String>, Failure> {
        let mut index = index.unwrap_or_else(empty_index);
        index.manifests.push(entry);
        let body = serde_json::to_vec(&index).map_err(|e| Failure {
            step: "write the referrers index for",
            message: e.to_string(),
        })?;
        let pushed = call(
            "send the referrers index to",
            self.client.push_manifest_raw(
                tag,
                body,
                OCI_IMAGE_INDEX_MEDIA_TYPE.parse().expect("a header value"),
            ),
        )
        .await;
        match refused(&pushed) {
            Some(refusal) => Ok(Some(refusal)),
            None => pushed.map(|_| None).map_err(Failure::from),
        }
    }

    /// The referrers index under the tag schema's `tag`, `None` when there is none yet.
    async fn referrers_index(&self, tag: &Reference) -> Result<Option<OciImageIndex>, Failure> {
        let (body, _) = match call(
            "read the referrers index from",
            self.client
                .pull_manifest_raw(tag, &self.auth, &[OCI_IMAGE_INDEX_MEDIA_TYPE]),
        )
        .await
        {
            Ok(found) => found,
            Err(failure) if failure.not_found => return Ok(None),
            Err(failure) => return Err(failure.into()),
        };
        let media_type = manifest_media_type(&body);
        if media_type != OCI_IMAGE_INDEX_MEDIA_TYPE {
            return Err(Failure {
                step: "read the referrers index from",
                message: format!(
                    "the tag {} holds a {media_type}, not the image index the OCI referrers tag schema puts there; remove that tag",
                    tag.tag().unwrap_or_default()
                ),
            });
        }
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| Failure {
                step: "read the referrers index from",
                message: format!("it is not an OCI image index: {e}"),
            })
    }
}

/// The artifact manifest of `sbom` referring to `subject`. Serialized with serde_json, its bytes
/// (and so its digest) depend on nothing else: the same SBOM for the same image is the same
/// artifact.
fn artifact_manifest(file_name: &str, sbom: &[u8], subject: OciDescriptor) -> OciImageManifest {
    OciImageManifest {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_MEDIA_TYPE.to_owned()),
        artifact_type: Some(CYCLONEDX_JSON.to_owned()),
        config: OciDescriptor {
            media_type: EMPTY_MEDIA_TYPE.to_owned(),
            digest: sha256(EMPTY_CONFIG),
            size: EMPTY_CONFIG.len() as i64,
            ..OciDescriptor::default()
        },
        layers: vec![OciDescriptor {
            media_type: CYCLONEDX_JSON.to_owned(),
            digest: sha256(sbom),
            size: sbom.len() as i64,
            // The name `oras pull` and similar tools save the layer as.
            annotations: Some(BTreeMap::from([(
                "org.opencontainers.image.title".to_owned(),
                file_name.to_owned(),
            )])),
            ..OciDescriptor::default()
        }],
        subject: Some(subject),
        annotations: None,
    }
}

fn empty_index() -> OciImageIndex {
    OciImageIndex {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_INDEX_MEDIA_TYPE.to_owned()),
        manifests: Vec::new(),
        artifact_type: None,
        annotations: None,
    }
}

/// A manifest's own `mediaType`; without one (it is optional in OCI) an index has `manifests`.
fn manifest_media_type(body: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    match json["mediaType"].as_str() {
        Some(media_type) => media_type.to_owned(),
        None if json.get("manifests").is_some() => OCI_IMAGE_INDEX_MEDIA_TYPE.to_owned(),
        None => OCI_IMAGE_MEDIA_TYPE.to_owned(),
    }
}

fn sha256(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut text = String::with_capacity(71);
    text.push_str("sha256:");
    for byte in hash {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// The engine's default insecure registries: loopback addresses (`127.0.0.0/8`, `::1`) and
/// `localhost`, with any port.
pub fn insecure_by_default(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The CA certificates (`*.crt`) in the engine's directory for one registry, as it reads them.
fn certs_d(dir: &Path) -> Result<Vec<Certificate>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("reading {}: {e}", dir.display())),
    };
    let mut certificates = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "crt") {
            let data =
                std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            certificates.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data,
            });
        }
    }
    Ok(certificates)
}

/// The image push's credentials as oci-client takes them. An identity token (a refresh token
/// from `docker login` with a token service) goes as the password of the user `<token>`, the
/// form credential helpers give it in: oci-client cannot trade it for an access token itself.
fn registry_auth(credentials: Option<&DockerCredentials>) -> RegistryAuth {
    match credentials {
        Some(DockerCredentials {
            username: Some(user),
            password: Some(password),
            ..
        }) => RegistryAuth::Basic(user.clone(), password.clone()),
        Some(DockerCredentials {
            identitytoken: Some(token),
            ..
        }) => RegistryAuth::Basic("<token>".to_owned(), token.clone()),
        _ => RegistryAuth::Anonymous,
    }
}

/// A registry call that failed: the step, the words, and whether it was a plain "not there".
struct CallFailure {
    step: &'static str,
    message: String,
    not_found: bool,
    /// The HTTP status, when the registry answered.
    status: Option<u16>,
}

impl From<CallFailure> for Failure {
    fn from(failure: CallFailure) -> Failure {
        Failure {
            step: failure.step,
            message: failure.message,
        }
    }
}

/// Runs one registry call within [`REGISTRY_CALL`].
async fn call<T>(
    step: &'static str,
    future: impl Future<Output = oci_client::errors::Result<T>>,
) -> Result<T, CallFailure> {
    match tokio::time::timeout(REGISTRY_CALL, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(CallFailure {
            step,
            not_found: is_not_found(&e),
            status: status(&e),
            message: describe(&e),
        }),
        Err(_) => Err(CallFailure {
            step,
            message: format!("no answer within {} s", REGISTRY_CALL.as_secs()),
            not_found: false,
            status: None,
        }),
    }
}

/// The warning for a registry that refused an artifact it does not understand: a client error
/// other than the credentials' (401, 403) or a rate limit (429). Old registries answer a manifest
/// with a `subject` or an unknown config type with 400 `MANIFEST_INVALID` or 415.
fn refused<T>(result: &Result<T, CallFailure>) -> Option<String> {
    let failure = result.as_ref().err()?;
    let status = failure.status?;
    ((400..500).contains(&status) && ![401, 403, 429].contains(&status)).then(|| {
        format!(
            "registry does not accept OCI artifacts: {}",
            failure.message
        )
    })
}

fn is_not_found(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ServerError { code, .. } => *code == 404,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().all(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown | OciErrorCode::NotFound
            )
        }),
        _ => false,
    }
}

fn status(e: &OciDistributionError) -> Option<u16> {
    match e {
        OciDistributionError::ServerError { code, .. } => Some(*code),
        OciDistributionError::UnauthorizedError { .. } => Some(401),
        _ => None,
    }
}

/// What the registry said: its status and body, or the error with its causes.
fn describe(e: &OciDistributionError) -> String {
    match e {
        OciDistributionError::ServerError { code, message, .. } => {
            format!("{code} {}", message.trim())
        }
        other => chain(other),
    }
}

/// An error with its causes: reqwest's own words stop at "error sending request".
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let words = cause.to_string();
        if !text.contains(&words) {
            text.push_str(": ");
            text.push_str(&words);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_localhost_are_plain_http_like_the_engine() {
        for host in [
            "127.0.0.1:5000",
            "127.1.2.3",
            "localhost:5000",
            "[::1]:5000",
        ] {
            assert!(insecure_by_default(host), "{host}");
        }
        for host in ["172.17.0.1:5000", "registry.example.org", "10.0.0.1:443"] {
            assert!(!insecure_by_default(host), "{host}");
        }
    }

    #[test]
    fn the_artifact_refers_to_its_subject_and_depends_only_on_its_inputs() {
        let subject = OciDescriptor {
            media_type: IMAGE_MANIFEST_MEDIA_TYPE.to_owned(),
            digest: format!("sha256:{}", "a".repeat(64)),
            size: 1234,
            ..OciDescriptor::default()
        };
        let manifest = artifact_manifest("a_1.cdx.json", b"{\"bomFormat\":1}", subject.clone());
        let json: serde_json::Value = serde_json::to_value(&manifest).unwrap();
        assert_eq!(json["artifactType"], CYCLONEDX_JSON);
        assert_eq!(json["config"]["mediaType"], EMPTY_MEDIA_TYPE);
        // The OCI empty descriptor's well-known digest.
        assert_eq!(
            json["config"]["digest"],
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(json["layers"][0]["mediaType"], CYCLONEDX_JSON);
        assert_eq!(json["layers"][0]["size"], 15);
        assert_eq!(json["subject"]["digest"], subject.digest);
        assert_eq!(json["subject"]["size"], 1234);
        let again = artifact_manifest("a_1.cdx.json", b"{\"bomFormat\":1}", subject);
        assert_eq!(
            serde_json::to_vec(&manifest).unwrap(),
            serde_json::to_vec(&again).unwrap()
        );
    }

    #[test]
    fn credentials_map_to_basic_or_anonymous() {
        let basic = DockerCredentials {
            username: Some("alice".into()),
            password: Some("secret".into()),
            ..Default::default()
        };
        assert_eq!(
            registry_auth(Some(&basic)),
            RegistryAuth::Basic("alice".into(), "secret".into())
        );
        let token = DockerCredentials {
            identitytoken: Some("t0k".into()),
            ..Default::default()
        };
        assert_eq!(
            registry_auth(Some(&token)),
            RegistryAuth::Basic("<token>".into(), "t0k".into())
        );
        assert_eq!(registry_auth(None), RegistryAuth::Anonymous);
    }

    #[test]
    fn a_client_error_on_the_manifest_is_a_refusal_but_credentials_are_not() {
        let failed = |status| -> Result<(), CallFailure> {
            Err(CallFailure {
                step: "send the SBOM manifest to",
                message: format!("Server error: code: {status}"),
                not_found: false,
                status: Some(status),
            })
        };
        assert!(
            refused(&failed(400))
                .unwrap()
                .starts_with("registry does not accept OCI artifacts: ")
        );
        assert!(refused(&failed(415)).is_some());
        assert!(refused(&failed(401)).is_none());
        assert!(refused(&failed(500)).is_none());
    }

    /// A registry from before OCI artifacts, on loopback: it serves the manifest `subject`, has
    /// every blob, knows no other manifest and refuses every manifest put with 400
    /// `MANIFEST_INVALID`. One request per connection.
    fn old_registry(subject: &'static [u8]) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let host = listener.local_addr().expect("address").to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let _ = answer(stream, subject);
            }
        });
        host
    }

    fn answer(mut stream: std::net::TcpStream, subject: &[u8]) -> std::io::Result<()> {
        use std::io::{BufRead as _, Read as _, Write as _};
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = std::io::BufReader::new(stream.try_clone()?);
        let (mut head, mut line) = (String::new(), String::new());
        while reader.read_line(&mut line)? > 2 {
            head.push_str(&std::mem::take(&mut line));
        }
        let length = head
            .lines()
            .find_map(|l| {
                let l = l.to_ascii_lowercase();
                l.strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap_or(0))
            })
            .unwrap_or(0);
        reader.read_exact(&mut vec![0; length])?;
        let mut words = head.split_whitespace();
        let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let unknown = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
        let (status, headers, body): (&str, String, &[u8]) = match method {
            "GET" if path == "/v2/" => ("200 OK", String::new(), b"{}"),
            "GET" if path == format!("/v2/t/a/manifests/{}", sha256(subject)) => (
                "200 OK",
                format!(
                    "Content-Type: {IMAGE_MANIFEST_MEDIA_TYPE}\r\nDocker-Content-Digest: {}\r\n",
                    sha256(subject)
                ),
                subject,
            ),
            "HEAD" if path.contains("/blobs/") => ("200 OK", String::new(), b""),
            "PUT" if path.contains("/manifests/") => (
                "400 Bad Request",
                String::new(),
                br#"{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]}"#,
            ),
            _ => ("404 Not Found", String::new(), unknown),
        };
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
            body.len()
        )?;
        if method != "HEAD" {
            stream.write_all(body)?;
        }
        stream.flush()
    }

    #[tokio::test]
    async fn a_registry_that_refuses_the_artifact_gets_a_warning_not_a_failure() {
        let subject: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#;
        let host = old_registry(subject);
        let referrers = Referrers::new(&host, None).expect("a client");
        let sbom = Sbom {
            file_name: "a_1.cdx.json".into(),
            bytes: br#"{"bomFormat":"CycloneDX"}"#.to_vec(),
        };
        let pushed = referrers
            .push("t/a", &sha256(subject), &sbom)
            .await
            .unwrap_or_else(|f| panic!("{}: {}", f.step, f.message));
        let SbomPush::NotAccepted(warning) = pushed else {
            panic!("{pushed:?}")
        };
        assert!(
            warning.starts_with("registry does not accept OCI artifacts: 400 ")
                && warning.contains("MANIFEST_INVALID"),
            "{warning}"
        );
    }
}
