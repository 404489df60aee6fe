//! Deterministic build contexts and the content hash that decides whether an image is up to date.
//!
//! A context tar has its entries sorted by path, every parent directory listed, a fixed mtime,
//! uid/gid 0 and the modes the spec gives: the same inputs give the same bytes.
//!
//! The content hash is SHA-256 over the Dockerfile, the context and the parents' hashes. In the
//! hashed context an artifact stands as its pinned checksum rather than its bytes: the bytes are
//! verified against that checksum before any build, and a no-op run then needs no download.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::spec::{BuildSpec, Checksum};

/// The mtime of every entry: 1980-01-01, the earliest a zip (a wheel) can hold.
pub const FIXED_MTIME: u64 = 315_532_800;

/// Where the Dockerfile sits in every context.
pub const DOCKERFILE: &str = "Dockerfile";

/// A context that cannot be assembled.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// A context path is absolute, empty or climbs out with `..`.
    #[error(
        "{image}: context path `{path}` must be relative, non-empty and without `..`; fix the declaration"
    )]
    BadPath {
        /// The image reference.
        image: String,
        /// The offending path.
        path: String,
    },
    /// Two entries claim the same path (or one claims `Dockerfile`).
    #[error("{image}: context path `{path}` is used twice; give each file its own path")]
    Duplicate {
        /// The image reference.
        image: String,
        /// The duplicated path.
        path: String,
    },
    /// A fetched artifact is missing from the cache when the context is assembled.
    #[error("{image}: artifact for context path `{path}` was not fetched; run the build again")]
    NotFetched {
        /// The image reference.
        image: String,
        /// The artifact's context path.
        path: String,
    },
    /// Reading a cached artifact or writing the tar failed.
    #[error("{image}: cannot write the build context: {source}")]
    Io {
        /// The image reference.
        image: String,
        /// The I/O error.
        source: io::Error,
    },
}

/// What one context entry holds.
enum Contents<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
    Symlink(&'a str),
}

/// A file or symbolic link of a git source's tree, read from its `git archive` tar.
pub struct TreeEntry {
    /// Its path in the context.
    pub path: String,
    /// 0o644 or 0o755.
    pub mode: u32,
    /// Its bytes or link target.
    pub contents: TreeContents,
}

/// What a [`TreeEntry`] holds.
pub enum TreeContents {
    /// A regular file's bytes.
    Bytes(Vec<u8>),
    /// A symbolic link's target.
    Symlink(String),
}

