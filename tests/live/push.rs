//! `images push` against a real registry on this host: Debian's `docker-registry` 2.8 (which
//! `.ci/run` installs), started by each test with its own storage, port and settings. Plain HTTP
//! on loopback (which the engine allows by default), htpasswd with a wrong password and then the
//! Docker config's and a credential helper's, and TLS with a CA the test makes (on the bridge
//! address, where the engine verifies certificates). Pushed images are pulled back after the
//! local ones are removed, and run; a second push sends nothing. Each image's SBOM goes up as an
//! OCI artifact referring to it, found where the referrers tag schema says and byte for byte the
//! file; an image whose SBOM is missing or of another build is refused.

use std::collections::BTreeMap;
use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use image_dsl_cli::engine::push::{self, PushError, Pushed, Registry, SbomPush};
use image_dsl_cli::engine::{BuildOptions, BuildSpec, build_all};

use crate::support::{Cleanup, docker, fixture, options, unique};

/// Debian's registry binary (`apt-get install docker-registry`).
const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// A registry process serving `dir/data` on `ip:port`; killed when dropped.
struct LocalRegistry {
    child: Child,
    dir: tempfile::TempDir,
    /// `IP:PORT`.
    host: String,
    tls: bool,
    auth: Option<(String, String)>,
}

