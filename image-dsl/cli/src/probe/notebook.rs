//! The notebook probe: a notebook image serves JupyterLab on 8888 and runs a notebook in its
//! kernel, with Spark, the way a user meets it.
//!
//! The server starts with the image's default command and a token in `JUPYTER_TOKEN`. A client
//! container of the same image on the probe's network (`image-dsl/cli/probes/notebook.py`, on the image's
//! Jupyter interpreter) waits for the HTTP API, checks that the token is taken and that a wrong or
//! missing one gets 403, then runs `image-dsl/cli/probes/spark_check.ipynb` as JupyterLab does: a kernel
//! through the REST API, each cell over the kernel's websocket, the outputs saved on the server.
//! What the saved cells printed must show that the code ran in the server's kernel, that Spark
//! summed `range(1000)` to 499500 and that a pandas/Arrow round trip through pandas UDFs worked.
//!
//! On Spark 4 the notebook runs twice: in local mode, and through Spark Connect (`SPARK_REMOTE`)
//! to a server container of `spark-<version>:baseline` in `connect` mode, where the UDFs must run.
//!
//! The Iceberg images also run `image-dsl/cli/probes/iceberg_check.ipynb` in their default kernel: the
//! `iceberg-sql` probe's checks (create, insert, `MERGE INTO`, `UPDATE`, a schema change, time
//! travel) on the image's Hadoop catalog, on a JDBC catalog in the catalog's PostgreSQL and on the
//! catalog's Iceberg REST server, which the notebook starts; then pyiceberg reads the REST table.
//!
//! The GPU images also run `image-dsl/cli/probes/rapids_explain.ipynb` in their `pyspark-rapids` kernel,
//! with the RAPIDS Accelerator in `explainOnly` mode (no GPU needed): the plugin the kernel's conf
//! names must load with the shim for the image's Spark release, the query must give its result,
//! and the plugin's plan must put the aggregate on the GPU.
//!
//! `tests/live/jupyter.rs` uses the same pieces ([`serve`], [`run_notebook`], [`NotebookRun`]) for its
//! other checks (an arbitrary uid, a read-only root, the GPU images' default kernel).

use std::time::Duration;

use image_dsl::Image;

use super::connect::{self, SERVER_READY};
use super::jdbc::{self, with_rest_server};
use super::jobs::{self, ICEBERG_NOTEBOOK, JOB_PY, NOTEBOOK, NOTEBOOK_PY, RAPIDS_NOTEBOOK};
use super::{ContainerSpec, ProbeContext, ProbeError, ProbeKind, Sandbox};

/// The interpreter of the Jupyter environment every notebook image carries (ipykernel, tornado).
pub const JUPYTER_PYTHON: &str = "/opt/jupyter/bin/python";

/// What Jupyter logs once it serves.
pub const SERVING: &str = "is running at";

/// Jupyter's port.
pub const PORT: u16 = 8888;

/// `sum(range(1000))`, as the notebook's Spark job computes it.
pub const SUM: &str = "499500";

/// What the pandas/Arrow round trip prints: the doubled sum of `range(10)` and the type back.
pub const ARROW: &str = "90 DataFrame";

/// How long a server may take to serve, and the Connect server to listen.
const START_LIMIT: Duration = Duration::from_secs(180);

/// How long the client may take: the API checks and every cell (JVM start, Python workers).
const RUN_LIMIT: Duration = Duration::from_secs(480);

/// Where the notebook's Spark is expected to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect<'a> {
    /// In the kernel, in local mode: the UDFs run in the notebook server's container.
    Local,
    /// Through Spark Connect to this server container, where the UDFs run.
    Connect(&'a str),
}

/// One run of the notebook, as the client read it back from the server.
#[derive(Debug, Clone)]
pub struct NotebookRun {
    /// `check status` of each API request (`token 200`, `wrong-token 403`, …).
    pub statuses: Vec<(String, u16)>,
    /// Each code cell: `ran`, `error <ename>: <evalue>` or `not-run`.
    pub cells: Vec<String>,
    /// The `KEY value` lines the cells printed, in order.
    pub printed: Vec<(String, String)>,
    /// The client's whole output.
    pub log: String,
}

