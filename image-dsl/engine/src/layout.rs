//! Where a catalog's files are, given explicitly by whoever drives the engine ([`Layout`]), and
//! how the fixes its errors name are spelled on that tool's command line ([`Fix`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The files of one catalog: its workspace root and the directory of the crate that declares the
/// images (where its pin file and apt lock are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The workspace root: `images.toml` (settings), `snapshots/` and `target/images/` are here.
    pub root: PathBuf,
    /// The catalog crate's directory: `pins.toml` and `apt.lock` are here.
    pub catalog: PathBuf,
}

impl Layout {
    /// The layout of a workspace at `root` whose catalog crate is at `catalog`.
    pub fn new(root: impl Into<PathBuf>, catalog: impl Into<PathBuf>) -> Layout {
        Layout {
            root: root.into(),
            catalog: catalog.into(),
        }
    }

    /// The pin file: every version and checksum of the catalog.
    pub fn pins(&self) -> PathBuf {
        self.catalog.join("pins.toml")
    }

    /// The `.deb` closures of every apt step and of the base, written by the lock.
    pub fn apt_lock(&self) -> PathBuf {
        self.catalog.join("apt.lock")
    }

    /// The optional settings file (mirrors, cache) of the workspace.
    pub fn config_file(&self) -> PathBuf {
        self.root.join("images.toml")
    }

    /// Where reports, probe results and build logs go.
    pub fn target(&self) -> PathBuf {
        self.root.join("target").join("images")
    }

    /// Where build logs go.
    pub fn log_dir(&self) -> PathBuf {
        self.target().join("logs")
    }

    /// Where each built image's SBOM goes ([`crate::BuildSpec::sbom_file_name`]).
    pub fn sbom_dir(&self) -> PathBuf {
        self.target().join("sbom")
    }

    /// How long each image took to build last time, which the scheduler starts the longest
    /// chains with ([`crate::BuildOptions::build_times`]).
    pub fn build_times(&self) -> PathBuf {
        self.target().join("build-times.json")
    }

    /// Where measured compressed sizes are kept, by image ID ([`crate::compressed::SizeCache`]).
    pub fn size_cache(&self) -> PathBuf {
        self.target().join("compressed-sizes.json")
    }

    /// Where each image's reviewed Dockerfile is kept.
    pub fn snapshots(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    /// `path` as messages show it: relative to the root when it is inside it.
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// A command that fixes what an error reports. The engine names the fix; the command line that
/// drives it says how it is spelled ([`set_command`]), so an error reads as the user's own tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Refresh the pins and the apt lock where the registries are reachable.
    Lock,
    /// Move withdrawn apt pins to what Debian serves.
    LockWithdrawn,
    /// List the catalog's images.
    List,
    /// Build one image (its help names the mirror settings).
    Build(String),
}

static COMMAND: OnceLock<String> = OnceLock::new();

/// How the driving tool is invoked before its subcommand (`cargo xtask images` unless set). Set
/// once, before the first error is shown; later calls are ignored.
pub fn set_command(command: &str) {
    let _ = COMMAND.set(command.to_owned());
}

/// The command prefix errors show.
pub fn command() -> &'static str {
    COMMAND.get().map_or("cargo xtask images", String::as_str)
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let command = command();
        match self {
            Fix::Lock => write!(f, "`{command} lock`"),
            Fix::LockWithdrawn => write!(f, "`{command} lock --withdrawn`"),
            Fix::List => write!(f, "`{command} list`"),
            Fix::Build(image) => write!(f, "`{command} build {image}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_given_directories() {
        let layout = Layout::new("/w", "/w/catalog");
        assert_eq!(layout.pins(), Path::new("/w/catalog/pins.toml"));
        assert_eq!(layout.apt_lock(), Path::new("/w/catalog/apt.lock"));
        assert_eq!(layout.log_dir(), Path::new("/w/target/images/logs"));
        assert_eq!(
            layout.size_cache(),
            Path::new("/w/target/images/compressed-sizes.json")
        );
        assert_eq!(layout.shown(&layout.apt_lock()), "catalog/apt.lock");
        assert_eq!(layout.shown(Path::new("/elsewhere/x")), "/elsewhere/x");
    }

    #[test]
    fn a_fix_is_spelled_with_the_command_prefix() {
        assert_eq!(
            Fix::LockWithdrawn.to_string(),
            format!("`{} lock --withdrawn`", command())
        );
    }
}
