//! Programs built on the host from registry sources: a Go module's main package
//! ([`Locator::Go`]) or a crate's binary ([`Locator::Crate`]). They are fetched, verified and
//! compiled here, by the host's own `go` and `cargo` (and so through the registries and mirrors
//! the user set them up for: `GOPROXY`, `GONOSUMDB`, cargo's `[source]` replacement), never in a
//! container, and the binary is cached under `<cache>/artifacts/programs/<recipe>/<bin>`, where
//! the recipe is [`ArtifactSource::key`].
//!
//! - **Go:** `go mod download -json module@version` fetches the module and checks it against the
//!   checksum database; its `Sum` must be the pinned `h1`. The program is then built with exactly
//!   the pinned toolchain (`GOTOOLCHAIN`, which the go command takes through the module proxy
//!   when it is not the host's), `CGO_ENABLED=0` (a static binary, whatever the image's libc),
//!   `-trimpath` and `-mod=readonly`: `go install module/package@version` for a program of the
//!   module, or `go build` of the catalog's own main package, whose go.mod must require the
//!   module at the pinned version and whose go.sum must already hold every hash.
//! - **Rust:** `cargo install --locked` with the pinned toolchain (`RUSTUP_TOOLCHAIN`; checked
//!   with `rustc --version` first), so the crate's own Cargo.lock decides every dependency. The
//!   `.crate` file cargo verified against the registry index must hash to the pinned sha256.
//!   The pin may turn features on or the defaults off, and replace the crate's release-profile
//!   `lto` and `codegen-units` (fat LTO with one codegen unit is a third of zellij's and almost
//!   half of starship's cold build on two cores); the caller's own `RUSTFLAGS` and
//!   `CARGO_PROFILE_*` are cleared, so the recipe alone decides.
//!   The binary is linked against the host's glibc: the image must have the same or a newer one
//!   (a bookworm host for a bookworm image).
//!
//! A run compiles one program at a time (each compile uses every core; see
//! [`crate::fetch::Fetcher`]), each within [`BUILD_TIMEOUT`]; concurrent runs in one process wait
//! for each other only on the same program. A build that fails or does not verify leaves nothing
//! in the cache.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::process::Command;
use tokio::sync::Mutex;

use crate::spec::{ArtifactSource, Checksum, CrateBuild, GoBuild, Locator};

/// How long one program may take to fetch and compile. The slowest pinned crate (atuin)
/// compiles in about 12 minutes on two cores.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// One lock per program (its cache path): concurrent runs in one process that need the same
/// program wait for one compile of it; different programs compile side by side.
static COMPILING: std::sync::Mutex<BTreeMap<PathBuf, Arc<Mutex<()>>>> =
    std::sync::Mutex::new(BTreeMap::new());

/// Why a program could not be had.
pub(crate) type Failure = String;

/// Where the program of `source` is cached below `cache_root` (`None` when it is not a program
/// or not pinned).
pub fn cached_path(cache_root: &Path, source: &ArtifactSource) -> Option<PathBuf> {
    let key = source.key()?;
    let recipe = key.strip_prefix("program:")?;
    let bin = match &source.locator {
        Locator::Go(go) => &go.bin,
        Locator::Crate(c) => &c.bin,
        _ => return None,
    };
    Some(cache_root.join("programs").join(recipe).join(bin))
}

