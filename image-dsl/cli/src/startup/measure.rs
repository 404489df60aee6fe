//! Running the phases: one container per timed run, through the image's entrypoint as
//! `docker run <image> <command>` would; the executor phase against a driver (and the standalone
//! master it needs for a coarse-grained scheduler) started once for the phase, as the `executor`
//! probe starts them ([`crate::probe::cluster::executor`]).

use std::time::{Duration, Instant};

use bollard::Docker;

use super::timed::{Containers, EngineFailure, Missed, Running};
use super::{BuiltImage, Column, Phase, Sample, StartupError, StartupOptions};
use crate::probe::cluster::{DAEMON_LIMIT, DRIVER_PORT, MASTER_PORT, MASTER_READY, executor_env};
use crate::probe::jobs::{self, JOB_PY};
use crate::probe::sandbox::tail;
use crate::probe::{ContainerSpec, marker};

/// How long one timed run may take before it is a failure.
const RUN_LIMIT: Duration = Duration::from_secs(180);

/// The import phase: the import statement timed inside Python as well.
const IMPORT_PY: &str = "import time\n\
t = time.perf_counter()\n\
import pyspark, pandas, pyarrow\n\
print('BENCH-IMPORTED %.4f' % (time.perf_counter() - t), flush=True)\n";

/// The session phase.
const SESSION_PY: &str = "from pyspark.sql import SparkSession\n\
spark = SparkSession.builder.master('local[*]').getOrCreate()\n\
print('BENCH-SESSION', flush=True)\n";

/// The job phase: a sum whose tasks run in Python workers.
const JOB_PY_SUM: &str = "from pyspark.sql import SparkSession\n\
spark = SparkSession.builder.master('local[*]').getOrCreate()\n\
print('BENCH-RESULT %d' % spark.sparkContext.parallelize(range(1000000)).sum(), flush=True)\n";

/// The shell phase: one line on spark-shell's standard input.
const SHELL_SH: &str =
    "echo 'println(\"BENCH-ANSWER-\" + (1 + 1))' | spark-shell --master 'local[*]'";

/// What each phase's container prints when it is done (the executor's is the driver's log line).
fn marker_of(phase: Phase) -> &'static str {
    match phase {
        Phase::Import => "BENCH-IMPORTED",
        Phase::Session => "BENCH-SESSION",
        Phase::Job => "BENCH-RESULT 499999500000",
        Phase::Shell => "BENCH-ANSWER-2",
        Phase::Executor => "Registered executor",
    }
}

/// Times `phases` of `image` in every column: `runs` counted rounds (after one warm-up round when
/// asked), the columns interleaved in each round.
pub async fn all(
    docker: &Docker,
    image: &BuiltImage,
    phases: &[Phase],
    columns: &[Column],
    opts: &StartupOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Vec<Sample>, StartupError> {
    let warm = usize::from(opts.warm_up);
    let mut samples = Vec::new();
    for &phase in phases {
        let mut containers = Containers::new(docker);
        let result = async {
            let driver = match phase {
                Phase::Executor => Some(Driver::start(&mut containers, image).await?),
                _ => None,
            };
            let mut seq = 0;
            for round in 0..warm + opts.runs.max(1) {
                for (c, column) in columns.iter().enumerate() {
                    seq += 1;
                    let run = Run {
                        image,
                        column,
                        phase,
                        seq,
                    };
                    let mut sample = run.once(&mut containers, driver.as_ref()).await?;
                    sample.column = c;
                    let counted = round >= warm;
                    progress(&format!(
                        "{} {:<14} {:<13} {} {:>6.2} s",
                        image.reference,
                        column.name,
                        phase.name(),
                        if counted {
                            format!("run {}/{}", round + 1 - warm, opts.runs.max(1))
                        } else {
                            "warm-up".to_owned()
                        },
                        sample.total.as_secs_f64()
                    ));
                    if counted {
                        samples.push(sample);
                    }
                }
            }
            Ok::<(), StartupError>(())
        }
        .await;
        containers.cleanup().await;
        result?;
    }
    Ok(samples)
}

/// One timed run of one phase in one column.
struct Run<'a> {
    image: &'a BuiltImage,
    column: &'a Column,
    phase: Phase,
    /// Unique within the phase: names containers and, for executors, their ID.
    seq: usize,
}

