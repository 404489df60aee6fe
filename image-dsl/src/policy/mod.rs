//! The catalog's policy: which Spark lines it builds, the RAPIDS and Iceberg releases it pins and
//! what upstream says they support, and the budget ceiling of each kind of image.
//!
//! Policy is data: it lives in the catalog's `policy.toml`, beside `pins.toml`, whose format
//! [`file`] owns (serde, with spans for errors at a line). A catalog's build script turns it into
//! a [`Policy`] constant, `crate::policy::POLICY` ([`crate::build::catalog_data`]), and `image!`
//! knows nothing of its contents: for each declaration it emits const assertions (the `check_*`
//! functions here, through `image_dsl::__private`) spanned at the token they are about, so a
//! violation is a compile error there that says what the policy allows.
//!
//! The messages are built at compile time with `const_panic`: a const panic prints one `&str`,
//! and a useful message joins the declared release with the policy's lists.

pub mod file;

pub use file::{POLICY_FILE, PolicyFile, generate};

use crate::__private::str_eq;
use const_panic::{FmtArg, concat_panic};
use image_dsl_spark::{SparkVariant, SparkVersion};

/// A catalog's policy as typed constants, generated from its policy file.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The policy file, as messages name it (`images/policy.toml`).
    pub file: &'static str,
    /// Spark lines the catalog builds.
    pub spark_lines: &'static [SparkLine],
    /// Those lines as a message lists them: `3.5.x or 4.1.x`.
    pub spark_lines_text: &'static str,
    /// The RAPIDS release pinned for each Scala line.
    pub rapids: &'static [Rapids],
    /// The Iceberg release pinned for each Spark line.
    pub iceberg: &'static [Iceberg],
    /// The budget ceiling of each kind of image.
    pub ceilings: Ceilings,
}

/// A Spark line: `major.minor`, written `"3.5"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SparkLine {
    /// Major.
    pub major: u16,
    /// Minor.
    pub minor: u16,
}

impl SparkLine {
    /// The line of a release.
    pub const fn of(v: SparkVersion) -> SparkLine {
        SparkLine {
            major: v.major,
            minor: v.minor,
        }
    }

    const fn eq(self, other: SparkLine) -> bool {
        self.major == other.major && self.minor == other.minor
    }
}

/// A RAPIDS Accelerator release for one Scala line and the Spark releases it supports.
#[derive(Debug, Clone, Copy)]
pub struct Rapids {
    /// Scala binary version of its `rapids-4-spark_<scala>` artifact.
    pub scala: &'static str,
    /// Release version (the pin's version must equal it).
    pub release: &'static str,
    /// Supported Apache Spark releases: the shims in the jar.
    pub spark: &'static [SparkVersion],
    /// Those releases as a message lists them: `3.5.0, 3.5.1, …`.
    pub spark_text: &'static str,
    /// Where the list comes from.
    pub source: &'static str,
}

/// The Iceberg runtime pinned for one Spark line.
#[derive(Debug, Clone, Copy)]
pub struct Iceberg {
    /// The Spark line of its `iceberg-spark-runtime-<line>_<scala>` artifact.
    pub spark: SparkLine,
    /// Iceberg release pinned for it.
    pub release: &'static str,
    /// Scala binary version of its artifact.
    pub scala: &'static str,
    /// Spark releases (inclusive) on which RAPIDS accelerates this Iceberg release.
    pub rapids_spark: (SparkVersion, SparkVersion),
    /// Where that range comes from.
    pub source: &'static str,
}

/// The largest budget (exclusive) of each kind of image; `None`: no ceiling.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ceilings {
    /// A `baseline` Spark image.
    pub baseline: Option<Ceiling>,
    /// A `gpu` Spark image.
    pub gpu: Option<Ceiling>,
    /// An `iceberg` Spark image.
    pub iceberg: Option<Ceiling>,
    /// A `gpu-iceberg` Spark image.
    pub gpu_iceberg: Option<Ceiling>,
    /// A notebook image (`notebook;`), whatever its Spark variant.
    pub notebook: Option<Ceiling>,
}

