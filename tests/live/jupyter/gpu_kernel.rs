//! The default kernel of the GPU Jupyter images runs Spark on the CPU, shown in real containers.
//!
//! To keep CI off the 916 MB RAPIDS jar, the test builds stand-ins on `jupyter-4.1.1:baseline`
//! from the catalog's own model, copying none of it (the notebook probe of
//! `cargo xtask images test jupyter-4.1.1:gpu` runs the real image, its RAPIDS kernel included):
//!
//! - the GPU runtime's Spark defaults: the `/opt/spark/defaults.d/` and `/opt/spark/conf/` files
//!   of `spark-4.1.1:gpu` (`spark.plugins` naming the RAPIDS plugin, the executor and task GPU
//!   requests, the discovery script), assembled into `spark-defaults.conf` by the runtime's own
//!   command;
//! - then every step the `gpu` cell of `jupyter-4.1.1` adds over its `baseline` cell: the RAPIDS
//!   kernel and its conf, the python3 kernel spec override and its CPU conf.
//!
//! The second stand-in leaves out the python3 override, and only it. What the test shows:
//!
//! 1. with the override, the notebook in the default kernel runs Spark in local mode (the sum,
//!    pandas UDFs through Arrow) on the CPU conf dir, with no `spark.plugins` in its session;
//! 2. the override is ipykernel's own python3 spec, as `jupyter-4.1.1:baseline` has it, with only
//!    a display name and `env` added;
//! 3. the pyspark-rapids kernel still asks for the plugin: without the jar here, its session fails
//!    with `ClassNotFoundException: com.nvidia.spark.SQLPlugin`;
//! 4. without the override, the same notebook fails in the default kernel in the same way (in a
//!    real GPU image the jar is there and the plugin fails later, for want of a GPU: not covered);
//! 5. the GPU requests alone (the plugin removed) leave a local-mode job waiting for resources
//!    it never gets: it does not finish in 40 s, which is why the override drops them too.
//!
//! Not covered here: a GPU, the RAPIDS jar. About 2 minutes.

use std::time::Duration;

use image_dsl::{Base, Image, ImageRef, Stage, Step, User};
use image_dsl_cli::probe::notebook::{self, Expect};
use image_dsl_cli::probe::{ContainerSpec, ProbeContext, ProbeKind, Sandbox};
use serde_json::Value;

use super::support::{build, context, image, ok};

/// Where the default kernel's spec is in the notebook images.
pub const DEFAULT_KERNEL_SPEC: &str = "/opt/jupyter/share/jupyter/kernels/python3/kernel.json";

/// The image the stand-ins build on.
const BASE: &str = "jupyter-4.1.1:baseline";

/// The RAPIDS Accelerator's plugin class.
const PLUGIN: &str = "com.nvidia.spark.SQLPlugin";

/// How long a local job with GPU requests gets to show that it never runs.
const WAITING: u64 = 40;

#[tokio::test(flavor = "multi_thread")]
async fn the_default_kernel_of_gpu_images_runs_spark_on_the_cpu_and_the_rapids_kernel_keeps_the_plugin()
 {
    let [with, without] = [stand_in(true), stand_in(false)];
    let specs = [&with, &without].map(|i| {
        image_dsl_cli::catalog::spec(&crate::support::workspace(), i, &image_dsl::render(i))
    });
    let [with, without] = [with.reference(), without.reference()];
    build(specs.to_vec(), &[&with, &without]).await;
    let ctx = context().await;
    tokio::join!(with_override(&ctx, &with), without_override(&ctx, &without));
}

