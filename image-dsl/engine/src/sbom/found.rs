//! What a built image really holds, read from its flattened filesystem (the tar stream of
//! `GET /containers/{id}/export` of a container that never starts): dpkg's status database,
//! Python's `*.dist-info/METADATA`, and every jar's `pom.properties` and manifest. Nothing runs
//! inside the image, so images without a shell (data-only layers `FROM scratch`) are read alike.
//!
//! Formats are read by their maintained crates: `deb822-fast` (dpkg status), `python-pkginfo`
//! (core metadata), `zip` and `java-properties` (jars). A jar's `MANIFEST.MF` main section is read
//! here: its only rule beyond `Name: value` is that a line starting with a space continues the
//! previous one, and no maintained crate reads it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use deb822_fast::Deb822;
use sha2::Digest as _;

use crate::fetch::normalize_project;

/// A jar's own identity, from its `pom.properties` or manifest or, failing both, its file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jar {
    /// Where it is in the image, e.g. `/opt/spark/jars/spark-core_2.12-3.5.8.jar`.
    pub path: String,
    /// Maven group, when a `pom.properties` named it.
    pub group: Option<String>,
    /// Artifact id, bundle name or the file name's stem.
    pub name: String,
    /// Its version, when anything names one.
    pub version: Option<String>,
    /// What named it: `pom.properties`, `manifest` or `file name`.
    pub named_by: &'static str,
    /// Its SHA-256.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Other artifacts shaded into it, each `(group, artifact, version)` of a `pom.properties`.
    pub shaded: Vec<(String, String, String)>,
}

/// Everything the image holds that names a package, plus the hashes of files that might be
/// declared inputs.
#[derive(Debug, Default)]
pub struct Found {
    /// dpkg's installed packages: name → (version, architecture).
    pub debs: BTreeMap<String, (String, String)>,
    /// Python distributions by normalized name: (name as published, version, dist-info path).
    pub python: BTreeMap<String, (String, String, String)>,
    /// Every jar, by path.
    pub jars: Vec<Jar>,
    /// Files whose size is one of `wanted_sizes`, by SHA-256: their paths.
    pub files_by_sha256: HashMap<String, Vec<String>>,
    /// Every regular file by `(file name, size)`: how many there are (for unpacked archives).
    pub names: HashMap<(String, u64), usize>,
    /// Regular files read, and their bytes.
    pub files: u64,
    /// The regular files' bytes.
    pub bytes: u64,
}

/// Reads an exported filesystem. Files whose size is in `wanted_sizes` are hashed.
pub fn scan(export: impl Read, wanted_sizes: &HashSet<u64>) -> std::io::Result<Found> {
    let mut found = Found::default();
    let mut archive = tar::Archive::new(export);
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path()?.to_string_lossy().into_owned();
        let path = format!("/{}", path.trim_start_matches("./").trim_start_matches('/'));
        let size = entry.header().size()?;
        found.files += 1;
        found.bytes += size;
        let file_name = path.rsplit('/').next().unwrap_or_default().to_owned();
        *found.names.entry((file_name.clone(), size)).or_default() += 1;

        let is_jar = file_name.ends_with(".jar");
        let is_status =
            path == "/var/lib/dpkg/status" || path.starts_with("/var/lib/dpkg/status.d/");
        let is_metadata = path.ends_with(".dist-info/METADATA");
        let wanted = wanted_sizes.contains(&size);
        if !(is_jar || is_status || is_metadata || wanted) {
            continue;
        }
        let mut bytes = Vec::with_capacity(size as usize);
        entry.read_to_end(&mut bytes)?;
        let sha256 = (wanted || is_jar).then(|| hex(&sha2::Sha256::digest(&bytes)));
        if let (true, Some(sha)) = (wanted, &sha256) {
            found
                .files_by_sha256
                .entry(sha.clone())
                .or_default()
                .push(path.clone());
        }
        if is_status {
            read_status(&bytes, &mut found.debs);
        } else if is_metadata {
            if let Ok(meta) = python_pkginfo::Metadata::parse(&bytes) {
                let dir = path.trim_end_matches("/METADATA").to_owned();
                found.python.insert(
                    normalize_project(&meta.name),
                    (meta.name, meta.version, dir),
                );
            }
        } else if is_jar {
            found.jars.push(read_jar(
                &path,
                &file_name,
                bytes,
                sha256.unwrap_or_default(),
            ));
        }
    }
    found.jars.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// dpkg's status paragraphs of installed packages.
