//! The Jupyter images (seed 002) on a real daemon, built through the engine from the catalog:
//!
//! - `jupyter-3.5.7:baseline`: the size against its target; JupyterLab's API on 8888 takes the
//!   token from `JUPYTER_TOKEN` and refuses a wrong or missing one; a notebook uploaded to the
//!   server runs in the server's kernel (a Spark job in local mode, a pandas/Arrow round trip
//!   through pandas UDFs) and is saved with its outputs; the same as an arbitrary uid in group 0
//!   (OpenShift), also with a read-only root file system, and no token given, where Jupyter
//!   generates one (none is baked in); a password from `JUPYTER_PASSWORD_HASH` logs in through
//!   the login form and a wrong one does not.
//! - `jupyter-4.1.1:baseline`: the notebook's kernel reaches a Spark Connect server container
//!   (`spark-4.1.1:baseline connect`) through `SPARK_REMOTE` and the query runs there; without
//!   `SPARK_REMOTE` it runs in local mode.
//! - Iceberg and GPU cells, which need Maven-only jars and so cannot be built here: the build
//!   stops before building, naming the jars; the model carries the Iceberg catalog they inherit
//!   and the RAPIDS kernel spec.
//!
//! The notebook is `tests/jupyter/spark_check.ipynb`; `tests/jupyter/run_notebook.py` drives the
//! server's REST and websocket APIs from a second container on the same private network
//! ([`sandbox`]). Never skips: without a daemon the tests fail saying how to start one. About
//! 2 minutes with the Spark runtime images built; a fresh machine first builds them (the 4.1.1
//! one from a 455 MB pyspark sdist).

use std::time::{Duration, Instant};

use image_dsl::Image;
use serde_json::Value;
use xtask::engine::{self, BuildOptions, EngineError, Overrides, Settings, graph, repo_root};

use crate::engine::support;

mod sandbox;

use sandbox::{Sandbox, docker, http_status, printed, published, text, value};

/// What the notebook prints on every image, in local mode and through Spark Connect alike.
const SUM: &str = "499500";
const ARROW: &str = "90 DataFrame";

/// Builds run one at a time: the tests share parents (`python-deps:jupyter`).
static BUILDS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The CLI's settings (its artifact cache holds the 455 MB pyspark sdist), without progress bars.
fn options() -> BuildOptions {
    let settings = Settings::resolve(&Overrides::default(), repo_root())
        .unwrap_or_else(|e| panic!("the jupyter tests cannot read the mirror settings: {e}"));
    let mut opts = BuildOptions::new(settings);
    opts.progress = false;
    opts.jobs = 2;
    opts
}

/// The catalog's specs for `references` and everything they build on.
fn specs(references: &[&str]) -> Vec<xtask::engine::BuildSpec> {
    let all = xtask::catalog::ordered()
        .expect("catalog graph")
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    let wanted: Vec<String> = references.iter().map(|r| (*r).to_owned()).collect();
    graph::select(all, &wanted).expect("the images are in the catalog")
}

async fn build(references: &[&str]) {
    support::docker().await;
    let _one_at_a_time = BUILDS.lock().await;
    let report = engine::build_all(specs(references), &options())
        .await
        .unwrap_or_else(|e| panic!("nothing was built: {e}"));
    assert!(report.success(), "{}", report.summary_table());
}

fn image(reference: &str) -> Image {
    images::catalog()
        .into_iter()
        .find(|i| i.reference() == reference)
        .unwrap_or_else(|| panic!("the catalog declares {reference}"))
}

/// Prints the size of baseline notebook `image` and checks it against the 1.3 GB target
/// (jupyter/pyspark-notebook is about 3.6 GB).
fn within_target(image: &str, build_time: Duration) {
    let out = docker(
        &["image", "inspect", "--format", "{{.Size}}", image],
        None,
        Duration::from_secs(20),
    );
    let size: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{image} has no size: {}", text(&out)));
    println!(
        "{image}: {:.2} GB (target 1.3 GB), built or checked in {build_time:?}",
        size as f64 / 1e9
    );
    assert!(
        size <= 1_300_000_000,
        "{image} is {size} bytes, over its 1.3 GB target"
    );
}

