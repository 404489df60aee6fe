//! `cargo xtask images report`: `target/images/report.md`, one row per catalog image: built here
//! (and whether the tag is stale) or what it lacks (the artifacts that need a mirror, the pinned
//! inputs not in the cache yet), its size against its budget, and its probe results from
//! `target/images/test-results.json` (written by `cargo xtask images test`). For a variant
//! (`<name>:<tag>` beside a `<name>:baseline`), it also says what pulling it after its baseline
//! downloads: the bytes of its layers the baseline does not have. Beside the size of every built
//! image is its compressed size, `docker save | gzip -1` (about what a node pulls), measured once
//! per image ID ([`engine::compressed`]). It asks no network.

use std::fmt::Write as _;
use std::process::ExitCode;

use crate::engine::compressed::SizeCache;
use crate::engine::outcome::human_size;
use crate::engine::{self, BuildSpec};
use crate::probe::{Outcome, ProbeResult, results, suite};
use anyhow::Context as _;

use super::runtime;
use crate::flags::Report;

/// What the report knows about one image.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub reference: String,
    /// Size in the engine, when built.
    pub size: Option<u64>,
    /// Its `docker save | gzip -1` bytes, when built and measured.
    pub compressed: Option<u64>,
    pub budget: u64,
    /// Artifacts without a verified checksum it (or a parent) needs.
    pub needs_mirror: Vec<String>,
    /// Pinned inputs it (or a parent) needs that are not in the cache: never fetched here.
    pub not_fetched: Vec<String>,
    /// Built from an earlier definition.
    pub stale: bool,
    /// For a variant with its baseline built: the bytes of its layers the baseline lacks.
    pub over_baseline: Option<u64>,
}

/// The build steps of `reference`, each as its command and size, and the bytes each adds, oldest
/// first. Not the steps' image ids: BuildKit leaves them `<missing>`.
async fn steps(docker: &bollard::Docker, reference: &str) -> Option<Vec<(String, u64)>> {
    let history = docker.image_history(reference).await.ok()?;
    Some(
        history
            .into_iter()
            .rev()
            .map(|item| {
                let size = item.size.max(0) as u64;
                (format!("{size} {}", item.created_by), size)
            })
            .collect(),
    )
}

/// What `variant` adds over `baseline`: the bytes of the steps it does not share with it. A step
/// both ran with the same command and the same bytes is counted as shared: a copy's layer holds
/// only what it copies (with `COPY --link`, the very same blob), so a pull of the variant after
/// the baseline downloads only the rest.
pub(crate) fn bytes_over(variant: &[(String, u64)], baseline: &[(String, u64)]) -> u64 {
    variant
        .iter()
        .filter(|(step, _)| !baseline.iter().any(|(b, _)| b == step))
        .map(|(_, size)| size)
        .sum()
}

/// `<name>:baseline` for a variant `<name>:<tag>`, if the catalog has it.
fn baseline_of(specs: &[BuildSpec], reference: &str) -> Option<String> {
    let (name, tag) = reference.rsplit_once(':')?;
    let baseline = format!("{name}:baseline");
    (tag != "baseline" && specs.iter().any(|s| s.reference == baseline)).then_some(baseline)
}

