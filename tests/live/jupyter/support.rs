//! What the Jupyter tests share: catalog builds (one at a time), the probe context, and small
//! clients run on the image's Jupyter interpreter in a probe sandbox.

use std::time::Duration;

use image_dsl::Image;
use image_dsl_cli::engine::{self, BuildOptions, BuildSpec, graph};
use image_dsl_cli::probe::notebook::JUPYTER_PYTHON;
use image_dsl_cli::probe::{ContainerSpec, ProbeContext, ProbeError, Sandbox};

use crate::support;

/// Builds run one at a time: the tests share parents (`python-deps:jupyter`).
static BUILDS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a client may take.
const CLIENT_LIMIT: Duration = Duration::from_secs(180);

/// The CLI's settings (its artifact cache holds the 455 MB pyspark sdist), two jobs.
pub fn options() -> BuildOptions {
    let mut opts = support::cli_options();
    opts.jobs = 2;
    opts
}

pub use crate::support::catalog_specs;

/// `extra` specs and the catalog's, narrowed to `references` and everything they build on.
pub fn specs(extra: Vec<BuildSpec>, references: &[&str]) -> Vec<BuildSpec> {
    let mut all = catalog_specs();
    all.extend(extra);
    let wanted: Vec<String> = references.iter().map(|r| (*r).to_owned()).collect();
    graph::select(all, &wanted).expect("the images are in the catalog")
}

/// Builds `references` (catalog images, or `extra` ones on them) and what they build on.
pub async fn build(extra: Vec<BuildSpec>, references: &[&str]) {
    support::docker().await;
    let _one_at_a_time = BUILDS.lock().await;
    let report = engine::build_all(specs(extra, references), &options())
        .await
        .unwrap_or_else(|e| panic!("nothing was built: {e}"));
    assert!(report.success(), "{}", report.summary_table());
}

/// The catalog image `reference`.
pub fn image(reference: &str) -> Image {
    images::catalog()
        .images
        .into_iter()
        .find(|i| i.reference() == reference)
        .unwrap_or_else(|| panic!("the catalog declares {reference}"))
}

/// What the probes need: the engine, the catalog and its specs.
pub async fn context() -> ProbeContext {
    ProbeContext::new(
        support::docker().await,
        images::catalog(),
        catalog_specs(),
        options(),
    )
    .await
}

/// The value, or the test fails with the probe error (image, step and log tail).
pub fn ok<T>(result: Result<T, ProbeError>) -> T {
    result.unwrap_or_else(|e| panic!("{e}"))
}

/// Prints the size of baseline notebook `image` and checks it against the 1.3 GB target
/// (jupyter/pyspark-notebook is about 3.6 GB).
pub async fn within_target(ctx: &ProbeContext, image: &str, build_time: Duration) {
    let inspected = ctx
        .docker
        .inspect_image(&support::tag(image))
        .await
        .unwrap_or_else(|e| panic!("{image} is not in the engine: {e}"));
    let size = inspected.size.unwrap_or_default();
    println!(
        "{image}: {:.2} GB (target 1.3 GB), built or checked in {build_time:?}",
        size as f64 / 1e9
    );
    assert!(
        (1..=1_300_000_000).contains(&size),
        "{image} is {size} bytes, over its 1.3 GB target"
    );
}

/// Runs the Jupyter interpreter of `image` with `args` (and `files` under /probe) in a client
/// container `role` on the sandbox's network; returns its output, failing when it fails.
pub async fn python(
    sandbox: &mut Sandbox,
    image: &str,
    role: &str,
    args: &[&str],
    files: &[(&str, &str)],
) -> String {
    let spec = ContainerSpec::new(role, image, args)
        .entrypoint(&[JUPYTER_PYTHON])
        .files(files);
    let finished = ok(sandbox.run(spec, CLIENT_LIMIT).await);
    assert_eq!(
        finished.code, 0,
        "the {role} client in {image} failed:\n{}",
        finished.log
    );
    finished.log
}
