//! What changed between two versions of a Debian package: the CVE ids its Debian changelog lists
//! for the versions after the old one, up to the new one.
//!
//! The changelog ships inside the package (`/usr/share/doc/<package>/changelog.Debian.gz`), so it
//! is read from the new version's `.deb`, fetched through the mirror into the verified cache by the
//! SHA-256 of the signed index. Packages whose doc directory is a link to another binary of the
//! same source (`openjdk-17-jdk-headless` → `openjdk-17-jre-headless`) are followed there.
//! `debian-changelog` parses the entries and `debversion` orders them.

use std::io::Read as _;
use std::path::Path;

use debversion::Version;

use super::Archive;
use crate::fetch::Fetcher;

/// What the doc directory of a package holds.
enum Doc {
    /// The text of `changelog.Debian.gz`.
    Changelog(String),
    /// The directory is a link to another package's, e.g. `openjdk-17-jre-headless`.
    LinkTo(String),
}

/// The CVE ids the changelog of `package` lists for versions after `old`, up to `new`, sorted
/// and deduplicated; `new` is fetched from `archive`.
pub async fn cves_between(
    fetcher: &Fetcher,
    archive: &Archive,
    package: &str,
    old: &str,
    new: &str,
) -> Result<Vec<String>, String> {
    let old: Version = old
        .parse()
        .map_err(|e| format!("{package}: the old version {old} does not parse: {e:?}"))?;
    let new_version: Version = new
        .parse()
        .map_err(|e| format!("{package}: the new version {new} does not parse: {e:?}"))?;
    let mut name = package.to_owned();
    let mut version = new.to_owned();
    // One link at most: Debian's doc links point at a package that ships the changelog.
    for _ in 0..2 {
        let text = match read_doc(fetcher, archive, &name, &version).await? {
            Doc::Changelog(text) => text,
            Doc::LinkTo(target) => {
                let candidate = archive.find(&target, &version).cloned().or_else(|| {
                    let c = archive.candidate(&target)?;
                    archive.find(&target, &c.version).cloned()
                });
                let Some(target_package) = candidate else {
                    return Err(format!(
                        "{name}: its changelog is {target}'s, which no suite has"
                    ));
                };
                name = target;
                version = target_package.version;
                continue;
            }
        };
        return Ok(cves_in(&text, &old, &new_version));
    }
    Err(format!("{package}: its doc directory links on and on"))
}

/// The CVE ids of the entries of `changelog` whose version is in `(old, new]`.
pub fn cves_in(changelog: &str, old: &Version, new: &Version) -> Vec<String> {
    let parsed = debian_changelog::ChangeLog::parse_relaxed(changelog);
    let mut ids: Vec<String> = Vec::new();
    for entry in parsed.iter() {
        let Some(version) = entry.version() else {
            continue;
        };
        if version <= *old || version > *new {
            continue;
        }
        for line in entry.change_lines() {
            ids.extend(cve_ids(&line));
        }
    }
    ids.sort_by_key(|id| cve_key(id));
    ids.dedup();
    ids
}

/// `CVE-2026-1234` → `(2026, 1234)`, for ordering.
fn cve_key(id: &str) -> (u32, u64) {
    let mut parts = id.split('-').skip(1);
    let year = parts.next().and_then(|y| y.parse().ok()).unwrap_or(0);
    let number = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    (year, number)
}

