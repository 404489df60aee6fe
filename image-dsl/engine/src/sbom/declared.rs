//! What the model says an image holds: every apt pin and input of the image and of the images it
//! builds on, each marked with whether the image's own filesystem should carry it.
//!
//! An input is *expected* in the image when it is used in the final stage of its image (or a
//! stage that one builds on), and that image reaches this one through `FROM`s. An input of a
//! builder stage, or of an image only copied from (`COPY --from`), may rightly be absent: such
//! images hand over a part of their files, and builder stages none of theirs.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::debian::closure::LockedBase;
use crate::spec::{ArtifactSource, BuildSpec, Checksum, Locator};

/// The kinds of component an SBOM counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A Debian package.
    Deb,
    /// A Python distribution (wheel or sdist).
    Python,
    /// A Maven artifact (a jar).
    Maven,
    /// A program built on the host from a Go module or a crate.
    Program,
    /// Any other pinned file: a tarball, a git tree, a download.
    File,
}

impl Kind {
    /// How counts and messages name it.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Deb => "deb",
            Kind::Python => "python",
            Kind::Maven => "maven",
            Kind::Program => "program",
            Kind::File => "file",
        }
    }
}

/// One declared component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// What it is.
    pub kind: Kind,
    /// The Maven group, for a Maven artifact.
    pub group: Option<String>,
    /// Package, project, artifact, crate or input name.
    pub name: String,
    /// Its pinned version.
    pub version: String,
    /// Its package URL.
    pub purl: Option<String>,
    /// CycloneDX algorithm name and hex digest of the pinned bytes.
    pub hashes: Vec<(&'static str, String)>,
    /// Other pins: `image-dsl:go-sum`, `image-dsl:git-commit`, `image-dsl:source`.
    pub properties: Vec<(String, String)>,
    /// The image whose definition declares it.
    pub declared_by: String,
    /// Whether the image's filesystem should carry it (see the module doc).
    pub expected: bool,
    /// The input as fetched, when the host has it: its bytes and members are evidence.
    pub source: Option<ArtifactSource>,
}

impl Declared {
    /// What identifies it across images: kind, group, name and version.
    pub fn key(&self) -> (Kind, Option<String>, String, String) {
        (
            self.kind,
            self.group.clone(),
            self.name.clone(),
            self.version.clone(),
        )
    }

    /// `group:name version` or `name version`.
    pub fn label(&self) -> String {
        match &self.group {
            Some(group) => format!("{group}:{} {}", self.name, self.version),
            None => format!("{} {}", self.name, self.version),
        }
    }
}

/// One `FROM` stage of a rendered Dockerfile.
struct Stage<'a> {
    base: &'a str,
    alias: Option<&'a str>,
    text: String,
}

/// Splits a rendered Dockerfile at its `FROM` lines.
fn stages(dockerfile: &str) -> Vec<Stage<'_>> {
    let mut out: Vec<Stage<'_>> = Vec::new();
    for line in dockerfile.lines() {
        if let Some(rest) = line.strip_prefix("FROM ") {
            let mut words = rest.split_whitespace().filter(|w| !w.starts_with("--"));
            let base = words.next().unwrap_or_default();
            let alias = match (words.next(), words.next()) {
                (Some(as_), Some(alias)) if as_.eq_ignore_ascii_case("as") => Some(alias),
                _ => None,
            };
            out.push(Stage {
                base,
                alias,
                text: String::new(),
            });
        } else if let Some(stage) = out.last_mut() {
            stage.text.push_str(line);
            stage.text.push('\n');
        }
    }
    out
}

/// The text of the final stage, the stages it builds on, and the stages copied whole over its
/// root (`COPY --from=apt-1 /apt-delta/ /`, how an apt step hands over what it installed); and
/// the image at the bottom of that chain (a catalog image, the bootstrapped base, or `scratch`).
fn final_chain(dockerfile: &str) -> (String, String) {
    let stages = stages(dockerfile);
    let mut text = String::new();
    let Some(mut at) = stages.len().checked_sub(1) else {
        return (text, "scratch".to_owned());
    };
    let mut bottom = stages[at].base.to_owned();
    for _ in 0..stages.len() {
        text.push_str(&stages[at].text);
        let base = stages[at].base;
        match stages[..at].iter().rposition(|s| s.alias == Some(base)) {
            Some(earlier) => at = earlier,
            None => {
                bottom = base.to_owned();
                break;
            }
        }
    }
    let onto_root: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("COPY ") && l.trim_end().ends_with(" /"))
        .flat_map(|l| l.split_whitespace())
        .filter_map(|w| w.strip_prefix("--from="))
        .collect();
    let copied: String = stages
        .iter()
        .filter(|s| s.alias.is_some_and(|a| onto_root.contains(&a)))
        .map(|s| s.text.as_str())
        .collect();
    text.push_str(&copied);
    (text, bottom)
}