impl NotebookRun {
    /// Reads the client's `PROBE-` lines.
    pub fn parse(log: &str) -> NotebookRun {
        let mut run = NotebookRun {
            statuses: Vec::new(),
            cells: Vec::new(),
            printed: Vec::new(),
            log: log.to_owned(),
        };
        for line in log.lines() {
            let pair = |rest: &str| {
                let (k, v) = rest.split_once(' ').unwrap_or((rest, ""));
                (k.to_owned(), v.trim().to_owned())
            };
            if let Some(rest) = line.strip_prefix("PROBE-STATUS ") {
                let (check, code) = pair(rest);
                run.statuses.push((check, code.parse().unwrap_or(0)));
            } else if let Some(rest) = line.strip_prefix("PROBE-CELL ") {
                run.cells.push(pair(rest).1);
            } else if let Some(rest) = line.strip_prefix("PROBE-OUT ") {
                run.printed.push(pair(rest));
            }
        }
        run
    }

    /// The first value printed for `key`.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.printed
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first cell that failed, as `error <ename>: <evalue>`, or one that did not run.
    pub fn failed_cell(&self) -> Option<(usize, &str)> {
        self.cells
            .iter()
            .enumerate()
            .find(|(_, c)| *c != "ran")
            .map(|(n, c)| (n + 1, c.as_str()))
    }

    /// What is wrong with this run of the notebook in `server`'s kernel, with Spark where
    /// `expect` says; empty when every check holds.
    pub fn problems(&self, server: &str, expect: Expect<'_>) -> Vec<String> {
        let mut problems = self.api_problems();
        if self.cells.is_empty() {
            problems.push("the client ran no cell".to_owned());
        } else if let Some((n, cell)) = self.failed_cell() {
            problems.push(format!("cell {n} of the notebook: {cell}"));
        }
        let (session, worker, worker_is) = match expect {
            Expect::Local => ("pyspark.sql.session", server, "the notebook server"),
            Expect::Connect(remote) => (
                "pyspark.sql.connect.session",
                remote,
                "the Spark Connect server",
            ),
        };
        let mut want = |key: &str, expected: &str, what: &str| match self.value(key) {
            Some(v) if v == expected => {}
            got => problems.push(format!("{what}: {key} is {got:?}, expected {expected:?}")),
        };
        want(
            "HOST",
            server,
            "the code did not run in the server's kernel",
        );
        want("SESSION", session, "not the expected kind of Spark session");
        want("SUM", SUM, "the Spark job's result");
        want("ARROW", ARROW, "the pandas/Arrow round trip");
        want(
            "WORKER",
            worker,
            &format!("the UDFs did not run on {worker_is}"),
        );
        if !self
            .value("PYTHON")
            .is_some_and(|p| p.starts_with(JUPYTER_PYTHON))
        {
            problems.push(format!(
                "the kernel does not run the Jupyter environment's interpreter: PYTHON is {:?}",
                self.value("PYTHON")
            ));
        }
        problems
    }

    /// The token is taken; a wrong or missing one is refused.
    fn api_problems(&self) -> Vec<String> {
        let expected = [
            ("token", 200),
            ("wrong-token", 403),
            ("no-token", 403),
            ("wrong-token-kernels", 403),
        ];
        expected
            .iter()
            .filter_map(|(check, code)| {
                let got = self.statuses.iter().find(|(c, _)| c == check).map(|s| s.1);
                (got != Some(*code))
                    .then(|| format!("the HTTP API with {check} answered {got:?}, expected {code}"))
            })
            .collect()
    }
}

