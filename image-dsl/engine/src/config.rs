//! Where inputs come from and where they are kept: mirrors and the artifact cache.
//!
//! The Maven mirror also honours the user's Maven settings: when nothing above names one, the
//! mirror of `central` in `~/.m2/settings.xml` is used, as `mvn` would.
//!
//! Each setting is taken from the first of: a command-line flag (the caller fills
//! [`Overrides`]), an environment variable (`IMAGE_DSL_PYPI_MIRROR`, `IMAGE_DSL_MAVEN_MIRROR`,
//! `IMAGE_DSL_APACHE_MIRROR`, `IMAGE_DSL_DEBIAN_MIRROR`, `IMAGE_DSL_DEBIAN_SECURITY_MIRROR`,
//! `IMAGE_DSL_GIT_MIRROR`, `IMAGE_DSL_DEBIAN_KEYRING`, `IMAGE_DSL_CACHE_DIR`), `images.toml` in
//! the repository root, `~/.config/image-dsl/config.toml`, and the public default.
//!
//! ```toml
//! [mirrors]
//! pypi = "https://pypi.example.com/simple"
//! maven = "https://maven.example.com/maven2"
//! apache = "https://apache.example.com/dist"
//! debian = "http://deb.debian.org/debian"
//! debian_security = "http://deb.debian.org/debian-security"
//! # The keyring Debian's signed indexes are checked with (a mirror of your own may sign with
//! # its own key); Debian's archive keyring by default.
//! debian_keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
//! # Git sources: https://github.com/ohmyzsh/ohmyzsh is fetched from <git>/ohmyzsh/ohmyzsh.
//! git = "https://git.example.com/mirror"
//!
//! [cache]
//! dir = "/var/cache/image-dsl"
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Public PyPI simple index.
pub const DEFAULT_PYPI_MIRROR: &str = "https://pypi.org/simple";
/// The keyring apt verifies Debian's suites with (package `debian-archive-keyring`).
pub const DEFAULT_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// Maven Central.
pub const DEFAULT_MAVEN_MIRROR: &str = "https://repo1.maven.org/maven2";
/// The Apache archive.
pub const DEFAULT_APACHE_MIRROR: &str = "https://archive.apache.org/dist";
/// Debian's redirector, used by the base bootstrap.
pub const DEFAULT_DEBIAN_MIRROR: &str = "http://deb.debian.org/debian";

/// The source kinds that go through a mirror, with the env var and config key that set each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MirrorKind {
    /// A PyPI simple index.
    Pypi,
    /// A Maven repository.
    Maven,
    /// An Apache archive (`/dist` layout).
    Apache,
    /// A Debian archive.
    Debian,
    /// Git repositories: the mirror holds `<host path>` of each repository (none by default:
    /// each repository is fetched from where its pin says).
    Git,
}

impl MirrorKind {
    /// The environment variable that sets this mirror.
    pub fn env_var(self) -> &'static str {
        match self {
            MirrorKind::Pypi => "IMAGE_DSL_PYPI_MIRROR",
            MirrorKind::Maven => "IMAGE_DSL_MAVEN_MIRROR",
            MirrorKind::Apache => "IMAGE_DSL_APACHE_MIRROR",
            MirrorKind::Debian => "IMAGE_DSL_DEBIAN_MIRROR",
            MirrorKind::Git => "IMAGE_DSL_GIT_MIRROR",
        }
    }

    /// How a user changes this mirror, for error messages.
    pub fn how_to_set(self) -> String {
        let (flag, key) = match self {
            MirrorKind::Pypi => ("--pypi-mirror", "pypi"),
            MirrorKind::Maven => ("--maven-mirror", "maven"),
            MirrorKind::Apache => ("--apache-mirror", "apache"),
            MirrorKind::Debian => ("--debian-mirror", "debian"),
            MirrorKind::Git => ("--git-mirror", "git"),
        };
        format!(
            "{flag}, {} or `[mirrors] {key} = ...` in images.toml",
            self.env_var()
        )
    }
}

/// Settings given on the command line; `None` falls through to env, files and defaults.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--pypi-mirror`.
    pub pypi_mirror: Option<String>,
    /// `--maven-mirror`.
    pub maven_mirror: Option<String>,
    /// `--apache-mirror`.
    pub apache_mirror: Option<String>,
    /// `--debian-mirror`.
    pub debian_mirror: Option<String>,
    /// `--git-mirror`.
    pub git_mirror: Option<String>,
    /// `--cache-dir`.
    pub cache_dir: Option<PathBuf>,
}