impl Run<'_> {
    fn failed(&self, what: impl Into<String>, log: &str) -> StartupError {
        StartupError::Phase {
            image: self.image.reference.clone(),
            column: self.column.name.clone(),
            phase: self.phase,
            what: what.into(),
            log: tail(log),
        }
    }

    fn engine(&self, e: EngineFailure) -> StartupError {
        self.failed(e.to_string(), "")
    }

    /// The container of this run: through the image's entrypoint, in the column's image with
    /// the column's settings.
    fn spec(&self, driver: Option<&Driver>) -> ContainerSpec {
        let role = format!("{}-{}", self.phase.name(), self.seq);
        let (id, python) = (self.column.id.as_str(), self.image.python.as_str());
        let mut spec = match (self.phase, driver) {
            (Phase::Import, _) => ContainerSpec::new(&role, id, &[python, "-c", IMPORT_PY]),
            (Phase::Session, _) => ContainerSpec::new(&role, id, &[python, "-c", SESSION_PY]),
            (Phase::Job, _) => ContainerSpec::new(&role, id, &[python, "-c", JOB_PY_SUM]),
            (Phase::Shell, _) => ContainerSpec::new(&role, id, &["sh", "-c", SHELL_SH]),
            (Phase::Executor, driver) => {
                // The pod IP, as the downward API would set it (see the executor probe).
                let script = format!(
                    "export SPARK_EXECUTOR_POD_IP=\"$(hostname -i)\"; exec {} executor",
                    self.image.entrypoint
                );
                let env = driver.map(|d| d.executor_env(&role, self.executor_id()));
                ContainerSpec::new(&role, id, &["-c", &script])
                    .entrypoint(&["/bin/sh"])
                    .env(env.unwrap_or_default())
            }
        };
        spec.env.extend(self.column.env.iter().cloned());
        spec
    }

    /// Executor IDs of one width, so that `with ID 101` never matches `with ID 1011`.
    fn executor_id(&self) -> String {
        format!("{}", 100 + self.seq)
    }

    /// Starts the container, waits for the marker, removes the container.
    async fn once(
        &self,
        containers: &mut Containers,
        driver: Option<&Driver>,
    ) -> Result<Sample, StartupError> {
        let spec = self.spec(driver);
        let running = containers.start(&spec).await.map_err(|e| self.engine(e))?;
        let deadline = running.requested + RUN_LIMIT;
        let waited = match driver {
            Some(driver) => {
                let registered = format!("with ID {}", self.executor_id());
                tokio::select! {
                    at = driver.running.wait_for(&registered, deadline) => at,
                    // An executor that exits cannot register any more.
                    ended = running.wait_end(deadline) => Err(ended.map_or(Missed::Timeout, |()| Missed::Ended)),
                }
            }
            None => running.wait_for(marker_of(self.phase), deadline).await,
        };
        let result = match waited {
            Ok(at) => Ok(Sample {
                phase: self.phase,
                column: 0,
                total: at - running.requested,
                engine: running.started - running.requested,
                inside: inside(self.phase, &running.output()),
            }),
            Err(missed) => Err(self.missed(missed, containers, &running, driver).await),
        };
        containers.remove(&running.name).await;
        result
    }

    async fn missed(
        &self,
        missed: Missed,
        containers: &Containers,
        running: &Running,
        driver: Option<&Driver>,
    ) -> StartupError {
        let what = match driver {
            Some(_) => format!(
                "the driver never logged executor {} registering",
                self.executor_id()
            ),
            None => format!("no `{}`", marker_of(self.phase)),
        };
        let mut log = running.output();
        if let Some(driver) = driver {
            log = format!("{log}\n--- driver ---\n{}", tail(&driver.running.output()));
        }
        match missed {
            Missed::Timeout => {
                self.failed(format!("{what} within {} s", RUN_LIMIT.as_secs()), &log)
            }
            Missed::Ended => {
                let code = containers.exit_code(&running.name).await.unwrap_or(-1);
                self.failed(format!("{what}: {} exited with {code}", running.name), &log)
            }
        }
    }
}