/// `jupyter-4.1.1:baseline` with the GPU runtime's conf and the GPU cell's own steps, without
/// the python3 override unless `with_override`.
fn stand_in(with_override: bool) -> Image {
    let gpu = image("jupyter-4.1.1:gpu");
    let baseline = image(BASE);
    let runtime = image("spark-4.1.1:gpu");
    let in_baseline: Vec<String> = baseline
        .final_stage()
        .steps
        .iter()
        .map(|s| format!("{s:?}"))
        .collect();
    let added: Vec<Step> = gpu
        .final_stage()
        .steps
        .iter()
        .filter(|s| !in_baseline.contains(&format!("{s:?}")))
        .cloned()
        .collect();
    assert!(
        added.iter().any(is_override) && added.len() > 1,
        "the gpu cell of jupyter-4.1.1 no longer overrides python3 besides its RAPIDS kernel: {added:#?}"
    );
    let runtime_steps = &runtime.final_stage().steps;
    let conf_files = runtime_steps.iter().filter(|s| {
        matches!(s, Step::File(f)
            if f.dest.starts_with("/opt/spark/defaults.d/") || f.dest.starts_with("/opt/spark/conf/"))
    });
    let assemble = runtime_steps
        .iter()
        .find_map(|s| match s {
            Step::Run(lines) => lines
                .iter()
                .find(|l| l.starts_with("cat /opt/spark/defaults.d/"))
                .cloned(),
            _ => None,
        })
        .expect("spark-4.1.1:gpu assembles spark-defaults.conf from defaults.d");

    let mut steps = vec![Step::User(User { uid: 0, gid: 0 })];
    steps.extend(conf_files.cloned());
    steps.push(Step::Run(vec![assemble]));
    steps.extend(
        added
            .into_iter()
            .filter(|s| with_override || !is_override(s)),
    );
    steps.push(Step::User(
        baseline.user().expect("the baseline has a user"),
    ));
    Image {
        // Built under the suite's tag prefix, as every image the tests build.
        name: "jupyter-4.1.1-gpu-stand-in".to_owned(),
        tag: if with_override {
            "with-override"
        } else {
            "without-override"
        }
        .to_owned(),
        description: "jupyter-4.1.1:gpu without its RAPIDS jar (tests/live/jupyter/gpu_kernel.rs)"
            .to_owned(),
        source: file!(),
        budget: baseline.budget,
        spark: baseline.spark,
        stages: vec![Stage {
            name: None,
            base: Base::Image(ImageRef {
                load: images::jupyter::jupyter::cell__4_1_1__baseline,
            }),
            steps,
        }],
    }
}

fn is_override(step: &Step) -> bool {
    matches!(step, Step::File(f) if f.dest == DEFAULT_KERNEL_SPEC)
}

/// The override's kernel spec, from the catalog.
fn override_spec() -> Value {
    let gpu = image("jupyter-4.1.1:gpu");
    let contents = gpu
        .final_stage()
        .steps
        .iter()
        .find_map(|s| match s {
            Step::File(f) if f.dest == DEFAULT_KERNEL_SPEC => Some(f.contents),
            _ => None,
        })
        .expect("the gpu cell overrides python3");
    serde_json::from_str(contents).expect("kernel.json is JSON")
}

/// Starts the stand-in's server with a token; returns the sandbox, the server and the token.
async fn serve(ctx: &ProbeContext, image: &str) -> (Sandbox, String, String) {
    let mut sandbox = Sandbox::for_probe(ctx, image, ProbeKind::Notebook);
    ok(sandbox.network().await);
    let token = crate::support::unique("token");
    let spec = ContainerSpec::new("lab", image, &[]).env([("JUPYTER_TOKEN", &token)]);
    let (server, _) = ok(notebook::serve(&mut sandbox, spec).await);
    let conf = ok(sandbox
        .exec(
            &server,
            &["cat", "/opt/spark/conf/spark-defaults.conf"],
            None,
        )
        .await)
    .log;
    assert!(
        conf.contains(PLUGIN) && conf.contains("spark.task.resource.gpu.amount"),
        "{image} does not carry the GPU runtime's conf:\n{conf}"
    );
    (sandbox, server, token)
}

