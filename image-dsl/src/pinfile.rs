//! The pin file (`images/pins.toml`): its validation and its translation into typed Rust
//! constants. The images crate's build script calls [`generate`]; errors name the file and line.

use crate::policy::{POLICY_FILE, PolicyFile, SparkLine};
use image_dsl_spark::RAPIDS_ARTIFACT_PREFIX;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use toml::{Table, Value};

/// Where the pin file lives, as errors name it.
pub const PIN_FILE: &str = "images/pins.toml";

/// Errors carry the pin file's line so an editor can jump there.
struct Pins<'t> {
    text: &'t str,
    errors: Vec<String>,
    idents: BTreeMap<String, String>,
}

impl Pins<'_> {
    fn line_of(&self, needle: &str) -> usize {
        self.text
            .lines()
            .position(|l| {
                let l = l.trim_start();
                l.starts_with(&format!("{needle} "))
                    || l.starts_with(&format!("{needle}="))
                    || l.starts_with(&format!("\"{needle}\""))
                    || l.contains(&format!(".{needle}]"))
                    || l.contains(&format!(".\"{needle}\"]"))
            })
            .map_or(1, |i| i + 1)
    }

    fn error(&mut self, key: &str, message: impl std::fmt::Display) {
        let line = self.line_of(key);
        self.errors.push(format!("{PIN_FILE}:{line}: {message}"));
    }

    /// The constant name of `key` in `kind`, reporting two keys that would share one.
    fn ident(&mut self, kind: &str, key: &str) -> String {
        let ident = pin_ident(key);
        if let Some(other) = self
            .idents
            .insert(format!("{kind}::{ident}"), key.to_owned())
        {
            self.error(
                key,
                format!("[{kind}] `{key}` and `{other}` both become `{ident}`: rename one"),
            );
        }
        ident
    }

    fn str_field<'v>(
        &mut self,
        kind: &str,
        key: &str,
        table: &'v Table,
        field: &str,
    ) -> Option<&'v str> {
        match table.get(field) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(_) => {
                self.error(
                    key,
                    format!("[{kind}.\"{key}\"] `{field}` must be a non-empty string"),
                );
                None
            }
            None => None,
        }
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

fn exact_version(v: &str) -> bool {
    v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+~:-_".contains(c))
        && !v.contains("latest")
}

/// The RAPIDS and Iceberg pins must be the releases the policy file describes
/// ([`PolicyFile`]), or the rules would vouch for combinations nobody checked.
fn check_against_policy(pins: &mut Pins<'_>, policy: &PolicyFile, key: &str, version: &str) {
    if let Some(scala) = key.strip_prefix(RAPIDS_ARTIFACT_PREFIX) {
        match policy.rapids_for(scala) {
            Some(r) if r.release == version => {}
            Some(r) => pins.error(key, format!(
                "[artifact.\"{key}\"] is {version} but {POLICY_FILE} describes RAPIDS {} for Scala {scala}: update both together",
                r.release
            )),
            None => pins.error(key, format!(
                "[artifact.\"{key}\"]: {POLICY_FILE} has no [[rapids]] release for Scala {scala}"
            )),
        }
    }
    for line in &policy.iceberg {
        let SparkLine { major, minor } = *line.spark.get_ref();
        if key == format!("iceberg-spark-runtime-{major}.{minor}_{}", line.scala)
            && version != line.release
        {
            pins.error(key, format!(
                "[artifact.\"{key}\"] is {version} but {POLICY_FILE} pins Iceberg {} for Spark {major}.{minor}: update both together",
                line.release
            ));
        }
    }
}

/// The constants `image!`'s expansion looks keys up in (`image_dsl::__private::pin_index`): the
/// keys in `ALL`'s order, a "did you mean" for each, and the message for a key that is nowhere
/// near one.
fn lookup(kind: &str, keys: &[&str]) -> String {
    let near: Vec<String> = keys
        .iter()
        .map(|k| format!("{:?}", format!("not a key of [{kind}] in {PIN_FILE}, which matches keys exactly: did you mean `{k}`?")))
        .collect();
    let keys: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
    let missing = format!("not a key of [{kind}] in {PIN_FILE}: pin it there");
    format!(
        "    #[doc(hidden)]\n    pub const __KEYS: &[&str] = &[{}];\n    #[doc(hidden)]\n    pub const __NEAR: &[&str] = &[{}];\n    #[doc(hidden)]\n    pub const __MISSING: &str = {missing:?};\n",
        keys.join(", "),
        near.join(", ")
    )
}

