//! `[artifact]` pins: each fetched through the configured mirrors into the verified cache (the
//! same sources and cache as a build), its pinned checksum verified or, for an `unverified`
//! entry, recorded. Checksums are sha256, except Apache archive tarballs: sha512, as Apache
//! publishes them. A Maven artifact is also cross-checked against the `.sha1` file its
//! repository publishes.

use image_dsl::pinfile::{self, PinFile};
use image_dsl::policy::{POLICY_FILE, PolicyFile};
use toml_edit::{DocumentMut, Item, Key, value};

use super::{Change, LockReport, Problem, Unverified};
use crate::catalog::{maven_locator, url_locator};
use crate::engine::fetch::{FetchError, Fetcher, Problem as FetchProblem, hash_file};
use crate::engine::{ArtifactSource, Checksum, Locator};

/// One `[artifact."KEY"]` entry as the lock sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactEntry {
    /// The key, e.g. `pyspark-3.5.7`.
    pub key: String,
    /// Its version.
    pub version: String,
    /// Where it is fetched from, as a build would.
    pub locator: Locator,
    /// Its pinned checksum, or why it has none.
    pub checksum: Checksum,
}

impl ArtifactEntry {
    fn source(&self) -> ArtifactSource {
        ArtifactSource {
            name: self.key.clone(),
            version: self.version.clone(),
            locator: self.locator.clone(),
            checksum: self.checksum.clone(),
        }
    }
}

/// What fetching one artifact showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactCheck {
    /// The bytes match the pinned checksum.
    Verified,
    /// The checksum to pin from now on (the entry was unverified, or the algorithm changes).
    Recorded(Checksum),
    /// No source could be reached or had the file; the entry stays as it is.
    Unreachable(String),
    /// A source served other bytes than the pin says.
    Mismatch {
        /// Where the bytes came from.
        url: String,
        /// The pinned checksum, `algorithm:hex`.
        pinned: String,
        /// What they hash to, `algorithm:hex`.
        actual: String,
    },
    /// The cache could not be used.
    Failed(String),
    /// The bytes are right, but the policy file says otherwise about them.
    Disagrees(String),
}

/// The `[artifact]` entries of `pins` that are downloaded, in file order. Programs built on the
/// host (`go`, `crate`) are left out: their sources are verified when they are built, against
/// go.sum's hash and the checksum database or the registry index.
pub fn pins(pins: &PinFile) -> Vec<ArtifactEntry> {
    pins.artifact
        .in_file_order()
        .into_iter()
        .filter_map(|(key, pin)| {
            let version = pin.version.get_ref().clone();
            let locator = match &pin.source {
                pinfile::ArtifactSource::Url(url) => url_locator(url.get_ref()),
                pinfile::ArtifactSource::Maven(m) => {
                    maven_locator(&m.group, &m.artifact, &version, &m.classifier)
                }
                pinfile::ArtifactSource::Go(_) | pinfile::ArtifactSource::Crate(_) => return None,
            };
            let checksum = match &pin.checksum {
                pinfile::ArtifactChecksum::Sha256(hex) => Checksum::Sha256(hex.get_ref().clone()),
                pinfile::ArtifactChecksum::Sha512(hex) => Checksum::Sha512(hex.get_ref().clone()),
                pinfile::ArtifactChecksum::GoModule(h1) => Checksum::GoModule(h1.get_ref().clone()),
                pinfile::ArtifactChecksum::Unverified(why) => {
                    Checksum::Unverified(why.get_ref().clone())
                }
            };
            Some(ArtifactEntry {
                key: key.get_ref().clone(),
                version,
                locator,
                checksum,
            })
        })
        .collect()
}

/// The algorithm an artifact's checksum is recorded with: sha512 for Apache archive files,
/// sha256 for the rest (the digest inside is empty).
pub fn preferred_algorithm(locator: &Locator) -> Checksum {
    match locator {
        Locator::Apache { .. } => Checksum::Sha512(String::new()),
        _ => Checksum::Sha256(String::new()),
    }
}

