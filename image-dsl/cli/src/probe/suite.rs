//! Probing a set of images: which are built, what the unbuilt ones lack, which other images the
//! probes need, running them in order, and keeping `test-results.json` across runs.

use std::collections::BTreeMap;
use std::path::Path;

use image_dsl::Image;

use super::plan::venv_layer;
use super::results::{Outcome, ProbeResult};
use super::{ProbeContext, ProbeKind, jdbc, notebook, service};
use crate::engine::{self, BuildSpec, Freshness, fetch, graph};
use image_dsl::catalog::Catalog;

/// The artifacts without a pinned checksum that `reference` (or an image it builds on) needs:
/// `name version` each. Empty when everything it needs is verified.
pub fn needs_mirror(specs: &[BuildSpec], reference: &str) -> Vec<String> {
    let Ok(closure) = graph::select(specs.to_vec(), &[reference.to_owned()]) else {
        return Vec::new();
    };
    match fetch::refuse_unverified(&closure) {
        Ok(()) => Vec::new(),
        Err(unverified) => {
            let mut names: Vec<String> = unverified.0.into_iter().map(|u| u.artifact).collect();
            names.sort();
            names.dedup();
            names
        }
    }
}

/// Why `reference` cannot be probed, or `None` when the engine has it as its definition builds
/// it today.
pub fn not_probed_reason(
    ctx: &ProbeContext,
    freshness: &BTreeMap<String, Freshness>,
    reference: &str,
) -> Option<String> {
    match freshness.get(reference) {
        Some(Freshness::Current) => None,
        Some(Freshness::Stale) => Some(format!(
            "stale: the image tagged {reference} was built from an earlier definition (its \
             content-hash label differs: the image, a pin, a context file, a parent or the base \
             changed); rebuild it with {} or test with `--build`",
            crate::engine::Fix::Build(reference.to_owned())
        )),
        Some(Freshness::Missing) | None => {
            let missing = needs_mirror(&ctx.specs, reference);
            Some(if missing.is_empty() {
                "not built".to_owned()
            } else {
                format!("not built (needs mirror: {})", missing.join(", "))
            })
        }
    }
}

/// Catalog images the probes of `images` run besides the images themselves: PostgreSQL for the
/// JDBC and Iceberg SQL probes, the Python base a data-only venv layer is made runnable on.
pub fn prerequisites(catalog: &Catalog, images: &[(Image, Vec<ProbeKind>)]) -> Vec<String> {
    let services = &catalog.services;
    let postgres = || service(&services.postgresql, "postgresql").to_owned();
    let mariadb = || service(&services.mariadb, "mariadb").to_owned();
    let iceberg_rest = || service(&services.iceberg_rest, "iceberg_rest").to_owned();
    let mut needed = Vec::new();
    for (image, kinds) in images {
        if kinds.contains(&ProbeKind::Jdbc) || kinds.contains(&ProbeKind::IcebergSql) {
            needed.push(postgres());
        }
        if kinds.contains(&ProbeKind::IcebergSql) {
            needed.push(iceberg_rest());
        }
        if kinds.contains(&ProbeKind::JdbcDrivers) {
            needed.extend([postgres(), mariadb()]);
            needed.extend(jdbc::newest_baseline_runtime(&catalog.images));
        }
        if kinds.contains(&ProbeKind::Notebook) {
            needed.extend(notebook::connect_server(&catalog.images, image));
            if image.spark.is_some_and(|f| f.iceberg()) {
                needed.extend([postgres(), iceberg_rest()]);
            }
        }
        if (kinds.contains(&ProbeKind::IcebergPython) || kinds.contains(&ProbeKind::GpuPython))
            && let Some((base, _)) = venv_layer(image)
        {
            needed.push(base);
        }
    }
    needed.sort();
    needed.dedup();
    needed
}

