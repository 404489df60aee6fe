//! `cargo xtask images push`: built, up-to-date images to a registry, each with its SBOM as an
//! artifact that refers to it, each digest into the digest lock (see [`crate::engine::push`]).

use crate::engine::{BuildSpec, graph, push};
use crate::flags::Push;
use std::fmt::Write as _;
use std::process::ExitCode;

impl Push {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let opts = self.mirrors.options(ws)?;
        let specs: Vec<BuildSpec> = crate::catalog::ordered(ws)?
            .into_iter()
            .map(|(_, _, s)| s)
            .collect();
        let specs = graph::select(specs, &self.filters)?;
        let images = graph::matching(&specs, &self.filters)?;
        let config = push::docker_config_dir();
        let credentials = match &config {
            Some(dir) => push::credentials(dir, &self.registry.host)?,
            None => None,
        };
        let lock = (!self.no_lock).then(|| ws.layout.root.join(&self.lock));
        let pushed = super::runtime()?.block_on(push::push_all(
            specs,
            &images,
            &self.registry,
            credentials,
            lock.as_deref(),
            &opts,
        ))?;
        println!("{}", table(&pushed));
        for warning in warnings(&pushed) {
            eprintln!("warning: {warning}");
        }
        if let Some(lock) = lock {
            println!("digests recorded in {}", lock.display());
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// One line per image: where it went, what was sent, how long it took, what became of its
/// SBOM (`sent` or `present` with the artifact's short digest, `refused`, `-` when not pushed).
fn table(pushed: &[push::Pushed]) -> String {
    let width = pushed
        .iter()
        .map(|p| p.image.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut text = format!(
        "{:width$}  {:>6}  {:>7}  {:>6}  {:20}  PUSHED AS",
        "IMAGE", "SENT", "PRESENT", "TIME", "SBOM"
    );
    for p in pushed {
        let (sent, present) = if p.skipped {
            ("-".to_owned(), "all".to_owned())
        } else {
            (p.layers_sent.to_string(), p.layers_present.to_string())
        };
        let _ = write!(
            text,
            "\n{:width$}  {sent:>6}  {present:>7}  {:>5.1}s  {:20}  {}",
            p.image,
            p.seconds,
            sbom(p.sbom.as_ref()),
            p.pinned
        );
    }
    text
}

/// The SBOM column: the state and the first 12 hex digits of the artifact's digest, as `docker`
/// shortens image IDs; the full one is in the digest lock.
fn sbom(state: Option<&push::SbomPush>) -> String {
    let short = |digest: &str| {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        hex[..hex.len().min(12)].to_owned()
    };
    match state {
        Some(push::SbomPush::Sent(digest)) => format!("sent {}", short(digest)),
        Some(push::SbomPush::Present(digest)) => format!("present {}", short(digest)),
        Some(push::SbomPush::NotAccepted(_)) => "refused".to_owned(),
        None => "-".to_owned(),
    }
}

/// What the table's `refused` means, one line per image.
fn warnings(pushed: &[push::Pushed]) -> Vec<String> {
    pushed
        .iter()
        .filter_map(|p| match &p.sbom {
            Some(push::SbomPush::NotAccepted(warning)) => {
                Some(format!("{}: its SBOM was not pushed: {warning}", p.image))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_what_was_sent_and_what_the_registry_had() {
        let one = |image: &str, sent, skipped, sbom| push::Pushed {
            image: image.into(),
            pinned: format!("127.0.0.1:5000/t/{image}@sha256:ab"),
            digest: "sha256:ab".into(),
            layers_sent: sent,
            layers_present: 1,
            skipped,
            sbom,
            seconds: 1.25,
        };
        let artifact = format!("sha256:0123456789ab{}", "c".repeat(52));
        let refusal = "registry does not accept OCI artifacts: 400 MANIFEST_INVALID";
        let pushed = [
            one("a", 3, false, Some(push::SbomPush::Sent(artifact.clone()))),
            one("bb", 0, true, Some(push::SbomPush::Present(artifact))),
            one(
                "c",
                1,
                false,
                Some(push::SbomPush::NotAccepted(refusal.into())),
            ),
            one("d", 1, false, None),
        ];
        let text = table(&pushed);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "IMAGE    SENT  PRESENT    TIME  SBOM                  PUSHED AS"
        );
        assert_eq!(
            lines[1],
            "a           3        1    1.2s  sent 0123456789ab     127.0.0.1:5000/t/a@sha256:ab"
        );
        assert_eq!(
            lines[2],
            "bb          -      all    1.2s  present 0123456789ab  127.0.0.1:5000/t/bb@sha256:ab"
        );
        assert_eq!(
            lines[3],
            "c           1        1    1.2s  refused               127.0.0.1:5000/t/c@sha256:ab"
        );
        assert_eq!(
            lines[4],
            "d           1        1    1.2s  -                     127.0.0.1:5000/t/d@sha256:ab"
        );
        assert_eq!(
            warnings(&pushed),
            [format!("c: its SBOM was not pushed: {refusal}")]
        );
    }
}
