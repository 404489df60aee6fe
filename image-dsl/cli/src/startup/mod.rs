//! The startup bench (`images bench --startup`): how long a built Spark image takes, from
//! `docker run` to the first Python import, to a SparkSession, to a local job's result, from
//! `spark-shell` to a prompt answer, and for an executor to register with a live driver; side by
//! side with the same image with each of its optimizations undone.
//!
//! Policy is data: [`OPTIMIZATIONS`] says what each optimization is, how to tell it is in an image
//! and how to undo it; [`GOALS`] the times the images should meet. The mechanism: [`undo`] makes
//! the undone images, [`timed`] starts containers and timestamps their output on the host,
//! [`measure`] runs the phases, [`report`] turns the times into medians and a table.
//!
//! Every time runs from just before the engine is asked to create the container (where
//! `docker run` starts) to the arrival on the host of the output chunk that holds the phase's
//! marker. Each phase runs `runs` times per column, the columns interleaved within each round so
//! that a change in the machine's load touches them alike; with `warm_up`, one more round runs
//! first and is not counted: the first container of a freshly built image reads its layers from
//! disk, the later ones from the page cache, and the medians describe the warm case.

pub mod measure;
pub mod report;
pub mod timed;
pub mod undo;

use std::time::Duration;

use bollard::Docker;
use image_dsl::Image;

use crate::engine::{BuildOptions, Fix};
use crate::probe::plan::{SparkRole, spark_role};

/// One optimization of the images: what it is, how to tell an image has it, how to undo it.
#[derive(Debug, Clone, Copy)]
pub struct Optimization {
    /// Short name: the undone column is `no <name>`, a derived image `…-no-<name>`.
    pub name: &'static str,
    /// What it does, in the report's words.
    pub what: &'static str,
    /// A shell command that exits 0 in a container of an image that has it.
    pub present: &'static str,
    /// How the image is run without it.
    pub undo: Undo,
}

/// How an optimization is taken out of an image.
#[derive(Debug, Clone, Copy)]
pub enum Undo {
    /// A derived image: `FROM` the image, as root `RUN` this shell command, then the image's user.
    Derived(&'static str),
    /// The image as built, each container run with these environment variables added.
    RunEnv(&'static [(&'static str, &'static str)]),
    /// It changes the image's size, not its startup: listed, not measured.
    SizeOnly,
}

/// The Python layers of the Spark images: the venv, PySpark's sources and CPython's stdlib
/// (what the bytecode entry checks and undoes).
#[cfg(test)]
const PYTHON_DIRS: &str = "/opt/venv /opt/spark/python /usr/lib/python3*";

/// The optimizations the bench undoes, in column order. Adding one is adding an entry. (No AppCDS
/// archive of Spark's classpath: JDK 17 refuses one whose classpath starts with a non-empty
/// directory, and Spark's starts with `$SPARK_CONF_DIR`.)
pub const OPTIMIZATIONS: &[Optimization] = &[
    Optimization {
        name: "bytecode",
        what: "Python bytecode precompiled (`compileall --invalidation-mode unchecked-hash`) in /opt/venv, /opt/spark/python and the stdlib",
        present: "find /opt/venv /opt/spark/python /usr/lib/python3* -name '*.pyc' -print 2>/dev/null | grep -q .",
        undo: Undo::Derived(
            "for d in /opt/venv /opt/spark/python /usr/lib/python3*; do if [ -d \"$d\" ]; then find \"$d\" -depth -name __pycache__ -type d -exec rm -rf {} +; fi; done",
        ),
    },
    Optimization {
        name: "natives",
        what: "foreign-platform native libraries dropped from the jars",
        present: "true",
        undo: Undo::SizeOnly,
    },
];

/// A time an image should start within.
#[derive(Debug, Clone, Copy)]
pub struct Goal {
    /// What is timed, in the report's words.
    pub what: &'static str,
    /// The phase whose median (as built) is judged.
    pub phase: Phase,
    /// The Spark releases it applies to (a pattern with `*`).
    pub spark: &'static str,
    /// The limit.
    pub seconds: f64,
    /// The uid the image must run as for the goal to count, if any.
    pub uid: Option<&'static str>,
}

/// The goals of the startup bench.
pub const GOALS: &[Goal] = &[
    Goal {
        what: "Python import of pyspark, pandas and pyarrow as uid 185",
        phase: Phase::Import,
        spark: "*",
        seconds: 0.8,
        uid: Some("185"),
    },
    Goal {
        what: "local PySpark job on 3.5.x, from `docker run` to its result",
        phase: Phase::Job,
        spark: "3.5.*",
        seconds: 5.5,
        uid: None,
    },
    Goal {
        what: "local PySpark job on 4.1.x, from `docker run` to its result",
        phase: Phase::Job,
        spark: "4.1.*",
        seconds: 7.0,
        uid: None,
    },
];

/// What is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// `python3 -c "import pyspark, pandas, pyarrow"` as the image's user.
    Import,
    /// A local-mode SparkSession (`local[*]`) from Python.
    Session,
    /// The same, then `sc.parallelize(range(1000000)).sum()` (its tasks run in Python workers).
    Job,
    /// `println("…" + (1 + 1))` piped into `spark-shell`, to its answer.
    Shell,
    /// The entrypoint's `executor` mode, to the live driver logging it registered.
    Executor,
}

impl Phase {
    /// Every phase, in run order.
    pub const ALL: [Phase; 5] = [
        Phase::Import,
        Phase::Session,
        Phase::Job,
        Phase::Shell,
        Phase::Executor,
    ];

