//! The compressed size of a built image against an independent measurement: the
//! `docker save IMAGE | gzip -1 | wc -c` the issue measured by hand, with the docker CLI and
//! the gzip binary.

use std::process::Stdio;
use std::time::Duration;

use image_dsl_cli::engine::compressed::{CompressedSize, SizeCache, SizeError, compressed_size};
use image_dsl_cli::engine::{BuildSpec, ContextFile, build_all};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Cleanup, docker, fixture, options, unique};

/// How long each command of the independent measurement may take on a 75 MB image.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The bootstrapped Debian base and a small layer: what the catalog's images are made of, so
/// gzip has real files to compress (on synthetic text, flate2 and the gzip binary differ more).
fn sample_image(reference: &str) -> BuildSpec {
    let mut spec = fixture(reference, "COPY spark.conf /etc/spark.conf\n");
    spec.files.push(ContextFile {
        path: "spark.conf".into(),
        contents: b"spark.executor.memory = 4g\nspark.ui.enabled = false\n".to_vec(),
        mode: 0o644,
    });
    spec
}

/// `program args` with `input` on its stdin: the bytes of its stdout, within [`COMMAND_TIMEOUT`].
async fn output_of(program: &str, args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take().expect("piped");
    let run = async {
        let write = async {
            if let (Some(stdin), Some(input)) = (stdin.as_mut(), input) {
                stdin.write_all(input).await.unwrap();
            }
            drop(stdin.take());
        };
        let mut out = Vec::new();
        let read = stdout.read_to_end(&mut out);
        let ((), read) = tokio::join!(write, read);
        read.unwrap();
        let status = child.wait().await.unwrap();
        assert!(status.success(), "{program} {args:?}: {status}");
        out
    };
    tokio::time::timeout(COMMAND_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| panic!("{program} {args:?} took over {COMMAND_TIMEOUT:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compressed_size_is_docker_save_through_gzip_1_and_is_cached_by_image_id() {
    let docker = docker().await;
    let reference = format!("image-dsl-test/sizes-sample:{}", unique("gzip"));
    let _cleanup = Cleanup(vec![reference.clone()]);
    let built = build_all(vec![sample_image(&reference)], &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(built.success(), "{built}");
    let id = docker
        .inspect_image(&reference)
        .await
        .unwrap()
        .id
        .expect("an image has an ID");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compressed-sizes.json");
    let mut cache = SizeCache::load(&path);
    let measured = compressed_size(&docker, &reference, &mut cache)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // The independent measurement, of what the function exports: the image by its ID.
    let saved = output_of("docker", &["save", &id], None).await;
    let gzipped = output_of("gzip", &["-1", "-c"], Some(&saved)).await;
    let by_name = output_of("docker", &["save", &reference], None).await;
    println!(
        "{reference}: docker save {} bytes ({} by name), gzip -1 {} bytes; measured {measured:?}",
        saved.len(),
        by_name.len(),
        gzipped.len()
    );
    assert_eq!(measured.tar_bytes, saved.len() as u64, "{measured:?}");
    assert!(measured.gzip_bytes < measured.tar_bytes, "{measured:?}");
    let off = measured.gzip_bytes.abs_diff(gzipped.len() as u64) as f64 / gzipped.len() as f64;
    assert!(
        off < 0.03,
        "gzip -1 gives {} bytes, the engine's measure {} ({:.1}% off)",
        gzipped.len(),
        measured.gzip_bytes,
        off * 100.0
    );

    // A later run reads the file and measures nothing: a planted entry for this ID comes back.
    let again = SizeCache::load(&path);
    assert_eq!(again.get(&id), Some(measured));
    let planted = CompressedSize {
        tar_bytes: 1,
        gzip_bytes: 1,
    };
    let mut planted_cache = SizeCache::load(&path);
    planted_cache.insert(&id, planted).unwrap();
    let mut later = SizeCache::load(&path);
    let cached = compressed_size(&docker, &reference, &mut later)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cached, planted);
}

#[tokio::test]
async fn a_missing_image_is_an_error_that_names_it() {
    let docker = docker().await;
    let reference = format!("image-dsl-test/sizes-missing:{}", unique("none"));
    let dir = tempfile::tempdir().unwrap();
    let mut cache = SizeCache::load(dir.path().join("compressed-sizes.json"));
    let error = compressed_size(&docker, &reference, &mut cache)
        .await
        .expect_err("nothing carries the tag");
    assert!(matches!(error, SizeError::Inspect { .. }), "{error:?}");
    assert!(error.to_string().contains(&reference), "{error}");
    assert!(!cache.path().exists(), "nothing was written");
}
