//! The no-op benchmark: a run where every image is up to date, against `docker build` of the same
//! Dockerfiles and contexts with a warm layer cache (what a script of `docker build`s would pay).

use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use bollard::query_parameters::RemoveImageOptions;
use indicatif::ProgressBar;

use super::outcome::{ImageError, human_size};
use super::{BuildOptions, BuildOutcome, BuildSpec, EngineError, build, build_all, fetch, plan};

/// What the benchmark measured.
#[derive(Debug)]
pub struct Benchmark {
    /// How many images were measured.
    pub images: usize,
    /// Total size of the images, for the record.
    pub total_size: u64,
    /// Wall time of a no-op [`build_all`].
    pub noop: Duration,
    /// Wall time of building every image again with the engine's warm cache, one after another.
    pub docker_build: Duration,
}

impl Benchmark {
    /// How many times faster the no-op run is.
    pub fn ratio(&self) -> f64 {
        self.docker_build.as_secs_f64() / self.noop.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Benchmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "images:                      {} ({})",
            self.images,
            human_size(self.total_size)
        )?;
        writeln!(
            f,
            "no-op build (up to date):    {:.3}s",
            self.noop.as_secs_f64()
        )?;
        writeln!(
            f,
            "docker build, warm cache:    {:.3}s",
            self.docker_build.as_secs_f64()
        )?;
        write!(f, "ratio:                       {:.1}x", self.ratio())
    }
}

/// Why the benchmark could not measure.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The run could not start.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Not every image builds, so there is no no-op run to measure.
    #[error("the benchmark needs every image built first; this run failed:\n{0}")]
    NotBuilt(BuildOutcome),
    /// A warm-cache rebuild failed.
    #[error(transparent)]
    Build(#[from] ImageError),
}

/// Builds `specs` once (so all are up to date), then times a no-op run and a warm-cache rebuild
/// of each image through the engine's builder.
pub async fn bench_noop(
    specs: Vec<BuildSpec>,
    opts: &BuildOptions,
) -> Result<Benchmark, BenchError> {
    let warm = build_all(specs.clone(), opts).await?;
    if !warm.success() {
        return Err(BenchError::NotBuilt(warm));
    }

    let started = Instant::now();
    let noop = build_all(specs.clone(), opts).await?;
    let noop_time = started.elapsed();
    if !noop.success() || noop.builder_calls > 0 {
        return Err(BenchError::NotBuilt(noop));
    }

    let plan = plan(specs, opts, None).await?;
    let all: Vec<&BuildSpec> = plan.graph.specs.iter().collect();
    let artifacts = fetch::Fetcher::new(opts.settings.clone())
        .fetch_all(&all)
        .await
        .map_err(EngineError::Fetch)?;
    let builder_calls = AtomicUsize::new(0);
    let log_dir = opts.log_dir.join("bench");
    let schedule = build::Schedule {
        docker: &plan.docker,
        graph: &plan.graph,
        hashes: &plan.hashes,
        current: &plan.current,
        artifacts: &artifacts,
        unavailable: &Default::default(),
        jobs: 1,
        builder: plan.builder,
        no_cache: false,
        silence_timeout: opts.silence_timeout,
        verbose: false,
        progress: false,
        log_dir: &log_dir,
        builder_calls: &builder_calls,
        tag_prefix: &opts.tag_prefix,
        // The warm rebuilds time the builder; their images are never tagged.
        sbom: None,
        build_times: None,
    };
    let mut built = Vec::new();
    let started = Instant::now();
    for (spec, hash) in plan.graph.specs.iter().zip(&plan.hashes) {
        let log = log_dir.join(spec.log_file_name());
        let (id, _) = schedule
            .build_untagged(spec, hash, &log, &ProgressBar::hidden())
            .await?;
        built.push(id);
    }
    let docker_build = started.elapsed();
    // A rebuild that did not land on the tagged image (its base changed since) is not kept.
    for id in built {
        let untagged = plan
            .docker
            .inspect_image(&id)
            .await
            .is_ok_and(|image| image.repo_tags.unwrap_or_default().is_empty());
        if untagged {
            let _ = plan
                .docker
                .remove_image(&id, None::<RemoveImageOptions>, None)
                .await;
        }
    }
    Ok(Benchmark {
        images: plan.graph.specs.len(),
        total_size: noop.images.iter().filter_map(|i| i.size).sum(),
        noop: noop_time,
        docker_build,
    })
}