/// The resolved mirrors and cache location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// PyPI simple index root.
    pub pypi_mirror: String,
    /// Maven repository root.
    pub maven_mirror: String,
    /// Apache archive root.
    pub apache_mirror: String,
    /// Debian archive for the base bootstrap.
    pub debian_mirror: String,
    /// Debian security archive the base is upgraded from and its apt sources name.
    pub debian_security_mirror: String,
    /// Where git repositories are fetched from instead of their own hosts, if anywhere.
    pub git_mirror: Option<String>,
    /// The OpenPGP keyring the Debian suites' `InRelease` files must be signed with.
    pub debian_keyring: PathBuf,
    /// Root of the content-addressed artifact cache.
    pub cache_dir: PathBuf,
}

/// A config file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("invalid config {path}: {source}; see `engine::config` for the format")]
    Parse {
        /// The config file.
        path: PathBuf,
        /// The parse error.
        source: toml::de::Error,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    mirrors: FileMirrors,
    #[serde(default)]
    cache: FileCache,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMirrors {
    pypi: Option<String>,
    maven: Option<String>,
    apache: Option<String>,
    debian: Option<String>,
    debian_security: Option<String>,
    debian_keyring: Option<PathBuf>,
    git: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCache {
    dir: Option<PathBuf>,
}

impl Settings {
    /// Resolves every setting from `overrides`, the environment, the config files under
    /// `repo_root` and the user's config directory, then the defaults.
    pub fn resolve(overrides: &Overrides, repo_root: &Path) -> Result<Settings, ConfigError> {
        let mut files = Vec::new();
        for path in config_files(repo_root) {
            if let Some(file) = read_file(&path)? {
                files.push(file);
            }
        }
        let pick = |flag: &Option<String>,
                    kind: MirrorKind,
                    from_file: fn(&FileMirrors) -> &Option<String>,
                    default: &str| {
            flag.clone()
                .or_else(|| env_nonempty(kind.env_var()))
                .or_else(|| files.iter().find_map(|f| from_file(&f.mirrors).clone()))
                .unwrap_or_else(|| default.to_owned())
                .trim_end_matches('/')
                .to_owned()
        };
        let cache_dir = overrides
            .cache_dir
            .clone()
            .or_else(|| env_nonempty("IMAGE_DSL_CACHE_DIR").map(PathBuf::from))
            .or_else(|| files.iter().find_map(|f| f.cache.dir.clone()))
            .unwrap_or_else(default_cache_dir);
        let debian_mirror = pick(
            &overrides.debian_mirror,
            MirrorKind::Debian,
            |m| &m.debian,
            DEFAULT_DEBIAN_MIRROR,
        );
        Ok(Settings {
            pypi_mirror: pick(
                &overrides.pypi_mirror,
                MirrorKind::Pypi,
                |m| &m.pypi,
                DEFAULT_PYPI_MIRROR,
            ),
            maven_mirror: pick(
                &overrides.maven_mirror,
                MirrorKind::Maven,
                |m| &m.maven,
                &maven_settings_mirror().unwrap_or_else(|| DEFAULT_MAVEN_MIRROR.to_owned()),
            ),
            apache_mirror: pick(
                &overrides.apache_mirror,
                MirrorKind::Apache,
                |m| &m.apache,
                DEFAULT_APACHE_MIRROR,
            ),
            debian_mirror: debian_mirror.clone(),
            debian_security_mirror: env_nonempty("IMAGE_DSL_DEBIAN_SECURITY_MIRROR")
                .or_else(|| files.iter().find_map(|f| f.mirrors.debian_security.clone()))
                .map(|m| m.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| security_mirror_of(&debian_mirror)),
            git_mirror: overrides
                .git_mirror
                .clone()
                .or_else(|| env_nonempty(MirrorKind::Git.env_var()))
                .or_else(|| files.iter().find_map(|f| f.mirrors.git.clone()))
                .map(|m| m.trim_end_matches('/').to_owned()),
            debian_keyring: env_nonempty("IMAGE_DSL_DEBIAN_KEYRING")
                .map(PathBuf::from)
                .or_else(|| files.iter().find_map(|f| f.mirrors.debian_keyring.clone()))
                .unwrap_or_else(|| PathBuf::from(DEFAULT_KEYRING)),
            cache_dir,
        })
    }

    /// Defaults only, with the cache at `cache_dir`; for tests and callers that configure by hand.
    pub fn with_cache_dir(cache_dir: PathBuf) -> Settings {
        Settings {
            pypi_mirror: DEFAULT_PYPI_MIRROR.to_owned(),
            maven_mirror: DEFAULT_MAVEN_MIRROR.to_owned(),
            apache_mirror: DEFAULT_APACHE_MIRROR.to_owned(),
            debian_mirror: DEFAULT_DEBIAN_MIRROR.to_owned(),
            debian_security_mirror: security_mirror_of(DEFAULT_DEBIAN_MIRROR),
            git_mirror: None,
            debian_keyring: PathBuf::from(DEFAULT_KEYRING),
            cache_dir,
        }
    }
}

/// The mirror of Maven Central in the user's Maven settings (`~/.m2/settings.xml`, or the file
/// `$MAVEN_SETTINGS` names): the first `<mirror>` whose `<mirrorOf>` covers `central` (`*`,
/// `central`, `external:*`, and not `!central`), as `mvn` itself would use. Artifactory and Nexus
/// users get their repository without configuring image-dsl separately.
pub fn maven_settings_mirror() -> Option<String> {
    let path = env_nonempty("MAVEN_SETTINGS")
        .map(PathBuf::from)
        .or_else(|| env_nonempty("HOME").map(|h| PathBuf::from(h).join(".m2/settings.xml")))?;
    mirror_of_central(&std::fs::read_to_string(path).ok()?)
}

/// The URL of the first `<mirror>` of a Maven `settings.xml` text that covers `central`.
pub fn mirror_of_central(settings: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(settings).ok()?;
    let child = |node: roxmltree::Node<'_, '_>, name: &str| {
        node.children()
            .find(|c| c.tag_name().name() == name)
            .and_then(|c| c.text())
            .map(str::trim)
            .map(str::to_owned)
    };
    doc.descendants()
        .filter(|n| n.tag_name().name() == "mirror")
        .find(|mirror| {
            let of = child(*mirror, "mirrorOf").unwrap_or_default();
            let patterns: Vec<&str> = of.split(',').map(str::trim).collect();
            !patterns.contains(&"!central")
                && patterns
                    .iter()
                    .any(|p| matches!(*p, "*" | "central" | "external:*"))
        })
        .and_then(|mirror| child(mirror, "url"))
        .map(|url| url.trim_end_matches('/').to_owned())
}

/// The security archive beside a Debian mirror: `.../debian` becomes `.../debian-security`.
pub fn security_mirror_of(debian_mirror: &str) -> String {
    let mirror = debian_mirror.trim_end_matches('/');
    match mirror.strip_suffix("/debian") {
        Some(root) => format!("{root}/debian-security"),
        None => format!("{mirror}-security"),
    }
}

/// `$XDG_CACHE_HOME/image-dsl`, else `~/.cache/image-dsl`, else `target/image-dsl-cache`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(xdg) = env_nonempty("XDG_CACHE_HOME") {
        return PathBuf::from(xdg).join("image-dsl");
    }
    match env_nonempty("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("image-dsl"),
        None => PathBuf::from("target").join("image-dsl-cache"),
    }
}

