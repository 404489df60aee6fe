//! Cluster probes on a private bridge network: a standalone cluster (`standalone`), the same with
//! RPC authentication (`rpc-auth`), and an executor started the way Spark's Kubernetes scheduler
//! starts one (`executor`).
//!
//! Daemons start through the image's entrypoint: `master`/`worker` for runtime images,
//! `standalone` with `SPARK_MODE` for the standalone image (its declared interface). Jobs are
//! submitted with `spark-submit` from another container of the same image.

use std::time::Duration;

use image_dsl::{Image, Step};

use super::jobs::{self, JOB_PY};
use super::local::PI_TOLERANCE;
use super::plan::{SparkRole, spark_role};
use super::{ContainerSpec, ProbeContext, ProbeError, ProbeKind, Sandbox, expect_ok, marker};

/// How long a daemon may take to come up.
pub(crate) const DAEMON_LIMIT: Duration = Duration::from_secs(120);

/// How long a submitted job may take.
const JOB_LIMIT: Duration = Duration::from_secs(300);

/// Standalone master RPC port.
pub(crate) const MASTER_PORT: u16 = 7077;

/// The driver's RPC port in the executor probe (its block manager uses the next one).
pub(crate) const DRIVER_PORT: u16 = 7078;

/// What the master logs once it accepts workers and applications.
pub(crate) const MASTER_READY: &str = "I have been elected leader";

