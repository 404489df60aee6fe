//! The pin file's rules, one function each with an example of what it refuses, run on the
//! [`PinFile`] that [`super::schema`] read. Every error is placed at the value it is about.
//!
//! What a version or a digest is comes from `image_dsl_pin_rules`, which the `image!` macro's
//! inline pins use too.

use crate::policy::{POLICY_FILE, PolicyFile, SparkLine};
use image_dsl_pin_rules::{exact_version, is_hex};
use image_dsl_spark::RAPIDS_ARTIFACT_PREFIX;
use std::collections::BTreeMap;
use toml::Spanned;

use super::schema::{ArtifactChecksum, ArtifactSource, CrateSource, PinFile, Section, entry_name};
use super::{Errors, pin_ident};

/// The Debian suite the base is bootstrapped from, which the apt pins are resolved for.
const SUITE: &str = "bookworm";

/// Runs every rule, the RAPIDS and Iceberg pins against `policy` when there is one. The rules
/// between entries (constant names, `requires`, the suite) need every entry read: after an entry
/// did not fit the schema they would report its absence, not a fault.
pub(super) fn all(pins: &PinFile, policy: Option<&PolicyFile>, cx: &mut Errors<'_>) {
    let read_whole = cx.is_empty();
    check_exact_versions(cx, pins);
    check_hex_digests(cx, pins);
    check_text_present(cx, pins);
    check_artifact_sources(cx, pins);
    check_built_programs(cx, pins);
    if let Some(policy) = policy {
        check_against_policy(cx, pins, policy);
    }
    if read_whole {
        check_suite(cx, pins);
        check_constant_names(cx, pins);
        check_requires_are_pinned(cx, &pins.pip);
    }
}

/// `[debian] suite` is the suite the base is bootstrapped from.
///
/// ```toml
/// [debian]
/// suite = "trixie"   # error
/// ```
fn check_suite(cx: &mut Errors<'_>, pins: &PinFile) {
    let suite = &pins.debian.suite;
    if suite.get_ref() != SUITE {
        cx.at(
            suite.span(),
            format!("[debian] suite must be \"{SUITE}\", the suite the base is bootstrapped from"),
        );
    }
}

/// Every version is exact ([`exact_version`]): no `*`, ranges or `latest`.
///
/// ```toml
/// [apt]
/// curl = "*"   # error
/// ```
fn check_exact_versions(cx: &mut Errors<'_>, pins: &PinFile) {
    let versions = versions(&pins.apt, "apt", |p| &p.version)
        .chain(versions(&pins.pip, "pip", |p| &p.version))
        .chain(versions(&pins.artifact, "artifact", |p| &p.version));
    for (entry, version) in versions {
        if !exact_version(version.get_ref()) {
            cx.at(
                version.span(),
                format!(
                    "{entry} needs an exact version, not `{}` (no `*`, ranges or `latest`; letters, digits and `.+~:-_`)",
                    version.get_ref()
                ),
            );
        }
    }
}

/// Checksums and commits are lowercase hex of their length: sha256 64, sha512 128, a git commit
/// 40 (a branch, a tag or a short id moves or can become ambiguous).
///
/// ```toml
/// [git.dotfiles]
/// repo = "https://github.com/example/dotfiles"
/// commit = "main"   # error
/// ```
fn check_hex_digests(cx: &mut Errors<'_>, pins: &PinFile) {
    /// A field holding a digest: its name, its length in hex digits, how the error says it.
    type Digest = (&'static str, usize, &'static str);
    const SHA256: Digest = ("sha256", 64, "64 lowercase hex digits");
    const SHA512: Digest = ("sha512", 128, "128 lowercase hex digits");
    const COMMIT: Digest = ("commit", 40, "a full 40-hex commit id");
    let mut digests: Vec<(String, &Spanned<String>, Digest)> = Vec::new();
    for (name, pin) in pins.pip.iter() {
        digests.push((entry_name("pip", name.get_ref()), &pin.sha256, SHA256));
    }
    for (key, pin) in pins.artifact.iter() {
        let entry = entry_name("artifact", key.get_ref());
        match &pin.checksum {
            ArtifactChecksum::Sha256(hex) => digests.push((entry, hex, SHA256)),
            ArtifactChecksum::Sha512(hex) => digests.push((entry, hex, SHA512)),
            ArtifactChecksum::GoModule(_) | ArtifactChecksum::Unverified(_) => {}
        }
    }
    for (key, pin) in pins.git.iter() {
        digests.push((entry_name("git", key.get_ref()), &pin.commit, COMMIT));
    }
    for (entry, hex, (field, len, what)) in digests {
        if !is_hex(hex.get_ref(), len) {
            cx.at(hex.span(), format!("{entry} {field} must be {what}"));
        }
    }
}

