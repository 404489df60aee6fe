//! Withdrawn apt pins, against a Debian archive on loopback that the test signs with its own key:
//! a build stops before anything starts and names the pin, its replacement and the images; an
//! index signed by another key is refused; `images lock --withdrawn` moves exactly the withdrawn
//! pin and lists the CVE ids of the changelog in the new `.deb`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use image_dsl_cli::engine::debian::DebianError;
use image_dsl_cli::engine::{AptPin, BuildOptions, EngineError, Settings, build_all};
use image_dsl_cli::pins_lock::{Change, Mode, Scope, lock_scoped};

use crate::support::{Mirror, Reply, fixture, options, sha256};

/// Runs `cmd`, failing the test with its output when it fails.
fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An OpenPGP key of the test's own, in a GnuPG home under `dir`, and its public keyring file.
fn signing_key(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let home = dir.join(format!("gnupg-{name}"));
    std::fs::create_dir_all(&home).unwrap();
    run(Command::new("chmod").arg("700").arg(&home));
    run(Command::new("gpg")
        .arg("--homedir")
        .arg(&home)
        .args(["--batch", "--passphrase", "", "--quick-gen-key"])
        .arg(format!("image-dsl test {name} <{name}@test.invalid>"))
        .args(["ed25519", "sign", "never"]));
    let keyring = dir.join(format!("{name}.gpg"));
    let public = run(Command::new("gpg")
        .arg("--homedir")
        .arg(&home)
        .arg("--export"));
    std::fs::write(&keyring, public).unwrap();
    (home, keyring)
}

/// A `.deb` of `package` at `version` whose doc directory holds `changelog`.
fn deb(dir: &Path, package: &str, version: &str, changelog: &str) -> Vec<u8> {
    let root = dir.join(format!("{package}_{version}"));
    let doc = root.join("usr/share/doc").join(package);
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(&doc).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        format!(
            "Package: {package}\nVersion: {version}\nArchitecture: amd64\nMaintainer: Test <t@test.invalid>\nDescription: a package of the apt tests\n"
        ),
    )
    .unwrap();
    std::fs::write(doc.join("changelog.Debian"), changelog).unwrap();
    run(Command::new("gzip")
        .arg("-9n")
        .arg(doc.join("changelog.Debian")));
    let out = dir.join(format!("{package}_{version}_amd64.deb"));
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(&root)
        .arg(&out));
    std::fs::read(out).unwrap()
}

/// A loopback Debian archive: `/debian` with `bookworm` and `bookworm-updates`, `/debian-security`
/// with `bookworm-security`, each suite's Release signed by `home`'s key.
struct Archive {
    routes: HashMap<String, Reply>,
    /// Lines added to each Release, e.g. a `Valid-Until`.
    release_fields: String,
}

impl Archive {
    fn new() -> Archive {
        Archive {
            routes: HashMap::new(),
            release_fields: String::new(),
        }
    }

    /// Adds `suite` under `root` listing `packages` (name, version, `.deb` bytes).
    fn suite(
        mut self,
        home: &Path,
        root: &str,
        suite: &str,
        packages: &[(&str, &str, &[u8])],
    ) -> Archive {
        let mut index = String::new();
        for (name, version, bytes) in packages {
            let filename = format!("pool/main/{name}_{version}_amd64.deb");
            index.push_str(&format!(
                "Package: {name}\nVersion: {version}\nArchitecture: amd64\nFilename: {filename}\nSize: {}\nSHA256: {}\nDescription: test\n\n",
                bytes.len(),
                sha256(bytes)
            ));
            self.routes
                .insert(format!("{root}/{filename}"), Reply::Full(bytes.to_vec()));
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Packages"), &index).unwrap();
        run(Command::new("xz")
            .arg("-k")
            .arg(dir.path().join("Packages")));
        let xz = std::fs::read(dir.path().join("Packages.xz")).unwrap();
        let release = format!(
            "Origin: image-dsl test\nSuite: {suite}\nDate: Tue, 01 Dec 2026 00:00:00 UTC\n{}Architectures: amd64\nComponents: main\nSHA256:\n {} {} main/binary-amd64/Packages.xz\n",
            self.release_fields,
            sha256(&xz),
            xz.len()
        );
        std::fs::write(dir.path().join("Release"), release).unwrap();
        run(Command::new("gpg")
            .arg("--homedir")
            .arg(home)
            .args(["--batch", "--yes", "--clearsign", "--output"])
            .arg(dir.path().join("InRelease"))
            .arg(dir.path().join("Release")));
        let signed = std::fs::read(dir.path().join("InRelease")).unwrap();
        let dists = format!("{root}/dists/{suite}");
        self.routes
            .insert(format!("{dists}/InRelease"), Reply::Full(signed));
        self.routes.insert(
            format!("{dists}/main/binary-amd64/Packages.xz"),
            Reply::Full(xz),
        );
        self
    }
}

const OLD: &str = "2.0-1+deb12u1";
const NEW: &str = "2.0-1+deb12u2";

const CHANGELOG: &str = "\
demo-lib (2.0-1+deb12u2) bookworm-security; urgency=high

