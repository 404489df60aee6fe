//! The pin file's schema: its sections and entries as serde types, every value with its place in
//! the file (`toml::Spanned`), so an error can name its line.
//!
//! Reading checks the shape only: tables where tables belong, strings where strings belong, no
//! unknown section or field, one source and one checksum per artifact. What the values must be
//! (exact versions, hex digests, keys that stay apart as constants) is [`super::check`]'s.
//!
//! The sections are walked by hand and each entry is deserialized on its own, so a file with
//! several broken entries reports every one of them, not the first.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::Errors;

/// A key of a section (`tini`, `pyspark-3.5.7`), with its place in the file.
pub type Key = Spanned<String>;

/// The pin file: every pin of the catalog, by section.
///
/// ```toml
/// [debian]
/// suite = "bookworm"
///
/// [apt]
/// tini = "0.19.0-1+b3"   # bookworm
///
/// [pip.six]
/// version = "1.17.0"
/// wheel = "six-1.17.0-py2.py3-none-any.whl"
/// url = "https://files.pythonhosted.org/…/six-1.17.0-py2.py3-none-any.whl"
/// sha256 = "…"
/// requires = []
///
/// [artifact."pyspark-3.5.7"]
/// version = "3.5.7"
/// url = "https://files.pythonhosted.org/…/pyspark-3.5.7.tar.gz"
/// sha256 = "…"
///
/// [artifact.yq]
/// version = "4.54.3"
/// go = "github.com/mikefarah/yq/v4@v4.54.3"
/// toolchain = "go1.27.3"
/// h1 = "h1:…="
///
/// [artifact.ripgrep]
/// version = "15.2.0"
/// crate = "ripgrep@15.2.0"
/// bin = "rg"
/// toolchain = "1.95.0"
/// sha256 = "…"
///
/// [artifact.zellij]
/// version = "0.45.1"
/// crate = "zellij@0.45.1"
/// lto = "off"            # the crate's release profile says fat LTO, one codegen unit
/// codegen-units = 16
/// toolchain = "1.95.0"
/// sha256 = "…"
///
/// [git.oh-my-zsh]
/// repo = "https://github.com/ohmyzsh/ohmyzsh"
/// commit = "d6aaafdc1d0f502b3fa119f3359c946082f8147b"
/// ```
///
/// A value of this type passed every rule: [`PinFile::parse`] returns nothing else.
#[derive(Debug, Clone, PartialEq)]
pub struct PinFile {
    /// `[debian]`.
    pub debian: Debian,
    /// `[apt]`: Debian packages, `package = "version"`.
    pub apt: Section<AptPin>,
    /// `[pip.NAME]`: wheels.
    pub pip: Section<PipPin>,
    /// `[artifact."KEY"]`: files fetched on the host.
    pub artifact: Section<ArtifactPin>,
    /// `[git.KEY]`: repositories at a commit.
    pub git: Section<GitPin>,
}

/// `[debian]`: the Debian suite the apt pins were resolved for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Debian {
    /// `suite = "bookworm"`.
    pub suite: Spanned<String>,
}

/// One entry of `[apt]`: `package = "version"`, the package being its key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct AptPin {
    /// The exact Debian version, e.g. `0.19.0-1+b3`.
    pub version: Spanned<String>,
}

/// `[pip.NAME]`: one wheel of a Python distribution, the name being its key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipPin {
    /// The exact version (`name==version`).
    pub version: Spanned<String>,
    /// The wheel's file name.
    pub wheel: Spanned<String>,
    /// Where the wheel is published.
    pub url: Spanned<String>,
    /// The wheel's sha256, lowercase hex.
    pub sha256: Spanned<String>,
    /// The names of the `[pip]` pins it requires (`cargo xtask images lock` keeps them in line
    /// with the wheel's metadata).
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
}

