//! An unreachable engine is a fast, clear error, whether given explicitly or by DOCKER_HOST.

use std::time::{Duration, Instant};

use image_dsl_cli::engine::client::ClientError;
use image_dsl_cli::engine::{EngineError, build_all};

use crate::support::{fixture, options, work_dir};

fn assert_says_how_to_start_one(message: &str, host: &str) {
    assert!(
        message.contains(host),
        "the message names the host: {message}"
    );
    assert!(
        message.contains("dockerd") && message.contains("DOCKER_HOST"),
        "the message says how to start one: {message}"
    );
}

#[tokio::test]
async fn a_dead_docker_host_fails_fast_with_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    // A socket file nobody listens on any more, a missing socket, and a closed TCP port.
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let hosts = [
        format!("unix://{}", stale.display()),
        format!("unix://{}", dir.path().join("missing.sock").display()),
        "tcp://127.0.0.1:1".to_owned(),
    ];
    for host in hosts {
        let mut opts = options();
        opts.docker_host = Some(host.clone());
        let started = Instant::now();
        let result = build_all(vec![fixture("image-dsl-test/unreachable:1", "")], &opts).await;
        let elapsed = started.elapsed();
        match result {
            Err(EngineError::Client(
                error @ (ClientError::Unreachable { .. } | ClientError::Timeout { .. }),
            )) => {
                assert_says_how_to_start_one(&error.to_string(), &host);
            }
            other => panic!("{host}: expected an unreachable-engine error, got {other:?}"),
        }
        assert!(elapsed < Duration::from_secs(6), "{host}: took {elapsed:?}");
    }
}

#[test]
fn docker_host_from_the_environment_is_honoured_in_a_fresh_process() {
    let dead = format!(
        "unix://{}",
        work_dir().join("no-daemon-here.sock").display()
    );
    let started = Instant::now();
    let output = super::kill::child_command(&[fixture("image-dsl-test/unreachable:1", "")], "env")
        .env("DOCKER_HOST", &dead)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert_says_how_to_start_one(&stdout, &dead);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}
