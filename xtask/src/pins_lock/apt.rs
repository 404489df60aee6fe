//! Current Debian versions of the `[apt]` pins: `apt-get update` then `apt-cache policy` in a
//! throwaway container of the bootstrapped base, whose apt sources are the suite, its updates
//! and its security archive, so the candidate is what an image build would install.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    StartContainerOptions, WaitContainerOptions,
};
use futures_util::StreamExt;
use toml_edit::{DocumentMut, Item, Value};

use super::{Change, LockReport, Problem};
use crate::engine::bootstrap::{self, BootstrapError};
use crate::engine::client::{self, ClientError};
use crate::engine::{BASE_REFERENCE, BuildOptions};

/// How long `apt-get update` and `apt-cache policy` may take together.
const APT_TIMEOUT: Duration = Duration::from_secs(300);

/// What `apt-cache policy` says of one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The version apt would install, e.g. `0.19.0-1+b3`.
    pub version: String,
    /// The suites offering that version, e.g. `bookworm-security`.
    pub suites: Vec<String>,
}

/// Why the apt versions could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum AptError {
    /// No engine answers.
    #[error("apt versions need the Docker engine: {0}")]
    Client(#[from] ClientError),
    /// The base could not be made.
    #[error("apt versions need the base: {0}")]
    Bootstrap(#[from] BootstrapError),
    /// The engine refused a container call.
    #[error(
        "apt versions from a container of {base}: the engine failed at `{step}`: {source}; check `docker info`"
    )]
    Engine {
        /// The base image.
        base: String,
        /// The engine call.
        step: &'static str,
        /// The engine's error.
        source: bollard::errors::Error,
    },
    /// `apt-get update` or `apt-cache policy` failed.
    #[error(
        "apt versions from a container of {base}: `apt-get update && apt-cache policy` exited with {code}:\n{tail}\ncheck that containers reach the Debian mirror, or re-bootstrap with `cargo xtask images bootstrap --force`"
    )]
    Failed {
        /// The base image.
        base: String,
        /// The exit code.
        code: i64,
        /// The last lines of its output.
        tail: String,
    },
    /// The container did not finish in time.
    #[error(
        "apt versions from a container of {base}: no answer within {}s; check that containers reach the Debian mirror", APT_TIMEOUT.as_secs()
    )]
    Timeout {
        /// The base image.
        base: String,
    },
}

/// The candidate of each of `packages` that apt knows, from a container of the bootstrapped base
/// (made first when the engine lacks it).
pub async fn resolve(
    opts: &BuildOptions,
    packages: &[String],
) -> Result<BTreeMap<String, Candidate>, AptError> {
    let docker = client::connect(opts.docker_host.as_deref()).await?;
    let base =
        bootstrap::ensure_base(&docker, &opts.bootstrap_options(BASE_REFERENCE, false)).await?;
    let output = run_policy(&docker, &base.reference, packages).await?;
    Ok(parse_policy(&output))
}

