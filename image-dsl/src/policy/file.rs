//! The policy file's format (`policy.toml`), and its one owner: the serde schema ([`PolicyFile`],
//! with [`Spanned`] values where an error needs a line), its validation, and the code generation
//! that writes a catalog's `crate::policy::POLICY` ([`super::Policy`]). Build scripts, the pin
//! file's checks and the tools all read the file through [`PolicyFile::parse`].
//!
//! Every section is optional: a catalog without Spark images may have an empty policy file.
//!
//! ```toml
//! [spark]
//! lines = ["3.5", "4.1"]
//!
//! [[rapids]]
//! scala = "2.13"
//! release = "26.08.1"
//! source = "https://nvidia.github.io/cudf-spark/docs/download.html"
//! spark = ["3.5.8", "4.1.1"]
//!
//! [[iceberg]]
//! spark = "4.1"
//! release = "1.11.0"
//! scala = "2.13"
//! rapids-spark = { from = "4.1.0", to = "4.1.99" }
//! source = "NVIDIA/cudf-spark iceberg/README.md"
//!
//! [ceilings]
//! baseline = "1 GB"
//! notebook = "3 GB"
//! ```

use super::SparkLine;
use image_dsl_spark::SparkVersion;
use serde::de::{self, Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use toml::Spanned;

/// Where the catalog's policy file lives, as its errors name it.
pub const POLICY_FILE: &str = "images/policy.toml";

/// A policy file.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// `[spark]`: the lines the catalog builds.
    #[serde(default)]
    pub spark: SparkSection,
    /// `[[rapids]]`: the RAPIDS release pinned for each Scala line.
    #[serde(default)]
    pub rapids: Vec<RapidsRelease>,
    /// `[[iceberg]]`: the Iceberg release pinned for each Spark line.
    #[serde(default)]
    pub iceberg: Vec<IcebergRelease>,
    /// `[ceilings]`: the budget ceiling of each kind of image.
    #[serde(default)]
    pub ceilings: CeilingsSection,
}

/// `[spark]`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparkSection {
    /// `lines = ["3.5", "4.1"]`: the Spark lines the catalog builds.
    #[serde(default)]
    pub lines: Vec<Spanned<SparkLine>>,
}

/// A `[[rapids]]` entry.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RapidsRelease {
    /// Scala binary version of its `rapids-4-spark_<scala>` artifact.
    pub scala: Spanned<String>,
    /// Release version (the pin's version must equal it).
    pub release: String,
    /// Where its list of supported releases comes from (cited in errors).
    pub source: String,
    /// The Apache Spark releases it has a shim for.
    pub spark: Vec<Release>,
}

/// An `[[iceberg]]` entry.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IcebergRelease {
    /// The Spark line of its `iceberg-spark-runtime-<line>_<scala>` artifact.
    pub spark: Spanned<SparkLine>,
    /// Iceberg release pinned for it.
    pub release: String,
    /// Scala binary version of its artifact.
    pub scala: String,
    /// Spark releases (inclusive) on which RAPIDS accelerates this Iceberg release.
    pub rapids_spark: Spanned<ReleaseRange>,
    /// Where that range comes from (cited in errors).
    pub source: String,
}

/// `{ from = "3.5.4", to = "3.5.9" }`, inclusive.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRange {
    /// First release.
    pub from: Release,
    /// Last release.
    pub to: Release,
}

/// `[ceilings]`: the budget every image of a kind must stay under; no entry, no ceiling.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CeilingsSection {
    /// A `baseline` Spark image.
    pub baseline: Option<Size>,
    /// A `gpu` Spark image.
    pub gpu: Option<Size>,
    /// An `iceberg` Spark image.
    pub iceberg: Option<Size>,
    /// A `gpu-iceberg` Spark image.
    pub gpu_iceberg: Option<Size>,
    /// A notebook image, whatever its variant.
    pub notebook: Option<Size>,
}

/// A Spark release, written `"3.5.7"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Release(pub SparkVersion);

/// A size, written as a budget is: `"1 GB"` (MB and GB decimal, MiB and GiB binary).
#[derive(Debug, Clone, PartialEq)]
pub struct Size {
    /// Bytes.
    pub bytes: u64,
    /// As written.
    pub written: String,
}

