//! A team adopts image-dsl for its own catalog, outside this repository: a workspace made in a
//! temporary directory, with path dependencies on our crates, its own pin file, two images and its
//! own ten-line xtask. It lists, generates, builds and tests its images through its own
//! `cargo xtask`, and a rule it breaks is a compile error spanned in its own file.
//!
//! Its images are named under `image-dsl-test/`, so they never collide with a catalog's.

use crate::support;
use image_dsl_workspace::wait_with_timeout;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The outside workspace's files: `(path, contents)`.
fn files(repo: &Path) -> Vec<(&'static str, String)> {
    let repo = repo.display();
    vec![
        (
            "Cargo.toml",
            format!(
                r#"[workspace]
members = ["catalog", "xtask"]
resolver = "3"

[workspace.dependencies]
image-dsl = {{ path = "{repo}/image-dsl" }}
image-dsl-cli = {{ path = "{repo}/image-dsl/cli" }}
catalog = {{ path = "catalog" }}
"#
            ),
        ),
        (
            ".cargo/config.toml",
            "[alias]\nxtask = \"run --quiet --package xtask --\"\n".to_owned(),
        ),
        (
            "xtask/Cargo.toml",
            r#"[package]
name = "xtask"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
image-dsl-cli.workspace = true
catalog.workspace = true
"#
            .to_owned(),
        ),
        (
            "xtask/src/main.rs",
            r#"//! `cargo xtask`: the image-dsl command line over this workspace's catalog.

use image_dsl_cli::Layout;
use std::path::Path;

fn main() -> std::process::ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("in the workspace");
    image_dsl_cli::main(catalog::catalog(), Layout::new(root, root.join("catalog")))
}
"#
            .to_owned(),
        ),
        (
            "catalog/Cargo.toml",
            r#"[package]
name = "catalog"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
image-dsl.workspace = true

[build-dependencies]
image-dsl.workspace = true
"#
            .to_owned(),
        ),
        (
            "catalog/build.rs",
            "fn main() {\n    image_dsl::build::catalog_data();\n}\n".to_owned(),
        ),
        // No Spark images: the policy declares nothing, so no Spark rule or ceiling applies.
        ("catalog/policy.toml", String::new()),
        (
            "catalog/pins.toml",
            r#"[debian]
suite = "bookworm"

[artifact."postgresql"]
version = "42.7.14"
maven = "org.postgresql:postgresql:42.7.14"
sha256 = "73914527305a40cce504b0d3d90b23caf565136912d607ae8ae7c5895512332c"
"#
            .to_owned(),
        ),
        ("catalog/files/greet.sh", GREET.to_owned()),
        ("catalog/src/lib.rs", CATALOG.to_owned()),
    ]
}

const GREET: &str = "#!/bin/sh\necho \"hello from $(id -u), driver $(stat -c %s /opt/jdbc/postgresql.jar) bytes\"\n";

/// The outside catalog: a base with a pinned Maven jar and a script, and an app on it with a
/// health check.
const CATALOG: &str = r#"//! A team's own catalog.

use image_dsl::catalog::Catalog;
use image_dsl::image;

image_dsl::include_catalog_data!();

image! {
    /// Debian with a JDBC driver and a greeting.
    pub image greeter_base {
        name "image-dsl-test/adoption-base";
        tag "1";
        budget 150 MB;
        from debian "bookworm";
        artifact "postgresql" to "/opt/jdbc/postgresql.jar";
        file "/usr/local/bin/greet" = include "../files/greet.sh" mode 0o755;
        run ["find / -xdev -type f -perm /6000 -exec chmod a-s {} +"];
        user 1000:1000;
    }

    /// The greeting as a service that reports healthy.
    pub image greeter {
        name "image-dsl-test/adoption-app";
        tag "1";
        budget 150 MB;
        from greeter_base;
        healthcheck { cmd: ["/usr/local/bin/greet"], interval: "2s", timeout: "2s", start_period: "1s", retries: 3 };
        cmd ["sh", "-c", "greet && exec sleep 3600"];
        user 1000:1000;
    }
}

/// Both images.
pub fn catalog() -> Catalog {
    Catalog {
        images: vec![greeter_base(), greeter()],
        ..Catalog::default()
    }
}
"#;

