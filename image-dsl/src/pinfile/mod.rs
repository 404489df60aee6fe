//! The pin file (`images/pins.toml`), the one owner of its format: [`PinFile`] is its typed
//! schema, read with serde and `toml::Spanned` so every error names the line of the value it is
//! about (`schema`); its rules are `check`'s, one function each; `codegen` turns a valid file
//! into the `images::pins` constants ([`generate`], which the images crate's build script
//! calls). `cargo xtask images lock` reads the file through the same types and writes what it
//! changes with `toml_edit`, so comments and layout stay.

mod check;
mod codegen;
mod schema;

use std::fmt;
use std::ops::Range;

pub use codegen::generate;
pub use schema::{
    AptPin, ArtifactChecksum, ArtifactPin, ArtifactSource, CrateSource, Debian, GitPin, GoSource,
    Key, Maven, PinFile, PipPin, Section,
};

/// Where the pin file lives, as errors name it.
pub const PIN_FILE: &str = "images/pins.toml";

/// One thing wrong with a pin file, at the line of the value it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinError {
    /// The 1-based line.
    pub line: usize,
    /// The byte range of the value (or key) in the file's text.
    pub span: Range<usize>,
    /// What is wrong, naming the section and key.
    pub message: String,
}

impl PinError {
    /// The error `message` about the bytes `span` of the pin file's `text`.
    pub fn at(text: &str, span: Range<usize>, message: impl fmt::Display) -> PinError {
        let end = span.start.min(text.len());
        let line = text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        PinError {
            line,
            span,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PIN_FILE}:{}: {}", self.line, self.message)
    }
}

impl std::error::Error for PinError {}

impl PinFile {
    /// Reads `text` and checks every rule but the policy's; on failure every error found, in the
    /// file's order.
    pub fn parse(text: &str) -> Result<PinFile, Vec<PinError>> {
        PinFile::parse_with(text, None)
    }

    /// Reads `text` and checks every rule, the RAPIDS and Iceberg pins against `policy` (the
    /// catalog's `policy.toml`) when given; on failure every error found, in the file's order.
    pub fn parse_with(
        text: &str,
        policy: Option<&crate::policy::PolicyFile>,
    ) -> Result<PinFile, Vec<PinError>> {
        let mut errors = Errors {
            text,
            found: Vec::new(),
        };
        let pins = schema::read(text, &mut errors);
        if let Some(pins) = &pins {
            check::all(pins, policy, &mut errors);
        }
        match pins {
            Some(pins) if errors.found.is_empty() => Ok(pins),
            _ => {
                errors.found.sort_by_key(|e| e.span.start);
                Err(errors.found)
            }
        }
    }
}

/// The errors of one pin file as they are found, each placed by its byte span (serde's `Ctxt`).
struct Errors<'t> {
    text: &'t str,
    found: Vec<PinError>,
}

impl Errors<'_> {
    fn at(&mut self, span: Range<usize>, message: impl fmt::Display) {
        self.found.push(PinError::at(self.text, span, message));
    }

    fn is_empty(&self) -> bool {
        self.found.is_empty()
    }
}

