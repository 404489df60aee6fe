//! The probes that need a live PostgreSQL: the catalog's PostgreSQL image on a private network
//! (password from the environment, readiness from its own health check), then a job in the image
//! under test (`image-dsl/cli/probes/job.py`).
//!
//! - jdbc: a table created with `psql` inside the database; Spark (local mode) reads it through
//!   the bundled `postgresql.jar`.
//! - jdbc-drivers: a JDBC driver layer (`jdbc-drivers:*`, data only) copied onto the newest
//!   baseline Spark runtime of the catalog; each driver's class loads on Spark's JVM and reports
//!   its version, and the drivers of databases Debian packages read the server's version through
//!   Spark: PostgreSQL's from this PostgreSQL, MariaDB's and MySQL's from the catalog's MariaDB.
//! - iceberg-sql: Spark SQL on Iceberg against the image's own Hadoop catalog, a JDBC catalog
//!   whose metadata lives in this PostgreSQL and the catalog's Iceberg REST server (run beside the
//!   job in a derived image, so both see one warehouse): create, insert, `MERGE INTO`, `UPDATE`, a
//!   schema change and time travel to the first snapshot, on each; then pyiceberg reads the table
//!   Spark wrote through the REST catalog.

use std::time::Duration;

use image_dsl::Image;

use super::jobs::{self, JOB_PY};
use super::plan::{SparkRole, spark_role};
use super::{ContainerSpec, ProbeContext, ProbeError, ProbeKind, Sandbox, expect_ok};
use crate::engine::BuildSpec;

/// Where the driver probe puts the layer's jars in its derived image.
const DRIVERS_DIR: &str = "/opt/jdbc-probe";

/// psql inside the PostgreSQL image.
const PSQL: &str = "/usr/lib/postgresql/15/bin/psql";

/// The table the job reads; its rows are what `job.py jdbc` checks.
const TABLE_SQL: &str = "CREATE TABLE probe_people (name text PRIMARY KEY, amount integer NOT NULL); \
     INSERT INTO probe_people VALUES ('ada', 10), ('grace', 20), ('linus', 30);";

const LIMIT: Duration = Duration::from_secs(240);

/// Runs the catalog's PostgreSQL service and the Spark job of `kind` (jdbc or iceberg-sql); `Ok` carries the job's
/// facts.
pub async fn run(ctx: &ProbeContext, image: &Image, kind: ProbeKind) -> Result<String, ProbeError> {
    run_with(ctx, image, kind, ctx.postgres()).await
}

