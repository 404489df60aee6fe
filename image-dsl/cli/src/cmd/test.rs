//! `cargo xtask images test [FILTER…] [--build] [--probe NAME…]`: prove built images in real
//! containers with the probes their models call for ([`crate::probe`]).
//!
//! Images not built are reported, not built, unless `--build` (which also builds what the probes
//! need: `postgresql:15` for JDBC, the Python base for a venv layer). Prints a table and merges
//! the results into `target/images/test-results.json`.

use std::process::ExitCode;

use crate::engine::{self, BuildSpec, Status, graph};
use crate::probe::{self, Outcome, ProbeContext, ProbeKind, results, suite};
use anyhow::Context as _;
use image_dsl::Image;

use super::runtime;
use crate::flags::Test;

impl Test {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let ordered = crate::catalog::ordered(ws)?;
        let specs: Vec<BuildSpec> = ordered.iter().map(|(_, _, s)| s.clone()).collect();
        let selected = self.select(ordered.into_iter().map(|(i, _, _)| i).collect())?;
        let mut opts = self.mirrors.options(ws)?;
        opts.progress = false;
        let runtime = runtime()?;
        // Before anything starts: a withdrawn apt pin is named with its replacement in seconds.
        let needed: Vec<String> = selected
            .iter()
            .map(|(i, _)| i.reference())
            .chain(suite::prerequisites(&ws.catalog, &selected))
            .collect();
        runtime.block_on(engine::check_apt(
            &graph::select(specs.clone(), &needed)?,
            &opts,
        ))?;
        let docker = runtime.block_on(engine::client::connect(None))?;

        // Why an image this run tried to build is missing: its build error, or the parent that failed.
        let mut build_outcomes: Vec<(String, String)> = Vec::new();
        if self.build {
            let mut wanted: Vec<String> = selected.iter().map(|(i, _)| i.reference()).collect();
            wanted.extend(suite::prerequisites(&ws.catalog, &selected));
            // Images whose inputs cannot be verified here are reported by the probe run instead.
            wanted.retain(|r| suite::needs_mirror(&specs, r).is_empty());
            if !wanted.is_empty() {
                let to_build = graph::select(specs.clone(), &wanted)?;
                let mut build_opts = opts.clone();
                build_opts.progress = true;
                let report = runtime.block_on(engine::build_all(to_build, &build_opts))?;
                println!("{}", report.summary_table());
                for failure in report.failures() {
                    eprintln!("error: {failure}");
                }
                build_outcomes = report
                    .images
                    .iter()
                    .filter_map(|image| match &image.status {
                        Status::Failed(error) => Some((image.reference.clone(), error.to_string())),
                        Status::Skipped { because } => Some((
                            image.reference.clone(),
                            format!("not built: {because} did not build"),
                        )),
                        _ => None,
                    })
                    .collect();
            }
        }

        let ctx = runtime.block_on(ProbeContext::new(docker, ws.catalog.clone(), specs, opts));
        let progress = |r: &probe::ProbeResult| {
            let first = r.detail.lines().next().unwrap_or_default();
            eprintln!(
                "{} {} {}: {} ({:.1}s)",
                r.outcome.word(),
                r.image,
                r.probe,
                first,
                r.seconds
            );
        };
        // On Ctrl-C the running probe is dropped, and its sandbox removes its containers.
        let results = runtime.block_on(async {
            tokio::select! {
                results = suite::run(&ctx, &selected, progress) => Ok(results),
                _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!(
                    "interrupted; the running probe's containers and network were removed"
                )),
            }
        })?;
        let results = with_build_outcomes(results, &build_outcomes);
        println!("{}", results::table(&results));
        for failed in results.iter().filter(|r| r.outcome == Outcome::Failed) {
            eprintln!("error: {}", failed.detail);
        }
        let path = results::results_path(&ws.layout);
        suite::save(&path, &results).with_context(|| format!("writing {}", path.display()))?;
        println!("results in {}", path.display());
        Ok(if results.iter().any(|r| r.outcome == Outcome::Failed) {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    }

    /// The images the filters name (only those, not what they build on), each with the probes
    /// its model calls for, narrowed to `--probe` when given.
    fn select(&self, catalog: Vec<Image>) -> anyhow::Result<Vec<(Image, Vec<ProbeKind>)>> {
        let wanted: Vec<ProbeKind> = self
            .probes
            .iter()
            .map(|name| {
                ProbeKind::from_name(name).with_context(|| {
                    let all: Vec<&str> = ProbeKind::ALL.iter().map(|k| k.name()).collect();
                    format!("no probe is called `{name}`; probes: {}", all.join(", "))
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(crate::catalog::named(&catalog, &self.filters)?
            .into_iter()
            .cloned()
            .map(|image| {
                let kinds: Vec<ProbeKind> = probe::probes_for(&image)
                    .into_iter()
                    .filter(|k| wanted.is_empty() || wanted.contains(k))
                    .collect();
                (image, kinds)
            })
            .filter(|(_, kinds)| !kinds.is_empty())
            .collect())
    }
}

/// Rows of images that are missing because this run's build failed say so, and count as
/// failures: `--build` was asked to make them.
fn with_build_outcomes(
    mut results: Vec<probe::ProbeResult>,
    outcomes: &[(String, String)],
) -> Vec<probe::ProbeResult> {
    for row in results.iter_mut().filter(|r| r.probe == "-") {
        if let Some((_, why)) = outcomes.iter().find(|(image, _)| *image == row.image) {
            row.outcome = Outcome::Failed;
            row.detail = if why.starts_with(&row.image) {
                why.clone()
            } else {
                format!("{}: {why}", row.image)
            };
        }
    }
    results
}
