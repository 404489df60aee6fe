//! Hermetic inputs: tampered, cut and unpinned artifacts stop the run before any build.

use std::collections::HashMap;
use std::path::Path;

use image_dsl_cli::engine::{
    ArtifactSource, Checksum, ContextArtifact, EngineError, Locator, Settings, build_all,
};

use crate::support::{Mirror, Reply, docker, fixture, options, sha256, tagged, unique};

fn artifact(name: &str, url: String, checksum: Checksum) -> ContextArtifact {
    ContextArtifact {
        path: format!("{name}.tgz"),
        source: ArtifactSource {
            name: name.into(),
            version: "9.9".into(),
            locator: Locator::Urls(vec![url]),
            checksum,
        },
    }
}

/// Every file left under the cache's artifact directory.
fn cached_files(cache: &Path) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                walk(&entry.path(), out);
            } else {
                out.push(entry.path().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&cache.join("artifacts"), &mut out);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_or_cut_artifact_is_rejected_before_any_build_and_leaves_no_cache_entry() {
    let docker = docker().await;
    let good = b"the bytes that were pinned".to_vec();
    let mirror = Mirror::serve(HashMap::from([
        (
            "/tampered.tgz".to_owned(),
            Reply::Full(b"the bytes a mirror swapped in".to_vec()),
        ),
        (
            "/cut.tgz".to_owned(),
            Reply::Cut {
                body: good[..10].to_vec(),
                claimed: good.len(),
            },
        ),
    ]))
    .await;
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("image-dsl-test/tampered:{}", unique("fetch"));
    let mut spec = fixture(&reference, "COPY tampered.tgz cut.tgz /opt/\n");
    let pin = Checksum::Sha256(sha256(&good));
    spec.artifacts.push(artifact(
        "tampered",
        format!("{}/tampered.tgz", mirror.url),
        pin.clone(),
    ));
    spec.artifacts.push(artifact(
        "cut",
        format!("{}/cut.tgz", mirror.url),
        Checksum::Sha512("ab".repeat(64)),
    ));
    let mut opts = options();
    opts.settings = Settings {
        cache_dir: cache.path().to_owned(),
        ..opts.settings.clone()
    };

    let error = match build_all(vec![spec], &opts).await {
        Err(EngineError::Fetch(errors)) => errors,
        Err(other) => panic!("expected a fetch error, got: {other}"),
        Ok(report) => panic!("a tampered artifact must stop the run before any build:\n{report}"),
    };
    let message = error
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(error.len(), 2, "both artifacts are reported: {message}");
    assert!(message.contains("artifact tampered 9.9"), "{message}");
    assert!(
        message.contains(&format!("{}/tampered.tgz", mirror.url)),
        "{message}"
    );
    assert!(
        message.contains(&format!("expected sha256:{}", sha256(&good))),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "actual sha256:{}",
            sha256(b"the bytes a mirror swapped in")
        )),
        "{message}"
    );
    assert!(
        message.contains("artifact cut 9.9") && message.contains("cut after 10"),
        "{message}"
    );
    // A cut transfer may pass on another try: it is tried three times (a mismatch only once).
    assert!(message.contains("(after 3 attempts)"), "{message}");
    assert_eq!(mirror.hits(), 1 + 3, "tampered once, cut three times");
    assert!(
        cached_files(cache.path()).is_empty(),
        "nothing may stay in the cache: {:?}",
        cached_files(cache.path())
    );
    assert!(tagged(&docker, &reference).await.is_none());
}

#[tokio::test]
async fn unverified_artifacts_are_refused_naming_each_and_the_mirror_setting() {
    let mut spec = fixture("image-dsl-test/unverified:1", "");
    spec.artifacts.push(artifact(
        "first",
        "http://127.0.0.1:9/first.tgz".into(),
        Checksum::Unverified("mirror unreachable".into()),
    ));
    spec.artifacts.push(ContextArtifact {
        path: "second.jar".into(),
        source: ArtifactSource {
            name: "second".into(),
            version: "1".into(),
            locator: Locator::Maven(image_dsl_cli::engine::MavenCoordinates {
                group: "g".into(),
                artifact: "second".into(),
                version: "1".into(),
                classifier: None,
                extension: "jar".into(),
            }),
            checksum: Checksum::Unverified("not in the repository".into()),
        },
    });
    // No daemon is needed to refuse: the check runs first.
    let mut opts = options();
    opts.docker_host = Some("unix:///nonexistent/docker.sock".into());
    let message = match build_all(vec![spec], &opts).await {
        Err(error @ EngineError::Unverified { .. }) => error.to_string(),
        other => panic!("expected unverified artifacts to be refused: {other:?}"),
    };
    for expected in [
        "first 1",
        "mirror unreachable",
        "second 1",
        "IMAGE_DSL_MAVEN_MIRROR",
        "cargo xtask images lock",
    ] {
        let expected = expected.replace("first 1", "first 9.9");
        assert!(
            message.contains(&expected),
            "`{expected}` missing from: {message}"
        );
    }
}