/// Checks 1, 2, 3 and 5 on the stand-in with the override.
async fn with_override(ctx: &ProbeContext, image: &str) {
    let (mut sandbox, server, token) = serve(ctx, image).await;
    let spec = override_spec();
    let cpu_dir = spec["env"]["SPARK_CONF_DIR"].as_str().unwrap_or_default();

    // 1. The default kernel runs local Spark on the CPU conf.
    let run = ok(notebook::run_notebook(&mut sandbox, image, &server, &token, "python3").await);
    assert_eq!(
        run.problems(&server, Expect::Local),
        Vec::<String>::new(),
        "the default kernel of {image}:\n{}",
        run.log
    );
    assert_eq!(run.value("CONF_DIR"), Some(cpu_dir));
    assert_eq!(run.value("PLUGINS"), Some("none"));
    let cpu_conf = ok(sandbox
        .exec(
            &server,
            &["cat", &format!("{cpu_dir}/spark-defaults.conf")],
            None,
        )
        .await)
    .log;
    assert!(
        !cpu_conf.contains("nvidia") && !cpu_conf.contains(".resource.gpu."),
        "{cpu_conf}"
    );

    // 2. ipykernel's own spec, as the baseline image has it, plus a display name and env.
    let own = ok(sandbox
        .run(
            ContainerSpec::new("own-spec", BASE, &[DEFAULT_KERNEL_SPEC]).entrypoint(&["cat"]),
            Duration::from_secs(60),
        )
        .await)
    .log;
    let mut own: Value = serde_json::from_str(&own).expect("ipykernel's kernel.json is JSON");
    let mut ours = spec.clone();
    for spec in [&mut own, &mut ours] {
        let fields = spec.as_object_mut().expect("a kernel spec is an object");
        fields.remove("display_name");
        fields.remove("env");
    }
    assert_eq!(
        ours, own,
        "the override drifted from ipykernel's python3 spec"
    );

    // 3. The RAPIDS kernel still asks for the plugin, which is not here.
    let rapids =
        ok(notebook::run_notebook(&mut sandbox, image, &server, &token, "pyspark-rapids").await);
    let (cell, error) = rapids.failed_cell().unwrap_or_else(|| {
        panic!(
            "the RAPIDS kernel ran without the RAPIDS jar:\n{}",
            rapids.log
        )
    });
    assert!(
        cell == 2 && error.contains("ClassNotFoundException") && error.contains(PLUGIN),
        "cell {cell}: {error}"
    );

    // 5. GPU requests alone: a local job never gets its tasks scheduled.
    let job = "from pyspark.sql import SparkSession\n\
               spark = SparkSession.builder.master('local[2]').getOrCreate()\n\
               print('GPU-PER-TASK', spark.conf.get('spark.task.resource.gpu.amount'), flush=True)\n\
               print('COUNT', spark.range(10).count(), flush=True)";
    let script = format!(
        "mkdir -p /tmp/gpu-requests && \
         sed '/^spark\\.plugins/d' /opt/spark/conf/spark-defaults.conf > /tmp/gpu-requests/spark-defaults.conf && \
         SPARK_CONF_DIR=/tmp/gpu-requests exec timeout -k 5 {WAITING} {} -c \"$1\"",
        notebook::JUPYTER_PYTHON
    );
    let waited = ok(sandbox
        .exec(&server, &["sh", "-c", &script, "gpu-requests", job], None)
        .await);
    assert!(
        waited.code == 124
            && waited.log.contains("GPU-PER-TASK 0.25")
            && !waited.log.contains("COUNT"),
        "a local job with GPU requests was expected to wait {WAITING}s without running (exit \
         {}):\n{}",
        waited.code,
        image_dsl_cli::probe::sandbox::tail(&waited.log)
    );
    sandbox.cleanup().await;
}

/// Check 4 on the stand-in without the override.
async fn without_override(ctx: &ProbeContext, image: &str) {
    let (mut sandbox, server, token) = serve(ctx, image).await;
    let run = ok(notebook::run_notebook(&mut sandbox, image, &server, &token, "python3").await);
    assert_eq!(run.value("CONF_DIR"), Some("/opt/spark/conf"));
    let (cell, error) = run
        .failed_cell()
        .unwrap_or_else(|| panic!("without the override the default kernel ran:\n{}", run.log));
    assert!(
        cell == 2 && error.contains("ClassNotFoundException") && error.contains(PLUGIN),
        "cell {cell}: {error}"
    );
    sandbox.cleanup().await;
}