/// A budget ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ceiling {
    /// Bytes a budget must stay under.
    pub bytes: u64,
    /// As the policy file writes it: `1 GB`.
    pub written: &'static str,
}

/// What kind of image a budget ceiling applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// A Spark image of this variant.
    Spark(SparkVariant),
    /// A notebook image.
    Notebook,
}

impl ImageKind {
    /// How a message names it: `a gpu Spark image`.
    pub const fn described(self) -> &'static str {
        match self {
            ImageKind::Spark(SparkVariant::Baseline) => "a baseline Spark image",
            ImageKind::Spark(SparkVariant::Gpu) => "a gpu Spark image",
            ImageKind::Spark(SparkVariant::Iceberg) => "an iceberg Spark image",
            ImageKind::Spark(SparkVariant::GpuIceberg) => "a gpu-iceberg Spark image",
            ImageKind::Notebook => "a notebook image",
        }
    }
}

impl Policy {
    /// Whether the catalog builds Spark `v`'s line.
    pub const fn builds(&self, v: SparkVersion) -> bool {
        let mut i = 0;
        while i < self.spark_lines.len() {
            if self.spark_lines[i].eq(SparkLine::of(v)) {
                return true;
            }
            i += 1;
        }
        false
    }

    /// The RAPIDS release pinned for a Scala line.
    pub const fn rapids_for(&self, scala: &str) -> Option<&'static Rapids> {
        let mut i = 0;
        while i < self.rapids.len() {
            if str_eq(self.rapids[i].scala, scala) {
                return Some(&self.rapids[i]);
            }
            i += 1;
        }
        None
    }

    /// The Iceberg release pinned for Spark `v`'s line.
    pub const fn iceberg_for(&self, v: SparkVersion) -> Option<&'static Iceberg> {
        let mut i = 0;
        while i < self.iceberg.len() {
            if self.iceberg[i].spark.eq(SparkLine::of(v)) {
                return Some(&self.iceberg[i]);
            }
            i += 1;
        }
        None
    }

    /// The budget ceiling of a kind of image, if the policy sets one.
    pub const fn ceiling(&self, kind: ImageKind) -> Option<Ceiling> {
        match kind {
            ImageKind::Spark(SparkVariant::Baseline) => self.ceilings.baseline,
            ImageKind::Spark(SparkVariant::Gpu) => self.ceilings.gpu,
            ImageKind::Spark(SparkVariant::Iceberg) => self.ceilings.iceberg,
            ImageKind::Spark(SparkVariant::GpuIceberg) => self.ceilings.gpu_iceberg,
            ImageKind::Notebook => self.ceilings.notebook,
        }
    }
}

impl Rapids {
    /// Whether this release has a shim for Spark `v`.
    pub const fn supports(&self, v: SparkVersion) -> bool {
        let mut i = 0;
        while i < self.spark.len() {
            if cmp(self.spark[i], v) == 0 {
                return true;
            }
            i += 1;
        }
        false
    }
}

/// `a` before (-1), equal to (0) or after (1) `b`, in const context.
const fn cmp(a: SparkVersion, b: SparkVersion) -> i8 {
    let (a, b) = ([a.major, a.minor, a.patch], [b.major, b.minor, b.patch]);
    let mut i = 0;
    while i < 3 {
        if a[i] < b[i] {
            return -1;
        }
        if a[i] > b[i] {
            return 1;
        }
        i += 1;
    }
    0
}

/// The catalog builds the declared Spark release's line; else a compile-time panic at the
/// version that lists the lines it builds. `written` is the release as declared.
///
/// ```text
/// spark "3.4.4" variant "baseline";   // error: not a line the catalog builds
/// ```
pub const fn check_spark_line(policy: &Policy, v: SparkVersion, written: &str) {
    if !policy.builds(v) {
        concat_panic!(
            FmtArg::DISPLAY; "Spark ", written, " is not a line the catalog builds (",
            policy.spark_lines_text, " in ", policy.file, ")"
        );
    }
}