/// Runs the probe against the PostgreSQL image `postgres` (same contract as the catalog's PostgreSQL service).
pub async fn run_with(
    ctx: &ProbeContext,
    image: &Image,
    kind: ProbeKind,
    postgres: &str,
) -> Result<String, ProbeError> {
    let reference = image.reference();
    let iceberg = kind == ProbeKind::IcebergSql;
    let needs = std::iter::once(postgres).chain(iceberg.then_some(ctx.iceberg_rest()));
    ctx.require(image, kind, needs).await?;
    // The Iceberg job also needs the REST catalog server's jars beside Spark: a derived image.
    let runnable = if iceberg {
        ctx.build_derived(image, kind, with_rest_server(ctx, image))
            .await?
    } else {
        reference.clone()
    };
    let mut sandbox = Sandbox::for_probe(ctx, &reference, kind);
    let password = password();
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
        let script = jobs::path(JOB_PY);
        let job = if iceberg {
            // The REST server runs beside the job, so that it, Spark and pyiceberg see one
            // warehouse directory.
            // A GPU image without a GPU runs the job with its GPU defaults left out.
            let cpu = if super::without_gpu(ctx, image) {
                super::WITHOUT_GPU_DEFAULTS
            } else {
                ""
            };
            let command = format!(
                "{REST_SERVER} > /tmp/iceberg-rest.log 2>&1 & \
                 {cpu}exec python3 {script} iceberg {url} postgres {password} http://localhost:{REST_PORT}"
            );
            ContainerSpec::new("spark", &runnable, &["sh", "-c", &command])
        } else {
            create_table(&sandbox, &db).await?;
            ContainerSpec::new(
                "spark",
                &runnable,
                &["python3", &script, "jdbc", &url, "postgres", &password, "probe_people"],
            )
        };
        let what = if iceberg {
            "the Iceberg SQL job"
        } else {
            "the JDBC job"
        };
        let finished = sandbox.run(job.files(&[JOB_PY]), LIMIT).await?;
        let detail = expect_ok(&sandbox, what, &finished)?;
        Ok(if iceberg && super::without_gpu(ctx, image) {
            format!("{detail}{}", super::GPU_DEFAULTS_LEFT_OUT)
        } else {
            detail
        })
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// Its port.
const REST_PORT: u16 = 8181;

/// The server as the `iceberg-rest` image runs it, with its warehouse under /tmp.
const REST_SERVER: &str = "CATALOG_WAREHOUSE=file:///tmp/iceberg-rest-warehouse \
     java -cp '/opt/iceberg-rest/lib/*' org.apache.iceberg.rest.RESTCatalogServer";

/// `FROM <image>`, `COPY --from=iceberg-rest /opt/iceberg-rest /opt/iceberg-rest`.
pub fn with_rest_server(ctx: &ProbeContext, image: &Image) -> BuildSpec {
    ctx.derived_spec(
        format!("image-dsl-probe/{}:{}-rest", image.name, image.tag),
        &image.reference(),
        ctx.iceberg_rest(),
        ("/opt/iceberg-rest", "/opt/iceberg-rest"),
        "",
    )
}

/// A password for a probe's database, not guessable from the container names.
pub fn password() -> String {
    format!("pw{:x}", std::process::id().wrapping_mul(2_654_435_761))
}

/// `jdbc-drivers`: see the module docs.
pub async fn drivers(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let kind = ProbeKind::JdbcDrivers;
    let Some(runtime) = newest_baseline_runtime(&ctx.catalog) else {
        return Err(ProbeError::Derived {
            image: reference,
            probe: kind,
            derived: "a runnable image".to_owned(),
            message: "the catalog has no baseline Spark runtime image to run the drivers on"
                .to_owned(),
        });
    };
    ctx.require(
        image,
        kind,
        [ctx.postgres(), ctx.mariadb(), runtime.as_str()],
    )
    .await?;
    // `FROM <runtime>`, `COPY --from=<layer> /opt/jdbc <DRIVERS_DIR>`, as the runtime's user.
    let spec = ctx.derived_spec(
        format!("image-dsl-probe/{}:{}", image.name, image.tag),
        &runtime,
        &reference,
        ("/opt/jdbc", DRIVERS_DIR),
        "",
    );
    let runnable = ctx.build_derived(image, kind, spec).await?;
    let mut sandbox = Sandbox::for_probe(ctx, &reference, kind);
    let password = password();
    let result = async {
        sandbox.network().await?;
        let pg = sandbox
            .start(ContainerSpec::new("postgres", ctx.postgres(), &[]).env([
                ("POSTGRES_USER", "probe"),
                ("POSTGRES_PASSWORD", password.as_str()),
            ]))
            .await?;
        let maria = sandbox
            .start(ContainerSpec::new("mariadb", ctx.mariadb(), &[]).env([
                ("MARIADB_USER", "probe"),
                ("MARIADB_DATABASE", "probe"),
                ("MARIADB_PASSWORD", password.as_str()),
            ]))
            .await?;
        sandbox.wait_healthy(&pg, LIMIT).await?;
        sandbox.wait_healthy(&maria, LIMIT).await?;
        let pg_url = format!("jdbc:postgresql://{pg}:5432/postgres");
        let maria_url = format!("jdbc:mariadb://{maria}:3306/probe");
        let script = jobs::path(JOB_PY);
        let job = ContainerSpec::new(
            "spark",
            &runnable,
            &[
                "python3",
                &script,
                "drivers",
                DRIVERS_DIR,
                &pg_url,
                &maria_url,
                "probe",
                &password,
            ],
        )
        .files(&[JOB_PY]);
        let finished = sandbox.run(job, LIMIT).await?;
        let facts = expect_ok(&sandbox, "the driver job", &finished)?;
        Ok(format!("{facts} (on {runtime})"))
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// The baseline Spark runtime of the newest Spark release in the catalog: where the driver
/// probe runs a driver layer.
pub fn newest_baseline_runtime(catalog: &[Image]) -> Option<String> {
    catalog
        .iter()
        .filter(|i| {
            i.spark
                .is_some_and(|f| f.variant == image_dsl::SparkVariant::Baseline && !f.notebook)
                && spark_role(i) == SparkRole::Runtime
        })
        .max_by_key(|i| i.spark.map(|f| f.version))
        .map(Image::reference)
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