/// `[artifact."KEY"]`: a file fetched on the host and verified before a build uses it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "ArtifactTable")]
pub struct ArtifactPin {
    /// The upstream version.
    pub version: Spanned<String>,
    /// `url` or `maven`.
    pub source: ArtifactSource,
    /// `sha256`, `sha512` or `unverified`.
    pub checksum: ArtifactChecksum,
    /// `size`: the file's size in bytes, where the pin's author recorded it (informative).
    pub size: Option<Spanned<u64>>,
}

/// Where an artifact is published.
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactSource {
    /// `url = "https://…"`.
    Url(Spanned<String>),
    /// `maven = "group:artifact:version[:classifier]"`.
    Maven(Maven),
    /// `go = "module@version"`: a Go program built on the host.
    Go(GoSource),
    /// `crate = "name@version"`: a Rust crate's binary built on the host.
    Crate(CrateSource),
}

/// `go = "module@version"` with the fields that say how to build it.
#[derive(Debug, Clone, PartialEq)]
pub struct GoSource {
    /// `module@version` as written.
    pub spec: Spanned<String>,
    /// The module path.
    pub module: String,
    /// The version after `@`, e.g. `v4.54.3`.
    pub version: String,
    /// `package = "cmd/helm"`: the main package inside the module (default `.`).
    pub package: Option<Spanned<String>>,
    /// `main = "files/go/kubectl"`: a directory beside the pin file holding `go.mod`, `go.sum`
    /// and `main.go` of a main package that requires the module.
    pub main: Option<Spanned<String>>,
    /// `toolchain = "go1.27.3"`.
    pub toolchain: Spanned<String>,
    /// `bin = "…"`: the binary's name (default: the package's last path element).
    pub bin: Option<Spanned<String>>,
    /// `ldflags = "-X path.var=value"`: linker flags added to `-s -w`, for the version variables
    /// a project's release build sets.
    pub ldflags: Option<Spanned<String>>,
    /// `zip = true`: the module's zip itself, verified and not built (a Go toolchain module,
    /// which the image unpacks as its GOROOT).
    pub zip: bool,
}

/// `crate = "name@version"` with the fields that say how to build it.
#[derive(Debug, Clone, PartialEq)]
pub struct CrateSource {
    /// `name@version` as written.
    pub spec: Spanned<String>,
    /// The crate's name.
    pub name: String,
    /// The version after `@`.
    pub version: String,
    /// `toolchain = "1.95.0"`.
    pub toolchain: Spanned<String>,
    /// `bin = "rg"`: the binary target (default: the crate's name).
    pub bin: Option<Spanned<String>>,
    /// `features = ["client", "sync"]`: cargo features to turn on (`--features`).
    pub features: Option<Vec<Spanned<String>>>,
    /// `default-features = false`: leave the crate's default features off
    /// (`--no-default-features`).
    pub default_features: Option<Spanned<bool>>,
    /// `lto = "off"`: the release profile's LTO, replacing the crate's own (`off`, `thin` or
    /// `fat`).
    pub lto: Option<Spanned<String>>,
    /// `codegen-units = 16`: the release profile's codegen units, replacing the crate's own.
    pub codegen_units: Option<Spanned<u32>>,
}

impl GoSource {
    /// The binary's name: `bin`, else the last element of the package path (of the module path
    /// for `.`, its major version suffix `/vN` left out).
    pub fn bin_name(&self) -> String {
        if let Some(bin) = &self.bin {
            return bin.get_ref().clone();
        }
        if self.zip {
            return format!("{}.zip", self.version);
        }
        let path = match self.package.as_ref().map(|p| p.get_ref().as_str()) {
            Some(p) if p != "." && self.main.is_none() => p,
            _ => self.module.as_str(),
        };
        image_dsl_pin_rules::go_binary_name(path).to_owned()
    }
}

impl CrateSource {
    /// The binary target: `bin`, else the crate's name.
    pub fn bin_name(&self) -> String {
        self.bin
            .as_ref()
            .map_or_else(|| self.name.clone(), |b| b.get_ref().clone())
    }
}

