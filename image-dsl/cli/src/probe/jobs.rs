//! The job scripts probes run inside containers, from `image-dsl/cli/probes/` (compiled in, so the
//! binary needs no checkout at run time).

/// PySpark jobs (`local`, `cluster`, `webui`, `connect`, `jdbc`), each printing `PROBE-OK`; and
/// `standby`, a driver that waits for executors (`images bench --startup`).
pub const JOB_PY: (&str, &str) = ("job.py", include_str!("../../probes/job.py"));

/// SparkPi for `spark-shell -i`, printing `PROBE-PI <estimate>`.
pub const SPARK_PI: (&str, &str) = (
    "spark_pi.scala",
    include_str!("../../probes/spark_pi.scala"),
);

/// The natives check: no foreign natives in the jars, each kept one loaded through Spark,
/// printing `PROBE-OK`.
pub const NATIVES_PY: (&str, &str) = ("natives.py", include_str!("../../probes/natives.py"));

/// The notebook client: the HTTP API's answers, then the notebook run in the server's kernel,
/// printing `PROBE-STATUS`, `PROBE-CELL` and `PROBE-OUT` lines.
pub const NOTEBOOK_PY: (&str, &str) = ("notebook.py", include_str!("../../probes/notebook.py"));

/// The notebook it runs: Spark in the kernel, each cell printing `KEY value` lines.
pub const NOTEBOOK: (&str, &str) = (
    "spark_check.ipynb",
    include_str!("../../probes/spark_check.ipynb"),
);

/// The notebook the GPU Jupyter images' RAPIDS kernel runs: the plugin in `explainOnly` mode.
pub const RAPIDS_NOTEBOOK: (&str, &str) = (
    "rapids_explain.ipynb",
    include_str!("../../probes/rapids_explain.ipynb"),
);

/// The notebook the Iceberg Jupyter images run: `job.py`'s Iceberg SQL checks on the Hadoop and
/// JDBC catalogs, in the server's kernel.
pub const ICEBERG_NOTEBOOK: (&str, &str) = (
    "iceberg_check.ipynb",
    include_str!("../../probes/iceberg_check.ipynb"),
);

/// pyiceberg on a local SQL catalog, printing `PROBE-OK`.
pub const ICEBERG_PY: (&str, &str) = ("iceberg.py", include_str!("../../probes/iceberg.py"));

/// The RAPIDS Python stack without a GPU, printing `PROBE-OK`.
pub const GPU_PY: (&str, &str) = ("gpu_python.py", include_str!("../../probes/gpu_python.py"));

/// The filesystem facts the structure probe checks, one `KEY value` line each.
pub const STRUCTURE_SH: (&str, &str) = ("structure.sh", include_str!("../../probes/structure.sh"));

/// `/probe/<name>`: where a job file is inside the container.
pub fn path(file: (&str, &str)) -> String {
    format!("{}/{}", super::sandbox::PROBE_DIR, file.0)
}
