//! Pinned inputs: the typed form of `images/pins.toml`, generated into `images::pins` by build.rs.
//!
//! A pin names one exact thing: a Debian package version, a wheel with its hash, a downloaded
//! artifact with its checksum, a git commit. Nothing here resolves anything; `cargo xtask images
//! lock` refreshes the file these values come from.

use std::fmt;

/// One Debian package at one exact version (`apt-get install name=version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AptPin {
    /// Debian package name, e.g. `openjdk-17-jre-headless`.
    pub package: &'static str,
    /// Exact Debian version, e.g. `17.0.17+10-1~deb12u1`.
    pub version: &'static str,
}

/// One Python distribution pinned to one wheel, with the wheels it requires.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PipPin {
    /// Normalized distribution name (PEP 503), e.g. `python-dateutil`.
    pub name: &'static str,
    /// Exact version (`name==version`).
    pub version: &'static str,
    /// Wheel file name, which encodes the Python, ABI and platform it is for.
    pub wheel: &'static str,
    /// Where the wheel is published.
    pub url: &'static str,
    /// sha256 of the wheel, as `pip --require-hashes` checks it.
    pub sha256: &'static str,
    /// Direct requirements, each pinned as well.
    pub requires: &'static [&'static PipPin],
}

impl PipPin {
    /// This pin and everything it requires, each once, sorted by name.
    pub fn closure(pins: &[&'static PipPin]) -> Vec<&'static PipPin> {
        let mut seen: Vec<&'static PipPin> = Vec::new();
        let mut todo: Vec<&'static PipPin> = pins.to_vec();
        while let Some(pin) = todo.pop() {
            if seen.iter().any(|p| p.name == pin.name) {
                continue;
            }
            seen.push(pin);
            todo.extend(pin.requires.iter().copied());
        }
        seen.sort_by_key(|p| p.name);
        seen
    }
}

/// A checksum an artifact is verified against before it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Checksum {
    /// Lowercase hex sha256.
    Sha256(&'static str),
    /// Lowercase hex sha512.
    Sha512(&'static str),
    /// A Go module's `h1:` hash, as go.sum and the checksum database hold it (a [`Source::Go`]
    /// program's module).
    GoModule(&'static str),
    /// No checksum could be recorded (its source was unreachable when the pins were locked);
    /// images needing it are refused before building, with this reason.
    Unverified(&'static str),
}

impl Checksum {
    /// The checksum as `algorithm:hex`, or `None` when unverified.
    pub fn digest(&self) -> Option<String> {
        match self {
            Checksum::Sha256(hex) => Some(format!("sha256:{hex}")),
            Checksum::Sha512(hex) => Some(format!("sha512:{hex}")),
            Checksum::GoModule(h1) => Some(format!("go:{h1}")),
            Checksum::Unverified(_) => None,
        }
    }
}

/// Where a downloaded artifact comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// A plain URL (PyPI sdist, Apache archive, a release download).
    Url(&'static str),
    /// Maven coordinates, resolved against the configured Maven repository.
    Maven {
        /// groupId, e.g. `org.apache.iceberg`.
        group: &'static str,
        /// artifactId, e.g. `iceberg-spark-runtime-3.5_2.12`.
        artifact: &'static str,
        /// Classifier such as `cuda12`, empty for none.
        classifier: &'static str,
    },
    /// A Go program, built on the host from a module of the Go module proxy (verified by go.sum
    /// and the checksum database; the checksum is the module's `h1:` hash).
    Go(GoProgram),
    /// A Rust crate's binary, built on the host from crates.io with the crate's own Cargo.lock
    /// (`cargo install --locked`; the checksum is the `.crate` file's sha256).
    Crate(CrateProgram),
}

/// A Go program: a main package of a module at an exact version, or a main package of the
/// catalog's own (`main`) that requires the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoProgram {
    /// The module path, e.g. `helm.sh/helm/v4`.
    pub module: &'static str,
    /// The main package inside the module, relative (`.` for its root, `cmd/helm`); ignored
    /// when `main` is given.
    pub package: &'static str,
    /// A main package of the catalog's (`go.mod`, `go.sum`, `main.go`, as `(name, text)`)
    /// that requires the module at the pinned version, for modules that are libraries (kubectl).
    pub main: &'static [(&'static str, &'static str)],
    /// The module's zip itself, verified and not built (a Go toolchain module, which an image
    /// unpacks as its GOROOT); `bin` is then the zip's file name.
    pub zip: bool,
    /// Linker flags added to `-s -w` (the version variables a release build sets); empty for
    /// none.
    pub ldflags: &'static str,
    /// The exact Go toolchain, e.g. `go1.27.3` (the go command's `GOTOOLCHAIN`).
    pub toolchain: &'static str,
    /// The name of the binary.
    pub bin: &'static str,
}

/// A binary of a crate of crates.io.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CrateProgram {
    /// The crate, e.g. `ripgrep`.
    pub name: &'static str,
    /// The binary target, e.g. `rg`.
    pub bin: &'static str,
    /// The exact Rust toolchain, e.g. `1.95.0`.
    pub toolchain: &'static str,
    /// Cargo features turned on (`--features`); empty for none.
    pub features: &'static [&'static str],
    /// Whether the crate's default features are on (`false`: `--no-default-features`).
    pub default_features: bool,
    /// The release profile's LTO (`off`, `thin`, `fat`) replacing the crate's own, if set.
    pub lto: Option<&'static str>,
    /// The release profile's codegen units replacing the crate's own, if set.
    pub codegen_units: Option<u32>,
}

/// A file fetched on the host, verified, and handed to the build through its context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArtifactPin {
    /// Key in the pin file, e.g. `pyspark-3.5.7`.
    pub key: &'static str,
    /// Upstream version.
    pub version: &'static str,
    /// Where it is published.
    pub source: Source,
    /// What it must hash to.
    pub checksum: Checksum,
}

impl ArtifactPin {
    /// File name inside the build context's `artifacts/` folder.
    pub fn file_name(&self) -> String {
        match self.source {
            Source::Go(GoProgram { bin, .. }) | Source::Crate(CrateProgram { bin, .. }) => {
                bin.to_owned()
            }
            Source::Url(url) => url.rsplit('/').next().unwrap_or(self.key).to_owned(),
            Source::Maven {
                artifact,
                classifier: "",
                ..
            } => format!("{artifact}-{}.jar", self.version),
            Source::Maven {
                artifact,
                classifier,
                ..
            } => {
                format!("{artifact}-{}-{classifier}.jar", self.version)
            }
        }
    }

    /// Path relative to a Maven repository root (`group/as/path/artifact/version/file`).
    pub fn maven_path(&self) -> Option<String> {
        match self.source {
            Source::Maven {
                group, artifact, ..
            } => Some(format!(
                "{}/{artifact}/{}/{}",
                group.replace('.', "/"),
                self.version,
                self.file_name()
            )),
            Source::Url(_) | Source::Go(_) | Source::Crate(_) => None,
        }
    }
}

/// A git repository at one full commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GitPin {
    /// Key in the pin file, e.g. `dotfiles`.
    pub key: &'static str,
    /// Clone URL.
    pub repo: &'static str,
    /// Full 40-hex commit id.
    pub commit: &'static str,
}

impl fmt::Display for AptPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.package, self.version)
    }
}

impl fmt::Display for PipPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=={}", self.name, self.version)
    }
}
