//! An SBOM per built image (CycloneDX 1.5 JSON, written with the `cyclonedx-bom` crate): what the
//! model declares ([`declared`]) joined with what the image really holds ([`found`]).
//!
//! Each declared component is looked for in the image, by the first evidence that applies:
//! - its own record: dpkg's status for a Debian package, a `dist-info` for a Python
//!   distribution, a jar's `pom.properties` for a Maven artifact (a different version there is
//!   reported as such);
//! - its exact bytes: a file of the image with the pinned SHA-256 (a jar, a program);
//! - its members: for an archive unpacked in the build (Spark's tarball, a git tree, a toolchain
//!   zip), how many of its files (of at least [`MEMBER_MIN_BYTES`], by name and size) are there.
//!
//! What is expected but not found, and what is found but declared nowhere (packages, Python
//! distributions, jars that no declared input accounts for), is listed in [`Summary`] and
//! marked in the SBOM (`image-dsl:found`, `image-dsl:declared`).
//!
//! The SBOM names the image ID it describes (`image-dsl:image-id` in its metadata), so a stale
//! one is recognised: `push` refuses it and `build` writes it again.

pub mod declared;
pub mod found;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};
use cyclonedx_bom::external_models::normalized_string::NormalizedString;
use cyclonedx_bom::external_models::uri::Purl;
use cyclonedx_bom::models::bom::{Bom, UrnUuid};
use cyclonedx_bom::models::component::{Classification, Component, Components, Scope};
use cyclonedx_bom::models::hash::{Hash, HashAlgorithm, HashValue, Hashes};
use cyclonedx_bom::models::metadata::Metadata;
use cyclonedx_bom::models::property::{Properties, Property};
use cyclonedx_bom::models::tool::{Tool, Tools};
use futures_util::TryStreamExt as _;
use sha2::Digest as _;

use crate::fetch::normalize_project;
pub use declared::{CachedFile, Declared, Kind};
use found::{Found, Jar, hex};

/// The metadata property naming the image ID an SBOM describes.
pub const IMAGE_ID_PROPERTY: &str = "image-dsl:image-id";

/// Members of an unpacked archive smaller than this are not evidence: license files and empty
/// `__init__.py`s would match any image.
pub const MEMBER_MIN_BYTES: u64 = 1024;

/// How long reading one image's files may take.
pub const SCAN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// What one SBOM says, for the build's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Where it was written.
    pub path: PathBuf,
    /// Components the image holds, by kind: declared ones found there and undeclared ones.
    pub counts: BTreeMap<&'static str, usize>,
    /// Declared inputs that only a builder stage or a copied-from image used, and that are not
    /// in the image (listed in the SBOM with scope `excluded`).
    pub build_only: usize,
    /// Declared for the image's own filesystem and not found there (`name version: why`).
    pub missing: Vec<String>,
    /// Found in the image and declared nowhere (`kind name version`).
    pub undeclared: Vec<String>,
}

impl Summary {
    /// `425 in the image (deb 158, maven 254, python 13), 12 only to build; 0 declared but not
    /// found; 18 found but not declared`.
    pub fn line(&self) -> String {
        let total: usize = self.counts.values().sum();
        let kinds: Vec<String> = self
            .counts
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        format!(
            "{total} in the image ({}), {} only to build; {} declared but not found; {} found but not declared",
            kinds.join(", "),
            self.build_only,
            self.missing.len(),
            self.undeclared.len()
        )
    }
}

/// Errors while writing an SBOM.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// An engine call failed.
    #[error("the engine could not {step}: {source}")]
    Engine {
        /// What was being done.
        step: &'static str,
        /// The engine's error.
        source: bollard::errors::Error,
    },
    /// The exported filesystem could not be read.
    #[error("reading the image's files: {0}")]
    Read(String),
    /// Reading took longer than [`SCAN_TIMEOUT`].
    #[error("reading the image's files took more than {} s", SCAN_TIMEOUT.as_secs())]
    Timeout,
    /// The SBOM could not be written.
    #[error("writing {}: {message}", path.display())]
    Write {
        /// The SBOM's path.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// Whether `path` holds an SBOM of `image_id` (a cheap check: the ID is in the file). The
/// metadata comes first in the file, so its start is read, and the rest only when the start does
/// not name an image.
pub fn describes(path: &Path, image_id: &str) -> bool {
    use std::io::Read as _;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let needle = format!("\"{image_id}\"");
    let mut start = Vec::with_capacity(16 * 1024);
    if file.take(16 * 1024).read_to_end(&mut start).is_err() {
        return false;
    }
    let start = String::from_utf8_lossy(&start);
    if start.contains(IMAGE_ID_PROPERTY) {
        return start.contains(&needle);
    }
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(&needle))
}