/// Builds the program of `source` into `target` (see [`cached_path`]) unless it is there;
/// `scratch` is a directory on the same file system for the work.
pub(crate) async fn build(
    source: &ArtifactSource,
    target: &Path,
    scratch: &Path,
) -> Result<(), Failure> {
    if target.exists() {
        return Ok(());
    }
    let lock = COMPILING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(target.to_owned())
        .or_default()
        .clone();
    let _this_program = lock.lock().await;
    if target.exists() {
        return Ok(());
    }
    let work = tempfile::Builder::new()
        .prefix("program-")
        .tempdir_in(scratch)
        .map_err(|e| format!("cannot make a work directory in {}: {e}", scratch.display()))?;
    let built = match (&source.locator, &source.checksum) {
        (Locator::Go(go), Checksum::GoModule(h1)) => {
            let built = build_go(go, h1, work.path()).await?;
            if !go.zip {
                check_executable(&built)?;
            }
            built
        }
        (Locator::Crate(c), Checksum::Sha256(sha)) => {
            let built = build_crate(c, sha, work.path()).await?;
            check_executable(&built)?;
            built
        }
        _ => {
            return Err(
                "a Go program needs an `h1` checksum and a crate a `sha256`; check the pin".into(),
            );
        }
    };
    let dir = target.parent().unwrap_or(scratch);
    // The directory appears whole or not at all: the binary is moved into a sibling first.
    let staged = tempfile::Builder::new()
        .prefix(".program-")
        .tempdir_in(dir.parent().unwrap_or(scratch))
        .map_err(|e| format!("cannot stage the program: {e}"))?;
    let name = target.file_name().unwrap_or_default();
    std::fs::rename(&built, staged.path().join(name))
        .or_else(|_| std::fs::copy(&built, staged.path().join(name)).map(drop))
        .map_err(|e| format!("cannot stage the program: {e}"))?;
    let staged = staged.keep();
    if let Err(e) = std::fs::rename(&staged, dir) {
        let _ = std::fs::remove_dir_all(&staged);
        // Another run (the mutex is per process) put the same recipe's program there first.
        if !target.is_file() {
            return Err(format!("cannot put the program at {}: {e}", dir.display()));
        }
    }
    Ok(())
}

/// The binary of a Go program, built in `work`.
async fn build_go(go: &GoBuild, h1: &str, work: &Path) -> Result<PathBuf, Failure> {
    let spec = format!("{}@{}", go.module, go.version);
    let download = run(
        go_command(go, work).args(["mod", "download", "-json", &spec]),
        "go mod download",
    )
    .await;
    // `go mod download -json` prints its JSON, with an `Error` field, on failure too.
    let stdout = match &download {
        Ok(out) => out.clone(),
        Err(e) => return Err(e.clone()),
    };
    let info: serde_json::Value = serde_json::from_str(&stdout)
        .map_err(|e| format!("go mod download printed no JSON ({e}): {stdout}"))?;
    if let Some(error) = info.get("Error").and_then(|e| e.as_str()) {
        return Err(format!("go mod download {spec}: {error}"));
    }
    let sum = info.get("Sum").and_then(|s| s.as_str()).unwrap_or_default();
    if sum != h1 {
        return Err(format!(
            "{spec} hashes to {sum}, but the pin says {h1}: the module's content is not what was pinned"
        ));
    }
    let bin_dir = work.join("bin");
    let out = bin_dir.join(&go.bin);
    let ldflags = format!("-ldflags=-s -w {}", go.ldflags)
        .trim_end()
        .to_owned();
    if go.zip {
        let zip = info.get("Zip").and_then(|z| z.as_str()).unwrap_or_default();
        std::fs::create_dir_all(&bin_dir).map_err(|e| e.to_string())?;
        std::fs::copy(zip, &out).map_err(|e| format!("copying the module zip {zip}: {e}"))?;
        return Ok(out);
    }
    if go.main.is_empty() {
        let package = match go.package.trim_matches('/') {
            "" | "." => go.module.clone(),
            p => format!("{}/{}", go.module, p.trim_start_matches("./")),
        };
        run(
            go_command(go, work)
                .env("GOBIN", &bin_dir)
                .args(["install", "-trimpath", &ldflags])
                .arg(format!("{package}@{}", go.version)),
            "go install",
        )
        .await?;
        let installed = bin_dir.join(image_dsl_pin_rules::go_binary_name(&package));
        if installed != out {
            std::fs::rename(&installed, &out)
                .map_err(|e| format!("go install wrote no {}: {e}", installed.display()))?;
        }
    } else {
        let src = work.join("src");
        std::fs::create_dir_all(&src).map_err(|e| e.to_string())?;
        for (name, text) in &go.main {
            std::fs::write(src.join(name), text).map_err(|e| format!("writing {name}: {e}"))?;
        }
        let required = run(
            go_command(go, &src).args(["list", "-m", "-f", "{{.Version}}", &go.module]),
            "go list -m",
        )
        .await?;
        if required.trim() != go.version {
            return Err(format!(
                "the main package's go.mod requires {} {}, but the pin says {}: update go.mod and go.sum (`go get {spec}`)",
                go.module,
                required.trim(),
                go.version
            ));
        }
        run(
            go_command(go, &src)
                .args(["build", "-trimpath", &ldflags, "-o"])
                .arg(&out)
                .arg("."),
            "go build",
        )
        .await?;
    }
    Ok(out)
}