/// The files and symbolic links of the tar at `archive`, under `prefix/` (directories are
/// implied by their contents; git has no empty ones).
pub fn tree_entries(prefix: &str, archive: &Path) -> io::Result<Vec<TreeEntry>> {
    let mut tar = tar::Archive::new(std::fs::File::open(archive)?);
    let mut out = Vec::new();
    for entry in tar.entries()? {
        let mut entry = entry?;
        let path = entry
            .path()?
            .to_string_lossy()
            .trim_end_matches('/')
            .to_owned();
        let contents = match entry.header().entry_type() {
            tar::EntryType::Regular => {
                let mut bytes = Vec::with_capacity(entry.size() as usize);
                entry.read_to_end(&mut bytes)?;
                TreeContents::Bytes(bytes)
            }
            tar::EntryType::Symlink => TreeContents::Symlink(
                entry
                    .link_name()?
                    .map(|l| l.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
            // Directories, and git archive's global header carrying the commit id.
            _ => continue,
        };
        out.push(TreeEntry {
            path: format!("{}/{path}", prefix.trim_end_matches('/')),
            // git tracks only these two; `git archive` widens them by its umask (0664/0775).
            mode: if entry.header().mode()? & 0o111 == 0 {
                0o644
            } else {
                0o755
            },
            contents,
        });
    }
    Ok(out)
}

struct Entry<'a> {
    mode: u32,
    contents: Contents<'a>,
}

/// Writes the deterministic tar of `spec`'s context to `out`; `artifact_file` maps an artifact's
/// context path to its verified file in the cache.
pub fn write_context_tar<W: Write>(
    spec: &BuildSpec,
    artifact_file: &dyn Fn(&str) -> Option<PathBuf>,
    out: W,
) -> Result<W, ContextError> {
    let artifact_paths: Vec<(String, PathBuf)> = spec
        .artifacts
        .iter()
        .map(|artifact| {
            artifact_file(&artifact.path)
                .map(|file| (artifact.path.clone(), file))
                .ok_or_else(|| ContextError::NotFetched {
                    image: spec.reference.clone(),
                    path: artifact.path.clone(),
                })
        })
        .collect::<Result<_, _>>()?;
    let is_tree = |path: &str| {
        spec.artifacts
            .iter()
            .any(|a| a.path == path && matches!(a.source.checksum, Checksum::GitCommit(_)))
    };
    let trees: Vec<TreeEntry> = artifact_paths
        .iter()
        .filter(|(path, _)| is_tree(path))
        .map(|(path, archive)| tree_entries(path, archive))
        .collect::<io::Result<Vec<_>>>()
        .map_err(|source| ContextError::Io {
            image: spec.reference.clone(),
            source,
        })?
        .into_iter()
        .flatten()
        .collect();
    let mut entries = files_of(spec)?;
    let mode_of = |path: &str| {
        spec.artifacts
            .iter()
            .find(|a| a.path == path)
            .map_or(0o644, |a| a.source.context_mode())
    };
    for (path, file) in artifact_paths.iter().filter(|(path, _)| !is_tree(path)) {
        let mode = mode_of(path);
        insert(&mut entries, spec, path, mode, Contents::File(file))?;
    }
    for tree in &trees {
        let contents = match &tree.contents {
            TreeContents::Bytes(bytes) => Contents::Bytes(bytes),
            TreeContents::Symlink(target) => Contents::Symlink(target),
        };
        insert(&mut entries, spec, &tree.path, tree.mode, contents)?;
    }
    write_tar(&spec.reference, &entries, out)
}

/// The tar of `spec`'s context as it is hashed: artifacts stand as their keys (a download's
/// pinned checksum, a program's whole recipe).
pub fn hashed_context_tar(spec: &BuildSpec) -> Result<Vec<u8>, ContextError> {
    let stand_ins: Vec<(String, Vec<u8>)> = spec
        .artifacts
        .iter()
        .map(|artifact| {
            let pinned = artifact.source.key().unwrap_or_else(|| "unverified".into());
            (artifact.path.clone(), format!("{pinned}\n").into_bytes())
        })
        .collect();
    let mut entries = files_of(spec)?;
    for (path, bytes) in &stand_ins {
        insert(&mut entries, spec, path, 0o644, Contents::Bytes(bytes))?;
    }
    write_tar(&spec.reference, &entries, Vec::new())
}

/// The content hash of `spec` (hex SHA-256) given the content hashes of what it builds on.
pub fn content_hash(spec: &BuildSpec, parent_hashes: &[String]) -> Result<String, ContextError> {
    let tar = hashed_context_tar(spec)?;
    let mut parents = parent_hashes.to_vec();
    parents.sort();
    let mut hasher = Sha256::new();
    hasher.update(b"image-dsl content hash v1\n");
    for part in [spec.dockerfile.as_bytes(), &Sha256::digest(&tar)[..]] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    for parent in &parents {
        hasher.update((parent.len() as u64).to_le_bytes());
        hasher.update(parent.as_bytes());
    }
    Ok(hex(&hasher.finalize()))
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The Dockerfile and the spec's plain files, keyed (and so sorted) by path.
fn files_of(spec: &BuildSpec) -> Result<BTreeMap<String, Entry<'_>>, ContextError> {
    let mut entries = BTreeMap::new();
    insert(
        &mut entries,
        spec,
        DOCKERFILE,
        0o644,
        Contents::Bytes(spec.dockerfile.as_bytes()),
    )?;
    for file in &spec.files {
        insert(
            &mut entries,
            spec,
            &file.path,
            file.mode,
            Contents::Bytes(&file.contents),
        )?;
    }
    Ok(entries)
}

fn insert<'a>(
    entries: &mut BTreeMap<String, Entry<'a>>,
    spec: &BuildSpec,
    path: &str,
    mode: u32,
    contents: Contents<'a>,
) -> Result<(), ContextError> {
    let clean = path.trim_start_matches("./");
    let valid = !clean.is_empty()
        && !clean.starts_with('/')
        && clean
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if !valid {
        return Err(ContextError::BadPath {
            image: spec.reference.clone(),
            path: path.to_owned(),
        });
    }
    let entry = Entry { mode, contents };
    if entries.insert(clean.to_owned(), entry).is_some() {
        return Err(ContextError::Duplicate {
            image: spec.reference.clone(),
            path: path.to_owned(),
        });
    }
    Ok(())
}

