//! What `cargo xtask images export` and `generate` write: each image's Dockerfile and context
//! (`<name>/<tag>/`), `docker-bake.json` with every target and its dependencies, and with
//! [`place_inputs`] the verified host-fetched inputs inside each context (a git source as the
//! commit's tree), so a team can build with Buildx, or review, without Rust.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;

use crate::engine::context::{TreeContents, tree_entries};
use crate::engine::fetch::Fetcher;
use crate::engine::{BuildSpec, Checksum, Locator};

/// Write one image's Dockerfile, `.dockerignore`, context files and `inputs.txt` (the host-fetched
/// inputs with their checksums, the locked `.deb`s of `spec` included) to `dir`, replacing what
/// was there.
pub fn write_image(
    dir: &Path,
    rendered: &image_dsl::Rendered,
    spec: &BuildSpec,
) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    write(&dir.join("Dockerfile"), &rendered.dockerfile, 0o644)?;
    write(&dir.join(".dockerignore"), &rendered.dockerignore, 0o644)?;
    for file in &rendered.files {
        write(&dir.join(&file.path), &file.contents, file.mode)?;
    }
    let mut inputs = String::from(
        "# Inputs fetched on the host into this context before a build: path, version, checksum, source\n",
    );
    for (path, pin) in &rendered.artifacts {
        let checksum = pin
            .checksum
            .digest()
            .unwrap_or_else(|| "unverified".to_owned());
        inputs.push_str(&format!(
            "{path} {} {checksum} {:?}\n",
            pin.version, pin.source
        ));
    }
    for (path, pin) in &rendered.wheels {
        inputs.push_str(&format!(
            "{path} {} sha256:{} {}\n",
            pin.version, pin.sha256, pin.url
        ));
    }
    for (path, pin) in &rendered.git {
        inputs.push_str(&format!("{path}/ {} - {}\n", pin.commit, pin.repo));
    }
    for artifact in &spec.artifacts {
        if let Locator::Debian { suite, path: pool } = &artifact.source.locator {
            inputs.push_str(&format!(
                "{} {} {} debian {suite} {pool}\n",
                artifact.path,
                artifact.source.version,
                artifact
                    .source
                    .checksum
                    .pinned()
                    .unwrap_or_else(|| "unverified".to_owned())
            ));
        }
    }
    write(&dir.join("inputs.txt"), &inputs, 0o644)
}

/// Copies the SBOM each image's last build wrote (in `from`) to `to`, replacing the SBOMs an
/// earlier export put there; returns the images that have none yet (never built here).
pub fn copy_sboms(from: &Path, specs: &[&BuildSpec], to: &Path) -> anyhow::Result<Vec<String>> {
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("clearing {}", to.display()))?;
    }
    let mut without = Vec::new();
    for spec in specs {
        let name = spec.sbom_file_name();
        match std::fs::read(from.join(&name)) {
            Ok(bytes) => write_bytes(&to.join(&name), &bytes, 0o644)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                without.push(spec.reference.clone())
            }
            Err(e) => {
                return Err(e).with_context(|| format!("reading {}", from.join(&name).display()));
            }
        }
    }
    Ok(without)
}

/// Writes `contents` to `path` with `mode`, creating its directory.
pub fn write(path: &Path, contents: &str, mode: u32) -> anyhow::Result<()> {
    write_bytes(path, contents.as_bytes(), mode)
}

/// [`write`] for bytes.
fn write_bytes(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

/// Bake target name of an image reference: `spark-core:3.5.7` → `spark-core_3-5-7`.
pub fn target_name(reference: &str) -> String {
    let (name, tag) = reference.split_once(':').unwrap_or((reference, "latest"));
    format!(
        "{}_{}",
        name.replace(['/', '.'], "-"),
        tag.replace('.', "-")
    )
}

/// `docker-bake.json`: one target per image; its catalog parents are named contexts pointing at
/// their targets, so `docker buildx bake` builds them first and uses them for `FROM`/`COPY --from`.
pub fn bake(specs: &[&BuildSpec]) -> String {
    let mut targets = serde_json::Map::new();
    for spec in specs {
        let (name, tag) = spec.repo_and_tag();
        let contexts: BTreeMap<String, String> = spec
            .parents
            .iter()
            .map(|p| (p.clone(), format!("target:{}", target_name(p))))
            .collect();
        let mut target = serde_json::json!({
            "context": format!("{name}/{tag}"),
            "dockerfile": "Dockerfile",
            "tags": [spec.reference],
            "labels": { "org.image-dsl.budget-bytes": spec.budget_bytes.to_string() },
        });
        if !contexts.is_empty() {
            target["contexts"] = serde_json::to_value(contexts).unwrap_or_default();
        }
        targets.insert(target_name(&spec.reference), target);
    }
    let all: Vec<String> = specs.iter().map(|s| target_name(&s.reference)).collect();
    let bake = serde_json::json!({
        "group": { "default": { "targets": all } },
        "target": targets,
    });
    let mut text = serde_json::to_string_pretty(&bake).unwrap_or_default();
    text.push('\n');
    text
}

/// Fetches every pinned input of `specs` into the cache (verified) and places it in the exported
/// contexts under `out`: files hard-linked or copied with mode 0644, git sources unpacked as
/// their commit's tree. Returns what could not be placed: inputs without a checksum and inputs
/// that could not be fetched, one line each.
pub async fn place_inputs(
    fetcher: &Fetcher,
    specs: &[&BuildSpec],
    out: &Path,
) -> anyhow::Result<Vec<String>> {
    use std::os::unix::fs::PermissionsExt;
    let mut missing = Vec::new();
    for spec in specs {
        let (name, tag) = spec.repo_and_tag();
        for artifact in &spec.artifacts {
            if artifact.source.checksum.pinned().is_none() {
                missing.push(format!(
                    "{}: {} (no checksum pinned)",
                    spec.reference, artifact.source.name
                ));
                continue;
            }
            let cached = match fetcher.fetch(&artifact.source).await {
                Ok(cached) => cached,
                Err(err) => {
                    let why = err.to_string();
                    missing.push(format!(
                        "{}: {} ({})",
                        spec.reference,
                        artifact.source.name,
                        why.lines().nth(1).unwrap_or(&why).trim()
                    ));
                    continue;
                }
            };
            let target = out.join(name).join(tag).join(&artifact.path);
            if let Checksum::GitCommit(_) = artifact.source.checksum {
                if target.exists() {
                    std::fs::remove_dir_all(&target)
                        .with_context(|| format!("clearing {}", target.display()))?;
                }
                // As the engine's context holds it: modes 644/755, links kept.
                let entries = tree_entries(&artifact.path, &cached)
                    .with_context(|| format!("reading the tree of {}", artifact.source.name))?;
                for entry in entries {
                    let path = out.join(name).join(tag).join(&entry.path);
                    match entry.contents {
                        TreeContents::Bytes(bytes) => write_bytes(&path, &bytes, entry.mode)?,
                        TreeContents::Symlink(link) => {
                            if let Some(parent) = path.parent() {
                                std::fs::create_dir_all(parent)?;
                            }
                            std::os::unix::fs::symlink(&link, &path)
                                .with_context(|| format!("linking {}", path.display()))?;
                        }
                    }
                }
                continue;
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let _ = std::fs::remove_file(&target);
            if std::fs::hard_link(&cached, &target).is_err() {
                std::fs::copy(&cached, &target)
                    .with_context(|| format!("copying to {}", target.display()))?;
            }
            // As the engine's context holds it: programs built on the host are executable.
            let mode = artifact.source.context_mode();
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(missing)
}
