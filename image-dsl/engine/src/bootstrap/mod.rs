//! The local Debian base: `debootstrap --variant=minbase`, slimmed as `debian:bookworm-slim` is,
//! imported through the Engine API (like `docker import`) and identified by its package set.
//!
//! With a locked package set (`images/apt.lock`'s `[base]`) the bootstrap installs exactly those
//! `.deb`s, fetched on the host into the verified cache ([`locked`]), and reads nothing from
//! Debian; without one it takes what the mirror serves, then the suite's updates and security
//! fixes (`apt-get upgrade`), and the lock command records that set.
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

mod locked;
mod scratch;
mod slim;

pub use slim::slim;

use scratch::{Scratch, remove_stale_scratch};
use slim::write_sources;

use super::config::Settings;
use super::context::hex;
use super::debian::closure::LockedBase;
use super::spec::split_reference;

/// The reference the bootstrapped base is imported as.
pub const BASE_REFERENCE: &str = "image-dsl/debian:bookworm-slim";

/// How long one bootstrap command (debootstrap, apt in the chroot) may take.
const STEP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(900);

/// The label holding the SHA-256 of the base's `dpkg-query -W` output.
pub const PACKAGE_SET_LABEL: &str = "org.image-dsl.package-set";

/// The comment of the import; images built on the base inherit its labels but not this.
const IMPORT_COMMENT: &str = "debootstrap --variant=minbase, slimmed, by image-dsl's bootstrap";

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
    /// The locked package set (`images/apt.lock`): when given, the base is made from exactly
    /// these `.deb`s, fetched through `settings` into the verified cache, with nothing read from
    /// Debian; without it, debootstrap and `apt-get upgrade` take what the mirror serves.
    pub locked: Option<LockedBase>,
    /// Mirrors and the artifact cache, for the locked `.deb`s.
    pub settings: Settings,
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
    /// Locked `.deb`s of the base could not be fetched and verified.
    #[error(
        "bootstrap of {reference}: {} locked .deb(s) of the base could not be had:\n  {}\n  a withdrawn version is moved by {}",
        errors.len(),
        locked::describe(errors),
        crate::Fix::LockWithdrawn
    )]
    Inputs {
        /// The base reference.
        reference: String,
        /// Every failed fetch.
        errors: Vec<super::fetch::FetchError>,
    },
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
    #[error("bootstrap of {reference}: {action} {}: {source}; check free space and that the build runs as root", path.display())]
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
    ensure_tool(opts).await?;
    if opts.announce {
        let source = match &opts.locked {
            Some(base) => format!("its {} locked .debs", base.debs.len()),
            None => opts.mirror.clone(),
        };
        eprintln!(
            "bootstrapping {} from {source} (debootstrap, about half a minute); log: {}",
            opts.reference,
            opts.log_dir.join("bootstrap.log").display()
        );
    }
    std::fs::create_dir_all(&opts.log_dir).map_err(io_error(opts, "creating", &opts.log_dir))?;
    let scratch = Scratch(tempfile::tempdir_in(&opts.work_dir).map_err(io_error(
        opts,
        "creating a directory in",
        &opts.work_dir,
    ))?);
    let package_set = make_rootfs(opts, &scratch).await?;
    if let Some(base) = with_package_set(docker, opts, &package_set).await? {
        return Ok(base);
    }
    import_rootfs(docker, opts, &scratch, &package_set).await
}

