//! `cargo xtask images lock` on temporary pin files (never the real `images/pins.toml`): checksums
//! recorded from a loopback Maven mirror, a tampered file reported and nothing written, an
//! unreachable mirror keeping its entries, wheels checked against a loopback index, and a file
//! breaking a rule refused at its line (the apt candidates of Debian's real signed indexes are
//! `live::debian_indexes`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use image_dsl_cli::engine::fetch::hash_file;
use image_dsl_cli::engine::{BuildOptions, Checksum, Settings};
use image_dsl_cli::pins_lock::{Change, LockError, LockReport, Mode, Problem, Verdict, lock};

use crate::support::{Mirror, Reply, options, sha256};

const JAR: &[u8] = b"the bytes of a small jar on the loopback maven mirror";
const JAR_PATH: &str = "/maven2/org/example/demo/1.0/demo-1.0.jar";

/// A pin file with one `[artifact."demo"]` whose checksum line is `checksum`, plus `extra`.
fn pin_file(dir: &Path, checksum: &str, extra: &str) -> PathBuf {
    let path = dir.join("pins.toml");
    let text = format!(
        "# Pins of a lock test.\n\n[debian]\nsuite = \"bookworm\"\n\n\
         # The demo jar, served by the loopback mirror.\n[artifact.\"demo\"]\nversion = \"1.0\"\n\
         maven = \"org.example:demo:1.0\"\n# note above the checksum\n{checksum}\n{extra}"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Options whose Maven and PyPI mirrors are `mirror` and whose cache is `cache`.
fn mirrored(mirror: &str, cache: &Path) -> BuildOptions {
    let mut opts = options();
    opts.settings = Settings {
        maven_mirror: format!("{mirror}/maven2"),
        pypi_mirror: format!("{mirror}/simple"),
        cache_dir: cache.to_owned(),
        ..opts.settings.clone()
    };
    opts
}

pub(crate) async fn run(path: &Path, opts: &BuildOptions, mode: Mode) -> LockReport {
    lock(path, opts, mode)
        .await
        .unwrap_or_else(|e| panic!("lock failed: {e}"))
}

/// Lowercase hex SHA-1 of `bytes`, as Maven repositories publish it in `<file>.sha1`.
fn sha1(bytes: &[u8]) -> String {
    use sha1::Digest as _;
    image_dsl_cli::engine::context::hex(&sha1::Sha1::digest(bytes))
}

/// The routes of a Maven repository serving `jar` at [`JAR_PATH`] with `published` as its `.sha1`.
fn maven_routes(jar: &[u8], published: Option<String>) -> HashMap<String, Reply> {
    let mut routes = HashMap::from([(JAR_PATH.to_owned(), Reply::Full(jar.to_vec()))]);
    if let Some(sha1) = published {
        routes.insert(
            format!("{JAR_PATH}.sha1"),
            Reply::Full(format!("{sha1}  demo-1.0.jar\n").into_bytes()),
        );
    }
    routes
}

#[tokio::test]
async fn an_unverified_artifact_gets_the_sha256_its_mirror_serves() {
    let mirror = Mirror::serve(maven_routes(JAR, Some(sha1(JAR)))).await;
    let dir = tempfile::tempdir().unwrap();
    let path = pin_file(dir.path(), "unverified = \"not fetched yet\"", "");
    let before = std::fs::read_to_string(&path).unwrap();
    let opts = mirrored(&mirror.url, &dir.path().join("cache"));
    let expected = Change {
        section: "artifact",
        key: "demo".into(),
        old: "unverified".into(),
        new: format!("sha256:{}", sha256(JAR)),
        note: None,
    };

    let check = run(&path, &opts, Mode::Check).await;
    assert_eq!(check.changes, std::slice::from_ref(&expected));
    assert_eq!(
        check.verdict(),
        Verdict::Stale,
        "--check fails when the file would change"
    );
    assert!(!check.verdict().success());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        before,
        "--check writes nothing"
    );

    let write = run(&path, &opts, Mode::Write).await;
    assert_eq!(write.changes, [expected]);
    assert_eq!(write.verdict(), Verdict::Written);
    assert_eq!(
        expected_text(&before, &format!("sha256 = \"{}\"", sha256(JAR))),
        std::fs::read_to_string(&path).unwrap(),
        "only the checksum line changes; comments and order stay"
    );
    image_dsl::pinfile::generate(&std::fs::read_to_string(&path).unwrap(), None).unwrap();
    assert_eq!(
        write.summary(),
        "0 apt updated, 1 artifacts verified (1 recorded), 0 wheels verified, 0 unverified, 0 unchanged"
    );

    let again = run(&path, &opts, Mode::Check).await;
    assert_eq!(again.verdict(), Verdict::Current, "{:?}", again.changes);
}

/// The lock reads the file through the pin file's schema: an entry that breaks a rule stops it
/// before anything is fetched, with the line of the value at fault, and nothing is written.
#[tokio::test]
async fn a_pin_file_breaking_a_rule_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = pin_file(
        dir.path(),
        "unverified = \"not fetched yet\"",
        "\n[apt]\ntini = \"0.19.*\"\n",
    );
    let before = std::fs::read_to_string(&path).unwrap();
    // Nothing listens here: a lock that fetched anything would report it unreachable instead.
    let opts = mirrored("http://127.0.0.1:9", &dir.path().join("cache"));
    match lock(&path, &opts, Mode::Write).await {
        Err(LockError::Invalid { errors, .. }) => {
            let lines: Vec<(usize, &str)> = errors
                .iter()
                .map(|e| (e.line, e.message.as_str()))
                .collect();
            assert_eq!(
                lines,
                [(
                    14,
                    "[apt] `tini` needs an exact version, not `0.19.*` (no `*`, ranges or `latest`; letters, digits and `.+~:-_`)"
                )]
            );
        }
        other => panic!("expected an invalid pin file, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

/// A Maven jar is recorded only when the repository's published `.sha1` vouches for its bytes.
#[tokio::test]
async fn a_maven_jar_is_cross_checked_against_the_published_sha1() {
    let dir = tempfile::tempdir().unwrap();
    let path = pin_file(dir.path(), "unverified = \"not fetched yet\"", "");
    let before = std::fs::read_to_string(&path).unwrap();

    let disagreeing = Mirror::serve(maven_routes(JAR, Some(sha1(b"other bytes")))).await;
    let opts = mirrored(&disagreeing.url, &dir.path().join("cache"));
    let report = run(&path, &opts, Mode::Write).await;
    assert_eq!(report.verdict(), Verdict::Problems, "{:?}", report.changes);
    assert_eq!(
        report.problems,
        [Problem::ArtifactMismatch {
            key: "demo".into(),
            url: format!("{}{JAR_PATH}.sha1", disagreeing.url),
            pinned: format!("sha1:{} (published)", sha1(b"other bytes")),
            actual: format!("sha1:{}", sha1(JAR)),
        }]
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);

    let silent = Mirror::serve(maven_routes(JAR, None)).await;
    let opts = mirrored(&silent.url, &dir.path().join("cache"));
    let report = run(&path, &opts, Mode::Write).await;
    assert_eq!(report.verdict(), Verdict::Current, "{:?}", report.changes);
    assert!(
        report.unverified[0]
            .reason
            .contains("no published checksum to cross-check"),
        "{}",
        report.unverified[0]
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

fn expected_text(before: &str, checksum_line: &str) -> String {
    before.replace("unverified = \"not fetched yet\"", checksum_line)
}

#[tokio::test]
async fn a_tampered_artifact_is_a_mismatch_and_the_pin_file_stays() {
    let tampered = b"bytes a mirror swapped in".to_vec();
    let mirror = Mirror::serve(HashMap::from([(
        JAR_PATH.to_owned(),
        Reply::Full(tampered.clone()),
    )]))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = pin_file(dir.path(), &format!("sha256 = \"{}\"", sha256(JAR)), "");
    let before = std::fs::read_to_string(&path).unwrap();

    let report = run(
        &path,
        &mirrored(&mirror.url, &dir.path().join("cache")),
        Mode::Write,
    )
    .await;
    assert_eq!(report.verdict(), Verdict::Problems);
    assert!(!report.written);
    let url = format!("{}{JAR_PATH}", mirror.url);
    assert_eq!(
        report.problems,
        [Problem::ArtifactMismatch {
            key: "demo".into(),
            url: url.clone(),
            pinned: format!("sha256:{}", sha256(JAR)),
            actual: format!("sha256:{}", sha256(&tampered)),
        }]
    );
    let message = report.problems[0].to_string();
    for part in [
        "artifact demo",
        &url,
        &sha256(JAR),
        &sha256(&tampered),
        "the pin is kept",
    ] {
        assert!(message.contains(part), "`{part}` missing from: {message}");
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        before,
        "never silently overwritten"
    );
}

#[tokio::test]
async fn an_unreachable_mirror_keeps_entries_and_lists_them_unverified() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mirror = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let second = format!(
        "\n[artifact.\"pinned\"]\nversion = \"2.0\"\nmaven = \"org.example:pinned:2.0\"\nsha256 = \"{}\"\n",
        sha256(JAR)
    );
    let path = pin_file(dir.path(), "unverified = \"not fetched yet\"", &second);
    let before = std::fs::read_to_string(&path).unwrap();

    let started = std::time::Instant::now();
    let report = run(
        &path,
        &mirrored(&mirror, &dir.path().join("cache")),
        Mode::Write,
    )
    .await;
    assert!(
        started.elapsed().as_secs() < 30,
        "unreachable sources fail fast"
    );
    assert_eq!(
        report.verdict(),
        Verdict::Current,
        "nothing to change, nothing invented"
    );
    let unverified: Vec<(&str, &str)> = report
        .unverified
        .iter()
        .map(|u| (u.section, u.key.as_str()))
        .collect();
    assert_eq!(unverified, [("artifact", "demo"), ("artifact", "pinned")]);
    assert!(
        report.unverified[0]
            .reason
            .contains(&format!("{mirror}{JAR_PATH}")),
        "{}",
        report.unverified[0]
    );
    assert!(
        report
            .summary()
            .contains("2 unverified (artifact: demo, pinned)"),
        "{}",
        report.summary()
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        before,
        "entries are kept as they are"
    );
}

#[tokio::test]
async fn wheels_are_checked_against_the_digests_the_index_publishes() {
    let good = sha256(b"good wheel");
    let page = |file: &str, hex: &str| {
        format!("<html><body><a href=\"../../files/{file}#sha256={hex}\">{file}</a></body></html>")
    };
    let mirror = Mirror::serve(HashMap::from([
        (
            "/simple/good-pkg/".to_owned(),
            Reply::Full(page("good_pkg-1.0-py3-none-any.whl", &good).into_bytes()),
        ),
        (
            "/simple/bad-pkg/".to_owned(),
            Reply::Full(page("bad_pkg-1.0-py3-none-any.whl", &sha256(b"other")).into_bytes()),
        ),
    ]))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let wheel = |name: &str, file: &str| {
        format!(
            "\n[pip.{name}]\nversion = \"1.0\"\nwheel = \"{file}\"\nurl = \"https://files.example/{file}\"\nsha256 = \"{good}\"\nrequires = []\n"
        )
    };
    let extra = wheel("good-pkg", "good_pkg-1.0-py3-none-any.whl")
        + wheel("bad_pkg", "bad_pkg-1.0-py3-none-any.whl").as_str();
    let path = pin_file(dir.path(), &format!("sha256 = \"{}\"", sha256(JAR)), &extra);
    let before = std::fs::read_to_string(&path).unwrap();
    let mirror_with_jar = mirror.url.clone();

    let report = run(
        &path,
        &mirrored(&mirror_with_jar, &dir.path().join("cache")),
        Mode::Write,
    )
    .await;
    assert_eq!(report.wheels_verified, 1, "{:?}", report.problems);
    assert_eq!(
        report.problems,
        [Problem::WheelMismatch {
            name: "bad_pkg".into(),
            wheel: "bad_pkg-1.0-py3-none-any.whl".into(),
            index: format!("{}/simple/bad-pkg/", mirror.url),
            pinned: good.clone(),
            actual: sha256(b"other"),
        }]
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

#[tokio::test]
async fn apache_tarballs_are_pinned_by_sha512_as_apache_publishes() {
    let tarball = b"an apache release tarball".to_vec();
    let mirror = Mirror::serve(HashMap::from([
        (
            "/dist/demo/demo-1.0.tgz".to_owned(),
            Reply::Full(tarball.clone()),
        ),
        (
            "/dist/demo/demo-2.0.tgz".to_owned(),
            Reply::Full(tarball.clone()),
        ),
    ]))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pins.toml");
    let text = format!(
        "[debian]\nsuite = \"bookworm\"\n\n\
         [artifact.\"demo-1.0\"]\nversion = \"1.0\"\nurl = \"https://archive.apache.org/dist/demo/demo-1.0.tgz\"\n\
         unverified = \"archive unreachable\"\n\n\
         [artifact.\"demo-2.0\"]\nversion = \"2.0\"\nurl = \"https://archive.apache.org/dist/demo/demo-2.0.tgz\"\n\
         # sha256 from a third party\nsha256 = \"{}\"\n",
        sha256(&tarball)
    );
    std::fs::write(&path, &text).unwrap();
    let mut opts = options();
    opts.settings = Settings {
        apache_mirror: format!("{}/dist", mirror.url),
        cache_dir: dir.path().join("cache"),
        ..opts.settings.clone()
    };

    let report = run(&path, &opts, Mode::Write).await;
    assert_eq!(report.verdict(), Verdict::Written, "{:?}", report.problems);
    let sha512 = {
        let file = dir.path().join("tarball");
        std::fs::write(&file, &tarball).unwrap();
        let digest = hash_file(&file, &Checksum::Sha512(String::new())).unwrap();
        digest.trim_start_matches("sha512:").to_owned()
    };
    let changes: Vec<String> = report.changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        changes,
        [
            format!("artifact demo-1.0: unverified → sha512:{sha512}"),
            format!(
                "artifact demo-2.0: sha256:{} → sha512:{sha512}",
                sha256(&tarball)
            ),
        ]
    );
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.contains(&format!(
            "# sha256 from a third party\nsha512 = \"{sha512}\"\n"
        )),
        "{written}"
    );
    image_dsl::pinfile::generate(&written, None).unwrap();
}

/// Each wheel's `requires` follows its metadata (the index's PEP 658 `.metadata` files here):
/// what a dependency's extras add is listed under the wheel asking for it, as in
/// `cudf-cu12 → cuda-toolkit[cudart] → nvidia-cuda-runtime-cu12`, which the pins once missed;
/// a dependency without a pin stops the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requires_follow_the_wheels_metadata_extras_included() {
    let hex = sha256(b"any wheel");
    let metadata = [
        (
            "gpu-pkg",
            "Metadata-Version: 2.1\nName: gpu-pkg\nRequires-Dist: toolkit[cudart]==12.*\nRequires-Dist: pytest; extra == \"test\"\n\nlong description\n",
        ),
        (
            "toolkit",
            "Metadata-Version: 2.1\nName: toolkit\nRequires-Dist: runtime-lib==12.9.*; extra == \"cudart\"\n",
        ),
        ("runtime-lib", "Metadata-Version: 2.1\nName: runtime-lib\n"),
    ];
    let file = |name: &str| format!("{}-1.0-py3-none-any.whl", name.replace('-', "_"));
    let mut routes = HashMap::new();
    for (name, text) in metadata {
        routes.insert(
            format!("/simple/{name}/"),
            Reply::Full(
                format!("<a href=\"../../files/{}#sha256={hex}\">x</a>", file(name)).into_bytes(),
            ),
        );
        routes.insert(
            format!("/files/{}.metadata", file(name)),
            Reply::Full(text.as_bytes().to_vec()),
        );
    }
    let mirror = Mirror::serve(routes).await;
    let dir = tempfile::tempdir().unwrap();
    let pins = |names: &[&str]| -> String {
        names
            .iter()
            .map(|name| {
                format!(
                    "\n[pip.{name}]\nversion = \"1.0\"\nwheel = \"{}\"\nurl = \"https://files.example/{}\"\nsha256 = \"{hex}\"\nrequires = []\n",
                    file(name),
                    file(name)
                )
            })
            .collect()
    };
    let opts = mirrored(&mirror.url, &dir.path().join("cache"));

    // runtime-lib is not pinned: the lock names the chain and writes nothing.
    let path = pin_file(
        dir.path(),
        &format!("sha256 = \"{}\"", sha256(JAR)),
        &pins(&["gpu-pkg", "toolkit"]),
    );
    let report = run(&path, &opts, Mode::Write).await;
    assert_eq!(
        report.problems,
        [Problem::RequirementNotPinned {
            name: "gpu-pkg".into(),
            dependency: "runtime-lib".into(),
            via: "toolkit[cudart]==12.* → runtime-lib==12.9.*".into(),
        }],
        "{:?}",
        report.unverified
    );
    assert!(!report.written);

    // All pinned: gpu-pkg gets toolkit and what its extra adds; toolkit's own list stays empty.
    let path = pin_file(
        dir.path(),
        &format!("sha256 = \"{}\"", sha256(JAR)),
        &pins(&["gpu-pkg", "toolkit", "runtime-lib"]),
    );
    let report = run(&path, &opts, Mode::Write).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.written, "{:?}", report.changes);
    let written = std::fs::read_to_string(&path).unwrap();
    let entry = |name: &str| {
        let start = written.find(&format!("[pip.{name}]")).unwrap();
        let rest = &written[start + 1..];
        rest[..rest.find("\n[").unwrap_or(rest.len())].to_owned()
    };
    assert!(
        entry("gpu-pkg").contains("requires = [\"runtime-lib\", \"toolkit\"]"),
        "{written}"
    );
    assert!(entry("toolkit").contains("requires = []"), "{written}");
}
