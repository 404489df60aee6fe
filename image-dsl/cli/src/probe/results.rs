//! Probe results: one [`ProbeResult`] per image and probe, the table people read, and
//! `target/images/test-results.json`, which `cargo xtask images report` reads back.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ProbeError, ProbeKind};
use crate::engine::outcome::{shorten, text_table};

/// How a probe ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every check held.
    Passed,
    /// A check failed, or the probe could not run.
    Failed,
    /// Not run: the image, or an image the probe needs, is not built, or the host lacks what the
    /// probe needs (a GPU).
    Skipped,
}

impl Outcome {
    /// The word the table shows.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "FAILED",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One probe of one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// `name:tag`.
    pub image: String,
    /// The probe's name ([`ProbeKind::name`]), or `-` for an image that was not probed.
    pub probe: String,
    /// How it ended.
    pub outcome: Outcome,
    /// What it measured when it passed, why when it did not.
    pub detail: String,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl ProbeResult {
    /// The result of `kind` on `image` from what the probe returned.
    pub fn new(
        image: &str,
        kind: ProbeKind,
        outcome: Result<String, ProbeError>,
        elapsed: Duration,
    ) -> ProbeResult {
        let (outcome, detail) = match outcome {
            Ok(facts) => (Outcome::Passed, facts),
            Err(err @ (ProbeError::Prerequisite { .. } | ProbeError::Unavailable { .. })) => {
                (Outcome::Skipped, err.to_string())
            }
            Err(err) => (Outcome::Failed, err.to_string()),
        };
        ProbeResult {
            image: image.to_owned(),
            probe: kind.name().to_owned(),
            outcome,
            detail,
            seconds: (elapsed.as_secs_f64() * 10.0).round() / 10.0,
        }
    }

    /// An image that was not probed, and why (`not built`, `not built (needs mirror: …)`).
    pub fn not_built(image: &str, reason: &str) -> ProbeResult {
        ProbeResult {
            image: image.to_owned(),
            probe: "-".to_owned(),
            outcome: Outcome::Skipped,
            detail: reason.to_owned(),
            seconds: 0.0,
        }
    }
}

/// `test-results.json` in the layout's [`Layout::target`](crate::Layout::target).
pub fn results_path(layout: &crate::Layout) -> PathBuf {
    layout.target().join("test-results.json")
}

/// The table printed after a run: image, probe, result, time, and the first line of the detail.
pub fn table(results: &[ProbeResult]) -> String {
    let rows: Vec<[String; 5]> = results
        .iter()
        .map(|r| {
            let detail = r.detail.lines().next().unwrap_or_default();
            let detail = detail
                .strip_prefix(&format!("{}: probe {}: ", r.image, r.probe))
                .or_else(|| detail.strip_prefix(&format!("{}: ", r.image)))
                .unwrap_or(detail);
            [
                r.image.clone(),
                r.probe.clone(),
                r.outcome.word().to_owned(),
                format!("{:.1}s", r.seconds),
                shorten(detail, 90),
            ]
        })
        .collect();
    let header = ["IMAGE", "PROBE", "RESULT", "TIME", "DETAIL"];
    let mut out = text_table(&header, &rows, &[false, false, false, true, false]);
    let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count();
    out.push_str(&format!(
        "{} passed, {} failed, {} skipped in {:.0}s\n",
        count(Outcome::Passed),
        count(Outcome::Failed),
        count(Outcome::Skipped),
        results.iter().map(|r| r.seconds).sum::<f64>()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_keep_the_cause_and_the_table_drops_the_repeated_prefix() {
        let failed = ProbeResult::new(
            "spark-4.1.1:baseline",
            ProbeKind::Connect,
            Err(ProbeError::Failed {
                image: "spark-4.1.1:baseline".into(),
                probe: ProbeKind::Connect,
                what: "server exited".into(),
                log: "chmod: Operation not permitted".into(),
            }),
            Duration::from_millis(12_340),
        );
        assert_eq!(failed.outcome, Outcome::Failed);
        assert!(failed.detail.contains("chmod: Operation not permitted"));
        let passed = ProbeResult::new(
            "spark-4.1.1:baseline",
            ProbeKind::Local,
            Ok("local sum=500000500000".into()),
            Duration::from_secs(20),
        );
        let table = table(&[passed, failed]);
        assert!(
            table.contains("connect  FAILED  12.3s  server exited\n"),
            "{table}"
        );
        assert!(table.contains("1 passed, 1 failed, 0 skipped"), "{table}");
    }

    #[test]
    fn results_round_trip_through_json() {
        let r = ProbeResult::not_built("spark-3.5.8:gpu", "not built (needs mirror: rapids)");
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"outcome\":\"skipped\""), "{json}");
        assert_eq!(serde_json::from_str::<ProbeResult>(&json).unwrap(), r);
    }
}
