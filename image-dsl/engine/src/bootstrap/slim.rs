//! Slimming a minbase root filesystem as debuerreotype makes `-slim` images: dpkg `path-exclude`
//! rules for docs, man pages, info and locales (copyright files and locale metadata stay), the
//! files they cover removed, apt lists, caches and logs emptied, the minimizing apt/dpkg config,
//! and apt sources for the suite, its updates and its security archive.

use std::path::Path;

use super::BootstrapOptions;
use crate::graph::glob_match;

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
pub(super) fn write_sources(root: &Path, opts: &BootstrapOptions) -> std::io::Result<()> {
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