/// A `gpu` variant's Spark release has a shim in the RAPIDS release pinned for its Scala; else a
/// compile-time panic that lists the releases it supports. `unsupported` starts the message
/// (`Spark 4.1.0 `gpu` is not a supported combination: `). A line the catalog does not build
/// was reported by [`check_spark_line`].
///
/// ```text
/// spark "4.1.0" variant "gpu";   // error: RAPIDS 26.08.1 has no shim for 4.1.0
/// ```
pub const fn check_rapids_shim(policy: &Policy, v: SparkVersion, written: &str, unsupported: &str) {
    if !policy.builds(v) {
        return;
    }
    match policy.rapids_for(v.scala()) {
        None => concat_panic!(
            FmtArg::DISPLAY; unsupported, "no RAPIDS release is pinned for Scala ", v.scala(),
            " (Spark ", written, "'s Scala) in ", policy.file
        ),
        Some(r) if !r.supports(v) => concat_panic!(
            FmtArg::DISPLAY; unsupported, "the RAPIDS Accelerator ", r.release, " for Scala ", r.scala,
            " has no shim for Spark ", written, " (it supports ", r.spark_text, "; see ",
            r.source, ")"
        ),
        Some(_) => {}
    }
}

/// An `iceberg` variant's Spark line has an Iceberg runtime pinned, built for its Scala, and
/// with RAPIDS (`gpu`) the release is one RAPIDS accelerates that Iceberg on; else a
/// compile-time panic that says which. `unsupported` starts the message, as for
/// [`check_rapids_shim`].
///
/// ```text
/// spark "4.0.1" variant "iceberg";   // error: no Iceberg release with a Spark 4.0 runtime
/// ```
pub const fn check_iceberg_runtime(
    policy: &Policy,
    v: SparkVersion,
    gpu: bool,
    written: &str,
    unsupported: &str,
) {
    if !policy.builds(v) {
        return;
    }
    match policy.iceberg_for(v) {
        None => concat_panic!(
            FmtArg::DISPLAY; unsupported, "no Iceberg release with a Spark ", v.major, ".", v.minor,
            " runtime is pinned in ", policy.file
        ),
        Some(line) if !str_eq(line.scala, v.scala()) => concat_panic!(
            FmtArg::DISPLAY; unsupported, "iceberg-spark-runtime-", v.major, ".", v.minor, "_",
            line.scala, " does not match Spark ", written, "'s Scala ", v.scala()
        ),
        Some(line)
            if gpu && (cmp(v, line.rapids_spark.0) < 0 || cmp(v, line.rapids_spark.1) > 0) =>
        {
            let (lo, hi) = line.rapids_spark;
            concat_panic!(
                FmtArg::DISPLAY; unsupported, "the RAPIDS Accelerator accelerates Iceberg ", line.release,
                " only on Spark ", lo.major, ".", lo.minor, ".", lo.patch, "..", hi.major, ".",
                hi.minor, ".", hi.patch, " (", line.source, ")"
            )
        }
        Some(_) => {}
    }
}

