//! The Jupyter images (seed 002) on a real daemon, built through the engine from the catalog.
//!
//! Every Jupyter image gets the notebook probe (`image_dsl_cli::probe::notebook`, run by `cargo xtask
//! images test`): the token from `JUPYTER_TOKEN` is taken and a wrong or missing one refused, and
//! a notebook uploaded to the server runs in the server's kernel (a Spark job, a pandas/Arrow
//! round trip through pandas UDFs) and is saved with its outputs; on 4.x also through a Spark
//! Connect server container (`spark-4.1.1:baseline connect`), where the UDFs must run. Here it
//! runs on two images, with what the probe does not check:
//!
//! - `jupyter-3.5.7:baseline`: the size against its target; no credential in the image's
//!   environment; the probe; a password from `JUPYTER_PASSWORD_HASH` logs in through the login
//!   form and a wrong one does not; the extension manager is read-only and `jupyter` is on the
//!   PATH; as an arbitrary uid in group 0 (OpenShift), also with a read-only root file system,
//!   and no token given, Jupyter generates one (none is baked in), refuses requests without it,
//!   runs the notebook and saves it group-writable.
//! - `jupyter-4.1.1:baseline`: the size; the probe, local mode and Spark Connect.
//! - The GPU images' default kernel, on a stand-in built here ([`gpu_kernel`]).
//! - Iceberg and GPU cells, in their models: every input is pinned and verified (none needs a
//!   mirror), and they carry the Iceberg catalog they inherit, the RAPIDS kernel spec and the
//!   default kernel's CPU conf. The notebook probe runs the Iceberg notebook (Hadoop, JDBC and
//!   REST catalogs) and the RAPIDS kernel in explainOnly mode on the built cells (`cargo xtask
//!   images test 'jupyter-*'`), which CI does not build: the GPU cells alone add a 916 MB jar.
//!
//! Never skips: without a daemon the tests fail saying how to start one. About 3 minutes with
//! the Spark runtime images built; a fresh machine first builds them (the 4.1.1 one from a 455 MB
//! pyspark sdist).

use std::time::Instant;

use image_dsl::Image;
use image_dsl_cli::probe::notebook::{self, Expect};
use image_dsl_cli::probe::{self, ContainerSpec, Outcome, ProbeContext, ProbeKind, Sandbox};
use serde_json::Value;

mod gpu_kernel;
mod support;

use support::{build, context, image, ok, python, within_target};

/// A Python script logging in through Jupyter's login form; prints `BEFORE`, `LOGIN`, `AFTER`.
const LOGIN: (&str, &str) = ("login.py", include_str!("jupyter/login.py"));

/// Runs the notebook probe on `image` and fails with its report unless it passed.
async fn notebook_probe_passes(ctx: &ProbeContext, image: &str) -> String {
    let model = ctx.image(image).expect("a catalog image");
    assert!(
        probe::probes_for(model).contains(&ProbeKind::Notebook),
        "{image} does not get the notebook probe"
    );
    let result = probe::run(ctx, model, ProbeKind::Notebook).await;
    println!(
        "{image}: notebook probe {} in {:.1}s: {}",
        result.outcome.word(),
        result.seconds,
        result.detail
    );
    assert_eq!(result.outcome, Outcome::Passed, "{}", result.detail);
    result.detail
}