fn write_tar<W: Write>(
    image: &str,
    entries: &BTreeMap<String, Entry<'_>>,
    out: W,
) -> Result<W, ContextError> {
    let io_error = |source| ContextError::Io {
        image: image.to_owned(),
        source,
    };
    // Every parent directory once, so the tar does not depend on how an extractor creates them.
    let mut all: BTreeMap<String, Option<&Entry<'_>>> = BTreeMap::new();
    for (path, entry) in entries {
        let mut dir = path.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            all.entry(format!("{parent}/")).or_insert(None);
            dir = parent;
        }
        all.insert(path.clone(), Some(entry));
    }
    let mut builder = tar::Builder::new(out);
    builder.mode(tar::HeaderMode::Deterministic);
    for (path, entry) in all {
        let mut header = tar::Header::new_gnu();
        header.set_mtime(FIXED_MTIME);
        header.set_uid(0);
        header.set_gid(0);
        match entry {
            None => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                builder
                    .append_data(&mut header, &path, io::empty())
                    .map_err(io_error)?;
            }
            Some(entry) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(entry.mode & 0o7777);
                match &entry.contents {
                    Contents::Symlink(target) => {
                        header.set_entry_type(tar::EntryType::Symlink);
                        header.set_mode(0o777);
                        header.set_size(0);
                        builder
                            .append_link(&mut header, &path, target)
                            .map_err(io_error)?;
                    }
                    Contents::Bytes(bytes) => {
                        header.set_size(bytes.len() as u64);
                        builder
                            .append_data(&mut header, &path, *bytes)
                            .map_err(io_error)?;
                    }
                    Contents::File(file) => {
                        let handle = std::fs::File::open(file).map_err(io_error)?;
                        let len = handle.metadata().map_err(io_error)?.len();
                        header.set_size(len);
                        builder
                            .append_data(&mut header, &path, handle.take(len))
                            .map_err(io_error)?;
                    }
                }
            }
        }
    }
    builder.into_inner().map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ArtifactSource, Checksum, ContextArtifact, ContextFile, Locator};

    fn spec() -> BuildSpec {
        BuildSpec {
            reference: "t:1".into(),
            dockerfile: "FROM scratch\nCOPY b/a /\n".into(),
            files: vec![
                ContextFile {
                    path: "z".into(),
                    contents: b"z".to_vec(),
                    mode: 0o755,
                },
                ContextFile {
                    path: "b/a".into(),
                    contents: b"a".to_vec(),
                    mode: 0o644,
                },
            ],
            artifacts: vec![ContextArtifact {
                path: "lib/x.jar".into(),
                source: ArtifactSource {
                    name: "x".into(),
                    version: "1".into(),
                    locator: Locator::Urls(vec![]),
                    checksum: Checksum::Sha256("ab".into()),
                },
            }],
            parents: vec![],
            needs_base: None,
            budget_bytes: 1,
            apt: vec![],
        }
    }

    #[test]
    fn entries_are_sorted_with_their_directories_and_fixed_metadata() {
        let tar = hashed_context_tar(&spec()).unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let names: Vec<(String, u32, u64, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().display().to_string(),
                    h.mode().unwrap(),
                    h.mtime().unwrap(),
                    h.uid().unwrap(),
                )
            })
            .collect();
        let paths: Vec<&str> = names.iter().map(|n| n.0.as_str()).collect();
        assert_eq!(paths, ["Dockerfile", "b/", "b/a", "lib/", "lib/x.jar", "z"]);
        assert!(names.iter().all(|n| n.2 == FIXED_MTIME && n.3 == 0));
        assert_eq!(names[5].1, 0o755);
    }

    #[test]
    fn same_inputs_give_same_bytes_and_hash_whatever_the_declaration_order() {
        let a = spec();
        let mut b = spec();
        b.files.reverse();
        assert_eq!(
            hashed_context_tar(&a).unwrap(),
            hashed_context_tar(&b).unwrap()
        );
        assert_eq!(
            content_hash(&a, &["p".into(), "q".into()]).unwrap(),
            content_hash(&b, &["q".into(), "p".into()]).unwrap()
        );
    }

    #[test]
    fn any_input_changes_the_hash() {
        let base = content_hash(&spec(), &[]).unwrap();
        let mut mode = spec();
        mode.files[0].mode = 0o644;
        let mut pin = spec();
        pin.artifacts[0].source.checksum = Checksum::Sha256("cd".into());
        let mut dockerfile = spec();
        dockerfile.dockerfile.push('\n');
        for changed in [mode, pin, dockerfile] {
            assert_ne!(content_hash(&changed, &[]).unwrap(), base);
        }
        assert_ne!(content_hash(&spec(), &["parent".into()]).unwrap(), base);
    }

    #[test]
    fn escaping_and_duplicate_paths_are_refused() {
        let mut escaping = spec();
        escaping.files[0].path = "../etc/passwd".into();
        assert!(matches!(
            hashed_context_tar(&escaping),
            Err(ContextError::BadPath { .. })
        ));
        let mut duplicate = spec();
        duplicate.files[0].path = "Dockerfile".into();
        assert!(matches!(
            hashed_context_tar(&duplicate),
            Err(ContextError::Duplicate { .. })
        ));
    }
}
