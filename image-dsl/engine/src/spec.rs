//! What the engine builds: one [`BuildSpec`] per image, decoupled from the DSL model.
//!
//! The adapter from the model's `Image` fills these in; everything in `engine` works from them
//! alone, so the engine can be tested with small fixture specs.

use serde::{Deserialize, Serialize};

/// Everything needed to build and check one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildSpec {
    /// The reference the built image is tagged with, `name:tag`.
    pub reference: String,
    /// The rendered Dockerfile (deterministic: the same image gives the same text).
    pub dockerfile: String,
    /// Extra files of the build context.
    #[serde(default)]
    pub files: Vec<ContextFile>,
    /// Inputs fetched on the host, verified, and handed to the build through the context.
    #[serde(default)]
    pub artifacts: Vec<ContextArtifact>,
    /// References of catalog images this one builds `FROM` or copies `--from` (built first).
    #[serde(default)]
    pub parents: Vec<String>,
    /// The bootstrapped base this image builds on, e.g. `image-dsl/debian:bookworm-slim`.
    #[serde(default)]
    pub needs_base: Option<String>,
    /// The largest size the built image may have, in bytes.
    pub budget_bytes: u64,
    /// The Debian packages its own apt steps install, at their pinned versions (checked against
    /// Debian's indexes before anything is built).
    #[serde(default)]
    pub apt: Vec<AptPin>,
}

/// A Debian package pinned at an exact version, as an image's apt step installs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AptPin {
    /// The package, e.g. `tini`.
    pub package: String,
    /// The exact version, e.g. `0.19.0-1+b3`.
    pub version: String,
}

impl BuildSpec {
    /// The reference split into repository and tag (`latest` when it has none).
    pub fn repo_and_tag(&self) -> (&str, &str) {
        split_reference(&self.reference)
    }

    /// The file name the build log of this image gets: `<name>_<tag>.log`, `/` turned into `_`.
    pub fn log_file_name(&self) -> String {
        let (repo, tag) = self.repo_and_tag();
        format!("{}_{tag}.log", repo.replace(['/', ':'], "_"))
    }

    /// A spec with only a reference, a Dockerfile and parents: the engine's unit tests' fixture.
    #[cfg(test)]
    pub(crate) fn bare(reference: &str, dockerfile: &str, parents: &[&str]) -> BuildSpec {
        BuildSpec {
            reference: reference.into(),
            dockerfile: dockerfile.into(),
            files: vec![],
            artifacts: vec![],
            parents: parents.iter().map(|p| p.to_string()).collect(),
            needs_base: None,
            budget_bytes: 1,
            apt: vec![],
        }
    }

    /// The file name the SBOM of this image gets: `<name>_<tag>.cdx.json`, named like its log.
    pub fn sbom_file_name(&self) -> String {
        let (repo, tag) = self.repo_and_tag();
        format!("{}_{tag}.cdx.json", repo.replace(['/', ':'], "_"))
    }
}

/// Splits `name:tag` into its repository and tag; a `:` inside a registry host is not a tag.
pub fn split_reference(reference: &str) -> (&str, &str) {
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (reference, "latest"),
    }
}

/// A file placed in the build context as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextFile {
    /// Path inside the context, relative, with `/` separators.
    pub path: String,
    /// The file's bytes.
    pub contents: Vec<u8>,
    /// Unix permission bits, e.g. `0o644` or `0o755`.
    pub mode: u32,
}

/// A host-fetched input placed in the build context at `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextArtifact {
    /// Path inside the context, relative, with `/` separators.
    pub path: String,
    /// Where the artifact comes from and what it must hash to.
    pub source: ArtifactSource,
}

/// A downloadable input pinned by checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactSource {
    /// Human name used in messages, e.g. `pyspark`.
    pub name: String,
    /// The pinned version, for messages and the lock file.
    pub version: String,
    /// Where to fetch it from.
    pub locator: Locator,
    /// What its bytes must hash to.
    pub checksum: Checksum,
}

/// Where an artifact is fetched from; all but [`Locator::Urls`] go through a configurable mirror.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Locator {
    /// Absolute URLs, tried in order.
    Urls(Vec<String>),
    /// A path under the Apache archive mirror, e.g. `spark/spark-3.5.7/spark-3.5.7-bin-hadoop3.tgz`.
    Apache {
        /// Path below the mirror root.
        path: String,
    },
    /// A Maven artifact, under the Maven repository mirror.
    Maven(MavenCoordinates),
    /// A commit of a git repository, fetched on the host (through the git mirror when one is
    /// set) and placed in the context as the commit's tree, like `git archive`. Its checksum is
    /// [`Checksum::GitCommit`].
    Git {
        /// The repository URL, e.g. `https://github.com/ohmyzsh/ohmyzsh`.
        repo: String,
    },
    /// A `.deb` of a Debian suite, below the root of the Debian mirror (the security mirror for
    /// `*-security` suites) that is configured when it is fetched.
    Debian {
        /// The suite whose signed index lists it, e.g. `bookworm-security`.
        suite: String,
        /// Its path below the archive root, e.g. `pool/main/t/tini/tini_0.19.0-1+b3_amd64.deb`.
        path: String,
    },
    /// A file of a PyPI project, found through the simple index of the PyPI mirror.
    Pypi {
        /// The project name, e.g. `pyspark`.
        project: String,
        /// The file name, e.g. `pyspark-3.5.7.tar.gz`.
        filename: String,
    },
    /// A Go program built on the host from a module of the Go module proxy the host's `go`
    /// is set up for. Its checksum is [`Checksum::GoModule`].
    Go(GoBuild),
    /// A Rust crate's binary built on the host with `cargo install --locked`. Its checksum is
    /// the `.crate` file's [`Checksum::Sha256`].
    Crate(CrateBuild),
}