#[tokio::test(flavor = "multi_thread")]
async fn jupyter_3_5_7_takes_its_credential_from_the_environment_and_runs_a_notebook_in_its_kernel()
{
    const IMAGE: &str = "jupyter-3.5.7:baseline";
    let started = Instant::now();
    build(Vec::new(), &[IMAGE]).await;
    let ctx = context().await;
    within_target(&ctx, IMAGE, started.elapsed()).await;

    // No credential in the image's environment; that no config file holds one shows below,
    // where a server started without JUPYTER_TOKEN makes one up and refuses requests without it.
    let env = ctx
        .docker
        .inspect_image(&crate::support::tag(IMAGE))
        .await
        .ok()
        .and_then(|i| i.config)
        .and_then(|c| c.env)
        .unwrap_or_default()
        .join(" ");
    assert!(
        !env.contains("JUPYTER_TOKEN") && !env.contains("PASSWORD"),
        "{IMAGE} bakes a credential in: {env}"
    );

    let ran = Instant::now();
    notebook_probe_passes(&ctx, IMAGE).await;
    println!("{IMAGE}: notebook probe ran in {:?}", ran.elapsed());

    let mut sandbox = Sandbox::for_probe(&ctx, IMAGE, ProbeKind::Notebook);
    ok(sandbox.network().await);
    // A password instead: the hash from the image's own `jupyter_server.auth.passwd`.
    let code = "from jupyter_server.auth import passwd\nprint('HASH', passwd('correct-horse'))";
    let hash = python(&mut sandbox, IMAGE, "hash", &["-c", code], &[]).await;
    let hash = hash
        .lines()
        .find_map(|l| l.strip_prefix("HASH "))
        .expect("passwd() printed a hash")
        .to_owned();
    let spec = ContainerSpec::new("password", IMAGE, &[]).env([("JUPYTER_PASSWORD_HASH", hash)]);
    let (server, log) = ok(notebook::serve(&mut sandbox, spec).await);
    assert!(
        log.contains("Extension Manager is 'readonly'"),
        "the extension manager would try PyPI:\n{log}"
    );
    let cli = ok(sandbox
        .exec(&server, &["jupyter", "lab", "--version"], None)
        .await);
    assert_eq!(cli.code, 0, "`jupyter` is not on the PATH: {}", cli.log);
    let url = format!("http://{server}:{}", notebook::PORT);
    let statuses = |log: String| -> Vec<(String, String)> {
        log.lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(k, _)| ["BEFORE", "LOGIN", "AFTER"].contains(k))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    let pairs = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let login = image_dsl_cli::probe::jobs::path(LOGIN);
    let right = python(
        &mut sandbox,
        IMAGE,
        "login-right",
        &[&login, &url, "correct-horse"],
        &[LOGIN],
    )
    .await;
    assert_eq!(
        statuses(right),
        pairs(&[("BEFORE", "403"), ("AFTER", "200")]),
        "the password from JUPYTER_PASSWORD_HASH does not log in"
    );
    let wrong = python(
        &mut sandbox,
        IMAGE,
        "login-wrong",
        &[&login, &url, "wrong-password"],
        &[LOGIN],
    )
    .await;
    assert_eq!(
        statuses(wrong),
        pairs(&[("BEFORE", "403"), ("LOGIN", "401"), ("AFTER", "403")]),
        "a wrong password logs in"
    );
    sandbox.kill(&server).await;

    // OpenShift: an arbitrary uid in group 0; then also with a read-only root file system and
    // empty volumes on HOME and /tmp (Kubernetes' readOnlyRootFilesystem).
    arbitrary_uid(&mut sandbox, IMAGE, "openshift", false).await;
    arbitrary_uid(&mut sandbox, IMAGE, "read-only", true).await;
    sandbox.cleanup().await;
}

