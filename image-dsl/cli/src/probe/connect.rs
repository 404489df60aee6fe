//! The Spark Connect probe (Spark 4.x): the entrypoint's `connect` mode serves on 15002, and a
//! Python client in another container of the same image (`SPARK_REMOTE=sc://<server>:15002`)
//! runs a query and a `toPandas` with checked results.

use std::time::Duration;

use image_dsl::Image;

use super::jobs::{self, JOB_PY};
use super::{ContainerSpec, ProbeContext, ProbeError, ProbeKind, Sandbox, expect_ok};

/// Spark Connect's default gRPC port.
pub const PORT: u16 = 15002;

/// What the server logs once it listens.
pub const SERVER_READY: &str = "Spark Connect server started";

const LIMIT: Duration = Duration::from_secs(240);

/// Runs the server and the client; `Ok` carries the client's facts.
pub async fn run(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::Connect);
    let result = async {
        sandbox.network().await?;
        let server = sandbox
            .start(ContainerSpec::new(
                "server",
                &reference,
                &["connect", "--master", "local[2]"],
            ))
            .await?;
        sandbox.wait_for_log(&server, SERVER_READY, LIMIT).await?;
        let client = ContainerSpec::new(
            "client",
            &reference,
            &["python3", &jobs::path(JOB_PY), "connect"],
        )
        .env([("SPARK_REMOTE", format!("sc://{server}:{PORT}"))])
        .files(&[JOB_PY]);
        let finished = sandbox.run(client, LIMIT).await?;
        expect_ok(&sandbox, "the Spark Connect client", &finished)
    }
    .await;
    sandbox.cleanup().await;
    result
}