/// A master and two workers (1 core each) from the image; a client container checks the master's
/// web UI JSON lists both workers ALIVE and that the master and worker UIs answer, then runs the
/// PySpark job with `spark-submit --total-executor-cores 2`: the job checks its tasks ran on
/// both worker hosts.
pub async fn standalone(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let mut sandbox = Sandbox::for_probe(ctx, &image.reference(), ProbeKind::Standalone);
    let result = async {
        let cluster = Cluster::start(&mut sandbox, image, &[], 2).await?;
        let workers = cluster.workers.join(",");
        let master_ui = format!("http://{}:8080", cluster.master);
        let mut pages = vec![format!("{master_ui}/")];
        pages.extend(cluster.workers.iter().map(|w| format!("http://{w}:8081/")));
        let script = format!(
            "python3 {job} webui {master_ui}/json/ 2 {pages} && \
             spark-submit --master {url} --total-executor-cores 2 --executor-cores 1 \
             --executor-memory 512m {job} cluster {url} {workers}",
            job = jobs::path(JOB_PY),
            pages = pages.join(" "),
            url = cluster.url(),
        );
        let client = ContainerSpec::new("client", &image.reference(), &["sh", "-c", &script])
            .files(&[JOB_PY]);
        let finished = sandbox.run(client, JOB_LIMIT).await?;
        let facts = expect_ok(&sandbox, "the job on the cluster", &finished)?;
        let ui = marker(&finished.log, "WEBUI").unwrap_or_default();
        Ok(format!("{facts}; web UI {ui}"))
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// What SparkPi prints.
const PI_LINE: &str = "Pi is roughly ";

/// `spark-examples`: for the image's user and for `--user spark`, a master and a worker started
/// with `spark-class` (what users of the official images run, bypassing the entrypoint's modes),
/// then `spark-submit --class org.apache.spark.examples.SparkPi` of the examples jar at the
/// official path against them; the estimate must be within [`PI_TOLERANCE`] of pi and the master
/// must have run the application. Each pair of daemons is stopped before the next starts. On a
/// GPU image without a GPU, the job runs with the GPU defaults left out
/// ([`super::WITHOUT_GPU_DEFAULTS`]); the daemons need none.
pub async fn examples(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::Examples);
    let result = async {
        let Some(flavor) = image.spark else {
            return Err(sandbox.failed("the image declares no Spark release", ""));
        };
        let jar = examples_jar(flavor.version.scala(), &flavor.version.to_string());
        let without_gpu = super::without_gpu(ctx, image);
        let submit_without_gpu = format!("{}exec spark-submit \"$@\"", super::WITHOUT_GPU_DEFAULTS);
        sandbox.network().await?;
        let mut facts = Vec::new();
        for user in [None, Some("spark")] {
            let who = user.unwrap_or("default");
            let as_user = |spec: ContainerSpec| match user {
                Some(u) => spec.user(u),
                None => spec,
            };
            let master_name = sandbox.name(&format!("master-{who}"));
            let url = format!("spark://{master_name}:{MASTER_PORT}");
            let master = sandbox
                .start(as_user(ContainerSpec::new(
                    &format!("master-{who}"),
                    &reference,
                    &[
                        "spark-class", "org.apache.spark.deploy.master.Master",
                        "--host", &master_name, "--port", "7077", "--webui-port", "8080",
                    ],
                )))
                .await?;
            sandbox.wait_for_log(&master, MASTER_READY, DAEMON_LIMIT).await?;
            let worker = sandbox
                .start(as_user(ContainerSpec::new(
                    &format!("worker-{who}"),
                    &reference,
                    &[
                        "spark-class", "org.apache.spark.deploy.worker.Worker",
                        "--cores", "2", "--memory", "1g", &url,
                    ],
                )))
                .await?;
            sandbox
                .wait_for_log(&master, "Registering worker", DAEMON_LIMIT)
                .await?;
            let args = [
                "--master", &url, "--executor-memory", "512m",
                "--class", "org.apache.spark.examples.SparkPi", &jar, "10",
            ];
            let command: Vec<&str> = if without_gpu {
                ["sh", "-c", submit_without_gpu.as_str(), "spark-submit"].into_iter().chain(args).collect()
            } else {
                std::iter::once("spark-submit").chain(args).collect()
            };
            let submit = as_user(ContainerSpec::new(&format!("submit-{who}"), &reference, &command));
            let finished = sandbox.run(submit, JOB_LIMIT).await?;
            let estimate = finished
                .log
                .lines()
                .find_map(|l| l.split(PI_LINE).nth(1))
                .and_then(|v| v.trim().parse::<f64>().ok());
            let Some(estimate) =
                estimate.filter(|e| (e - std::f64::consts::PI).abs() <= PI_TOLERANCE)
            else {
                return Err(sandbox.failed(
                    format!(
                        "SparkPi from {jar} as the {who} user exited with {} without a pi estimate within {PI_TOLERANCE}",
                        finished.code
                    ),
                    &finished.log,
                ));
            };
            if finished.code != 0 {
                return Err(sandbox.failed(
                    format!("SparkPi as the {who} user exited with {}", finished.code),
                    &finished.log,
                ));
            }
            let master_log = sandbox.logs(&master).await;
            if !master_log.contains("Registering app Spark Pi") {
                return Err(sandbox.failed(
                    format!("SparkPi as the {who} user printed pi, but the master never ran it"),
                    &master_log,
                ));
            }
            sandbox.kill(&worker).await;
            sandbox.kill(&master).await;
            facts.push(format!("{who} user: pi={estimate}"));
        }
        let gpu = if without_gpu {
            super::GPU_DEFAULTS_LEFT_OUT
        } else {
            ""
        };
        Ok(format!(
            "{jar} on spark-class master+worker{gpu}; {}",
            facts.join(", ")
        ))
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// Where Spark's docs and the official images keep the examples jar.
pub fn examples_jar(scala: &str, version: &str) -> String {
    format!("/opt/spark/examples/jars/spark-examples_{scala}-{version}.jar")
}

/// What Spark's AuthRpcHandler/SaslRpcHandler log when a peer skips the authentication
/// handshake: the evidence that a refused client was refused for want of the secret.
pub const AUTH_REFUSED: [&str; 3] = [
    "Expected SaslMessage",
    "does not have SASL enabled",
    "Expected AuthMessage",
];

/// A master and a worker with `SPARK_RPC_AUTHENTICATION_ENABLED=yes` and a secret: a client
/// with the secret runs the job on the worker (so the cluster works), a client without it is
/// refused by the master (its log shows the failed connection, the job never runs).
pub async fn rpc_auth(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let mut sandbox = Sandbox::for_probe(ctx, &image.reference(), ProbeKind::RpcAuth);
    let secret = format!("probe-{:x}", std::process::id() ^ 0x5eed);
    let result = async {
        let auth = [
            ("SPARK_RPC_AUTHENTICATION_ENABLED", "yes"),
            ("SPARK_RPC_AUTHENTICATION_SECRET", secret.as_str()),
        ];
        let cluster = Cluster::start(&mut sandbox, image, &auth, 1).await?;
        let job = jobs::path(JOB_PY);
        let url = cluster.url();
        let worker = cluster.workers[0].clone();
        let with_secret = ContainerSpec::new(
            "client-with-secret",
            &image.reference(),
            &[
                "spark-submit", "--master", &url, "--conf", "spark.authenticate=true",
                "--conf", &format!("spark.authenticate.secret={secret}"),
                "--executor-memory", "512m", &job, "cluster", &url, &worker,
            ],
        )
        .files(&[JOB_PY]);
        let finished = sandbox.run(with_secret, JOB_LIMIT).await?;
        let facts = expect_ok(&sandbox, "the client with the secret", &finished)?;

        let without = ContainerSpec::new(
            "client-without-secret",
            &image.reference(),
            &["spark-submit", "--master", &url, &job, "cluster", &url, &worker],
        )
        .files(&[JOB_PY]);
        let intruder = sandbox.start(without).await?;
        let log = sandbox
            .wait_for_log(&intruder, "Failed to connect to master", DAEMON_LIMIT)
            .await?;
        sandbox.kill(&intruder).await;
        let log = format!("{log}{}", sandbox.logs(&intruder).await);
        if marker(&log, "OK").is_some() {
            return Err(sandbox.failed("a client without the secret ran its job", &log));
        }
        let master_log = sandbox.logs(&cluster.master).await;
        let Some(seen) = AUTH_REFUSED
            .iter()
            .find(|e| master_log.contains(**e) || log.contains(**e))
        else {
            return Err(sandbox.failed(
                "the client without the secret failed, but no log names authentication as the cause",
                &master_log,
            ));
        };
        Ok(format!("with secret: {facts}; without: refused ({seen})"))
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// The strongest executor test possible without Kubernetes.
///
/// Covers: the entrypoint's `executor` mode exactly as Spark's Kubernetes backend drives it:
/// `SPARK_DRIVER_URL`, `SPARK_EXECUTOR_ID`, `SPARK_EXECUTOR_CORES`, `SPARK_EXECUTOR_MEMORY`,
/// `SPARK_APPLICATION_ID`, `SPARK_RESOURCE_PROFILE_ID`, `SPARK_EXECUTOR_POD_NAME`, the pod IP as
/// `SPARK_EXECUTOR_POD_IP` (set from `hostname -i`, as the downward API would) and the
/// `SPARK_JAVA_OPT_<n>` list the scheduler derives from the driver's conf (the driver job prints
/// it, computed as `BasicExecutorFeatureStep` does). The driver runs through the entrypoint's
/// `driver` mode (`SPARK_DRIVER_BIND_ADDRESS` = its IP) in client mode against a standalone
/// master that has no workers, only so the driver has a coarse-grained scheduler; the master is
/// started with `spark-class` directly, as scaffolding. The executor (KubernetesExecutorBackend)
/// must register with that live driver, run every task of the PySpark job (the task host names
/// are checked), and exit 0 when the driver stops.
///
/// Does not cover: the Kubernetes API (pod creation, watches, the driver's executor-pod
/// allocator), `spark-submit --master k8s://`, ConfigMap-mounted conf, or decommissioning.
pub async fn executor(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::Executor);
    let result = async {
        sandbox.network().await?;
        let entrypoint = entrypoint(image);
        let master = sandbox
            .start(ContainerSpec::new(
                "master",
                &reference,
                &[
                    "spark-class",
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    &sandbox.name("master"),
                    "--port",
                    &MASTER_PORT.to_string(),
                ],
            ))
            .await?;
        sandbox
            .wait_for_log(&master, MASTER_READY, DAEMON_LIMIT)
            .await?;
        let url = format!("spark://{master}:{MASTER_PORT}");
        let (driver_name, executor_name) = (sandbox.name("driver"), sandbox.name("executor"));
        let driver_script = format!(
            "export SPARK_DRIVER_BIND_ADDRESS=\"$(hostname -i)\"; exec {entrypoint} driver \
             --master {url} --conf spark.driver.host={driver_name} \
             --conf spark.driver.port={DRIVER_PORT} \
             --conf spark.blockManager.port={block_manager} {job} cluster {url} {executor_name}",
            job = jobs::path(JOB_PY),
            block_manager = DRIVER_PORT + 1,
        );
        let driver = sandbox
            .start(
                ContainerSpec::new("driver", &reference, &["-c", &driver_script])
                    .entrypoint(&["/bin/sh"])
                    .files(&[JOB_PY]),
            )
            .await?;
        let log = sandbox
            .wait_for_log(&driver, "PROBE-EXECUTOR-JAVA-OPTS", DAEMON_LIMIT)
            .await?;
        let app_id = marker(&log, "APP-ID").unwrap_or_default().to_owned();
        let java_opts: Vec<String> =
            serde_json::from_str(marker(&log, "EXECUTOR-JAVA-OPTS").unwrap_or("[]"))
                .map_err(|e| sandbox.failed(format!("unreadable executor options: {e}"), &log))?;
        let env = executor_env(&driver_name, &executor_name, &app_id, &java_opts);
        let executor_script =
            format!("export SPARK_EXECUTOR_POD_IP=\"$(hostname -i)\"; exec {entrypoint} executor");
        let executor = sandbox
            .start(
                ContainerSpec::new("executor", &reference, &["-c", &executor_script])
                    .entrypoint(&["/bin/sh"])
                    .env(env),
            )
            .await?;
        let code = sandbox
            .wait_exit(&driver, JOB_LIMIT, "the driver to finish")
            .await?;
        let driver_log = sandbox.logs(&driver).await;
        let executor_log = sandbox.logs(&executor).await;
        let facts = expect_ok(
            &sandbox,
            "the driver",
            &super::sandbox::Finished {
                code,
                log: driver_log.clone(),
            },
        )
        .map_err(|e| with_executor_log(e, &executor_log))?;
        if !facts.ends_with(&format!("hosts={executor_name}")) {
            return Err(sandbox.failed(
                format!("tasks did not run (only) on the executor container: {facts}"),
                &driver_log,
            ));
        }
        if !driver_log.contains("Registered executor") || !driver_log.contains("with ID 1") {
            return Err(sandbox.failed(
                "the driver never logged executor 1 registering",
                &driver_log,
            ));
        }
        if !executor_log.contains("Successfully registered with driver") {
            return Err(sandbox.failed(
                "the executor never registered with the driver",
                &executor_log,
            ));
        }
        let code = sandbox
            .wait_exit(
                &executor,
                Duration::from_secs(90),
                "the executor to exit after the driver",
            )
            .await?;
        if code != 0 {
            return Err(sandbox.failed(
                format!("the executor exited with {code} when the driver stopped"),
                &sandbox.logs(&executor).await,
            ));
        }
        Ok(format!("{app_id} executor 1 registered; {facts}"))
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// The environment Spark's Kubernetes scheduler gives executor 1 of `app_id` in pod `pod`
/// (`BasicExecutorFeatureStep`), talking to the driver at `driver`:7078, with the driver's
/// executor JVM options as `SPARK_JAVA_OPT_<n>`. The pod IP is added in the container.
pub fn executor_env(
    driver: &str,
    pod: &str,
    app_id: &str,
    java_opts: &[String],
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        (
            "SPARK_DRIVER_URL",
            format!("spark://CoarseGrainedScheduler@{driver}:{DRIVER_PORT}"),
        ),
        ("SPARK_EXECUTOR_ID", "1".to_owned()),
        ("SPARK_EXECUTOR_CORES", "2".to_owned()),
        ("SPARK_EXECUTOR_MEMORY", "1g".to_owned()),
        ("SPARK_APPLICATION_ID", app_id.to_owned()),
        ("SPARK_RESOURCE_PROFILE_ID", "0".to_owned()),
        ("SPARK_EXECUTOR_POD_NAME", pod.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    env.extend(
        java_opts
            .iter()
            .enumerate()
            .map(|(i, o)| (format!("SPARK_JAVA_OPT_{i}"), o.clone())),
    );
    env
}

fn with_executor_log(error: ProbeError, executor_log: &str) -> ProbeError {
    match error {
        ProbeError::Failed {
            image,
            probe,
            what,
            log,
        } => ProbeError::Failed {
            image,
            probe,
            what,
            log: format!(
                "{log}\n--- executor ---\n{}",
                super::sandbox::tail(executor_log)
            ),
        },
        other => other,
    }
}

/// The image's entrypoint script (the first word of its last `entrypoint`).
pub(crate) fn entrypoint(image: &Image) -> String {
    image
        .final_stage()
        .steps
        .iter()
        .rev()
        .find_map(|s| match s {
            Step::Entrypoint(e) => e.first().cloned(),
            _ => None,
        })
        .unwrap_or_else(|| "/opt/entrypoint.sh".to_owned())
}

/// A running master and its workers.
struct Cluster {
    master: String,
    workers: Vec<String>,
}

impl Cluster {
    fn url(&self) -> String {
        format!("spark://{}:{MASTER_PORT}", self.master)
    }

    /// Starts a master and `workers` workers through the entrypoint with `extra` settings on
    /// each, and waits for the master to lead.
    async fn start(
        sandbox: &mut Sandbox,
        image: &Image,
        extra: &[(&str, &str)],
        workers: usize,
    ) -> Result<Cluster, ProbeError> {
        sandbox.network().await?;
        let reference = image.reference();
        let master_name = sandbox.name("master");
        let url = format!("spark://{master_name}:{MASTER_PORT}");
        let daemon = |role: &str, mode: &str| {
            let (cmd, mode_env) = match spark_role(image) {
                SparkRole::Standalone => ("standalone", Some(("SPARK_MODE", mode.to_owned()))),
                _ => (mode, None),
            };
            let mut env: Vec<(&str, String)> = vec![
                ("SPARK_MASTER_HOST", master_name.clone()),
                ("SPARK_MASTER_URL", url.clone()),
                ("SPARK_WORKER_CORES", "1".to_owned()),
                ("SPARK_WORKER_MEMORY", "1g".to_owned()),
            ];
            env.extend(mode_env);
            env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
            ContainerSpec::new(role, &reference, &[cmd]).env(env)
        };
        let master = sandbox.start(daemon("master", "master")).await?;
        sandbox
            .wait_for_log(&master, MASTER_READY, DAEMON_LIMIT)
            .await?;
        let mut names = Vec::new();
        for i in 1..=workers {
            names.push(
                sandbox
                    .start(daemon(&format!("worker{i}"), "worker"))
                    .await?,
            );
        }
        // The client waits for every worker itself; here, fail early when one cannot start.
        sandbox
            .wait_for_log(&master, "Registering worker", DAEMON_LIMIT)
            .await?;
        for name in &names {
            if !sandbox.running(name).await? {
                let log = sandbox.logs(name).await;
                return Err(sandbox.failed(format!("worker {name} exited"), &log));
            }
        }
        Ok(Cluster {
            master,
            workers: names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executor_gets_what_the_kubernetes_scheduler_would_set() {
        let opts = vec![
            "--add-opens=java.base/java.nio=ALL-UNNAMED".to_owned(),
            "-Dspark.driver.port=7078".to_owned(),
        ];
        let env = executor_env("drv", "exec-1", "app-1", &opts);
        let get = |k: &str| {
            env.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            get("SPARK_DRIVER_URL"),
            Some("spark://CoarseGrainedScheduler@drv:7078")
        );
        assert_eq!(get("SPARK_APPLICATION_ID"), Some("app-1"));
        assert_eq!(get("SPARK_EXECUTOR_POD_NAME"), Some("exec-1"));
        assert_eq!(get("SPARK_JAVA_OPT_0"), Some(opts[0].as_str()));
        assert_eq!(get("SPARK_JAVA_OPT_1"), Some("-Dspark.driver.port=7078"));
        for key in [
            "SPARK_EXECUTOR_ID",
            "SPARK_EXECUTOR_CORES",
            "SPARK_EXECUTOR_MEMORY",
            "SPARK_RESOURCE_PROFILE_ID",
        ] {
            assert!(get(key).is_some(), "{key} missing");
        }
    }
}