/// Runs the probe: the notebook in local mode, and on Spark 4 also through Spark Connect.
pub async fn run(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let remote = connect_server(&ctx.catalog, image);
    let iceberg = image.spark.is_some_and(|f| f.iceberg());
    let needs = remote
        .iter()
        .map(String::as_str)
        .chain(iceberg.then_some(ctx.postgres()))
        .chain(iceberg.then_some(ctx.iceberg_rest()));
    ctx.require(image, ProbeKind::Notebook, needs).await?;
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::Notebook);
    let result = async {
        sandbox.network().await?;
        let token = token(&reference);
        let mut facts = vec![in_kernel(&mut sandbox, &reference, &token, Expect::Local).await?];
        if let Some(remote) = remote {
            let server = sandbox
                .start(ContainerSpec::new(
                    "connect",
                    &remote,
                    &["connect", "--master", "local[2]"],
                ))
                .await?;
            sandbox
                .wait_for_log(&server, SERVER_READY, START_LIMIT)
                .await?;
            facts
                .push(in_kernel(&mut sandbox, &reference, &token, Expect::Connect(&server)).await?);
            let log = sandbox.logs(&server).await;
            if log.contains("Exception") {
                return Err(sandbox.failed("the Spark Connect server logged an exception", &log));
            }
        }
        if iceberg {
            facts.push(iceberg_kernel(ctx, &mut sandbox, image, &token).await?);
        }
        if let Some(flavor) = image.spark.filter(|f| f.gpu()) {
            facts.push(
                rapids_kernel(
                    &mut sandbox,
                    &reference,
                    &token,
                    &flavor.version.to_string(),
                )
                .await?,
            );
        }
        Ok(format!("token 200, wrong/none 403; {}", facts.join("; ")))
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// Serves `spec`, runs `notebook` in its `kernel` from a client of the same image, stops the
/// server and checks the run with `problems`: `Ok` is the run, for the caller's summary; a failure
/// shows the client's and the server's logs.
async fn checked_notebook(
    sandbox: &mut Sandbox,
    spec: ContainerSpec,
    token: &str,
    (kernel, notebook): (&str, (&str, &str)),
    problems: impl Fn(&NotebookRun) -> Vec<String>,
) -> Result<NotebookRun, ProbeError> {
    let image = spec.image.clone();
    let (server, _) = serve(sandbox, spec).await?;
    let run = run_notebook_file(sandbox, &image, &server, token, kernel, notebook).await?;
    let server_log = sandbox.logs(&server).await;
    sandbox.kill(&server).await;
    let problems = problems(&run);
    if problems.is_empty() {
        Ok(run)
    } else {
        Err(sandbox.failed(
            problems.join("; "),
            &format!("{}\n--- server ---\n{server_log}", run.log),
        ))
    }
}

/// The RAPIDS kernel of a GPU image: [`RAPIDS_NOTEBOOK`] in `pyspark-rapids`, checked.
async fn rapids_kernel(
    sandbox: &mut Sandbox,
    image: &str,
    token: &str,
    spark: &str,
) -> Result<String, ProbeError> {
    let spec = ContainerSpec::new("lab-rapids", image, &[]).env([("JUPYTER_TOKEN", token)]);
    let run = checked_notebook(
        sandbox,
        spec,
        token,
        (RAPIDS_KERNEL, RAPIDS_NOTEBOOK),
        |run| rapids_problems(run, spark),
    )
    .await?;
    Ok(format!(
        "{RAPIDS_KERNEL} kernel: explainOnly, shim {spark}, on GPU: {}",
        run.value("ON_GPU").unwrap_or_default()
    ))
}

/// An Iceberg image's default kernel: [`ICEBERG_NOTEBOOK`] with a JDBC catalog in a
/// PostgreSQL of the catalog on the sandbox's network and the REST catalog server the notebook
/// starts in the kernel's container (the image with the `iceberg-rest` jars beside it), checked.
async fn iceberg_kernel(
    ctx: &ProbeContext,
    sandbox: &mut Sandbox,
    image: &Image,
    token: &str,
) -> Result<String, ProbeError> {
    let served = ctx
        .build_derived(image, ProbeKind::Notebook, with_rest_server(ctx, image))
        .await?;
    let password = jdbc::password();
    let db = sandbox
        .start(
            ContainerSpec::new("postgres", ctx.postgres(), &[])
                .env([("POSTGRES_PASSWORD", password.as_str())]),
        )
        .await?;
    sandbox.wait_healthy(&db, START_LIMIT).await?;
    let spec = ContainerSpec::new("lab-iceberg", &served, &[])
        .env([
            ("JUPYTER_TOKEN", token),
            (
                "PROBE_JDBC_URL",
                &format!("jdbc:postgresql://{db}:5432/postgres"),
            ),
            ("PROBE_JDBC_USER", "postgres"),
            ("PROBE_JDBC_PASSWORD", &password),
        ])
        .files(&[JOB_PY]);
    let run = checked_notebook(
        sandbox,
        spec,
        token,
        ("python3", ICEBERG_NOTEBOOK),
        iceberg_problems,
    )
    .await;
    sandbox.kill(&db).await;
    let run = run?;
    Ok(format!(
        "iceberg notebook: {}; {}; {}; {}",
        run.value("LOCAL").unwrap_or_default(),
        run.value("PG").unwrap_or_default(),
        run.value("REST").unwrap_or_default(),
        run.value("PYICEBERG").unwrap_or_default()
    ))
}

/// What is wrong with the Iceberg notebook's run: each catalog must report the four rows and four
/// snapshots `job.py`'s checks end with (they assert the rest in the kernel).
pub fn iceberg_problems(run: &NotebookRun) -> Vec<String> {
    let mut problems = run.api_problems();
    if let Some((n, cell)) = run.failed_cell() {
        problems.push(format!("cell {n} of the Iceberg notebook: {cell}"));
    }
    for (key, want) in [
        ("LOCAL", "local: rows=4 snapshots=4 "),
        ("PG", "pg: rows=4 snapshots=4 "),
        ("REST", "rest: rows=4 snapshots=4 "),
        ("PYICEBERG", "pyiceberg via rest: rows=4 snapshots=4"),
    ] {
        if !run.value(key).is_some_and(|v| v.starts_with(want)) {
            problems.push(format!("{key} is {:?}, expected {want}…", run.value(key)));
        }
    }
    problems
}

/// The GPU Jupyter images' RAPIDS kernel.
pub const RAPIDS_KERNEL: &str = "pyspark-rapids";

/// What is wrong with the RAPIDS notebook's run on Spark `spark`.
pub fn rapids_problems(run: &NotebookRun, spark: &str) -> Vec<String> {
    let mut problems = run.api_problems();
    if let Some((n, cell)) = run.failed_cell() {
        problems.push(format!("cell {n} of the RAPIDS notebook: {cell}"));
    }
    let expected = [
        ("PLUGINS", "com.nvidia.spark.SQLPlugin"),
        ("MODE", "explainOnly"),
        ("SPARK", spark),
        ("SHIM", spark),
        ("GROUPS", "10"),
        ("GROUP3", "499980000"),
    ];
    for (key, want) in expected {
        match run.value(key) {
            Some(v) if v.split(',').any(|p| p.trim() == want) => {}
            other => problems.push(format!("{key} is {other:?}, expected {want}")),
        }
    }
    if !run
        .value("ON_GPU")
        .is_some_and(|v| v.split(',').any(|op| op == "HashAggregateExec"))
    {
        problems.push(format!(
            "the plan keeps the aggregate on the CPU: ON_GPU is {:?}",
            run.value("ON_GPU")
        ));
    }
    problems
}

/// The Spark Connect server image for a Spark 4 notebook image: the catalog's baseline runtime
/// of its version (a GPU runtime would need a GPU to start), found by its declared Spark flavor
/// and role, not by a name.
pub fn connect_server(catalog: &[Image], image: &Image) -> Option<String> {
    let flavor = image.spark.filter(|f| f.notebook && f.version.major >= 4)?;
    catalog
        .iter()
        .find(|i| {
            i.spark.is_some_and(|f| {
                f.version == flavor.version
                    && f.variant == image_dsl::SparkVariant::Baseline
                    && !f.notebook
            }) && super::plan::spark_role(i) == super::plan::SparkRole::Runtime
        })
        .map(Image::reference)
}

/// One server with `token` (and `SPARK_REMOTE` for Connect), the notebook run in its kernel and
/// checked; the server is stopped afterwards. `Ok` is a short summary.
async fn in_kernel(
    sandbox: &mut Sandbox,
    image: &str,
    token: &str,
    expect: Expect<'_>,
) -> Result<String, ProbeError> {
    let (role, mode) = match expect {
        Expect::Local => ("lab", "local"),
        Expect::Connect(_) => ("lab-connect", "connect"),
    };
    let mut spec = ContainerSpec::new(role, image, &[]).env([("JUPYTER_TOKEN", token)]);
    if let Expect::Connect(remote) = expect {
        let port = connect::PORT;
        spec = spec.env([("SPARK_REMOTE", format!("sc://{remote}:{port}"))]);
    }
    let (server, log) = serve(sandbox, spec).await?;
    if log.contains(token) {
        return Err(sandbox.failed("the server logged the token from JUPYTER_TOKEN", &log));
    }
    let run = run_notebook(sandbox, image, &server, token, "python3").await?;
    let problems = run.problems(&server, expect);
    let server_log = sandbox.logs(&server).await;
    sandbox.kill(&server).await;
    if problems.is_empty() {
        Ok(match expect {
            Expect::Local => format!("{mode}: sum={SUM}"),
            Expect::Connect(_) => format!("{mode}: sum={SUM}, UDFs on the server"),
        })
    } else {
        Err(sandbox.failed(problems.join("; "), &server_log))
    }
}

/// Starts the notebook server `spec` and waits until it serves; returns its name and log.
pub async fn serve(
    sandbox: &mut Sandbox,
    spec: ContainerSpec,
) -> Result<(String, String), ProbeError> {
    let server = sandbox.start(spec).await?;
    let log = sandbox.wait_for_log(&server, SERVING, START_LIMIT).await?;
    Ok((server, log))
}

/// Runs the notebook in a new `kernel` (`python3` is the default one) of the server `server`
/// (on the sandbox's network) with `token`, from a client container of `image`.
pub async fn run_notebook(
    sandbox: &mut Sandbox,
    image: &str,
    server: &str,
    token: &str,
    kernel: &str,
) -> Result<NotebookRun, ProbeError> {
    run_notebook_file(sandbox, image, server, token, kernel, NOTEBOOK).await
}

/// Runs `notebook` (name, contents) as [`run_notebook`] runs the Spark check.
pub async fn run_notebook_file(
    sandbox: &mut Sandbox,
    image: &str,
    server: &str,
    token: &str,
    kernel: &str,
    notebook: (&str, &str),
) -> Result<NotebookRun, ProbeError> {
    let url = format!("http://{server}:{PORT}");
    let server_role = server.strip_prefix(&sandbox.name("")).unwrap_or("lab");
    let client = ContainerSpec::new(
        &format!("{server_role}-{kernel}"),
        image,
        &[
            &jobs::path(NOTEBOOK_PY),
            &url,
            &jobs::path(notebook),
            kernel,
        ],
    )
    .entrypoint(&[JUPYTER_PYTHON])
    .env([("JUPYTER_TOKEN", token)])
    .files(&[NOTEBOOK_PY, notebook]);
    let finished = sandbox.run(client, RUN_LIMIT).await?;
    let run = NotebookRun::parse(&finished.log);
    if finished.code != 0 || !finished.log.contains("PROBE-SAVED ") {
        return Err(sandbox.failed(
            format!(
                "the notebook client exited with {} before the notebook was saved",
                finished.code
            ),
            &finished.log,
        ));
    }
    Ok(run)
}

/// A token for one probe run: not guessable from the container names.
fn token(image: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seed = format!("{image} {nanos} {}", std::process::id());
    crate::engine::context::sha256_hex(seed.as_bytes())[..32].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT_LOG: &str = "PROBE-STATUS token 200\nPROBE-STATUS wrong-token 403\n\
        PROBE-STATUS no-token 403\nPROBE-STATUS wrong-token-kernels 403\nPROBE-CELL 1 ran\n\
        PROBE-OUT HOST lab-1\nPROBE-OUT PYTHON /opt/jupyter/bin/python3\n\
        PROBE-OUT CONF_DIR /opt/spark/conf\nPROBE-CELL 2 ran\n\
        PROBE-OUT SESSION pyspark.sql.session\nPROBE-OUT PLUGINS none\nPROBE-CELL 3 ran\n\
        PROBE-OUT SUM 499500\nPROBE-CELL 4 ran\nPROBE-OUT ARROW 90 DataFrame\n\
        PROBE-OUT WORKER lab-1\nPROBE-SAVED check-1.ipynb\n";

    #[test]
    fn the_iceberg_notebook_must_end_both_catalogs_with_four_rows_and_snapshots() {
        let api = "PROBE-STATUS token 200\nPROBE-STATUS wrong-token 403\nPROBE-STATUS no-token 403\n\
            PROBE-STATUS wrong-token-kernels 403\n";
        let ok = format!(
            "{api}PROBE-CELL 1 ran\nPROBE-OUT SESSION pyspark.sql.session\nPROBE-CELL 2 ran\n\
             PROBE-OUT LOCAL local: rows=4 snapshots=4 first=1 at-first=2\nPROBE-CELL 3 ran\n\
             PROBE-OUT PG pg: rows=4 snapshots=4 first=2 at-first=2\nPROBE-CELL 4 ran\n\
             PROBE-OUT REST rest: rows=4 snapshots=4 first=3 at-first=2\nPROBE-CELL 5 ran\n\
             PROBE-OUT PYICEBERG pyiceberg via rest: rows=4 snapshots=4\n"
        );
        assert_eq!(
            iceberg_problems(&NotebookRun::parse(&ok)),
            Vec::<String>::new()
        );
        let failed = ok
            .replace(
                "PROBE-CELL 3 ran",
                "PROBE-CELL 3 error AssertionError: pg: now (3, 60)",
            )
            .replace(
                "PROBE-OUT PG pg: rows=4 snapshots=4 first=2 at-first=2\n",
                "",
            );
        assert_eq!(iceberg_problems(&NotebookRun::parse(&failed)).len(), 2);
    }

    #[test]
    fn the_rapids_notebook_must_show_the_shim_the_mode_and_a_gpu_aggregate() {
        let ok = "PROBE-STATUS token 200\nPROBE-STATUS wrong-token 403\nPROBE-STATUS no-token 403\n\
            PROBE-STATUS wrong-token-kernels 403\nPROBE-CELL 1 ran\n\
            PROBE-OUT PLUGINS com.nvidia.spark.SQLPlugin\nPROBE-OUT MODE explainOnly\n\
            PROBE-OUT SPARK 4.1.1\nPROBE-OUT SHIM 4.1.1\nPROBE-CELL 2 ran\nPROBE-OUT GROUPS 10\n\
            PROBE-OUT GROUP3 499980000\nPROBE-OUT ON_GPU HashAggregateExec,ProjectExec\n";
        assert_eq!(
            rapids_problems(&NotebookRun::parse(ok), "4.1.1"),
            Vec::<String>::new()
        );
        let wrong_shim = ok
            .replace("SHIM 4.1.1", "SHIM 4.1.2")
            .replace("ON_GPU HashAggregateExec,", "ON_GPU ");
        assert_eq!(
            rapids_problems(&NotebookRun::parse(&wrong_shim), "4.1.1").len(),
            2
        );
    }

    #[test]
    fn a_complete_local_run_has_no_problems() {
        let run = NotebookRun::parse(CLIENT_LOG);
        assert_eq!(run.problems("lab-1", Expect::Local), Vec::<String>::new());
        assert_eq!(run.value("ARROW"), Some(ARROW));
    }

    #[test]
    fn the_wrong_server_session_or_worker_is_named() {
        let run = NotebookRun::parse(CLIENT_LOG);
        let problems = run.problems("lab-1", Expect::Connect("connect-1"));
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].contains("pyspark.sql.connect.session"));
        assert!(problems[1].contains("the Spark Connect server"));
        assert!(!run.problems("lab-2", Expect::Local).is_empty());
    }

    #[test]
    fn an_accepted_wrong_token_and_a_failed_cell_are_reported() {
        let log = CLIENT_LOG
            .replace("wrong-token 403", "wrong-token 200")
            .replace(
                "PROBE-CELL 2 ran",
                "PROBE-CELL 2 error Py4JJavaError: java.lang.ClassNotFoundException: x",
            );
        let run = NotebookRun::parse(&log);
        assert_eq!(
            run.failed_cell(),
            Some((
                2,
                "error Py4JJavaError: java.lang.ClassNotFoundException: x"
            ))
        );
        let problems = run.problems("lab-1", Expect::Local);
        assert!(
            problems[0].contains("wrong-token answered Some(200)"),
            "{problems:#?}"
        );
        assert!(problems[1].starts_with("cell 2 of the notebook: error Py4JJavaError"));
    }

    #[test]
    fn spark_4_notebooks_get_a_baseline_connect_server() {
        let catalog = images::catalog().images;
        let image = |r: &str| catalog.iter().find(|i| i.reference() == r).unwrap();
        assert_eq!(
            connect_server(&catalog, image("jupyter-4.1.1:gpu")).as_deref(),
            Some("spark-4.1.1:baseline")
        );
        assert_eq!(
            connect_server(&catalog, image("jupyter-3.5.8:baseline")),
            None
        );
        assert_eq!(
            connect_server(&catalog, image("spark-4.1.1:baseline")),
            None
        );
    }
}