/// The fields that are free text are not empty: a wheel's file name and URL, a repository, the
/// reason an artifact is unverified.
///
/// ```toml
/// [artifact.spark]
/// version = "4.1.1"
/// url = "https://archive.apache.org/dist/spark/spark-4.1.1/spark-4.1.1-bin-hadoop3.tgz"
/// unverified = ""   # error
/// ```
fn check_text_present(cx: &mut Errors<'_>, pins: &PinFile) {
    let mut fields: Vec<(String, &str, &Spanned<String>)> = Vec::new();
    for (name, pin) in pins.pip.iter() {
        let entry = entry_name("pip", name.get_ref());
        fields.push((entry.clone(), "wheel", &pin.wheel));
        fields.push((entry, "url", &pin.url));
    }
    for (key, pin) in pins.artifact.iter() {
        if let ArtifactChecksum::Unverified(why) = &pin.checksum {
            fields.push((entry_name("artifact", key.get_ref()), "unverified", why));
        }
    }
    for (key, pin) in pins.git.iter() {
        fields.push((entry_name("git", key.get_ref()), "repo", &pin.repo));
    }
    for (entry, field, value) in fields {
        if value.get_ref().trim().is_empty() {
            cx.at(
                value.span(),
                format!("{entry} `{field}` must be a non-empty string"),
            );
        }
    }
}

/// An artifact's URL is http or https, and its Maven coordinates name its version.
///
/// ```toml
/// [artifact.ojdbc11]
/// version = "21.11.0.0"
/// maven = "com.oracle.database.jdbc:ojdbc11:21.9.0.0"   # error
/// ```
fn check_artifact_sources(cx: &mut Errors<'_>, pins: &PinFile) {
    for (key, pin) in pins.artifact.iter() {
        let entry = entry_name("artifact", key.get_ref());
        match &pin.source {
            ArtifactSource::Url(url)
                if !(url.get_ref().starts_with("https://")
                    || url.get_ref().starts_with("http://")) =>
            {
                cx.at(
                    url.span(),
                    format!("{entry} url `{}` is not http or https", url.get_ref()),
                );
            }
            ArtifactSource::Maven(maven) if maven.version != *pin.version.get_ref() => cx.at(
                maven.coordinates.span(),
                format!(
                    "{entry} maven must be group:artifact:{}[:classifier]",
                    pin.version.get_ref()
                ),
            ),
            _ => {}
        }
    }
}