/// Runs `kinds` on each built image in order, reporting each result to `progress` as it ends;
/// images not built, or built from an earlier definition (stale), get one skipped row saying why.
pub async fn run(
    ctx: &ProbeContext,
    images: &[(Image, Vec<ProbeKind>)],
    mut progress: impl FnMut(&ProbeResult),
) -> Vec<ProbeResult> {
    let mut results = Vec::new();
    let freshness = match engine::freshness(ctx.specs.clone(), &ctx.build).await {
        Ok(freshness) => freshness,
        Err(err) => {
            for (image, _) in images {
                let mut result = ProbeResult::not_built(&image.reference(), &err.to_string());
                result.outcome = Outcome::Failed;
                progress(&result);
                results.push(result);
            }
            return results;
        }
    };
    for (image, kinds) in images {
        let reference = image.reference();
        if let Some(reason) = not_probed_reason(ctx, &freshness, &reference) {
            let result = ProbeResult::not_built(&reference, &reason);
            progress(&result);
            results.push(result);
            continue;
        }
        for kind in kinds {
            let result = super::run(ctx, image, *kind).await;
            progress(&result);
            results.push(result);
        }
    }
    results
}

/// Writes `results` to `path`, keeping earlier rows of images this run did not probe.
pub fn save(path: &Path, results: &[ProbeResult]) -> std::io::Result<()> {
    let mut all = load(path);
    all.retain(|old| !results.iter().any(|new| new.image == old.image));
    all.extend(results.iter().cloned());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let json = serde_json::to_string_pretty(&all).map_err(std::io::Error::other)?;
    std::fs::write(path, json + "\n")
}

/// The results saved at `path` (none when it is missing or unreadable).
pub fn load(path: &Path) -> Vec<ProbeResult> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog_specs() -> Vec<BuildSpec> {
        crate::catalog::ordered(&crate::this_repository())
            .unwrap()
            .into_iter()
            .map(|(_, _, s)| s)
            .collect()
    }

    #[test]
    fn mirror_needs_follow_the_parents() {
        let specs = catalog_specs();
        assert!(needs_mirror(&specs, "spark-3.5.7:baseline").is_empty());
        // Maven Central's RAPIDS jar is pinned and verified; Apache's tarball is not.
        assert!(needs_mirror(&specs, "spark-4.1.1:gpu").is_empty());
        let apache = needs_mirror(&specs, "spark-core:3.5.8-apache");
        assert!(
            apache.iter().any(|a| a.contains("spark-3.5.8-bin-hadoop3")),
            "{apache:?}"
        );
    }

    /// This repository's image `reference` with the probes it gets.
    fn pick(catalog: &Catalog, reference: &str) -> (Image, Vec<ProbeKind>) {
        let image = catalog
            .images
            .iter()
            .find(|i| i.reference() == reference)
            .unwrap()
            .clone();
        let kinds = crate::probe::probes_for(&image);
        (image, kinds)
    }

    #[test]
    fn jdbc_and_venv_layers_pull_in_their_helpers() {
        let catalog = images::catalog();
        let needed = prerequisites(
            &catalog,
            &[
                pick(&catalog, "spark-3.5.7:baseline"),
                pick(&catalog, "python-deps:iceberg"),
            ],
        );
        assert_eq!(needed, ["postgresql:15", "python-3.11:jre-17"]);
    }

    #[test]
    fn spark_4_notebooks_pull_in_their_connect_server() {
        let catalog = images::catalog();
        assert_eq!(
            prerequisites(
                &catalog,
                &[
                    pick(&catalog, "jupyter-4.1.0:baseline"),
                    pick(&catalog, "jupyter-3.5.7:baseline")
                ]
            ),
            ["spark-4.1.0:baseline"]
        );
    }

    #[test]
    fn saving_replaces_only_the_images_probed_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let row = |image: &str, detail: &str| ProbeResult {
            image: image.into(),
            probe: "local".into(),
            outcome: Outcome::Passed,
            detail: detail.into(),
            seconds: 1.0,
        };
        save(&path, &[row("a:1", "old"), row("b:1", "old")]).unwrap();
        save(&path, &[row("a:1", "new")]).unwrap();
        let all = load(&path);
        assert_eq!(all.len(), 2);
        assert!(all.contains(&row("a:1", "new")) && all.contains(&row("b:1", "old")));
    }
}
