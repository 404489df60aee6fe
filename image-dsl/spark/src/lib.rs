//! Spark's vocabulary, one definition for the macro, the model and the tools: a release
//! ([`SparkVersion`]), a variant ([`SparkVariant`]), and what upstream supports, as the rules need
//! it at compile time. Each table cites its source; update them together with the pins when a new
//! RAPIDS or Iceberg release changes the answer.

use std::fmt;

/// `major.minor.patch` of a Spark release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SparkVersion {
    /// Major.
    pub major: u16,
    /// Minor.
    pub minor: u16,
    /// Patch.
    pub patch: u16,
}

impl SparkVersion {
    /// Parse `3.5.7`.
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.split('.').map(|p| p.parse::<u16>().ok());
        let v = SparkVersion {
            major: it.next()??,
            minor: it.next()??,
            patch: it.next()??,
        };
        it.next().is_none().then_some(v)
    }

    /// Scala binary version of the official build: 2.12 for 3.x, 2.13 for 4.x.
    pub const fn scala(self) -> &'static str {
        if self.major >= 4 { "2.13" } else { "2.12" }
    }
}

impl fmt::Display for SparkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What a Spark image adds to Spark: nothing, the RAPIDS Accelerator, the Iceberg runtime, or both.
/// Written `variant "gpu-iceberg"` in `image!`; the tag of a runtime image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SparkVariant {
    /// Spark alone.
    Baseline,
    /// With the RAPIDS Accelerator.
    Gpu,
    /// With the Iceberg runtime.
    Iceberg,
    /// With both.
    GpuIceberg,
}

impl SparkVariant {
    /// Every variant, in the order they are written.
    pub const ALL: [SparkVariant; 4] = [
        SparkVariant::Baseline,
        SparkVariant::Gpu,
        SparkVariant::Iceberg,
        SparkVariant::GpuIceberg,
    ];

    /// The variant written `s` (`baseline`, `gpu`, `iceberg`, `gpu-iceberg`), exactly.
    pub fn parse(s: &str) -> Option<SparkVariant> {
        SparkVariant::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// How it is written.
    pub const fn as_str(self) -> &'static str {
        match self {
            SparkVariant::Baseline => "baseline",
            SparkVariant::Gpu => "gpu",
            SparkVariant::Iceberg => "iceberg",
            SparkVariant::GpuIceberg => "gpu-iceberg",
        }
    }

    /// Its Rust name (`GpuIceberg`), for generated code.
    pub const fn rust_name(self) -> &'static str {
        match self {
            SparkVariant::Baseline => "Baseline",
            SparkVariant::Gpu => "Gpu",
            SparkVariant::Iceberg => "Iceberg",
            SparkVariant::GpuIceberg => "GpuIceberg",
        }
    }

    /// Carries the RAPIDS Accelerator.
    pub const fn gpu(self) -> bool {
        matches!(self, SparkVariant::Gpu | SparkVariant::GpuIceberg)
    }

    /// Carries the Iceberg runtime.
    pub const fn iceberg(self) -> bool {
        matches!(self, SparkVariant::Iceberg | SparkVariant::GpuIceberg)
    }
}

impl fmt::Display for SparkVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Spark minors the catalog builds: each has pyspark sdists on PyPI carrying the full jar set.
const SPARK_MINORS: &[(u16, u16)] = &[(3, 5), (4, 1)];

/// The RAPIDS Accelerator for Apache Spark (now "NVIDIA cuDF plugin for Apache Spark", artifacts
/// still `com.nvidia:rapids-4-spark_<scala>`): the release the catalog pins for each Scala line,
/// and the Apache Spark releases it supports.
///
/// A release supports exactly the Spark versions it carries a shim for: the jar holds one
/// `spark<major><minor><patch>/` class tree per supported release (vendor shims such as
/// `spark330db` or `spark332cdh` are not Apache releases and are left out here). `images lock`
/// reads those directories from the pinned jar and fails when this table says otherwise.
///
/// Each release is the newest that Maven Central serves for its Scala line (maven-metadata.xml,
/// 2026-12-04): `_2.12` up to 25.04.0, `_2.13` only 26.08.1. No release there supports Spark
/// 3.5.7 or 3.5.8 on Scala 2.12, the Scala of Spark 3.5's own build; Spark 4.1.0 has no shim in
/// any release ("the 4.1.1 version came out quickly after 4.1.0", NVIDIA/cudf-spark#14056).
pub const RAPIDS: &[Rapids] = &[
    Rapids {
        scala: "2.12",
        release: "25.04.0",
        spark: &[
            "3.2.0", "3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.3.0", "3.3.1", "3.3.2", "3.3.3",
            "3.3.4", "3.4.0", "3.4.1", "3.4.2", "3.4.3", "3.4.4", "3.5.0", "3.5.1", "3.5.2",
            "3.5.3", "3.5.4", "3.5.5",
        ],
    },
    Rapids {
        scala: "2.13",
        release: "26.08.1",
        spark: &[
            "3.5.0", "3.5.1", "3.5.2", "3.5.3", "3.5.4", "3.5.5", "3.5.6", "3.5.7", "3.5.8",
            "3.5.9", "4.0.0", "4.0.1", "4.0.2", "4.0.3", "4.0.4", "4.1.1", "4.1.2", "4.1.3",
            "4.2.0",
        ],
    },
];

/// A RAPIDS release for one Scala line and the Spark releases it supports.
pub struct Rapids {
    /// Scala binary version of its `rapids-4-spark_<scala>` artifact.
    pub scala: &'static str,
    /// Release version (the pin's version must equal it).
    pub release: &'static str,
    /// Supported Apache Spark releases: the shims in the jar.
    pub spark: &'static [&'static str],
}

