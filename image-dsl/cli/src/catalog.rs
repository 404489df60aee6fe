//! The catalog as the engine sees it: each `image_dsl::Image` of a [`Workspace`]'s catalog becomes
//! a [`BuildSpec`] (rendered Dockerfile, context files, host-fetched inputs, parents, budget), and
//! [`ordered`] gives them in build order.

use crate::Workspace;
use crate::engine::debian::closure::AptLock;
use crate::engine::graph::{Graph, GraphError};
use crate::engine::{
    AptPin, ArtifactSource, BuildSpec, Checksum, ContextArtifact, ContextFile, CrateBuild, Fix,
    GoBuild, Locator, MavenCoordinates,
};
use image_dsl::{Image, Rendered, RenderedApt, Source};

/// Every catalog image with its rendering, in build order (parents first).
pub fn ordered(ws: &Workspace) -> Result<Vec<(Image, Rendered, BuildSpec)>, GraphError> {
    let lock = ws.apt_lock();
    let mut rendered: Vec<(Image, Rendered, BuildSpec)> = ws
        .catalog
        .images
        .iter()
        .map(|image| {
            let r = image_dsl::render(image);
            let spec = spec_locked(ws, image, &r, lock.as_ref());
            (image.clone(), r, spec)
        })
        .collect();
    let graph = Graph::new(rendered.iter().map(|(_, _, s)| s.clone()).collect())?;
    let position = |reference: &str| graph.specs.iter().position(|s| s.reference == reference);
    rendered.sort_by_key(|(_, _, s)| position(&s.reference));
    Ok(rendered)
}

/// The engine's view of one image, its apt steps' `.deb`s from the workspace's apt lock.
pub fn spec(ws: &Workspace, image: &Image, rendered: &Rendered) -> BuildSpec {
    spec_locked(ws, image, rendered, ws.apt_lock().as_ref())
}

/// The engine's view of one image, its apt steps' `.deb`s from `lock`. A step the lock has no
/// closure for (or one resolved for other versions) becomes an unverified input, so the image
/// stops before anything is built and the message names the command that resolves it.
pub fn spec_locked(
    ws: &Workspace,
    image: &Image,
    rendered: &Rendered,
    lock: Result<&AptLock, &String>,
) -> BuildSpec {
    let mut files: Vec<ContextFile> = vec![ContextFile {
        path: ".dockerignore".to_owned(),
        contents: rendered.dockerignore.clone().into_bytes(),
        mode: 0o644,
    }];
    files.extend(rendered.files.iter().map(|f| ContextFile {
        path: f.path.clone(),
        contents: f.contents.clone().into_bytes(),
        mode: f.mode,
    }));
    let mut artifacts: Vec<ContextArtifact> = rendered
        .artifacts
        .iter()
        .map(|(path, pin)| ContextArtifact {
            path: path.clone(),
            source: ArtifactSource {
                name: pin.key.to_owned(),
                version: pin.version.to_owned(),
                locator: locator(pin),
                checksum: checksum(pin.checksum),
            },
        })
        .collect();
    artifacts.extend(rendered.wheels.iter().map(|(path, pin)| ContextArtifact {
        path: path.clone(),
        source: ArtifactSource {
            name: pin.name.to_owned(),
            version: pin.version.to_owned(),
            locator: Locator::Pypi {
                project: pin.name.to_owned(),
                filename: pin.wheel.to_owned(),
            },
            checksum: Checksum::Sha256(pin.sha256.to_owned()),
        },
    }));
    artifacts.extend(rendered.git.iter().map(|(path, pin)| ContextArtifact {
        path: path.clone(),
        source: ArtifactSource {
            name: pin.key.to_owned(),
            version: pin.commit.to_owned(),
            locator: Locator::Git {
                repo: pin.repo.to_owned(),
            },
            checksum: Checksum::GitCommit(pin.commit.to_owned()),
        },
    }));
    let reference = image.reference();
    for step in &rendered.apt {
        artifacts.extend(deb_artifacts(ws, &reference, step, lock));
    }
    BuildSpec {
        reference: image.reference(),
        dockerfile: rendered.dockerfile.clone(),
        files,
        artifacts,
        parents: image.parents().iter().map(|p| p.reference()).collect(),
        needs_base: image.bootstrap_base().map(|s| s.image_reference()),
        budget_bytes: image.budget.bytes(),
        apt: image
            .apt_packages()
            .iter()
            .map(|p| AptPin {
                package: p.package.to_owned(),
                version: p.version.to_owned(),
            })
            .collect(),
    }
}