/// Checks every entry at once (downloads run in parallel; cached files are only hashed).
pub async fn check_all(
    fetcher: &Fetcher,
    entries: &[ArtifactEntry],
    policy: &PolicyFile,
) -> Vec<ArtifactCheck> {
    futures_util::future::join_all(entries.iter().map(|e| check(fetcher, e, policy))).await
}

/// Fetches `entry` and compares or records its checksum (a RAPIDS jar's shims against `policy`).
pub async fn check(fetcher: &Fetcher, entry: &ArtifactEntry, policy: &PolicyFile) -> ArtifactCheck {
    let preferred = preferred_algorithm(&entry.locator);
    if let Checksum::Unverified(_) = entry.checksum {
        return match fetcher.fetch_unpinned(&entry.source(), &preferred).await {
            Ok((checksum, path)) => match cross_check(fetcher, entry, &path).await {
                Some(problem) => problem,
                None => match support_list(entry, &path, policy).await {
                    Some(problem) => problem,
                    None => ArtifactCheck::Recorded(checksum),
                },
            },
            Err(e) => failure(e),
        };
    }
    let path = match fetcher.fetch(&entry.source()).await {
        Ok(path) => path,
        Err(e) => return failure(e),
    };
    if let Some(problem) = cross_check(fetcher, entry, &path).await {
        return problem;
    }
    if let Some(problem) = support_list(entry, &path, policy).await {
        return problem;
    }
    // A verified Apache tarball pinned by sha256 (from a third party) gets Apache's sha512.
    // Other verified checksums stay: another algorithm of the same bytes adds nothing.
    if matches!(
        (&preferred, &entry.checksum),
        (Checksum::Sha512(_), Checksum::Sha256(_))
    ) {
        let rehash = tokio::task::spawn_blocking(move || hash_file(&path, &preferred)).await;
        return match rehash {
            Ok(Ok(digest)) => ArtifactCheck::Recorded(Checksum::Sha512(
                digest.trim_start_matches("sha512:").to_owned(),
            )),
            Ok(Err(e)) => ArtifactCheck::Failed(format!("hashing the cached file failed: {e}")),
            Err(e) => ArtifactCheck::Failed(format!("hashing the cached file failed: {e}")),
        };
    }
    ArtifactCheck::Verified
}

/// A Maven artifact's bytes against the `.sha1` its repository publishes beside it (Maven Central
/// has one for every file): `None` when they agree or the artifact is not a Maven one. A missing
/// checksum file leaves the entry unverified rather than trusting bytes nobody vouched for.
async fn cross_check(
    fetcher: &Fetcher,
    entry: &ArtifactEntry,
    path: &std::path::Path,
) -> Option<ArtifactCheck> {
    let Locator::Maven(coords) = &entry.locator else {
        return None;
    };
    let url = format!(
        "{}/{}.sha1",
        fetcher.settings().maven_mirror,
        coords.repository_path()
    );
    let published = match fetcher.get_small(&url).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase(),
        Err(reason) => {
            return Some(ArtifactCheck::Unreachable(format!(
                "no published checksum to cross-check: {}",
                super::unreachable_reason(&url, &reason)
            )));
        }
    };
    let file = path.to_owned();
    let actual = tokio::task::spawn_blocking(move || {
        use sha1::Digest as _;
        use std::io::Read as _;
        let mut hasher = sha1::Sha1::new();
        let mut reader = std::fs::File::open(&file)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok::<_, std::io::Error>(crate::engine::context::hex(&hasher.finalize()))
    })
    .await;
    match actual {
        Ok(Ok(actual)) if actual == published => None,
        Ok(Ok(actual)) => Some(ArtifactCheck::Mismatch {
            url,
            pinned: format!("sha1:{published} (published)"),
            actual: format!("sha1:{actual}"),
        }),
        Ok(Err(e)) => Some(ArtifactCheck::Failed(format!(
            "hashing the cached file failed: {e}"
        ))),
        Err(e) => Some(ArtifactCheck::Failed(format!(
            "hashing the cached file failed: {e}"
        ))),
    }
}