/// Key (and file name) prefix of the RAPIDS artifacts, `rapids-4-spark_<scala>`: an image that
/// fetches one, or builds on or copies from an image that does, carries the RAPIDS Accelerator.
pub const RAPIDS_ARTIFACT_PREFIX: &str = "rapids-4-spark_";

/// Whether an artifact key (a pin key, or an inline artifact's file name) is a RAPIDS jar.
pub fn is_rapids_artifact(key: &str) -> bool {
    key.starts_with(RAPIDS_ARTIFACT_PREFIX)
}

/// The RAPIDS release pinned for a Scala line.
pub fn rapids_for(scala: &str) -> Option<&'static Rapids> {
    RAPIDS.iter().find(|r| r.scala == scala)
}

/// The Iceberg release the catalog pins for each Spark minor, and why.
///
/// - Spark 3.5 → 1.10.1: Iceberg ships `iceberg-spark-runtime-3.5_2.12` in every 1.x release, and
///   the RAPIDS Accelerator accelerates Iceberg only 1.9.x/1.10.x on Spark 3.5.4–3.5.9
///   (NVIDIA/cudf-spark `iceberg/README.md`), so 1.10.1 serves both iceberg and gpu-iceberg.
/// - Spark 4.1 → 1.11.0: the first release with `iceberg-spark-runtime-4.1_2.13` ("Apache Iceberg
///   publishes the iceberg-spark-runtime-4.1 artifact starting at version 1.11.0", same README;
///   <https://iceberg.apache.org/releases/>).
pub const ICEBERG: &[IcebergLine] = &[
    IcebergLine {
        spark: (3, 5),
        release: "1.10.1",
        scala: "2.12",
        rapids_spark: ("3.5.4", "3.5.9"),
    },
    IcebergLine {
        spark: (4, 1),
        release: "1.11.0",
        scala: "2.13",
        rapids_spark: ("4.1.0", "4.1.99"),
    },
];

/// The Iceberg runtime for one Spark minor.
pub struct IcebergLine {
    /// Spark (major, minor).
    pub spark: (u16, u16),
    /// Iceberg release pinned for it.
    pub release: &'static str,
    /// Scala version of its `iceberg-spark-runtime-<minor>_<scala>` artifact.
    pub scala: &'static str,
    /// Spark releases (inclusive range) on which RAPIDS accelerates this Iceberg release.
    pub rapids_spark: (&'static str, &'static str),
}

/// The Iceberg line pinned for a Spark minor.
pub fn iceberg_for(v: SparkVersion) -> Option<&'static IcebergLine> {
    ICEBERG.iter().find(|l| l.spark == (v.major, v.minor))
}

/// Whether the catalog can build this Spark release at all.
pub fn spark_supported(v: SparkVersion) -> Result<(), String> {
    if SPARK_MINORS.contains(&(v.major, v.minor)) {
        Ok(())
    } else {
        Err(format!(
            "Spark {v} is not a line the catalog builds (3.5.x or 4.1.x)"
        ))
    }
}

/// Whether Spark `v` with RAPIDS (`gpu`) and/or Iceberg is a combination upstream supports;
/// the error says why not and where that is written.
pub fn supported(v: SparkVersion, variant: SparkVariant) -> Result<(), String> {
    let (gpu, iceberg) = (variant.gpu(), variant.iceberg());
    let mut why = Vec::new();
    let version = v.to_string();
    if gpu {
        match rapids_for(v.scala()) {
            None => why.push(format!(
                "no RAPIDS release is pinned for Scala {} (Spark {v}'s Scala)",
                v.scala()
            )),
            Some(r) if !r.spark.contains(&version.as_str()) => why.push(format!(
                "the RAPIDS Accelerator {} for Scala {} has no shim for Spark {v} (it supports {}; see https://nvidia.github.io/cudf-spark/docs/download.html)",
                r.release,
                r.scala,
                r.spark.join(", ")
            )),
            Some(_) => {}
        }
    }
    if iceberg {
        match iceberg_for(v) {
            None => why.push(format!(
                "no Iceberg release with a Spark {}.{} runtime is pinned",
                v.major, v.minor
            )),
            Some(line) if line.scala != v.scala() => why.push(format!(
                "iceberg-spark-runtime-{}.{}_{} does not match Spark {v}'s Scala {}",
                v.major,
                v.minor,
                line.scala,
                v.scala()
            )),
            Some(line) if gpu => {
                let (lo, hi) = line.rapids_spark;
                let in_range = SparkVersion::parse(lo).is_some_and(|lo| lo <= v)
                    && SparkVersion::parse(hi).is_some_and(|hi| v <= hi);
                if !in_range {
                    why.push(format!(
                        "the RAPIDS Accelerator accelerates Iceberg {} only on Spark {lo}..{hi} (NVIDIA/cudf-spark iceberg/README.md)",
                        line.release
                    ));
                }
            }
            Some(_) => {}
        }
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(why.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::SparkVariant;

    #[test]
    fn variants_parse_exactly_what_they_print() {
        for v in SparkVariant::ALL {
            assert_eq!(SparkVariant::parse(v.as_str()), Some(v));
            assert_eq!(SparkVariant::parse(&v.as_str().to_uppercase()), None);
        }
        assert_eq!(SparkVariant::parse("gpu_iceberg"), None);
        let gpu: Vec<SparkVariant> = SparkVariant::ALL.into_iter().filter(|v| v.gpu()).collect();
        assert_eq!(gpu, [SparkVariant::Gpu, SparkVariant::GpuIceberg]);
        let iceberg: Vec<SparkVariant> = SparkVariant::ALL
            .into_iter()
            .filter(|v| v.iceberg())
            .collect();
        assert_eq!(iceberg, [SparkVariant::Iceberg, SparkVariant::GpuIceberg]);
    }
}
