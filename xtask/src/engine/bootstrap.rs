//! The local Debian base: `debootstrap --variant=minbase`, slimmed as `debian:bookworm-slim` is,
//! imported through the Engine API (like `docker import`) and identified by its package set.
//!
//! No registry can be reached here, and air-gapped sites have none either, so the catalog's base
//! is made from Debian packages. Slimming follows debuerreotype: dpkg `path-exclude` rules for
//! docs, man pages, info and locales (copyright files and locale metadata stay), the files they
//! cover removed, apt lists and caches and logs emptied, and the same minimizing apt/dpkg config.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use bollard::Docker;
use bollard::query_parameters::{
    CreateImageOptionsBuilder, ListImagesOptionsBuilder, RemoveImageOptions, TagImageOptionsBuilder,
};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::context::hex;
use super::graph::glob_match;
use super::spec::split_reference;

/// The reference the bootstrapped base is imported as.
pub const BASE_REFERENCE: &str = "image-dsl/debian:bookworm-slim";

/// The label holding the SHA-256 of the base's `dpkg-query -W` output.
pub const PACKAGE_SET_LABEL: &str = "org.image-dsl.package-set";

/// The comment of the import; images built on the base inherit its labels but not this.
const IMPORT_COMMENT: &str =
    "debootstrap --variant=minbase, slimmed, by cargo xtask images bootstrap";

/// Files dpkg keeps out of the base and of every image on it (debuerreotype's slim list).
const SLIM_EXCLUDES: &[&str] = &[
    "/usr/share/doc/*",
    "/usr/share/groff/*",
    "/usr/share/info/*",
    "/usr/share/linda/*",
    "/usr/share/lintian/overrides/*",
    "/usr/share/locale/*",
    "/usr/share/man/*",
];

/// Exceptions to [`SLIM_EXCLUDES`]: licences and the locale metadata programs read.
const SLIM_INCLUDES: &[&str] = &[
    "/usr/share/doc/*/copyright",
    "/usr/share/doc/kde/HTML/C/*",
    "/usr/share/gnome/help/*/C/*",
    "/usr/share/locale/all_languages",
    "/usr/share/locale/currency/*",
    "/usr/share/locale/l10n/*",
    "/usr/share/locale/languages",
    "/usr/share/locale/locale.alias",
    "/usr/share/omf/*/*-C.emf",
];

/// Directories whose files are build leftovers, emptied before import (directories are kept).
const EMPTIED_DIRS: &[&str] = &[
    "var/cache/apt",
    "var/lib/apt/lists",
    "var/log",
    "tmp",
    "var/tmp",
];

/// What and where to bootstrap.
#[derive(Debug, Clone)]
pub struct BootstrapOptions {
    /// The reference to import as, normally [`BASE_REFERENCE`].
    pub reference: String,
    /// The Debian suite, `bookworm`.
    pub suite: String,
    /// The Debian archive to bootstrap from.
    pub mirror: String,
    /// The Debian security archive; the base is upgraded from it (and the suite's updates).
    pub security_mirror: String,
    /// Bootstrap again even when the reference already carries a package-set label.
    pub force: bool,
    /// Scratch space for the root filesystem (and the lock file).
    pub work_dir: PathBuf,
    /// Where `bootstrap.log` goes.
    pub log_dir: PathBuf,
    /// Say on stderr that a bootstrap starts (it takes about half a minute).
    pub announce: bool,
}

/// The base image as the engine has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseImage {
    /// Its reference.
    pub reference: String,
    /// The engine's image ID.
    pub id: String,
    /// The SHA-256 of its package set; images built on it hash this in.
    pub package_set: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether this call imported it (false: it was already there).
    pub imported: bool,
}

