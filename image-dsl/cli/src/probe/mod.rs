//! Probes: tests generated from each image's model and run in real containers on the Docker
//! engine (`cargo xtask images test`, `tests/live/probe.rs`).
//!
//! [`plan::probes_for`] reads what an image is from its model (Spark flavour, entrypoint role,
//! health check, installed wheels) and picks the probes; each probe runs in its own [`Sandbox`]
//! (uniquely named containers and a private network, removed afterwards) and checks results the
//! job scripts under `image-dsl/cli/probes/` compute. Stages: `plan` (which probes) → `sandbox` (engine
//! plumbing) → one module per probe family → [`results`] (table and JSON).

pub mod cluster;
pub mod connect;
pub mod gpu;
pub mod health;
pub mod jdbc;
pub mod jobs;
pub mod local;
pub mod notebook;
pub mod plan;
pub mod python;
pub mod results;
pub mod sandbox;
pub mod structure;
pub mod suite;

use std::time::Instant;

use bollard::Docker;
use image_dsl::Image;
use image_dsl::catalog::{Catalog, Services};

use crate::engine::{self, BuildOptions, BuildSpec};
pub use plan::{ProbeKind, probes_for};
pub use results::{Outcome, ProbeResult};
pub use sandbox::{ContainerSpec, Sandbox};

/// Why a probe did not pass.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// A check failed; `log` is the tail of the relevant container's output.
    #[error("{image}: probe {probe}: {what}{}", show_log(log))]
    Failed {
        /// The image under test.
        image: String,
        /// The probe.
        probe: ProbeKind,
        /// What was expected and what happened.
        what: String,
        /// Log tail.
        log: String,
    },
    /// Something did not happen in time.
    #[error("{image}: probe {probe}: no {what} within {seconds}s{}", show_log(log))]
    Timeout {
        /// The image under test.
        image: String,
        /// The probe.
        probe: ProbeKind,
        /// Seconds waited.
        seconds: u64,
        /// What was awaited.
        what: String,
        /// Log tail.
        log: String,
    },
    /// The engine refused a request.
    #[error("{image}: probe {probe}: the engine failed at `{step}`: {source}; check `docker info`")]
    Engine {
        /// The image under test.
        image: String,
        /// The probe.
        probe: ProbeKind,
        /// The request.
        step: &'static str,
        /// The engine's error.
        source: bollard::errors::Error,
    },
    /// Another image the probe needs is not built.
    #[error("{image}: probe {probe}: needs {needs}, which is not built; run with --build")]
    Prerequisite {
        /// The image under test.
        image: String,
        /// The probe.
        probe: ProbeKind,
        /// The missing image.
        needs: String,
    },
    /// The probe needs hardware or an engine feature this host lacks; it did not run.
    #[error("{image}: probe {probe}: not run: {why}")]
    Unavailable {
        /// The image under test.
        image: String,
        /// The probe.
        probe: ProbeKind,
        /// What is missing and where it is needed.
        why: String,
    },
    /// A derived image the probe builds could not be built.
    #[error("{image}: probe {probe}: building {derived} failed: {message}")]
    Derived {
        /// The image under test.
        image: String,
        /// The probe.
        probe: ProbeKind,
        /// The derived image.
        derived: String,
        /// The engine's report.
        message: String,
    },
}

fn show_log(log: &str) -> String {
    if log.trim().is_empty() {
        String::new()
    } else {
        format!("\n  log tail:\n    {}", log.replace('\n', "\n    "))
    }
}

/// What probes need besides the image under test.
pub struct ProbeContext {
    /// The engine.
    pub docker: Docker,
    /// Every catalog image (a probe may need another one, e.g. a PostgreSQL service).
    pub catalog: Vec<Image>,
    /// The catalog images probes start as services.
    pub services: Services,
    /// The catalog's build specs, for derived images built through the engine.
    pub specs: Vec<BuildSpec>,
    /// How derived images are built.
    pub build: BuildOptions,
    /// Whether the engine has the NVIDIA container runtime, so containers can get GPUs.
    pub gpu_runtime: bool,
}

