//! The health-check probe: the image started with its default entrypoint and command turns
//! healthy by its own `HEALTHCHECK` within the time that check allows (start period plus
//! retries × interval, plus a margin). Services that refuse to start unconfigured get the
//! variables their documentation requires (PostgreSQL: a password; MariaDB: a user, a database
//! and a password).

use std::time::Duration;

use image_dsl::{Image, Step};

use super::{ContainerSpec, ProbeContext, ProbeError, ProbeKind, Sandbox};

/// Extra time beyond what the health check itself allows.
const MARGIN: Duration = Duration::from_secs(60);

/// Starts the image and waits for healthy; `Ok` says how long it took.
pub async fn run(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::Healthcheck);
    let limit = allowed(image) + MARGIN;
    let started = std::time::Instant::now();
    let result = async {
        let host = sandbox.name("service");
        let spec =
            ContainerSpec::new("service", &reference, &[]).env(required_env(ctx, image, &host));
        let name = sandbox.start(spec).await?;
        sandbox.wait_healthy(&name, limit).await?;
        Ok(format!(
            "healthy after {:.0}s",
            started.elapsed().as_secs_f64()
        ))
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// What the image's health check allows before it must be healthy.
pub fn allowed(image: &Image) -> Duration {
    image
        .final_stage()
        .steps
        .iter()
        .find_map(|s| match s {
            Step::Healthcheck(h) => {
                Some(seconds(&h.start_period) + seconds(&h.interval) * (h.retries + 1))
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// `10s`, `2m`, `1m30s` as a duration (unknown units count as zero).
fn seconds(text: &str) -> Duration {
    let (mut total, mut number) = (0u64, 0u64);
    for c in text.chars() {
        match c {
            '0'..='9' => number = number * 10 + u64::from(c as u8 - b'0'),
            's' => (total, number) = (total + number, 0),
            'm' => (total, number) = (total + number * 60, 0),
            'h' => (total, number) = (total + number * 3600, 0),
            _ => number = 0,
        }
    }
    Duration::from_secs(total)
}

/// Variables a service needs to start at all: PostgreSQL's password, and for an image that
/// names its own host (`SPARK_MASTER_HOST`, which compose files point at the service name) the
/// probe container's host name.
fn required_env(ctx: &ProbeContext, image: &Image, host: &str) -> Vec<(&'static str, String)> {
    let mut env = Vec::new();
    let reference = image.reference();
    if reference == ctx.postgres() {
        env.push(("POSTGRES_PASSWORD", "probe-health".to_owned()));
    }
    if reference == ctx.mariadb() {
        env.extend([
            ("MARIADB_USER", "probe".to_owned()),
            ("MARIADB_DATABASE", "probe".to_owned()),
            ("MARIADB_PASSWORD", "probe-health".to_owned()),
        ]);
    }
    let declares = |key: &str| {
        image.final_stage().steps.iter().any(|s| match s {
            Step::Env(vars) => vars.iter().any(|(k, _)| k == key),
            _ => false,
        })
    };
    if declares("SPARK_MASTER_HOST") {
        env.push(("SPARK_MASTER_HOST", host.to_owned()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_docker_writes_them() {
        assert_eq!(seconds("10s"), Duration::from_secs(10));
        assert_eq!(seconds("1m30s"), Duration::from_secs(90));
        let postgres = images::services::postgresql();
        // start period 10s + 6 × interval 5s
        assert_eq!(allowed(&postgres), Duration::from_secs(40));
    }
}