/// Runs the server as uid 1000770000 in group 0 and no token given, so Jupyter makes one up: it
/// must refuse requests without it, and the notebook runs and is saved group-writable.
async fn arbitrary_uid(sandbox: &mut Sandbox, image: &str, role: &str, read_only: bool) {
    const UID: &str = "1000770000";
    let mut spec = ContainerSpec::new(role, image, &[]).user(&format!("{UID}:0"));
    if read_only {
        spec = spec.read_only(&["/tmp", "/home/spark"]);
    }
    let (server, log) = ok(notebook::serve(sandbox, spec).await);
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
    // The client checks that the generated token is taken and a missing one refused.
    let run = ok(notebook::run_notebook(sandbox, image, &server, &generated, "python3").await);
    assert_eq!(
        run.problems(&server, Expect::Local),
        Vec::<String>::new(),
        "{role}:\n{}",
        run.log
    );
    let files = ok(sandbox
        .exec(
            &server,
            &[
                "sh",
                "-c",
                "id -u; stat -c '%u:%g %A %n' /home/spark/work/*.ipynb",
            ],
            None,
        )
        .await)
    .log;
    assert!(
        files.starts_with(&format!("{UID}\n")) && files.contains(&format!("{UID}:0 -rw-rw-")),
        "{role}: notebooks saved as the arbitrary uid are not shared with group 0:\n{files}"
    );
    sandbox.kill(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn jupyter_4_1_1_runs_a_notebook_through_spark_connect_and_in_local_mode() {
    const IMAGE: &str = "jupyter-4.1.1:baseline";
    let server_image = notebook::connect_server(&images::catalog().images, &image(IMAGE));
    assert_eq!(server_image.as_deref(), Some("spark-4.1.1:baseline"));
    let started = Instant::now();
    build(Vec::new(), &[IMAGE, "spark-4.1.1:baseline"]).await;
    let ctx = context().await;
    within_target(&ctx, IMAGE, started.elapsed()).await;

    let ran = Instant::now();
    let detail = notebook_probe_passes(&ctx, IMAGE).await;
    println!(
        "{IMAGE}: notebook probe (local and Spark Connect) ran in {:?}",
        ran.elapsed()
    );
    assert!(
        detail.contains("local: sum=499500") && detail.contains("connect: sum=499500"),
        "{detail}"
    );
}

/// Iceberg cells inherit the runtime's catalog, and every input they need, the RAPIDS jar of the
/// GPU+Iceberg cell included, is pinned and verified from Maven Central: none waits for a mirror.
/// (`tests/live/probe.rs` builds and probes `spark-4.1.1:gpu`; `cargo xtask images test
/// 'jupyter-*:*iceberg'` runs the Iceberg and RAPIDS notebooks in these cells.)
#[test]
fn iceberg_jupyter_images_inherit_the_catalog_and_need_no_mirror() {
    let cells: Vec<Image> = images::jupyter::jupyter::all()
        .into_iter()
        .filter(|i| i.spark.is_some_and(|s| s.iceberg()))
        .collect();
    let all_specs = support::catalog_specs();
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

        let needs = probe::suite::needs_mirror(&all_specs, &reference);
        assert!(needs.is_empty(), "{reference} needs a mirror for {needs:?}");
    }
}

/// The GPU cells' kernel specs, checked in the rendered context: a second kernel that runs PySpark in local mode with the RAPIDS Accelerator, and the
/// default one (python3) on its own Spark conf without it ([`gpu_kernel`] runs both).
#[test]
fn gpu_jupyter_images_ship_the_rapids_kernel_and_a_cpu_default_kernel() {
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
        let default = rendered
            .files
            .iter()
            .find(|f| f.path.ends_with(gpu_kernel::DEFAULT_KERNEL_SPEC));
        if !cell.spark.is_some_and(|s| s.gpu()) {
            assert!(
                kernel.is_none() && default.is_none(),
                "{reference} ships the RAPIDS kernel or overrides python3 without RAPIDS"
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
        // The default kernel is ipykernel's python3 on its own conf dir: the image's conf without
        // the RAPIDS plugin and settings and the GPU requests.
        let default =
            default.unwrap_or_else(|| panic!("{reference} keeps the GPU conf in python3"));
        assert!(rendered.dockerfile.contains(&format!(
            "COPY {} {}",
            default.path,
            gpu_kernel::DEFAULT_KERNEL_SPEC
        )));
        let spec: Value = serde_json::from_str(&default.contents).expect("kernel.json is JSON");
        assert_eq!(
            spec["argv"][0], "python",
            "{reference}: not ipykernel's own command"
        );
        assert!(spec["env"]["PYSPARK_SUBMIT_ARGS"].is_null());
        let cpu_dir = spec["env"]["SPARK_CONF_DIR"].as_str().unwrap_or_default();
        assert!(
            cpu_dir.starts_with("/opt/jupyter/etc/") && cpu_dir != conf_dir,
            "{reference}: {cpu_dir}"
        );
        let derived = rendered
            .dockerfile
            .lines()
            .find(|l| l.contains(&format!("> {cpu_dir}/spark-defaults.conf")))
            .unwrap_or_else(|| panic!("{reference}: nothing writes {cpu_dir}/spark-defaults.conf"));
        assert!(
            derived.contains("sed -E")
                && derived.contains(
                    r"spark\.(plugins|rapids\.|executor\.resource\.gpu\.|task\.resource\.gpu\.)/d"
                )
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
    // Seed 002's table: 12 cells. No RAPIDS release on Maven Central has a shim for Spark 3.5.7,
    // 3.5.8 (Scala 2.12) or 4.1.0, so of its GPU cells only 4.1.1's remain (images/policy.toml).
    assert_eq!(references.len(), 10, "{references:?}");
    let gpu: Vec<&String> = references.iter().filter(|r| r.contains(":gpu")).collect();
    assert_eq!(gpu, ["jupyter-4.1.1:gpu", "jupyter-4.1.1:gpu-iceberg"]);
}
