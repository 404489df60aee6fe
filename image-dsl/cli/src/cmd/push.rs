//! `cargo xtask images push`: built, up-to-date images to a registry, each digest into the
//! digest lock (see [`crate::engine::push`]).

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
        if let Some(lock) = lock {
            println!("digests recorded in {}", lock.display());
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// One line per image: where it went, what was sent, how long it took.
fn table(pushed: &[push::Pushed]) -> String {
    let width = pushed
        .iter()
        .map(|p| p.image.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut text = format!(
        "{:width$}  {:>6}  {:>7}  {:>6}  PUSHED AS",
        "IMAGE", "SENT", "PRESENT", "TIME"
    );
    for p in pushed {
        let (sent, present) = if p.skipped {
            ("-".to_owned(), "all".to_owned())
        } else {
            (p.layers_sent.to_string(), p.layers_present.to_string())
        };
        let _ = write!(
            text,
            "\n{:width$}  {sent:>6}  {present:>7}  {:>5.1}s  {}",
            p.image, p.seconds, p.pinned
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_what_was_sent_and_what_the_registry_had() {
        let one = |image: &str, sent, skipped| push::Pushed {
            image: image.into(),
            pinned: format!("127.0.0.1:5000/t/{image}@sha256:ab"),
            digest: "sha256:ab".into(),
            layers_sent: sent,
            layers_present: 1,
            skipped,
            seconds: 1.25,
        };
        let text = table(&[one("a", 3, false), one("bb", 0, true)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "IMAGE    SENT  PRESENT    TIME  PUSHED AS");
        assert_eq!(
            lines[1],
            "a           3        1    1.2s  127.0.0.1:5000/t/a@sha256:ab"
        );
        assert_eq!(
            lines[2],
            "bb          -      all    1.2s  127.0.0.1:5000/t/bb@sha256:ab"
        );
    }
}