/// The image ID an SBOM file describes, from its metadata.
pub fn image_id_of(path: &Path) -> Option<String> {
    described_image(&std::fs::read(path).ok()?).ok()
}

/// The image ID `json` (a CycloneDX document) says it describes: the `image-dsl:image-id`
/// property of its metadata.
pub fn described_image(json: &[u8]) -> Result<String, String> {
    let doc: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("it is not JSON: {e}"))?;
    doc.pointer("/metadata/properties")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .find(|p| p["name"] == IMAGE_ID_PROPERTY)
        .and_then(|p| p["value"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("its metadata has no `{IMAGE_ID_PROPERTY}` property"))
}

/// What [`write`] describes.
pub struct Subject<'a> {
    /// The image's reference, `name:tag`.
    pub reference: &'a str,
    /// The image's ID.
    pub image_id: &'a str,
    /// Its content hash.
    pub content_hash: &'a str,
    /// Its declared components ([`declared::declared`]).
    pub declared: Vec<Declared>,
    /// Where a declared input's fetched file is on the host.
    pub cached: CachedFile<'a>,
    /// Where listed archive members are kept between runs.
    pub cache_dir: Option<&'a Path>,
}

/// Reads the image's files through a container that never starts, joins them with the declared
/// components, and writes the SBOM to `path` (whole or not at all).
pub async fn write(
    docker: &Docker,
    subject: Subject<'_>,
    path: &Path,
) -> Result<Summary, SbomError> {
    let inputs = Inputs::of(&subject);
    let found = tokio::time::timeout(SCAN_TIMEOUT, read_image(docker, subject.image_id, &inputs))
        .await
        .map_err(|_| SbomError::Timeout)??;
    let (bom, summary) = compose(&subject, &inputs, &found);
    let mut json = Vec::new();
    bom.output_as_json_v1_5(&mut json)
        .map_err(|e| SbomError::Write {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    let written = (|| {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut file, &json)?;
        std::fs::set_permissions(
            file.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )?;
        file.persist(path).map_err(|e| e.error)?;
        Ok::<_, std::io::Error>(())
    })();
    written.map_err(|e| SbomError::Write {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    Ok(Summary {
        path: path.to_owned(),
        ..summary
    })
}

/// The declared inputs' files as evidence: their SHA-256 and size, and their members.
struct Inputs {
    /// By declared index: inputs whose file is not at hand here (a program compiled elsewhere,
    /// a download that failed), so their bytes and members could not be looked for.
    unchecked: HashSet<usize>,
    /// By declared index: (sha256, size) of the fetched file.
    bytes: HashMap<usize, (String, u64)>,
    /// By declared index: members (file name, size) of an archive.
    members: HashMap<usize, HashSet<(String, u64)>>,
}

impl Inputs {
    fn of(subject: &Subject<'_>) -> Inputs {
        let mut bytes = HashMap::new();
        let mut members = HashMap::new();
        let mut unchecked = HashSet::new();
        for (i, item) in subject.declared.iter().enumerate() {
            let Some(source) = &item.source else { continue };
            let Some(file) = (subject.cached)(source).filter(|f| f.is_file()) else {
                unchecked.insert(i);
                continue;
            };
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            let sha = match &source.checksum {
                crate::spec::Checksum::Sha256(hex) => Some(hex.to_ascii_lowercase()),
                _ => sha256_file(&file),
            };
            if let Some(sha) = sha {
                bytes.insert(i, (sha, meta.len()));
            }
            if let Some(list) = archive_members(&file, source, subject.cache_dir) {
                members.insert(i, list);
            }
        }
        Inputs {
            unchecked,
            bytes,
            members,
        }
    }

    fn sizes(&self) -> HashSet<u64> {
        self.bytes.values().map(|(_, size)| *size).collect()
    }
}

fn sha256_file(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Some(hex(&hasher.finalize()))
}

/// The members of an archive input (tar, tar.gz, zip, a git tree's tar), by file name and size;
/// kept under `cache_dir` by the input's key, since listing a large tarball takes seconds.
fn archive_members(
    file: &Path,
    source: &crate::spec::ArtifactSource,
    cache_dir: Option<&Path>,
) -> Option<HashSet<(String, u64)>> {
    let name = file.to_string_lossy().to_ascii_lowercase();
    let kind = if name.ends_with(".zip") || name.ends_with(".whl") {
        "zip"
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        "tgz"
    } else if name.ends_with(".tar") || matches!(source.locator, crate::spec::Locator::Git { .. }) {
        "tar"
    } else {
        // Go toolchain zips are cached without an extension.
        let mut magic = [0u8; 4];
        std::fs::File::open(file)
            .ok()?
            .read_exact(&mut magic)
            .ok()?;
        match magic {
            [b'P', b'K', 3, 4] => "zip",
            [0x1f, 0x8b, _, _] => "tgz",
            _ => return None,
        }
    };
    let cached = cache_dir.zip(source.key()).map(|(dir, key)| {
        dir.join("sbom-members").join(format!(
            "{}.json",
            &hex(&sha2::Sha256::digest(key.as_bytes()))[..32]
        ))
    });
    if let Some(list) = cached
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice::<Vec<(String, u64)>>(&b).ok())
    {
        return Some(list.into_iter().collect());
    }
    let mut list = Vec::new();
    let mut push = |path: &str, size: u64| {
        if size >= MEMBER_MIN_BYTES {
            let file_name = path.rsplit('/').next().unwrap_or(path).to_owned();
            list.push((file_name, size));
        }
    };
    let open = std::fs::File::open(file).ok()?;
    match kind {
        "zip" => {
            let mut zip = zip::ZipArchive::new(open).ok()?;
            for i in 0..zip.len() {
                let entry = zip.by_index_raw(i).ok()?;
                if entry.is_file() {
                    push(&entry.name().ok()?, entry.size());
                }
            }
        }
        _ => {
            let reader: Box<dyn std::io::Read> = if kind == "tgz" {
                Box::new(flate2::read::GzDecoder::new(std::io::BufReader::new(open)))
            } else {
                Box::new(std::io::BufReader::new(open))
            };
            let mut tar = tar::Archive::new(reader);
            for entry in tar.entries().ok()? {
                let entry = entry.ok()?;
                if entry.header().entry_type().is_file() {
                    let path = entry.path().ok()?.to_string_lossy().into_owned();
                    push(&path, entry.header().size().ok()?);
                }
            }
        }
    }
    list.sort();
    list.dedup();
    if let Some(cached) = cached {
        let _ = std::fs::create_dir_all(cached.parent().unwrap_or(Path::new(".")));
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(cached.parent()?)
            && std::io::Write::write_all(&mut tmp, &serde_json::to_vec(&list).ok()?).is_ok()
        {
            let _ = tmp.persist(&cached);
        }
    }
    Some(list.into_iter().collect())
}

/// The image's flattened filesystem through `GET /containers/{id}/export` of a created, never
/// started container (removed afterwards), read as it streams.
async fn read_image(docker: &Docker, image_id: &str, inputs: &Inputs) -> Result<Found, SbomError> {
    let engine = |step| move |source| SbomError::Engine { step, source };
    let body = ContainerCreateBody {
        image: Some(image_id.to_owned()),
        // Never started; a command lets images without one (`FROM scratch`) be created too.
        entrypoint: Some(vec!["/image-dsl-sbom".to_owned()]),
        cmd: Some(vec![]),
        network_disabled: Some(true),
        host_config: Some(HostConfig {
            network_mode: Some("none".to_owned()),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    };
    let container = docker
        .create_container(Some(CreateContainerOptionsBuilder::new().build()), body)
        .await
        .map_err(engine("create a container to read the image's files"))?
        .id;
    let sizes = inputs.sizes();
    let stream = docker
        .export_container(&container)
        .map_err(std::io::Error::other);
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let scanned = tokio::task::spawn_blocking(move || found::scan(reader, &sizes))
        .await
        .map_err(|e| SbomError::Read(e.to_string()))
        .and_then(|r| r.map_err(|e| SbomError::Read(e.to_string())));
    let _ = docker
        .remove_container(
            &container,
            Some(RemoveContainerOptionsBuilder::new().force(true).build()),
        )
        .await;
    scanned
}

/// How a declared component was found in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Evidence {
    /// Its own record, at this path.
    Record(String),
    /// Its own record, at another version.
    OtherVersion(String),
    /// Its exact bytes at these paths.
    Bytes(Vec<String>),
    /// This many of its archive's members (of so many).
    Unpacked(usize, usize),
    /// Its input is not at hand here, so only its own record could be looked for.
    Unchecked,
    None,
}

impl Evidence {
    fn found(&self) -> bool {
        matches!(
            self,
            Evidence::Record(_) | Evidence::Bytes(_) | Evidence::Unpacked(..)
        )
    }

    fn text(&self) -> String {
        match self {
            Evidence::Record(at) => at.clone(),
            Evidence::OtherVersion(v) => format!("another version: {v}"),
            Evidence::Bytes(paths) => format!("same bytes at {}", paths.join(", ")),
            Evidence::Unpacked(n, of) => format!("unpacked: {n} of its {of} files"),
            Evidence::Unchecked => "not checked: its input is not at hand here".to_owned(),
            Evidence::None => "no".to_owned(),
        }
    }
}

fn evidence(i: usize, item: &Declared, inputs: &Inputs, found: &Found) -> Evidence {
    let record = match item.kind {
        Kind::Deb => found.debs.get(&item.name).map(|(version, _)| {
            if *version == item.version {
                Evidence::Record("/var/lib/dpkg/status".to_owned())
            } else {
                Evidence::OtherVersion(version.clone())
            }
        }),
        Kind::Python => found
            .python
            .get(&normalize_project(&item.name))
            .map(|(_, version, at)| {
                if *version == item.version {
                    Evidence::Record(at.clone())
                } else {
                    Evidence::OtherVersion(version.clone())
                }
            }),
        Kind::Maven => found
            .jars
            .iter()
            .find(|j| {
                j.group == item.group
                    && j.name == item.name
                    && j.version.as_ref() == Some(&item.version)
            })
            .map(|j| Evidence::Record(j.path.clone())),
        Kind::Program | Kind::File => None,
    };
    if let Some(record @ Evidence::Record(_)) = &record {
        return record.clone();
    }
    if let Some(paths) = inputs
        .bytes
        .get(&i)
        .and_then(|(sha, _)| found.files_by_sha256.get(sha))
    {
        return Evidence::Bytes(paths.clone());
    }
    if let Some(members) = inputs.members.get(&i) {
        let n = members
            .iter()
            .filter(|m| found.names.contains_key(*m))
            .count();
        if n > 0 {
            return Evidence::Unpacked(n, members.len());
        }
    }
    match record {
        Some(record) => record,
        None if inputs.unchecked.contains(&i) => Evidence::Unchecked,
        None => Evidence::None,
    }
}

fn property(name: &str, value: &str) -> Property {
    Property::new(name, value)
}

fn component(
    classification: Classification,
    group: Option<&str>,
    name: &str,
    version: Option<&str>,
    bom_ref: String,
) -> Component {
    let mut component = Component::new(classification, name, version.unwrap_or(""), Some(bom_ref));
    if version.is_none() {
        component.version = None;
    }
    component.group = group.map(NormalizedString::new);
    component
}

fn classification(kind: Kind) -> Classification {
    match kind {
        Kind::Program => Classification::Application,
        Kind::File => Classification::File,
        _ => Classification::Library,
    }
}

/// The SBOM and its summary.
fn compose(subject: &Subject<'_>, inputs: &Inputs, found: &Found) -> (Bom, Summary) {
    let mut components = Vec::new();
    let mut summary = Summary::default();
    let count = |kind: Kind, summary: &mut Summary| {
        *summary.counts.entry(kind.word()).or_default() += 1;
    };
    let mut declared_debs = HashSet::new();
    let mut declared_python = HashSet::new();
    let mut accounted_jars: HashSet<String> = HashSet::new();
    for (i, item) in subject.declared.iter().enumerate() {
        let evidence = evidence(i, item, inputs, found);
        match item.kind {
            Kind::Deb => {
                declared_debs.insert(item.name.as_str());
            }
            Kind::Python => {
                declared_python.insert(normalize_project(&item.name));
            }
            _ => {}
        }
        match &evidence {
            Evidence::Record(at) => {
                accounted_jars.insert(at.clone());
            }
            Evidence::Bytes(paths) => accounted_jars.extend(paths.iter().cloned()),
            _ => {}
        }
        if evidence.found() {
            count(item.kind, &mut summary);
        } else if item.expected {
            summary.missing.push(format!(
                "{} ({}): {}",
                item.label(),
                item.kind.word(),
                evidence.text()
            ));
        } else {
            summary.build_only += 1;
        }
        let mut c = component(
            classification(item.kind),
            item.group.as_deref(),
            &item.name,
            Some(&item.version),
            format!("declared-{i}"),
        );
        c.purl = item.purl.as_deref().and_then(|p| p.parse::<Purl>().ok());
        if !item.hashes.is_empty() {
            c.hashes = Some(Hashes(
                item.hashes
                    .iter()
                    .map(|(alg, hex)| Hash {
                        alg: HashAlgorithm::new_unchecked(alg),
                        content: HashValue(hex.clone()),
                    })
                    .collect(),
            ));
        }
        c.scope = Some(if evidence.found() || item.expected {
            Scope::Required
        } else {
            Scope::Excluded
        });
        let mut props = vec![
            property("image-dsl:declared", "true"),
            property("image-dsl:declared-by", &item.declared_by),
            property(
                "image-dsl:expected",
                if item.expected {
                    "true"
                } else {
                    "false (a builder stage or a copied image)"
                },
            ),
            property("image-dsl:found", &evidence.text()),
        ];
        props.extend(item.properties.iter().map(|(k, v)| property(k, v)));
        c.properties = Some(Properties(props));
        components.push(c);
    }

    // Found but not declared: packages, distributions, jars no declared input accounts for.
    for (name, (version, arch)) in &found.debs {
        if declared_debs.contains(name.as_str()) {
            continue;
        }
        summary.undeclared.push(format!("deb {name} {version}"));
        count(Kind::Deb, &mut summary);
        let mut c = component(
            Classification::Library,
            None,
            name,
            Some(version),
            format!("found-deb-{name}"),
        );
        c.purl = purl_of("deb", Some("debian"), name, version, &[("arch", arch)]);
        c.properties = Some(Properties(vec![
            property("image-dsl:declared", "false"),
            property("image-dsl:found", "/var/lib/dpkg/status"),
        ]));
        components.push(c);
    }
    // A jar of a declared archive may be rewritten in the build (natives of other platforms
    // dropped): it is that archive's by its file name.
    let archive_names: HashMap<&str, u64> = inputs
        .members
        .values()
        .flatten()
        .map(|(name, size)| (name.as_str(), *size))
        .collect();
    for (key, (name, version, at)) in &found.python {
        if declared_python.contains(key) {
            continue;
        }
        summary.undeclared.push(format!("python {name} {version}"));
        count(Kind::Python, &mut summary);
        let mut c = component(
            Classification::Library,
            None,
            name,
            Some(version),
            format!("found-python-{key}"),
        );
        c.purl = purl_of("pypi", None, key, version, &[]);
        c.properties = Some(Properties(vec![
            property("image-dsl:declared", "false"),
            property("image-dsl:found", at),
        ]));
        components.push(c);
    }
    for (n, jar) in found.jars.iter().enumerate() {
        if accounted_jars.contains(&jar.path) {
            continue;
        }
        let file_name = jar.path.rsplit('/').next().unwrap_or_default();
        let from_archive = archive_names.get(file_name).map(|size| {
            if *size == jar.size {
                "in a declared archive"
            } else {
                "in a declared archive, changed in the build"
            }
        });
        count(Kind::Maven, &mut summary);
        if from_archive.is_none() {
            summary.undeclared.push(format!(
                "maven {} {}",
                jar.path,
                jar.version.as_deref().unwrap_or("?")
            ));
        }
        components.push(jar_component(n, jar, from_archive));
    }

    let mut image = component(
        Classification::Container,
        None,
        subject
            .reference
            .split(':')
            .next()
            .unwrap_or(subject.reference),
        Some(crate::spec::split_reference(subject.reference).1),
        "image".to_owned(),
    );
    image.hashes = None;
    let mut metadata = Metadata::new().unwrap_or_default();
    metadata.component = Some(image);
    metadata.tools = Some(Tools::List(vec![Tool {
        vendor: None,
        name: Some(NormalizedString::new("image-dsl")),
        version: Some(NormalizedString::new(env!("CARGO_PKG_VERSION"))),
        hashes: None,
        external_references: None,
    }]));
    metadata.properties = Some(Properties(vec![
        property(IMAGE_ID_PROPERTY, subject.image_id),
        property("image-dsl:content-hash", subject.content_hash),
        property("image-dsl:files", &found.files.to_string()),
        property("image-dsl:bytes", &found.bytes.to_string()),
    ]));
    let bom = Bom {
        serial_number: Some(UrnUuid::generate()),
        metadata: Some(metadata),
        components: Some(Components(components)),
        ..Bom::default()
    };
    (bom, summary)
}

fn jar_component(n: usize, jar: &Jar, from_archive: Option<&str>) -> Component {
    let mut c = component(
        Classification::Library,
        jar.group.as_deref(),
        &jar.name,
        jar.version.as_deref(),
        format!("found-jar-{n}"),
    );
    if let (Some(group), Some(version)) = (&jar.group, &jar.version) {
        c.purl = purl_of("maven", Some(group), &jar.name, version, &[("type", "jar")]);
    }
    c.hashes = Some(Hashes(vec![Hash {
        alg: HashAlgorithm::SHA_256,
        content: HashValue(jar.sha256.clone()),
    }]));
    c.properties = Some(Properties(vec![
        property("image-dsl:declared", from_archive.unwrap_or("false")),
        property("image-dsl:found", &jar.path),
        property("image-dsl:named-by", jar.named_by),
    ]));
    if !jar.shaded.is_empty() {
        c.components = Some(Components(
            jar.shaded
                .iter()
                .enumerate()
                .map(|(s, (g, a, v))| {
                    let mut shaded = component(
                        Classification::Library,
                        Some(g),
                        a,
                        Some(v),
                        format!("found-jar-{n}-{s}"),
                    );
                    shaded.purl = purl_of("maven", Some(g), a, v, &[("type", "jar")]);
                    shaded
                })
                .collect(),
        ));
    }
    c
}

fn purl_of(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> Option<Purl> {
    declared::purl(kind, namespace, name, version, qualifiers)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: Kind, name: &str, version: &str, expected: bool) -> Declared {
        Declared {
            kind,
            group: None,
            name: name.into(),
            version: version.into(),
            purl: None,
            hashes: vec![],
            properties: vec![],
            declared_by: "x:1".into(),
            expected,
            source: None,
        }
    }

    #[test]
    fn the_summary_names_what_is_missing_what_is_undeclared_and_what_only_built() {
        let mut found = Found::default();
        found
            .debs
            .insert("tini".into(), ("0.19".into(), "amd64".into()));
        found
            .debs
            .insert("zip".into(), ("3.1".into(), "amd64".into()));
        found
            .debs
            .insert("extra".into(), ("1".into(), "all".into()));
        found.python.insert(
            "py4j".into(),
            ("py4j".into(), "0.10".into(), "/v/py4j.dist-info".into()),
        );
        found.jars.push(Jar {
            path: "/opt/a/x-1.jar".into(),
            group: Some("g".into()),
            name: "x".into(),
            version: Some("1".into()),
            named_by: "pom.properties",
            sha256: "00".into(),
            size: 10,
            shaded: vec![("g".into(), "inner".into(), "2".into())],
        });
        let declared = vec![
            item(Kind::Deb, "tini", "0.19", true),
            // dpkg has 3.1: a different version is not the declared one
            item(Kind::Deb, "zip", "3.0", true),
            item(Kind::Python, "Py4J", "0.10", true),
            item(Kind::Deb, "make", "4.3", false),
            item(Kind::Python, "gone", "1.0", true),
        ];
        let subject = Subject {
            reference: "x:1",
            image_id: "sha256:ab",
            content_hash: "cd",
            declared,
            cached: &|_| None,
            cache_dir: None,
        };
        let inputs = Inputs {
            unchecked: HashSet::new(),
            bytes: HashMap::new(),
            members: HashMap::new(),
        };
        let (bom, summary) = compose(&subject, &inputs, &found);
        assert_eq!(
            summary.missing,
            vec![
                "zip 3.0 (deb): another version: 3.1".to_owned(),
                "gone 1.0 (python): no".to_owned()
            ]
        );
        assert_eq!(
            summary.undeclared,
            vec![
                "deb extra 1".to_owned(),
                "maven /opt/a/x-1.jar 1".to_owned()
            ]
        );
        assert_eq!(summary.build_only, 1);
        assert_eq!(
            summary.counts,
            BTreeMap::from([("deb", 2), ("maven", 1), ("python", 1)])
        );
        let mut json = Vec::new();
        bom.output_as_json_v1_5(&mut json).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["specVersion"], "1.5");
        let jar = value["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "x")
            .unwrap();
        assert_eq!(jar["purl"], "pkg:maven/g/x@1?type=jar");
        assert_eq!(
            jar["components"][0]["name"], "inner",
            "shaded artifacts nest"
        );
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), &json).unwrap();
        assert_eq!(image_id_of(tmp.path()).as_deref(), Some("sha256:ab"));
        assert!(describes(tmp.path(), "sha256:ab"));
        assert!(!describes(tmp.path(), "sha256:a"));
    }
}
