//! Probes on a real Docker daemon: a representative subset of `cargo xtask images test` that
//! runs every probe kind that can run here at least once, on catalog images built through the
//! engine from the catalog's own specs.
//!
//! - `spark-3.5.7:baseline`: structure, local, spark-pi, random-uid, executor, standalone,
//!   spark-examples, rpc-auth, jdbc (with `postgresql:15`)
//! - `spark-4.1.1:baseline`: connect (Spark Connect is 4.x only)
//! - `spark-3.5.7:iceberg`: iceberg-sql (Hadoop, JDBC and REST catalogs: the JDBC one in
//!   `postgresql:15`, the REST one the `iceberg-rest:1.10.1` server; pyiceberg reads the REST table)
//! - `spark-4.1.1:gpu`: gpu-config, gpu-explain (RAPIDS in `explainOnly` mode on the CPU),
//!   spark-examples (SparkPi from the official path, the GPU defaults left out), and
//!   gpu-host, which must report itself as not run, naming the missing NVIDIA runtime, on an
//!   engine without one (and pass on one with it)
//! - `jdbc-drivers:maven`: jdbc-drivers (on a derived image; MySQL's driver against
//!   `mariadb:10.11`)
//! - `python-deps:iceberg`: iceberg-python (on a derived image: the layer is data-only)
//! - `postgresql:15`: healthcheck
//!
//! `gpu-python` needs `python-deps:gpu`, whose build fetches 5.2 GB of wheels and takes about
//! 20 GB of disk: too much for every CI run; `cargo xtask images test python-deps:gpu` runs it.
//! `notebook` runs in `tests/live/jupyter.rs`, on jupyter-3.5.7 and (with Spark Connect)
//! jupyter-4.1.1. Never skips: without a daemon the test fails saying how to start one. About 20
//! minutes on a fresh 2-core machine, most of it building the images.

use image_dsl_cli::engine::{self, BASE_REFERENCE, BuildSpec, graph};
use image_dsl_cli::probe::{
    ContainerSpec, Outcome, ProbeContext, ProbeKind, ProbeResult, Sandbox, results, suite,
};

use crate::support;

/// The subset: image and the probes it runs.
const SUBSET: [(&str, &[ProbeKind]); 7] = [
    (
        "spark-3.5.7:baseline",
        &[
            ProbeKind::Structure,
            ProbeKind::Local,
            ProbeKind::SparkPi,
            ProbeKind::RandomUid,
            ProbeKind::Natives,
            ProbeKind::Executor,
            ProbeKind::Standalone,
            ProbeKind::Examples,
            ProbeKind::RpcAuth,
            ProbeKind::Jdbc,
        ],
    ),
    (
        "spark-4.1.1:baseline",
        &[ProbeKind::Connect, ProbeKind::Natives],
    ),
    ("spark-3.5.7:iceberg", &[ProbeKind::IcebergSql]),
    (
        "spark-4.1.1:gpu",
        &[
            ProbeKind::GpuConfig,
            ProbeKind::GpuExplain,
            ProbeKind::GpuHost,
            // On a GPU image without a GPU: SparkPi with the GPU defaults left out.
            ProbeKind::Examples,
        ],
    ),
    ("jdbc-drivers:maven", &[ProbeKind::JdbcDrivers]),
    ("python-deps:iceberg", &[ProbeKind::IcebergPython]),
    ("postgresql:15", &[ProbeKind::Healthcheck]),
];

#[test]
fn every_probe_kind_passes_on_a_representative_subset() {
    let covered: Vec<ProbeKind> = SUBSET.iter().flat_map(|(_, k)| k.iter().copied()).collect();
    for kind in ProbeKind::ALL {
        assert!(
            covered.contains(&kind) || [ProbeKind::GpuPython, ProbeKind::Notebook].contains(&kind),
            "the CI subset does not run the {kind} probe"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (build_failures, results, gpu_runtime) = runtime.block_on(run_subset());
    let table = results::table(&results);
    println!("{table}");
    // Without the NVIDIA runtime, gpu-host must say it did not run and why, never pass.
    let expected = |r: &ProbeResult| {
        if r.probe == ProbeKind::GpuHost.name() && !gpu_runtime {
            r.outcome == Outcome::Skipped && r.detail.contains("NVIDIA container runtime")
        } else {
            r.outcome == Outcome::Passed
        }
    };
    let bad: Vec<&str> = results
        .iter()
        .filter(|r| !expected(r))
        .map(|r| r.detail.as_str())
        .collect();
    assert!(
        build_failures.is_empty() && bad.is_empty(),
        "{} image(s) did not build, {} probe(s) did not pass:\n{}\n\n{}\n\n{table}",
        build_failures.len(),
        bad.len(),
        build_failures.join("\n"),
        bad.join("\n\n")
    );
}

/// Builds the subset (and what its probes need), then probes whatever was built: build failures
/// and probe results are reported together.
async fn run_subset() -> (Vec<String>, Vec<ProbeResult>, bool) {
    let docker = support::docker().await;
    let catalog = images::catalog();
    let specs: Vec<BuildSpec> = image_dsl_cli::catalog::ordered(&crate::support::workspace())
        .unwrap()
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    let selected: Vec<_> = SUBSET
        .iter()
        .map(|(reference, kinds)| {
            let image = catalog
                .images
                .iter()
                .find(|i| i.reference() == *reference)
                .unwrap_or_else(|| panic!("{reference} is not in the catalog"))
                .clone();
            (image, kinds.to_vec())
        })
        .collect();

    let mut wanted: Vec<String> = SUBSET.iter().map(|(r, _)| (*r).to_owned()).collect();
    wanted.extend(suite::prerequisites(&catalog, &selected));
    let opts = support::cli_options();
    let to_build = graph::select(specs.clone(), &wanted).unwrap();
    let report = engine::build_all(to_build, &opts)
        .await
        .unwrap_or_else(|e| panic!("the probe subset could not be built: {e}"));
    let build_failures: Vec<String> = report.failures().map(ToString::to_string).collect();

    let ctx = ProbeContext::new(docker, catalog, specs, opts).await;
    let gpu_runtime = ctx.gpu_runtime;
    let results = suite::run(&ctx, &selected, |r| {
        eprintln!(
            "{} {} {} ({:.1}s)",
            r.outcome.word(),
            r.image,
            r.probe,
            r.seconds
        )
    })
    .await;
    (build_failures, results, gpu_runtime)
}

/// A probe that panics or is cancelled leaves nothing behind: dropping its sandbox removes its
/// containers and network.
#[test]
fn a_dropped_sandbox_removes_its_containers_and_network() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let docker = support::docker().await;
        engine::bootstrap(BASE_REFERENCE, false, &support::cli_options())
            .await
            .unwrap_or_else(|e| panic!("the sandbox test needs the base image: {e}"));
        let mut sandbox = Sandbox::new(&docker, BASE_REFERENCE, ProbeKind::Structure);
        let network = sandbox.network().await.unwrap();
        let sleeper = ContainerSpec::new("sleeper", BASE_REFERENCE, &["sleep", "600"]);
        let name = sandbox.start(sleeper).await.unwrap();
        assert!(sandbox.running(&name).await.unwrap());
        drop(sandbox);
        assert!(
            docker.inspect_container(&name, None).await.is_err(),
            "{name} outlived its sandbox"
        );
        assert!(
            docker.inspect_network(&network, None).await.is_err(),
            "{network} outlived its sandbox"
        );
    });
}
