//! The GPU configuration probe. There is no GPU here (and the RAPIDS jars are Maven-only), so it
//! checks what the image must carry for the RAPIDS Accelerator to start on a GPU node: the
//! RAPIDS jar the model copies into `/opt/spark/jars`, `spark.plugins` naming
//! `com.nvidia.spark.SQLPlugin` in `spark-defaults.conf`, and the GPU discovery script that conf
//! points at, present and executable by the image's user.

use std::time::Duration;

use image_dsl::Image;

use super::structure::expected_jars;
use super::{ContainerSpec, ProbeContext, ProbeError, ProbeKind, Sandbox};

const LIMIT: Duration = Duration::from_secs(120);

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
    let mut sandbox = Sandbox::new(&ctx.docker, &reference, ProbeKind::GpuConfig);
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
    fn each_missing_piece_is_named() {
        let log = "JAR spark-core_2.12-3.5.8.jar\nSCRIPT \nEND\n";
        let found = problems(log, &["rapids-4-spark_2.12.jar".into()]);
        assert_eq!(found.len(), 3, "{found:#?}");
    }
}
