//! Which probes an image gets, read from its model: the Spark flavour, the final stage's
//! entrypoint, command and health check, the wheels it installs and whether it is a data-only
//! layer.

use image_dsl::{Base, Image, Step};

/// One kind of test on real containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProbeKind {
    /// Final user, no setuid/setgid files, no CA/proxy/secret leftovers, expected jars, size
    /// within budget.
    Structure,
    /// A PySpark job in local mode: a sum over a range, a pandas/Arrow round trip, a pandas UDF.
    Local,
    /// SparkPi as Scala through `spark-shell -i` in local mode (the images carry no examples jar).
    SparkPi,
    /// The local PySpark job under `--user <random>:0`, as OpenShift runs containers.
    RandomUid,
    /// No jar holds another platform's native library, and each kept one loads on the JVM:
    /// RocksDB through the streaming state store and the KV store, zstd, snappy and lz4 through
    /// Spark's codecs, LevelDB through the KV store where Spark ships it.
    Natives,
    /// Master and two workers on a private network; a job runs tasks on both; the web UIs answer.
    Standalone,
    /// Spark's own smoke test as users of the official images run it: `spark-class` starts a
    /// master and a worker, and `spark-submit --class org.apache.spark.examples.SparkPi` runs the
    /// examples jar from `/opt/spark/examples/jars/` on them; under the image's user and under
    /// `--user spark`.
    Examples,
    /// A cluster with RPC authentication: a client with the secret runs a job, one without it is
    /// refused.
    RpcAuth,
    /// The entrypoint's `executor` mode registers with a live driver and runs its tasks.
    Executor,
    /// A Spark Connect server (`connect` mode) and a Python client in another container.
    Connect,
    /// JupyterLab with a token from the environment (a wrong one gets 403) runs a notebook in its
    /// kernel: a Spark job and pandas UDFs in local mode, and on 4.x also through Spark Connect.
    Notebook,
    /// Spark reads a PostgreSQL table (the catalog's `postgresql:15`) through the bundled driver.
    Jdbc,
    /// pyiceberg creates, writes and reads a table in a local SQL (sqlite) catalog.
    IcebergPython,
    /// A JDBC driver layer on a Spark runtime: each driver loads and reports its version; those
    /// of PostgreSQL, MariaDB and MySQL read a live server's version (the catalog's PostgreSQL
    /// and MariaDB images).
    JdbcDrivers,
    /// Spark SQL on Iceberg against the image's Hadoop catalog, a JDBC catalog in the catalog's
    /// `postgresql:15` and the catalog's Iceberg REST server: create, insert, `MERGE INTO`,
    /// `UPDATE`, a schema change and time travel to an earlier snapshot; then pyiceberg reads the
    /// table through the REST catalog.
    IcebergSql,
    /// No GPU here: the RAPIDS jar, `spark.plugins` and the discovery script are in place.
    GpuConfig,
    /// RAPIDS in `explainOnly` mode, which runs on the CPU: the plugin the image's defaults name
    /// loads with the shim for the image's exact Spark release, a query runs, and the plugin's
    /// plan names the operators that would run on the GPU.
    GpuExplain,
    /// On a host with a GPU and the NVIDIA container runtime: `nvidia-smi`, then a query whose
    /// executed plan runs on the GPU. Reported as skipped, with the reason, on an engine without
    /// that runtime.
    GpuHost,
    /// No GPU here: cudf, cuml and cupy import, every CUDA library they load is in the image,
    /// and cupy reports the missing driver rather than a missing library.
    GpuPython,
    /// The image's own health check turns healthy with its default command.
    Healthcheck,
}

impl ProbeKind {
    /// Every kind, in the order probes run.
    pub const ALL: [ProbeKind; 20] = [
        ProbeKind::Structure,
        ProbeKind::Healthcheck,
        ProbeKind::Local,
        ProbeKind::SparkPi,
        ProbeKind::RandomUid,
        ProbeKind::Natives,
        ProbeKind::Executor,
        ProbeKind::Standalone,
        ProbeKind::Examples,
        ProbeKind::RpcAuth,
        ProbeKind::Connect,
        ProbeKind::Notebook,
        ProbeKind::Jdbc,
        ProbeKind::JdbcDrivers,
        ProbeKind::IcebergSql,
        ProbeKind::IcebergPython,
        ProbeKind::GpuConfig,
        ProbeKind::GpuExplain,
        ProbeKind::GpuHost,
        ProbeKind::GpuPython,
    ];

