//! `cargo xtask images bench`: time rendering and checking the whole catalog (target < 50 ms);
//! with `--engine`, a no-op build of the buildable catalog against warm-cache `docker build`s.

use crate::engine::{BuildSpec, fetch::Fetcher, graph};
use crate::flags::Bench;
use std::process::ExitCode;
use std::time::{Duration, Instant};

impl Bench {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let mut rounds: Vec<(Duration, Duration, Duration)> = Vec::new();
        let mut count = 0;
        for _ in 0..self.rounds.max(1) {
            let start = Instant::now();
            let images = ws.catalog.images.clone();
            let declared = start.elapsed();
            let rendered: Vec<_> = images.iter().map(image_dsl::render).collect();
            let render = start.elapsed() - declared;
            for (image, r) in images.iter().zip(&rendered) {
                image_dsl::verify::round_trip(image, r)?;
            }
            let total = start.elapsed();
            rounds.push((declared, render, total));
            count = images.len();
        }
        rounds.sort_by_key(|r| r.2);
        let (declared, render, total) = rounds[rounds.len() / 2];
        println!("catalog: {count} images, median of {} rounds", rounds.len());
        println!(
            "  build values     {:>8.2} ms",
            declared.as_secs_f64() * 1e3
        );
        println!("  render           {:>8.2} ms", render.as_secs_f64() * 1e3);
        println!(
            "  parse + compare  {:>8.2} ms",
            (total - declared - render).as_secs_f64() * 1e3
        );
        println!(
            "  total            {:>8.2} ms (target < 50 ms)",
            total.as_secs_f64() * 1e3
        );
        if self.engine {
            engine_bench(ws, &self)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The buildable catalog: images whose inputs, and their parents' inputs, are all pinned and can be
/// fetched here (an input that cannot is reported with why), minus `exclude`.
fn buildable(
    specs: Vec<BuildSpec>,
    exclude: &[String],
    fetcher: &Fetcher,
    rt: &tokio::runtime::Runtime,
) -> Vec<BuildSpec> {
    let mut ok: Vec<BuildSpec> = Vec::new();
    for spec in specs {
        let why = if exclude
            .iter()
            .any(|p| graph::glob_match(p, &spec.reference))
        {
            Some("excluded".to_owned())
        } else if let Some(parent) = spec
            .parents
            .iter()
            .find(|p| !ok.iter().any(|s| &s.reference == *p))
        {
            Some(format!("builds on {parent}"))
        } else {
            spec.artifacts
                .iter()
                .find_map(|a| match a.source.checksum.pinned() {
                    None => Some(format!("{} has no pinned checksum", a.source.name)),
                    Some(_) => rt
                        .block_on(fetcher.fetch(&a.source))
                        .err()
                        .map(|e| format!("{} cannot be fetched: {e}", a.source.name)),
                })
        };
        match why {
            None => ok.push(spec),
            Some(why) => println!("  not buildable here: {} ({why})", spec.reference),
        }
    }
    ok
}

fn engine_bench(ws: &crate::Workspace, bench: &Bench) -> anyhow::Result<()> {
    let mut opts = bench.mirrors.options(ws)?;
    opts.progress = false;
    let rt = crate::cmd::runtime()?;
    let specs: Vec<BuildSpec> = crate::catalog::ordered(ws)?
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    let specs = graph::select(specs, &bench.filters)?;
    let fetcher = Fetcher::with_connect_timeout(opts.settings.clone(), Duration::from_secs(10));
    println!("\nbuildable catalog:");
    let specs = buildable(specs, &bench.exclude, &fetcher, &rt);
    println!("  {} images", specs.len());
    let result = rt.block_on(crate::engine::bench::bench_noop(specs, &opts))?;
    println!("{result}");
    let met = result.ratio() >= 30.0 && result.noop < Duration::from_secs(1);
    println!(
        "goal (>= 30x and < 1 s): {}",
        if met { "met" } else { "NOT met" }
    );
    Ok(())
}