/// Runs `apt-get update && apt-cache policy PACKAGES` in a container of `base` and returns its
/// standard output; the container is removed whatever happens.
async fn run_policy(docker: &Docker, base: &str, packages: &[String]) -> Result<String, AptError> {
    let engine = |step| {
        move |source| AptError::Engine {
            base: base.to_owned(),
            step,
            source,
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = format!("image-dsl-lock-{}-{nanos}", std::process::id());
    let mut cmd: Vec<String> = [
        "sh",
        "-c",
        "apt-get update -q >&2 && apt-cache policy \"$@\"",
        "sh",
    ]
    .map(str::to_owned)
    .to_vec();
    cmd.extend(packages.iter().cloned());
    let body = ContainerCreateBody {
        image: Some(base.to_owned()),
        cmd: Some(cmd),
        env: Some(vec!["DEBIAN_FRONTEND=noninteractive".to_owned()]),
        labels: Some(HashMap::from([(
            "org.image-dsl.purpose".to_owned(),
            "images lock".to_owned(),
        )])),
        ..ContainerCreateBody::default()
    };
    docker
        .create_container(
            Some(CreateContainerOptionsBuilder::new().name(&name).build()),
            body,
        )
        .await
        .map_err(engine("create container"))?;
    let result = run_created(docker, base, &name).await;
    let _ = docker
        .remove_container(
            &name,
            Some(RemoveContainerOptionsBuilder::new().force(true).build()),
        )
        .await;
    result
}

async fn run_created(docker: &Docker, base: &str, name: &str) -> Result<String, AptError> {
    let engine = |step| {
        move |source| AptError::Engine {
            base: base.to_owned(),
            step,
            source,
        }
    };
    docker
        .start_container(name, None::<StartContainerOptions>)
        .await
        .map_err(engine("start container"))?;
    let mut wait = docker.wait_container(name, None::<WaitContainerOptions>);
    let code = match tokio::time::timeout(APT_TIMEOUT, wait.next()).await {
        Err(_) => {
            return Err(AptError::Timeout {
                base: base.to_owned(),
            });
        }
        Ok(Some(Ok(response))) => response.status_code,
        Ok(Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. }))) => code,
        Ok(Some(Err(e))) => return Err(engine("wait container")(e)),
        Ok(None) => -1,
    };
    let mut logs = docker.logs(
        name,
        Some(LogsOptionsBuilder::new().stdout(true).stderr(true).build()),
    );
    let (mut stdout, mut stderr) = (String::new(), String::new());
    while let Some(chunk) = logs.next().await {
        match chunk.map_err(engine("container logs"))? {
            LogOutput::StdOut { message } => stdout.push_str(&String::from_utf8_lossy(&message)),
            LogOutput::StdErr { message } => stderr.push_str(&String::from_utf8_lossy(&message)),
            _ => {}
        }
    }
    if code != 0 {
        let lines: Vec<&str> = stderr.lines().chain(stdout.lines()).collect();
        return Err(AptError::Failed {
            base: base.to_owned(),
            code,
            tail: lines[lines.len().saturating_sub(8)..].join("\n"),
        });
    }
    Ok(stdout)
}

/// Parses `apt-cache policy` output: each package's candidate and the suites offering it.
///
/// ```text
/// tini:
///   Installed: (none)
///   Candidate: 0.19.0-1+b3
///   Version table:
///      0.19.0-1+b3 500
///         500 http://deb.debian.org/debian bookworm/main amd64 Packages
/// ```
pub fn parse_policy(output: &str) -> BTreeMap<String, Candidate> {
    let mut found = BTreeMap::new();
    let mut package: Option<String> = None;
    let mut candidate: Option<Candidate> = None;
    let mut in_candidate_rows = false;
    let mut finish = |package: &mut Option<String>, candidate: &mut Option<Candidate>| {
        if let (Some(p), Some(c)) = (package.take(), candidate.take()) {
            found.insert(p, c);
        }
    };
    for line in output.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 0 && trimmed.ends_with(':') {
            finish(&mut package, &mut candidate);
            package = Some(trimmed.trim_end_matches(':').to_owned());
            in_candidate_rows = false;
        } else if let Some(version) = trimmed.strip_prefix("Candidate:") {
            let version = version.trim();
            candidate = (version != "(none)").then(|| Candidate {
                version: version.to_owned(),
                suites: Vec::new(),
            });
        } else if indent == 5 || trimmed.starts_with("*** ") {
            // A version row of the table: `     VERSION PRIORITY` or ` *** VERSION PRIORITY`.
            let version = trimmed.trim_start_matches("*** ").split_whitespace().next();
            in_candidate_rows = candidate.as_ref().map(|c| c.version.as_str()) == version;
        } else if indent >= 8 && in_candidate_rows {
            // A source row: `PRIORITY URL SUITE/COMPONENT ARCH Packages`.
            let suite = trimmed
                .split_whitespace()
                .nth(2)
                .and_then(|s| s.split('/').next());
            if let (Some(suite), Some(c)) = (suite, candidate.as_mut())
                && trimmed.ends_with("Packages")
                && !c.suites.iter().any(|s| s == suite)
            {
                c.suites.push(suite.to_owned());
            }
        }
    }
    finish(&mut package, &mut candidate);
    found
}

