//! Building images on the engine: up-to-date checks, the parallel schedule over the graph, and
//! one build (untagged, then size-checked, then tagged).
//!
//! An image is built without a tag; its ID comes from the build stream. Only when its size is
//! within budget is the tag moved to it, so a run killed midway never leaves a tag on a wrong or
//! half-built image. Over budget, the image is removed and the tag stays where it was.

use std::collections::{BTreeMap, HashMap};
use std::io::{Seek as _, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::BuildInfoAux;
use bollard::query_parameters::{
    BuildImageOptionsBuilder, BuilderVersion, RemoveImageOptionsBuilder, TagImageOptionsBuilder,
};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio_util::io::ReaderStream;

use super::builder::{Builder, ClassicLog, Trace, stopped_at, summary};
use super::context::{ContextError, write_context_tar};
use super::graph::Graph;
use super::outcome::{ImageError, ImageOutcome, Layer, Status, human_size, shorten};
use super::spec::{BuildSpec, split_reference};

/// The label every built image carries: its content hash.
pub const CONTENT_HASH_LABEL: &str = "org.image-dsl.content-hash";

/// How many of the largest layers an over-budget error lists.
const LAYERS_SHOWN: usize = 5;

/// How long a build may go without a word from the engine before it counts as hung
/// (`--silence-timeout`). Builds have no network, so nothing should wait on one; the slowest
/// silent step measured (compiling Spark's examples, installing 5 GB of GPU wheels) stays under
/// five minutes.
pub const SILENCE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What an up-to-date check found for one image.
#[derive(Debug, Clone, Default)]
pub(crate) struct Current {
    /// The image ID the tag points at now, if any.
    pub tagged: Option<String>,
    /// Its size when it carries the wanted content hash within budget: nothing to build.
    pub up_to_date: Option<u64>,
}

/// Checks whether `reference` already points at an image labelled `hash` within `budget`.
pub(crate) async fn check_current(
    docker: &Docker,
    reference: &str,
    hash: &str,
    budget: u64,
) -> Result<Current, bollard::errors::Error> {
    match docker.inspect_image(reference).await {
        Ok(image) => {
            let labelled = image.config.and_then(|c| c.labels).is_some_and(|labels| {
                labels.get(CONTENT_HASH_LABEL).map(String::as_str) == Some(hash)
            });
            let size = image.size.unwrap_or(0).max(0) as u64;
            Ok(Current {
                tagged: image.id,
                up_to_date: (labelled && size <= budget).then_some(size),
            })
        }
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(Current::default()),
        Err(err) => Err(err),
    }
}

/// How the scheduler runs.
pub(crate) struct Schedule<'a> {
    pub docker: &'a Docker,
    pub graph: &'a Graph,
    pub hashes: &'a [String],
    /// Per image: what the tag points at and whether it is up to date.
    pub current: &'a [Current],
    /// Verified artifact files by pinned checksum.
    pub artifacts: &'a BTreeMap<String, PathBuf>,
    /// Images not to build because inputs are missing (`--keep-going`), with those inputs.
    pub unavailable: &'a BTreeMap<String, Vec<String>>,
    pub jobs: usize,
    /// The builder stale images go to.
    pub builder: Builder,
    pub no_cache: bool,
    /// How long a build may go without output before it is stopped as hung.
    pub silence_timeout: Duration,
    pub verbose: bool,
    pub progress: bool,
    pub log_dir: &'a Path,
    pub builder_calls: &'a AtomicUsize,
    /// Prepended to every tag and to `FROM`s of other specs ([`crate::BuildOptions::tag_prefix`]).
    pub tag_prefix: &'a str,
    /// Where SBOMs go and what they are made from; `None` writes none.
    pub sbom: Option<SbomSetup<'a>>,
    /// The images' last build times ([`crate::BuildOptions::build_times`]).
    pub build_times: Option<&'a Path>,
}

