//! The export as a team without Rust uses it. Buildx is not packaged for Debian bookworm, so
//! `docker buildx bake` cannot run here; the test does what bake does with the exported
//! `docker-bake.json` instead: it walks the graph of a target in dependency order and builds
//! each target's exported context with plain `docker build`, putting the image built for each
//! named context (`target:X`) in the place of the name its Dockerfile's `FROM` uses.
//!
//! It covers: the bake graph names every parent and orders them, each exported context holds
//! what its Dockerfile copies once `--fetch` placed the inputs (wheels here), and the images
//! built that way have the catalog's user and contents. It does not cover Buildx itself
//! (named-context resolution, its cache).

use std::collections::HashMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

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

/// `dockerfile` with each `FROM <name>` of `contexts` replaced by the image built for it.
fn with_contexts(dockerfile: &str, contexts: &HashMap<String, String>) -> String {
    dockerfile
        .lines()
        .map(|line| {
            let mut words: Vec<&str> = line.split(' ').collect();
            if words.first() == Some(&"FROM")
                && let Some(image) = words.iter_mut().skip(1).find(|w| !w.starts_with("--"))
                && let Some(built) = contexts.get(*image)
            {
                *image = built;
            }
            words.join(" ") + "\n"
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bake_graph_builds_from_the_exported_contexts_with_plain_docker() {
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
    let closure: Vec<&BuildSpec> = specs
        .iter()
        .copied()
        .filter(|s| order.contains(&target_name(&s.reference)))
        .collect();
    let missing = place_inputs(&Fetcher::new(opts.settings.clone()), &closure, out.path())
        .await
        .unwrap();
    assert!(missing.is_empty(), "{missing:?}");

    let run = unique("bake");
    let mut built: HashMap<String, String> = HashMap::new();
    let mut cleanup = Cleanup(Vec::new());
    for target in &order {
        let definition = &bake["target"][target];
        let contexts: HashMap<String, String> = definition["contexts"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(image, t)| {
                let parent = t.as_str().unwrap().trim_start_matches("target:");
                (image.clone(), built[parent].clone())
            })
            .collect();
        let dir = out.path().join(definition["context"].as_str().unwrap());
        let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
        let tag = format!("image-dsl-bake/{target}:{run}");
        cleanup.0.push(tag.clone());
        let mut child = Command::new("docker")
            .args(["build", "--quiet", "--tag", &tag, "--file", "-"])
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("docker runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(with_contexts(&dockerfile, &contexts).as_bytes())
            .unwrap();
        let result = child.wait_with_output().unwrap();
        assert!(
            result.status.success(),
            "{target} did not build from {}:\n{}",
            dir.display(),
            String::from_utf8_lossy(&result.stderr)
        );
        built.insert(target.clone(), tag);
    }

    // What the catalog says: a non-root user, and the venv with its packages and no pip.
    let venv = &built["python-deps_base"];
    let user = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Config.User}}", venv])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&user.stdout).trim(), "185:0");
    let python = &built["python-3-11_jre-17"];
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
}
