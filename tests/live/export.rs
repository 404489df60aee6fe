//! The export as a team without Rust uses it: `docker buildx bake -f docker-bake.json` of one
//! runtime image, `spark-3.5.8:baseline`, whose closure bake builds first through the named
//! contexts (`target:X`) of the exported bake file.
//!
//! It covers: the bake graph names every parent and orders them, each exported context holds
//! what its Dockerfile copies once the inputs are placed (as `--fetch` does), Buildx resolves the
//! named contexts and builds the closure, and the images baked that way have the catalog's user
//! and contents: the venv without pip, Python 3.11, and Spark 3.5.8 answering as uid 185.

use std::process::Command;

use image_dsl_cli::engine::fetch::Fetcher;
use image_dsl_cli::engine::{BASE_REFERENCE, BuildSpec};
use image_dsl_cli::export::{bake, place_inputs, target_name, write, write_image};
use serde_json::Value;

use crate::support::{Cleanup, docker, options, unique};

/// The targets of `target`'s closure, parents first, as bake would build them.
fn build_order(bake: &Value, target: &str, order: &mut Vec<String>) {
    if order.iter().any(|t| t == target) {
        return;
    }
    let contexts = bake["target"][target]["contexts"].as_object();
    for dependency in contexts.into_iter().flat_map(|c| c.values()) {
        let dependency = dependency.as_str().unwrap_or_default();
        let parent = dependency
            .strip_prefix("target:")
            .unwrap_or_else(|| panic!("{target}: context {dependency} is not a target"));
        assert!(
            bake["target"][parent].is_object(),
            "{target} depends on {parent}, which is not a target"
        );
        build_order(bake, parent, order);
    }
    order.push(target.to_owned());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buildx_bakes_a_runtime_image_and_its_closure_from_the_export() {
    docker().await;
    let opts = options();
    // The export's targets start from the bootstrapped base (`cargo xtask images bootstrap`).
    image_dsl_cli::engine::bootstrap(BASE_REFERENCE, false, &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let out = tempfile::tempdir().unwrap();
    let images = image_dsl_cli::catalog::ordered(&crate::support::workspace()).unwrap();
    for (image, rendered, spec) in &images {
        write_image(
            &out.path().join(&image.name).join(&image.tag),
            rendered,
            spec,
        )
        .unwrap();
    }
    // The locked .debs are inputs like any other: listed, then placed by `place_inputs`.
    let inputs = std::fs::read_to_string(out.path().join("jre-17/bookworm/inputs.txt")).unwrap();
    assert!(
        inputs
            .lines()
            .any(|l| l.starts_with("debs/apt-2/tini_") && l.contains(" sha256:")),
        "{inputs}"
    );
    let specs: Vec<&BuildSpec> = images.iter().map(|(_, _, s)| s).collect();
    write(&out.path().join("docker-bake.json"), &bake(&specs), 0o644).unwrap();
    let bake: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("docker-bake.json")).unwrap())
            .unwrap();

    let mut order = Vec::new();
    build_order(&bake, &target_name("python-deps:base"), &mut order);
    assert_eq!(
        order,
        ["jre-17_bookworm", "python-3-11_jre-17", "python-deps_base"]
    );
    let runtime = target_name("spark-3.5.8:baseline");
    let mut order = Vec::new();
    build_order(&bake, &runtime, &mut order);
    assert_eq!(order.last(), Some(&runtime));
    for layer in [
        "spark-core_3-5-8",
        "spark-examples_3-5-8",
        "python-deps_base",
    ] {
        assert!(
            order.iter().any(|t| t == layer),
            "{layer} is not in {order:?}"
        );
    }
    let closure: Vec<&BuildSpec> = specs
        .iter()
        .copied()
        .filter(|s| order.contains(&target_name(&s.reference)))
        .collect();
    let missing = place_inputs(&Fetcher::new(opts.settings.clone()), &closure, out.path())
        .await
        .unwrap();
    assert!(missing.is_empty(), "{missing:?}");

    // Every target of the closure gets a tag of this run, so none of the catalog's tags moves.
    let prefix = format!("image-dsl-bake-{}/", unique("run"));
    let _cleanup = Cleanup(
        order
            .iter()
            .map(|t| image_dsl_cli::bake::tag(&prefix, t))
            .collect(),
    );
    let log = out.path().join("bake.log");
    let baked = image_dsl_cli::bake::run(
        out.path(),
        &order,
        &prefix,
        false,
        &log,
        std::time::Duration::from_secs(40 * 60),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "docker buildx bake of {runtime} and its {} parents: {:.1} s",
        order.len() - 1,
        baked.elapsed.as_secs_f64()
    );
    let output = std::fs::read_to_string(&log).unwrap();
    assert!(
        output.contains("[spark-3-5-8_baseline") || output.contains("spark-3-5-8_baseline"),
        "bake's output does not mention the runtime target:\n{output}"
    );
    let built = |target: &str| image_dsl_cli::bake::tag(&prefix, target);

    // What the catalog says: a non-root user, and the venv with its packages and no pip.
    let venv = &built("python-deps_base");
    let user = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Config.User}}", venv])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&user.stdout).trim(), "185:0");
    let python = &built("python-3-11_jre-17");
    let listing = Command::new("sh")
        .args([
            "-c",
            &format!(
                "id=$(docker create {venv} none) && docker export \"$id\" | tar -t; docker rm \"$id\" >/dev/null"
            ),
        ])
        .output()
        .unwrap();
    let files = String::from_utf8_lossy(&listing.stdout);
    for expected in [
        "opt/venv/lib/python3.11/site-packages/pandas/__init__.py",
        "opt/venv/lib/python3.11/site-packages/pyarrow/__init__.py",
    ] {
        assert!(
            files.lines().any(|l| l == expected),
            "{expected} is missing"
        );
    }
    assert!(!files.contains("site-packages/pip/"), "pip is in the venv");
    let version = Command::new("docker")
        .args(["run", "--rm", python, "python3", "--version"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&version.stdout).starts_with("Python 3.11"),
        "{}",
        String::from_utf8_lossy(&version.stderr)
    );
    let spark = built(&runtime);
    let user = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Config.User}}", &spark])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&user.stdout).trim(), "185:0");
    let submit = Command::new("docker")
        .args([
            "run",
            "--rm",
            "--entrypoint",
            "/opt/spark/bin/spark-submit",
            &spark,
            "--version",
        ])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&submit.stdout),
        String::from_utf8_lossy(&submit.stderr)
    );
    assert!(
        submit.status.success() && said.contains("version 3.5.8"),
        "{said}"
    );
}