/// Maven coordinates, `group:artifact:version[:classifier]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Maven {
    /// The coordinates as written.
    pub coordinates: Spanned<String>,
    /// groupId, e.g. `org.apache.iceberg`.
    pub group: String,
    /// artifactId, e.g. `iceberg-spark-runtime-3.5_2.12`.
    pub artifact: String,
    /// The version the coordinates name (the pin's `version`, which [`super::check`] makes sure of).
    pub version: String,
    /// The classifier, empty for none.
    pub classifier: String,
}

/// What an artifact must hash to, or why nothing is known yet.
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactChecksum {
    /// `sha256 = "<64 hex>"`.
    Sha256(Spanned<String>),
    /// `sha512 = "<128 hex>"`.
    Sha512(Spanned<String>),
    /// `h1 = "h1:…="`: a Go module's hash as go.sum holds it.
    GoModule(Spanned<String>),
    /// `unverified = "why"`: its source could not be reached when the pin was written; images
    /// needing it stop before building.
    Unverified(Spanned<String>),
}

/// `[git.KEY]`: a git repository at one commit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitPin {
    /// The clone URL.
    pub repo: Spanned<String>,
    /// The full 40-hex commit id.
    pub commit: Spanned<String>,
}

/// The entries of one section by key.
#[derive(Debug, Clone, PartialEq)]
pub struct Section<T> {
    entries: BTreeMap<Key, T>,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Section {
            entries: BTreeMap::new(),
        }
    }
}

impl<T> Section<T> {
    /// The entries in the order of their keys (byte order), which is the generated constants'.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &T)> {
        self.entries.iter()
    }

    /// The entries in the order the file lists them.
    pub fn in_file_order(&self) -> Vec<(&Key, &T)> {
        let mut entries: Vec<(&Key, &T)> = self.entries.iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);
        entries
    }

    /// The entry of `key`, matched exactly.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.entries.get(key)
    }

    /// Whether `key` has an entry.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the section has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The sections of a pin file, as the unknown-section error lists them.
const SECTIONS: &str = "debian, apt, pip, artifact or git";

/// Reads the shape of `text`, reporting to `errors` every entry that does not fit the schema
/// (and leaving it out). `None` when `text` is not TOML at all.
pub(super) fn read(text: &str, errors: &mut Errors<'_>) -> Option<PinFile> {
    let root = match DeTable::parse(text) {
        Ok(root) => root.into_inner(),
        Err(e) => {
            errors.at(e.span().unwrap_or(0..0), e.message());
            return None;
        }
    };
    let mut debian = None;
    let mut pins = PinFile {
        debian: Debian {
            suite: Spanned::new(0..0, String::new()),
        },
        apt: Section::default(),
        pip: Section::default(),
        artifact: Section::default(),
        git: Section::default(),
    };
    for (name, value) in root {
        match name.get_ref().as_ref() {
            "debian" => debian = Some(entry(errors, "[debian]".to_owned(), name.span(), value)),
            "apt" => pins.apt = section(errors, "apt", value),
            "pip" => pins.pip = section(errors, "pip", value),
            "artifact" => pins.artifact = section(errors, "artifact", value),
            "git" => pins.git = section(errors, "git", value),
            other => errors.at(
                name.span(),
                format!("unknown section [{other}]: {SECTIONS}"),
            ),
        }
    }
    match debian {
        Some(Some(debian)) => pins.debian = debian,
        // Reported where it was read.
        Some(None) => {}
        None => errors.at(
            0..0,
            "no [debian] section: add it with the `suite` the apt pins are resolved for",
        ),
    }
    Some(pins)
}

/// The entries of section `name` (a table of tables, or of strings for `[apt]`); each entry
/// that does not fit `T` is reported and left out.
fn section<T: DeserializeOwned>(
    errors: &mut Errors<'_>,
    name: &str,
    value: Spanned<DeValue<'_>>,
) -> Section<T> {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        errors.at(span, format!("[{name}] must be a table"));
        return Section::default();
    };
    let mut entries = BTreeMap::new();
    for (key, value) in table {
        let key = Spanned::new(key.span(), key.into_inner().into_owned());
        if let Some(pin) = entry(errors, entry_name(name, key.get_ref()), key.span(), value) {
            entries.insert(key, pin);
        }
    }
    Section { entries }
}