/// The config files in the order they are consulted.
fn config_files(repo_root: &Path) -> Vec<PathBuf> {
    let mut files = vec![repo_root.join("images.toml")];
    let user_config = env_nonempty("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env_nonempty("HOME").map(|home| PathBuf::from(home).join(".config")));
    if let Some(dir) = user_config {
        files.push(dir.join("image-dsl").join("config.toml"));
    }
    files
}

fn read_file(path: &Path) -> Result<Option<FileConfig>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_files_and_files_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("images.toml"),
            "[mirrors]\nmaven = \"http://maven.local/m2/\"\napache = \"http://apache.local\"\n",
        )
        .unwrap();
        let overrides = Overrides {
            apache_mirror: Some("http://flag.local".into()),
            cache_dir: Some("/c".into()),
            ..Overrides::default()
        };
        let settings = Settings::resolve(&overrides, dir.path()).unwrap();
        assert_eq!(settings.maven_mirror, "http://maven.local/m2");
        assert_eq!(settings.apache_mirror, "http://flag.local");
        assert_eq!(settings.cache_dir, PathBuf::from("/c"));
    }

    #[test]
    fn the_maven_mirror_of_central_comes_from_the_users_settings() {
        let settings = r#"<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <mirrors>
    <mirror><id>other</id><mirrorOf>snapshots</mirrorOf><url>http://other.test/</url></mirror>
    <mirror><id>not-central</id><mirrorOf>*,!central</mirrorOf><url>http://no.test/</url></mirror>
    <mirror><id>corp</id><mirrorOf>external:*, central</mirrorOf><url> https://nexus.test/repository/central/ </url></mirror>
  </mirrors>
</settings>"#;
        assert_eq!(
            mirror_of_central(settings).as_deref(),
            Some("https://nexus.test/repository/central")
        );
        assert_eq!(mirror_of_central("<settings/>"), None);
        assert_eq!(mirror_of_central("not xml"), None);
    }

    #[test]
    fn the_security_archive_sits_beside_the_debian_mirror() {
        assert_eq!(
            security_mirror_of("http://deb.debian.org/debian/"),
            "http://deb.debian.org/debian-security"
        );
        assert_eq!(
            security_mirror_of("http://mirror.local/deb"),
            "http://mirror.local/deb-security"
        );
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("images.toml"), "[mirrors]\nnpm = \"x\"\n").unwrap();
        let err = Settings::resolve(&Overrides::default(), dir.path()).unwrap_err();
        assert!(err.to_string().contains("images.toml"), "{err}");
    }
}