/// Jupyter logs this once it serves.
const SERVING: &str = "is running at";

#[tokio::test(flavor = "multi_thread")]
async fn jupyter_3_5_7_takes_its_credential_from_the_environment_and_runs_a_notebook_in_its_kernel()
{
    const IMAGE: &str = "jupyter-3.5.7:baseline";
    let started = Instant::now();
    build(&[IMAGE]).await;
    let build_time = started.elapsed();

    within_target(IMAGE, build_time);

    // No credential in the image's environment; that no config file holds one shows below,
    // where a server started without JUPYTER_TOKEN makes one up and refuses requests without it.
    let env = text(&docker(
        &[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Env}}",
            IMAGE,
        ],
        None,
        Duration::from_secs(20),
    ));
    assert!(
        !env.contains("JUPYTER_TOKEN") && !env.contains("PASSWORD"),
        "{IMAGE} bakes a credential in: {env}"
    );

    let mut sandbox = Sandbox::new("jupyter-3-5-7");
    let token = support::unique("token");
    let server = sandbox.start(
        "lab",
        &[
            "-e",
            &format!("JUPYTER_TOKEN={token}"),
            "-p",
            "127.0.0.1::8888",
        ],
        IMAGE,
        &[],
    );
    let log = sandbox.wait_for_log(&server, SERVING, Duration::from_secs(120));
    assert!(!log.contains(&token), "the server logged the token:\n{log}");
    assert!(
        log.contains("Extension Manager is 'readonly'"),
        "the extension manager would try PyPI:\n{log}"
    );
    let cli = docker(
        &["exec", &server, "jupyter", "lab", "--version"],
        None,
        Duration::from_secs(60),
    );
    assert!(
        cli.status.success(),
        "`jupyter` is not on the PATH: {}",
        text(&cli)
    );
    let addr = published(&server);
    assert_eq!(
        http_status(&addr, "/api/status", Some(&token)),
        200,
        "the token from JUPYTER_TOKEN is refused"
    );
    assert_eq!(
        http_status(&addr, "/api/status", Some("wrong-token")),
        403,
        "a wrong token is accepted"
    );
    assert_eq!(
        http_status(&addr, "/api/status", None),
        403,
        "a request without a token is accepted"
    );
    assert_eq!(
        http_status(&addr, "/api/kernels", Some("wrong-token")),
        403,
        "a wrong token lists kernels"
    );

    let ran = Instant::now();
    let notebook = sandbox.run_notebook(IMAGE, &format!("http://{server}:8888"), &token);
    println!("{IMAGE}: notebook ran in {:?}", ran.elapsed());
    let lines = printed(&notebook);
    assert_eq!(
        value(&lines, "HOST"),
        server,
        "the code did not run in the server's kernel"
    );
    assert_eq!(value(&lines, "PYTHON"), "/opt/jupyter/bin/python3");
    assert_eq!(
        value(&lines, "SESSION"),
        "pyspark.sql.session",
        "not a local-mode session"
    );
    assert_eq!(value(&lines, "SUM"), SUM);
    assert_eq!(value(&lines, "ARROW"), ARROW);
    assert_eq!(
        value(&lines, "WORKER"),
        server,
        "local mode ran the UDF elsewhere"
    );

    // A password instead: the hash from the image's own `jupyter_server.auth.passwd`.
    let hash = sandbox.python(
        IMAGE,
        "from jupyter_server.auth import passwd\nprint('HASH', passwd('correct-horse'))",
        &[],
    );
    let hash = hash
        .lines()
        .find_map(|l| l.strip_prefix("HASH "))
        .expect("passwd() printed a hash");
    let server = sandbox.start(
        "password",
        &["-e", &format!("JUPYTER_PASSWORD_HASH={hash}")],
        IMAGE,
        &[],
    );
    sandbox.wait_for_log(&server, SERVING, Duration::from_secs(120));
    let url = format!("http://{server}:8888");
    let statuses = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(
        sandbox.log_in(IMAGE, &url, "correct-horse"),
        statuses(&[("BEFORE", "403"), ("AFTER", "200")]),
        "the password from JUPYTER_PASSWORD_HASH does not log in"
    );
    assert_eq!(
        sandbox.log_in(IMAGE, &url, "wrong-password"),
        statuses(&[("BEFORE", "403"), ("LOGIN", "401"), ("AFTER", "403")]),
        "a wrong password logs in"
    );

    // OpenShift: an arbitrary uid in group 0; then also with a read-only root file system and
    // empty volumes on HOME and /tmp (Kubernetes' readOnlyRootFilesystem).
    let uid = ["--user", "1000770000:0"];
    let read_only = ["--read-only", "--tmpfs", "/tmp", "--tmpfs", "/home/spark"];
    arbitrary_uid(&mut sandbox, IMAGE, "openshift", &uid);
    arbitrary_uid(
        &mut sandbox,
        IMAGE,
        "read-only",
        &[&uid[..], &read_only[..]].concat(),
    );
}