/// Each image's last build time in seconds, from `path` (none when it is missing or unreadable).
fn read_times(path: &Path) -> HashMap<String, f64> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Records the build time of each image `images` built in `path`, keeping the others'.
pub(crate) fn record_times(path: &Path, images: &[ImageOutcome]) {
    let built: Vec<&ImageOutcome> = images
        .iter()
        .filter(|i| matches!(i.status, Status::Built))
        .collect();
    if built.is_empty() {
        return;
    }
    let mut times = read_times(path);
    for image in built {
        times.insert(image.reference.clone(), image.elapsed.as_secs_f64());
    }
    let sorted: BTreeMap<&String, &f64> = times.iter().collect();
    let dir = path.parent().unwrap_or(Path::new("."));
    // Only an estimate: a run that cannot write it builds the same, in graph order next time.
    let _ = std::fs::create_dir_all(dir)
        .and_then(|()| tempfile::NamedTempFile::new_in(dir))
        .and_then(|mut file| {
            file.write_all(&serde_json::to_vec_pretty(&sorted).unwrap_or_default())?;
            file.persist(path).map_err(|e| e.error)?;
            Ok(())
        });
}

/// The order to start ready images in: longest chain first, a chain's length being the sum of
/// its images' last build times (1 s for an image never timed), ties in graph order.
fn start_order(graph: &Graph, times: &HashMap<String, f64>) -> Vec<usize> {
    let n = graph.specs.len();
    let mut children = vec![Vec::new(); n];
    for (child, parents) in graph.parents.iter().enumerate() {
        for &parent in parents {
            children[parent].push(child);
        }
    }
    // Graph order puts parents first, so children are done before their parents going back.
    let mut chain = vec![0.0f64; n];
    for i in (0..n).rev() {
        let own = times.get(&graph.specs[i].reference).copied().unwrap_or(1.0);
        let longest_below = children[i].iter().map(|&c| chain[c]).fold(0.0, f64::max);
        chain[i] = own + longest_below;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| chain[b].total_cmp(&chain[a]).then(a.cmp(&b)));
    order
}

/// What [`Schedule`] writes SBOMs with.
pub(crate) struct SbomSetup<'a> {
    /// Where they go.
    pub dir: &'a Path,
    /// The bootstrapped base's locked packages, declared for images whose `FROM`s end there.
    pub base: Option<&'a crate::debian::closure::LockedBase>,
    /// Finds the fetched inputs in the cache (evidence) and keeps archive listings there.
    pub fetcher: &'a crate::fetch::Fetcher,
}

