//! What counts as a pin, one definition for the `image!` macro's inline pins
//! (`apt ["procps=2:4.0.2-3"]`, `artifact { sha256: "…" }`) and the pin file
//! (`images/pins.toml`, `image_dsl::pinfile`): an exact version and a hex digest; and the name
//! `go install` gives a pinned Go program, for the pin file and the engine that builds it.
//!
//! The crate has no dependencies, so the macro's build stays small; the pin file's schema lives
//! in `image_dsl::pinfile` and calls these.

/// An exact version: it starts with a digit and has only ASCII letters, digits and `.+~:-_`
/// (Debian's version alphabet, plus `_`, which Maven and PEP 440 versions use), and it does not
/// say `latest`.
///
/// The alphabet is a list of what is allowed, not of what is refused: ranges (`>=1`, `1,<2`),
/// wildcards (`7.*`), but also `$`, quotes, `;`, `|`, `\` and whitespace of any kind are no
/// versions. The rendered Dockerfile writes a version into a shell command and into pip's
/// requirements file, where such characters would be more than one version.
///
/// ```
/// use image_dsl_pin_rules::exact_version;
/// assert!(exact_version("2:4.0.2-3") && exact_version("12.4.2.jre11"));
/// assert!(!exact_version("7.*") && !exact_version("7.88.1$(id)"));
/// ```
pub fn exact_version(v: &str) -> bool {
    v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+~:-_".contains(c))
        && !v.contains("latest")
}

/// Exactly `len` lowercase hex digits: a sha256 is 64, a sha512 128, a git commit 40.
///
/// ```
/// use image_dsl_pin_rules::is_hex;
/// assert!(is_hex("0123456789abcdef", 16));
/// assert!(!is_hex("0123456789ABCDEF", 16) && !is_hex("abc", 64));
/// ```
pub fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// The binary `go install` makes of the package at `path`: its last element, or the one before
/// when the last is a major version suffix (`/v4`).
///
/// ```
/// use image_dsl_pin_rules::go_binary_name;
/// assert_eq!(go_binary_name("github.com/mikefarah/yq/v4"), "yq");
/// assert_eq!(go_binary_name("helm.sh/helm/v4/cmd/helm"), "helm");
/// assert_eq!(go_binary_name("example.com/v2tool"), "v2tool");
/// ```
pub fn go_binary_name(path: &str) -> &str {
    let mut parts = path.trim_matches('/').rsplit('/');
    let last = parts.next().unwrap_or_default();
    let is_major =
        last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit());
    match (is_major, parts.next()) {
        (true, Some(before)) => before,
        _ => last,
    }
}

#[cfg(test)]
mod tests {
    use super::exact_version;

    #[test]
    fn versions_of_debian_maven_and_pypi_are_exact() {
        for v in [
            "2:4.0.2-3",
            "17.0.21.1+2-1~deb12u1",
            "0.19.0-1+b3",
            "3.3a-3",
            "12.4.2.jre11",
            "12.0.4-0",
            "1.0_rc1",
            "2026f-0+deb12u1",
        ] {
            assert!(exact_version(v), "{v}");
        }
    }

    #[test]
    fn ranges_wildcards_and_latest_are_not() {
        for v in [
            "",
            "*",
            "7.*",
            ">=1",
            "1,<2",
            "1 - 2",
            "latest",
            "1.0-latest",
            "v1.0",
        ] {
            assert!(!exact_version(v), "{v}");
        }
    }

    /// The macro's rule used to refuse only `* < > , space` and `latest`, while the pin file's
    /// allowed only Debian's alphabet: `curl=7.88.1$(id)` passed the macro, and the same version
    /// in `images/pins.toml` was refused. A version is now the pin file's alphabet in both.
    #[test]
    fn what_the_two_rules_disagreed_on_is_not_a_version() {
        for v in [
            "7.88.1$(id)",
            "1.0;id",
            "1.0\"",
            "1.0|1.1",
            "1.0\n--index-url=x",
            "1.0\t",
        ] {
            assert!(!exact_version(v), "{v:?}");
        }
    }
}