/// A budget stays under the ceiling the policy sets for its kind of image; else a compile-time
/// panic at the budget that names the ceiling.
///
/// ```text
/// spark "3.5.7" variant "baseline"; budget 1.5 GB;   // error: over the 1 GB ceiling
/// ```
pub const fn check_budget_ceiling(policy: &Policy, kind: ImageKind, bytes: u64) {
    if let Some(ceiling) = policy.ceiling(kind)
        && bytes >= ceiling.bytes
    {
        concat_panic!(
            FmtArg::DISPLAY; "budget over the ceiling for ", kind.described(), " in ", policy.file,
            ": it must stay under ", ceiling.written
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn v(major: u16, minor: u16, patch: u16) -> SparkVersion {
        SparkVersion {
            major,
            minor,
            patch,
        }
    }

    /// A small policy, in the shape `generate` writes.
    const POLICY: Policy = Policy {
        file: "images/policy.toml",
        spark_lines: &[
            SparkLine { major: 3, minor: 5 },
            SparkLine { major: 4, minor: 1 },
        ],
        spark_lines_text: "3.5.x or 4.1.x",
        rapids: &[Rapids {
            scala: "2.13",
            release: "26.08.1",
            spark: &[v(3, 5, 8), v(4, 1, 1)],
            spark_text: "3.5.8, 4.1.1",
            source: "https://example.org/rapids",
        }],
        iceberg: &[Iceberg {
            spark: SparkLine { major: 4, minor: 1 },
            release: "1.11.0",
            scala: "2.13",
            rapids_spark: (v(4, 1, 1), v(4, 1, 99)),
            source: "iceberg/README.md",
        }],
        ceilings: Ceilings {
            baseline: Some(Ceiling {
                bytes: 1_000_000_000,
                written: "1 GB",
            }),
            gpu: None,
            iceberg: None,
            gpu_iceberg: None,
            notebook: None,
        },
    };

    const UNSUPPORTED: &str = "Spark x is not a supported combination: ";

    #[test]
    fn what_the_policy_allows_passes() {
        check_spark_line(&POLICY, v(4, 1, 1), "4.1.1");
        check_rapids_shim(&POLICY, v(4, 1, 1), "4.1.1", UNSUPPORTED);
        check_iceberg_runtime(&POLICY, v(4, 1, 1), true, "4.1.1", UNSUPPORTED);
        check_budget_ceiling(
            &POLICY,
            ImageKind::Spark(SparkVariant::Baseline),
            999_999_999,
        );
        // No ceiling for a kind the policy leaves out.
        check_budget_ceiling(&POLICY, ImageKind::Notebook, u64::MAX);
        // A line the catalog does not build is reported once, by the line check.
        check_rapids_shim(&POLICY, v(3, 4, 4), "3.4.4", UNSUPPORTED);
    }

    #[test]
    #[should_panic(
        expected = "Spark 3.4.4 is not a line the catalog builds (3.5.x or 4.1.x in images/policy.toml)"
    )]
    fn an_unbuilt_line_names_the_lines() {
        check_spark_line(&POLICY, v(3, 4, 4), "3.4.4");
    }

    #[test]
    #[should_panic(
        expected = "Spark x is not a supported combination: the RAPIDS Accelerator 26.08.1 for Scala 2.13 has no shim for Spark 4.1.0 (it supports 3.5.8, 4.1.1; see https://example.org/rapids)"
    )]
    fn a_missing_shim_lists_the_supported_releases() {
        check_rapids_shim(&POLICY, v(4, 1, 0), "4.1.0", UNSUPPORTED);
    }

    #[test]
    #[should_panic(expected = "no RAPIDS release is pinned for Scala 2.12 (Spark 3.5.8's Scala)")]
    fn no_rapids_for_a_scala_line() {
        check_rapids_shim(&POLICY, v(3, 5, 8), "3.5.8", UNSUPPORTED);
    }

    #[test]
    #[should_panic(expected = "no Iceberg release with a Spark 3.5 runtime is pinned")]
    fn no_iceberg_runtime_for_a_line() {
        check_iceberg_runtime(&POLICY, v(3, 5, 8), false, "3.5.8", UNSUPPORTED);
    }

    #[test]
    #[should_panic(
        expected = "accelerates Iceberg 1.11.0 only on Spark 4.1.1..4.1.99 (iceberg/README.md)"
    )]
    fn rapids_accelerates_iceberg_on_a_range() {
        check_iceberg_runtime(&POLICY, v(4, 1, 0), true, "4.1.0", UNSUPPORTED);
    }

    #[test]
    #[should_panic(expected = "does not match Spark 4.1.1's Scala 2.13")]
    fn an_iceberg_runtime_of_another_scala() {
        const OTHER_SCALA: Policy = Policy {
            iceberg: &[Iceberg {
                scala: "2.12",
                ..POLICY.iceberg[0]
            }],
            ..POLICY
        };
        check_iceberg_runtime(&OTHER_SCALA, v(4, 1, 1), false, "4.1.1", UNSUPPORTED);
    }

    #[test]
    #[should_panic(
        expected = "budget over the ceiling for a baseline Spark image in images/policy.toml: it must stay under 1 GB"
    )]
    fn a_budget_at_the_ceiling_is_over_it() {
        check_budget_ceiling(
            &POLICY,
            ImageKind::Spark(SparkVariant::Baseline),
            1_000_000_000,
        );
    }
}