/// `go` in `dir` with the pinned toolchain and the settings of a reproducible static build; the
/// user's proxy, checksum database and module cache settings are kept.
fn go_command(go: &GoBuild, dir: &Path) -> Command {
    // The user's own GOFLAGS are kept; -mod=readonly comes last, so it wins.
    let flags = std::env::var("GOFLAGS").unwrap_or_default();
    let mut command = Command::new("go");
    command
        .current_dir(dir)
        .env("GOTOOLCHAIN", &go.toolchain)
        .env("GOFLAGS", format!("{flags} -mod=readonly").trim_start())
        .env("GOWORK", "off")
        .env("CGO_ENABLED", "0")
        .env("GOOS", "linux")
        .env("GOARCH", "amd64");
    command
}

/// The binary of a crate, built in `work`.
async fn build_crate(c: &CrateBuild, sha256: &str, work: &Path) -> Result<PathBuf, Failure> {
    let rustc = run(
        Command::new("rustc")
            .current_dir(work)
            .env("RUSTUP_TOOLCHAIN", &c.toolchain)
            // A toolchain that is not installed is an error, never a download.
            .env("RUSTUP_AUTO_INSTALL", "0")
            .arg("--version"),
        "rustc --version",
    )
    .await
    .map_err(|e| {
        format!(
            "Rust {} is needed to build {}: {e}; install it (`rustup toolchain install {}`)",
            c.toolchain, c.name, c.toolchain
        )
    })?;
    if rustc.split_whitespace().nth(1) != Some(c.toolchain.as_str()) {
        return Err(format!(
            "the pin builds {} with Rust {}, but `rustc` here is {}; install it with `rustup toolchain install {}`",
            c.name,
            c.toolchain,
            rustc.trim(),
            c.toolchain
        ));
    }
    let root = work.join("root");
    let mut cargo = Command::new("cargo");
    // The recipe alone decides how it is compiled: flags and profile settings from the caller's
    // environment would change the binary without changing its cache key.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PROFILE_")
            || [
                "RUSTFLAGS",
                "CARGO_ENCODED_RUSTFLAGS",
                "CARGO_BUILD_RUSTFLAGS",
            ]
            .contains(&name.as_ref())
        {
            cargo.env_remove(name.as_ref());
        }
    }
    if let Some(lto) = &c.lto {
        cargo.env("CARGO_PROFILE_RELEASE_LTO", lto);
    }
    if let Some(units) = c.codegen_units {
        cargo.env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", units.to_string());
    }
    cargo
        .current_dir(work)
        .env("RUSTUP_TOOLCHAIN", &c.toolchain)
        .env("RUSTUP_AUTO_INSTALL", "0")
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env("CARGO_TERM_COLOR", "never")
        .args(["install", "--locked", "--no-track", "--quiet", "--root"])
        .arg(&root)
        .args(["--bin", &c.bin]);
    if !c.default_features {
        cargo.arg("--no-default-features");
    }
    if !c.features.is_empty() {
        cargo.args(["--features", &c.features.join(",")]);
    }
    run(
        cargo.arg(format!("{}@{}", c.name, c.version)),
        "cargo install",
    )
    .await?;
    let crate_file = downloaded_crate(&c.name, &c.version).ok_or_else(|| {
        format!(
            "cargo installed {}@{}, but its .crate file is not in cargo's registry cache, so its sha256 cannot be checked",
            c.name, c.version
        )
    })?;
    let actual = hex_sha256(&crate_file)?;
    if actual != sha256 {
        return Err(format!(
            "{}-{}.crate hashes to sha256:{actual}, but the pin says sha256:{sha256}: the registry's crate is not what was pinned",
            c.name, c.version
        ));
    }
    Ok(root.join("bin").join(&c.bin))
}