impl<'de> Deserialize<'de> for SparkLine {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let parsed = text.split_once('.').and_then(|(major, minor)| {
            Some(SparkLine {
                major: major.parse().ok()?,
                minor: minor.parse().ok()?,
            })
        });
        parsed.ok_or_else(|| {
            de::Error::custom(format!(
                "`{text}` is not a Spark line (major.minor, e.g. \"3.5\")"
            ))
        })
    }
}

impl<'de> Deserialize<'de> for Release {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SparkVersion::parse(&text).map(Release).ok_or_else(|| {
            de::Error::custom(format!(
                "`{text}` is not a Spark release (major.minor.patch, e.g. \"3.5.7\")"
            ))
        })
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        size_bytes(&text)
            .map(|bytes| Size {
                bytes,
                written: text.clone(),
            })
            .ok_or_else(|| {
                de::Error::custom(format!(
                    "`{text}` is not a size: a positive number and MB, GB, MiB or GiB, e.g. \"1 GB\""
                ))
            })
    }
}

/// Bytes of `1 GB`, `600 MB`, `1.5 GiB`: the units `budget` takes in `image!`.
fn size_bytes(text: &str) -> Option<u64> {
    let (amount, unit) = text.trim().split_once(' ')?;
    let amount: f64 = amount.parse().ok()?;
    let unit = match unit.trim() {
        "MB" => 1e6,
        "GB" => 1e9,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = (amount * unit).round();
    (bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

impl PolicyFile {
    /// Parse and validate a policy file's text; on failure every error, each starting with
    /// `FILE:LINE:` (`file` is how errors name it, e.g. [`POLICY_FILE`]).
    pub fn parse(file: &str, text: &str) -> Result<PolicyFile, Vec<String>> {
        let at = |offset: usize| format!("{file}:{}", text[..offset].matches('\n').count() + 1);
        let policy: PolicyFile = toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map_or_else(|| format!("{file}:1"), |s| at(s.start));
            vec![format!("{place}: {}", e.message().trim_end())]
        })?;
        let mut errors = Vec::new();
        let mut lines = BTreeMap::new();
        for line in &policy.spark.lines {
            let l = line.get_ref();
            if lines.insert(*l, ()).is_some() {
                errors.push(format!(
                    "{}: Spark line {}.{} is listed twice",
                    at(line.span().start),
                    l.major,
                    l.minor
                ));
            }
        }
        let mut scalas = BTreeMap::new();
        for r in &policy.rapids {
            let scala = r.scala.get_ref();
            if scalas.insert(scala.clone(), ()).is_some() {
                errors.push(format!(
                    "{}: a second [[rapids]] release for Scala {scala}: the catalog pins one per Scala line",
                    at(r.scala.span().start)
                ));
            }
            if r.spark.is_empty() {
                errors.push(format!(
                    "{}: RAPIDS {} for Scala {scala} lists no Spark release: list the shims its jar carries",
                    at(r.scala.span().start),
                    r.release
                ));
            }
        }
        let mut iceberg_lines = BTreeMap::new();
        for i in &policy.iceberg {
            let l = i.spark.get_ref();
            if iceberg_lines.insert(*l, ()).is_some() {
                errors.push(format!(
                    "{}: a second [[iceberg]] release for Spark {}.{}: the catalog pins one per Spark line",
                    at(i.spark.span().start),
                    l.major,
                    l.minor
                ));
            }
            let range = i.rapids_spark.get_ref();
            if range.from > range.to {
                errors.push(format!(
                    "{}: rapids-spark runs from {} to {}, which comes before it",
                    at(i.rapids_spark.span().start),
                    range.from.0,
                    range.to.0
                ));
            }
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }

    /// The RAPIDS release pinned for a Scala line.
    pub fn rapids_for(&self, scala: &str) -> Option<&RapidsRelease> {
        self.rapids.iter().find(|r| r.scala.get_ref() == scala)
    }

    /// The Iceberg release pinned for a Spark line.
    pub fn iceberg_for(&self, line: SparkLine) -> Option<&IcebergRelease> {
        self.iceberg.iter().find(|i| *i.spark.get_ref() == line)
    }

    /// The code of a catalog's `policy` module: `POLICY`, a [`super::Policy`] constant.
    pub fn to_rust(&self, file: &str) -> String {
        let version = |v: SparkVersion| {
            format!(
                "::image_dsl::SparkVersion {{ major: {}, minor: {}, patch: {} }}",
                v.major, v.minor, v.patch
            )
        };
        let line = |l: SparkLine| {
            format!(
                "::image_dsl::policy::SparkLine {{ major: {}, minor: {} }}",
                l.major, l.minor
            )
        };
        let lines: Vec<SparkLine> = self.spark.lines.iter().map(|l| *l.get_ref()).collect();
        let lines_text = match lines
            .iter()
            .map(|l| format!("{}.{}.x", l.major, l.minor))
            .collect::<Vec<_>>()
            .as_slice()
        {
            [] => "none".to_owned(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        };
        let mut code = format!(
            "// Generated by image_dsl::build::catalog_data() from {file}, do not edit.\n\
             /// The catalog's policy, from `{file}`: `image!` checks every declaration against it.\n\
             pub const POLICY: ::image_dsl::policy::Policy = ::image_dsl::policy::Policy {{\n    \
             file: {file:?},\n    spark_lines: &[{}],\n    spark_lines_text: {lines_text:?},\n    rapids: &[\n",
            lines
                .iter()
                .map(|l| line(*l))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for r in &self.rapids {
            let spark: Vec<String> = r.spark.iter().map(|v| version(v.0)).collect();
            let text: Vec<String> = r.spark.iter().map(|v| v.0.to_string()).collect();
            let _ = writeln!(
                code,
                "        ::image_dsl::policy::Rapids {{ scala: {:?}, release: {:?}, spark: &[{}], spark_text: {:?}, source: {:?} }},",
                r.scala.get_ref(),
                r.release,
                spark.join(", "),
                text.join(", "),
                r.source
            );
        }
        code.push_str("    ],\n    iceberg: &[\n");
        for i in &self.iceberg {
            let range = i.rapids_spark.get_ref();
            let _ = writeln!(
                code,
                "        ::image_dsl::policy::Iceberg {{ spark: {}, release: {:?}, scala: {:?}, rapids_spark: ({}, {}), source: {:?} }},",
                line(*i.spark.get_ref()),
                i.release,
                i.scala,
                version(range.from.0),
                version(range.to.0),
                i.source
            );
        }
        let ceiling = |size: &Option<Size>| match size {
            Some(s) => format!(
                "::std::option::Option::Some(::image_dsl::policy::Ceiling {{ bytes: {}, written: {:?} }})",
                s.bytes, s.written
            ),
            None => "::std::option::Option::None".to_owned(),
        };
        let c = &self.ceilings;
        let _ = writeln!(
            code,
            "    ],\n    ceilings: ::image_dsl::policy::Ceilings {{\n        baseline: {},\n        gpu: {},\n        iceberg: {},\n        gpu_iceberg: {},\n        notebook: {},\n    }},\n}};",
            ceiling(&c.baseline),
            ceiling(&c.gpu),
            ceiling(&c.iceberg),
            ceiling(&c.gpu_iceberg),
            ceiling(&c.notebook)
        );
        code
    }
}

/// Validate a policy file's text and generate the catalog's `policy` module; on failure every
/// error, each starting with `FILE:LINE:`.
pub fn generate(file: &str, text: &str) -> Result<String, Vec<String>> {
    PolicyFile::parse(file, text).map(|policy| policy.to_rust(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        PolicyFile::parse(POLICY_FILE, text).expect_err("the policy should be rejected")
    }

    #[test]
    fn an_empty_policy_is_valid_and_allows_no_spark_line() {
        let code = generate(POLICY_FILE, "").expect("valid");
        assert!(code.contains("spark_lines: &[]"), "{code}");
        assert!(code.contains("spark_lines_text: \"none\""), "{code}");
        assert!(
            code.contains("notebook: ::std::option::Option::None"),
            "{code}"
        );
    }

    #[test]
    fn a_valid_policy_generates_typed_constants() {
        let code = generate(
            POLICY_FILE,
            "[spark]\nlines = [\"3.5\", \"4.1\"]\n\
             [[rapids]]\nscala = \"2.13\"\nrelease = \"26.08.1\"\nsource = \"s\"\nspark = [\"3.5.8\", \"4.1.1\"]\n\
             [ceilings]\ngpu-iceberg = \"2 GB\"\nnotebook = \"1.5 GiB\"\n",
        )
        .expect("valid");
        assert!(
            code.contains("spark_lines_text: \"3.5.x or 4.1.x\""),
            "{code}"
        );
        assert!(code.contains("spark_text: \"3.5.8, 4.1.1\""), "{code}");
        assert!(
            code.contains("gpu_iceberg: ::std::option::Option::Some(::image_dsl::policy::Ceiling { bytes: 2000000000, written: \"2 GB\" })"),
            "{code}"
        );
        assert!(code.contains("bytes: 1610612736"), "{code}");
    }

    #[test]
    fn a_malformed_value_names_its_line() {
        let e = errors("[spark]\nlines = [\"3.5\"]\n\n[ceilings]\nbaseline = \"1 KB\"\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("images/policy.toml:5: "), "{e:?}");
        assert!(e[0].contains("`1 KB` is not a size"), "{e:?}");
        let e = errors(
            "[[rapids]]\nscala = \"2.13\"\nrelease = \"1\"\nsource = \"s\"\nspark = [\"4.1\"]\n",
        );
        assert!(e[0].starts_with("images/policy.toml:5: "), "{e:?}");
        assert!(e[0].contains("`4.1` is not a Spark release"), "{e:?}");
    }

    #[test]
    fn unknown_keys_and_syntax_errors_name_their_line() {
        let e = errors("[spark]\nlines = [\"3.5\"]\nline = [\"4.1\"]\n");
        assert!(e[0].starts_with("images/policy.toml:3: "), "{e:?}");
        assert!(e[0].contains("unknown field `line`"), "{e:?}");
        let e = errors("[ceilings]\nbaseline = \"1 GB\nnotebook = \"3 GB\"\n");
        assert!(e[0].starts_with("images/policy.toml:2: "), "{e:?}");
    }

    #[test]
    fn duplicates_and_backward_ranges_name_their_line() {
        let e = errors(
            "[[rapids]]\nscala = \"2.13\"\nrelease = \"1\"\nsource = \"s\"\nspark = [\"4.1.1\"]\n\
             [[rapids]]\nscala = \"2.13\"\nrelease = \"2\"\nsource = \"s\"\nspark = []\n\
             [[iceberg]]\nspark = \"4.1\"\nrelease = \"1.11.0\"\nscala = \"2.13\"\nsource = \"s\"\n\
             rapids-spark = { from = \"4.1.9\", to = \"4.1.0\" }\n",
        );
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].starts_with("images/policy.toml:7: a second [[rapids]]"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with(
                "images/policy.toml:7: RAPIDS 2 for Scala 2.13 lists no Spark release"
            ),
            "{e:?}"
        );
        assert!(
            e[2].starts_with("images/policy.toml:16: rapids-spark runs from 4.1.9 to 4.1.0"),
            "{e:?}"
        );
    }

    #[test]
    fn the_committed_policy_is_todays_tables() {
        let policy = PolicyFile::parse(POLICY_FILE, include_str!("../../../images/policy.toml"))
            .unwrap_or_else(|e| panic!("{e:#?}"));
        let releases: Vec<(&str, &str)> = policy
            .rapids
            .iter()
            .map(|r| (r.scala.get_ref().as_str(), r.release.as_str()))
            .collect();
        assert_eq!(releases, [("2.12", "25.04.0"), ("2.13", "26.08.1")]);
        let iceberg = |major, minor| {
            policy
                .iceberg_for(SparkLine { major, minor })
                .map(|i| (i.release.as_str(), i.scala.as_str()))
        };
        assert_eq!(iceberg(3, 5), Some(("1.10.1", "2.12")));
        assert_eq!(iceberg(4, 1), Some(("1.11.0", "2.13")));
        assert_eq!(iceberg(4, 0), None);
        let bytes = |s: &Option<Size>| s.as_ref().map(|s| s.bytes);
        let c = &policy.ceilings;
        assert_eq!(
            [
                bytes(&c.baseline),
                bytes(&c.gpu),
                bytes(&c.iceberg),
                bytes(&c.gpu_iceberg),
                bytes(&c.notebook)
            ],
            [
                Some(1_000_000_000),
                Some(2_000_000_000),
                Some(2_000_000_000),
                Some(2_000_000_000),
                Some(3_000_000_000)
            ]
        );
    }
}