/// A RAPIDS jar (`rapids-4-spark_<scala>`) against its release's `spark` list in the policy
/// file: the Apache Spark releases it has a shim for (`spark411/` is 4.1.1; vendor shims such as
/// `spark330db` are not releases) must be exactly the list's. `None` for other artifacts.
async fn support_list(
    entry: &ArtifactEntry,
    path: &std::path::Path,
    policy: &PolicyFile,
) -> Option<ArtifactCheck> {
    let scala = entry.key.strip_prefix("rapids-4-spark_")?.to_owned();
    let file = path.to_owned();
    let shims = tokio::task::spawn_blocking(move || rapids_shims(&file)).await;
    let shims = match shims {
        Ok(Ok(shims)) => shims,
        Ok(Err(e)) => {
            return Some(ArtifactCheck::Failed(format!(
                "reading the jar's shims: {e}"
            )));
        }
        Err(e) => {
            return Some(ArtifactCheck::Failed(format!(
                "reading the jar's shims: {e}"
            )));
        }
    };
    let listed: Vec<String> = policy
        .rapids_for(&scala)
        .map(|r| r.spark.iter().map(|v| v.0.to_string()).collect())
        .unwrap_or_default();
    let listed: Vec<&str> = listed.iter().map(String::as_str).collect();
    shim_disagreement(&scala, &entry.version, &shims, &listed).map(ArtifactCheck::Disagrees)
}

/// The Apache Spark releases a RAPIDS jar carries a shim for, sorted.
pub fn rapids_shims(jar: &std::path::Path) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(jar).map_err(|e| e.to_string())?;
    let archive = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    let mut shims: Vec<String> = archive
        .file_names()
        .filter_map(|name| {
            let name = name.ok()?;
            let top = name.split('/').next()?.strip_prefix("spark")?;
            let digits: Vec<char> = top.chars().collect();
            (digits.len() == 3 && digits.iter().all(char::is_ascii_digit))
                .then(|| format!("{}.{}.{}", digits[0], digits[1], digits[2]))
        })
        .collect();
    shims.sort();
    shims.dedup();
    Ok(shims)
}

/// What differs between a jar's shims and the policy's list, as the error says it.
pub fn shim_disagreement(
    scala: &str,
    version: &str,
    shims: &[String],
    listed: &[&str],
) -> Option<String> {
    let unlisted: Vec<&str> = shims
        .iter()
        .map(String::as_str)
        .filter(|s| !listed.contains(s))
        .collect();
    let missing: Vec<&str> = listed
        .iter()
        .copied()
        .filter(|l| !shims.iter().any(|s| s == l))
        .collect();
    if unlisted.is_empty() && missing.is_empty() {
        return None;
    }
    let mut why = Vec::new();
    if !missing.is_empty() {
        why.push(format!("it has no shim for {}", missing.join(", ")));
    }
    if !unlisted.is_empty() {
        why.push(format!("it also supports {}", unlisted.join(", ")));
    }
    Some(format!(
        "RAPIDS {version} for Scala {scala} disagrees with its `spark` list in {POLICY_FILE}: {}; make the list the jar's shims ({})",
        why.join(" and "),
        shims.join(", ")
    ))
}

/// A mismatch at any URL is reported as such; otherwise the source was unreachable.
fn failure(error: FetchError) -> ArtifactCheck {
    match error {
        FetchError::Failed { attempts, .. } => {
            if let Some((url, expected, actual)) = attempts.iter().find_map(|a| match &a.problem {
                FetchProblem::Mismatch { expected, actual } => Some((&a.url, expected, actual)),
                FetchProblem::Transfer(_) => None,
            }) {
                return ArtifactCheck::Mismatch {
                    url: url.clone(),
                    pinned: expected.clone(),
                    actual: actual.clone(),
                };
            }
            let tried: Vec<String> = attempts
                .iter()
                .map(|a| super::unreachable_reason(&a.url, &a.problem.to_string()))
                .collect();
            ArtifactCheck::Unreachable(if tried.is_empty() {
                "no source URL to try".to_owned()
            } else {
                tried.join("; ")
            })
        }
        other => ArtifactCheck::Failed(other.to_string()),
    }
}

/// `sha256:<hex>`, `sha512:<hex>` or `unverified`, as changes show a checksum.
fn shown(checksum: &Checksum) -> String {
    checksum.pinned().unwrap_or_else(|| "unverified".to_owned())
}

