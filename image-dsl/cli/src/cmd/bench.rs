//! `cargo xtask images bench`: time rendering and checking the whole catalog (target < 50 ms);
//! with `--engine`, cold and no-op builds of the buildable catalog side by side with
//! `docker buildx bake` of its export (and warm-cache rebuilds through the engine's builder);
//! with `--startup`, built Spark images' startup with and without their optimizations
//! ([`crate::startup`]), written to `target/images/bench-startup.md`.

use crate::engine::{BuildSpec, fetch::Fetcher, graph};
use crate::flags::Bench;
use crate::startup::{self, StartupOptions};
use anyhow::Context as _;
use image_dsl::Image;
use std::process::ExitCode;
use std::time::{Duration, Instant};

impl Bench {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        if self.startup {
            return startup_bench(ws, &self);
        }
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
    let catalog = crate::catalog::ordered(ws)?;
    let specs: Vec<BuildSpec> = catalog.iter().map(|(_, _, s)| s.clone()).collect();
    let specs = graph::select(specs, &bench.filters)?;
    let fetcher = Fetcher::with_connect_timeout(opts.settings.clone(), Duration::from_secs(10));
    println!("\nbuildable catalog:");
    let specs = buildable(specs, &bench.exclude, &fetcher, &rt);
    println!("  {} images", specs.len());
    let docker = rt.block_on(crate::engine::client::connect(None))?;
    let (builder, engine) = rt.block_on(crate::engine::builder::resolve(&docker, opts.builder))?;
    println!(
        "  Docker Engine {engine}, {builder}, {} cores, {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        today()
    );

