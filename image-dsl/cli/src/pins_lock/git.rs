//! `[git]` pins are kept as they are; the lock only asks each repository's host for its refs
//! (smart HTTP), and lists the pins whose host cannot be reached as unverified.

use image_dsl::pinfile::PinFile;

use super::{LockReport, Unverified};
use crate::engine::fetch::describe_reqwest;

/// One `[git.KEY]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitPin {
    /// The key, e.g. `oh-my-zsh`.
    pub key: String,
    /// The repository URL.
    pub repo: String,
}

/// The `[git]` entries of `pins`, in file order.
pub fn pins(pins: &PinFile) -> Vec<GitPin> {
    pins.git
        .in_file_order()
        .into_iter()
        .map(|(key, pin)| GitPin {
            key: key.get_ref().clone(),
            repo: pin.repo.get_ref().clone(),
        })
        .collect()
}

/// Probes every repository at once; `Err` says why one could not be reached.
pub async fn probe_all(http: &reqwest::Client, pins: &[GitPin]) -> Vec<Result<(), String>> {
    futures_util::future::join_all(pins.iter().map(|pin| probe(http, &pin.repo))).await
}

/// Asks `repo` for its refs as `git fetch` would.
pub async fn probe(http: &reqwest::Client, repo: &str) -> Result<(), String> {
    let url = format!(
        "{}/info/refs?service=git-upload-pack",
        repo.trim_end_matches('/')
    );
    match http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
    {
        Ok(_) => Ok(()),
        Err(e) => Err(super::unreachable_reason(&url, &describe_reqwest(&e))),
    }
}

/// Lists the pins whose repository could not be reached.
pub(super) fn record(pins: &[GitPin], probes: Vec<Result<(), String>>, report: &mut LockReport) {
    for (pin, probe) in pins.iter().zip(probes) {
        if let Err(reason) = probe {
            report.unverified.push(Unverified {
                section: "git",
                key: pin.key.clone(),
                reason,
            });
        }
    }
}
