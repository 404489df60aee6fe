//! GPU probes.
//!
//! - `gpu-config` checks what the image must carry for the RAPIDS Accelerator to start on a GPU
//!   node: the RAPIDS jar the model copies into `/opt/spark/jars`, `spark.plugins` naming
//!   `com.nvidia.spark.SQLPlugin` in `spark-defaults.conf`, and the GPU discovery script that
//!   conf points at, present and executable by the image's user.
//! - `gpu-explain` runs the plugin in its `explainOnly` mode, which needs no GPU (NVIDIA's own CI
//!   uses it as a smoke test): the plugin loads from the image's defaults, finds the shim for the
//!   image's exact Spark release, a query runs on the CPU, and the plugin logs which operators
//!   would run on the GPU.
//! - `gpu-host` runs `nvidia-smi` and a query whose executed plan must be on the GPU. It needs a
//!   GPU and the NVIDIA container runtime; on an engine without that runtime it reports itself
//!   as not run, with the reason, and never as passed.

use std::time::Duration;

use image_dsl::Image;

use super::jobs::{self, JOB_PY};
use super::structure::expected_jars;
use super::{
    ContainerSpec, NVIDIA_RUNTIME, ProbeContext, ProbeError, ProbeKind, Sandbox, expect_ok, marker,
};

const LIMIT: Duration = Duration::from_secs(120);

/// How long a RAPIDS job may take (the plugin's 900 MB jar opens on the driver).
const JOB_LIMIT: Duration = Duration::from_secs(300);

/// What the plugin logs in `explainOnly` mode.
const EXPLAIN_ONLY: &str = "RAPIDS Accelerator is in explain only mode";

/// A local-mode Spark conf for the job: the image's own defaults (spark.plugins and spark.rapids.*
/// included) without the executor and task GPU requests, which local mode cannot schedule (its
/// tasks would wait forever), then `job.py MODE SPARK_VERSION` with it.
fn local_job(mode: &str, spark: &str) -> String {
    format!(
        "conf=/tmp/rapids-local-conf && mkdir -p \"$conf\" && \
         grep -v -e '^spark\\.executor\\.resource\\.gpu\\.' -e '^spark\\.task\\.resource\\.gpu\\.' \
         /opt/spark/conf/spark-defaults.conf > \"$conf/spark-defaults.conf\" && \
         SPARK_CONF_DIR=\"$conf\" exec python3 {job} {mode} {spark}",
        job = jobs::path(JOB_PY)
    )
}

/// The RAPIDS release the catalog pins for `scala`: the version of the `rapids-4-spark_<scala>`
/// artifact some catalog image fetches.
fn pinned_release(ctx: &ProbeContext, scala: &str) -> Option<&'static str> {
    let key = format!("rapids-4-spark_{scala}");
    ctx.catalog
        .iter()
        .flat_map(|i| i.artifacts())
        .find(|a| a.key == key)
        .map(|a| a.version)
}