    // Ours: whatever is missing is built first; then a no-op run and warm rebuilds.
    let noop = rt.block_on(crate::engine::bench::bench_noop(specs.clone(), &opts))?;
    println!("{noop}");
    // The no-op as users and CI pay it: `images build` in a fresh process of this very binary
    // (its profile: debug under `cargo xtask`), as bake's is a fresh `docker buildx bake`.
    let fresh = fresh_noop(&specs, &bench.mirrors, bench.rounds.clamp(1, 20))?;
    println!(
        "no-op build, fresh process:  {:.3}s (median of {} runs of `images build`, {} binary)",
        fresh.as_secs_f64(),
        bench.rounds.clamp(1, 20),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    // Ours, cold: every step again, no layer cache (the base and the fetched inputs stay). The
    // same work as bake's: no SBOMs, which bake does not write (its SBOM attestations need a
    // scanner image pulled from a registry).
    let mut cold_opts = opts.clone();
    cold_opts.force = true;
    cold_opts.no_cache = true;
    cold_opts.sbom_dir = None;
    let started = Instant::now();
    let cold = rt.block_on(crate::engine::build_all(specs.clone(), &cold_opts))?;
    let ours_cold = started.elapsed();
    anyhow::ensure!(
        cold.success(),
        "the cold build failed, so there is nothing to compare:\n{}",
        cold.summary_table()
    );

    // The peer: `docker buildx bake` of the same images, exported with their inputs.
    let images: Vec<_> = catalog
        .iter()
        .filter(|(_, _, s)| specs.iter().any(|b| b.reference == s.reference))
        .collect();
    let exported = rt.block_on(crate::bake::export(&images, &fetcher))?;
    let prefix = "image-dsl-bench-bake/";
    let logs = ws.layout.log_dir().join("bench");
    let bake = |no_cache: bool, name: &str| {
        rt.block_on(crate::bake::run(
            exported.dir.path(),
            &exported.targets,
            prefix,
            no_cache,
            &logs.join(name),
            BAKE_TIMEOUT,
        ))
    };
    let bake_cold = bake(true, "bake-cold.log");
    let bake_noop = bake_cold
        .as_ref()
        .ok()
        .map(|_| bake(false, "bake-noop.log"));
    for target in &exported.targets {
        let _ = rt.block_on(docker.remove_image(
            &crate::bake::tag(prefix, target),
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        ));
    }
    let bake_cold = bake_cold?;
    let bake_noop = bake_noop.expect("baked after a cold bake")?;

    let secs = |d: Duration| format!("{:.3} s", d.as_secs_f64());
    println!(
        "\n{:<24} {:>14} {:>20}",
        "", "image-dsl", "docker buildx bake"
    );
    println!(
        "{:<24} {:>14} {:>20}",
        "cold (--no-cache, no SBOM)",
        secs(ours_cold),
        secs(bake_cold.elapsed)
    );
    println!(
        "{:<24} {:>14} {:>20}",
        "no-op (fresh process)",
        secs(fresh),
        secs(bake_noop.elapsed)
    );
    println!(
        "{:<24} {:>14} {:>20}",
        "no-op (in process)",
        secs(noop.noop),
        "-"
    );
    let cold_ratio = bake_cold.elapsed.as_secs_f64() / ours_cold.as_secs_f64().max(1e-9);
    let noop_ratio = bake_noop.elapsed.as_secs_f64() / fresh.as_secs_f64().max(1e-9);
    println!(
        "goal, cold no slower than bake: {} ({cold_ratio:.2}x bake's speed)",
        if ours_cold <= bake_cold.elapsed {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "goal, no-op >= 30x faster than bake's: {} ({noop_ratio:.1}x)",
        if noop_ratio >= 30.0 { "met" } else { "NOT met" }
    );
    println!(
        "bake's output: {} and {}",
        ws.shown(&bake_cold.log),
        ws.shown(&bake_noop.log)
    );
    Ok(())
}

/// The median wall time of `rounds` runs of `images build` over `specs` (all up to date) in
/// fresh processes of the running binary; each must exit 0 having built nothing.
fn fresh_noop(
    specs: &[BuildSpec],
    mirrors: &crate::flags::Mirrors,
    rounds: usize,
) -> anyhow::Result<Duration> {
    let exe = std::env::current_exe().context("finding the running binary")?;
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let mut child = std::process::Command::new(&exe)
            .args(["images", "build"])
            .args(mirrors.args())
            .args(specs.iter().map(|s| s.reference.as_str()))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .with_context(|| format!("running {}", exe.display()))?;
        let deadline = started + Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                anyhow::bail!("`images build` did not finish within 120 s");
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        let elapsed = started.elapsed();
        let output = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let wanted = format!("0 built, {} up to date", specs.len());
        anyhow::ensure!(
            status.success() && stdout.contains(&wanted),
            "the fresh-process no-op was not one ({status}):\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        times.push(elapsed);
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// How long one `docker buildx bake` of the catalog may take.
const BAKE_TIMEOUT: Duration = Duration::from_secs(3 * 3600);

/// The catalog images the filters name (all when none) that get startup phases; with filters, a
/// pattern that matches no image is an error.
fn startup_images<'a>(catalog: &'a [Image], filters: &[String]) -> anyhow::Result<Vec<&'a Image>> {
    Ok(crate::catalog::named(catalog, filters)?
        .into_iter()
        .filter(|i| match startup::phases_for(i, true) {
            (phases, _) if !phases.is_empty() => true,
            (_, why) => {
                if !filters.is_empty() {
                    let why = why.unwrap_or_default();
                    println!("left out: {} ({why})", i.reference());
                }
                false
            }
        })
        .collect())
}

fn startup_bench(ws: &crate::Workspace, bench: &Bench) -> anyhow::Result<ExitCode> {
    let mut build = bench.mirrors.options(ws)?;
    build.progress = false;
    let rt = crate::cmd::runtime()?;
    let docker = rt.block_on(crate::engine::client::connect(None))?;
    let images = startup_images(&ws.catalog.images, &bench.filters)?;
    let opts = StartupOptions {
        runs: bench.runs.max(1),
        warm_up: !bench.no_warm_up,
        build,
        gpu_runtime: rt.block_on(crate::probe::gpu_runtime(&docker)),
    };
    let header = rt.block_on(machine(&docker, bench));
    let progress = |line: &str| eprintln!("{line}");
    let mut benches = Vec::new();
    let mut failed = false;
    for image in images {
        let tag = image.reference();
        if bench.filters.is_empty() && rt.block_on(docker.inspect_image(&tag)).is_err() {
            println!("not built here, left out: {tag}");
            continue;
        }
        // On Ctrl-C the bench is dropped: its containers and derived images are removed.
        let result = rt.block_on(async {
            tokio::select! {
                result = startup::bench(&docker, image, &tag, &opts, &progress) => Ok(result),
                _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!(
                    "interrupted; the bench's containers and derived images were removed"
                )),
            }
        })?;
        match result {
            Ok(done) => {
                println!("\n{}", startup::report::markdown(&done));
                benches.push(done);
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if benches.is_empty() {
        println!("no built image to bench; target/images/bench-startup.md is left as it was");
        return Ok(if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    let header = format!("{header} Load average at the end: {}.", load_average());
    let path = ws.layout.target().join("bench-startup.md");
    std::fs::create_dir_all(ws.layout.target())?;
    std::fs::write(&path, startup::report::document(&header, &benches))
        .with_context(|| format!("writing {}", path.display()))?;
    println!("\nwritten to {}", ws.shown(&path));
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Where the numbers come from: the command, the machine and its load when the bench started.
async fn machine(docker: &bollard::Docker, bench: &Bench) -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let load = load_average();
    let engine = docker
        .version()
        .await
        .ok()
        .and_then(|v| v.version)
        .unwrap_or_else(|| "unknown".to_owned());
    let filters = bench
        .filters
        .iter()
        .map(|f| format!(" '{f}'"))
        .collect::<String>();
    format!(
        "Generated by `{} bench --startup --runs {}{}{filters}` (do not edit; run it again to \
         refresh) on {}: {cores} cores, load average {load} at the start, Docker Engine {engine}.",
        crate::engine::layout::command(),
        bench.runs.max(1),
        if bench.no_warm_up {
            " --no-warm-up"
        } else {
            ""
        },
        today(),
    )
}

/// The 1, 5 and 15 minute load averages (Linux), which say how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Today's date (UTC) as `YYYY-MM-DD`.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