/// The `.deb`s of one apt step at `debs/<step>/<file>`, or one unverified input saying why there
/// are none.
fn deb_artifacts(
    ws: &Workspace,
    image: &str,
    step: &RenderedApt,
    lock: Result<&AptLock, &String>,
) -> Vec<ContextArtifact> {
    let requested: Vec<String> = step.pins.iter().map(ToString::to_string).collect();
    let lock_file = ws.layout.shown(&ws.layout.apt_lock());
    let why = match lock {
        Ok(lock) => match lock.step(image, &step.name, &requested) {
            Some(locked) => {
                return locked
                    .debs
                    .iter()
                    .map(|deb| ContextArtifact {
                        path: format!("debs/{}/{}", step.name, deb.file_name()),
                        source: deb.source(),
                    })
                    .collect();
            }
            None => format!(
                "{lock_file} has no closure resolved for these versions; run {}",
                Fix::Lock
            ),
        },
        Err(e) => format!("{lock_file} cannot be read ({e}); run {}", Fix::Lock),
    };
    vec![ContextArtifact {
        path: format!("debs/{}/", step.name),
        source: ArtifactSource {
            name: format!("the .debs of {} ({})", step.name, requested.join(" ")),
            version: String::new(),
            locator: Locator::Urls(Vec::new()),
            checksum: Checksum::Unverified(why),
        },
    }]
}

fn checksum(c: image_dsl::Checksum) -> Checksum {
    match c {
        image_dsl::Checksum::Sha256(h) => Checksum::Sha256(h.to_owned()),
        image_dsl::Checksum::Sha512(h) => Checksum::Sha512(h.to_owned()),
        image_dsl::Checksum::GoModule(h1) => Checksum::GoModule(h1.to_owned()),
        image_dsl::Checksum::Unverified(why) => Checksum::Unverified(why.to_owned()),
    }
}

/// PyPI files and Apache archive paths go through their configurable mirrors; Maven artifacts
/// through the Maven repository mirror; programs are built on the host; anything else is
/// fetched from its URL.
fn locator(pin: &image_dsl::ArtifactPin) -> Locator {
    match pin.source {
        Source::Go(go) => Locator::Go(GoBuild {
            module: go.module.to_owned(),
            // Go module versions are semantic versions with a `v`; the pin's version has none.
            version: format!("v{}", pin.version),
            package: go.package.to_owned(),
            main: go
                .main
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect(),
            zip: go.zip,
            ldflags: go.ldflags.to_owned(),
            toolchain: go.toolchain.to_owned(),
            bin: go.bin.to_owned(),
        }),
        Source::Crate(c) => Locator::Crate(CrateBuild {
            name: c.name.to_owned(),
            version: pin.version.to_owned(),
            bin: c.bin.to_owned(),
            toolchain: c.toolchain.to_owned(),
            features: c.features.iter().map(|f| (*f).to_owned()).collect(),
            default_features: c.default_features,
            lto: c.lto.map(str::to_owned),
            codegen_units: c.codegen_units,
        }),
        Source::Maven {
            group,
            artifact,
            classifier,
        } => maven_locator(group, artifact, pin.version, classifier),
        Source::Url(url) => url_locator(url),
    }
}

/// The images of `catalog` that `filters` name (`name:tag` or patterns with `*`; all when there
/// are none). A pattern that matches no image is an error naming the command that lists them.
pub fn named<'a>(catalog: &'a [Image], filters: &[String]) -> anyhow::Result<Vec<&'a Image>> {
    let matches = |pattern: &String, image: &Image| {
        crate::engine::graph::glob_match(pattern, &image.reference())
    };
    if let Some(pattern) = filters
        .iter()
        .find(|p| !catalog.iter().any(|i| matches(p, i)))
    {
        anyhow::bail!(
            "no image matches `{pattern}`; run {} to see the names",
            crate::engine::Fix::List
        );
    }
    Ok(catalog
        .iter()
        .filter(|i| filters.is_empty() || filters.iter().any(|p| matches(p, i)))
        .collect())
}

/// Where a Maven artifact (`classifier` empty for none) is fetched from: the Maven mirror.
pub fn maven_locator(group: &str, artifact: &str, version: &str, classifier: &str) -> Locator {
    Locator::Maven(MavenCoordinates {
        group: group.to_owned(),
        artifact: artifact.to_owned(),
        version: version.to_owned(),
        classifier: (!classifier.is_empty()).then(|| classifier.to_owned()),
        extension: "jar".to_owned(),
    })
}

/// Where a file pinned by URL is fetched from: Apache archive and PyPI files through their
/// mirrors, anything else from the URL itself.
pub fn url_locator(url: &str) -> Locator {
    if let Some(path) = url.strip_prefix("https://archive.apache.org/dist/") {
        Locator::Apache {
            path: path.to_owned(),
        }
    } else if url.starts_with("https://files.pythonhosted.org/") {
        let filename = url.rsplit('/').next().unwrap_or_default();
        let project = filename
            .split('-')
            .next()
            .unwrap_or_default()
            .replace('_', "-")
            .to_lowercase();
        Locator::Pypi {
            project,
            filename: filename.to_owned(),
        }
    } else {
        Locator::Urls(vec![url.to_owned()])
    }
}