/// `gpu-explain`: see the module docs.
pub async fn explain(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::GpuExplain);
    let Some(flavor) = image.spark else {
        return Err(sandbox.failed("the image declares no Spark release", ""));
    };
    let spark = flavor.version.to_string();
    let release = pinned_release(ctx, flavor.version.scala());
    let script = local_job("gpu-explain", &spark);
    let spec = ContainerSpec::new("job", &reference, &["sh", "-c", &script]).files(&[JOB_PY]);
    let result = async {
        let finished = sandbox.run(spec, JOB_LIMIT).await?;
        let facts = expect_ok(&sandbox, "the explainOnly job", &finished)?;
        let problems = explain_problems(&finished.log, release);
        if !problems.is_empty() {
            return Err(sandbox.failed(problems.join("; "), &finished.log));
        }
        Ok(format!(
            "RAPIDS {} in explainOnly mode; {facts}",
            release.unwrap_or("?")
        ))
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// What the explainOnly job's log lacks: the plugin's own lines (its release, the mode) and the
/// plan it logs while the query runs.
pub fn explain_problems(log: &str, release: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    // "RAPIDS Accelerator 26.08.1 using cudf 26.08.0, private revision …"
    let loaded = log.lines().find_map(|l| {
        let rest = l.split("RAPIDS Accelerator ").nth(1)?;
        rest.split_once(" using cudf").map(|(version, _)| version)
    });
    match (loaded, release) {
        (None, _) => {
            problems.push("the RAPIDS plugin did not log its release: it did not load".to_owned())
        }
        (Some(v), Some(r)) if v != r => {
            problems.push(format!("the RAPIDS plugin is {v}, the catalog pins {r}"))
        }
        _ => {}
    }
    if !log.contains(EXPLAIN_ONLY) {
        problems.push(format!("the plugin did not say {EXPLAIN_ONLY:?}"));
    }
    if !log.lines().any(|l| l.contains("> will run on GPU")) {
        problems.push("the plugin logged no operator that would run on the GPU".to_owned());
    }
    problems
}

/// `gpu-host`: see the module docs.
pub async fn host(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    if !ctx.gpu_runtime {
        return Err(ProbeError::Unavailable {
            image: reference,
            probe: ProbeKind::GpuHost,
            why: format!(
                "needs a GPU and the NVIDIA container runtime ({NVIDIA_RUNTIME:?}), which this engine does not have; \
                 run `{} test {} --probe gpu-host` on a GPU host with nvidia-container-toolkit",
                crate::engine::layout::command(),
                image.reference()
            ),
        });
    }
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::GpuHost);
    let Some(flavor) = image.spark else {
        return Err(sandbox.failed("the image declares no Spark release", ""));
    };
    let spark = flavor.version.to_string();
    let script = format!(
        "nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/PROBE-GPU /' && {}",
        local_job("gpu-run", &spark)
    );
    let spec = ContainerSpec::new("job", &reference, &["sh", "-c", &script])
        .files(&[JOB_PY])
        .gpus();
    let result = async {
        let finished = sandbox.run(spec, JOB_LIMIT).await?;
        let facts = expect_ok(&sandbox, "the GPU job", &finished)?;
        let gpu = marker(&finished.log, "GPU").unwrap_or("?");
        Ok(format!("{gpu}; {facts}"))
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// The plugin class spark-defaults.conf must name.
pub const RAPIDS_PLUGIN: &str = "com.nvidia.spark.SQLPlugin";

/// The shell check run as the image's user; prints one fact per line.
const CHECK: &str = r#"conf=/opt/spark/conf/spark-defaults.conf
ls /opt/spark/jars | sed 's/^/JAR /'
sed -n 's/^spark\.plugins[[:space:]]*//p' "$conf" | sed 's/^/PLUGINS /'
script="$(sed -n 's/^spark\.executor\.resource\.gpu\.discoveryScript[[:space:]]*//p' "$conf")"
echo "SCRIPT $script"
[ -n "$script" ] && [ -x "$script" ] && echo "EXECUTABLE yes"
echo END"#;

/// Runs the checks; `Ok` names the jar and the plugin.
pub async fn run(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::GpuConfig);
    let spec = ContainerSpec::new("check", &reference, &["-c", CHECK]).entrypoint(&["/bin/sh"]);
    let rapids: Vec<String> = expected_jars(&ctx.catalog, image)
        .into_iter()
        .filter(|j| j.starts_with("rapids-4-spark"))
        .collect();
    let result = async {
        let finished = sandbox.run(spec, LIMIT).await?;
        let problems = problems(&finished.log, &rapids);
        if problems.is_empty() {
            Ok(format!("{} with {RAPIDS_PLUGIN}", rapids.join(",")))
        } else {
            Err(sandbox.failed(problems.join("; "), &finished.log))
        }
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// What is missing from the check's output.
pub fn problems(log: &str, rapids_jars: &[String]) -> Vec<String> {
    let facts = |key: &str| -> Vec<&str> {
        log.lines()
            .filter_map(|l| l.strip_prefix(key).map(str::trim))
            .collect()
    };
    let mut problems = Vec::new();
    if rapids_jars.is_empty() {
        problems.push("the model copies no rapids-4-spark jar into /opt/spark/jars".to_owned());
    }
    let jars = facts("JAR ");
    for jar in rapids_jars {
        if !jars.contains(&jar.as_str()) {
            problems.push(format!("{jar} is not in /opt/spark/jars"));
        }
    }
    if !facts("PLUGINS ")
        .iter()
        .any(|p| p.split(',').any(|c| c.trim() == RAPIDS_PLUGIN))
    {
        problems.push(format!(
            "spark-defaults.conf does not set spark.plugins to {RAPIDS_PLUGIN}"
        ));
    }
    if facts("EXECUTABLE ").is_empty() {
        problems.push(format!(
            "the GPU discovery script {:?} is missing or not executable",
            facts("SCRIPT ").first().copied().unwrap_or_default()
        ));
    }
    if !log.contains("END") {
        problems.push("the check did not finish".to_owned());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_gpu_image_has_no_problems() {
        let log = "JAR rapids-4-spark_2.12.jar\nPLUGINS com.nvidia.spark.SQLPlugin\n\
                   SCRIPT /opt/spark/conf/get-gpus-resources.sh\nEXECUTABLE yes\nEND\n";
        assert!(problems(log, &["rapids-4-spark_2.12.jar".into()]).is_empty());
    }

    #[test]
    fn the_explain_only_log_must_show_the_pinned_plugin_its_mode_and_a_gpu_plan() {
        let log = "WARN RapidsPluginUtils: RAPIDS Accelerator 26.08.1 using cudf 26.08.0, private revision x\n\
                   WARN RapidsPluginUtils: RAPIDS Accelerator is in explain only mode, to disable …\n\
                   WARN GpuOverrides: \n*Exec <HashAggregateExec> will run on GPU\n";
        assert!(explain_problems(log, Some("26.08.1")).is_empty());
        assert_eq!(
            explain_problems(log, Some("25.04.0")),
            ["the RAPIDS plugin is 26.08.1, the catalog pins 25.04.0"]
        );
        let cpu_only =
            "RAPIDS Accelerator is in explain only mode\n!Exec <RangeExec> cannot run on GPU\n";
        assert_eq!(explain_problems(cpu_only, None).len(), 2);
    }

    #[test]
    fn each_missing_piece_is_named() {
        let log = "JAR spark-core_2.12-3.5.8.jar\nSCRIPT \nEND\n";
        let found = problems(log, &["rapids-4-spark_2.12.jar".into()]);
        assert_eq!(found.len(), 3, "{found:#?}");
    }
}