/// Records each check in `report` and writes recorded checksums into `doc`.
pub(super) fn apply(
    doc: &mut DocumentMut,
    entries: &[ArtifactEntry],
    checks: Vec<ArtifactCheck>,
    report: &mut LockReport,
) {
    for (entry, check) in entries.iter().zip(checks) {
        match check {
            ArtifactCheck::Verified => report.artifacts_verified += 1,
            ArtifactCheck::Recorded(checksum) => {
                set_checksum(doc, &entry.key, &checksum);
                report.artifacts_verified += 1;
                report.artifacts_recorded += 1;
                report.changes.push(Change {
                    section: "artifact",
                    key: entry.key.clone(),
                    old: shown(&entry.checksum),
                    new: shown(&checksum),
                    note: None,
                });
            }
            ArtifactCheck::Unreachable(reason) => report.unverified.push(Unverified {
                section: "artifact",
                key: entry.key.clone(),
                reason,
            }),
            ArtifactCheck::Mismatch {
                url,
                pinned,
                actual,
            } => report.problems.push(Problem::ArtifactMismatch {
                key: entry.key.clone(),
                url,
                pinned,
                actual,
            }),
            ArtifactCheck::Failed(cause) => report.problems.push(Problem::ArtifactCache {
                key: entry.key.clone(),
                cause,
            }),
            ArtifactCheck::Disagrees(why) => report.problems.push(Problem::SupportList {
                key: entry.key.clone(),
                why,
            }),
        }
    }
}

/// Replaces the entry's `sha256`/`sha512`/`unverified` line by `checksum`, keeping the comment
/// lines above it.
fn set_checksum(doc: &mut DocumentMut, key: &str, checksum: &Checksum) {
    let Some(table) = doc
        .get_mut("artifact")
        .and_then(|a| a.get_mut(key))
        .and_then(Item::as_table_mut)
    else {
        return;
    };
    let mut decor = None;
    for old in ["sha256", "sha512", "unverified"] {
        if let Some((k, _)) = table.remove_entry(old) {
            decor.get_or_insert(k.leaf_decor().clone());
        }
    }
    let (name, hex) = match checksum {
        Checksum::Sha512(hex) => ("sha512", hex),
        // `[git]` entries keep their commit, and programs their h1 (neither is written here).
        Checksum::Sha256(hex)
        | Checksum::Unverified(hex)
        | Checksum::GitCommit(hex)
        | Checksum::GoModule(hex) => ("sha256", hex),
    };
    let mut new_key = Key::new(name);
    if let Some(decor) = decor {
        new_key = new_key.with_leaf_decor(decor);
    }
    table.insert_formatted(&new_key, value(hex.as_str()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rapids_jar_lists_its_apache_shims_and_not_vendor_ones() {
        let dir = tempfile::tempdir().unwrap();
        let jar = dir.path().join("rapids.jar");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&jar).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        for name in [
            "spark-shared/",
            "spark411/com/nvidia/Shim.class",
            "spark350/",
            "spark400db173/",
            "spark330cdh/x",
            "com/nvidia/spark/SQLPlugin.class",
        ] {
            zip.start_file(name, options).unwrap();
        }
        zip.finish().unwrap();
        assert_eq!(rapids_shims(&jar).unwrap(), ["3.5.0", "4.1.1"]);
    }

    #[test]
    fn the_support_list_must_be_exactly_the_jars_shims() {
        let shims = ["3.5.0".to_owned(), "4.1.1".to_owned()];
        assert_eq!(
            shim_disagreement("2.13", "26.08.1", &shims, &["3.5.0", "4.1.1"]),
            None
        );
        let why = shim_disagreement("2.13", "26.08.1", &shims, &["3.5.0", "4.1.0"]).unwrap();
        assert!(why.contains("it has no shim for 4.1.0"), "{why}");
        assert!(why.contains("it also supports 4.1.1"), "{why}");
        assert!(
            why.contains("make the list the jar's shims (3.5.0, 4.1.1)"),
            "{why}"
        );
    }
}