/// Sets each `[apt]` pin to its candidate, recording changes and packages without one. A changed
/// line's comment names the suites offering the new version; the rest of it (after `;`) stays.
pub(super) fn apply(
    doc: &mut DocumentMut,
    suite: &str,
    candidates: &BTreeMap<String, Candidate>,
    report: &mut LockReport,
) {
    let Some(table) = doc.get_mut("apt").and_then(Item::as_table_like_mut) else {
        return;
    };
    for (package, item) in table.iter_mut() {
        let Some(value) = item.as_value_mut() else {
            continue;
        };
        let old = value.as_str().unwrap_or_default().to_owned();
        let Some(candidate) = candidates.get(package.get()) else {
            report.problems.push(Problem::NoCandidate {
                package: package.get().to_owned(),
                suite: suite.to_owned(),
            });
            continue;
        };
        if candidate.version == old {
            continue;
        }
        let decor = value.decor().clone();
        let old_comment = decor
            .suffix()
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_owned();
        let mut updated = Value::from(candidate.version.clone());
        *updated.decor_mut() = decor;
        updated
            .decor_mut()
            .set_suffix(comment(&old_comment, &candidate.suites));
        *value = updated;
        report.changes.push(Change {
            section: "apt",
            key: package.get().to_owned(),
            old,
            new: candidate.version.clone(),
        });
    }
}

/// `   # bookworm-security` from the old trailing comment, keeping what followed its first `;`.
fn comment(old: &str, suites: &[String]) -> String {
    let lead = old.find('#').map_or("   ", |i| &old[..i]);
    let lead = if lead.is_empty() { "   " } else { lead };
    let rest = old.find(';').map(|i| &old[i..]).unwrap_or_default();
    if suites.is_empty() && rest.is_empty() {
        return old.to_owned();
    }
    format!("{lead}# {}{rest}", suites.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "\
tini:
  Installed: (none)
  Candidate: 0.19.0-1+b3
  Version table:
     0.19.0-1+b3 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
less:
  Installed: 590-2.1~deb12u2
  Candidate: 590-2.1~deb12u2
  Version table:
 *** 590-2.1~deb12u2 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
        100 /var/lib/dpkg/status
     590-2.1 400
        500 http://deb.debian.org/debian bookworm-updates/main amd64 Packages
virtual:
  Installed: (none)
  Candidate: (none)
  Version table:
";

    #[test]
    fn candidates_and_their_suites_are_read_from_apt_cache_policy() {
        let found = parse_policy(POLICY);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found["tini"].version, "0.19.0-1+b3");
        assert_eq!(found["tini"].suites, ["bookworm"]);
        assert_eq!(found["less"].suites, ["bookworm", "bookworm-security"]);
        assert!(!found.contains_key("virtual"));
    }

    #[test]
    fn new_candidates_replace_only_the_version_and_its_suites() {
        let text = "[apt]\n# above\ntini = \"0.0.1\"   # bookworm; NOTE stays\nbash = \"5.2\" # bookworm\n";
        let mut doc: DocumentMut = text.parse().unwrap();
        let candidates = BTreeMap::from([
            (
                "tini".to_owned(),
                Candidate {
                    version: "0.19.0-1+b3".into(),
                    suites: vec!["bookworm-security".into()],
                },
            ),
            (
                "bash".to_owned(),
                Candidate {
                    version: "5.2".into(),
                    suites: vec!["bookworm".into()],
                },
            ),
        ]);
        let mut report = LockReport::default();
        apply(&mut doc, "bookworm", &candidates, &mut report);
        assert_eq!(
            doc.to_string(),
            "[apt]\n# above\ntini = \"0.19.0-1+b3\"   # bookworm-security; NOTE stays\nbash = \"5.2\" # bookworm\n"
        );
        assert_eq!(report.changes.len(), 1);
        assert_eq!(
            report.changes[0].to_string(),
            "apt tini: 0.0.1 → 0.19.0-1+b3"
        );
    }

    #[test]
    fn a_changed_version_keeps_the_note_after_the_suites() {
        let suites = ["bookworm-security".to_owned()];
        assert_eq!(
            comment("   # bookworm; NOTE kept", &suites),
            "   # bookworm-security; NOTE kept"
        );
        assert_eq!(comment("", &suites), "   # bookworm-security");
    }
}