/// How a Go program is built (see [`crate::programs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoBuild {
    /// The module path, e.g. `helm.sh/helm/v4`.
    pub module: String,
    /// The module version, e.g. `v4.3.2`.
    pub version: String,
    /// The main package inside the module, relative (`.`, `cmd/helm`).
    pub package: String,
    /// A main package of the catalog's (`go.mod`, `go.sum`, `main.go` as name and text) that
    /// requires the module, built instead of `package`; empty for none.
    #[serde(default)]
    pub main: Vec<(String, String)>,
    /// The module's zip itself, verified and not built (a Go toolchain module); `bin` is the
    /// file name it gets.
    #[serde(default)]
    pub zip: bool,
    /// Linker flags added to `-s -w`, e.g. `-X main.version=v1.2.3`; empty for none.
    #[serde(default)]
    pub ldflags: String,
    /// The exact Go toolchain, e.g. `go1.27.3`.
    pub toolchain: String,
    /// The binary's name.
    pub bin: String,
}

/// How a crate's binary is built (see [`crate::programs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrateBuild {
    /// The crate, e.g. `ripgrep`.
    pub name: String,
    /// Its exact version.
    pub version: String,
    /// The binary target, e.g. `rg`.
    pub bin: String,
    /// The exact Rust toolchain, e.g. `1.95.0`.
    pub toolchain: String,
    /// Cargo features turned on (`--features`); empty for none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// Whether the crate's default features are on (`false`: `--no-default-features`).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub default_features: bool,
    /// The release profile's LTO (`off`, `thin`, `fat`) replacing the crate's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lto: Option<String>,
    /// The release profile's codegen units replacing the crate's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codegen_units: Option<u32>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

impl ArtifactSource {
    /// What identifies this input in caches and in the content hash: the pinned checksum of a
    /// download, and for a program built on the host its whole recipe (source, checksum,
    /// toolchain, package, binary), so changing any of them rebuilds it and what uses it.
    /// `None` when unverified.
    pub fn key(&self) -> Option<String> {
        let pinned = self.checksum.pinned()?;
        match &self.locator {
            Locator::Go(_) | Locator::Crate(_) => {
                use sha2::Digest as _;
                let recipe = serde_json::to_vec(&(&self.locator, &pinned)).unwrap_or_default();
                let digest = sha2::Sha256::digest(&recipe);
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                Some(format!("program:{hex}"))
            }
            _ => Some(pinned),
        }
    }

    /// Whether it is a program built on the host.
    pub fn is_program(&self) -> bool {
        matches!(self.locator, Locator::Go(_) | Locator::Crate(_))
    }

    /// The mode its file has in a build context: 755 for a built binary, 644 for the rest.
    pub fn context_mode(&self) -> u32 {
        match &self.locator {
            Locator::Go(go) if !go.zip => 0o755,
            Locator::Crate(_) => 0o755,
            _ => 0o644,
        }
    }
}

/// `group:artifact:version[:classifier]@extension`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MavenCoordinates {
    /// e.g. `org.apache.iceberg`.
    pub group: String,
    /// e.g. `iceberg-spark-runtime-3.5_2.12`.
    pub artifact: String,
    /// e.g. `1.10.0`.
    pub version: String,
    /// e.g. `sources`; usually none.
    #[serde(default)]
    pub classifier: Option<String>,
    /// e.g. `jar`.
    pub extension: String,
}

impl MavenCoordinates {
    /// The path of the file below a Maven repository root.
    pub fn repository_path(&self) -> String {
        let classifier = self
            .classifier
            .as_deref()
            .map(|c| format!("-{c}"))
            .unwrap_or_default();
        format!(
            "{group}/{artifact}/{version}/{artifact}-{version}{classifier}.{ext}",
            group = self.group.replace('.', "/"),
            artifact = self.artifact,
            version = self.version,
            ext = self.extension,
        )
    }
}

/// The pinned checksum of an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Checksum {
    /// Lowercase hex SHA-256.
    Sha256(String),
    /// Lowercase hex SHA-512.
    Sha512(String),
    /// A Go module's `h1:` hash, as go.sum and the checksum database hold it.
    GoModule(String),
    /// A full git commit id (40 hex digits): git names a commit by the hash of its tree and
    /// history, so the fetched objects verify against it (`transfer.fsckObjects` on).
    GitCommit(String),
    /// No checksum could be recorded; such an artifact is refused before any build.
    Unverified(String),
}