impl Schedule<'_> {
    /// Runs every stale image once its parents are done, `jobs` at a time; returns one report per
    /// image in graph order.
    pub(crate) async fn run(&self) -> Vec<ImageOutcome> {
        let n = self.graph.specs.len();
        let multi = MultiProgress::with_draw_target(if self.progress {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let mut reports: Vec<Option<ImageOutcome>> = (0..n).map(|_| None).collect();
        for (i, current) in self.current.iter().enumerate() {
            let reference = &self.graph.specs[i].reference;
            if let Some(size) = current.up_to_date {
                reports[i] =
                    Some(self.report(i, Status::UpToDate, Some(size), Duration::ZERO, None));
            } else if let Some(inputs) = self.unavailable.get(reference) {
                let error = ImageError::Unavailable {
                    image: reference.clone(),
                    inputs: inputs.clone(),
                };
                reports[i] =
                    Some(self.report(i, Status::Failed(error), None, Duration::ZERO, None));
            }
        }
        let mut running = FuturesUnordered::new();
        let mut started = vec![false; n];
        let order = start_order(
            self.graph,
            &self.build_times.map(read_times).unwrap_or_default(),
        );
        loop {
            self.skip_orphans(&mut reports);
            for &i in &order {
                if running.len() >= self.jobs.max(1) {
                    break;
                }
                let parents_done = self.graph.parents[i].iter().all(|&p| {
                    matches!(
                        reports[p].as_ref().map(|r| &r.status),
                        Some(Status::Built | Status::UpToDate)
                    )
                });
                if !started[i] && reports[i].is_none() && parents_done {
                    started[i] = true;
                    let bar = multi.add(progress_bar(&self.graph.specs[i].reference));
                    running.push(Box::pin(async move { (i, self.build(i, bar).await) }));
                }
            }
            let Some((i, report)) = running.next().await else {
                break;
            };
            reports[i] = Some(report);
        }
        self.sbom_for_up_to_date(&mut reports).await;
        reports
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.unwrap_or_else(|| {
                    self.report(
                        i,
                        Status::Skipped {
                            because: "an unfinished parent".into(),
                        },
                        None,
                        Duration::ZERO,
                        None,
                    )
                })
            })
            .collect()
    }

    /// Marks every image below a failed or skipped one as skipped.
    fn skip_orphans(&self, reports: &mut [Option<ImageOutcome>]) {
        for i in 0..reports.len() {
            let failed = matches!(
                reports[i].as_ref().map(|r| &r.status),
                Some(Status::Failed(_) | Status::Skipped { .. })
            );
            if failed {
                for child in self.graph.descendants(i) {
                    if reports[child].is_none() {
                        let because = self.graph.specs[i].reference.clone();
                        reports[child] = Some(self.report(
                            child,
                            Status::Skipped { because },
                            None,
                            Duration::ZERO,
                            None,
                        ));
                    }
                }
            }
        }
    }

    fn report(
        &self,
        i: usize,
        status: Status,
        size: Option<u64>,
        elapsed: Duration,
        log: Option<PathBuf>,
    ) -> ImageOutcome {
        let spec = &self.graph.specs[i];
        ImageOutcome {
            reference: spec.reference.clone(),
            status,
            size,
            budget: spec.budget_bytes,
            elapsed,
            content_hash: self.hashes[i].clone(),
            log,
            sbom: None,
        }
    }

    /// Writes the SBOM of image `i`, whose ID is `image_id`; `None` when SBOMs are off.
    async fn write_sbom(
        &self,
        i: usize,
        image_id: &str,
    ) -> Option<Result<crate::sbom::Summary, ImageError>> {
        let setup = self.sbom.as_ref()?;
        let spec = &self.graph.specs[i];
        let declared = crate::sbom::declared::declared(&self.graph.specs, i, setup.base);
        // The archives unpacked into the images this one builds on may have been fetched by
        // another run, into another cache: fetch what is missing, verified, so the evidence does
        // not depend on what happens to be cached. Packages, wheels and jars name themselves in
        // the image; programs are compiled, not fetched. An input still not at hand is marked
        // "not checked" in the SBOM.
        for item in &declared {
            let Some(source) = &item.source else { continue };
            let archive = match &source.locator {
                crate::spec::Locator::Pypi { filename, .. } => !filename.ends_with(".whl"),
                _ => item.kind == crate::sbom::Kind::File,
            };
            if archive
                && setup
                    .fetcher
                    .cached_file(source)
                    .is_none_or(|f| !f.is_file())
            {
                let _ = setup.fetcher.fetch(source).await;
            }
        }
        let cached = |source: &crate::spec::ArtifactSource| setup.fetcher.cached_file(source);
        let cache_root = setup.fetcher.cache_root();
        let subject = crate::sbom::Subject {
            reference: &spec.reference,
            image_id,
            content_hash: &self.hashes[i],
            declared,
            cached: &cached,
            cache_dir: Some(&cache_root),
        };
        let path = setup.dir.join(spec.sbom_file_name());
        Some(
            crate::sbom::write(self.docker, subject, &path)
                .await
                .map_err(|e| ImageError::Sbom {
                    image: spec.reference.clone(),
                    message: e.to_string(),
                }),
        )
    }

    /// Writes the SBOM of each up-to-date image that has none for its image ID yet.
    async fn sbom_for_up_to_date(&self, reports: &mut [Option<ImageOutcome>]) {
        let Some(setup) = &self.sbom else { return };
        for (i, report) in reports.iter_mut().enumerate() {
            let Some(report) = report else { continue };
            let Some(id) = self.current[i].tagged.as_deref() else {
                continue;
            };
            let path = setup.dir.join(self.graph.specs[i].sbom_file_name());
            if !matches!(report.status, Status::UpToDate) || crate::sbom::describes(&path, id) {
                continue;
            }
            match self.write_sbom(i, id).await {
                Some(Ok(summary)) => report.sbom = Some(summary),
                Some(Err(error)) => report.status = Status::Failed(error),
                None => {}
            }
        }
    }

    /// Builds image `i` and reports it; never panics on engine errors.
    async fn build(&self, i: usize, bar: ProgressBar) -> ImageOutcome {
        let spec = &self.graph.specs[i];
        let started = Instant::now();
        let log_path = self.log_dir.join(spec.log_file_name());
        let outcome = self
            .build_and_tag(
                i,
                &self.hashes[i],
                self.current[i].tagged.as_deref(),
                &log_path,
                &bar,
            )
            .await;
        let elapsed = started.elapsed();
        let mut sbom = None;
        let (status, size) = match outcome {
            Ok((size, summary)) => {
                bar.finish_with_message(format!("built, {}", human_size(size)));
                sbom = summary;
                (Status::Built, Some(size))
            }
            Err(error) => {
                bar.finish_with_message("failed".to_string());
                let size = match &error {
                    ImageError::OverBudget { size, .. } => Some(*size),
                    _ => None,
                };
                (Status::Failed(error), size)
            }
        };
        ImageOutcome {
            sbom,
            ..self.report(i, status, size, elapsed, Some(log_path))
        }
    }

    async fn build_and_tag(
        &self,
        i: usize,
        hash: &str,
        previous: Option<&str>,
        log_path: &Path,
        bar: &ProgressBar,
    ) -> Result<(u64, Option<crate::sbom::Summary>), ImageError> {
        let spec = &self.graph.specs[i];
        let (id, mut log) = self.build_untagged(spec, hash, log_path, bar).await?;
        let image = spec.reference.clone();
        let tagged = format!("{}{}", self.tag_prefix, spec.reference);
        let engine = |step: &'static str, message: String| ImageError::Engine {
            image: image.clone(),
            step,
            message,
            log: log_path.to_owned(),
        };

        bar.set_message("checking size");
        let inspected = self
            .docker
            .inspect_image(&id)
            .await
            .map_err(|e| engine("inspect", e.to_string()))?;
        let size = inspected.size.unwrap_or(0).max(0) as u64;
        if size > spec.budget_bytes {
            let layers = self.largest_layers(&id).await;
            // The tag never moves to an over-budget image. If it already pointed at this very
            // image (a forced rebuild) it is removed; an image another reference uses is kept.
            let tags = inspected.repo_tags.unwrap_or_default();
            let target = if tags.contains(&tagged) {
                Some(tagged.as_str())
            } else if tags.is_empty() {
                Some(id.as_str())
            } else {
                None
            };
            if let Some(target) = target {
                let _ = self
                    .docker
                    .remove_image(target, Some(RemoveImageOptionsBuilder::new().build()), None)
                    .await;
            }
            let error = ImageError::OverBudget {
                image,
                size,
                budget: spec.budget_bytes,
                layers,
            };
            let _ = writeln!(log, "ERROR: {error}");
            return Err(error);
        }
        // The SBOM is written before the tag moves: an image without one is not tagged.
        bar.set_message("writing its SBOM");
        let sbom = match self.write_sbom(i, &id).await.transpose() {
            Ok(sbom) => sbom,
            Err(error) => {
                if inspected.repo_tags.as_ref().is_none_or(Vec::is_empty) {
                    let _ = self
                        .docker
                        .remove_image(&id, Some(RemoveImageOptionsBuilder::new().build()), None)
                        .await;
                }
                let _ = writeln!(log, "ERROR: {error}");
                return Err(error);
            }
        };
        if let Some(sbom) = &sbom {
            let _ = writeln!(log, "# sbom {}: {}", sbom.path.display(), sbom.line());
        }
        let (repo, tag) = split_reference(&tagged);
        self.docker
            .tag_image(
                &id,
                Some(TagImageOptionsBuilder::new().repo(repo).tag(tag).build()),
            )
            .await
            .map_err(|e| engine("tag", e.to_string()))?;
        let _ = writeln!(log, "# tagged {tagged} ({})", human_size(size));
        // The image the tag left is removed when nothing uses it: no tag (deleting by ID would
        // drop another reference's tag), and the engine refuses while children or containers do.
        if let Some(previous) = previous.filter(|p| *p != id) {
            let untagged = self
                .docker
                .inspect_image(previous)
                .await
                .is_ok_and(|image| image.repo_tags.unwrap_or_default().is_empty());
            if untagged {
                let _ = self
                    .docker
                    .remove_image(
                        previous,
                        Some(RemoveImageOptionsBuilder::new().build()),
                        None,
                    )
                    .await;
            }
        }
        Ok((size, sbom))
    }

    /// Builds `spec` without a tag, logging to `log_path`; returns the image ID and the open log.
    pub(crate) async fn build_untagged(
        &self,
        spec: &BuildSpec,
        hash: &str,
        log_path: &Path,
        bar: &ProgressBar,
    ) -> Result<(String, std::fs::File), ImageError> {
        let image = spec.reference.clone();
        let engine = |step: &'static str, message: String| ImageError::Engine {
            image: image.clone(),
            step,
            message,
            log: log_path.to_owned(),
        };
        std::fs::create_dir_all(self.log_dir).map_err(|e| {
            engine(
                "log",
                format!("cannot create {}: {e}", self.log_dir.display()),
            )
        })?;
        let mut log = std::fs::File::create(log_path)
            .map_err(|e| engine("log", format!("cannot create {}: {e}", log_path.display())))?;
        let _ = writeln!(log, "# {} content-hash {hash}", spec.reference);

        // The context goes through a temporary file and is streamed to the engine: a GPU
        // layer's context is 5 GB of wheels, which should not sit in memory.
        bar.set_message("assembling context");
        let tar = {
            let mut spec = spec.clone();
            spec.dockerfile = crate::spec::with_prefixed_parents(&spec, self.tag_prefix);
            if self.builder == Builder::Classic {
                spec.dockerfile = super::builder::for_classic(&spec.dockerfile);
            }
            let artifacts = self.artifacts.clone();
            tokio::task::spawn_blocking(move || {
                let lookup = |path: &str| {
                    let artifact = spec.artifacts.iter().find(|a| a.path == path)?;
                    artifacts.get(&artifact.source.key()?).cloned()
                };
                let file = tempfile::tempfile().map_err(|source| ContextError::Io {
                    image: spec.reference.clone(),
                    source,
                })?;
                let file = write_context_tar(&spec, &lookup, std::io::BufWriter::new(file))?
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|mut f| f.rewind().map(|()| f))
                    .map_err(|source| ContextError::Io {
                        image: spec.reference.clone(),
                        source,
                    })?;
                Ok::<_, ContextError>(tokio::fs::File::from_std(file))
            })
            .await
            .map_err(|e| engine("context", e.to_string()))??
        };

        let labels = HashMap::from([(CONTENT_HASH_LABEL, hash)]);
        let options = BuildImageOptionsBuilder::new()
            .dockerfile(super::context::DOCKERFILE)
            .rm(true)
            .forcerm(true)
            .nocache(self.no_cache)
            // Every input arrives through the context (apt's `.deb`s too): a build that reached
            // for the network would not be reproducible, so it gets none.
            .networkmode("none")
            .labels(&labels);
        let options = match self.builder {
            Builder::Classic => options.version(BuilderVersion::BuilderV1),
            // BuildKit talks to the client over a session (gRPC on a second engine connection)
            // for the duration of the build; its ID only has to be unique.
            Builder::BuildKit => options
                .version(BuilderVersion::BuilderBuildKit)
                .session(&session_id(&spec.reference)),
        }
        .build();
        let _ = writeln!(log, "# builder: {}", self.builder);
        self.builder_calls.fetch_add(1, Ordering::SeqCst);
        let mut stream = self.docker.build_image(
            options,
            None,
            Some(bollard::body_try_stream(ReaderStream::with_capacity(
                tar,
                1 << 20,
            ))),
        );
        // Where the build is and what its step printed last: on failure they say why (e.g. the
        // vanished apt pin the generated pre-check names), where the engine only says the
        // command failed.
        let mut classic = ClassicLog::default();
        let mut trace = Trace::default();
        let mut id = None;
        loop {
            // Dropping the stream closes the connection, which cancels the build on the engine
            // (the classic builder's intermediate containers go with `forcerm`; BuildKit kills
            // the step's process); nothing was tagged.
            let Ok(next) = tokio::time::timeout(self.silence_timeout, stream.next()).await else {
                let _ = writeln!(
                    log,
                    "ERROR: no output for {} s",
                    self.silence_timeout.as_secs()
                );
                let (step, output) = stopped_at(&classic, &trace);
                return Err(ImageError::Step {
                    image,
                    step: shorten(&step, 100),
                    message: format!(
                        "no output for {} s, so the build was stopped: a command that waits for input or for the network (builds have none) hangs; raise --silence-timeout if it only works slowly; its last output:\n    {}\n ",
                        self.silence_timeout.as_secs(),
                        output.join("\n    ")
                    ),
                    log: log_path.to_owned(),
                });
            };
            let Some(item) = next else { break };
            match item {
                Ok(info) => {
                    if let Some(text) = info.stream.as_deref() {
                        let _ = log.write_all(text.as_bytes());
                        if let Some(step) = classic.update(text) {
                            bar.set_message(shorten(step, 70));
                        }
                        if self.verbose {
                            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                                bar.suspend(|| eprintln!("[{}] {line}", spec.reference));
                            }
                        }
                    }
                    match info.aux {
                        Some(BuildInfoAux::Default(image)) => {
                            if let Some(aux_id) = image.id {
                                id = Some(aux_id);
                            }
                        }
                        Some(BuildInfoAux::BuildKit(status)) => {
                            let lines = trace.update(status, &mut log);
                            if let Some(running) = trace.running() {
                                bar.set_message(shorten(running, 70));
                            }
                            if self.verbose {
                                for line in lines {
                                    bar.suspend(|| eprintln!("[{}] {line}", spec.reference));
                                }
                            }
                        }
                        None => {}
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    let _ = writeln!(log, "ERROR: {error}");
                    let summary = summary(&error);
                    let (step, output) = stopped_at(&classic, &trace);
                    let output: Vec<&str> = output
                        .iter()
                        .map(String::as_str)
                        .filter(|l| !l.trim().is_empty())
                        .collect();
                    return Err(ImageError::Step {
                        image,
                        step: shorten(&step, 100),
                        message: format!(
                            "{summary}; its last output:\n    {}\n ",
                            output.join("\n    ")
                        ),
                        log: log_path.to_owned(),
                    });
                }
                Err(err) => {
                    let _ = writeln!(log, "ERROR: {err}");
                    return Err(engine("build", err.to_string()));
                }
            }
        }
        let id = id.ok_or_else(|| engine("build", "the build stream gave no image ID".into()))?;
        let _ = writeln!(log, "# built {id}");
        Ok((id, log))
    }

    /// The largest layers of image `id`, largest first (empty when history is unavailable).
    async fn largest_layers(&self, id: &str) -> Vec<Layer> {
        let mut layers: Vec<Layer> = self
            .docker
            .image_history(id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|item| Layer {
                size: item.size.max(0) as u64,
                created_by: item.created_by,
            })
            .collect();
        layers.sort_by_key(|layer| std::cmp::Reverse(layer.size));
        layers.truncate(LAYERS_SHOWN);
        layers
    }
}