impl LocalRegistry {
    /// Starts a registry on a free port of `ip`, with htpasswd `auth` and a TLS certificate and
    /// key (PEM) when given, and waits until it accepts connections.
    fn start(ip: IpAddr, auth: Option<(&str, &str)>, tls: Option<(&str, &str)>) -> LocalRegistry {
        assert!(
            Path::new(REGISTRY_BIN).exists(),
            "{REGISTRY_BIN} is missing: `apt-get install docker-registry` (.ci/run does)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let port = TcpListener::bind((ip, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let host = match ip {
            IpAddr::V4(v4) => format!("{v4}:{port}"),
            IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        };
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {host}\n  secret: image-dsl-test\n",
            dir.path().join("data").display()
        );
        if let Some((cert, key)) = tls {
            std::fs::write(dir.path().join("cert.pem"), cert).expect("write cert");
            std::fs::write(dir.path().join("key.pem"), key).expect("write key");
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                dir.path().join("cert.pem").display(),
                dir.path().join("key.pem").display()
            ));
        }
        if let Some((user, password)) = auth {
            let hash = bcrypt::hash(password, 5).expect("bcrypt");
            std::fs::write(dir.path().join("htpasswd"), format!("{user}:{hash}\n"))
                .expect("write htpasswd");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: image-dsl-test\n    path: {}\n",
                dir.path().join("htpasswd").display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write config");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("log");
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {REGISTRY_BIN}: {e}"));
        let registry = LocalRegistry {
            child,
            dir,
            host,
            tls: tls.is_some(),
            auth: auth.map(|(u, p)| (u.to_owned(), p.to_owned())),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect_timeout(
            &registry.host.parse().expect("socket address"),
            Duration::from_millis(200),
        )
        .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "the registry did not listen on {} within 15 s:\n{}",
                registry.host,
                registry.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    fn target(&self, prefix: &str) -> Registry {
        format!("{}/{prefix}", self.host).parse().expect("registry")
    }

    /// `GET /v2/PATH` with the registry's credentials, asked directly, not through the engine:
    /// the body, which must be there.
    async fn get(&self, path: &str, accept: &str, ca: Option<&str>) -> Vec<u8> {
        let mut client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10));
        if let Some(ca) = ca {
            client =
                client.tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).expect("CA")]);
        }
        let scheme = if self.tls { "https" } else { "http" };
        let mut request = client
            .build()
            .expect("client")
            .get(format!("{scheme}://{}/v2/{path}", self.host))
            .header("Accept", accept);
        if let Some((user, password)) = &self.auth {
            request = request.basic_auth(user, Some(password));
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET /v2/{path}: {e}"));
        assert!(
            response.status().is_success(),
            "GET /v2/{path}: {response:?}"
        );
        response.bytes().await.expect("body").to_vec()
    }

    /// [`LocalRegistry::get`] of a JSON document.
    async fn get_json(&self, path: &str, accept: &str, ca: Option<&str>) -> serde_json::Value {
        serde_json::from_slice(&self.get(path, accept, ca).await).expect("JSON")
    }

    /// How many requests that write (`PUT`, `POST`, `PATCH`, `DELETE`) the registry has
    /// answered, from its access log.
    fn writes(&self) -> usize {
        self.log()
            .lines()
            .filter(|line| {
                ["\"PUT /v2/", "\"POST /v2/", "\"PATCH /v2/", "\"DELETE /v2/"]
                    .iter()
                    .any(|method| line.contains(method))
            })
            .count()
    }

    /// The repositories the registry holds (`GET /v2/_catalog`), asked directly, not through
    /// the engine.
    async fn catalog(&self, ca: Option<&str>) -> Vec<String> {
        let body = self.get_json("_catalog", "application/json", ca).await;
        body["repositories"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two small images, the second built on the first, with contents of their own (so no other
/// test's image shares their IDs): `(specs, [first, second], contents)`.
fn two_images(name: &str) -> (Vec<BuildSpec>, [String; 2], String) {
    let tag = unique(name);
    let first = format!("image-dsl-test/{name}-a:{tag}");
    let second = format!("image-dsl-test/{name}-b:{tag}");
    let mut child = fixture(&second, "");
    child.dockerfile = format!(
        "FROM {first}\nRUN echo 'second {tag}' > /pushed-b\nUSER 10001\nCMD [\"cat\", \"/pushed-a\", \"/pushed-b\"]\n"
    );
    child.parents = vec![first.clone()];
    let specs = vec![
        fixture(&first, &format!("RUN echo 'first {tag}' > /pushed-a\n")),
        child,
    ];
    (
        specs,
        [first, second],
        format!("first {tag}\nsecond {tag}\n"),
    )
}

async fn build(specs: &[BuildSpec]) {
    let report = build_all(specs.to_vec(), &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.success(), "{}", report.summary_table());
}

/// The SBOM of each of `specs` (built already) in `dir`, written by the build itself: a run
/// with `dir` as its SBOM directory finds them up to date and writes each one's SBOM.
/// Returns each image's SBOM file.
async fn write_sboms(specs: &[BuildSpec], dir: &Path) -> BTreeMap<String, PathBuf> {
    let report = build_all(specs.to_vec(), &options_with_sboms(dir))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.success(), "{report}");
    specs
        .iter()
        .map(|spec| {
            let path = dir.join(spec.sbom_file_name());
            assert!(path.is_file(), "the build wrote no {}", path.display());
            (spec.reference.clone(), path)
        })
        .collect()
}

/// [`options`] reading the SBOMs from `dir`.
fn options_with_sboms(dir: &Path) -> BuildOptions {
    let mut opts = options();
    opts.sbom_dir = Some(dir.to_owned());
    opts
}

/// The SBOM artifact of `pushed` as the registry serves it, checked against what it must be: the
/// referrers tag schema's index (`NAME:sha256-<hex>`) lists it, its manifest refers to the
/// pushed image's manifest, its layer is `sbom` byte for byte, and oci-client's referrers
/// reader finds it. Returns the artifact's digest.
async fn check_sbom_artifact(
    registry: &LocalRegistry,
    target: &Registry,
    pushed: &Pushed,
    sbom: &Path,
    ca: Option<&str>,
) -> String {
    const CYCLONEDX: &str = "application/vnd.cyclonedx+json";
    const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    let artifact = pushed
        .sbom
        .as_ref()
        .and_then(SbomPush::digest)
        .unwrap_or_else(|| panic!("no SBOM artifact: {pushed:?}"))
        .to_owned();
    let (repository, _) = target.repository(&pushed.image);
    let name = repository
        .strip_prefix(&format!("{}/", registry.host))
        .expect("the registry's repository");

    let tag = pushed.digest.replace(':', "-");
    let index = registry
        .get_json(&format!("{name}/manifests/{tag}"), OCI_INDEX, ca)
        .await;
    assert_eq!(index["mediaType"], OCI_INDEX, "{index:#}");
    let entry = index["manifests"]
        .as_array()
        .and_then(|m| m.iter().find(|e| e["digest"] == artifact.as_str()))
        .unwrap_or_else(|| panic!("{name}:{tag} does not list {artifact}: {index:#}"));
    assert_eq!(entry["artifactType"], CYCLONEDX, "{index:#}");
    assert_eq!(entry["mediaType"], OCI_MANIFEST, "{index:#}");

    let manifest = registry
        .get_json(&format!("{name}/manifests/{artifact}"), OCI_MANIFEST, ca)
        .await;
    assert_eq!(manifest["artifactType"], CYCLONEDX, "{manifest:#}");
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    assert_eq!(manifest["subject"]["digest"], pushed.digest.as_str());
    let image_manifest = registry
        .get(
            &format!("{name}/manifests/{}", pushed.digest),
            "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
            ca,
        )
        .await;
    assert_eq!(manifest["subject"]["size"], image_manifest.len());
    let layers = manifest["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 1, "{manifest:#}");
    assert_eq!(layers[0]["mediaType"], CYCLONEDX);
    let layer = layers[0]["digest"].as_str().expect("a layer digest");
    let bytes = registry
        .get(&format!("{name}/blobs/{layer}"), "*/*", ca)
        .await;
    assert!(
        bytes == std::fs::read(sbom).expect("the SBOM file"),
        "the registry's SBOM differs from {}",
        sbom.display()
    );
    // What the registry serves passes an independent validator.
    let pulled = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(pulled.path(), &bytes).expect("write the pulled SBOM");
    crate::support::validate_sbom(pulled.path())
        .unwrap_or_else(|e| panic!("cyclonedx-python-lib rejects the pushed SBOM: {e}"));

    // A reader of the referrers API (with its tag schema fallback) finds it.
    let client = oci_client::Client::try_from(oci_client::client::ClientConfig {
        protocol: if registry.tls {
            oci_client::client::ClientProtocol::Https
        } else {
            oci_client::client::ClientProtocol::Http
        },
        tls_certs_only: ca
            .map(|ca| oci_client::client::Certificate {
                encoding: oci_client::client::CertificateEncoding::Pem,
                data: ca.as_bytes().to_vec(),
            })
            .into_iter()
            .collect(),
        ..Default::default()
    })
    .expect("oci-client");
    let auth = match &registry.auth {
        Some((user, password)) => {
            oci_client::secrets::RegistryAuth::Basic(user.clone(), password.clone())
        }
        None => oci_client::secrets::RegistryAuth::Anonymous,
    };
    let image: oci_client::Reference = pushed.pinned.parse().expect("a reference");
    client
        .store_auth_if_needed(image.resolve_registry(), &auth)
        .await;
    let referrers = tokio::time::timeout(
        Duration::from_secs(30),
        client.pull_referrers(&image, Some(CYCLONEDX)),
    )
    .await
    .expect("referrers within 30 s")
    .expect("referrers");
    assert!(
        referrers.manifests.iter().any(|m| m.digest == artifact),
        "{referrers:?}"
    );
    artifact
}

fn docker_cli(args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("docker CLI (docker.io)")
}

/// A Docker config directory holding `json` as its config.json.
fn docker_config(json: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("config.json"), json).expect("config.json");
    dir
}

/// A config.json as `docker login HOST` writes it for `user` and `password`.
fn logged_in(host: &str, user: &str, password: &str) -> String {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!(r#"{{"auths": {{"{host}": {{"auth": "{auth}"}}}}}}"#)
}

/// Plain HTTP on loopback: both images go up (the second one's base layers are already there),
/// each with its SBOM as an artifact referring to it, the lock records exactly the digests the
/// engine reports and the artifacts', a second push writes nothing to the registry, and with
/// every local copy removed the digest pulls back and runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_push_records_digests_sends_nothing_twice_and_pulls_back_by_digest() {
    let docker = docker().await;
    let registry = LocalRegistry::start("127.0.0.1".parse().unwrap(), None, None);
    let (specs, [first, second], contents) = two_images("push");
    let target = registry.target("team");
    let remote = |image: &str| {
        let (repo, tag) = target.repository(image);
        format!("{repo}:{tag}")
    };
    let _cleanup = Cleanup(vec![
        first.clone(),
        second.clone(),
        remote(&first),
        remote(&second),
    ]);
    build(&specs).await;
    let work = tempfile::tempdir().expect("temp dir");
    let lock = work.path().join("digests.toml");
    let sboms = write_sboms(&specs, work.path()).await;
    let images = [first.clone(), second.clone()];
    let opts = options_with_sboms(work.path());
    let push_both = || push::push_all(specs.clone(), &images, &target, None, Some(&lock), &opts);

    let pushed = push_both()
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", registry.log()));
    println!("{pushed:#?}");
    assert_eq!(pushed.len(), 2);
    assert!(pushed.iter().all(|p| !p.skipped));
    assert!(pushed[0].layers_sent >= 2, "{pushed:#?}");
    // The second image's base layers are in the registry already: only its own layer is sent.
    assert_eq!(pushed[1].layers_sent, 1, "{pushed:#?}");
    assert!(pushed[1].layers_present >= 2, "{pushed:#?}");
    for p in &pushed {
        assert!(
            p.digest.len() == 71 && p.digest.starts_with("sha256:"),
            "{p:?}"
        );
        assert_eq!(
            push::recorded(&lock, &target, &p.image).as_deref(),
            Some(p.pinned.as_str())
        );
        // The engine's own record of the pushed manifest.
        let digests = docker
            .inspect_image(&p.image)
            .await
            .expect("inspect")
            .repo_digests
            .unwrap_or_default();
        assert!(
            digests.contains(&p.pinned),
            "{digests:?} lacks {}",
            p.pinned
        );
        assert!(matches!(p.sbom, Some(SbomPush::Sent(_))), "{p:?}");
        let artifact = check_sbom_artifact(&registry, &target, p, &sboms[&p.image], None).await;
        let (repo, _) = target.repository(&p.image);
        assert_eq!(
            push::recorded_sbom(&lock, &target, &p.image),
            Some(format!("{repo}@{artifact}"))
        );
    }
    // The artifacts live in the images' repositories: no repository of their own.
    let mut held = registry.catalog(None).await;
    held.sort();
    assert_eq!(
        held,
        [
            format!("team/{}", first.split(':').next().unwrap()),
            format!("team/{}", second.split(':').next().unwrap())
        ]
    );

    let writes = registry.writes();
    assert!(
        writes > 0,
        "no writes in the registry's log:\n{}",
        registry.log()
    );
    let again = push_both().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        again.iter().all(|p| p.skipped && p.layers_sent == 0),
        "{again:#?}"
    );
    assert_eq!(
        again.iter().map(|p| &p.pinned).collect::<Vec<_>>(),
        pushed.iter().map(|p| &p.pinned).collect::<Vec<_>>()
    );
    for (p, first_push) in again.iter().zip(&pushed) {
        let artifact = first_push.sbom.as_ref().and_then(SbomPush::digest);
        assert_eq!(
            p.sbom,
            artifact.map(|d| SbomPush::Present(d.to_owned())),
            "{again:#?}"
        );
    }
    assert_eq!(
        registry.writes(),
        writes,
        "the second push wrote to the registry:\n{}",
        registry.log()
    );

    // Every local copy gone (the child first: the parent has a dependent), then back by digest.
    for image in [&second, &first] {
        let id = docker
            .inspect_image(image)
            .await
            .expect("inspect")
            .id
            .expect("id");
        let out = docker_cli(&["rmi", "--force", &id]);
        assert!(out.status.success(), "{out:?}");
    }
    let pinned = &pushed[1].pinned;
    assert!(
        docker.inspect_image(pinned).await.is_err(),
        "{pinned} is still here"
    );
    let pull = docker_cli(&["pull", pinned]);
    assert!(pull.status.success(), "docker pull {pinned}: {pull:?}");
    let run = docker_cli(&["run", "--rm", pinned]);
    assert!(run.status.success(), "{run:?}");
    assert_eq!(String::from_utf8_lossy(&run.stdout), contents);
    let _pulled = Cleanup(vec![pinned.clone()]);
}

/// Nothing is pushed when one image is not built, is stale, or is over its budget; the error
/// names each with the command that fixes it.
#[tokio::test(flavor = "multi_thread")]
async fn unbuilt_stale_or_over_budget_images_are_refused_and_nothing_is_pushed() {
    let docker = docker().await;
    let registry = LocalRegistry::start("127.0.0.1".parse().unwrap(), None, None);
    let target = registry.target("refused");
    let (specs, [built, stale], _) = two_images("refuse");
    let never = format!("image-dsl-test/never-built:{}", unique("refuse"));
    let _cleanup = Cleanup(vec![built.clone(), stale.clone()]);
    build(&specs).await;

    // The child's definition changes after its build; a third image was never built.
    let mut changed = specs.clone();
    changed[1].dockerfile.push_str("RUN echo changed\n");
    changed.push(fixture(&never, "RUN true\n"));
    let images = [built.clone(), stale.clone(), never.clone()];
    let err = push::push_all(changed, &images, &target, None, None, &options())
        .await
        .expect_err("pushed although not ready")
        .to_string();
    assert!(err.starts_with("nothing was pushed:"), "{err}");
    assert!(
        err.contains(&format!(
            "{stale} is stale or over its budget (its definition, a pin, a parent or the base changed since it was built): run `cargo xtask images build {stale}` first"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{never} is not built: run `cargo xtask images build {never}` first"
        )),
        "{err}"
    );
    assert!(!err.contains(&format!("\n  {built} ")), "{err}");

    // Over budget: the same image, its budget now below its size.
    let mut tight = specs.clone();
    tight[0].budget_bytes = 1_000;
    let err = push::push_all(tight, &images[..1], &target, None, None, &options())
        .await
        .expect_err("pushed although over budget");
    assert!(matches!(err, PushError::NotReady(_)), "{err}");
    assert!(registry.catalog(None).await.is_empty());
    let (repo, tag) = target.repository(&built);
    assert!(
        docker
            .inspect_image(&format!("{repo}:{tag}"))
            .await
            .is_err(),
        "a refused image was tagged for the registry"
    );
}

/// Nothing is pushed when an image's SBOM is missing or describes another build of it; the error
/// names each image, its SBOM file and the command that fixes it.
#[tokio::test(flavor = "multi_thread")]
async fn missing_or_foreign_sboms_are_refused_and_nothing_is_pushed() {
    let docker = docker().await;
    let registry = LocalRegistry::start("127.0.0.1".parse().unwrap(), None, None);
    let target = registry.target("nosbom");
    let (specs, [foreign, missing], _) = two_images("nosbom");
    let _cleanup = Cleanup(vec![foreign.clone(), missing.clone()]);
    build(&specs).await;
    let sbom_dir = tempfile::tempdir().expect("temp dir");
    let sboms = write_sboms(&specs, sbom_dir.path()).await;
    std::fs::remove_file(&sboms[&missing]).expect("remove an SBOM");
    // The first one's SBOM now describes another build.
    let other = format!("sha256:{}", "0".repeat(64));
    let text = std::fs::read_to_string(&sboms[&foreign]).expect("SBOM");
    let id = docker
        .inspect_image(&foreign)
        .await
        .expect("inspect")
        .id
        .expect("id");
    std::fs::write(&sboms[&foreign], text.replace(&id, &other)).expect("SBOM");

    let images = [foreign.clone(), missing.clone()];
    let opts = options_with_sboms(sbom_dir.path());
    let err = push::push_all(specs.clone(), &images, &target, None, None, &opts)
        .await
        .expect_err("pushed without SBOMs");
    assert!(matches!(err, PushError::NoSbom(_)), "{err}");
    let err = err.to_string();
    assert!(err.starts_with("nothing was pushed:"), "{err}");
    assert!(
        err.contains(&format!(
            "\n  {foreign} has an SBOM at {} of another build ({other}; the image is {id}): run `cargo xtask images build {foreign}` first",
            sboms[&foreign].display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "\n  {missing} has no SBOM at {}: run `cargo xtask images build {missing}` first",
            sboms[&missing].display()
        )),
        "{err}"
    );
    assert!(registry.catalog(None).await.is_empty());
    assert_eq!(registry.writes(), 0, "{}", registry.log());
    for image in &images {
        let (repo, tag) = target.repository(image);
        assert!(
            docker
                .inspect_image(&format!("{repo}:{tag}"))
                .await
                .is_err(),
            "{image} was tagged for the registry although refused"
        );
    }
}

/// htpasswd: a wrong password in the Docker config is refused with what to do and leaves the
/// registry empty; the right one, and then a credential helper giving it, get in.
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_is_refused_and_the_config_or_a_helper_logs_in() {
    docker().await;
    let registry = LocalRegistry::start(
        "127.0.0.1".parse().unwrap(),
        Some(("alice", "correct-horse")),
        None,
    );
    let target = registry.target("auth");
    let (specs, [first, second], _) = two_images("auth");
    let remote = |image: &str| {
        let (repo, tag) = target.repository(image);
        format!("{repo}:{tag}")
    };
    let _cleanup = Cleanup(vec![first.clone(), second.clone(), remote(&first)]);
    build(&specs).await;
    let sbom_dir = tempfile::tempdir().expect("temp dir");
    let sboms = write_sboms(&specs, sbom_dir.path()).await;
    let images = [first.clone()];
    let host = &registry.host;

    let opts = options_with_sboms(sbom_dir.path());
    let push_as =
        |credentials| push::push_all(specs.clone(), &images, &target, credentials, None, &opts);

    let wrong = docker_config(&logged_in(host, "alice", "wrong"));
    let credentials = push::credentials(wrong.path(), host).expect("credentials");
    assert!(credentials.is_some());
    let err = push_as(credentials)
        .await
        .expect_err("pushed with a wrong password")
        .to_string();
    assert!(
        err.starts_with(&format!("{first}: push to {}", remote(&first))),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "the registry refused the credentials: run `docker login {host}`"
        )),
        "{err}"
    );
    assert!(registry.catalog(None).await.is_empty());

    let right = docker_config(&logged_in(host, "alice", "correct-horse"));
    let credentials = push::credentials(right.path(), host).expect("credentials");
    let pushed = push_as(credentials)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", registry.log()));
    assert!(
        !pushed[0].skipped && pushed[0].layers_sent >= 1,
        "{pushed:?}"
    );
    let artifact = check_sbom_artifact(&registry, &target, &pushed[0], &sboms[&first], None).await;

    // A credential helper on PATH (`docker-credential-NAME get`, the server on stdin).
    let helper_name = unique("image-dsl-test");
    let helper = PathBuf::from("/usr/local/bin").join(format!("docker-credential-{helper_name}"));
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\n[ \"$server\" = \"{host}\" ] || {{ echo \"unknown $server\" >&2; exit 1; }}\n\
             echo '{{\"ServerURL\":\"{host}\",\"Username\":\"alice\",\"Secret\":\"correct-horse\"}}'\n"
        ),
    )
    .expect("write the helper");
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    struct Remove(PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _helper = Remove(helper);
    let via_helper = docker_config(&format!(
        r#"{{"credHelpers": {{"{host}": "{helper_name}"}}}}"#
    ));
    let credentials = push::credentials(via_helper.path(), host).expect("the helper's credentials");
    let found = credentials.as_ref().expect("credentials");
    assert_eq!(found.username.as_deref(), Some("alice"));
    // The registry is asked with them whether it has the image: it has, so nothing is sent.
    let again = push_as(credentials).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(again[0].skipped, "{again:?}");
    assert_eq!(again[0].pinned, pushed[0].pinned);
    assert_eq!(
        again[0].sbom,
        Some(SbomPush::Present(artifact)),
        "{again:?}"
    );
}