/// Why the base could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// `debootstrap` is not installed.
    #[error(
        "bootstrap of {reference}: `debootstrap` is not installed; run `apt-get install -y debootstrap` (or `.ci/run`)"
    )]
    MissingTool {
        /// The base reference.
        reference: String,
    },
    /// A command of the bootstrap failed.
    #[error("bootstrap of {reference}: step `{step}` failed: {detail}; see {}", log.display())]
    Step {
        /// The base reference.
        reference: String,
        /// The step, e.g. `debootstrap`.
        step: &'static str,
        /// Exit status and the last lines of output.
        detail: String,
        /// The full log.
        log: PathBuf,
    },
    /// A file operation failed.
    #[error("bootstrap of {reference}: {action} {}: {source}; check free space and that xtask runs as root", path.display())]
    Io {
        /// The base reference.
        reference: String,
        /// What was being done.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The engine refused the import or an image query.
    #[error(
        "bootstrap of {reference}: the engine failed at `{step}`: {source}; check `docker info`"
    )]
    Engine {
        /// The base reference.
        reference: String,
        /// The engine call.
        step: &'static str,
        /// The engine's error.
        source: bollard::errors::Error,
    },
}

/// Serialises bootstraps of this process; the lock file serialises processes.
static IN_PROCESS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Returns the base, bootstrapping and importing it first when the engine lacks it (or `force`).
pub async fn ensure_base(
    docker: &Docker,
    opts: &BootstrapOptions,
) -> Result<BaseImage, BootstrapError> {
    // Fast path without locks: a no-op build must stay well under a second.
    if !opts.force
        && let Some(base) = existing(docker, opts, &opts.reference).await?
    {
        return Ok(base);
    }
    let _in_process = IN_PROCESS.lock().await;
    let _across_processes = lock_file(opts).await?;
    // Another bootstrap may have finished while this one waited for the locks.
    if !opts.force
        && let Some(base) = existing(docker, opts, &opts.reference).await?
    {
        return Ok(base);
    }
    remove_stale_scratch(&opts.work_dir);
    let io = |action, path: &Path| {
        let reference = opts.reference.clone();
        let path = path.to_owned();
        move |source| BootstrapError::Io {
            reference,
            action,
            path,
            source,
        }
    };
    ensure_tool(opts).await?;
    if opts.announce {
        eprintln!(
            "bootstrapping {} from {} (debootstrap, about half a minute); log: {}",
            opts.reference,
            opts.mirror,
            opts.log_dir.join("bootstrap.log").display()
        );
    }
    std::fs::create_dir_all(&opts.log_dir).map_err(io("creating", &opts.log_dir))?;
    let scratch = Scratch(
        tempfile::tempdir_in(&opts.work_dir)
            .map_err(io("creating a directory in", &opts.work_dir))?,
    );
    let rootfs = scratch.path().join("rootfs");
    let log = opts.log_dir.join("bootstrap.log");
    let debootstrap_args = [
        "--variant=minbase".to_owned(),
        opts.suite.clone(),
        rootfs.display().to_string(),
        opts.mirror.clone(),
    ];
    run(opts, "debootstrap", "debootstrap", &debootstrap_args, &log).await?;
    // Like the official image: apt sees the suite, its updates and security, and the base
    // carries their fixes (pinned package versions often come from bookworm-security).
    write_sources(&rootfs, opts).map_err(io("writing apt sources in", &rootfs))?;
    let root = rootfs.display().to_string();
    let apt = |args: &[&str]| {
        let mut all = vec![
            root.clone(),
            "env".into(),
            "DEBIAN_FRONTEND=noninteractive".into(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        all
    };
    run(
        opts,
        "apt-get update",
        "chroot",
        &apt(&["apt-get", "update", "-q"]),
        &log,
    )
    .await?;
    run(
        opts,
        "apt-get upgrade",
        "chroot",
        &apt(&["apt-get", "upgrade", "-y", "-q"]),
        &log,
    )
    .await?;
    let slim_root = rootfs.clone();
    let slimmed = tokio::task::spawn_blocking(move || slim(&slim_root)).await;
    slimmed
        .map_err(std::io::Error::other)
        .and_then(|r| r)
        .map_err(io("slimming", &rootfs))?;
    let packages = run(
        opts,
        "dpkg-query",
        "chroot",
        &[
            rootfs.display().to_string(),
            "dpkg-query".into(),
            "-W".into(),
        ],
        &log,
    )
    .await?;
    let package_set = hex(&Sha256::digest(packages.as_bytes()));
    if let Some(base) = with_package_set(docker, opts, &package_set).await? {
        return Ok(base);
    }
    let tarball = scratch.path().join("rootfs.tar");
    let tar_args: Vec<String> = [
        "--create",
        "--numeric-owner",
        "--sort=name",
        "--exclude=./proc/*",
        "--exclude=./sys/*",
        "--exclude=./dev/*",
        "--file",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        tarball.display().to_string(),
        "--directory".into(),
        rootfs.display().to_string(),
        ".".into(),
    ])
    .collect();
    run(opts, "tar", "tar", &tar_args, &log).await?;
    let bytes = std::fs::read(&tarball).map_err(io("reading", &tarball))?;
    let replaced = docker
        .inspect_image(&opts.reference)
        .await
        .ok()
        .and_then(|i| i.id);
    import(docker, opts, &package_set, bytes).await?;
    let mut base = existing(docker, opts, &opts.reference)
        .await?
        .ok_or_else(|| BootstrapError::Step {
            reference: opts.reference.clone(),
            step: "import",
            detail: "the imported image has no package-set label".into(),
            log: log.clone(),
        })?;
    base.imported = true;
    // The base this import replaced goes when nothing else uses it (images built on it keep it).
    if let Some(replaced) = replaced.filter(|id| *id != base.id) {
        let untagged = docker
            .inspect_image(&replaced)
            .await
            .is_ok_and(|image| image.repo_tags.unwrap_or_default().is_empty());
        if untagged {
            let _ = docker
                .remove_image(&replaced, None::<RemoveImageOptions>, None)
                .await;
        }
    }
    Ok(base)
}

/// Removes root filesystems a killed bootstrap left in `work_dir`; with the lock held, every
/// directory there is stale.
fn remove_stale_scratch(work_dir: &Path) {
    for entry in std::fs::read_dir(work_dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            remove_unmounted(&entry.path());
        }
    }
}

