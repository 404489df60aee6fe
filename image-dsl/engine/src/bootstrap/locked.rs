//! The base from its locked `.deb`s: `debootstrap --unpack-tarball` of a tarball made on the host
//! from the verified cache, so the bootstrap reads nothing from Debian and installs exactly the
//! package set of `images/apt.lock`.
//!
//! The tarball has the layout `debootstrap --make-tarball` writes: the `.deb`s under
//! `var/cache/apt/archives/`, a `Packages` list of them under `var/lib/apt/lists/` (named as
//! debootstrap names the mirror's), and `debootstrap/{required,base,debpaths}`. Every package
//! goes in `required`: debootstrap unpacks those together and configures them in dependency
//! order. The locked set is the upgraded base (the suite's updates and security fixes included),
//! so no `apt-get upgrade` follows.

use std::path::{Path, PathBuf};

use super::{BootstrapError, BootstrapOptions};
use crate::debian::closure::LockedBase;
use crate::fetch::{FetchError, Fetcher};

/// Fetches (or finds in the cache) every `.deb` of `base`, checked against its SHA-256, and
/// writes the tarball `debootstrap --unpack-tarball` takes to `dir/base.tar`.
pub(super) async fn tarball(
    opts: &BootstrapOptions,
    base: &LockedBase,
    dir: &Path,
) -> Result<PathBuf, BootstrapError> {
    let (cached, errors) = Fetcher::new(opts.settings.clone())
        .fetch_each(&[&base.spec()])
        .await;
    if !errors.is_empty() {
        return Err(BootstrapError::Inputs {
            reference: opts.reference.clone(),
            errors,
        });
    }
    let fetched: Vec<_> = base
        .debs
        .iter()
        .filter_map(|deb| {
            let path = cached.get(&deb.source().key()?)?;
            Some((deb, path))
        })
        .collect();

    let mut packages = String::new();
    let mut debpaths = String::new();
    for (deb, path) in &fetched {
        let control = control(opts, path).await?;
        packages.push_str(control.trim_end());
        packages.push_str(&format!(
            "\nFilename: {}\nSize: {}\nSHA256: {}\n\n",
            deb.path, deb.size, deb.sha256
        ));
        debpaths.push_str(&format!(
            "{} /var/cache/apt/archives/{}\n",
            deb.package,
            deb.file_name()
        ));
    }
    let required: Vec<&str> = fetched.iter().map(|(d, _)| d.package.as_str()).collect();
    let lists = format!("var/lib/apt/lists/{}", list_name(&opts.mirror, &opts.suite));
    let target = dir.join("base.tar");
    let file =
        std::fs::File::create(&target).map_err(super::io_error(opts, "creating", &target))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    let text_files = [
        ("debootstrap/required".to_owned(), required.join(" ") + "\n"),
        ("debootstrap/base".to_owned(), String::new()),
        ("debootstrap/debpaths".to_owned(), debpaths),
        ("debootstrap/suite".to_owned(), format!("{}\n", opts.suite)),
        ("debootstrap/variant".to_owned(), "minbase\n".to_owned()),
        (lists, packages),
    ];
    for dir in [
        "var/lib/apt/lists/partial",
        "var/cache/apt/archives/partial",
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o755);
        header.set_size(0);
        header.set_cksum();
        tar.append_data(&mut header, dir, std::io::empty())
            .map_err(super::io_error(opts, "writing", &target))?;
    }
    for (name, text) in &text_files {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(text.len() as u64);
        header.set_cksum();
        tar.append_data(&mut header, name, text.as_bytes())
            .map_err(super::io_error(opts, "writing", &target))?;
    }
    for (deb, path) in &fetched {
        tar.append_path_with_name(path, format!("var/cache/apt/archives/{}", deb.file_name()))
            .map_err(super::io_error(opts, "adding a .deb to", &target))?;
    }
    tar.into_inner()
        .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
        .map_err(super::io_error(opts, "writing", &target))?;
    Ok(target)
}

/// The control paragraph of the `.deb` at `path` (`dpkg-deb --field`).
async fn control(opts: &BootstrapOptions, path: &Path) -> Result<String, BootstrapError> {
    let output = tokio::process::Command::new("dpkg-deb")
        .arg("--field")
        .arg(path)
        .output()
        .await;
    match output {
        Ok(output) if output.status.success() => {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        }
        Ok(output) => Err(BootstrapError::Step {
            reference: opts.reference.clone(),
            step: "dpkg-deb --field",
            detail: format!(
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            log: opts.log_dir.join("bootstrap.log"),
        }),
        Err(e) => Err(BootstrapError::Step {
            reference: opts.reference.clone(),
            step: "dpkg-deb --field",
            detail: format!("cannot run `dpkg-deb`: {e}"),
            log: opts.log_dir.join("bootstrap.log"),
        }),
    }
}

/// The name debootstrap gives the main `Packages` list of `suite` at `mirror`: the URL without
/// its scheme, `/` as `_` (`deb.example.org_debian_dists_bookworm_main_binary-amd64_Packages`).
fn list_name(mirror: &str, suite: &str) -> String {
    let mirror = mirror.trim_end_matches('/');
    let mirror = mirror.split_once("://").map_or(mirror, |(_, rest)| rest);
    format!("{mirror}_dists/{suite}/main/binary-amd64/Packages").replace('/', "_")
}

/// The fetch errors of a locked bootstrap, one per line.
pub(super) fn describe(errors: &[FetchError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_named_as_debootstrap_names_it() {
        assert_eq!(
            list_name("http://mirror.test/debian/", "bookworm"),
            "mirror.test_debian_dists_bookworm_main_binary-amd64_Packages"
        );
    }
}