/// A program built on the host names an exact version (the entry's `version`, with or without
/// Go's leading `v`) and an exact toolchain (`go1.N.P` for Go, `1.N.P` for Rust: never `local`,
/// `auto`, `stable` or a minor line, so the same pin builds with the same compiler everywhere),
/// and its checksum is of its kind: `h1` for a Go module, `sha256` of the `.crate` for a crate.
///
/// ```toml
/// [artifact.yq]
/// version = "4.54.3"
/// go = "github.com/mikefarah/yq/v4@latest"   # error
/// toolchain = "go1.27"                        # error
/// sha256 = "…"                                # error: a Go module's checksum is its h1
/// ```
fn check_built_programs(cx: &mut Errors<'_>, pins: &PinFile) {
    for (key, pin) in pins.artifact.iter() {
        let entry = entry_name("artifact", key.get_ref());
        let wanted = pin.version.get_ref();
        let (spec, version, toolchain, go) = match &pin.source {
            ArtifactSource::Go(go) => (&go.spec, &go.version, &go.toolchain, true),
            ArtifactSource::Crate(c) => (&c.spec, &c.version, &c.toolchain, false),
            ArtifactSource::Url(_) => {
                if let ArtifactChecksum::GoModule(h1) = &pin.checksum {
                    cx.at(h1.span(), format!("{entry} `h1` is for a `go` source; a file fetched by URL takes sha256 or sha512"));
                }
                continue;
            }
            ArtifactSource::Maven(_) => continue,
        };
        // Go module versions are semantic versions with a `v`; the entry's `version` has none.
        let bare = if go {
            version.strip_prefix('v')
        } else {
            Some(version.as_str())
        };
        if !bare.is_some_and(|bare| exact_version(bare) && bare == wanted) {
            cx.at(
                spec.span(),
                format!(
                    "{entry} must name the exact version {}{wanted} after `@`, as `version` says",
                    if go { "v" } else { "" }
                ),
            );
        }
        let exact_toolchain = if go {
            toolchain
                .get_ref()
                .strip_prefix("go")
                .is_some_and(three_numbers)
        } else {
            three_numbers(toolchain.get_ref())
        };
        if !exact_toolchain {
            cx.at(
                toolchain.span(),
                format!(
                    "{entry} toolchain must be exact, {} (not `{}`), so every host builds it with the same compiler",
                    if go { "`go1.N.P`" } else { "`1.N.P`" },
                    toolchain.get_ref()
                ),
            );
        }
        match (&pin.checksum, go) {
            (ArtifactChecksum::GoModule(h1), true) => {
                let ok = h1.get_ref().strip_prefix("h1:").is_some_and(|b64| {
                    b64.len() == 44
                        && b64.ends_with('=')
                        && b64[..43]
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
                });
                if !ok {
                    cx.at(h1.span(), format!("{entry} h1 must be the module's go.sum hash, `h1:` and 44 base64 characters (`go mod download -json {}` prints it as Sum)", spec.get_ref()));
                }
            }
            (ArtifactChecksum::Sha256(_) | ArtifactChecksum::Unverified(_), false)
            | (ArtifactChecksum::Unverified(_), true) => {}
            (ArtifactChecksum::Sha256(hex) | ArtifactChecksum::Sha512(hex), true) => cx.at(
                hex.span(),
                format!("{entry} a Go module is checked by its `h1` (go.sum's hash), not a sha of a file"),
            ),
            (ArtifactChecksum::Sha512(hex) | ArtifactChecksum::GoModule(hex), false) => cx.at(
                hex.span(),
                format!("{entry} a crate is checked by `sha256`, its `.crate` file's (the registry index's `cksum`)"),
            ),
        }
        if let ArtifactSource::Crate(c) = &pin.source {
            check_cargo_options(cx, &entry, c);
        }
    }
}

/// A crate's features and release-profile settings are what cargo takes: feature names, each
/// once; `lto` one of `off`, `thin`, `fat`; 1 to 256 codegen units.
///
/// ```toml
/// [artifact."atuin"]
/// features = ["client", "client"]   # error: `client` twice
/// lto = "true"                      # error: `off`, `thin` or `fat`
/// ```
fn check_cargo_options(cx: &mut Errors<'_>, entry: &str, c: &CrateSource) {
    let mut seen = std::collections::BTreeSet::new();
    for feature in c.features.iter().flatten() {
        let name = feature.get_ref();
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_+./".contains(&b));
        if !valid {
            cx.at(feature.span(), format!("{entry} `{name}` is not a cargo feature name (letters, digits, `-`, `_`, `+`, `.`, and `/` for a dependency's feature)"));
        } else if !seen.insert(name.as_str()) {
            cx.at(
                feature.span(),
                format!("{entry} names feature `{name}` twice"),
            );
        }
    }
    if let Some(lto) = &c.lto
        && !["off", "thin", "fat"].contains(&lto.get_ref().as_str())
    {
        cx.at(lto.span(), format!("{entry} lto must be `off`, `thin` or `fat` (cargo's profile.release.lto), not `{}`", lto.get_ref()));
    }
    if let Some(units) = &c.codegen_units
        && !(1..=256).contains(units.get_ref())
    {
        cx.at(
            units.span(),
            format!(
                "{entry} codegen-units must be 1 to 256, not {}",
                units.get_ref()
            ),
        );
    }
}