impl Checksum {
    /// The algorithm and digest as `sha256:<hex>` (`git:<commit>`), or `None` when unverified.
    pub fn pinned(&self) -> Option<String> {
        match self {
            Checksum::Sha256(hex) => Some(format!("sha256:{}", hex.to_ascii_lowercase())),
            Checksum::Sha512(hex) => Some(format!("sha512:{}", hex.to_ascii_lowercase())),
            Checksum::GitCommit(hex) => Some(format!("git:{}", hex.to_ascii_lowercase())),
            Checksum::GoModule(h1) => Some(format!("go:{h1}")),
            Checksum::Unverified(_) => None,
        }
    }
}

/// `spec`'s Dockerfile with every reference to one of its parents (`FROM <parent>`,
/// `COPY --from=<parent>`) under `prefix`, as the engine tags them.
pub fn with_prefixed_parents(spec: &BuildSpec, prefix: &str) -> String {
    if prefix.is_empty() {
        return spec.dockerfile.clone();
    }
    let is_parent = |word: &str| spec.parents.iter().any(|p| p == word);
    let mut out = String::with_capacity(spec.dockerfile.len());
    for line in spec.dockerfile.split_inclusive('\n') {
        let words: Vec<&str> = line.split(' ').collect();
        let instruction = words.first().map(|w| w.trim_end());
        let rewritten: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, word)| {
                let bare = word.trim_end_matches(['\n', '\r']);
                let end = &word[bare.len()..];
                if i == 1 && instruction == Some("FROM") && is_parent(bare) {
                    format!("{prefix}{bare}{end}")
                } else if let Some(from) = bare.strip_prefix("--from=")
                    && instruction == Some("COPY")
                    && is_parent(from)
                {
                    format!("--from={prefix}{from}{end}")
                } else {
                    (*word).to_owned()
                }
            })
            .collect();
        out.push_str(&rewritten.join(" "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_source(build: CrateBuild) -> ArtifactSource {
        ArtifactSource {
            name: "atuin".into(),
            version: "18.24.4".into(),
            locator: Locator::Crate(build),
            checksum: Checksum::Sha256("ab".into()),
        }
    }

    /// A crate's features and profile settings are part of its recipe, and a crate that sets
    /// none keeps the recipe (and the cached binary) it had before they existed.
    #[test]
    fn a_crates_features_and_profile_are_part_of_its_recipe() {
        let plain = CrateBuild {
            name: "atuin".into(),
            version: "18.24.4".into(),
            bin: "atuin".into(),
            toolchain: "1.95.0".into(),
            features: vec![],
            default_features: true,
            lto: None,
            codegen_units: None,
        };
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"name":"atuin","version":"18.24.4","bin":"atuin","toolchain":"1.95.0"}"#
        );
        let key = |b: CrateBuild| crate_source(b).key().unwrap();
        let variants = [
            CrateBuild {
                features: vec!["client".into()],
                ..plain.clone()
            },
            CrateBuild {
                default_features: false,
                ..plain.clone()
            },
            CrateBuild {
                lto: Some("off".into()),
                ..plain.clone()
            },
            CrateBuild {
                codegen_units: Some(16),
                ..plain.clone()
            },
        ];
        let mut keys: Vec<String> = variants.into_iter().map(key).collect();
        keys.push(key(plain));
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 5, "{keys:?}");
    }

    #[test]
    fn references_split_on_the_last_colon_outside_the_host() {
        assert_eq!(split_reference("spark:3.5.7"), ("spark", "3.5.7"));
        assert_eq!(
            split_reference("localhost:5000/spark"),
            ("localhost:5000/spark", "latest")
        );
        assert_eq!(split_reference("a/b"), ("a/b", "latest"));
    }

    #[test]
    fn maven_paths_follow_the_repository_layout() {
        let coords = MavenCoordinates {
            group: "org.apache.iceberg".into(),
            artifact: "iceberg-core".into(),
            version: "1.10.0".into(),
            classifier: None,
            extension: "jar".into(),
        };
        assert_eq!(
            coords.repository_path(),
            "org/apache/iceberg/iceberg-core/1.10.0/iceberg-core-1.10.0.jar"
        );
    }

    #[test]
    fn parents_are_tagged_under_the_prefix_and_nothing_else_is() {
        let spec = BuildSpec {
            reference: "app:1".into(),
            dockerfile: "FROM jars:1 AS jars-1\nFROM base:1\nCOPY --from=jars-1 /a /a\nCOPY --from=tools:2 /t /t\nRUN echo FROM base:1\n".into(),
            files: vec![],
            artifacts: vec![],
            parents: vec!["jars:1".into(), "base:1".into(), "tools:2".into()],
            needs_base: None,
            budget_bytes: 1,
            apt: vec![],
        };
        assert_eq!(
            with_prefixed_parents(&spec, "t/"),
            "FROM t/jars:1 AS jars-1\nFROM t/base:1\nCOPY --from=jars-1 /a /a\nCOPY --from=t/tools:2 /t /t\nRUN echo FROM base:1\n"
        );
        assert_eq!(with_prefixed_parents(&spec, ""), spec.dockerfile);
    }
}