/// A [`BootstrapError::Io`] for `action` on `path`.
fn io_error(
    opts: &BootstrapOptions,
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> BootstrapError {
    let reference = opts.reference.clone();
    let path = path.to_owned();
    move |source| BootstrapError::Io {
        reference,
        action,
        path,
        source,
    }
}

/// The log every bootstrap step appends to.
fn log_path(opts: &BootstrapOptions) -> PathBuf {
    opts.log_dir.join("bootstrap.log")
}

/// Makes the slim root filesystem in `scratch/rootfs`; returns the hash of its package set.
async fn make_rootfs(opts: &BootstrapOptions, scratch: &Scratch) -> Result<String, BootstrapError> {
    let rootfs = scratch.path().join("rootfs");
    let root = rootfs.display().to_string();
    let log = log_path(opts);
    let in_root = |args: &[&str]| {
        let mut all = vec![
            root.clone(),
            "env".into(),
            "DEBIAN_FRONTEND=noninteractive".into(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        all
    };
    // Locked: exactly the lock's `.deb`s, already upgraded. Otherwise what the mirror serves,
    // then (like the official image) the suite's updates and security fixes.
    let mut debootstrap = vec!["--variant=minbase".to_owned()];
    if let Some(base) = &opts.locked {
        let tarball = locked::tarball(opts, base, scratch.path()).await?;
        debootstrap.push(format!("--unpack-tarball={}", tarball.display()));
    }
    debootstrap.extend([opts.suite.clone(), root.clone(), opts.mirror.clone()]);
    run(opts, "debootstrap", "debootstrap", &debootstrap, &log).await?;
    // apt in the images sees the suite, its updates and security.
    write_sources(&rootfs, opts).map_err(io_error(opts, "writing apt sources in", &rootfs))?;
    if opts.locked.is_none() {
        let update = in_root(&["apt-get", "update", "-q"]);
        run(opts, "apt-get update", "chroot", &update, &log).await?;
        let upgrade = in_root(&["apt-get", "upgrade", "-y", "-q"]);
        run(opts, "apt-get upgrade", "chroot", &upgrade, &log).await?;
    }
    let slim_root = rootfs.clone();
    tokio::task::spawn_blocking(move || slim(&slim_root))
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r)
        .map_err(io_error(opts, "slimming", &rootfs))?;
    let packages = run(
        opts,
        "dpkg-query",
        "chroot",
        &in_root(&["dpkg-query", "-W"]),
        &log,
    )
    .await?;
    Ok(hex(&Sha256::digest(packages.as_bytes())))
}

/// Tars `scratch/rootfs` and imports it as the base, removing the base it replaces if unused.
async fn import_rootfs(
    docker: &Docker,
    opts: &BootstrapOptions,
    scratch: &Scratch,
    package_set: &str,
) -> Result<BaseImage, BootstrapError> {
    let rootfs = scratch.path().join("rootfs");
    let tarball = scratch.path().join("rootfs.tar");
    let log = log_path(opts);
    let mut tar_args: Vec<String> = ["--create", "--numeric-owner", "--sort=name"]
        .into_iter()
        .chain([
            "--exclude=./proc/*",
            "--exclude=./sys/*",
            "--exclude=./dev/*",
        ])
        .map(str::to_owned)
        .collect();
    tar_args.extend(["--file".into(), tarball.display().to_string()]);
    tar_args.extend([
        "--directory".into(),
        rootfs.display().to_string(),
        ".".into(),
    ]);
    run(opts, "tar", "tar", &tar_args, &log).await?;
    let bytes = std::fs::read(&tarball).map_err(io_error(opts, "reading", &tarball))?;
    let replaced = docker
        .inspect_image(&opts.reference)
        .await
        .ok()
        .and_then(|i| i.id);
    import(docker, opts, package_set, bytes).await?;
    let mut base = existing(docker, opts, &opts.reference)
        .await?
        .ok_or_else(|| BootstrapError::Step {
            reference: opts.reference.clone(),
            step: "import",
            detail: "the imported image is not tagged with its package set".into(),
            log: log.clone(),
        })?;
    base.imported = true;
    // The base this import replaced goes when nothing uses it (images built on it keep it).
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
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(STEP_TIMEOUT, output)
        .await
        .map_err(|_| {
            failed(format!(
                "no answer within {} s (a mirror that stopped answering?)",
                STEP_TIMEOUT.as_secs()
            ))
        })?
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
pub(crate) async fn existing(
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
