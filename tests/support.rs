//! Fixtures shared by the engine tests: options, specs, cleanup and a loopback mirror.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use image_dsl_cli::engine::bollard::Docker;
use image_dsl_cli::engine::{BASE_REFERENCE, BuildOptions, BuildSpec, Overrides, Settings};
use image_dsl_cli::{Layout, Workspace};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// This repository: its catalog, its files.
pub fn workspace() -> Workspace {
    Workspace::new(images::catalog(), layout())
}

/// Where this repository's files are.
pub fn layout() -> Layout {
    let root = repo_root();
    Layout::new(&root, root.join("images"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the tests keep their cache, logs and spec files (shared, so the base is bootstrapped once).
pub fn work_dir() -> PathBuf {
    repo_root().join("target").join("engine-tests")
}

/// Options for a test run: no progress bars, the shared cache, two jobs.
pub fn options() -> BuildOptions {
    let mut opts = BuildOptions::new(
        Settings::with_cache_dir(work_dir().join("cache")),
        &layout(),
    );
    opts.progress = false;
    opts.jobs = 2;
    opts.log_dir = work_dir().join("logs");
    opts.sbom_dir = Some(work_dir().join("sbom"));
    opts.build_times = Some(work_dir().join("build-times.json"));
    opts
}

/// [`options`] with its artifact cache in `cache` (a test's own, to see what a run fetched).
pub fn options_with_cache(cache: &std::path::Path) -> BuildOptions {
    let mut opts = options();
    opts.settings.cache_dir = cache.to_owned();
    opts
}

/// The text of the fetch errors a build stopped with; any other outcome fails the test.
pub fn fetch_error_text(
    result: Result<image_dsl_cli::engine::BuildOutcome, image_dsl_cli::engine::EngineError>,
) -> String {
    match result {
        Err(image_dsl_cli::engine::EngineError::Fetch(errors)) => errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        Err(other) => panic!("expected a fetch error, got: {other}"),
        Ok(report) => panic!("built although an input cannot be had:\n{report}"),
    }
}

/// Where tests tag the catalog images they build: never the tags a user's builds made.
pub const TEST_PREFIX: &str = "image-dsl-test/";

/// [`options`] for building catalog images: tagged under [`TEST_PREFIX`].
pub fn catalog_options() -> BuildOptions {
    let mut opts = options();
    opts.tag_prefix = TEST_PREFIX.to_owned();
    opts
}

/// The CLI's own settings (the user's mirrors and artifact cache, which holds the large sdists and
/// jars), without progress bars, tagged under [`TEST_PREFIX`]: for tests that build catalog images
/// as `images build` would.
pub fn cli_options() -> BuildOptions {
    let settings = Settings::resolve(&Overrides::default(), &repo_root())
        .unwrap_or_else(|e| panic!("the tests cannot read the mirror settings: {e}"));
    let mut opts = BuildOptions::new(settings, &layout());
    opts.progress = false;
    opts.tag_prefix = TEST_PREFIX.to_owned();
    // Not the user's target/images/sbom: these images are the tests' own.
    opts.sbom_dir = Some(work_dir().join("sbom"));
    opts.build_times = Some(work_dir().join("build-times.json"));
    opts
}

/// cyclonedx-python-lib's pinned version: the independent SBOM validator, from PyPI.
pub const CYCLONEDX_PYTHON_LIB: &str = "cyclonedx-python-lib[json-validation]==11.12.0";

/// Checks `sbom` against CycloneDX 1.5's JSON schema with [`CYCLONEDX_PYTHON_LIB`]'s strict
/// validator, installed on first use into a venv under `target/` (pip with the user's own
/// settings, so through their PyPI mirror). `Err` carries the validator's complaint.
pub fn validate_sbom(sbom: &std::path::Path) -> Result<(), String> {
    static VENV: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = VENV.lock().unwrap_or_else(|e| e.into_inner());
    let venv = work_dir().join("cyclonedx-validator");
    let python = venv.join("bin").join("python");
    let marker = venv.join("installed");
    let run = |cmd: &mut std::process::Command, what: &str| {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("{what}: {e} (is python3 installed?)"));
        assert!(
            out.status.success(),
            "{what} failed (`apt-get install python3-venv`, and pip must reach PyPI):\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(CYCLONEDX_PYTHON_LIB) {
        let _ = std::fs::remove_dir_all(&venv);
        run(
            std::process::Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv),
            "python3 -m venv",
        );
        run(
            std::process::Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--timeout",
                "60",
                CYCLONEDX_PYTHON_LIB,
            ]),
            "pip install cyclonedx-python-lib",
        );
        std::fs::write(&marker, CYCLONEDX_PYTHON_LIB).expect("write the validator's marker");
    }
    let script = "import sys\nfrom cyclonedx.schema import SchemaVersion\nfrom cyclonedx.validation.json import JsonStrictValidator\nerror = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(sys.argv[1]).read())\nprint(error or 'valid')\nsys.exit(1 if error else 0)\n";
    let out = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(sbom)
        .output()
        .expect("run the validator");
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match out.status.code() {
        Some(0) if said == "valid" => Ok(()),
        Some(1) => Err(said),
        _ => panic!(
            "the validator did not run: {said}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The engine's tag of the catalog image `reference` built by a test.
pub fn tag(reference: &str) -> String {
    format!("{TEST_PREFIX}{reference}")
}

/// Every catalog image's build spec.
pub fn catalog_specs() -> Vec<BuildSpec> {
    image_dsl_cli::catalog::ordered(&workspace())
        .expect("catalog graph")
        .into_iter()
        .map(|(_, _, s)| s)
        .collect()
}

/// A name no other test or run uses.
pub fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{name}-{}-{nanos}", std::process::id())
}

/// A one-stage image on the bootstrapped Debian base, named after `reference` (`name-tag`).
pub fn debian_image(
    reference: &str,
    description: &str,
    steps: Vec<image_dsl::Step>,
) -> image_dsl::Image {
    let (name, tag) = reference.split_at(reference.find('-').unwrap_or(0));
    image_dsl::Image {
        name: name.to_owned(),
        tag: tag.trim_start_matches('-').to_owned(),
        description: description.to_owned(),
        source: file!(),
        budget: image_dsl::SizeBudget(200_000_000),
        spark: None,
        stages: vec![image_dsl::Stage {
            name: None,
            base: image_dsl::Base::Debian(image_dsl::DebianSuite::Bookworm),
            steps,
        }],
    }
}

/// A fixture image on the bootstrapped base; `steps` follow its `FROM` line.
pub fn fixture(reference: &str, steps: &str) -> BuildSpec {
    BuildSpec {
        reference: reference.to_owned(),
        dockerfile: format!("FROM {BASE_REFERENCE}\n{steps}"),
        files: vec![],
        artifacts: vec![],
        parents: vec![],
        needs_base: Some(BASE_REFERENCE.to_owned()),
        budget_bytes: 200_000_000,
        apt: vec![],
    }
}

/// The engine, or a test failure that says how to start one.
pub async fn docker() -> Docker {
    match image_dsl_cli::engine::client::connect(None).await {
        Ok(docker) => docker,
        Err(err) => panic!("the engine tests need a Docker daemon: {err}"),
    }
}

/// The image ID and content-hash label `reference` points at, if it exists.
pub async fn tagged(docker: &Docker, reference: &str) -> Option<(String, Option<String>)> {
    let image = docker.inspect_image(reference).await.ok()?;
    let label = image
        .config
        .and_then(|c| c.labels)
        .and_then(|l| l.get(image_dsl_cli::engine::CONTENT_HASH_LABEL).cloned());
    Some((image.id.unwrap_or_default(), label))
}

/// Removes the listed images when dropped, even when the test fails.
pub struct Cleanup(pub Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rmi", "--force"])
            .args(&self.0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// How the loopback mirror answers one path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with these bytes.
    Full(Vec<u8>),
    /// 200 announcing `claimed` bytes, then only `body`, then the connection closes.
    Cut { body: Vec<u8>, claimed: usize },
}

/// A tiny HTTP/1.1 server on 127.0.0.1, stopped when dropped.
pub struct Mirror {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Mirror {
    /// Serves `routes` (path → reply); anything else is a 404.
    pub async fn serve(routes: HashMap<String, Reply>) -> Mirror {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let routes = Arc::new(routes);
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let routes = routes.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head);
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let (claimed, body) = match routes.get(&path) {
                        Some(Reply::Full(body)) => (body.len(), body.clone()),
                        Some(Reply::Cut { body, claimed }) => (*claimed, body.clone()),
                        None => {
                            let _ = socket.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
                            return;
                        }
                    };
                    let header = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {claimed}\r\nConnection: close\r\n\r\n"
                    );
                    let _ = socket.write_all(header.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Mirror { url, hits, task }
    }

    /// How many connections it accepted.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    image_dsl_cli::engine::context::sha256_hex(bytes)
}