/// Whether the context path `path` is used in `text`: itself, or a directory holding it that is
/// copied whole (`COPY debs/apt-1/ /tmp/debs/`).
fn uses(text: &str, path: &str) -> bool {
    if text.contains(path) {
        return true;
    }
    let mut dir = path;
    while let Some((parent, _)) = dir.rsplit_once('/') {
        if text.contains(&format!(" {parent}/ ")) {
            return true;
        }
        dir = parent;
    }
    false
}

/// The components `specs[image]` declares, with those of the images it builds on and copies
/// from, and of the bootstrapped base when its `FROM`s end there.
pub fn declared(specs: &[BuildSpec], image: usize, base: Option<&LockedBase>) -> Vec<Declared> {
    let index: HashMap<&str, usize> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.reference.as_str(), i))
        .collect();
    let mut out = Vec::new();
    collect(specs, &index, image, true, base, &mut out, 0);
    // One entry per component: expected when any image that declares it expects it.
    let mut merged: Vec<Declared> = Vec::new();
    let mut at: HashMap<(Kind, Option<String>, String, String), usize> = HashMap::new();
    for item in out {
        match at.get(&item.key()) {
            Some(&i) => {
                let kept = &mut merged[i];
                if item.expected && !kept.expected {
                    kept.expected = true;
                    kept.declared_by = item.declared_by;
                }
                if kept.source.is_none() {
                    kept.source = item.source;
                }
            }
            None => {
                at.insert(item.key(), merged.len());
                merged.push(item);
            }
        }
    }
    merged
}

fn collect(
    specs: &[BuildSpec],
    index: &HashMap<&str, usize>,
    i: usize,
    expected: bool,
    base: Option<&LockedBase>,
    out: &mut Vec<Declared>,
    depth: usize,
) {
    if depth > specs.len() {
        return;
    }
    let spec = &specs[i];
    let (text, bottom) = final_chain(&spec.dockerfile);
    for pin in &spec.apt {
        let marker = format!("{}={}", pin.package, pin.version);
        out.push(deb(
            &pin.package,
            &pin.version,
            &spec.reference,
            expected && text.contains(&marker),
        ));
    }
    for artifact in &spec.artifacts {
        out.push(from_source(
            &artifact.source,
            &spec.reference,
            expected && uses(&text, &artifact.path),
        ));
    }
    for parent in &spec.parents {
        if let Some(&p) = index.get(parent.as_str()) {
            collect(
                specs,
                index,
                p,
                expected && *parent == bottom,
                base,
                out,
                depth + 1,
            );
        }
    }
    if let Some(base) = base.filter(|b| Some(&b.reference) == spec.needs_base.as_ref()) {
        let reaches = bottom == base.reference;
        for locked in &base.debs {
            out.push(deb(
                &locked.package,
                &locked.version,
                &base.reference,
                expected && reaches,
            ));
        }
    }
}

fn deb(package: &str, version: &str, by: &str, expected: bool) -> Declared {
    Declared {
        kind: Kind::Deb,
        group: None,
        name: package.to_owned(),
        version: version.to_owned(),
        purl: purl("deb", Some("debian"), package, version, &[]),
        hashes: Vec::new(),
        properties: Vec::new(),
        declared_by: by.to_owned(),
        expected,
        source: None,
    }
}