/// Validate the pin file's text and generate the `pins` module's code; on failure, every error,
/// each starting with `images/pins.toml:LINE:`. The RAPIDS and Iceberg pins are checked against
/// `policy`, unless it is `None` (a policy file with errors of its own).
pub fn generate(text: &str, policy: Option<&PolicyFile>) -> Result<String, Vec<String>> {
    let table: Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let line = e
                .span()
                .map_or(1, |s| text[..s.start].matches('\n').count() + 1);
            return Err(vec![format!("{PIN_FILE}:{line}: {}", e.message())]);
        }
    };
    let mut pins = Pins {
        text,
        errors: Vec::new(),
        idents: BTreeMap::new(),
    };
    let mut code = String::from("// Generated by images/build.rs from pins.toml.\n");
    for (section, _) in &table {
        if !["debian", "apt", "pip", "artifact", "git"].contains(&section.as_str()) {
            pins.error(
                section,
                format!("unknown section [{section}]: debian, apt, pip, artifact or git"),
            );
        }
    }
    let empty = Table::new();
    let section = |name: &str| table.get(name).and_then(Value::as_table).unwrap_or(&empty);

    let suite = section("debian")
        .get("suite")
        .and_then(Value::as_str)
        .unwrap_or("");
    if suite != "bookworm" {
        pins.error(
            "suite",
            "[debian] suite must be \"bookworm\", the suite the base is bootstrapped from",
        );
    }
    let _ = writeln!(
        code,
        "/// Debian suite the apt pins were resolved for.\npub const DEBIAN_SUITE: &str = {suite:?};"
    );

    let _ = writeln!(
        code,
        "/// Debian packages at exact versions.\npub mod apt {{\n    use image_dsl::AptPin;"
    );
    let mut all = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    for (name, version) in section("apt") {
        let ident = pins.ident("apt", name);
        match version.as_str() {
            Some(v) if exact_version(v) => {
                let _ = writeln!(code, "    /// `{name}={v}`\n    pub const {ident}: AptPin = AptPin {{ package: {name:?}, version: {v:?} }};");
                all.push(ident);
                keys.push(name);
            }
            _ => pins.error(name, format!("[apt] `{name}` needs an exact Debian version string (no `*`, ranges or `latest`)")),
        }
    }
    let _ = writeln!(
        code,
        "    /// Every apt pin.\n    pub const ALL: &[AptPin] = &[{}];\n{}}}",
        all.join(", "),
        lookup("apt", &keys)
    );

    let _ = writeln!(
        code,
        "/// Wheels for CPython 3.11 on manylinux x86_64, with their hashes.\npub mod pip {{\n    use image_dsl::PipPin;"
    );
    let pip = section("pip");
    let mut all = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    for (name, entry) in pip {
        let ident = pins.ident("pip", name);
        let Some(t) = entry.as_table() else {
            pins.error(
                name,
                format!("[pip.{name}] must be a table with version, wheel, url, sha256"),
            );
            continue;
        };
        let version = pins.str_field("pip", name, t, "version");
        let wheel = pins.str_field("pip", name, t, "wheel");
        let url = pins.str_field("pip", name, t, "url");
        let sha = pins.str_field("pip", name, t, "sha256");
        let (Some(version), Some(wheel), Some(url), Some(sha)) = (version, wheel, url, sha) else {
            pins.error(
                name,
                format!("[pip.{name}] needs version, wheel, url and sha256"),
            );
            continue;
        };
        if !exact_version(version) {
            pins.error(
                name,
                format!("[pip.{name}] version `{version}` is not an exact version"),
            );
        }
        if !is_hex(sha, 64) {
            pins.error(
                name,
                format!("[pip.{name}] sha256 must be 64 lowercase hex digits"),
            );
        }
        let mut requires = Vec::new();
        for req in t
            .get("requires")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match req.as_str() {
                Some(r) if pip.contains_key(r) => requires.push(format!("&{}", pin_ident(r))),
                Some(r) => pins.error(
                    name,
                    format!("[pip.{name}] requires `{r}`, which has no [pip.{r}] pin"),
                ),
                None => pins.error(name, format!("[pip.{name}] requires must list names")),
            }
        }
        let _ = writeln!(
            code,
            "    /// `{name}=={version}`\n    pub static {ident}: PipPin = PipPin {{ name: {name:?}, version: {version:?}, wheel: {wheel:?}, url: {url:?}, sha256: {sha:?}, requires: &[{}] }};",
            requires.join(", ")
        );
        all.push(format!("&{ident}"));
        keys.push(name);
    }
    let _ = writeln!(
        code,
        "    /// Every pip pin.\n    pub static ALL: &[&PipPin] = &[{}];\n{}}}",
        all.join(", "),
        lookup("pip", &keys)
    );

    let _ = writeln!(
        code,
        "/// Files fetched on the host and verified before a build uses them.\npub mod artifact {{\n    use image_dsl::{{ArtifactPin, Checksum, Source}};"
    );
    let mut all = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    for (key, entry) in section("artifact") {
        let ident = pins.ident("artifact", key);
        let Some(t) = entry.as_table() else {
            pins.error(key, format!("[artifact.\"{key}\"] must be a table"));
            continue;
        };
        let Some(version) = pins.str_field("artifact", key, t, "version") else {
            pins.error(key, format!("[artifact.\"{key}\"] needs `version`"));
            continue;
        };
        let source = match (
            pins.str_field("artifact", key, t, "url"),
            pins.str_field("artifact", key, t, "maven"),
        ) {
            (Some(url), None) if url.starts_with("https://") || url.starts_with("http://") => {
                format!("Source::Url({url:?})")
            }
            (None, Some(coords)) => {
                let parts: Vec<&str> = coords.split(':').collect();
                match parts.as_slice() {
                    [g, a, v] | [g, a, v, _] if *v == version => {
                        let classifier = parts.get(3).copied().unwrap_or("");
                        format!(
                            "Source::Maven {{ group: {g:?}, artifact: {a:?}, classifier: {classifier:?} }}"
                        )
                    }
                    _ => {
                        pins.error(key, format!("[artifact.\"{key}\"] maven must be group:artifact:{version}[:classifier]"));
                        continue;
                    }
                }
            }
            _ => {
                pins.error(
                    key,
                    format!(
                        "[artifact.\"{key}\"] needs exactly one of `url` (http/https) or `maven`"
                    ),
                );
                continue;
            }
        };
        let checksum = match (
            pins.str_field("artifact", key, t, "sha256"),
            pins.str_field("artifact", key, t, "sha512"),
            pins.str_field("artifact", key, t, "unverified"),
        ) {
            (Some(h), None, None) if is_hex(h, 64) => format!("Checksum::Sha256({h:?})"),
            (None, Some(h), None) if is_hex(h, 128) => format!("Checksum::Sha512({h:?})"),
            (None, None, Some(why)) => format!("Checksum::Unverified({why:?})"),
            _ => {
                pins.error(key, format!("[artifact.\"{key}\"] needs one of sha256 (64 hex), sha512 (128 hex) or `unverified = \"why\"`"));
                continue;
            }
        };
        if !exact_version(version) {
            pins.error(
                key,
                format!("[artifact.\"{key}\"] version `{version}` is not exact"),
            );
        }
        if let Some(policy) = policy {
            check_against_policy(&mut pins, policy, key, version);
        }
        let _ = writeln!(
            code,
            "    /// `{key}` {version}\n    pub const {ident}: ArtifactPin = ArtifactPin {{ key: {key:?}, version: {version:?}, source: {source}, checksum: {checksum} }};"
        );
        all.push(ident);
        keys.push(key);
    }
    let _ = writeln!(
        code,
        "    /// Every artifact pin.\n    pub const ALL: &[ArtifactPin] = &[{}];\n{}}}",
        all.join(", "),
        lookup("artifact", &keys)
    );

    let _ = writeln!(
        code,
        "/// Git repositories at full commits.\npub mod git {{\n    use image_dsl::GitPin;"
    );
    let mut all = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    for (key, entry) in section("git") {
        let ident = pins.ident("git", key);
        let Some(t) = entry.as_table() else {
            pins.error(
                key,
                format!("[git.\"{key}\"] must be a table with repo and commit"),
            );
            continue;
        };
        let (Some(repo), Some(commit)) = (
            pins.str_field("git", key, t, "repo"),
            pins.str_field("git", key, t, "commit"),
        ) else {
            pins.error(key, format!("[git.\"{key}\"] needs repo and commit"));
            continue;
        };
        if !is_hex(commit, 40) {
            pins.error(
                key,
                format!("[git.\"{key}\"] commit must be a full 40-hex commit id"),
            );
        }
        let _ = writeln!(
            code,
            "    /// `{repo}` at `{commit}`\n    pub const {ident}: GitPin = GitPin {{ key: {key:?}, repo: {repo:?}, commit: {commit:?} }};"
        );
        all.push(ident);
        keys.push(key);
    }
    let _ = writeln!(
        code,
        "    /// Every git pin.\n    pub const ALL: &[GitPin] = &[{}];\n{}}}",
        all.join(", "),
        lookup("git", &keys)
    );

    if pins.errors.is_empty() {
        Ok(code)
    } else {
        Err(pins.errors)
    }
}