fn read_status(bytes: &[u8], debs: &mut BTreeMap<String, (String, String)>) {
    for paragraph in Deb822::iter_paragraphs_from_reader(bytes) {
        let Ok(paragraph) = paragraph else { continue };
        let field = |name: &str| paragraph.get(name).map(|v| v.trim().to_owned());
        let installed = field("Status").is_some_and(|s| s.ends_with(" installed"));
        if let (true, Some(name), Some(version)) = (installed, field("Package"), field("Version")) {
            let arch = field("Architecture").unwrap_or_default();
            debs.insert(name, (version, arch));
        }
    }
}

/// A jar's identity: the `pom.properties` whose artifact the file name starts with (the others
/// are shaded in), else the manifest's bundle or implementation name, else the file name.
fn read_jar(path: &str, file_name: &str, bytes: Vec<u8>, sha256: String) -> Jar {
    let size = bytes.len() as u64;
    let stem = file_name.trim_end_matches(".jar");
    let mut poms = Vec::new();
    let mut manifest = BTreeMap::new();
    if let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        let names: Vec<String> = zip
            .file_names()
            .filter_map(Result::ok)
            .filter(|n| {
                (n.starts_with("META-INF/maven/") && n.ends_with("/pom.properties"))
                    || n == "META-INF/MANIFEST.MF"
            })
            .map(|n| n.into_owned())
            .collect();
        for name in names {
            let mut text = Vec::new();
            if zip
                .by_name(&name)
                .and_then(|mut f| Ok(f.read_to_end(&mut text)?))
                .is_err()
            {
                continue;
            }
            if name == "META-INF/MANIFEST.MF" {
                manifest = manifest_main(&String::from_utf8_lossy(&text));
            } else if let Ok(props) = java_properties::read(text.as_slice())
                && let (Some(g), Some(a), Some(v)) = (
                    props.get("groupId"),
                    props.get("artifactId"),
                    props.get("version"),
                )
            {
                poms.push((g.clone(), a.clone(), v.clone()));
            }
        }
    }
    poms.sort();
    let own = poms
        .iter()
        .position(|(_, a, v)| stem == format!("{a}-{v}") || stem.starts_with(&format!("{a}-{v}-")))
        .or_else(|| (poms.len() == 1).then_some(0));
    if let Some(own) = own {
        let (group, name, version) = poms.remove(own);
        return Jar {
            path: path.to_owned(),
            group: Some(group),
            name,
            version: Some(version),
            named_by: "pom.properties",
            sha256,
            size,
            shaded: poms,
        };
    }
    let from_manifest = manifest
        .get("Bundle-SymbolicName")
        .map(|n| n.split(';').next().unwrap_or(n).trim().to_owned())
        .zip(manifest.get("Bundle-Version"))
        .or_else(|| {
            manifest
                .get("Implementation-Title")
                .cloned()
                .zip(manifest.get("Implementation-Version"))
        });
    let (name, version, named_by) = match from_manifest {
        Some((name, version)) => (name, Some(version.clone()), "manifest"),
        None => {
            let (name, version) = split_file_name(stem);
            (name, version, "file name")
        }
    };
    Jar {
        path: path.to_owned(),
        group: None,
        name,
        version,
        named_by,
        sha256,
        size,
        shaded: poms,
    }
}