    /// The phases that run Python only.
    pub const PYTHON: [Phase; 3] = [Phase::Import, Phase::Session, Phase::Job];

    /// Short name, in progress lines and errors.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Import => "python-import",
            Phase::Session => "spark-session",
            Phase::Job => "local-job",
            Phase::Shell => "spark-shell",
            Phase::Executor => "executor",
        }
    }

    /// What the table's row says.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Import => "first Python import (pyspark, pandas, pyarrow)",
            Phase::Session => "SparkSession (local[*])",
            Phase::Job => "local job result (`sc.parallelize(range(1000000)).sum()`)",
            Phase::Shell => "`spark-shell` answers `println`",
            Phase::Executor => "executor registered with a live driver",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The phases `image` gets on an engine with (or without) the NVIDIA runtime, and why others
/// do not run. Runtime images get all; driver-side images (Jupyter) the Python ones; a GPU image
/// without a GPU only the import, since its defaults start the RAPIDS plugin.
pub fn phases_for(image: &Image, gpu_runtime: bool) -> (Vec<Phase>, Option<String>) {
    let Some(flavor) = image.spark else {
        return (vec![], Some("no Spark in the image".to_owned()));
    };
    if flavor.gpu() && !gpu_runtime {
        return (
            vec![Phase::Import],
            Some("Spark phases not run: the image's defaults need a GPU and this engine has no NVIDIA runtime".to_owned()),
        );
    }
    match spark_role(image) {
        SparkRole::Runtime => (Phase::ALL.to_vec(), None),
        SparkRole::Interactive => (
            Phase::PYTHON.to_vec(),
            Some("a driver-side image: the Python phases only".to_owned()),
        ),
        SparkRole::Standalone => (
            vec![],
            Some("a standalone master/worker image: no startup phases".to_owned()),
        ),
    }
}

/// A built image as the engine has it: what the bench runs.
#[derive(Debug, Clone)]
pub struct BuiltImage {
    /// The catalog's `name:tag`.
    pub reference: String,
    /// The engine's tag (the reference, under a test's prefix).
    pub tag: String,
    /// The image ID containers run, taken once: a tag moving during the bench changes nothing.
    pub id: String,
    /// The configured user (`185:0`).
    pub user: String,
    /// The interpreter Spark uses (`PYSPARK_PYTHON`, else `python3`).
    pub python: String,
    /// The entrypoint script (its modes start drivers and executors).
    pub entrypoint: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its Spark release, e.g. `3.5.8`.
    pub spark: Option<String>,
}