/// The `.crate` file cargo downloaded for `name` `version`, in any registry's cache.
fn downloaded_crate(name: &str, version: &str) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let file = format!("{name}-{version}.crate");
    std::fs::read_dir(home.join("registry").join("cache"))
        .ok()?
        .flatten()
        .map(|index| index.path().join(&file))
        .find(|path| path.is_file())
}

fn hex_sha256(path: &Path) -> Result<String, Failure> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(crate::context::hex(&Sha256::digest(&bytes)))
}

/// `path` is an x86-64 ELF executable (what the image runs).
fn check_executable(path: &Path) -> Result<(), Failure> {
    let head = std::fs::read(path)
        .map(|b| b.get(..20).map(<[u8]>::to_vec).unwrap_or_default())
        .map_err(|e| format!("the build wrote no {}: {e}", path.display()))?;
    // ELF magic, 64-bit, little-endian; e_machine 0x3e is x86-64.
    if head.len() < 20 || &head[..4] != b"\x7fELF" || head[4] != 2 || head[18] != 0x3e {
        return Err(format!("{} is not an x86-64 ELF binary", path.display()));
    }
    Ok(())
}

/// Runs `command` within [`BUILD_TIMEOUT`]; its stdout on success, else the end of its stderr.
async fn run(command: &mut Command, what: &str) -> Result<String, Failure> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(BUILD_TIMEOUT, output)
        .await
        .map_err(|_| {
            format!(
                "{what} did not finish within {} min",
                BUILD_TIMEOUT.as_secs() / 60
            )
        })?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "{what}: the command is not installed on this host (the Go toolchain or rustup's cargo)"
            ),
            _ => format!("{what}: {e}"),
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        return Ok(stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = tail[tail.len().saturating_sub(15)..].join("\n");
    // go mod download -json reports its error in the JSON on stdout.
    if what == "go mod download" && stdout.contains("\"Error\"") {
        return Ok(stdout);
    }
    Err(format!("{what} failed ({}):\n{tail}", output.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(bin: &str) -> ArtifactSource {
        ArtifactSource {
            name: "yq".into(),
            version: "4.54.3".into(),
            locator: Locator::Go(GoBuild {
                module: "github.com/mikefarah/yq/v4".into(),
                version: "v4.54.3".into(),
                package: ".".into(),
                main: vec![],
                zip: false,
                ldflags: String::new(),
                toolchain: "go1.27.3".into(),
                bin: bin.into(),
            }),
            checksum: Checksum::GoModule("h1:AAAA".into()),
        }
    }

    #[test]
    fn a_program_is_cached_by_its_whole_recipe() {
        let root = Path::new("/cache");
        let a = cached_path(root, &go("yq")).unwrap();
        assert!(a.starts_with("/cache/programs"));
        assert!(a.ends_with("yq"));
        let mut other_toolchain = go("yq");
        if let Locator::Go(g) = &mut other_toolchain.locator {
            g.toolchain = "go1.26.8".into();
        }
        assert_ne!(cached_path(root, &other_toolchain), Some(a.clone()));
        assert_ne!(go("yq").key(), other_toolchain.key());
        let download = ArtifactSource {
            locator: Locator::Urls(vec!["https://x/y".into()]),
            checksum: Checksum::Sha256("ab".into()),
            ..go("yq")
        };
        assert_eq!(cached_path(root, &download), None);
        assert_eq!(download.key().as_deref(), Some("sha256:ab"));
    }

    #[test]
    fn only_x86_64_elf_files_count_as_built() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("script");
        std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
        assert!(check_executable(&script).is_err());
        assert!(check_executable(Path::new("/bin/sh")).is_ok());
        assert!(check_executable(&dir.path().join("missing")).is_err());
    }
}
