//! The bootstrap's scratch directory, and the mounts debootstrap may leave in it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Removes root filesystems a killed bootstrap left in `work_dir`; with the lock held, every
/// directory there is stale.
pub(super) fn remove_stale_scratch(work_dir: &Path) {
    for entry in std::fs::read_dir(work_dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            remove_unmounted(&entry.path());
        }
    }
}

/// The bootstrap's scratch directory: file systems mounted inside it (debootstrap mounts
/// `/proc` and `/sys` in the target) are unmounted before it is removed.
pub(super) struct Scratch(pub(super) tempfile::TempDir);

impl Scratch {
    pub(super) fn path(&self) -> &Path {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_paths_are_unescaped() {
        assert_eq!(unescape_mount_path("/a\\040b/proc"), "/a b/proc");
        assert_eq!(unescape_mount_path("/plain"), "/plain");
    }
}