    /// The name in tables, JSON and filters.
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::Structure => "structure",
            ProbeKind::Local => "local",
            ProbeKind::SparkPi => "spark-pi",
            ProbeKind::RandomUid => "random-uid",
            ProbeKind::Natives => "natives",
            ProbeKind::Standalone => "standalone",
            ProbeKind::Examples => "spark-examples",
            ProbeKind::RpcAuth => "rpc-auth",
            ProbeKind::Executor => "executor",
            ProbeKind::Connect => "connect",
            ProbeKind::Notebook => "notebook",
            ProbeKind::Jdbc => "jdbc",
            ProbeKind::JdbcDrivers => "jdbc-drivers",
            ProbeKind::IcebergPython => "iceberg-python",
            ProbeKind::IcebergSql => "iceberg-sql",
            ProbeKind::GpuConfig => "gpu-config",
            ProbeKind::GpuExplain => "gpu-explain",
            ProbeKind::GpuHost => "gpu-host",
            ProbeKind::GpuPython => "gpu-python",
            ProbeKind::Healthcheck => "healthcheck",
        }
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<ProbeKind> {
        ProbeKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for ProbeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the final stage's command makes of a Spark image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparkRole {
    /// No default command: the entrypoint's modes are the interface (driver, executor, master,
    /// worker, connect): every cluster probe applies.
    Runtime,
    /// Default command `standalone`: a master/worker image, probed as a standalone cluster.
    Standalone,
    /// Another default command (a notebook server): a driver-side image, probed in local mode.
    Interactive,
}

/// The role of a Spark image, from the last `cmd` of its final stage.
pub fn spark_role(image: &Image) -> SparkRole {
    let cmd = image
        .final_stage()
        .steps
        .iter()
        .rev()
        .find_map(|step| match step {
            Step::Cmd(cmd) => Some(cmd),
            _ => None,
        });
    match cmd.map(|c| c.iter().map(String::as_str).collect::<Vec<_>>()) {
        None => SparkRole::Runtime,
        Some(c) if c == ["standalone"] => SparkRole::Standalone,
        Some(_) => SparkRole::Interactive,
    }
}

/// Whether the image is a data-only layer (`from scratch`): nothing in it can run.
pub fn data_only(image: &Image) -> bool {
    matches!(image.final_stage().base, Base::Scratch)
}

/// The probes `image` gets, in run order.
pub fn probes_for(image: &Image) -> Vec<ProbeKind> {
    let mut kinds = vec![ProbeKind::Structure];
    if has_healthcheck(image) {
        kinds.push(ProbeKind::Healthcheck);
    }
    if let Some(flavor) = image.spark {
        match spark_role(image) {
            SparkRole::Runtime => {
                kinds.extend([
                    ProbeKind::Local,
                    ProbeKind::SparkPi,
                    ProbeKind::RandomUid,
                    ProbeKind::Natives,
                    ProbeKind::Executor,
                    ProbeKind::Standalone,
                    ProbeKind::Examples,
                    ProbeKind::RpcAuth,
                ]);
                if flavor.version.major >= 4 {
                    kinds.push(ProbeKind::Connect);
                }
                kinds.push(ProbeKind::Jdbc);
            }
            SparkRole::Standalone => kinds.extend([ProbeKind::Standalone, ProbeKind::RpcAuth]),
            SparkRole::Interactive => {
                kinds.extend([
                    ProbeKind::Local,
                    ProbeKind::SparkPi,
                    ProbeKind::RandomUid,
                    ProbeKind::Natives,
                ]);
            }
        }
        if flavor.iceberg() {
            kinds.push(ProbeKind::IcebergSql);
        }
        if flavor.gpu() {
            kinds.extend([
                ProbeKind::GpuConfig,
                ProbeKind::GpuExplain,
                ProbeKind::GpuHost,
            ]);
        }
        if flavor.notebook {
            kinds.push(ProbeKind::Notebook);
        }
    }
    if jdbc_layer(image) {
        kinds.push(ProbeKind::JdbcDrivers);
    }
    if installs_pyiceberg(image) {
        kinds.push(ProbeKind::IcebergPython);
    }
    // The RAPIDS Python stack (cudf, cuml, cupy) where it is installed: the GPU Spark images run
    // the RAPIDS Accelerator in the JVM and carry the base Python set.
    if image.wheels().iter().any(|w| w.name == "cudf-cu12") {
        kinds.push(ProbeKind::GpuPython);
    }
    kinds.sort_by_key(|k| ProbeKind::ALL.iter().position(|a| a == k));
    kinds
}

fn has_healthcheck(image: &Image) -> bool {
    image
        .final_stage()
        .steps
        .iter()
        .any(|s| matches!(s, Step::Healthcheck(_)))
}

/// A data-only layer of JDBC drivers: its final stage puts jars under `/opt/jdbc`.
fn jdbc_layer(image: &Image) -> bool {
    data_only(image)
        && image.final_stage().steps.iter().any(|s| match s {
            Step::Artifact { dest, .. } => dest.starts_with("/opt/jdbc/"),
            Step::Copy(c) => c.dest.trim_end_matches('/') == "/opt/jdbc",
            _ => false,
        })
}

