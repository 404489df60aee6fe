//! `[pip]` pins against the PyPI simple API: each wheel's sha256 is compared with the digest the
//! index publishes (PEP 691 JSON, or the `#sha256=` fragment of a PEP 503 page), so gigabytes of
//! wheels are checked without downloading them; and each pin's `requires` against the wheel's
//! metadata (its PEP 658 `.metadata` file, a few kilobytes, or the METADATA inside the wheel
//! when the index serves none and a build fetched the wheel), see [`super::requires`].

use futures_util::StreamExt;
use image_dsl::pinfile::PinFile;
use toml_edit::DocumentMut;

use super::{Change, LockReport, Problem, Unverified};
use std::io::Read as _;

use crate::engine::Checksum;
use crate::engine::fetch::{Fetcher, describe_reqwest, normalize_project};

/// Index pages read at once.
const PARALLEL_PAGES: usize = 16;

/// One `[pip.NAME]` entry as the lock sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelPin {
    /// The project, e.g. `pyarrow`.
    pub name: String,
    /// The wheel file name.
    pub wheel: String,
    /// The pinned sha256.
    pub sha256: String,
    /// The pinned `requires`.
    pub requires: Vec<String>,
}

/// What the index says of one wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WheelCheck {
    /// The index publishes the pinned sha256; the wheel's METADATA, or why it could not be read.
    Verified {
        /// The `.metadata` file's text.
        metadata: Result<String, String>,
    },
    /// The index publishes another sha256.
    Mismatch {
        /// The index page.
        index: String,
        /// Its sha256.
        actual: String,
    },
    /// The index does not list the wheel.
    Missing {
        /// The index page.
        index: String,
    },
    /// The index could not be read.
    Unreachable(String),
}

/// The `[pip]` entries of `pins`, in file order.
pub fn pins(pins: &PinFile) -> Vec<WheelPin> {
    pins.pip
        .in_file_order()
        .into_iter()
        .map(|(name, pin)| WheelPin {
            name: name.get_ref().clone(),
            wheel: pin.wheel.get_ref().clone(),
            sha256: pin.sha256.get_ref().clone(),
            requires: pin.requires.iter().map(|r| r.get_ref().clone()).collect(),
        })
        .collect()
}

/// Checks every wheel against the index at `mirror` (a simple index root), some pages at once.
pub async fn check_all(
    http: &reqwest::Client,
    mirror: &str,
    wheels: &[WheelPin],
) -> Vec<WheelCheck> {
    futures_util::stream::iter(wheels)
        .map(|wheel| check(http, mirror, wheel))
        .buffered(PARALLEL_PAGES)
        .collect()
        .await
}

/// Reads the project's index page and compares the wheel's published sha256 with the pin.
pub async fn check(http: &reqwest::Client, mirror: &str, wheel: &WheelPin) -> WheelCheck {
    let index = format!(
        "{}/{}/",
        mirror.trim_end_matches('/'),
        normalize_project(&wheel.name)
    );
    let page = async {
        let response = http
            .get(&index)
            .header(
                reqwest::header::ACCEPT,
                "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
            )
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)?;
        let json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        Ok::<_, reqwest::Error>((json, response.text().await?))
    };
    let (json, body) = match page.await {
        Ok(page) => page,
        Err(e) => {
            return WheelCheck::Unreachable(super::unreachable_reason(
                &index,
                &describe_reqwest(&e),
            ));
        }
    };
    let published = if json {
        digest_in_json(&body, &wheel.wheel)
    } else {
        digest_in_html(&body, &wheel.wheel)
    };
    match published {
        None => WheelCheck::Missing { index },
        Some((href, actual)) if actual.eq_ignore_ascii_case(&wheel.sha256) => {
            WheelCheck::Verified {
                metadata: metadata(http, &index, &href).await,
            }
        }
        Some((_, actual)) => WheelCheck::Mismatch { index, actual },
    }
}

/// The METADATA inside the wheel, when a build fetched it into the cache.
fn cached_metadata(fetcher: &Fetcher, wheel: &WheelPin) -> Option<String> {
    let path = fetcher.cached_path(&Checksum::Sha256(wheel.sha256.clone()))?;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).ok()?).ok()?;
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)?
        .into_owned();
    let mut text = String::new();
    archive
        .by_name(&name)
        .ok()?
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// The PEP 658 metadata file beside the wheel at `href` (relative to the `index` page).
async fn metadata(http: &reqwest::Client, index: &str, href: &str) -> Result<String, String> {
    let file = reqwest::Url::parse(index)
        .and_then(|base| base.join(href.split('#').next().unwrap_or(href)))
        .map_err(|e| format!("{href}: {e}"))?;
    let url = format!("{file}.metadata");
    let response = http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| super::unreachable_reason(&url, &describe_reqwest(&e)))?;
    response
        .text()
        .await
        .map_err(|e| super::unreachable_reason(&url, &describe_reqwest(&e)))
}