/// Runs the server with `extra` options as uid 1000770000 and no token given, so Jupyter makes
/// one up; the notebook runs and is saved group-writable.
fn arbitrary_uid(sandbox: &mut Sandbox, image: &str, role: &str, extra: &[&str]) {
    let mut options = extra.to_vec();
    options.extend(["-p", "127.0.0.1::8888"]);
    let server = sandbox.start(role, &options, image, &[]);
    let log = sandbox.wait_for_log(&server, SERVING, Duration::from_secs(120));
    let generated = log
        .split("token=")
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_hexdigit)
                .collect::<String>()
        })
        .filter(|t| t.len() >= 32)
        .unwrap_or_else(|| panic!("{role}: Jupyter did not generate a token:\n{log}"));
    let addr = published(&server);
    assert_eq!(
        http_status(&addr, "/api/status", None),
        403,
        "{role}: without JUPYTER_TOKEN the server is open"
    );
    assert_eq!(http_status(&addr, "/api/status", Some(&generated)), 200);
    let notebook = sandbox.run_notebook(image, &format!("http://{server}:8888"), &generated);
    let lines = printed(&notebook);
    assert_eq!(value(&lines, "HOST"), server);
    assert_eq!(value(&lines, "SUM"), SUM, "{role}");
    assert_eq!(value(&lines, "ARROW"), ARROW, "{role}");
    let files = docker(
        &[
            "exec",
            &server,
            "sh",
            "-c",
            "id -u; stat -c '%u:%g %A %n' /home/spark/work/*.ipynb",
        ],
        None,
        Duration::from_secs(30),
    );
    let files = text(&files);
    assert!(
        files.starts_with("1000770000\n") && files.contains("1000770000:0 -rw-rw-"),
        "{role}: notebooks saved as the arbitrary uid are not shared with group 0:\n{files}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jupyter_4_1_1_runs_a_notebook_through_spark_connect_and_in_local_mode() {
    const IMAGE: &str = "jupyter-4.1.1:baseline";
    const SERVER_IMAGE: &str = "spark-4.1.1:baseline";
    let started = Instant::now();
    build(&[IMAGE, SERVER_IMAGE]).await;
    within_target(IMAGE, started.elapsed());

    let mut sandbox = Sandbox::new("jupyter-connect");
    let connect = sandbox.start("connect", &[], SERVER_IMAGE, &["connect"]);
    sandbox.wait_for_log(
        &connect,
        "Spark Connect server started",
        Duration::from_secs(180),
    );
    let token = support::unique("token");
    let server = sandbox.start(
        "lab",
        &[
            "-e",
            &format!("JUPYTER_TOKEN={token}"),
            "-e",
            &format!("SPARK_REMOTE=sc://{connect}:15002"),
        ],
        IMAGE,
        &[],
    );
    sandbox.wait_for_log(&server, SERVING, Duration::from_secs(120));

    let ran = Instant::now();
    let notebook = sandbox.run_notebook(IMAGE, &format!("http://{server}:8888"), &token);
    println!(
        "{IMAGE}: notebook through Spark Connect ran in {:?}",
        ran.elapsed()
    );
    let lines = printed(&notebook);
    assert_eq!(
        value(&lines, "HOST"),
        server,
        "the code did not run in the server's kernel"
    );
    assert_eq!(
        value(&lines, "SESSION"),
        "pyspark.sql.connect.session",
        "the kernel did not use Spark Connect"
    );
    // The pandas UDF reports the host its Python worker ran on: the Connect server's.
    assert_eq!(
        value(&lines, "WORKER"),
        connect,
        "the query did not run on the Connect server"
    );
    assert_eq!(value(&lines, "SUM"), SUM);
    assert_eq!(value(&lines, "ARROW"), ARROW);
    let server_log = sandbox.logs(&connect);
    assert!(
        !server_log.contains("Exception"),
        "the Connect server logged an exception:\n{server_log}"
    );

    // Without SPARK_REMOTE the same image runs Spark in the kernel (Spark 4's JVM options).
    let local = sandbox.start(
        "local",
        &["-e", &format!("JUPYTER_TOKEN={token}")],
        IMAGE,
        &[],
    );
    sandbox.wait_for_log(&local, SERVING, Duration::from_secs(120));
    let notebook = sandbox.run_notebook(IMAGE, &format!("http://{local}:8888"), &token);
    let lines = printed(&notebook);
    assert_eq!(value(&lines, "SESSION"), "pyspark.sql.session");
    assert_eq!(value(&lines, "WORKER"), local);
    assert_eq!(value(&lines, "SUM"), SUM);
    assert_eq!(value(&lines, "ARROW"), ARROW);
}