/// Spark images with Iceberg carry the iceberg Python set; the Python layer installs it itself.
fn installs_pyiceberg(image: &Image) -> bool {
    image.spark.is_some_and(|f| f.iceberg()) || image.wheels().iter().any(|w| w.name == "pyiceberg")
}

/// Where a data-only Python layer's virtual environment comes from: the base of the stage that
/// installs it (a runnable Python image) and the venv path. `None` when the image installs none.
pub fn venv_layer(image: &Image) -> Option<(String, String)> {
    image.stages.iter().find_map(|stage| {
        let venv = stage.steps.iter().find_map(|s| match s {
            Step::Pip { venv, .. } => Some(venv.clone()),
            _ => None,
        })?;
        match &stage.base {
            Base::Image(base) => Some((base.reference(), venv)),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::catalog_image as image;

    fn names(reference: &str) -> Vec<&'static str> {
        probes_for(&image(reference))
            .into_iter()
            .map(ProbeKind::name)
            .collect()
    }

    #[test]
    fn runtime_images_get_every_cluster_probe_and_connect_only_on_4x() {
        let three = names("spark-3.5.7:baseline");
        assert_eq!(
            three,
            [
                "structure",
                "local",
                "spark-pi",
                "random-uid",
                "natives",
                "executor",
                "standalone",
                "spark-examples",
                "rpc-auth",
                "jdbc"
            ]
        );
        let four = names("spark-4.1.1:baseline");
        assert!(four.contains(&"connect"), "{four:?}");
        assert!(!three.contains(&"gpu-config") && !four.contains(&"iceberg-python"));
    }

    #[test]
    fn gpu_and_iceberg_variants_add_their_probes() {
        let gpu = names("spark-4.1.1:gpu");
        for probe in ["gpu-config", "gpu-explain", "gpu-host"] {
            assert!(gpu.contains(&probe), "{probe} missing: {gpu:?}");
        }
        assert!(!gpu.contains(&"iceberg-python") && !gpu.contains(&"iceberg-sql"));
        let both = names("spark-4.1.1:gpu-iceberg");
        assert!(both.contains(&"gpu-explain") && both.contains(&"iceberg-python"));
        assert!(
            both.contains(&"iceberg-sql")
                && names("jupyter-3.5.8:iceberg").contains(&"iceberg-sql")
        );
        assert!(!names("spark-3.5.8:iceberg").contains(&"gpu-explain"));
        assert!(names("jupyter-4.1.1:gpu").contains(&"gpu-explain"));
    }

    #[test]
    fn the_standalone_image_is_probed_as_a_cluster_with_its_health_check() {
        assert_eq!(
            names("spark-standalone:3.5.8"),
            ["structure", "healthcheck", "standalone", "rpc-auth"]
        );
        assert_eq!(
            spark_role(&image("jupyter-3.5.8:baseline")),
            SparkRole::Interactive
        );
    }

    #[test]
    fn layers_and_services_get_what_applies_to_them() {
        assert_eq!(names("spark-core:3.5.7"), ["structure"]);
        assert!(data_only(&image("spark-core:3.5.7")));
        assert_eq!(
            names("python-deps:iceberg"),
            ["structure", "iceberg-python"]
        );
        assert_eq!(names("python-deps:base"), ["structure"]);
        assert_eq!(names("postgresql:15"), ["structure", "healthcheck"]);
        assert_eq!(names("mariadb:10.11"), ["structure", "healthcheck"]);
        assert_eq!(names("jdbc-drivers:maven"), ["structure", "jdbc-drivers"]);
        assert_eq!(names("jdbc-drivers:debian"), ["structure", "jdbc-drivers"]);
        assert_eq!(
            venv_layer(&image("python-deps:iceberg")),
            Some(("python-3.11:jre-17".to_owned(), "/opt/venv".to_owned()))
        );
    }

    #[test]
    fn the_rapids_python_stack_is_checked_where_it_is_installed() {
        assert_eq!(names("python-deps:gpu"), ["structure", "gpu-python"]);
        assert!(!names("spark-4.1.1:gpu").contains(&"gpu-python"));
        assert!(!names("python-deps:iceberg").contains(&"gpu-python"));
    }

    #[test]
    fn notebook_images_run_a_notebook_besides_the_local_probes() {
        assert_eq!(
            names("jupyter-3.5.8:baseline"),
            [
                "structure",
                "local",
                "spark-pi",
                "random-uid",
                "natives",
                "notebook"
            ]
        );
        let gpu = names("jupyter-4.1.1:gpu");
        assert!(
            gpu.contains(&"notebook") && gpu.contains(&"gpu-config"),
            "{gpu:?}"
        );
        assert!(!names("spark-4.1.1:baseline").contains(&"notebook"));
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in ProbeKind::ALL {
            assert_eq!(ProbeKind::from_name(kind.name()), Some(kind));
        }
    }
}
