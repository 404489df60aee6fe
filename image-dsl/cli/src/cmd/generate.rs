//! `cargo xtask images generate`: write each image's Dockerfile and context files, or with
//! `--check`, tell whether the committed snapshots match the declarations.

use crate::export::write_image;
use crate::flags::Generate;
use anyhow::Context as _;
use std::process::ExitCode;

/// How to bring the snapshots up to date.
pub(crate) const FIX: &str = "run `INSTA_UPDATE=always cargo test --test main snapshots` (or `cargo insta test --accept`), \
                   review `git diff snapshots/`, and commit";

impl Generate {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let images = crate::catalog::ordered(ws)?;
        if self.check {
            return check(ws, &images);
        }
        let out = ws.layout.root.join(&self.out);
        for (image, rendered, spec) in &images {
            write_image(&out.join(&image.name).join(&image.tag), rendered, spec)?;
        }
        println!("wrote {} images to {}", images.len(), out.display());
        Ok(ExitCode::SUCCESS)
    }
}

/// Compare every image's snapshot text with `snapshots/<name>@<tag>.snap`.
fn check(
    ws: &crate::Workspace,
    images: &[(
        image_dsl::Image,
        image_dsl::Rendered,
        crate::engine::BuildSpec,
    )],
) -> anyhow::Result<ExitCode> {
    let dir = ws.layout.snapshots();
    let mut stale = Vec::new();
    let mut expected_files = Vec::new();
    for (image, rendered, _) in images {
        let file = format!("{}.snap", image_dsl::snapshot_name(image));
        let text = image_dsl::snapshot(rendered);
        match std::fs::read_to_string(dir.join(&file)) {
            Ok(snap) if snapshot_body(&snap) == text.trim_end() => {}
            Ok(_) => stale.push(format!("{} (snapshots/{file} differs)", image.reference())),
            Err(_) => stale.push(format!(
                "{} (snapshots/{file} is missing)",
                image.reference()
            )),
        }
        expected_files.push(file);
    }
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".snap") && !expected_files.contains(&name) {
            orphans.push(name);
        }
    }
    if stale.is_empty() && orphans.is_empty() {
        println!("snapshots are current: {} images", images.len());
        return Ok(ExitCode::SUCCESS);
    }
    for s in &stale {
        eprintln!("stale: {s}");
    }
    for o in &orphans {
        eprintln!("orphaned: snapshots/{o} (no such image any more: delete it)");
    }
    eprintln!(
        "error: {} snapshot(s) out of date; {FIX}",
        stale.len() + orphans.len()
    );
    Ok(ExitCode::FAILURE)
}

/// The snapshot contents after insta's `---` header.
fn snapshot_body(snap: &str) -> &str {
    let body = snap
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(_, b)| b);
    body.unwrap_or(snap).trim_end()
}