/// Rust constant name of a pin key: `pyspark-3.5.7` → `PYSPARK_3_5_7`.
fn pin_ident(key: &str) -> String {
    let mut out: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{ArtifactChecksum, ArtifactSource, PinError, PinFile, pin_ident};

    const SHA: &str = "0000000000000000000000000000000000000000000000000000000000000000";
    const DEBIAN: &str = "[debian]\nsuite = \"bookworm\"\n";

    /// This repository's policy, which the RAPIDS and Iceberg pins are checked against.
    fn policy() -> crate::policy::PolicyFile {
        crate::policy::PolicyFile::parse(
            crate::policy::POLICY_FILE,
            include_str!("../../../images/policy.toml"),
        )
        .expect("the committed policy is valid")
    }

    fn errors(text: &str) -> Vec<PinError> {
        PinFile::parse_with(text, Some(&policy())).expect_err("the pin file should be rejected")
    }

    /// `(line, message)` of each error.
    fn lines(text: &str) -> Vec<(usize, String)> {
        errors(text)
            .into_iter()
            .map(|e| (e.line, e.message))
            .collect()
    }

    #[test]
    fn pin_keys_become_constant_names() {
        assert_eq!(pin_ident("pyspark-3.5.7"), "PYSPARK_3_5_7");
        assert_eq!(pin_ident("tini"), "TINI");
        assert_eq!(
            pin_ident("openjdk-17-jre-headless"),
            "OPENJDK_17_JRE_HEADLESS"
        );
        assert_eq!(pin_ident("rapids-4-spark_2.12"), "RAPIDS_4_SPARK_2_12");
        assert_eq!(
            pin_ident("iceberg-spark-runtime-3.5_2.12"),
            "ICEBERG_SPARK_RUNTIME_3_5_2_12"
        );
        assert_eq!(pin_ident("g++"), "G__");
        assert_eq!(pin_ident("no-such-package"), "NO_SUCH_PACKAGE");
        // A leading digit is not a Rust identifier start.
        assert_eq!(pin_ident("3proxy"), "_3PROXY");
        assert_eq!(pin_ident("2to3"), "_2TO3");
    }

    #[test]
    fn a_valid_file_reads_into_typed_pins_with_their_places() {
        let text = format!(
            "{DEBIAN}[apt]\ntini = \"0.19.0-1+b3\"   # bookworm\n\
             [artifact.\"rapids-4-spark_2.12\"]\nversion = \"25.04.0\"\n\
             maven = \"com.nvidia:rapids-4-spark_2.12:25.04.0:cuda12\"\nsha256 = \"{SHA}\"\n"
        );
        let pins = PinFile::parse(&text).unwrap();
        assert_eq!(pins.debian.suite.get_ref(), "bookworm");
        let tini = &pins.apt.get("tini").unwrap().version;
        assert_eq!(&text[tini.span()], "\"0.19.0-1+b3\"");
        let rapids = pins.artifact.get("rapids-4-spark_2.12").unwrap();
        let ArtifactSource::Maven(maven) = &rapids.source else {
            panic!("{rapids:?}")
        };
        assert_eq!(
            (maven.group.as_str(), maven.classifier.as_str()),
            ("com.nvidia", "cuda12")
        );
        assert!(matches!(&rapids.checksum, ArtifactChecksum::Sha256(h) if h.get_ref() == SHA));
    }

    #[test]
    fn entries_keep_the_files_order_too() {
        let text = format!("{DEBIAN}[apt]\nzsh = \"5.9-4\"\nbash = \"5.2-1\"\n");
        let pins = PinFile::parse(&text).unwrap();
        let sorted: Vec<&str> = pins.apt.iter().map(|(k, _)| k.get_ref().as_str()).collect();
        let filed: Vec<&str> = pins
            .apt
            .in_file_order()
            .into_iter()
            .map(|(k, _)| k.get_ref().as_str())
            .collect();
        assert_eq!((sorted, filed), (vec!["bash", "zsh"], vec!["zsh", "bash"]));
    }

    const H1: &str = "h1:1SnmdehRmL1Z56SuPH8IQUW3D73Q74F3mpGWW0jAb3E=";

    #[test]
    fn programs_built_on_the_host_read_with_their_toolchain_and_binary() {
        let text = format!(
            "{DEBIAN}[artifact.helm]\nversion = \"4.3.2\"\ngo = \"helm.sh/helm/v4@v4.3.2\"\n\
             package = \"cmd/helm\"\ntoolchain = \"go1.27.3\"\nh1 = \"{H1}\"\n\
             [artifact.yq]\nversion = \"4.54.3\"\ngo = \"github.com/mikefarah/yq/v4@v4.54.3\"\n\
             toolchain = \"go1.27.3\"\nh1 = \"{H1}\"\n\
             [artifact.ripgrep]\nversion = \"15.2.0\"\ncrate = \"ripgrep@15.2.0\"\nbin = \"rg\"\n\
             toolchain = \"1.95.0\"\nsha256 = \"{SHA}\"\n"
        );
        let pins = PinFile::parse(&text).unwrap();
        let bin = |key: &str| match &pins.artifact.get(key).unwrap().source {
            ArtifactSource::Go(go) => go.bin_name(),
            ArtifactSource::Crate(c) => c.bin_name(),
            other => panic!("{other:?}"),
        };
        // The package's last element; a module root's, without its major version suffix.
        assert_eq!(
            (bin("helm"), bin("yq"), bin("ripgrep")),
            ("helm".into(), "yq".into(), "rg".into())
        );
        let code = super::generate(&text, None).unwrap();
        assert!(code.contains("Source::Go(GoProgram { module: \"helm.sh/helm/v4\", package: \"cmd/helm\", main: &[], zip: false, ldflags: \"\", toolchain: \"go1.27.3\", bin: \"helm\" })"), "{code}");
        assert!(code.contains("Source::Crate(CrateProgram { name: \"ripgrep\", bin: \"rg\", toolchain: \"1.95.0\", features: &[], default_features: true, lto: None, codegen_units: None })"), "{code}");
        assert!(
            code.contains(&format!("Checksum::GoModule({H1:?})")),
            "{code}"
        );
    }

    #[test]
    fn a_program_needs_an_exact_version_an_exact_toolchain_and_its_kind_of_checksum() {
        let text = format!(
            "{DEBIAN}[artifact.yq]\nversion = \"4.54.3\"\ngo = \"github.com/mikefarah/yq/v4@latest\"\n\
             toolchain = \"go1.27\"\nsha256 = \"{SHA}\"\n\
             [artifact.bat]\nversion = \"0.26.1\"\ncrate = \"bat@0.26.1\"\ntoolchain = \"stable\"\nh1 = \"{H1}\"\n\
             [artifact.k9s]\nversion = \"0.50.16\"\ngo = \"github.com/derailed/k9s@v0.50.16\"\n\
             toolchain = \"go1.27.3\"\nh1 = \"sha256:abc\"\n"
        );
        let e = lines(&text);
        let expected = [
            (
                5,
                "[artifact.\"yq\"] must name the exact version v4.54.3 after `@`, as `version` says",
            ),
            (
                6,
                "[artifact.\"yq\"] toolchain must be exact, `go1.N.P` (not `go1.27`), so every host builds it with the same compiler",
            ),
            (
                7,
                "[artifact.\"yq\"] a Go module is checked by its `h1` (go.sum's hash), not a sha of a file",
            ),
            (
                11,
                "[artifact.\"bat\"] toolchain must be exact, `1.N.P` (not `stable`), so every host builds it with the same compiler",
            ),
            (
                12,
                "[artifact.\"bat\"] a crate is checked by `sha256`, its `.crate` file's (the registry index's `cksum`)",
            ),
            (
                17,
                "[artifact.\"k9s\"] h1 must be the module's go.sum hash, `h1:` and 44 base64 characters (`go mod download -json github.com/derailed/k9s@v0.50.16` prints it as Sum)",
            ),
        ];
        let mut e = e;
        e.sort();
        assert_eq!(e, expected.map(|(l, m)| (l, m.to_owned())));
    }

    #[test]
    fn a_crates_features_and_profile_reach_the_code() {
        let text = format!(
            "{DEBIAN}[artifact.atuin]\nversion = \"18.24.4\"\ncrate = \"atuin@18.24.4\"\n\
             features = [\"client\", \"sync\"]\ndefault-features = false\nlto = \"off\"\n\
             codegen-units = 16\ntoolchain = \"1.95.0\"\nsha256 = \"{SHA}\"\n"
        );
        let code = super::generate(&text, None).unwrap();
        assert!(code.contains("features: &[\"client\", \"sync\"], default_features: false, lto: Some(\"off\"), codegen_units: Some(16) })"), "{code}");
    }

    #[test]
    fn a_crates_options_are_what_cargo_takes_and_only_for_crates() {
        let text = format!(
            "{DEBIAN}[artifact.atuin]\nversion = \"18.24.4\"\ncrate = \"atuin@18.24.4\"\n\
             features = [\"client\", \"a b\", \"client\"]\nlto = \"true\"\n\
             codegen-units = 0\ntoolchain = \"1.95.0\"\nsha256 = \"{SHA}\"\n\
             [artifact.yq]\nversion = \"4.54.3\"\ngo = \"github.com/mikefarah/yq/v4@v4.54.3\"\n\
             lto = \"off\"\ntoolchain = \"go1.27.3\"\nh1 = \"{H1}\"\n"
        );
        let mut e = lines(&text);
        e.sort();
        let expected = [
            (
                6,
                "[artifact.\"atuin\"] `a b` is not a cargo feature name (letters, digits, `-`, `_`, `+`, `.`, and `/` for a dependency's feature)",
            ),
            (6, "[artifact.\"atuin\"] names feature `client` twice"),
            (
                7,
                "[artifact.\"atuin\"] lto must be `off`, `thin` or `fat` (cargo's profile.release.lto), not `true`",
            ),
            (
                8,
                "[artifact.\"atuin\"] codegen-units must be 1 to 256, not 0",
            ),
        ];
        assert_eq!(e[..4], expected.map(|(l, m)| (l, m.to_owned())), "{e:?}");
        assert_eq!(e.len(), 5, "{e:?}");
        assert!(
            e[4].1
                .contains("has `lto`, which only a `crate` source takes"),
            "{e:?}"
        );
    }

    #[test]
    fn a_program_without_a_toolchain_or_with_two_sources_is_refused() {
        let text = format!(
            "{DEBIAN}[artifact.yq]\nversion = \"4.54.3\"\ngo = \"github.com/mikefarah/yq/v4@v4.54.3\"\nh1 = \"{H1}\"\n\
             [artifact.rg]\nversion = \"15.2.0\"\ncrate = \"ripgrep@15.2.0\"\nurl = \"https://x/rg\"\ntoolchain = \"1.95.0\"\nsha256 = \"{SHA}\"\n\
             [artifact.jar]\nversion = \"1\"\nurl = \"https://x/a.jar\"\ntoolchain = \"1.95.0\"\nsha256 = \"{SHA}\"\n"
        );
        let e = lines(&text);
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].1
                .contains("a `go` source needs `toolchain = \"go1.N.P\"`"),
            "{e:?}"
        );
        assert!(
            e[1].1
                .contains("needs exactly one of `url` (http/https), `maven`, `go` or `crate`"),
            "{e:?}"
        );
        assert!(
            e[2].1
                .contains("has `toolchain`, which only a `go` or `crate` source takes"),
            "{e:?}"
        );
    }

    #[test]
    fn a_duplicate_key_names_its_line() {
        let e = errors(&format!("{DEBIAN}[apt]\ntini = \"1\"\ntini = \"2\"\n"));
        assert_eq!(e.len(), 1);
        assert!(e[0].to_string().starts_with("images/pins.toml:5:"), "{e:?}");
        assert!(e[0].message.contains("duplicate"), "{e:?}");
    }

    /// The line comes from the value's span, not from searching the text for the key: here the
    /// key `curl` first appears in a comment and in another entry's table name.
    #[test]
    fn a_malformed_pin_is_reported_at_its_own_line() {
        let text = format!(
            "# curl = \"7.88.1\" was the old pin\n{DEBIAN}\
             [artifact.curl]\nversion = \"8.0\"\nurl = \"https://x/curl.tgz\"\nsha256 = \"{SHA}\"\n\
             [apt]\ntini = \"0.19.0-1+b3\"\ncurl = \"7.*\"\n"
        );
        assert_eq!(
            lines(&text),
            [(
                10,
                "[apt] `curl` needs an exact version, not `7.*` (no `*`, ranges or `latest`; letters, digits and `.+~:-_`)".to_owned()
            )]
        );
    }

    #[test]
    fn an_unknown_field_is_an_error_at_its_line() {
        let text = format!(
            "{DEBIAN}[git.dotfiles]\nrepo = \"https://x/d\"\ncommit = \"{}\"\nbranch = \"main\"\n",
            &SHA[..40]
        );
        let e = lines(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, 6);
        assert!(
            e[0].1.starts_with(
                "[git.\"dotfiles\"] unknown field `branch`, expected `repo` or `commit`"
            ),
            "{e:?}"
        );
    }

    #[test]
    fn an_unknown_section_and_a_missing_field_are_named() {
        let text = format!(
            "{DEBIAN}[npm]\nleft-pad = \"1.3.0\"\n[pip.six]\nversion = \"1.16.0\"\nwheel = \"six.whl\"\nurl = \"https://x/six.whl\"\n"
        );
        let e = lines(&text);
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].0, 3);
        assert!(e[0].1.contains("unknown section [npm]"), "{e:?}");
        assert_eq!(e[1].0, 5, "{e:?}");
        assert!(e[1].1.contains("[pip.six] missing field `sha256`"), "{e:?}");
    }

    #[test]
    fn the_debian_section_is_required_and_names_bookworm() {
        let e = lines("[apt]\ntini = \"0.19.0-1+b3\"\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].1.contains("no [debian] section"), "{e:?}");
        let e = lines("[debian]\nsuite = \"trixie\"\n");
        assert_eq!(e[0].0, 2);
        assert!(e[0].1.contains("suite must be \"bookworm\""), "{e:?}");
    }

    #[test]
    fn two_keys_sharing_a_constant_are_rejected() {
        let e = lines(&format!(
            "{DEBIAN}[apt]\nfoo-bar = \"1\"\nfoo_bar = \"2\"\n"
        ));
        assert_eq!(
            e,
            [(
                5,
                "[apt] `foo_bar` and `foo-bar` both become `FOO_BAR`: rename one".to_owned()
            )]
        );
    }

    #[test]
    fn unpinned_versions_are_rejected_at_their_line() {
        let e = lines(&format!("{DEBIAN}[apt]\ncurl = \"*\"\nwget = \"latest\"\n"));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].0 == 4 && e[0].1.contains("`curl`"), "{e:?}");
        assert!(e[1].0 == 5 && e[1].1.contains("`wget`"), "{e:?}");
    }

    /// The pin file always refused a version outside Debian's alphabet, while the macro's own
    /// rule let `7.88.1$(id)` through inline; both now use `image_dsl_pin_rules::exact_version`
    /// (the macro's side is in image-dsl-macros/core/tests/rules.rs).
    #[test]
    fn a_version_the_macro_once_accepted_is_refused() {
        let e = lines(&format!("{DEBIAN}[apt]\ncurl = \"7.88.1$(id)\"\n"));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].1.contains("needs an exact version, not `7.88.1$(id)`"),
            "{e:?}"
        );
    }

    #[test]
    fn a_missing_requirement_pin_is_named() {
        let text = format!(
            "{DEBIAN}[pip.pandas]\nversion = \"2.2.3\"\nwheel = \"p.whl\"\nurl = \"https://x/p.whl\"\nsha256 = \"{SHA}\"\nrequires = [\"numpy\"]\n"
        );
        assert_eq!(
            lines(&text),
            [(
                8,
                "[pip.pandas] requires `numpy`, which has no [pip.numpy] pin".to_owned()
            )]
        );
    }

    #[test]
    fn artifacts_need_one_source_and_a_checksum_or_a_reason() {
        let e = lines(&format!(
            "{DEBIAN}[artifact.x]\nversion = \"1.0\"\nurl = \"https://x/x.tgz\"\n\
             [artifact.y]\nversion = \"1.0\"\nurl = \"https://x/y.tgz\"\nsha256 = \"abc\"\n\
             [artifact.z]\nversion = \"1.0\"\nurl = \"https://x/z.tgz\"\nmaven = \"g:z:1.0\"\nunverified = \"x\"\n"
        ));
        assert_eq!(
            e,
            [
                (
                    3,
                    "[artifact.\"x\"] needs one of sha256 (64 hex), sha512 (128 hex), h1 (a Go module's go.sum hash) or `unverified = \"why\"`".to_owned()
                ),
                (
                    9,
                    "[artifact.\"y\"] sha256 must be 64 lowercase hex digits".to_owned()
                ),
                (
                    10,
                    "[artifact.\"z\"] needs exactly one of `url` (http/https), `maven`, `go` or `crate`".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn maven_coordinates_name_the_pins_version() {
        let e = lines(&format!(
            "{DEBIAN}[artifact.ojdbc11]\nversion = \"21.11.0.0\"\nmaven = \"com.oracle:ojdbc11:21.9.0.0\"\nunverified = \"x\"\n"
        ));
        assert_eq!(
            e,
            [(
                5,
                "[artifact.\"ojdbc11\"] maven must be group:artifact:21.11.0.0[:classifier]"
                    .to_owned()
            )]
        );
    }

    #[test]
    fn rapids_and_iceberg_pins_must_match_the_policy() {
        let e = lines(
            "[debian]\nsuite = \"bookworm\"\n[artifact.\"rapids-4-spark_2.12\"]\nversion = \"24.02.0\"\n\
             maven = \"com.nvidia:rapids-4-spark_2.12:24.02.0\"\nunverified = \"x\"\n\
             [artifact.\"iceberg-spark-runtime-3.5_2.12\"]\nversion = \"1.4.0\"\n\
             maven = \"org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.4.0\"\nunverified = \"x\"\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].0 == 4 && e[0].1.contains("describes RAPIDS 25.04.0 for Scala 2.12"),
            "{e:?}"
        );
        assert!(
            e[1].0 == 8 && e[1].1.contains("pins Iceberg 1.10.1 for Spark 3.5"),
            "{e:?}"
        );
    }

    #[test]
    fn git_pins_need_a_full_commit() {
        let e = lines(&format!(
            "{DEBIAN}[git.dotfiles]\nrepo = \"https://x/d\"\ncommit = \"main\"\n"
        ));
        assert_eq!(
            e,
            [(
                5,
                "[git.\"dotfiles\"] commit must be a full 40-hex commit id".to_owned()
            )]
        );
    }

    #[test]
    fn not_toml_is_one_error_at_its_line() {
        let e = lines(&format!("{DEBIAN}[apt]\ntini = 0.19.0-1\n"));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, 4, "{e:?}");
    }
}