/// Iceberg cells inherit the runtime's catalog, whose jars only Maven Central serves: the build
/// must stop before building anything and name them.
#[tokio::test(flavor = "multi_thread")]
async fn iceberg_jupyter_images_name_the_missing_maven_jars_and_inherit_the_catalog() {
    let cells: Vec<Image> = images::jupyter::jupyter::all()
        .into_iter()
        .filter(|i| i.tag.contains("iceberg"))
        .collect();
    // Seed 002 lists 6; RAPIDS skipped Spark 4.1.0, so jupyter-4.1.0:gpu-iceberg is rejected.
    assert_eq!(
        cells.len(),
        5,
        "{:?}",
        cells.iter().map(Image::reference).collect::<Vec<_>>()
    );
    for cell in &cells {
        let reference = cell.reference();
        let runtime = format!("spark-{}", &cell.name["jupyter-".len()..]);
        let runtime = image(&format!("{runtime}:{}", cell.tag));
        assert!(
            cell.parents()
                .iter()
                .any(|p| p.reference() == runtime.reference()),
            "{reference} does not build on {}",
            runtime.reference()
        );
        let rendered = image_dsl::render(&runtime);
        let conf = rendered
            .files
            .iter()
            .find(|f| f.path.ends_with("opt/spark/defaults.d/20-iceberg.conf"))
            .unwrap_or_else(|| panic!("{} ships no Iceberg defaults", runtime.reference()));
        let setting = |key: &str| {
            conf.contents.lines().find_map(|l| {
                let mut words = l.split_whitespace();
                (words.next() == Some(key)).then(|| words.next().unwrap_or_default().to_owned())
            })
        };
        assert_eq!(
            setting("spark.sql.catalog.local").as_deref(),
            Some("org.apache.iceberg.spark.SparkCatalog")
        );
        assert_eq!(
            setting("spark.sql.extensions").as_deref(),
            Some("org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        );
        // The notebook's kernel reads $SPARK_CONF_DIR/spark-defaults.conf, made from defaults.d.
        assert!(
            rendered
                .dockerfile
                .contains("cat /opt/spark/defaults.d/*.conf > /opt/spark/conf/spark-defaults.conf")
        );
        let own = image_dsl::render(cell);
        assert!(
            !own.dockerfile.contains("SPARK_CONF_DIR"),
            "{reference} moves the Spark conf dir away from the catalog"
        );

        let err = engine::build_all(specs(&[&reference]), &options())
            .await
            .err()
            .unwrap_or_else(|| {
                panic!("{reference} built although its Iceberg jars are not pinned")
            });
        let EngineError::Unverified {
            unverified: missing,
            ..
        } = &err
        else {
            panic!("{reference}: expected the unpinned jars to stop the build, got: {err}");
        };
        let names: Vec<&str> = missing.0.iter().map(|a| a.artifact.as_str()).collect();
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("iceberg-spark-runtime-"))
                && names.iter().any(|n| n.starts_with("iceberg-aws-bundle")),
            "{reference}: the Iceberg jars are not named: {err}"
        );
        let message = err.to_string();
        assert!(
            message.contains("nothing was built") && message.contains("IMAGE_DSL_MAVEN_MIRROR"),
            "{message}"
        );
    }
}