impl Report {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let specs: Vec<BuildSpec> = crate::catalog::ordered(ws)?
            .into_iter()
            .map(|(_, _, s)| s)
            .collect();
        let runtime = runtime()?;
        let docker = runtime.block_on(engine::client::connect(None))?;
        let opts = self.mirrors.options(ws)?;
        let freshness = runtime.block_on(engine::freshness(specs.clone(), &opts))?;
        let fetcher = engine::fetch::Fetcher::new(opts.settings.clone());
        let mut sizes = SizeCache::load(ws.layout.size_cache());
        let rows: Vec<Row> = runtime.block_on(async {
            let mut rows = Vec::new();
            for spec in &specs {
                let inspect = docker.inspect_image(&spec.reference).await.ok();
                let size = inspect.as_ref().map(|i| i.size.unwrap_or(0).max(0) as u64);
                let compressed = match (&inspect, size) {
                    (Some(image), Some(size)) => {
                        let id = image.id.as_deref().unwrap_or_default();
                        compressed(&docker, &spec.reference, id, size, &mut sizes).await
                    }
                    _ => None,
                };
                let over_baseline = match baseline_of(&specs, &spec.reference) {
                    Some(baseline) if size.is_some() => {
                        let mine = steps(&docker, &spec.reference).await;
                        let theirs = steps(&docker, &baseline).await;
                        mine.zip(theirs).map(|(m, t)| bytes_over(&m, &t))
                    }
                    _ => None,
                };
                rows.push(Row {
                    reference: spec.reference.clone(),
                    size,
                    compressed,
                    budget: spec.budget_bytes,
                    needs_mirror: suite::needs_mirror(&specs, &spec.reference),
                    not_fetched: not_fetched(&fetcher, &specs, &spec.reference),
                    stale: freshness.get(&spec.reference) == Some(&engine::Freshness::Stale),
                    over_baseline,
                });
            }
            rows
        });
        let tests = suite::load(&results::results_path(&ws.layout));
        let mut markdown = render(&rows, &tests);
        markdown.push_str(&programs(&specs, &fetcher));
        let path = ws.layout.target().join("report.md");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, &markdown).with_context(|| format!("writing {}", path.display()))?;
        print!("{markdown}");
        println!("\nwrote {}", path.display());
        Ok(ExitCode::SUCCESS)
    }
}

/// The `docker save | gzip -1` bytes of the built image `reference` (of `size`, image `id`),
/// from the cache or measured now; a failure is a warning and an empty cell.
async fn compressed(
    docker: &bollard::Docker,
    reference: &str,
    id: &str,
    size: u64,
    cache: &mut SizeCache,
) -> Option<u64> {
    if cache.get(id).is_none() {
        eprintln!(
            "gzipping {reference} ({}) for its compressed size; kept in {}",
            human_size(size),
            cache.path().display()
        );
    }
    match engine::compressed::compressed_size(docker, reference, cache).await {
        Ok(measured) => Some(measured.gzip_bytes),
        Err(err) => {
            eprintln!("warning: no compressed size: {err}");
            None
        }
    }
}

/// The pinned inputs of `reference` and its parents that are not in the artifact cache.
fn not_fetched(
    fetcher: &engine::fetch::Fetcher,
    specs: &[BuildSpec],
    reference: &str,
) -> Vec<String> {
    let Ok(closure) = engine::graph::select(specs.to_vec(), &[reference.to_owned()]) else {
        return Vec::new();
    };
    let missing: Vec<&engine::ArtifactSource> = closure
        .iter()
        .flat_map(|spec| &spec.artifacts)
        .map(|a| &a.source)
        .filter(|source| {
            fetcher
                .cached_file(source)
                .is_some_and(|path| !path.exists())
        })
        .collect();
    // The locked `.deb`s are counted, not listed: an apt step has dozens.
    let (debs, others): (Vec<_>, Vec<_>) = missing
        .into_iter()
        .partition(|source| matches!(source.locator, engine::Locator::Debian { .. }));
    let mut names: Vec<String> = others
        .iter()
        .map(|source| format!("{} {}", source.name, source.version))
        .collect();
    names.sort();
    names.dedup();
    let mut debs: Vec<&str> = debs.iter().map(|s| s.name.as_str()).collect();
    debs.sort_unstable();
    debs.dedup();
    if !debs.is_empty() {
        names.push(format!("{} .debs of the apt lock", debs.len()));
    }
    names
}