/// A package URL (`purl` crate): `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS`; empty
/// qualifiers are left out.
pub(crate) fn purl(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> Option<String> {
    let mut builder = purl::GenericPurlBuilder::new(kind.to_owned(), name).with_version(version);
    if let Some(namespace) = namespace {
        builder = builder.with_namespace(namespace);
    }
    for (key, value) in qualifiers.iter().filter(|(_, v)| !v.is_empty()) {
        builder = builder.with_qualifier(*key, *value).ok()?;
    }
    builder.build().ok().map(|p| p.to_string())
}

fn from_source(source: &ArtifactSource, by: &str, expected: bool) -> Declared {
    let mut hashes = Vec::new();
    let mut properties = Vec::new();
    match &source.checksum {
        Checksum::Sha256(hex) => hashes.push(("SHA-256", hex.to_ascii_lowercase())),
        Checksum::Sha512(hex) => hashes.push(("SHA-512", hex.to_ascii_lowercase())),
        Checksum::GoModule(h1) => properties.push(("image-dsl:go-sum".to_owned(), h1.clone())),
        Checksum::GitCommit(commit) => {
            properties.push(("image-dsl:git-commit".to_owned(), commit.clone()))
        }
        Checksum::Unverified(_) => {}
    }
    // A PyPI input is named by its project, a Maven one by its artifact: the names their records
    // in the image carry (the source's own name may add the version, `pyspark-3.5.8`).
    let name = match &source.locator {
        Locator::Pypi { project, .. } => project.as_str(),
        Locator::Maven(c) => c.artifact.as_str(),
        _ => source.name.as_str(),
    };
    let version = source.version.as_str();
    let (kind, group, purl, from) = match &source.locator {
        Locator::Debian { suite, path } => (
            Kind::Deb,
            None,
            purl("deb", Some("debian"), name, version, &[]),
            format!("debian {suite} {path}"),
        ),
        Locator::Pypi { project, filename } => (
            Kind::Python,
            None,
            purl("pypi", None, &project.to_ascii_lowercase(), version, &[]),
            format!("pypi {project} {filename}"),
        ),
        Locator::Maven(c) => {
            let mut qualifiers = vec![("type", c.extension.as_str())];
            if let Some(classifier) = &c.classifier {
                qualifiers.push(("classifier", classifier));
            }
            (
                Kind::Maven,
                Some(c.group.clone()),
                purl(
                    "maven",
                    Some(&c.group),
                    &c.artifact,
                    &c.version,
                    &qualifiers,
                ),
                format!("maven {}", c.repository_path()),
            )
        }
        Locator::Go(go) => {
            let (namespace, last) = go.module.rsplit_once('/').unwrap_or(("", &go.module));
            (
                Kind::Program,
                None,
                purl(
                    "golang",
                    Some(namespace).filter(|n| !n.is_empty()),
                    last,
                    &go.version,
                    &[],
                ),
                format!("go {}@{} with {}", go.module, go.version, go.toolchain),
            )
        }
        Locator::Crate(c) => (
            Kind::Program,
            None,
            purl("cargo", None, &c.name, &c.version, &[]),
            format!("crate {}@{} with Rust {}", c.name, c.version, c.toolchain),
        ),
        Locator::Git { repo } => (
            Kind::File,
            None,
            purl(
                "generic",
                None,
                name,
                version,
                &[("vcs_url", &format!("git+{repo}"))],
            ),
            format!("git {repo}"),
        ),
        Locator::Apache { path } => (
            Kind::File,
            None,
            purl("generic", None, name, version, &[]),
            format!("apache {path}"),
        ),
        Locator::Urls(urls) => {
            let first = urls.first().map(String::as_str).unwrap_or_default();
            let kind = if first.ends_with(".deb") {
                Kind::Deb
            } else {
                Kind::File
            };
            let purl = match kind {
                Kind::Deb => purl("deb", Some("debian"), name, version, &[]),
                _ => purl("generic", None, name, version, &[("download_url", first)]),
            };
            (kind, None, purl, format!("url {first}"))
        }
    };
    properties.push(("image-dsl:source".to_owned(), from));
    Declared {
        kind,
        group,
        name: name.to_owned(),
        version: version.to_owned(),
        purl,
        hashes,
        properties,
        declared_by: by.to_owned(),
        expected,
        source: Some(source.clone()),
    }
}

/// Where a declared input's fetched file is on the host.
pub type CachedFile<'a> = &'a (dyn Fn(&ArtifactSource) -> Option<PathBuf> + Sync);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{AptPin, ContextArtifact};

    fn spec(reference: &str, dockerfile: &str, parents: &[&str]) -> BuildSpec {
        BuildSpec::bare(reference, dockerfile, parents)
    }

    fn pypi(name: &str, path: &str) -> ContextArtifact {
        ContextArtifact {
            path: path.into(),
            source: ArtifactSource {
                name: name.into(),
                version: "1.0".into(),
                locator: Locator::Pypi {
                    project: name.into(),
                    filename: format!("{name}-1.0.tar.gz"),
                },
                checksum: Checksum::Sha256("AB".into()),
            },
        }
    }

    #[test]
    fn builder_stages_and_copied_images_are_not_expected_in_the_image() {
        let mut core = spec(
            "core:1",
            "FROM base:1 AS unpack\nCOPY debs/apt-1/ /tmp/debs/\nRUN install zip=3.0 || exit 100\nCOPY artifacts/spark.tar.gz /tmp/\nFROM scratch\nCOPY --from=unpack /opt/spark /opt/spark\n",
            &["base:1"],
        );
        core.apt.push(AptPin {
            package: "zip".into(),
            version: "3.0".into(),
        });
        core.artifacts.push(pypi("spark", "artifacts/spark.tar.gz"));
        let mut base = spec(
            "base:1",
            "FROM scratch\nRUN install tini=0.19 || exit 100\n",
            &[],
        );
        base.apt.push(AptPin {
            package: "tini".into(),
            version: "0.19".into(),
        });
        let mut runtime = spec(
            "runtime:1",
            "FROM core:1 AS core-1\n\nFROM base:1 AS built\nCOPY --from=core-1 /opt/spark /opt/spark\nCOPY files/x.sh /x.sh\nFROM built\nUSER 185\n",
            &["core:1", "base:1"],
        );
        runtime
            .artifacts
            .push(pypi("tool", "debs/tools/tool.tar.gz"));
        let specs = vec![base, core, runtime];

        let items = declared(&specs, 2, None);
        let expected: Vec<(String, bool, String)> = items
            .iter()
            .map(|d| (d.name.clone(), d.expected, d.declared_by.clone()))
            .collect();
        assert_eq!(
            expected,
            vec![
                // used nowhere in the final chain of runtime
                ("tool".into(), false, "runtime:1".into()),
                ("zip".into(), false, "core:1".into()),
                ("spark".into(), false, "core:1".into()),
                ("tini".into(), true, "base:1".into()),
            ]
        );
        assert_eq!(items[1].purl.as_deref(), Some("pkg:deb/debian/zip@3.0"));
        assert_eq!(items[2].purl.as_deref(), Some("pkg:pypi/spark@1.0"));
        assert_eq!(items[2].hashes, vec![("SHA-256", "ab".to_owned())]);
    }

    #[test]
    fn a_copied_directory_uses_the_files_in_it() {
        assert!(uses(
            "COPY debs/apt-1/ /tmp/debs/\n",
            "debs/apt-1/tini_1_amd64.deb"
        ));
        assert!(!uses(
            "COPY debs/apt-2/ /tmp/debs/\n",
            "debs/apt-1/tini_1_amd64.deb"
        ));
        assert!(uses("COPY artifacts/a.jar /x\n", "artifacts/a.jar"));
    }

    #[test]
    fn the_final_chain_follows_stage_aliases_to_the_image_below() {
        let (text, bottom) = final_chain(
            "FROM a:1 AS one\nRUN one\nFROM b:2 AS two\nRUN two\nFROM one\nRUN three\n",
        );
        assert_eq!(bottom, "a:1");
        assert!(text.contains("three") && text.contains("one") && !text.contains("two"));
        assert_eq!(
            final_chain("FROM --platform=linux/amd64 scratch\n").1,
            "scratch"
        );
        let (text, bottom) = final_chain(
            "FROM a:1 AS before\nFROM before AS apt-1\nRUN install x=1\nFROM before AS other\nRUN y=2\nFROM before\nCOPY --from=apt-1 /apt-delta/ /\nCOPY --from=other /y /y\n",
        );
        assert_eq!(bottom, "a:1");
        assert!(
            text.contains("x=1"),
            "a stage copied over the root is part of the image"
        );
        assert!(
            !text.contains("y=2"),
            "a stage a path is copied from is not"
        );
    }
}