/// `N.N.N`: three dot-separated numbers.
fn three_numbers(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The RAPIDS and Iceberg pins are the releases the catalog's policy file describes
/// ([`PolicyFile`]), or the rules would vouch for combinations nobody checked.
///
/// ```toml
/// [artifact."rapids-4-spark_2.12"]
/// version = "24.02.0"   # error: the policy describes 25.04.0
/// ```
fn check_against_policy(cx: &mut Errors<'_>, pins: &PinFile, policy: &PolicyFile) {
    for (key, pin) in pins.artifact.iter() {
        let (key, version) = (key.get_ref().as_str(), pin.version.get_ref().as_str());
        let span = pin.version.span();
        if let Some(scala) = key.strip_prefix(RAPIDS_ARTIFACT_PREFIX) {
            match policy.rapids_for(scala) {
                Some(r) if r.release == version => {}
                Some(r) => cx.at(span.clone(), format!(
                    "[artifact.\"{key}\"] is {version} but {POLICY_FILE} describes RAPIDS {} for Scala {scala}: update both together",
                    r.release
                )),
                None => cx.at(span.clone(), format!(
                    "[artifact.\"{key}\"]: {POLICY_FILE} has no [[rapids]] release for Scala {scala}"
                )),
            }
        }
        for line in &policy.iceberg {
            let SparkLine { major, minor } = *line.spark.get_ref();
            if key == format!("iceberg-spark-runtime-{major}.{minor}_{}", line.scala)
                && version != line.release
            {
                cx.at(span.clone(), format!(
                    "[artifact.\"{key}\"] is {version} but {POLICY_FILE} pins Iceberg {} for Spark {major}.{minor}: update both together",
                    line.release
                ));
            }
        }
    }
}

/// Two keys of a section do not become one constant name ([`pin_ident`]).
///
/// ```toml
/// [apt]
/// foo-bar = "1"
/// foo_bar = "2"   # error: both become FOO_BAR
/// ```
fn check_constant_names(cx: &mut Errors<'_>, pins: &PinFile) {
    fn apart<T>(cx: &mut Errors<'_>, kind: &str, section: &Section<T>) {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for (key, _) in section.iter() {
            let ident = pin_ident(key.get_ref());
            if let Some(other) = seen.insert(ident.clone(), key.get_ref()) {
                cx.at(
                    key.span(),
                    format!(
                        "[{kind}] `{}` and `{other}` both become `{ident}`: rename one",
                        key.get_ref()
                    ),
                );
            }
        }
    }
    apart(cx, "apt", &pins.apt);
    apart(cx, "pip", &pins.pip);
    apart(cx, "artifact", &pins.artifact);
    apart(cx, "git", &pins.git);
}

/// What a wheel requires is pinned too: an image installs the closure of these names.
///
/// ```toml
/// [pip.pandas]
/// requires = ["numpy"]   # error without a [pip.numpy]
/// ```
fn check_requires_are_pinned(cx: &mut Errors<'_>, pip: &Section<super::PipPin>) {
    for (name, pin) in pip.iter() {
        for required in &pin.requires {
            let r = required.get_ref();
            if !pip.contains_key(r) {
                cx.at(
                    required.span(),
                    format!(
                        "[pip.{}] requires `{r}`, which has no [pip.{r}] pin",
                        name.get_ref()
                    ),
                );
            }
        }
    }
}

/// `(entry name, version)` of each pin of `section`.
fn versions<'p, T>(
    section: &'p Section<T>,
    kind: &'p str,
    version: impl Fn(&T) -> &Spanned<String> + 'p,
) -> impl Iterator<Item = (String, &'p Spanned<String>)> + 'p {
    section
        .iter()
        .map(move |(key, pin)| (entry_name(kind, key.get_ref()), version(pin)))
}
