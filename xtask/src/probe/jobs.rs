//! The job scripts probes run inside containers, from `xtask/probes/` (compiled in, so the
//! binary needs no checkout at run time).

/// PySpark jobs (`local`, `cluster`, `webui`, `connect`, `jdbc`), each printing `PROBE-OK`.
pub const JOB_PY: (&str, &str) = ("job.py", include_str!("../../probes/job.py"));

/// SparkPi for `spark-shell -i`, printing `PROBE-PI <estimate>`.
pub const SPARK_PI: (&str, &str) = (
    "spark_pi.scala",
    include_str!("../../probes/spark_pi.scala"),
);

/// pyiceberg on a local SQL catalog, printing `PROBE-OK`.
pub const ICEBERG_PY: (&str, &str) = ("iceberg.py", include_str!("../../probes/iceberg.py"));

/// The filesystem facts the structure probe checks, one `KEY value` line each.
pub const STRUCTURE_SH: (&str, &str) = ("structure.sh", include_str!("../../probes/structure.sh"));

/// `/probe/<name>`: where a job file is inside the container.
pub fn path(file: (&str, &str)) -> String {
    format!("{}/{}", super::sandbox::PROBE_DIR, file.0)
}