/// A BuildKit session ID for one build of `reference`: unique within this engine's lifetime.
fn session_id(reference: &str) -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name: String = reference
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!(
        "image-dsl-{name}-{}-{nanos}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::SeqCst)
    )
}

fn progress_bar(reference: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_prefix(reference.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix:.bold} [{elapsed}] {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_chain_of_recorded_times_starts_first() {
        let spec = |reference: &str, parents: &[&str]| {
            BuildSpec::bare(reference, "FROM scratch\n", parents)
        };
        let graph = Graph::new(vec![
            spec("base:1", &[]),
            spec("short:1", &["base:1"]),
            spec("long:1", &["base:1"]),
            spec("top:1", &["short:1", "long:1"]),
            spec("alone:1", &[]),
        ])
        .unwrap();
        let times: HashMap<String, f64> = [
            ("base:1", 17.0),
            ("short:1", 5.0),
            ("long:1", 15.0),
            ("top:1", 4.0),
        ]
        .into_iter()
        .map(|(r, t)| (r.to_owned(), t))
        .collect();
        let names = |order: Vec<usize>| -> Vec<String> {
            order
                .into_iter()
                .map(|i| graph.specs[i].reference.clone())
                .collect()
        };
        assert_eq!(
            names(start_order(&graph, &times)),
            ["base:1", "long:1", "short:1", "top:1", "alone:1"]
        );
        // Never timed: 1 s each, so the chain under `base` still goes before `alone`.
        assert_eq!(
            names(start_order(&graph, &HashMap::new())),
            ["base:1", "short:1", "long:1", "top:1", "alone:1"]
        );
    }

    #[test]
    fn built_images_times_are_recorded_beside_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("times.json");
        std::fs::write(&path, r#"{"old:1": 3.0, "a:1": 9.0}"#).unwrap();
        let outcome = |reference: &str, status: Status| ImageOutcome {
            reference: reference.into(),
            status,
            size: None,
            budget: 1,
            elapsed: Duration::from_secs(2),
            content_hash: String::new(),
            log: None,
            sbom: None,
        };
        record_times(
            &path,
            &[
                outcome("a:1", Status::Built),
                outcome("b:1", Status::UpToDate),
            ],
        );
        let times = read_times(&path);
        assert_eq!(times.len(), 2, "{times:?}");
        assert_eq!(times["a:1"], 2.0);
        assert_eq!(times["old:1"], 3.0);
    }
}