/// The engine's address on the default bridge, where it verifies registry certificates
/// (loopback registries are insecure by default, so TLS there would prove nothing).
fn bridge_address() -> IpAddr {
    let out = docker_cli(&[
        "network",
        "inspect",
        "bridge",
        "--format",
        "{{(index .IPAM.Config 0).Gateway}}",
    ]);
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("no gateway on the bridge network ({e}): {out:?}"))
}

/// TLS with a CA the test makes: refused with what to do while the engine does not trust it,
/// pushed once its certificate is in `/etc/docker/certs.d/HOST/ca.crt`, the SBOM too (its client
/// trusts that CA as the engine does).
#[tokio::test(flavor = "multi_thread")]
async fn a_registry_with_a_private_ca_is_refused_until_the_engine_trusts_it() {
    docker().await;
    let ip = bridge_address();
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "image-dsl test CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA");
    let server_key = rcgen::KeyPair::generate().expect("key");
    let mut server_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    server_params.subject_alt_names = vec![rcgen::SanType::IpAddress(ip)];
    let server = server_params
        .signed_by(&server_key, &ca)
        .expect("certificate");
    let registry =
        LocalRegistry::start(ip, None, Some((&server.pem(), &server_key.serialize_pem())));
    let target = registry.target("tls");
    let (specs, [first, second], _) = two_images("tls");
    let (repo, tag) = target.repository(&first);
    let _cleanup = Cleanup(vec![first.clone(), second.clone(), format!("{repo}:{tag}")]);
    build(&specs).await;
    let sbom_dir = tempfile::tempdir().expect("temp dir");
    let sboms = write_sboms(&specs, sbom_dir.path()).await;
    let images = [first.clone()];

    let opts = options_with_sboms(sbom_dir.path());
    let push_first = || push::push_all(specs.clone(), &images, &target, None, None, &opts);
    let err = push_first()
        .await
        .expect_err("pushed to a registry the engine does not trust")
        .to_string();
    let certs = format!("/etc/docker/certs.d/{}", registry.host);
    assert!(
        err.contains(&format!("put its CA in {certs}/ca.crt")),
        "{err}"
    );

    std::fs::create_dir_all(&certs).expect("certs.d");
    struct RemoveDir(String);
    impl Drop for RemoveDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _trust = RemoveDir(certs.clone());
    std::fs::write(format!("{certs}/ca.crt"), ca.pem()).expect("ca.crt");
    let pushed = push_first()
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", registry.log()));
    assert!(
        !pushed[0].skipped && pushed[0].layers_sent >= 1,
        "{pushed:?}"
    );
    let ca_pem = ca.pem();
    let held = registry.catalog(Some(&ca_pem)).await;
    assert_eq!(held, [format!("tls/{}", first.split(':').next().unwrap())]);
    assert!(
        matches!(pushed[0].sbom, Some(SbomPush::Sent(_))),
        "{pushed:?}"
    );
    check_sbom_artifact(
        &registry,
        &target,
        &pushed[0],
        &sboms[&first],
        Some(&ca_pem),
    )
    .await;
}