/// The URL and sha256 a PEP 691 JSON page gives `filename`.
fn digest_in_json(body: &str, filename: &str) -> Option<(String, String)> {
    let page: serde_json::Value = serde_json::from_str(body).ok()?;
    let file = page
        .get("files")?
        .as_array()?
        .iter()
        .find(|f| f.get("filename").and_then(|n| n.as_str()) == Some(filename))?;
    let url = file.get("url")?.as_str()?.to_owned();
    let sha256 = file.get("hashes")?.get("sha256")?.as_str()?.to_owned();
    Some((url, sha256))
}

/// The link to `filename` on a PEP 503 page and the sha256 in its `#sha256=` fragment.
fn digest_in_html(body: &str, filename: &str) -> Option<(String, String)> {
    let href = body
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|href| {
            let path = href.split(['#', '?']).next().unwrap_or_default();
            path.rsplit('/').next() == Some(filename)
        })?
        .replace("&amp;", "&");
    let (_, hex) = href.split_once("#sha256=")?;
    Some((href.clone(), hex.to_owned()))
}

/// Records each check in `report` (wheels are never rewritten) and brings each pin's `requires`
/// in line with its metadata ([`super::requires`]).
pub(super) fn record(
    doc: &mut DocumentMut,
    wheels: &[WheelPin],
    checks: Vec<WheelCheck>,
    fetcher: &Fetcher,
    report: &mut LockReport,
) {
    let mut metadata = std::collections::BTreeMap::new();
    for (wheel, check) in wheels.iter().zip(checks) {
        match check {
            WheelCheck::Verified { metadata: text } => {
                report.wheels_verified += 1;
                let parsed = text
                    .or_else(|reason| cached_metadata(fetcher, wheel).ok_or(reason))
                    .and_then(|t| super::requires::requires_dist(&t));
                match parsed {
                    Ok(requirements) => {
                        metadata.insert(normalize_project(&wheel.name), requirements);
                    }
                    Err(reason) => report.unverified.push(Unverified {
                        section: "pip",
                        key: wheel.name.clone(),
                        reason: format!("requires not checked: {reason}"),
                    }),
                }
            }
            WheelCheck::Mismatch { index, actual } => {
                report.problems.push(Problem::WheelMismatch {
                    name: wheel.name.clone(),
                    wheel: wheel.wheel.clone(),
                    index,
                    pinned: wheel.sha256.clone(),
                    actual,
                })
            }
            WheelCheck::Missing { index } => report.problems.push(Problem::WheelMissing {
                name: wheel.name.clone(),
                wheel: wheel.wheel.clone(),
                index,
            }),
            WheelCheck::Unreachable(reason) => report.unverified.push(Unverified {
                section: "pip",
                key: wheel.name.clone(),
                reason,
            }),
        }
    }
    let env = super::requires::environment();
    let pinned: std::collections::BTreeSet<String> =
        wheels.iter().map(|w| normalize_project(&w.name)).collect();
    for wheel in wheels {
        let Some(_) = metadata.get(&normalize_project(&wheel.name)) else {
            continue;
        };
        let needed = match super::requires::needed(&normalize_project(&wheel.name), &metadata, &env)
        {
            Ok(needed) => needed,
            Err(missing) => {
                report.unverified.push(Unverified {
                    section: "pip",
                    key: wheel.name.clone(),
                    reason: format!("requires not checked: the metadata of {missing} was not read"),
                });
                continue;
            }
        };
        for (dependency, via) in needed.iter().filter(|(d, _)| !pinned.contains(*d)) {
            report.problems.push(Problem::RequirementNotPinned {
                name: wheel.name.clone(),
                dependency: dependency.clone(),
                via: via.clone(),
            });
        }
        let new: Vec<String> = needed.into_keys().filter(|d| pinned.contains(d)).collect();
        let mut old: Vec<String> = wheel
            .requires
            .iter()
            .map(|r| normalize_project(r))
            .collect();
        old.sort();
        if old != new {
            report.changes.push(Change {
                section: "pip",
                key: wheel.name.clone(),
                old: format!("requires [{}]", old.join(", ")),
                new: format!("requires [{}]", new.join(", ")),
                note: None,
            });
            if let Some(table) = doc
                .get_mut("pip")
                .and_then(|p| p.get_mut(&wheel.name))
                .and_then(toml_edit::Item::as_table_like_mut)
            {
                let array: toml_edit::Array = new.iter().map(String::as_str).collect();
                table.insert("requires", toml_edit::value(array));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_read_from_json_and_html_pages() {
        let json = r#"{"files":[{"filename":"six-1.17.0-py2.py3-none-any.whl","url":"https://files/six-1.17.0-py2.py3-none-any.whl","hashes":{"sha256":"ab"}}]}"#;
        assert_eq!(
            digest_in_json(json, "six-1.17.0-py2.py3-none-any.whl")
                .map(|(_, sha)| sha)
                .as_deref(),
            Some("ab")
        );
        let html = r#"<a href="https://files/x/six-1.17.0-py2.py3-none-any.whl#sha256=cd">six</a>"#;
        assert_eq!(
            digest_in_html(html, "six-1.17.0-py2.py3-none-any.whl")
                .map(|(_, sha)| sha)
                .as_deref(),
            Some("cd")
        );
        assert_eq!(digest_in_html(html, "six-1.16.0.tar.gz"), None);
    }
}