/// GPU cells need the Maven-only RAPIDS jar, so their kernel spec is checked in the rendered
/// context: a second kernel that runs PySpark in local mode with the RAPIDS Accelerator.
#[test]
fn gpu_jupyter_images_ship_the_rapids_kernel() {
    let references: Vec<String> = images::jupyter::jupyter::all()
        .iter()
        .map(Image::reference)
        .collect();
    for cell in images::jupyter::jupyter::all() {
        let reference = cell.reference();
        let rendered = image_dsl::render(&cell);
        let kernel = rendered.files.iter().find(|f| {
            f.path
                .ends_with("share/jupyter/kernels/pyspark-rapids/kernel.json")
        });
        if !cell.tag.contains("gpu") {
            assert!(
                kernel.is_none(),
                "{reference} ships the RAPIDS kernel without RAPIDS"
            );
            continue;
        }
        let kernel = kernel.unwrap_or_else(|| panic!("{reference} has no RAPIDS kernel"));
        assert!(rendered.dockerfile.contains(&format!(
            "COPY {} /opt/jupyter/share/jupyter/kernels/pyspark-rapids/kernel.json",
            kernel.path
        )));
        let spec: Value = serde_json::from_str(&kernel.contents).expect("kernel.json is JSON");
        assert_eq!(spec["argv"][0], "/opt/jupyter/bin/python");
        assert!(
            spec["argv"]
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == "{connection_file}"))
        );
        assert_eq!(spec["language"], "python");
        let args = spec["env"]["PYSPARK_SUBMIT_ARGS"]
            .as_str()
            .unwrap_or_default();
        assert!(
            args.starts_with("--master local")
                && args.contains("spark.plugins=com.nvidia.spark.SQLPlugin")
                && args.ends_with("pyspark-shell"),
            "{reference}: {args}"
        );
        // Local mode gets the image's Spark conf without the GPU resource requests, which local
        // mode cannot schedule.
        let conf_dir = spec["env"]["SPARK_CONF_DIR"].as_str().unwrap_or_default();
        let derived = rendered
            .dockerfile
            .lines()
            .find(|l| l.contains(&format!("> {conf_dir}/spark-defaults.conf")))
            .unwrap_or_else(|| {
                panic!("{reference}: nothing writes {conf_dir}/spark-defaults.conf")
            });
        assert!(
            derived.contains("grep -v")
                && derived.contains(r"'^spark\.executor\.resource\.gpu\.'")
                && derived.contains(r"'^spark\.task\.resource\.gpu\.'")
                && derived.contains("/opt/spark/conf/spark-defaults.conf >"),
            "{reference}: {derived}"
        );
        // The RAPIDS jar and the GPU discovery come from the runtime it builds on.
        let runtime = format!("spark-{}:{}", &cell.name["jupyter-".len()..], cell.tag);
        assert!(cell.parents().iter().any(|p| p.reference() == runtime));
        assert!(
            image_dsl::render(&image(&runtime))
                .dockerfile
                .contains("jars-rapids")
        );
    }
    // Seed 002's table: 12 cells; RAPIDS skipped Spark 4.1.0.
    assert_eq!(references.len(), 12, "{references:?}");
    assert!(
        !references
            .iter()
            .any(|r| r.starts_with("jupyter-4.1.0:gpu"))
    );
}