  * Fix CVE-2026-0002 and CVE-2026-0001.

 -- Test <t@test.invalid>  Tue, 01 Dec 2026 00:00:00 +0000

demo-lib (2.0-1+deb12u1) bookworm-security; urgency=high

  * Fix CVE-2025-9999.

 -- Test <t@test.invalid>  Mon, 01 Jun 2026 00:00:00 +0000
";

/// The archive of these tests: `demo-lib` withdrawn from 2.0-1+deb12u1 to 2.0-1+deb12u2 by the
/// security suite, `tini` current, `old-tool` superseded by an update that is not a security one.
async fn mirror(dir: &Path, home: &Path) -> Mirror {
    let new = deb(dir, "demo-lib", NEW, CHANGELOG);
    let tini = deb(dir, "tini", "0.19.0-1+b3", "");
    let (tool, tool2) = (
        deb(dir, "old-tool", "1.0-1", ""),
        deb(dir, "old-tool", "1.0-2", ""),
    );
    let archive = Archive::new()
        .suite(
            home,
            "/debian",
            "bookworm",
            &[("tini", "0.19.0-1+b3", &tini), ("old-tool", "1.0-1", &tool)],
        )
        .suite(
            home,
            "/debian",
            "bookworm-updates",
            &[("old-tool", "1.0-2", &tool2)],
        )
        .suite(
            home,
            "/debian-security",
            "bookworm-security",
            &[("demo-lib", NEW, &new)],
        );
    Mirror::serve(archive.routes).await
}

/// Options reading Debian from `mirror`, checked with `keyring`, caching under `dir`.
fn against(mirror: &Mirror, keyring: &Path, dir: &Path) -> BuildOptions {
    let mut opts = options();
    // The loopback archive serves none of the repository's locked base.
    opts.base_lock = None;
    opts.settings = Settings {
        debian_mirror: format!("{}/debian", mirror.url),
        debian_security_mirror: format!("{}/debian-security", mirror.url),
        debian_keyring: keyring.to_owned(),
        maven_mirror: format!("{}/maven2", mirror.url),
        cache_dir: dir.join("cache"),
        ..opts.settings.clone()
    };
    // No engine answers here: the check must decide before anything talks to one.
    opts.docker_host = Some(format!("unix://{}/no-engine.sock", dir.display()));
    opts
}

fn pinned(
    reference: &str,
    parents: &[&str],
    pins: &[(&str, &str)],
) -> image_dsl_cli::engine::BuildSpec {
    let mut spec = fixture(reference, "RUN true\n");
    spec.parents = parents.iter().map(|p| p.to_string()).collect();
    spec.apt = pins
        .iter()
        .map(|(package, version)| AptPin {
            package: package.to_string(),
            version: version.to_string(),
        })
        .collect();
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_pin_stops_the_build_before_anything_starts_and_names_its_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let (home, keyring) = signing_key(dir.path(), "archive");
    let mirror = mirror(dir.path(), &home).await;
    let opts = against(&mirror, &keyring, dir.path());
    let specs = vec![
        pinned(
            "image-dsl-test/apt-layer:1",
            &[],
            &[("demo-lib", OLD), ("tini", "0.19.0-1+b3")],
        ),
        pinned(
            "image-dsl-test/apt-child:1",
            &["image-dsl-test/apt-layer:1"],
            &[],
        ),
        pinned(
            "image-dsl-test/apt-other:1",
            &[],
            &[("tini", "0.19.0-1+b3")],
        ),
    ];

    let started = Instant::now();
    let err = match build_all(specs, &opts).await {
        Err(err) => err,
        Ok(report) => panic!("a withdrawn pin must stop the run:\n{report}"),
    };
    println!("withdrawn pin reported in {:?}", started.elapsed());
    let EngineError::Withdrawn { pins, .. } = &err else {
        panic!("expected the withdrawn pin (and no engine contact), got: {err}");
    };
    assert_eq!(pins.len(), 1, "{err}");
    assert_eq!(pins[0].package, "demo-lib");
    assert_eq!(
        pins[0].replacement.as_ref().map(|c| c.version.as_str()),
        Some(NEW)
    );
    assert_eq!(pins[0].images, ["image-dsl-test/apt-layer:1"]);
    assert_eq!(pins[0].dependents, ["image-dsl-test/apt-child:1"]);
    let message = err.to_string();
    for needed in [
        format!("demo-lib={OLD}: now {NEW} (bookworm-security)"),
        "nothing was built".to_owned(),
        "cargo xtask images lock --withdrawn".to_owned(),
    ] {
        assert!(
            message.contains(&needed),
            "missing {needed:?} in:\n{message}"
        );
    }
    assert!(!message.contains("apt-other"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_signed_by_another_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (home, _) = signing_key(dir.path(), "archive");
    let (_, stranger) = signing_key(dir.path(), "stranger");
    let mirror = mirror(dir.path(), &home).await;
    let opts = against(&mirror, &stranger, dir.path());
    let specs = vec![pinned(
        "image-dsl-test/apt-layer:1",
        &[],
        &[("tini", "0.19.0-1+b3")],
    )];
    match build_all(specs, &opts).await {
        Err(EngineError::Debian(DebianError::Signature { suite, .. })) => {
            assert_eq!(suite, "bookworm");
        }
        Err(other) => panic!("expected a signature error, got: {other}"),
        Ok(report) => panic!("an index signed by an unknown key was trusted:\n{report}"),
    }
}

/// apt refuses a Release past its `Valid-Until` (an old copy could hide security updates), and
/// so does the check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (home, keyring) = signing_key(dir.path(), "archive");
    let mut archive = Archive::new();
    archive.release_fields = "Valid-Until: Mon, 01 Jun 2026 00:00:00 UTC\n".to_owned();
    let archive = archive
        .suite(&home, "/debian", "bookworm", &[])
        .suite(&home, "/debian", "bookworm-updates", &[])
        .suite(&home, "/debian-security", "bookworm-security", &[]);
    let mirror = Mirror::serve(archive.routes).await;
    let opts = against(&mirror, &keyring, dir.path());
    let specs = vec![pinned(
        "image-dsl-test/apt-layer:1",
        &[],
        &[("tini", "0.19.0-1+b3")],
    )];
    match build_all(specs, &opts).await {
        Err(err @ EngineError::Debian(DebianError::Expired { .. })) => {
            assert!(
                err.to_string().contains("expired on Mon, 01 Jun 2026"),
                "{err}"
            );
        }
        Err(other) => panic!("expected an expired index, got: {other}"),
        Ok(report) => panic!("an expired index was trusted:\n{report}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_withdrawn_moves_exactly_the_withdrawn_pin_and_lists_the_cves_in_between() {
    let dir = tempfile::tempdir().unwrap();
    let (home, keyring) = signing_key(dir.path(), "archive");
    let mirror = mirror(dir.path(), &home).await;
    let opts = against(&mirror, &keyring, dir.path());
    let path = dir.path().join("pins.toml");
    let text = format!(
        "[debian]\nsuite = \"bookworm\"\n\n[apt]\n\
         tini = \"0.19.0-1+b3\"   # bookworm\n\
         demo-lib = \"{OLD}\"   # bookworm-security; a note that stays\n\
         old-tool = \"1.0-1\"   # bookworm\n\n\
         [artifact.\"demo\"]\nversion = \"1.0\"\nmaven = \"org.example:demo:1.0\"\n\
         unverified = \"not looked at by --withdrawn\"\n"
    );
    std::fs::write(&path, &text).unwrap();

    let report = lock_scoped(&path, &opts, Mode::Write, Scope::Withdrawn)
        .await
        .unwrap_or_else(|e| panic!("lock failed: {e}"));
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(
        report.changes,
        [Change {
            section: "apt",
            key: "demo-lib".into(),
            old: OLD.into(),
            new: NEW.into(),
            note: Some("fixes CVE-2026-0001, CVE-2026-0002".into()),
        }]
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text.replace(
            &format!("demo-lib = \"{OLD}\""),
            &format!("demo-lib = \"{NEW}\"")
        ),
        "only demo-lib's version changes"
    );

    // Without --withdrawn the point-release update moves too.
    let report = lock_scoped(&path, &opts, Mode::Check, Scope::All)
        .await
        .unwrap_or_else(|e| panic!("lock failed: {e}"));
    let moved: Vec<&str> = report
        .changes
        .iter()
        .filter(|c| c.section == "apt")
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(moved, ["old-tool"], "{:?}", report.changes);
}