/// The engine runtime that gives containers GPUs (`docker run --gpus`).
pub const NVIDIA_RUNTIME: &str = "nvidia";

/// Whether the engine has the NVIDIA runtime, so containers can get GPUs.
pub async fn gpu_runtime(docker: &Docker) -> bool {
    docker.info().await.is_ok_and(|info| {
        info.runtimes
            .is_some_and(|r| r.contains_key(NVIDIA_RUNTIME))
    })
}

impl ProbeContext {
    /// A context on `docker`; asks the engine whether it has the NVIDIA runtime.
    pub async fn new(
        docker: Docker,
        catalog: Catalog,
        specs: Vec<BuildSpec>,
        build: BuildOptions,
    ) -> ProbeContext {
        let gpu_runtime = gpu_runtime(&docker).await;
        ProbeContext {
            docker,
            catalog: catalog.images,
            services: catalog.services,
            specs,
            build,
            gpu_runtime,
        }
    }

    /// The catalog's PostgreSQL service image.
    pub fn postgres(&self) -> &str {
        service(&self.services.postgresql, "postgresql")
    }

    /// The catalog's MariaDB service image.
    pub fn mariadb(&self) -> &str {
        service(&self.services.mariadb, "mariadb")
    }

    /// The catalog's Iceberg REST catalog image.
    pub fn iceberg_rest(&self) -> &str {
        service(&self.services.iceberg_rest, "iceberg_rest")
    }

    /// The catalog image `reference`.
    pub fn image(&self, reference: &str) -> Option<&Image> {
        self.catalog.iter().find(|i| i.reference() == reference)
    }

    /// Whether `reference` exists in the engine (under the build's tag prefix).
    pub async fn built(&self, reference: &str) -> bool {
        self.docker
            .inspect_image(&self.build.tag(reference))
            .await
            .is_ok()
    }

