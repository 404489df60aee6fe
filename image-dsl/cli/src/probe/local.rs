//! Local-mode probes: the PySpark job (`local`), the same job under a random uid with gid 0
//! (`random-uid`, as OpenShift runs containers) and SparkPi in Scala (`spark-pi`).
//!
//! They run through the image's entrypoint (its pass-through mode), so the nss_wrapper set-up for
//! uids without a passwd entry is part of what is tested.

use std::time::Duration;

use image_dsl::Image;

use super::jobs::{self, JOB_PY, NATIVES_PY, SPARK_PI};
use super::{ContainerSpec, ProbeContext, ProbeError, ProbeKind, Sandbox, expect_ok, marker};

/// How long a local job may take (JVM start, Python workers, two small jobs).
const JOB_LIMIT: Duration = Duration::from_secs(240);

/// The pi estimate must be this close to pi.
pub const PI_TOLERANCE: f64 = 0.1;

/// `python3 job.py local` as `user` (the image's own when `None`): the sum of 1..=1e6, a
/// pandas/Arrow round trip and a pandas UDF, checked by the job.
pub async fn pyspark(
    ctx: &ProbeContext,
    image: &Image,
    user: Option<&str>,
) -> Result<String, ProbeError> {
    let kind = if user.is_some() {
        ProbeKind::RandomUid
    } else {
        ProbeKind::Local
    };
    let reference = image.reference();
    let mut sandbox = Sandbox::for_probe(ctx, &reference, kind);
    let mut spec = ContainerSpec::new(
        "job",
        &reference,
        &["python3", &jobs::path(JOB_PY), "local"],
    )
    .files(&[JOB_PY]);
    if let Some(user) = user {
        spec = spec.user(user);
    }
    let result = async {
        let finished = sandbox.run(spec, JOB_LIMIT).await?;
        let facts = expect_ok(&sandbox, "the PySpark job", &finished)?;
        if let Some(user) = user
            && !facts.contains(&format!("user={user}"))
        {
            return Err(sandbox.failed(
                format!("the job did not run as {user}: {facts}"),
                &finished.log,
            ));
        }
        Ok(facts)
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// The PySpark job under a random 5-digit uid with gid 0.
pub async fn random_uid(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let uid = random_uid_number();
    pyspark(ctx, image, Some(&format!("{uid}:0"))).await
}

/// A uid in 10000..=99999 that is not the image's own.
fn random_uid_number() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(12_345);
    let mixed = nanos.wrapping_mul(2_654_435_761) ^ std::process::id();
    10_000 + mixed % 90_000
}

/// `python3 natives.py`: no jar holds another platform's native library, and RocksDB (state store
/// and KV store), zstd, snappy, lz4 and, where Spark ships it, LevelDB load on the JVM through
/// Spark. On a GPU image without a GPU, with the GPU defaults left out.
pub async fn natives(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::Natives);
    let script = jobs::path(NATIVES_PY);
    let without_gpu = super::without_gpu(ctx, image);
    let shell = format!("{}exec python3 {script}", super::WITHOUT_GPU_DEFAULTS);
    let command: Vec<&str> = if without_gpu {
        vec!["sh", "-c", &shell]
    } else {
        vec!["python3", &script]
    };
    let spec = ContainerSpec::new("natives", &reference, &command).files(&[NATIVES_PY]);
    let result = async {
        let finished = sandbox.run(spec, JOB_LIMIT).await?;
        let facts = expect_ok(&sandbox, "the natives check", &finished)?;
        Ok(if without_gpu {
            format!("{facts}{}", super::GPU_DEFAULTS_LEFT_OUT)
        } else {
            facts
        })
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// SparkPi as Scala in `spark-shell --master local[2] -i`: the estimate must be within
/// [`PI_TOLERANCE`] of pi. Proves the JVM side (spark-repl, the Scala compiler) works without
/// Python.
pub async fn spark_pi(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::SparkPi);
    let script = jobs::path(SPARK_PI);
    let spec = ContainerSpec::new(
        "shell",
        &reference,
        &["spark-shell", "--master", "local[2]", "-i", &script],
    )
    .files(&[SPARK_PI]);
    let result = async {
        let finished = sandbox.run(spec, JOB_LIMIT).await?;
        let estimate = marker(&finished.log, "PI")
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| {
                sandbox.failed(
                    format!(
                        "spark-shell exited with {} without printing PROBE-PI",
                        finished.code
                    ),
                    &finished.log,
                )
            })?;
        if (estimate - std::f64::consts::PI).abs() > PI_TOLERANCE || finished.code != 0 {
            return Err(sandbox.failed(
                format!(
                    "SparkPi estimated {estimate} (exit code {}), expected pi within {PI_TOLERANCE}",
                    finished.code
                ),
                &finished.log,
            ));
        }
        Ok(format!("pi={estimate}"))
    }
    .await;
    sandbox.cleanup().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_uids_have_five_digits() {
        for _ in 0..100 {
            let uid = random_uid_number();
            assert!((10_000..=99_999).contains(&uid), "{uid}");
        }
    }
}