/// One entry read as `T`; its errors are prefixed with `name` and placed at the value they are
/// about, or at the entry's key.
fn entry<T: DeserializeOwned>(
    errors: &mut Errors<'_>,
    name: String,
    key: std::ops::Range<usize>,
    value: Spanned<DeValue<'_>>,
) -> Option<T> {
    T::deserialize(ValueDeserializer::from(value))
        .map_err(|e| errors.at(e.span().unwrap_or(key), format!("{name} {}", e.message())))
        .ok()
}

/// How messages name an entry: ``[apt] `tini` ``, `[pip.six]`, `[artifact."pyspark-3.5.7"]`.
pub(super) fn entry_name(section: &str, key: &str) -> String {
    match section {
        "apt" => format!("[apt] `{key}`"),
        "pip" => format!("[pip.{key}]"),
        _ => format!("[{section}.\"{key}\"]"),
    }
}

/// `[artifact."KEY"]` as written, before the one-source, one-checksum rule makes it an
/// [`ArtifactPin`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArtifactTable {
    version: Spanned<String>,
    url: Option<Spanned<String>>,
    maven: Option<Spanned<String>>,
    go: Option<Spanned<String>>,
    #[serde(rename = "crate")]
    krate: Option<Spanned<String>>,
    package: Option<Spanned<String>>,
    main: Option<Spanned<String>>,
    bin: Option<Spanned<String>>,
    toolchain: Option<Spanned<String>>,
    zip: Option<Spanned<bool>>,
    ldflags: Option<Spanned<String>>,
    features: Option<Vec<Spanned<String>>>,
    #[serde(rename = "default-features")]
    default_features: Option<Spanned<bool>>,
    lto: Option<Spanned<String>>,
    #[serde(rename = "codegen-units")]
    codegen_units: Option<Spanned<u32>>,
    sha256: Option<Spanned<String>>,
    sha512: Option<Spanned<String>>,
    h1: Option<Spanned<String>>,
    unverified: Option<Spanned<String>>,
    size: Option<Spanned<u64>>,
}

impl TryFrom<ArtifactTable> for ArtifactPin {
    type Error = String;

