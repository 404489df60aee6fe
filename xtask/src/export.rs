//! `cargo xtask images export`: everything a team needs to build or review the catalog without
//! Rust: each image's Dockerfile and context (`<name>/<tag>/`), a `docker-bake.json` with every
//! target and its dependencies, the standalone compose kits (`compose/<name>-<tag>/`), and with
//! `--fetch` the verified host-fetched inputs inside each context.

use crate::flags::Export;
use crate::generate::{write, write_image};
use anyhow::Context as _;
use std::collections::BTreeMap;
use std::process::ExitCode;
use xtask::engine::{BuildSpec, fetch::Fetcher, repo_root};

impl Export {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let images = xtask::catalog::ordered()?;
        let out = repo_root().join(&self.out);
        for (image, rendered, _) in &images {
            write_image(&out.join(&image.name).join(&image.tag), rendered)?;
        }
        let specs: Vec<&BuildSpec> = images.iter().map(|(_, _, s)| s).collect();
        write(&out.join("docker-bake.json"), &bake(&specs), 0o644)?;
        let mut kits = 0;
        for (image, _, _) in images
            .iter()
            .filter(|(i, _, _)| i.name == "spark-standalone")
        {
            let dir = out
                .join("compose")
                .join(format!("{}-{}", image.name, image.tag));
            for file in xtask::kit::compose_kit(image) {
                write(&dir.join(&file.path), &file.contents, 0o644)?;
            }
            kits += 1;
        }
        if self.fetch {
            fetch_inputs(&self, &specs, &out)?;
        }
        println!(
            "exported {} images, docker-bake.json and {kits} compose kit(s) to {}",
            images.len(),
            out.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// Bake target name of an image reference: `spark-core:3.5.7` → `spark-core_3-5-7`.
pub(crate) fn target_name(reference: &str) -> String {
    let (name, tag) = reference.split_once(':').unwrap_or((reference, "latest"));
    format!(
        "{}_{}",
        name.replace(['/', '.'], "-"),
        tag.replace('.', "-")
    )
}

/// `docker-bake.json`: one target per image; its catalog parents are named contexts pointing at
/// their targets, so `docker buildx bake` builds them first and uses them for `FROM`/`COPY --from`.
pub(crate) fn bake(specs: &[&BuildSpec]) -> String {
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

/// Fetch every pinned input into the cache (verified) and copy it into the exported contexts;
/// inputs without a checksum are listed, not fetched.
fn fetch_inputs(
    export: &Export,
    specs: &[&BuildSpec],
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let opts = export.mirrors.options()?;
    let fetcher = Fetcher::new(opts.settings.clone());
    let runtime = crate::build::runtime()?;
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
            let cached = runtime
                .block_on(fetcher.fetch(&artifact.source))
                .with_context(|| {
                    format!("{}: fetching {}", spec.reference, artifact.source.name)
                })?;
            let target = out.join(name).join(tag).join(&artifact.path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            if std::fs::hard_link(&cached, &target).is_err() {
                std::fs::copy(&cached, &target)
                    .with_context(|| format!("copying to {}", target.display()))?;
            }
        }
    }
    for m in &missing {
        eprintln!("not fetched: {m}");
    }
    Ok(())
}