/// `scala-library-2.12.18` → (`scala-library`, `2.12.18`): the version starts at the first
/// `-` followed by a digit.
fn split_file_name(stem: &str) -> (String, Option<String>) {
    let at = stem
        .char_indices()
        .find(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
    match at {
        Some((i, _)) => (stem[..i].to_owned(), Some(stem[i + 1..].to_owned())),
        None => (stem.to_owned(), None),
    }
}

/// The main section of a jar manifest: `Name: value` lines up to the first blank line, a line
/// starting with one space continuing the previous value.
fn manifest_main(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some(value) = last.as_ref().and_then(|k| out.get_mut(k)) {
                let value: &mut String = value;
                value.push_str(more);
            }
        } else if let Some((key, value)) = line.split_once(": ") {
            out.insert(key.to_owned(), value.to_owned());
            last = Some(key.to_owned());
        }
    }
    out
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jar(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        for (name, text) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        out.into_inner()
    }

    fn export(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, path, bytes.as_slice())
                .unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn packages_distributions_and_jars_are_named_from_their_own_records() {
        let status = "Package: tini\nStatus: install ok installed\nArchitecture: amd64\nVersion: 0.19.0-1+b3\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n";
        let metadata = "Metadata-Version: 2.1\nName: Py4J\nVersion: 0.10.9.7\n";
        let spark = jar(&[
            (
                "META-INF/maven/org.eclipse.jetty/jetty-util/pom.properties",
                "groupId=org.eclipse.jetty\nartifactId=jetty-util\nversion=9.4.56\n",
            ),
            (
                "META-INF/maven/org.apache.spark/spark-core_2.12/pom.properties",
                "#Created by Maven\ngroupId=org.apache.spark\nartifactId=spark-core_2.12\nversion=3.5.8\n",
            ),
        ]);
        let scala = jar(&[(
            "META-INF/MANIFEST.MF",
            "Manifest-Version: 1.0\r\nBundle-SymbolicName: org.scala-lang.scala-\r\n library;singleton:=true\r\nBundle-Version: 2.12.18\r\n\r\nName: x\r\nBundle-Version: 9\r\n",
        )]);
        let tarball = export(&[
            ("var/lib/dpkg/status", status.as_bytes().to_vec()),
            (
                "opt/venv/lib/python3.11/site-packages/py4j-0.10.9.7.dist-info/METADATA",
                metadata.as_bytes().to_vec(),
            ),
            ("opt/spark/jars/spark-core_2.12-3.5.8.jar", spark),
            ("opt/spark/jars/scala-library-2.12.18.jar", scala),
            ("opt/spark/jars/plain-1.2.jar", b"not a zip".to_vec()),
            ("opt/x/tool", b"12345".to_vec()),
        ]);
        let found = scan(tarball.as_slice(), &HashSet::from([5])).unwrap();

        assert_eq!(
            found.debs.into_iter().collect::<Vec<_>>(),
            vec![("tini".into(), ("0.19.0-1+b3".into(), "amd64".into()))]
        );
        assert_eq!(found.python["py4j"].1, "0.10.9.7");
        let by_path: BTreeMap<&str, &Jar> =
            found.jars.iter().map(|j| (j.path.as_str(), j)).collect();
        let core = by_path["/opt/spark/jars/spark-core_2.12-3.5.8.jar"];
        assert_eq!(
            (core.group.as_deref(), core.name.as_str(), core.named_by),
            (
                Some("org.apache.spark"),
                "spark-core_2.12",
                "pom.properties"
            )
        );
        assert_eq!(core.shaded.len(), 1, "jetty is shaded into spark-core");
        let scala = by_path["/opt/spark/jars/scala-library-2.12.18.jar"];
        assert_eq!(
            (scala.name.as_str(), scala.version.as_deref()),
            ("org.scala-lang.scala-library", Some("2.12.18"))
        );
        let plain = by_path["/opt/spark/jars/plain-1.2.jar"];
        assert_eq!(
            (
                plain.name.as_str(),
                plain.version.as_deref(),
                plain.named_by
            ),
            ("plain", Some("1.2"), "file name")
        );
        let tool_sha = hex(&sha2::Sha256::digest(b"12345"));
        assert_eq!(found.files_by_sha256[&tool_sha], vec!["/opt/x/tool"]);
        assert_eq!(found.names[&("tool".to_owned(), 5)], 1);
        assert_eq!(found.files, 6);
    }

    #[test]
    fn python_names_are_compared_normalized() {
        assert_eq!(normalize_project("Py4J"), "py4j");
        assert_eq!(normalize_project("typing_extensions"), "typing-extensions");
        assert_eq!(normalize_project("zope.__interface"), "zope-interface");
    }
}
