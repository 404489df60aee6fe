//! `[pip]` pins against the PyPI simple API: each wheel's sha256 is compared with the digest the
//! index publishes (PEP 691 JSON, or the `#sha256=` fragment of a PEP 503 page), so gigabytes of
//! wheels are checked without downloading them.

use futures_util::StreamExt;
use toml_edit::DocumentMut;

use super::{LockReport, Problem, Unverified};
use crate::engine::fetch::{describe_reqwest, normalize_project};

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
}

/// What the index says of one wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WheelCheck {
    /// The index publishes the pinned sha256.
    Verified,
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

/// The `[pip]` entries of `doc`, in file order.
pub fn pins(doc: &DocumentMut) -> Vec<WheelPin> {
    super::tables(doc, "pip")
        .into_iter()
        .filter_map(|(name, t)| {
            Some(WheelPin {
                wheel: super::field(t, "wheel")?,
                sha256: super::field(t, "sha256")?,
                name,
            })
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
        Some(actual) if actual.eq_ignore_ascii_case(&wheel.sha256) => WheelCheck::Verified,
        Some(actual) => WheelCheck::Mismatch { index, actual },
    }
}

/// The sha256 a PEP 691 JSON page gives `filename`.
fn digest_in_json(body: &str, filename: &str) -> Option<String> {
    let page: serde_json::Value = serde_json::from_str(body).ok()?;
    page.get("files")?
        .as_array()?
        .iter()
        .find(|f| f.get("filename").and_then(|n| n.as_str()) == Some(filename))?
        .get("hashes")?
        .get("sha256")?
        .as_str()
        .map(str::to_owned)
}

/// The sha256 in the `#sha256=` fragment of the link to `filename` on a PEP 503 page.
fn digest_in_html(body: &str, filename: &str) -> Option<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|href| {
            let path = href.split(['#', '?']).next().unwrap_or_default();
            path.rsplit('/').next() == Some(filename)
        })?
        .split_once("#sha256=")
        .map(|(_, hex)| hex.to_owned())
}

/// Records each check in `report` (wheels are never rewritten).
pub(super) fn record(wheels: &[WheelPin], checks: Vec<WheelCheck>, report: &mut LockReport) {
    for (wheel, check) in wheels.iter().zip(checks) {
        match check {
            WheelCheck::Verified => report.wheels_verified += 1,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_read_from_json_and_html_pages() {
        let json = r#"{"files":[{"filename":"six-1.17.0-py2.py3-none-any.whl","hashes":{"sha256":"ab"}}]}"#;
        assert_eq!(
            digest_in_json(json, "six-1.17.0-py2.py3-none-any.whl").as_deref(),
            Some("ab")
        );
        let html = r#"<a href="https://files/x/six-1.17.0-py2.py3-none-any.whl#sha256=cd">six</a>"#;
        assert_eq!(
            digest_in_html(html, "six-1.17.0-py2.py3-none-any.whl").as_deref(),
            Some("cd")
        );
        assert_eq!(digest_in_html(html, "six-1.16.0.tar.gz"), None);
    }
}
