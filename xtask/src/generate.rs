//! `cargo xtask images generate`: write each image's Dockerfile and context files, or with
//! `--check`, tell whether the committed snapshots match the declarations.

use crate::flags::Generate;
use anyhow::Context as _;
use std::path::Path;
use std::process::ExitCode;
use xtask::engine::repo_root;

/// How to bring the snapshots up to date.
const FIX: &str = "run `INSTA_UPDATE=always cargo test --test main snapshots` (or `cargo insta test --accept`), \
                   review `git diff snapshots/`, and commit";

impl Generate {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let images = xtask::catalog::ordered()?;
        if self.check {
            return check(&images);
        }
        let out = repo_root().join(&self.out);
        for (image, rendered, _) in &images {
            write_image(&out.join(&image.name).join(&image.tag), rendered)?;
        }
        println!("wrote {} images to {}", images.len(), out.display());
        Ok(ExitCode::SUCCESS)
    }
}

/// Write one image's Dockerfile, `.dockerignore`, context files and `inputs.txt` (the host-fetched
/// inputs with their checksums) to `dir`, replacing what was there.
pub(crate) fn write_image(dir: &Path, rendered: &image_dsl::Rendered) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    write(&dir.join("Dockerfile"), &rendered.dockerfile, 0o644)?;
    write(&dir.join(".dockerignore"), &rendered.dockerignore, 0o644)?;
    for file in &rendered.files {
        write(&dir.join(&file.path), &file.contents, file.mode)?;
    }
    let mut inputs = String::from(
        "# Inputs fetched on the host into this context before a build: path, version, checksum, source\n",
    );
    for (path, pin) in &rendered.artifacts {
        let checksum = pin
            .checksum
            .digest()
            .unwrap_or_else(|| "unverified".to_owned());
        inputs.push_str(&format!(
            "{path} {} {checksum} {:?}\n",
            pin.version, pin.source
        ));
    }
    for (path, pin) in &rendered.wheels {
        inputs.push_str(&format!(
            "{path} {} sha256:{} {}\n",
            pin.version, pin.sha256, pin.url
        ));
    }
    for (path, pin) in &rendered.git {
        inputs.push_str(&format!("{path}/ {} - {}\n", pin.commit, pin.repo));
    }
    write(&dir.join("inputs.txt"), &inputs, 0o644)
}

pub(crate) fn write(path: &Path, contents: &str, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

/// Compare every image's snapshot text with `snapshots/<name>@<tag>.snap`.
fn check(
    images: &[(
        image_dsl::Image,
        image_dsl::Rendered,
        xtask::engine::BuildSpec,
    )],
) -> anyhow::Result<ExitCode> {
    let dir = repo_root().join("snapshots");
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
