//! The probes that need a live PostgreSQL: the catalog's PostgreSQL image on a private network
//! (password from the environment, readiness from its own health check), then a job in the image
//! under test (`xtask/probes/job.py`).
//!
//! - jdbc: a table created with `psql` inside the database; Spark (local mode) reads it through
//!   the bundled `postgresql.jar`.
//! - iceberg-sql: Spark SQL on Iceberg against the image's own Hadoop catalog and a JDBC catalog
//!   whose metadata lives in this PostgreSQL: create, insert, `MERGE INTO`, `UPDATE`, a schema
//!   change and time travel to the first snapshot, on each.

use std::time::Duration;

use image_dsl::Image;

use super::jobs::{self, JOB_PY};
use super::{ContainerSpec, ProbeContext, ProbeError, ProbeKind, Sandbox, expect_ok};

/// The catalog image the probes use as their database.
pub const POSTGRES: &str = "postgresql:15";

/// psql inside the PostgreSQL image.
const PSQL: &str = "/usr/lib/postgresql/15/bin/psql";

/// The table the job reads; its rows are what `job.py jdbc` checks.
const TABLE_SQL: &str = "CREATE TABLE probe_people (name text PRIMARY KEY, amount integer NOT NULL); \
     INSERT INTO probe_people VALUES ('ada', 10), ('grace', 20), ('linus', 30);";

const LIMIT: Duration = Duration::from_secs(240);

/// Runs [`POSTGRES`] and the Spark job of `kind` (jdbc or iceberg-sql); `Ok` carries the job's
/// facts.
pub async fn run(ctx: &ProbeContext, image: &Image, kind: ProbeKind) -> Result<String, ProbeError> {
    run_with(ctx, image, kind, POSTGRES).await
}

/// Runs the probe against the PostgreSQL image `postgres` (same contract as [`POSTGRES`]).
pub async fn run_with(
    ctx: &ProbeContext,
    image: &Image,
    kind: ProbeKind,
    postgres: &str,
) -> Result<String, ProbeError> {
    let reference = image.reference();
    if !ctx.built(postgres).await {
        return Err(ProbeError::Prerequisite {
            image: reference,
            probe: kind,
            needs: postgres.to_owned(),
        });
    }
    let mut sandbox = Sandbox::new(&ctx.docker, &reference, kind);
    let password = format!("pw{:x}", std::process::id().wrapping_mul(2_654_435_761));
    let result = async {
        sandbox.network().await?;
        let db = sandbox
            .start(
                ContainerSpec::new("postgres", postgres, &[])
                    .env([("POSTGRES_PASSWORD", password.as_str())]),
            )
            .await?;
        sandbox.wait_healthy(&db, LIMIT).await?;
        let url = format!("jdbc:postgresql://{db}:5432/postgres");
        let (what, args) = if kind == ProbeKind::IcebergSql {
            (
                "the Iceberg SQL job",
                vec!["iceberg", &url, "postgres", &password],
            )
        } else {
            create_table(&sandbox, &db).await?;
            (
                "the JDBC job",
                vec!["jdbc", &url, "postgres", &password, "probe_people"],
            )
        };
        let script = jobs::path(JOB_PY);
        let mut command = vec!["python3", script.as_str()];
        command.extend(args);
        let job = ContainerSpec::new("spark", &reference, &command).files(&[JOB_PY]);
        let finished = sandbox.run(job, LIMIT).await?;
        expect_ok(&sandbox, what, &finished)
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// The table the jdbc job reads, made with psql inside the database container `db`.
async fn create_table(sandbox: &Sandbox, db: &str) -> Result<(), ProbeError> {
    let psql = [
        PSQL,
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        "/run/postgresql",
        "-U",
        "postgres",
        "-d",
        "postgres",
        "-c",
        TABLE_SQL,
    ];
    let created = sandbox.exec(db, &psql, None).await?;
    if created.code != 0 {
        return Err(sandbox.failed(
            format!("psql could not create the table (exit {})", created.code),
            &created.log,
        ));
    }
    Ok(())
}