    /// `Ok` when every image `kind` needs besides `image` is built; otherwise the first missing
    /// one, as a [`ProbeError::Prerequisite`].
    pub async fn require(
        &self,
        image: &Image,
        kind: ProbeKind,
        needs: impl IntoIterator<Item = &str>,
    ) -> Result<(), ProbeError> {
        for needs in needs {
            if !self.built(needs).await {
                return Err(ProbeError::Prerequisite {
                    image: image.reference(),
                    probe: kind,
                    needs: needs.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// The spec of an image a probe derives from two catalog images, `reference`: `FROM base`,
    /// `COPY --from=layer src dest`, then `tail` (a `USER` line, say), budgeted as both together.
    /// It is content-hashed like any build, so reruns are no-ops.
    pub fn derived_spec(
        &self,
        reference: String,
        base: &str,
        layer: &str,
        (src, dest): (&str, &str),
        tail: &str,
    ) -> BuildSpec {
        let budget = |r: &str| self.image(r).map(|i| i.budget.bytes()).unwrap_or(0);
        BuildSpec {
            dockerfile: format!(
                "# Generated by a probe: {layer} on {base}\n\
                 FROM {base}\nCOPY --from={layer} {src} {dest}\n{tail}"
            ),
            files: vec![],
            artifacts: vec![],
            parents: vec![base.to_owned(), layer.to_owned()],
            needs_base: None,
            budget_bytes: budget(base) + budget(layer),
            apt: vec![],
            reference,
        }
    }

    /// Builds `spec`, an image a probe of `image` derives, through the engine (with the
    /// catalog's specs for its parents); returns its reference.
    pub async fn build_derived(
        &self,
        image: &Image,
        kind: ProbeKind,
        spec: BuildSpec,
    ) -> Result<String, ProbeError> {
        let derived = spec.reference.clone();
        let failed = |message: String| ProbeError::Derived {
            image: image.reference(),
            probe: kind,
            derived: derived.clone(),
            message,
        };
        let mut specs = self.specs.clone();
        specs.push(spec);
        let specs = engine::graph::select(specs, std::slice::from_ref(&derived))
            .map_err(|e| failed(e.to_string()))?;
        let report = engine::build_all(specs, &self.build)
            .await
            .map_err(|e| failed(e.to_string()))?;
        if !report.success() {
            let why: Vec<String> = report.failures().map(ToString::to_string).collect();
            return Err(failed(why.join("; ")));
        }
        Ok(derived)
    }
}

/// A shell prefix for a GPU image on an engine without a GPU: a copy of the image's Spark
/// configuration without the RAPIDS plugin and the GPU requests becomes `SPARK_CONF_DIR` (what
/// the GPU Jupyter images' CPU kernel does), so a command after it runs Spark on the CPU. Each
/// executor would otherwise wait forever for the GPU its defaults ask for.
pub const WITHOUT_GPU_DEFAULTS: &str = "mkdir -p /tmp/spark-cpu-conf && cp -R \"$SPARK_CONF_DIR\"/. /tmp/spark-cpu-conf/ && sed -i -E '/^[[:space:]]*spark\\.(plugins|rapids\\.|executor\\.resource\\.gpu\\.|task\\.resource\\.gpu\\.)/d' /tmp/spark-cpu-conf/spark-defaults.conf && export SPARK_CONF_DIR=/tmp/spark-cpu-conf && ";

/// What a probe's result adds when it ran with [`WITHOUT_GPU_DEFAULTS`].
pub const GPU_DEFAULTS_LEFT_OUT: &str =
    " (GPU defaults left out: this engine has no NVIDIA runtime)";

/// Whether probes that run Spark on `image` must leave its GPU defaults out
/// ([`WITHOUT_GPU_DEFAULTS`]): a GPU image on an engine without the NVIDIA runtime.
pub fn without_gpu(ctx: &ProbeContext, image: &Image) -> bool {
    image.spark.is_some_and(|f| f.gpu()) && !ctx.gpu_runtime
}

/// Why `kind` cannot run `image` on this engine, if it cannot: a GPU image's defaults give every
/// executor (and, in local mode, every task) a GPU, so Spark jobs on those defaults need one.
/// `gpu-explain` runs Spark on such an image without a GPU instead; the notebook probe uses the
/// GPU Jupyter images' CPU kernel; `spark-examples` and `iceberg-sql` run with
/// [`WITHOUT_GPU_DEFAULTS`].
pub fn needs_gpu(ctx: &ProbeContext, image: &Image, kind: ProbeKind) -> Option<String> {
    let runs_spark_on_the_defaults = matches!(
        kind,
        ProbeKind::Local
            | ProbeKind::SparkPi
            | ProbeKind::RandomUid
            | ProbeKind::Executor
            | ProbeKind::Standalone
            | ProbeKind::RpcAuth
            | ProbeKind::Connect
            | ProbeKind::Jdbc
    );
    (runs_spark_on_the_defaults && without_gpu(ctx, image)).then(|| {
        "needs a GPU: the image's defaults (10-rapids.conf) give each executor one, and this engine has no NVIDIA runtime; gpu-explain runs Spark on this image without one".to_owned()
    })
}

/// Runs `kind` against `image` and reports it; never panics on engine or probe failures.
pub async fn run(ctx: &ProbeContext, image: &Image, kind: ProbeKind) -> ProbeResult {
    let started = Instant::now();
    if let Some(why) = needs_gpu(ctx, image, kind) {
        let unavailable = ProbeError::Unavailable {
            image: image.reference(),
            probe: kind,
            why,
        };
        return ProbeResult::new(
            &image.reference(),
            kind,
            Err(unavailable),
            started.elapsed(),
        );
    }
    let outcome = match kind {
        ProbeKind::Structure => structure::run(ctx, image).await,
        ProbeKind::Local => local::pyspark(ctx, image, None).await,
        ProbeKind::RandomUid => local::random_uid(ctx, image).await,
        ProbeKind::SparkPi => local::spark_pi(ctx, image).await,
        ProbeKind::Natives => local::natives(ctx, image).await,
        ProbeKind::Standalone => cluster::standalone(ctx, image).await,
        ProbeKind::Examples => cluster::examples(ctx, image).await,
        ProbeKind::RpcAuth => cluster::rpc_auth(ctx, image).await,
        ProbeKind::Executor => cluster::executor(ctx, image).await,
        ProbeKind::Connect => connect::run(ctx, image).await,
        ProbeKind::Notebook => notebook::run(ctx, image).await,
        ProbeKind::Jdbc | ProbeKind::IcebergSql => jdbc::run(ctx, image, kind).await,
        ProbeKind::JdbcDrivers => jdbc::drivers(ctx, image).await,
        ProbeKind::IcebergPython => python::run(ctx, image, ProbeKind::IcebergPython).await,
        ProbeKind::GpuPython => python::run(ctx, image, ProbeKind::GpuPython).await,
        ProbeKind::GpuConfig => gpu::run(ctx, image).await,
        ProbeKind::GpuExplain => gpu::explain(ctx, image).await,
        ProbeKind::GpuHost => gpu::host(ctx, image).await,
        ProbeKind::Healthcheck => health::run(ctx, image).await,
    };
    ProbeResult::new(&image.reference(), kind, outcome, started.elapsed())
}

/// The `PROBE-<key> value` line a job printed, if any (the last one wins).
pub fn marker<'a>(log: &'a str, key: &str) -> Option<&'a str> {
    let prefix = format!("PROBE-{key} ");
    log.lines().rev().find_map(|l| {
        let l = l.rsplit('\r').next().unwrap_or(l);
        l.find(&prefix).map(|at| l[at + prefix.len()..].trim())
    })
}

/// The job's `PROBE-OK` facts, or a failure naming what the job printed instead.
pub fn expect_ok(
    sandbox: &Sandbox,
    what: &str,
    finished: &sandbox::Finished,
) -> Result<String, ProbeError> {
    match marker(&finished.log, "OK") {
        Some(facts) if finished.code == 0 => Ok(facts.to_owned()),
        Some(_) => Err(sandbox.failed(
            format!(
                "{what} printed its result but exited with {}",
                finished.code
            ),
            &finished.log,
        )),
        None => Err(sandbox.failed(
            format!("{what} exited with {} without a result", finished.code),
            &finished.log,
        )),
    }
}

/// The service image of a role, or (when the catalog names none) a placeholder that
/// [`ProbeContext::require`] reports as not built, naming the missing `Services` field.
pub fn service<'s>(reference: &'s Option<String>, role: &'static str) -> &'s str {
    match reference {
        Some(reference) => reference,
        None => match role {
            "postgresql" => "<the catalog's Services::postgresql (none declared)>",
            "mariadb" => "<the catalog's Services::mariadb (none declared)>",
            _ => "<the catalog's Services::iceberg_rest (none declared)>",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_after_progress_bars() {
        let log = "noise\n[Stage 3:>  (0 + 2) / 2]\rPROBE-OK local sum=1\nPROBE-PI 3.14\n";
        assert_eq!(marker(log, "OK"), Some("local sum=1"));
        assert_eq!(marker(log, "PI"), Some("3.14"));
        assert_eq!(marker(log, "APP-ID"), None);
    }

    #[test]
    fn errors_name_the_image_the_probe_and_show_the_log() {
        let err = ProbeError::Failed {
            image: "spark-3.5.7:baseline".into(),
            probe: ProbeKind::Local,
            what: "the job exited with 1 without a result".into(),
            log: "Traceback\nAssertionError: sum".into(),
        };
        let text = err.to_string();
        assert!(
            text.starts_with(
                "spark-3.5.7:baseline: probe local: the job exited with 1 without a result\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("    AssertionError: sum"), "{text}");
    }
}