/// The bootstrap's scratch directory: file systems mounted inside it (debootstrap mounts
/// `/proc` and `/sys` in the target) are unmounted before it is removed.
struct Scratch(tempfile::TempDir);

impl Scratch {
    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        remove_unmounted(self.0.path());
    }
}

/// Unmounts everything below `dir`, then removes it; never recurses into a mount that stays.
fn remove_unmounted(dir: &Path) {
    let mounts = || mounts_below(dir);
    for point in mounts() {
        let _ = std::process::Command::new("umount")
            .arg("--lazy")
            .arg(&point)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    if mounts().is_empty() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Mount points at or below `dir`, deepest first, from `/proc/self/mounts`.
fn mounts_below(dir: &Path) -> Vec<PathBuf> {
    let Ok(dir) = dir.canonicalize() else {
        return Vec::new();
    };
    let table = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let mut points: Vec<PathBuf> = table
        .lines()
        .filter_map(|line| line.split(' ').nth(1))
        .map(|field| PathBuf::from(unescape_mount_path(field)))
        .filter(|point| point.starts_with(&dir))
        .collect();
    points.sort_by_key(|point| std::cmp::Reverse(point.components().count()));
    points
}

/// `/proc/self/mounts` escapes space, tab, newline and backslash as `\ooo` octal.
fn unescape_mount_path(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let code = rest
            .get(at + 1..at + 4)
            .and_then(|o| u8::from_str_radix(o, 8).ok());
        match code {
            Some(byte) => {
                out.push(char::from(byte));
                rest = &rest[at + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Takes the cross-process lock in `work_dir`.
async fn lock_file(opts: &BootstrapOptions) -> Result<std::fs::File, BootstrapError> {
    let path = opts.work_dir.join("bootstrap.lock");
    let dir = opts.work_dir.clone();
    let locked = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await;
    locked
        .map_err(std::io::Error::other)
        .and_then(|r| r)
        .map_err(|source| BootstrapError::Io {
            reference: opts.reference.clone(),
            action: "locking",
            path: opts.work_dir.join("bootstrap.lock"),
            source,
        })
}

async fn ensure_tool(opts: &BootstrapOptions) -> Result<(), BootstrapError> {
    let found = tokio::process::Command::new("debootstrap")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok();
    if found {
        Ok(())
    } else {
        Err(BootstrapError::MissingTool {
            reference: opts.reference.clone(),
        })
    }
}

/// Runs `program args`, appending its output to `log`; returns its stdout.
async fn run(
    opts: &BootstrapOptions,
    step: &'static str,
    program: &str,
    args: &[String],
    log: &Path,
) -> Result<String, BootstrapError> {
    let failed = |detail: String| BootstrapError::Step {
        reference: opts.reference.clone(),
        step,
        detail,
        log: log.to_owned(),
    };
    let output = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| failed(format!("cannot run `{program}`: {e}")))?;
    let mut text = format!("$ {program} {}\n", args.join(" "));
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    if step != "dpkg-query" {
        text.push_str(&String::from_utf8_lossy(&output.stdout));
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| failed(e.to_string()))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| failed(e.to_string()))?;
    if !output.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(8).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(failed(format!("{}\n{}", output.status, tail.join("\n"))));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The image at `reference` when it carries a package-set label.
async fn existing(
    docker: &Docker,
    opts: &BootstrapOptions,
    reference: &str,
) -> Result<Option<BaseImage>, BootstrapError> {
    match docker.inspect_image(reference).await {
        Ok(image) if !is_imported(&image) => Ok(None),
        Ok(image) => {
            let label = image
                .config
                .and_then(|c| c.labels)
                .and_then(|labels| labels.get(PACKAGE_SET_LABEL).cloned());
            Ok(label.map(|package_set| BaseImage {
                reference: opts.reference.clone(),
                id: image.id.unwrap_or_default(),
                package_set,
                size: image.size.unwrap_or(0).max(0) as u64,
                imported: false,
            }))
        }
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(source) => Err(BootstrapError::Engine {
            reference: opts.reference.clone(),
            step: "inspect",
            source,
        }),
    }
}

/// An image already imported with `package_set`, tagged as the base reference.
async fn with_package_set(
    docker: &Docker,
    opts: &BootstrapOptions,
    package_set: &str,
) -> Result<Option<BaseImage>, BootstrapError> {
    let engine = |step| {
        let reference = opts.reference.clone();
        move |source| BootstrapError::Engine {
            reference,
            step,
            source,
        }
    };
    let filters = HashMap::from([("label", vec![format!("{PACKAGE_SET_LABEL}={package_set}")])]);
    let images = docker
        .list_images(Some(
            ListImagesOptionsBuilder::new().filters(&filters).build(),
        ))
        .await
        .map_err(engine("list images"))?;
    // Images built on the base inherit its label: only the one-layer import is the base.
    let mut found = None;
    for image in images {
        let inspected = docker
            .inspect_image(&image.id)
            .await
            .map_err(engine("inspect"))?;
        if is_imported(&inspected) {
            found = Some(image.id);
            break;
        }
    }
    let Some(found) = found else {
        return Ok(None);
    };
    let (repo, tag) = split_reference(&opts.reference);
    docker
        .tag_image(
            &found,
            Some(TagImageOptionsBuilder::new().repo(repo).tag(tag).build()),
        )
        .await
        .map_err(engine("tag"))?;
    existing(docker, opts, &opts.reference).await
}

/// Whether `image` is the import itself: one layer and the import's comment. Images built on
/// the base inherit its labels (and may add no layer), so the label alone does not tell.
fn is_imported(image: &bollard::models::ImageInspect) -> bool {
    let one_layer = image
        .root_fs
        .as_ref()
        .and_then(|fs| fs.layers.as_ref())
        .is_some_and(|layers| layers.len() == 1);
    one_layer && image.comment.as_deref() == Some(IMPORT_COMMENT)
}

/// `docker import` of the root filesystem tar, labelled with its package set.
async fn import(
    docker: &Docker,
    opts: &BootstrapOptions,
    package_set: &str,
    tar: Vec<u8>,
) -> Result<(), BootstrapError> {
    let (repo, tag) = split_reference(&opts.reference);
    let options = CreateImageOptionsBuilder::new()
        .from_src("-")
        .repo(repo)
        .tag(tag)
        .message(IMPORT_COMMENT)
        .changes(vec![
            format!("LABEL {PACKAGE_SET_LABEL}={package_set}"),
            "CMD [\"bash\"]".to_owned(),
        ])
        .build();
    let mut progress =
        docker.create_image(Some(options), Some(bollard::body_full(tar.into())), None);
    while let Some(item) = progress.next().await {
        item.map_err(|source| BootstrapError::Engine {
            reference: opts.reference.clone(),
            step: "import",
            source,
        })?;
    }
    Ok(())
}

/// Slims the root filesystem at `root` in place, as debuerreotype does for `-slim` images.
pub fn slim(root: &Path) -> std::io::Result<()> {
    write_minimizing_config(root)?;
    for exclude in SLIM_EXCLUDES {
        let dir = root.join(exclude.trim_start_matches('/').trim_end_matches("/*"));
        if dir.is_dir() {
            remove_excluded(root, &dir)?;
            while remove_empty_and_dangling(&dir)? > 0 {}
        }
    }
    for dir in EMPTIED_DIRS {
        let dir = root.join(dir);
        if dir.is_dir() {
            remove_files(&dir)?;
        }
    }
    for leftover in [
        "var/cache/debconf/config.dat-old",
        "var/cache/debconf/templates.dat-old",
        "var/lib/dpkg/status-old",
        "var/lib/dpkg/diversions-old",
    ] {
        let _ = std::fs::remove_file(root.join(leftover));
    }
    // The engine bind-mounts these at run time; the host's values must not stay in the image.
    for host_file in ["etc/resolv.conf", "etc/hostname"] {
        std::fs::write(root.join(host_file), "")?;
    }
    Ok(())
}

/// deb822 sources for the suite, its updates and its security archive, replacing `sources.list`.
fn write_sources(root: &Path, opts: &BootstrapOptions) -> std::io::Result<()> {
    let suite = &opts.suite;
    let keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
    let sources = format!(
        "Types: deb\nURIs: {}\nSuites: {suite} {suite}-updates\nComponents: main\nSigned-By: {keyring}\n\n\
         Types: deb\nURIs: {}\nSuites: {suite}-security\nComponents: main\nSigned-By: {keyring}\n",
        opts.mirror, opts.security_mirror
    );
    let dir = root.join("etc/apt/sources.list.d");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("debian.sources"), sources)?;
    match std::fs::remove_file(root.join("etc/apt/sources.list")) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// dpkg and apt configuration of debuerreotype's minimizing config and slim variant.
fn write_minimizing_config(root: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut dpkg = String::from(
        "# The \"slim\" variant: files unneeded in containers are excluded and stay so\n",
    );
    for exclude in SLIM_EXCLUDES {
        dpkg.push_str(&format!("path-exclude {exclude}\n"));
    }
    for include in SLIM_INCLUDES {
        dpkg.push_str(&format!("path-include {include}\n"));
    }
    let clean = "\"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\";";
    let files = [
        (
            "usr/sbin/policy-rc.d",
            "#!/bin/sh\n# Services do not start during docker build\nexit 101\n".to_owned(),
            0o755,
        ),
        ("etc/dpkg/dpkg.cfg.d/docker", dpkg, 0o644),
        (
            "etc/dpkg/dpkg.cfg.d/docker-apt-speedup",
            "force-unsafe-io\n".to_owned(),
            0o644,
        ),
        (
            "etc/apt/apt.conf.d/docker-clean",
            format!(
                "DPkg::Post-Invoke {{ {clean} }};\nAPT::Update::Post-Invoke {{ {clean} }};\nDir::Cache::pkgcache \"\";\nDir::Cache::srcpkgcache \"\";\n"
            ),
            0o644,
        ),
        (
            "etc/apt/apt.conf.d/docker-gzip-indexes",
            "Acquire::GzipIndexes \"true\";\n".to_owned(),
            0o644,
        ),
        (
            "etc/apt/apt.conf.d/docker-no-languages",
            "Acquire::Languages \"none\";\n".to_owned(),
            0o644,
        ),
        (
            "etc/apt/apt.conf.d/docker-autoremove-suggests",
            "Apt::AutoRemove::SuggestsImportant \"false\";\n".to_owned(),
            0o644,
        ),
    ];
    for (path, text, mode) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// Removes every file under `dir` (not directories, not symlinks) that no include keeps.
fn remove_excluded(root: &Path, dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            remove_excluded(root, &path)?;
        } else if !kind.is_symlink() {
            let inside = format!("/{}", path.strip_prefix(root).unwrap_or(&path).display());
            if !SLIM_INCLUDES
                .iter()
                .any(|include| glob_match(include, &inside))
            {
                std::fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}

/// Removes empty directories and dangling symlinks below `dir`; returns how many went.
fn remove_empty_and_dangling(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            removed += remove_empty_and_dangling(&path)?;
            if std::fs::read_dir(&path)?.next().is_none() {
                std::fs::remove_dir(&path)?;
                removed += 1;
            }
        } else if kind.is_symlink() && std::fs::metadata(&path).is_err() {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes every non-directory below `dir`, keeping the directories.
fn remove_files(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_files(&entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_paths_are_unescaped() {
        assert_eq!(unescape_mount_path("/a\\040b/proc"), "/a b/proc");
        assert_eq!(unescape_mount_path("/plain"), "/plain");
    }

    #[test]
    fn slimming_keeps_copyrights_and_locale_alias_and_drops_the_rest() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for file in [
            "usr/share/doc/bash/copyright",
            "usr/share/doc/bash/README.gz",
            "usr/share/man/man1/ls.1.gz",
            "usr/share/locale/locale.alias",
            "usr/share/locale/de/LC_MESSAGES/x.mo",
            "var/lib/apt/lists/deb.debian.org_InRelease",
            "var/log/dpkg.log",
            "etc/resolv.conf",
        ] {
            std::fs::create_dir_all(r.join(file).parent().unwrap()).unwrap();
            std::fs::write(r.join(file), "x").unwrap();
        }
        slim(r).unwrap();
        assert!(r.join("usr/share/doc/bash/copyright").exists());
        assert!(r.join("usr/share/locale/locale.alias").exists());
        for gone in [
            "usr/share/doc/bash/README.gz",
            "usr/share/man/man1",
            "usr/share/locale/de",
            "var/lib/apt/lists/deb.debian.org_InRelease",
            "var/log/dpkg.log",
        ] {
            assert!(!r.join(gone).exists(), "{gone} should be gone");
        }
        assert!(r.join("var/lib/apt/lists").is_dir());
        assert_eq!(
            std::fs::read_to_string(r.join("etc/resolv.conf")).unwrap(),
            ""
        );
        let cfg = std::fs::read_to_string(r.join("etc/dpkg/dpkg.cfg.d/docker")).unwrap();
        assert!(
            cfg.contains("path-exclude /usr/share/doc/*")
                && cfg.contains("path-include /usr/share/doc/*/copyright")
        );
    }
}