/// Rust constant name of a pin key: `pyspark-3.5.7` → `PYSPARK_3_5_7`.
fn pin_ident(key: &str) -> String {
    let mut out: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pin_ident;
    use crate::policy::{POLICY_FILE, PolicyFile};

    fn generate(text: &str) -> Result<String, Vec<String>> {
        let policy = PolicyFile::parse(POLICY_FILE, include_str!("../../images/policy.toml"))
            .expect("the committed policy is valid");
        super::generate(text, Some(&policy))
    }

    const SHA: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn errors(text: &str) -> Vec<String> {
        generate(text).expect_err("the pin file should be rejected")
    }

    #[test]
    fn pin_keys_become_constant_names() {
        assert_eq!(pin_ident("pyspark-3.5.7"), "PYSPARK_3_5_7");
        assert_eq!(pin_ident("tini"), "TINI");
        assert_eq!(
            pin_ident("openjdk-17-jre-headless"),
            "OPENJDK_17_JRE_HEADLESS"
        );
        assert_eq!(pin_ident("rapids-4-spark_2.12"), "RAPIDS_4_SPARK_2_12");
        assert_eq!(
            pin_ident("iceberg-spark-runtime-3.5_2.12"),
            "ICEBERG_SPARK_RUNTIME_3_5_2_12"
        );
        assert_eq!(pin_ident("g++"), "G__");
        assert_eq!(pin_ident("no-such-package"), "NO_SUCH_PACKAGE");
        // A leading digit is not a Rust identifier start.
        assert_eq!(pin_ident("3proxy"), "_3PROXY");
        assert_eq!(pin_ident("2to3"), "_2TO3");
    }

    #[test]
    fn a_valid_file_generates_typed_constants() {
        let text = format!(
            "[debian]\nsuite = \"bookworm\"\n[apt]\ntini = \"0.19.0-1+b3\"\n\
             [pip.six]\nversion = \"1.16.0\"\nwheel = \"six-1.16.0-py2.py3-none-any.whl\"\nurl = \"https://x/six.whl\"\nsha256 = \"{SHA}\"\n\
             [pip.python-dateutil]\nversion = \"2.9.0\"\nwheel = \"d.whl\"\nurl = \"https://x/d.whl\"\nsha256 = \"{SHA}\"\nrequires = [\"six\"]\n\
             [artifact.\"pyspark-3.5.7\"]\nversion = \"3.5.7\"\nurl = \"https://x/pyspark-3.5.7.tar.gz\"\nsha256 = \"{SHA}\"\n\
             [artifact.ojdbc11]\nversion = \"21.11.0.0\"\nmaven = \"com.oracle.database.jdbc:ojdbc11:21.11.0.0\"\nunverified = \"unreachable\"\n"
        );
        let code = generate(&text).expect("valid");
        assert!(code.contains(
            "pub const TINI: AptPin = AptPin { package: \"tini\", version: \"0.19.0-1+b3\" };"
        ));
        assert!(code.contains("pub static PYTHON_DATEUTIL: PipPin"));
        assert!(code.contains("requires: &[&SIX]"));
        assert!(code.contains("pub const PYSPARK_3_5_7: ArtifactPin"));
        assert!(code.contains("Checksum::Unverified(\"unreachable\")"));
    }

    #[test]
    fn a_duplicate_key_names_its_line() {
        let e = errors("[debian]\nsuite = \"bookworm\"\n[apt]\ntini = \"1\"\ntini = \"2\"\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("images/pins.toml:5:"), "{e:?}");
        assert!(e[0].contains("duplicate"), "{e:?}");
    }

    #[test]
    fn two_keys_sharing_a_constant_are_rejected() {
        let e = errors("[debian]\nsuite = \"bookworm\"\n[apt]\nfoo-bar = \"1\"\nfoo_bar = \"2\"\n");
        assert!(
            e.iter().any(|e| e.contains("both become `FOO_BAR`")),
            "{e:?}"
        );
    }

    #[test]
    fn unpinned_versions_are_rejected_at_their_line() {
        let e = errors("[debian]\nsuite = \"bookworm\"\n[apt]\ncurl = \"*\"\nwget = \"latest\"\n");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("images/pins.toml:4:") && e[0].contains("`curl`"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("images/pins.toml:5:") && e[1].contains("`wget`"),
            "{e:?}"
        );
    }

    #[test]
    fn a_missing_requirement_pin_is_named() {
        let text = format!(
            "[debian]\nsuite = \"bookworm\"\n[pip.pandas]\nversion = \"2.2.3\"\nwheel = \"p.whl\"\nurl = \"https://x/p.whl\"\nsha256 = \"{SHA}\"\nrequires = [\"numpy\"]\n"
        );
        let e = errors(&text);
        assert!(
            e.iter()
                .any(|e| e.contains("requires `numpy`, which has no [pip.numpy] pin")),
            "{e:?}"
        );
    }

    #[test]
    fn artifacts_need_a_checksum_or_a_reason() {
        let e = errors(
            "[debian]\nsuite = \"bookworm\"\n[artifact.x]\nversion = \"1.0\"\nurl = \"https://x/x.tgz\"\n\
             [artifact.y]\nversion = \"1.0\"\nurl = \"https://x/y.tgz\"\nsha256 = \"abc\"\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e.iter().all(|e| e.contains("needs one of sha256")), "{e:?}");
    }

    #[test]
    fn rapids_and_iceberg_pins_must_match_the_policy() {
        let e = errors(
            "[debian]\nsuite = \"bookworm\"\n[artifact.\"rapids-4-spark_2.12\"]\nversion = \"24.02.0\"\n\
             maven = \"com.nvidia:rapids-4-spark_2.12:24.02.0\"\nunverified = \"x\"\n\
             [artifact.\"iceberg-spark-runtime-3.5_2.12\"]\nversion = \"1.4.0\"\n\
             maven = \"org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.4.0\"\nunverified = \"x\"\n",
        );
        assert!(
            e.iter()
                .any(|e| e.contains("describes RAPIDS 25.04.0 for Scala 2.12")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|e| e.contains("pins Iceberg 1.10.1 for Spark 3.5")),
            "{e:?}"
        );
    }

    #[test]
    fn git_pins_need_a_full_commit() {
        let e = errors(
            "[debian]\nsuite = \"bookworm\"\n[git.dotfiles]\nrepo = \"https://x/d\"\ncommit = \"main\"\n",
        );
        assert!(e.iter().any(|e| e.contains("full 40-hex commit")), "{e:?}");
    }

    #[test]
    fn the_committed_pin_file_is_valid() {
        let text = include_str!("../../images/pins.toml");
        if let Err(e) = generate(text) {
            panic!("{e:#?}");
        }
    }
}