    fn try_from(table: ArtifactTable) -> Result<Self, String> {
        if table.krate.is_none() {
            let only_crate = [
                ("features", table.features.is_some()),
                ("default-features", table.default_features.is_some()),
                ("lto", table.lto.is_some()),
                ("codegen-units", table.codegen_units.is_some()),
            ];
            if let Some((field, _)) = only_crate.iter().find(|(_, set)| *set) {
                return Err(format!("has `{field}`, which only a `crate` source takes"));
            }
        }
        let built = table.go.is_some() || table.krate.is_some();
        if !built {
            let only_built = [
                ("package", &table.package),
                ("main", &table.main),
                ("bin", &table.bin),
                ("toolchain", &table.toolchain),
            ];
            if table.zip.is_some() {
                return Err("has `zip`, which only a `go` source takes".to_owned());
            }
            if let Some((field, _)) = only_built.iter().find(|(_, v)| v.is_some()) {
                return Err(format!(
                    "has `{field}`, which only a `go` or `crate` source takes"
                ));
            }
        }
        let source = match (table.url, table.maven, table.go, table.krate) {
            (Some(url), None, None, None) => ArtifactSource::Url(url),
            (None, Some(coordinates), None, None) => {
                ArtifactSource::Maven(Maven::parse(coordinates)?)
            }
            (None, None, Some(spec), None) => {
                if table.package.is_some() && table.main.is_some() {
                    return Err("takes `package` (inside the module) or `main` (a main package of the catalog's), not both".to_owned());
                }
                let (module, version) = split_at_version(&spec, "module")?;
                let zip = table.zip.is_some_and(|z| *z.get_ref());
                if zip && (table.package.is_some() || table.main.is_some()) {
                    return Err(
                        "`zip = true` takes the module as it is: no `package` or `main`".to_owned(),
                    );
                }
                ArtifactSource::Go(GoSource {
                    zip,
                    ldflags: table.ldflags,
                    module,
                    version,
                    package: table.package,
                    main: table.main,
                    toolchain: table.toolchain.ok_or(
                        "a `go` source needs `toolchain = \"go1.N.P\"`, the exact Go that builds it",
                    )?,
                    bin: table.bin,
                    spec,
                })
            }
            (None, None, None, Some(spec)) => {
                if table.zip.is_some() || table.ldflags.is_some() {
                    return Err("has `zip` or `ldflags`, which only a `go` source takes".to_owned());
                }
                if let Some(field) = [("package", &table.package), ("main", &table.main)]
                    .iter()
                    .find_map(|(f, v)| v.is_some().then_some(f))
                {
                    return Err(format!("has `{field}`, which only a `go` source takes"));
                }
                let (name, version) = split_at_version(&spec, "name")?;
                ArtifactSource::Crate(CrateSource {
                    name,
                    version,
                    toolchain: table.toolchain.ok_or(
                        "a `crate` source needs `toolchain = \"1.N.P\"`, the exact Rust that builds it",
                    )?,
                    bin: table.bin,
                    features: table.features,
                    default_features: table.default_features,
                    lto: table.lto,
                    codegen_units: table.codegen_units,
                    spec,
                })
            }
            _ => {
                return Err(
                    "needs exactly one of `url` (http/https), `maven`, `go` or `crate`".to_owned(),
                );
            }
        };
        let checksum = match (table.sha256, table.sha512, table.h1, table.unverified) {
            (Some(hex), None, None, None) => ArtifactChecksum::Sha256(hex),
            (None, Some(hex), None, None) => ArtifactChecksum::Sha512(hex),
            (None, None, Some(h1), None) => ArtifactChecksum::GoModule(h1),
            (None, None, None, Some(why)) => ArtifactChecksum::Unverified(why),
            _ => {
                return Err(
                    "needs one of sha256 (64 hex), sha512 (128 hex), h1 (a Go module's go.sum hash) or `unverified = \"why\"`"
                        .to_owned(),
                );
            }
        };
        Ok(ArtifactPin {
            version: table.version,
            source,
            checksum,
            size: table.size,
        })
    }
}

/// `what@version`, both parts non-empty.
fn split_at_version(spec: &Spanned<String>, what: &str) -> Result<(String, String), String> {
    match spec.get_ref().rsplit_once('@') {
        Some((name, version)) if !name.is_empty() && !version.is_empty() => {
            Ok((name.to_owned(), version.to_owned()))
        }
        _ => Err(format!("`{}` is not {what}@version", spec.get_ref())),
    }
}

impl Maven {
    /// `group:artifact:version[:classifier]`, each part non-empty.
    fn parse(coordinates: Spanned<String>) -> Result<Maven, String> {
        let parts: Vec<&str> = coordinates.get_ref().split(':').collect();
        let (group, artifact, version, classifier) = match parts.as_slice() {
            [g, a, v] => (*g, *a, *v, ""),
            [g, a, v, c] if !c.is_empty() => (*g, *a, *v, *c),
            _ => ("", "", "", ""),
        };
        if [group, artifact, version].iter().any(|p| p.is_empty()) {
            return Err(format!(
                "maven `{}` is not group:artifact:version[:classifier]",
                coordinates.get_ref()
            ));
        }
        Ok(Maven {
            group: group.to_owned(),
            artifact: artifact.to_owned(),
            version: version.to_owned(),
            classifier: classifier.to_owned(),
            coordinates,
        })
    }
}