/// The time the container measured itself: the import statement's, for the import phase.
fn inside(phase: Phase, output: &str) -> Option<Duration> {
    if phase != Phase::Import {
        return None;
    }
    let seconds = output
        .lines()
        .find_map(|l| l.trim().strip_prefix("BENCH-IMPORTED "))?
        .trim()
        .parse::<f64>()
        .ok()?;
    Duration::try_from_secs_f64(seconds).ok()
}

/// A driver in client mode against a standalone master without workers, waiting for executors
/// (`job.py standby`): the image as built runs both, whatever the column.
struct Driver {
    /// Kept, so its output keeps being drained; removed with the phase's containers.
    _master: Running,
    running: Running,
    name: String,
    app_id: String,
    java_opts: Vec<String>,
}

impl Driver {
    async fn start(
        containers: &mut Containers,
        image: &BuiltImage,
    ) -> Result<Driver, StartupError> {
        let failed = |what: String, log: &str| StartupError::Phase {
            image: image.reference.clone(),
            column: "driver".to_owned(),
            phase: Phase::Executor,
            what,
            log: tail(log),
        };
        let engine = |e: EngineFailure| failed(e.to_string(), "");
        containers.network().await.map_err(engine)?;
        let master_name = containers.name("master");
        let master_spec = ContainerSpec::new(
            "master",
            &image.id,
            &[
                "spark-class",
                "org.apache.spark.deploy.master.Master",
                "--host",
                &master_name,
                "--port",
                &MASTER_PORT.to_string(),
            ],
        );
        let master = containers.start(&master_spec).await.map_err(engine)?;
        if master
            .wait_for(MASTER_READY, Instant::now() + DAEMON_LIMIT)
            .await
            .is_err()
        {
            return Err(failed(
                format!("the master never printed `{MASTER_READY}`"),
                &master.output(),
            ));
        }
        let url = format!("spark://{master_name}:{MASTER_PORT}");
        let name = containers.name("driver");
        let script = format!(
            "export SPARK_DRIVER_BIND_ADDRESS=\"$(hostname -i)\"; exec {entrypoint} driver \
             --master {url} --conf spark.driver.host={name} \
             --conf spark.driver.port={DRIVER_PORT} \
             --conf spark.blockManager.port={block_manager} {job} standby {url}",
            entrypoint = image.entrypoint,
            job = jobs::path(JOB_PY),
            block_manager = DRIVER_PORT + 1,
        );
        let spec = ContainerSpec::new("driver", &image.id, &["-c", &script])
            .entrypoint(&["/bin/sh"])
            .files(&[JOB_PY]);
        let running = containers.start(&spec).await.map_err(engine)?;
        if running
            .wait_for("PROBE-READY", Instant::now() + DAEMON_LIMIT)
            .await
            .is_err()
        {
            return Err(failed(
                "the driver never printed `PROBE-READY`".to_owned(),
                &running.output(),
            ));
        }
        let log = running.output();
        let app_id = marker(&log, "APP-ID").unwrap_or_default().to_owned();
        let java_opts: Vec<String> =
            serde_json::from_str(marker(&log, "EXECUTOR-JAVA-OPTS").unwrap_or("[]"))
                .map_err(|e| failed(format!("unreadable executor options: {e}"), &log))?;
        Ok(Driver {
            _master: master,
            running,
            name,
            app_id,
            java_opts,
        })
    }

    /// What Spark's Kubernetes scheduler would give executor `id` in pod `pod`.
    fn executor_env(&self, pod: &str, id: String) -> Vec<(String, String)> {
        let mut env = executor_env(&self.name, pod, &self.app_id, &self.java_opts);
        for (key, value) in &mut env {
            if key == "SPARK_EXECUTOR_ID" {
                *value = id.clone();
            }
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_time_is_read_from_the_marker_line() {
        let out = "Picked up JAVA_TOOL_OPTIONS\nBENCH-IMPORTED 0.4321\n";
        assert_eq!(
            inside(Phase::Import, out),
            Some(Duration::from_secs_f64(0.4321))
        );
        assert_eq!(inside(Phase::Session, out), None);
        assert_eq!(inside(Phase::Import, "nothing"), None);
    }

    #[test]
    fn the_shell_line_does_not_contain_its_own_answer() {
        // spark-shell may echo its input: the marker must appear only in the answer.
        assert!(!SHELL_SH.contains(marker_of(Phase::Shell)));
        assert!(!JOB_PY_SUM.contains(marker_of(Phase::Job)));
    }
}