/// The programs built on the host, each once: its source, version, toolchain, whether it is
/// compiled and cached here, and the images that carry it.
fn programs(specs: &[BuildSpec], fetcher: &engine::fetch::Fetcher) -> String {
    let mut rows: std::collections::BTreeMap<String, (String, Vec<&str>)> = Default::default();
    for spec in specs {
        for source in spec.artifacts.iter().map(|a| &a.source) {
            let (from, toolchain) = match &source.locator {
                engine::Locator::Go(go) => {
                    let what = if go.zip {
                        "module zip".to_owned()
                    } else if !go.main.is_empty() {
                        "the catalog's main package".to_owned()
                    } else {
                        format!("package `{}`", go.package)
                    };
                    (
                        format!("Go module proxy: `{}@{}`, {what}", go.module, go.version),
                        &go.toolchain,
                    )
                }
                engine::Locator::Crate(c) => {
                    let mut from =
                        format!("crates.io: `{}@{}`, binary `{}`", c.name, c.version, c.bin);
                    if !c.default_features {
                        from.push_str(", no default features");
                    }
                    if !c.features.is_empty() {
                        let _ = write!(from, ", features {}", c.features.join(" "));
                    }
                    if let Some(lto) = &c.lto {
                        let _ = write!(from, ", lto {lto}");
                    }
                    if let Some(units) = c.codegen_units {
                        let _ = write!(from, ", {units} codegen units");
                    }
                    (from, &c.toolchain)
                }
                _ => continue,
            };
            let cached = fetcher.cached_file(source).is_some_and(|p| p.is_file());
            let entry = rows.entry(source.name.clone()).or_insert_with(|| {
                (
                    format!(
                        "| {} | {} | {from} | {toolchain} | {} |",
                        source.name,
                        source.version,
                        if cached { "yes" } else { "no" }
                    ),
                    Vec::new(),
                )
            });
            entry.1.push(&spec.reference);
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut md = "\n## Programs built on the host\n\n\
         | program | version | source | toolchain | compiled here | images |\n\
         |---|---|---|---|---|---|\n"
        .to_owned();
    for (line, images) in rows.values() {
        let _ = writeln!(md, "{line} {} |", images.join(", "));
    }
    md
}

/// The report as Markdown: the table, then every failed probe and every mirror need in full.
pub(crate) fn render(rows: &[Row], tests: &[ProbeResult]) -> String {
    let mut md = format!(
        "<!-- Generated by `{} report`, do not edit -->\n# Image report\n\n\
         | image | here | size | compressed | over its baseline | budget | probes | probe time |\n\
         |---|---|---:|---:|---:|---:|---|---:|\n",
        crate::engine::layout::command()
    );
    for row in rows {
        let here = match row.size {
            Some(_) if row.stale => "built, stale".to_owned(),
            Some(_) => "built".to_owned(),
            None => {
                let mut why = Vec::new();
                if !row.needs_mirror.is_empty() {
                    why.push(format!("needs mirror: {}", row.needs_mirror.join(", ")));
                }
                if !row.not_fetched.is_empty() {
                    why.push(format!("not fetched here: {}", row.not_fetched.join(", ")));
                }
                if why.is_empty() {
                    "not built".to_owned()
                } else {
                    why.join("; ")
                }
            }
        };
        let mine: Vec<&ProbeResult> = tests
            .iter()
            .filter(|t| t.image == row.reference && t.probe != "-")
            .collect();
        let probes = if mine.is_empty() {
            "-".to_owned()
        } else {
            let passed = mine.iter().filter(|t| t.outcome == Outcome::Passed).count();
            let others: Vec<String> = mine
                .iter()
                .filter(|t| t.outcome != Outcome::Passed)
                .map(|t| format!("{} {}", t.probe, t.outcome.word()))
                .collect();
            let mut text = format!("{passed}/{} passed", mine.len());
            if !others.is_empty() {
                let _ = write!(text, " ({})", others.join(", "));
            }
            text
        };
        let time = if mine.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.0}s", mine.iter().map(|t| t.seconds).sum::<f64>())
        };
        let _ = writeln!(
            md,
            "| {} | {here} | {} | {} | {} | {} | {probes} | {time} |",
            row.reference,
            row.size.map(human_size).unwrap_or_else(|| "-".into()),
            row.compressed.map(human_size).unwrap_or_else(|| "-".into()),
            row.over_baseline
                .map(|b| format!("+{}", human_size(b)))
                .unwrap_or_default(),
            human_size(row.budget),
        );
    }
    md.push_str(
        "\n*compressed*: `docker save IMAGE | gzip -1`, about what a node pulls (a registry gzips \
         each layer on its own). *over its baseline*: the uncompressed bytes of the variant's layers \
         its baseline does not have.\n",
    );
    let failed: Vec<&ProbeResult> = tests
        .iter()
        .filter(|t| t.outcome == Outcome::Failed)
        .collect();
    if !failed.is_empty() {
        md.push_str("\n## Failed probes\n");
        for t in failed {
            let _ = write!(md, "\n```text\n{}\n```\n", t.detail);
        }
    }
    let mut mirrors: Vec<&String> = rows.iter().flat_map(|r| &r.needs_mirror).collect();
    mirrors.sort();
    mirrors.dedup();
    if !mirrors.is_empty() {
        md.push_str("\n## Artifacts that need a mirror here\n\n");
        for artifact in mirrors {
            let _ = writeln!(md, "- {artifact}");
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_say_built_or_what_is_missing_and_sum_the_probes() {
        let rows = [
            Row {
                reference: "spark-3.5.7:baseline".into(),
                size: Some(778_000_000),
                compressed: Some(490_000_000),
                budget: 990_000_000,
                needs_mirror: vec![],
                not_fetched: vec![],
                stale: false,
                over_baseline: None,
            },
            Row {
                reference: "spark-3.5.7:gpu".into(),
                size: None,
                compressed: None,
                budget: 1_990_000_000,
                needs_mirror: vec!["rapids-4-spark_2.12 26.10.0".into()],
                not_fetched: vec!["pyspark 3.5.7".into()],
                stale: false,
                over_baseline: None,
            },
            Row {
                reference: "spark-3.5.8:baseline".into(),
                size: Some(779_000_000),
                compressed: None,
                budget: 990_000_000,
                needs_mirror: vec![],
                not_fetched: vec![],
                stale: true,
                over_baseline: None,
            },
            Row {
                reference: "spark-3.5.8:iceberg".into(),
                size: Some(941_000_000),
                compressed: Some(600_000_000),
                budget: 1_990_000_000,
                needs_mirror: vec![],
                not_fetched: vec![],
                stale: false,
                over_baseline: Some(161_000_000),
            },
        ];
        let result = |probe: &str, outcome| ProbeResult {
            image: "spark-3.5.7:baseline".into(),
            probe: probe.into(),
            outcome,
            detail: format!("detail of {probe}"),
            seconds: 10.0,
        };
        let md = render(
            &rows,
            &[
                result("local", Outcome::Passed),
                result("standalone", Outcome::Failed),
            ],
        );
        assert!(
            md.contains(
                "| spark-3.5.7:baseline | built | 778.0 MB | 490.0 MB |  | 990.0 MB | 1/2 passed (standalone FAILED) | 20s |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "| spark-3.5.7:gpu | needs mirror: rapids-4-spark_2.12 26.10.0; not fetched here: pyspark 3.5.7 | - | - |  | 2.0 GB |"
            ),
            "{md}"
        );
        assert!(
            md.contains("*compressed*: `docker save IMAGE | gzip -1`"),
            "{md}"
        );
        assert!(
            md.contains("detail of standalone") && md.contains("- rapids-4-spark_2.12 26.10.0")
        );
        assert!(
            md.contains("| spark-3.5.8:baseline | built, stale | 779.0 MB | - |  |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| spark-3.5.8:iceberg | built | 941.0 MB | 600.0 MB | +161.0 MB | 2.0 GB |"
            ),
            "{md}"
        );
    }

    #[test]
    fn a_variant_adds_the_steps_its_baseline_does_not_have() {
        let step = |id: &str, size| (id.to_owned(), size);
        let baseline = [
            step("base", 197),
            step("spark", 346),
            step("venv", 235),
            step("label", 0),
        ];
        let variant = [
            step("base", 197),
            step("spark", 346),
            step("venv-iceberg", 287),
            step("jars", 110),
        ];
        assert_eq!(bytes_over(&variant, &baseline), 397);
        assert_eq!(bytes_over(&baseline, &baseline), 0);
    }

    #[test]
    fn only_variants_beside_a_baseline_have_one() {
        let spec = |reference: &str| BuildSpec {
            reference: reference.to_owned(),
            dockerfile: String::new(),
            files: vec![],
            artifacts: vec![],
            parents: vec![],
            needs_base: None,
            budget_bytes: 0,
            apt: vec![],
        };
        let specs = [
            spec("spark-4.1.1:baseline"),
            spec("spark-4.1.1:gpu"),
            spec("jars-rapids:spark-4.1.1"),
        ];
        assert_eq!(
            baseline_of(&specs, "spark-4.1.1:gpu").as_deref(),
            Some("spark-4.1.1:baseline")
        );
        assert_eq!(baseline_of(&specs, "spark-4.1.1:baseline"), None);
        assert_eq!(baseline_of(&specs, "jars-rapids:spark-4.1.1"), None);
    }

    #[test]
    fn each_program_is_listed_once_with_its_source_toolchain_and_images() {
        let program = |name: &str, locator: engine::Locator| engine::ContextArtifact {
            path: format!("artifacts/{name}"),
            source: engine::ArtifactSource {
                name: name.to_owned(),
                version: "1.0.0".to_owned(),
                locator,
                checksum: engine::Checksum::Sha256("ab".into()),
            },
        };
        let rg = program(
            "ripgrep",
            engine::Locator::Crate(engine::CrateBuild {
                name: "ripgrep".into(),
                version: "1.0.0".into(),
                bin: "rg".into(),
                toolchain: "1.95.0".into(),
                features: vec!["pcre2".into()],
                default_features: true,
                lto: Some("off".into()),
                codegen_units: None,
            }),
        );
        let helm = program(
            "helm",
            engine::Locator::Go(engine::GoBuild {
                module: "helm.sh/helm/v4".into(),
                version: "v1.0.0".into(),
                package: "cmd/helm".into(),
                main: vec![],
                zip: false,
                ldflags: String::new(),
                toolchain: "go1.27.3".into(),
                bin: "helm".into(),
            }),
        );
        let jar = program(
            "a.jar",
            engine::Locator::Urls(vec!["https://x/a.jar".into()]),
        );
        let spec = |reference: &str, artifacts: Vec<engine::ContextArtifact>| BuildSpec {
            reference: reference.to_owned(),
            dockerfile: String::new(),
            files: vec![],
            artifacts,
            parents: vec![],
            needs_base: None,
            budget_bytes: 0,
            apt: vec![],
        };
        let specs = [
            spec("box:a", vec![rg.clone(), jar.clone()]),
            spec("box:b", vec![rg, helm]),
            spec("jars:1", vec![jar]),
        ];
        let cache = tempfile::tempdir().unwrap();
        let fetcher =
            engine::fetch::Fetcher::new(engine::Settings::with_cache_dir(cache.path().into()));
        let md = programs(&specs, &fetcher);
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(
            rows[1..],
            [
                "| helm | 1.0.0 | Go module proxy: `helm.sh/helm/v4@v1.0.0`, package `cmd/helm` | go1.27.3 | no | box:b |",
                "| ripgrep | 1.0.0 | crates.io: `ripgrep@1.0.0`, binary `rg`, features pcre2, lto off | 1.95.0 | no | box:a, box:b |",
            ],
            "{md}"
        );
        assert_eq!(programs(&specs[2..], &fetcher), "");
    }
}