impl BuiltImage {
    /// `image` as tagged `tag` in the engine.
    pub async fn inspect(
        docker: &Docker,
        image: &Image,
        tag: &str,
    ) -> Result<BuiltImage, StartupError> {
        let reference = image.reference();
        let inspected = docker
            .inspect_image(tag)
            .await
            .map_err(|_| StartupError::NotBuilt {
                fix: Fix::Build(reference.clone()),
                image: reference.clone(),
            })?;
        let config = inspected.config.unwrap_or_default();
        let env = config.env.unwrap_or_default();
        let python = env
            .iter()
            .find_map(|e| e.strip_prefix("PYSPARK_PYTHON="))
            .filter(|p| !p.is_empty())
            .unwrap_or("python3")
            .to_owned();
        Ok(BuiltImage {
            reference,
            tag: tag.to_owned(),
            id: inspected.id.unwrap_or_else(|| tag.to_owned()),
            user: config.user.unwrap_or_default(),
            python,
            entrypoint: config
                .entrypoint
                .and_then(|e| e.into_iter().next())
                .unwrap_or_else(|| crate::probe::cluster::entrypoint(image)),
            size: inspected.size.unwrap_or(0).max(0) as u64,
            spark: image.spark.map(|f| f.version.to_string()),
        })
    }
}

/// How the bench runs.
#[derive(Debug, Clone)]
pub struct StartupOptions {
    /// Counted runs of each phase per column (`--runs`).
    pub runs: usize,
    /// One uncounted round first.
    pub warm_up: bool,
    /// How derived images are built.
    pub build: BuildOptions,
    /// Whether the engine has the NVIDIA runtime (GPU images run their Spark phases).
    pub gpu_runtime: bool,
}

/// One column of the table: the image as built, or without one optimization.
#[derive(Debug, Clone)]
pub struct Column {
    /// `as built` or `no <optimization>`.
    pub name: String,
    /// The image ID its containers run.
    pub id: String,
    /// Environment added to its containers.
    pub env: Vec<String>,
}

/// One timed run.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// The phase.
    pub phase: Phase,
    /// Index into [`ImageBench::columns`].
    pub column: usize,
    /// From the create request to the marker.
    pub total: Duration,
    /// From the create request to the engine having started the container.
    pub engine: Duration,
    /// What the container measured itself (the import statement, for [`Phase::Import`]).
    pub inside: Option<Duration>,
}

/// The bench of one image.
#[derive(Debug, Clone)]
pub struct ImageBench {
    /// The image.
    pub image: BuiltImage,
    /// Counted runs per phase and column.
    pub runs: usize,
    /// Whether an uncounted round ran first.
    pub warm_up: bool,
    /// The phases timed.
    pub phases: Vec<Phase>,
    /// The columns, `as built` first.
    pub columns: Vec<Column>,
    /// The counted runs.
    pub samples: Vec<Sample>,
    /// What was not measured, and why.
    pub notes: Vec<String>,
}

/// Why the bench of an image stopped.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The image is not in the engine.
    #[error("{image} is not built here; run {fix}")]
    NotBuilt {
        /// The image.
        image: String,
        /// What builds it.
        fix: Fix,
    },
    /// A phase did not reach its marker.
    #[error("{image} ({column}), {phase}: {what}{}", show_log(log))]
    Phase {
        /// The image.
        image: String,
        /// The column (`as built`, `no bytecode`).
        column: String,
        /// The phase.
        phase: Phase,
        /// What happened.
        what: String,
        /// The tail of the relevant container's output.
        log: String,
    },
    /// An undone image could not be made.
    #[error("{image}: undoing {optimization}: {message}")]
    Derive {
        /// The image.
        image: String,
        /// The optimization.
        optimization: &'static str,
        /// What failed.
        message: String,
    },
}

fn show_log(log: &str) -> String {
    if log.trim().is_empty() {
        String::new()
    } else {
        format!("\n  log tail:\n    {}", log.replace('\n', "\n    "))
    }
}

