//! `docker buildx bake` of the exported graph: the peer `images bench --engine` measures against,
//! and the way a team without Rust builds the export.
//!
//! [`export`] writes what `images export --fetch` writes (Dockerfiles, contexts with their
//! verified inputs, `docker-bake.json`) for some catalog images into a temporary directory;
//! [`run`] bakes targets of it under tags of their own, so a bench or a test never moves the
//! catalog's tags.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;

use anyhow::Context as _;
use image_dsl::{Image, Rendered};

use crate::engine::BuildSpec;
use crate::engine::fetch::Fetcher;
use crate::export::{bake, place_inputs, target_name, write, write_image};

/// An export in a temporary directory, removed when dropped.
pub struct Exported {
    /// The export's root: `docker-bake.json` and `<name>/<tag>/` per image.
    pub dir: tempfile::TempDir,
    /// Bake target per exported image, in the order given.
    pub targets: Vec<String>,
}

/// Exports `images` with their inputs placed; an input that cannot be placed is an error naming
/// it (bake would fail on the missing file later, less clearly).
pub async fn export(
    images: &[&(Image, Rendered, BuildSpec)],
    fetcher: &Fetcher,
) -> anyhow::Result<Exported> {
    let dir = tempfile::Builder::new()
        .prefix("image-dsl-bake-")
        .tempdir()
        .context("creating a directory for the export")?;
    for (image, rendered, spec) in images {
        write_image(
            &dir.path().join(&image.name).join(&image.tag),
            rendered,
            spec,
        )?;
    }
    let specs: Vec<&BuildSpec> = images.iter().map(|(_, _, s)| s).collect();
    write(&dir.path().join("docker-bake.json"), &bake(&specs), 0o644)?;
    let missing = place_inputs(fetcher, &specs, dir.path()).await?;
    if !missing.is_empty() {
        anyhow::bail!(
            "the export for bake lacks inputs:\n  {}",
            missing.join("\n  ")
        );
    }
    Ok(Exported {
        targets: specs.iter().map(|s| target_name(&s.reference)).collect(),
        dir,
    })
}

/// The tag bake gives `target` under `prefix`: `<prefix><target>:bake`.
pub fn tag(prefix: &str, target: &str) -> String {
    format!("{prefix}{target}:bake")
}

/// How one bake went.
#[derive(Debug)]
pub struct Baked {
    /// Wall time of `docker buildx bake`.
    pub elapsed: Duration,
    /// Its plain progress output.
    pub log: PathBuf,
}

/// Runs `docker buildx bake` of `targets` in `export`, each loaded into the engine as
/// [`tag`]`(prefix, target)`, with `--no-cache` for a cold build; its output goes to `log`.
/// Stopped (and an error) after `timeout`.
pub async fn run(
    export: &Path,
    targets: &[String],
    prefix: &str,
    no_cache: bool,
    log: &Path,
    timeout: Duration,
) -> anyhow::Result<Baked> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut cmd = Command::new("docker");
    cmd.args([
        "buildx",
        "bake",
        "--file",
        "docker-bake.json",
        "--progress",
        "plain",
    ])
    .current_dir(export);
    if no_cache {
        cmd.arg("--no-cache");
    }
    for target in targets {
        cmd.arg("--set")
            .arg(format!("{target}.tags={}", tag(prefix, target)));
    }
    cmd.args(targets)
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    let started = Instant::now();
    let mut child = cmd.kill_on_drop(true).spawn().map_err(|e| {
        anyhow::anyhow!(
            "cannot run `docker buildx bake` ({e}): install Docker's buildx plugin (Debian: docker-buildx)"
        )
    })?;
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => status.context("waiting for `docker buildx bake`")?,
        Err(_) => {
            let _ = child.kill().await;
            child
                .wait()
                .await
                .context("stopping `docker buildx bake`")?
        }
    };
    let elapsed = started.elapsed();
    if !status.success() {
        let output = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = output.lines().rev().take(20).collect();
        anyhow::bail!(
            "`docker buildx bake` failed ({status}{}) in {}; its last output (all of it in {}):\n  {}",
            if elapsed >= timeout {
                format!(", stopped after {} s", timeout.as_secs())
            } else {
                String::new()
            },
            export.display(),
            log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n  ")
        );
    }
    Ok(Baked {
        elapsed,
        log: log.to_owned(),
    })
}
