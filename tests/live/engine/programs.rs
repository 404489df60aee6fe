//! Programs built on the host from registry sources: a Go main package against a module of the
//! Go module proxy, and a crate's binary from crates.io. Each is verified (the module's h1, the
//! toolchain), cached by its whole recipe, placed executable in the context, and runs in the
//! image; the second build is a cache hit, and a new toolchain is a new program.

use std::path::Path;

use image_dsl_cli::engine::{
    ArtifactSource, BuildSpec, Checksum, ContextArtifact, CrateBuild, GoBuild, Locator, Status,
    build_all,
};

use crate::support::{Cleanup, docker, fetch_error_text, fixture, options_with_cache, unique};

const UUID_H1: &str = "h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=";
const MAIN_GO: &str = "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/google/uuid\"\n)\n\n\
func main() {\n\tfmt.Println(\"hello\", uuid.NewSHA1(uuid.NameSpaceDNS, []byte(\"image-dsl\")))\n}\n";
const GO_MOD: &str =
    "module example.com/hello\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n";
const GO_SUM: &str = "github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\n\
github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=\n";
/// ripgrep 15.2.0's `.crate`, as the crates.io index records it.
const RIPGREP_SHA256: &str = "a30750b6d0743bfdd2656ebbaf4555aa278c43144b84bc389bcbfa399485ec71";

fn hello(toolchain: &str, h1: &str) -> ArtifactSource {
    ArtifactSource {
        name: "hello".into(),
        version: "1.6.0".into(),
        locator: Locator::Go(GoBuild {
            module: "github.com/google/uuid".into(),
            version: "v1.6.0".into(),
            package: ".".into(),
            main: [("go.mod", GO_MOD), ("go.sum", GO_SUM), ("main.go", MAIN_GO)]
                .map(|(n, t)| (n.to_owned(), t.to_owned()))
                .to_vec(),
            zip: false,
            ldflags: "-X main.unused=1".into(),
            toolchain: toolchain.into(),
            bin: "hello".into(),
        }),
        checksum: Checksum::GoModule(h1.into()),
    }
}

fn ripgrep(toolchain: &str) -> ArtifactSource {
    ArtifactSource {
        name: "ripgrep".into(),
        version: "15.2.0".into(),
        locator: Locator::Crate(CrateBuild {
            name: "ripgrep".into(),
            version: "15.2.0".into(),
            bin: "rg".into(),
            toolchain: toolchain.into(),
            // PCRE2 is a feature ripgrep leaves off by default: `rg -P` proves it was turned on.
            features: vec!["pcre2".into()],
            default_features: true,
            lto: Some("off".into()),
            codegen_units: Some(16),
        }),
        checksum: Checksum::Sha256(RIPGREP_SHA256.into()),
    }
}

/// An image running both programs as a non-root user; the RUN step checks their output and mode.
fn spec(reference: &str, hello: ArtifactSource, rg: ArtifactSource) -> BuildSpec {
    let mut spec = fixture(
        reference,
        "COPY artifacts/hello /usr/local/bin/hello\n\
         COPY artifacts/rg /usr/local/bin/rg\n\
         RUN test \"$(stat -c %a /usr/local/bin/hello /usr/local/bin/rg)\" = \"$(printf '755\\n755')\" \
         && test \"$(hello)\" = 'hello 4274cb36-42cb-5f60-a786-bc507e62d88a' \
         && rg --version | head -1 | grep -q '^ripgrep 15.2.0' \
         && printf 'a\\nneedle\\n' | rg -q needle \
         && printf 'needle\\n' | rg -qP 'ne(?=edle)'\n\
         USER 10001\n",
    );
    for (path, source) in [("artifacts/hello", hello), ("artifacts/rg", rg)] {
        spec.artifacts.push(ContextArtifact {
            path: path.into(),
            source,
        });
    }
    spec
}

/// Every file below `dir`, with its modification time: what a rebuild would change.
fn files_with_times(dir: &Path) -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_with_times(&path));
        } else {
            out.push((path.clone(), entry.metadata().unwrap().modified().unwrap()));
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_and_rust_programs_are_built_on_the_host_verified_cached_and_run_in_the_image() {
    let docker = docker().await;
    let cache = tempfile::tempdir().unwrap();
    let opts = options_with_cache(cache.path());
    let reference = format!("image-dsl-test/programs:{}", unique("programs"));
    let _cleanup = Cleanup(vec![reference.clone()]);
    let programs = cache.path().join("artifacts/programs");

    // A module whose content is not what was pinned, and a Rust that is not installed: both
    // named, before anything compiles; nothing is tagged or cached.
    let wrong_h1 = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let text = fetch_error_text(
        build_all(
            vec![spec(
                &reference,
                hello("go1.27.3", wrong_h1),
                ripgrep("1.0.0"),
            )],
            &opts,
        )
        .await,
    );
    assert!(
        text.contains("program hello 1.6.0 could not be built on the host")
            && text.contains(&format!("hashes to {UUID_H1}, but the pin says {wrong_h1}")),
        "{text}"
    );
    assert!(
        text.contains("program ripgrep 15.2.0 could not be built on the host")
            && text.contains("rustup toolchain install 1.0.0"),
        "{text}"
    );
    assert!(docker.inspect_image(&reference).await.is_err());
    assert!(
        files_with_times(&programs).is_empty(),
        "a failed build left {:?}",
        files_with_times(&programs)
    );

    // Pinned right: built, verified, and the image's RUN step runs both as they should.
    let good = || spec(&reference, hello("go1.27.3", UUID_H1), ripgrep("1.95.0"));
    let report = build_all(vec![good()], &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.success(), "{report}");
    let built = files_with_times(&programs);
    let names: Vec<String> = built
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{built:?}");
    assert!(
        names.contains(&"hello".into()) && names.contains(&"rg".into()),
        "{names:?}"
    );

    // The second build is a cache hit: up to date, and no program was rebuilt.
    let again = build_all(vec![good()], &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(again.images[0].status, Status::UpToDate),
        "{again}"
    );
    assert_eq!(
        files_with_times(&programs),
        built,
        "a cached program was rebuilt"
    );

    // Another toolchain is another program, and so another image.
    let local = format!(
        "go{}",
        String::from_utf8_lossy(
            &std::process::Command::new("go")
                .args(["env", "GOVERSION"])
                .env("GOTOOLCHAIN", "local")
                .output()
                .expect("go runs")
                .stdout
        )
        .trim()
        .trim_start_matches("go")
    );
    let report = build_all(
        vec![spec(&reference, hello(&local, UUID_H1), ripgrep("1.95.0"))],
        &opts,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(report.images[0].status, Status::Built), "{report}");
    assert_eq!(files_with_times(&programs).len(), 3);
}