/// Benches `image` (tagged `tag` in the engine): makes the undone images of the optimizations
/// it has, times every phase it gets in every column, and removes what it made.
pub async fn bench(
    docker: &Docker,
    image: &Image,
    tag: &str,
    opts: &StartupOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ImageBench, StartupError> {
    let built = BuiltImage::inspect(docker, image, tag).await?;
    let (phases, why) = phases_for(image, opts.gpu_runtime);
    let mut notes: Vec<String> = why.into_iter().collect();
    let mut columns = vec![Column {
        name: "as built".to_owned(),
        id: built.id.clone(),
        env: vec![],
    }];
    let mut derived = DerivedImages(Vec::new());
    let made = async {
        for optimization in OPTIMIZATIONS {
            if let Undo::SizeOnly = optimization.undo {
                notes.push(format!(
                    "{}: {}: size only, not a startup cost (not measured)",
                    optimization.name, optimization.what
                ));
                continue;
            }
            let has = undo::present(docker, &built.id, optimization)
                .await
                .map_err(|message| StartupError::Derive {
                    image: built.reference.clone(),
                    optimization: optimization.name,
                    message,
                })?;
            if !has {
                notes.push(format!(
                    "{}: not in this image (`{}` fails), nothing to undo",
                    optimization.name, optimization.present
                ));
                continue;
            }
            progress(&format!(
                "{}: undoing {}",
                built.reference, optimization.name
            ));
            let Some(undone) = undo::undo(docker, &built, optimization, &opts.build).await? else {
                continue;
            };
            derived.0.extend(undone.derived.clone());
            notes.push(match optimization.undo {
                Undo::Derived(run) => format!(
                    "no {}: {}, taken out by the derived image `{}` (`RUN {run}`, removed afterwards)",
                    optimization.name,
                    optimization.what,
                    undone.derived.as_deref().unwrap_or_default()
                ),
                _ => format!(
                    "no {}: {}, taken out by running with `{}`",
                    optimization.name,
                    optimization.what,
                    undone.env.join(" ")
                ),
            });
            columns.push(Column {
                name: format!("no {}", optimization.name),
                id: undone.id,
                env: undone.env,
            });
        }
        Ok::<(), StartupError>(())
    }
    .await;
    let result = match made {
        Ok(()) => measure::all(docker, &built, &phases, &columns, opts, progress).await,
        Err(e) => Err(e),
    };
    for reference in std::mem::take(&mut derived.0) {
        undo::remove(docker, &reference).await;
    }
    Ok(ImageBench {
        image: built,
        runs: opts.runs,
        warm_up: opts.warm_up,
        phases,
        columns,
        samples: result?,
        notes,
    })
}

/// Derived images to remove, also when the bench is interrupted (`Drop`).
struct DerivedImages(Vec<String>);

impl Drop for DerivedImages {
    fn drop(&mut self) {
        undo::remove_in_background(std::mem::take(&mut self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::catalog_image as image;

    #[test]
    fn runtime_images_get_every_phase_and_notebooks_the_python_ones() {
        assert_eq!(
            phases_for(&image("spark-3.5.8:baseline"), false).0,
            Phase::ALL
        );
        assert_eq!(
            phases_for(&image("jupyter-3.5.8:baseline"), false).0,
            Phase::PYTHON
        );
        assert_eq!(
            phases_for(&image("spark-4.1.1:gpu"), false).0,
            [Phase::Import]
        );
        assert_eq!(phases_for(&image("spark-4.1.1:gpu"), true).0, Phase::ALL);
        assert!(phases_for(&image("python-deps:base"), false).0.is_empty());
    }

    #[test]
    fn optimization_names_are_unique_and_their_checks_cover_the_python_layers() {
        for (i, a) in OPTIMIZATIONS.iter().enumerate() {
            assert!(
                OPTIMIZATIONS[i + 1..].iter().all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
        }
        let bytecode = &OPTIMIZATIONS[0];
        assert!(bytecode.present.contains(PYTHON_DIRS));
        let Undo::Derived(run) = bytecode.undo else {
            panic!("bytecode is undone by a derived image")
        };
        assert!(
            run.contains(PYTHON_DIRS) && run.contains("__pycache__"),
            "{run}"
        );
    }
}
