//! A build killed with SIGKILL midway leaves the tag where it was, and the next run completes.
//!
//! The killed process is this test binary run again as a child on
//! [`child_process_build`], which builds the specs of a JSON file named by
//! `IMAGE_DSL_ENGINE_CHILD` (and does nothing without it).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use image_dsl_cli::engine::{BuildSpec, Status, build_all};

use crate::support::{Cleanup, docker, fixture, options, tagged, unique, work_dir};

/// The test binary, re-run on [`child_process_build`] for `specs`; `name` keeps spec files apart.
pub fn child_command(specs: &[BuildSpec], name: &str) -> Command {
    let file = work_dir().join(format!("{}.json", unique(name)));
    std::fs::create_dir_all(work_dir()).unwrap();
    std::fs::write(&file, serde_json::to_vec(specs).unwrap()).unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "live::engine::kill::child_process_build",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("IMAGE_DSL_ENGINE_CHILD", file)
        .stdin(Stdio::null());
    command
}

/// The child's side: builds the specs named by `IMAGE_DSL_ENGINE_CHILD` and exits with 0 on
/// success, 1 on a failed image, 2 when the run could not start. A no-op in a normal test run.
#[test]
fn child_process_build() {
    let Some(file) = std::env::var_os("IMAGE_DSL_ENGINE_CHILD").map(PathBuf::from) else {
        return;
    };
    let specs: Vec<BuildSpec> = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let code = match runtime.block_on(build_all(specs, &options())) {
        Ok(report) => {
            println!("{report}");
            i32::from(!report.success())
        }
        Err(error) => {
            println!("error: {error}");
            2
        }
    };
    std::process::exit(code);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_killed_midway_leaves_no_wrong_tag_and_the_next_run_completes() {
    let docker = docker().await;
    let reference = format!("image-dsl-test/killed:{}", unique("kill"));
    let _cleanup = Cleanup(vec![reference.clone()]);
    let first = build_all(
        vec![fixture(&reference, "RUN echo v1 > /version\n")],
        &options(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(first.success(), "{first}");
    let before = tagged(&docker, &reference).await.expect("v1 is tagged");

    let slow = fixture(
        &reference,
        "RUN echo v2 started && sleep 8 && echo v2 > /version\n",
    );
    let log = options().log_dir.join(slow.log_file_name());
    let _ = std::fs::remove_file(&log);
    let mut child = child_command(std::slice::from_ref(&slow), "kill")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("v2 started") {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child ended ({status}) before its build started; log:\n{text}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the child's build never started; log:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    assert_eq!(
        tagged(&docker, &reference).await,
        Some(before.clone()),
        "the tag must still point at v1"
    );

    let next = build_all(vec![slow], &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(next.images[0].status, Status::Built), "{next}");
    let after = tagged(&docker, &reference).await.expect("v2 is tagged");
    assert_ne!(after.0, before.0);
    assert_eq!(
        after.1.as_deref(),
        Some(next.images[0].content_hash.as_str())
    );
}