/// Every `CVE-YYYY-NNNN…` in `line`.
fn cve_ids(line: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = line[from..].find("CVE-").map(|i| from + i) {
        let year_end = at
            + 4
            + bytes[at + 4..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        let valid_year = year_end - (at + 4) == 4 && bytes.get(year_end) == Some(&b'-');
        if valid_year {
            let number_start = year_end + 1;
            let number_end = number_start
                + bytes[number_start..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
            if number_end - number_start >= 4 {
                out.push(line[at..number_end].to_owned());
                from = number_end;
                continue;
            }
        }
        from = at + 4;
    }
    out
}

/// Fetches `package` at `version` and reads its doc directory.
async fn read_doc(
    fetcher: &Fetcher,
    archive: &Archive,
    package: &str,
    version: &str,
) -> Result<Doc, String> {
    let Some(found) = archive.find(package, version) else {
        return Err(format!("{package}={version} is in no suite"));
    };
    let deb = fetcher
        .fetch(&found.deb())
        .await
        .map_err(|e| format!("{package}={version}: {e}"))?;
    let name = package.to_owned();
    tokio::task::spawn_blocking(move || doc_of(&deb, &name))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{package}={version}: {e}"))
}

/// The changelog (or the link) in the `.deb` at `path`.
fn doc_of(path: &Path, package: &str) -> Result<Doc, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut deb = ar::Archive::new(file);
    while let Some(member) = deb.next_entry() {
        let member = member.map_err(|e| format!("not a .deb: {e}"))?;
        let id = String::from_utf8_lossy(member.header().identifier()).into_owned();
        let data: Box<dyn std::io::Read> = match id.as_str() {
            "data.tar.xz" => Box::new(liblzma::read::XzDecoder::new(member)),
            "data.tar.gz" => Box::new(flate2::read::GzDecoder::new(member)),
            "data.tar" => Box::new(member),
            other if other.starts_with("data.tar") => {
                return Err(format!("its {other} is compressed in a way not read here"));
            }
            _ => continue,
        };
        return doc_in_tar(data, package);
    }
    Err("the .deb has no data.tar".to_owned())
}

fn doc_in_tar(data: impl std::io::Read, package: &str) -> Result<Doc, String> {
    let dir = format!("usr/share/doc/{package}");
    let changelog = format!("{dir}/changelog.Debian.gz");
    let mut archive = tar::Archive::new(data);
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let path = path.to_string_lossy();
        let path = path.trim_start_matches("./").trim_end_matches('/');
        if path == dir && entry.header().entry_type().is_symlink() {
            let target = entry
                .link_name()
                .map_err(|e| e.to_string())?
                .unwrap_or_default();
            let target = target.to_string_lossy();
            let target = target
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("");
            return Ok(Doc::LinkTo(target.to_owned()));
        }
        if path == changelog {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&mut entry)
                .read_to_string(&mut text)
                .map_err(|e| format!("{changelog}: {e}"))?;
            return Ok(Doc::Changelog(text));
        }
    }
    Err(format!("it ships no {changelog}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGELOG: &str = "\
zstd (1.5.4+dfsg2-5+deb12u1) bookworm-security; urgency=medium

  * Non-maintainer upload by the Security Team.
  * Fix CVE-2025-11111 and CVE-2025-2222 (heap overflow),
    see also CVE-2025-11111.

 -- Security Team <team@security.debian.org>  Mon, 01 Dec 2026 10:00:00 +0000

zstd (1.5.4+dfsg2-5) unstable; urgency=medium

  * Fix CVE-2022-4899.

 -- Maintainer <m@example.org>  Mon, 06 Feb 2023 10:00:00 +0000
";

    #[test]
    fn only_the_entries_after_the_old_version_count() {
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert_eq!(
            cves_in(CHANGELOG, &v("1.5.4+dfsg2-5"), &v("1.5.4+dfsg2-5+deb12u1")),
            ["CVE-2025-2222", "CVE-2025-11111"]
        );
        assert!(
            cves_in(
                CHANGELOG,
                &v("1.5.4+dfsg2-5+deb12u1"),
                &v("1.5.4+dfsg2-5+deb12u1")
            )
            .is_empty()
        );
        assert_eq!(
            cves_in(CHANGELOG, &v("1.5.4+dfsg2-4"), &v("1.5.4+dfsg2-5")),
            ["CVE-2022-4899"]
        );
    }

    #[test]
    fn cve_ids_need_a_four_digit_year_and_four_digits() {
        assert_eq!(
            cve_ids("CVE-2024-12345, CVE-24-1, CVE-2024-12 and (CVE-2023-0001)."),
            ["CVE-2024-12345", "CVE-2023-0001"]
        );
    }
}
