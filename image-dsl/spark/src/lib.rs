//! Spark's vocabulary, one definition for the macro, the model and the tools: a release
//! ([`SparkVersion`]), a variant ([`SparkVariant`]) and how RAPIDS artifacts are named. Which
//! releases a catalog builds, and what RAPIDS and Iceberg support of them, is not vocabulary but
//! policy: the catalog's `policy.toml` (`image_dsl::policy`).

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

/// Key (and file name) prefix of the RAPIDS artifacts, `rapids-4-spark_<scala>`: an image that
/// fetches one, or builds on or copies from an image that does, carries the RAPIDS Accelerator.
pub const RAPIDS_ARTIFACT_PREFIX: &str = "rapids-4-spark_";

/// Whether an artifact key (a pin key, or an inline artifact's file name) is a RAPIDS jar.
pub fn is_rapids_artifact(key: &str) -> bool {
    key.starts_with(RAPIDS_ARTIFACT_PREFIX)
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