/// Runs `cargo args…` in `dir` with the outside workspace's own target directory.
fn cargo(dir: &Path, target: &Path, args: &[&str], limit: Duration) -> Output {
    let child = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo runs");
    wait_with_timeout(child, limit)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(what: &str, output: &Output) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Writes `contents` to `file` of the outside workspace, whose catalog must then fail to compile:
/// the 1-based line of `file` whose trimmed text is `offending`, and the compiler's stderr.
fn refused_at(
    ws: &Path,
    target: &Path,
    file: &str,
    contents: &str,
    offending: &str,
) -> (usize, String) {
    std::fs::write(ws.join(file), contents).unwrap();
    let line = contents
        .lines()
        .position(|l| l.trim() == offending)
        .unwrap_or_else(|| panic!("{file} has no line `{offending}`"))
        + 1;
    let refused = cargo(
        ws,
        target,
        &["build", "--package", "catalog"],
        Duration::from_secs(600),
    );
    assert!(
        !refused.status.success(),
        "the catalog compiled with `{offending}` in {file}"
    );
    (line, text(&refused.stderr))
}

/// A workspace outside this one, written to a temporary directory.
fn outside_workspace() -> (tempfile::TempDir, PathBuf) {
    let repo = support::repo_root();
    let dir = tempfile::tempdir().expect("temporary directory");
    for (path, contents) in files(&repo) {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    // The same toolchain and dependency versions as this repository, as a team pinning them would.
    for file in ["rust-toolchain.toml", "Cargo.lock"] {
        std::fs::copy(repo.join(file), dir.path().join(file)).unwrap();
    }
    // Kept across runs, as a team's own target directory is.
    let target = repo.join("target").join("adoption");
    (dir, target)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outside_workspace_builds_and_tests_its_own_images_with_a_ten_line_xtask() {
    let docker = support::docker().await;
    // The Debian base is made from this machine's locked package set, as this repository's
    // builds make it; the outside catalog builds on the same base.
    let opts = support::options();
    image_dsl_cli::engine::bootstrap::ensure_base(
        &docker,
        &opts.bootstrap_options(image_dsl_cli::engine::BASE_REFERENCE, false),
    )
    .await
    .unwrap_or_else(|e| panic!("the base could not be made: {e}"));

    let (dir, target) = outside_workspace();
    let ws = dir.path();
    let main_rs = std::fs::read_to_string(ws.join("xtask/src/main.rs")).unwrap();
    assert!(main_rs.lines().count() <= 10, "the xtask is {main_rs}");
    let xtask = |args: &[&str], limit: u64| {
        let mut all = vec!["xtask", "images"];
        all.extend_from_slice(args);
        cargo(ws, &target, &all, Duration::from_secs(limit))
    };

    // Cold, this compiles the engine and the CLI: minutes on two cores.
    let listed = ok("cargo xtask images list", &xtask(&["list"], 1800));
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "image-dsl-test/adoption-base:1",
            "image-dsl-test/adoption-app:1"
        ]
    );

    ok(
        "images generate",
        &xtask(&["generate", "--out", "gen"], 300),
    );
    let dockerfile =
        std::fs::read_to_string(ws.join("gen/image-dsl-test/adoption-app/1/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("FROM image-dsl-test/adoption-base:1"),
        "{dockerfile}"
    );
    assert!(dockerfile.contains("HEALTHCHECK"), "{dockerfile}");

    let built = xtask(&["build", "--jobs", "1"], 1200);
    let summary = ok("images build", &built);
    for reference in [
        "image-dsl-test/adoption-base:1",
        "image-dsl-test/adoption-app:1",
    ] {
        assert!(
            support::tagged(&docker, reference).await.is_some(),
            "{reference} was not tagged:\n{summary}"
        );
    }
    let again = ok("images build (again)", &xtask(&["build"], 300));
    assert!(
        again.contains("up to date") || again.contains("up-to-date"),
        "a second build rebuilt something:\n{again}"
    );

    let tested = xtask(&["test"], 900);
    let table = ok("images test", &tested);
    for probe in ["structure", "healthcheck"] {
        assert!(
            table
                .lines()
                .any(|l| l.contains("adoption-app:1") && l.contains(probe) && l.contains("passed")),
            "{probe} did not pass on the app:\n{table}\n{}",
            text(&tested.stderr)
        );
    }
    let results = ws.join("target/images/test-results.json");
    assert!(
        results.is_file(),
        "results go to the outside workspace's target"
    );

    // A rule broken in the outside catalog: the final user is root. The error is spanned in its
    // own file, at the offending statement.
    let broken = CATALOG.replacen(
        "        cmd [\"sh\", \"-c\", \"greet && exec sleep 3600\"];\n        user 1000:1000;",
        "        cmd [\"sh\", \"-c\", \"greet && exec sleep 3600\"];\n        user 0:0;",
        1,
    );
    assert_ne!(broken, CATALOG);
    let (line, stderr) = refused_at(ws, &target, "catalog/src/lib.rs", &broken, "user 0:0;");
    assert!(
        stderr.contains(&format!("--> catalog/src/lib.rs:{line}:")),
        "the error is not spanned at catalog/src/lib.rs:{line}:\n{stderr}"
    );
    assert!(stderr.contains("root"), "{stderr}");

    // A pin the pin file's rules refuse is reported at its own line of the outside pin file.
    std::fs::write(ws.join("catalog/src/lib.rs"), CATALOG).unwrap();
    let pins = std::fs::read_to_string(ws.join("catalog/pins.toml")).unwrap();
    let unpinned = pins.replace("version = \"42.7.14\"", "version = \"latest\"");
    assert_ne!(unpinned, pins);
    let (line, stderr) = refused_at(
        ws,
        &target,
        "catalog/pins.toml",
        &unpinned,
        "version = \"latest\"",
    );
    assert!(
        stderr.contains(&format!("catalog/pins.toml:{line}:")),
        "the error does not name catalog/pins.toml:{line}:\n{stderr}"
    );

    for reference in [
        "image-dsl-test/adoption-app:1",
        "image-dsl-test/adoption-base:1",
    ] {
        let _ = docker
            .remove_image(
                reference,
                None::<image_dsl_cli::engine::bollard::query_parameters::RemoveImageOptions>,
                None,
            )
            .await;
    }
}
