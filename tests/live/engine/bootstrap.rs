//! The local base: slim, labelled with its package set, and not imported twice.

use image_dsl_cli::engine::bootstrap::PACKAGE_SET_LABEL;
use image_dsl_cli::engine::{BASE_REFERENCE, bootstrap};

use crate::support::{Cleanup, docker, options, unique};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrapping_again_finds_the_same_package_set_and_imports_nothing() {
    let docker = docker().await;
    let first = bootstrap(BASE_REFERENCE, false, &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        first.size < 100_000_000,
        "the base is {} bytes, not slim",
        first.size
    );

    let again = bootstrap(BASE_REFERENCE, true, &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !again.imported,
        "the same package set must not be imported twice"
    );
    assert_eq!(again.id, first.id);
    assert_eq!(again.package_set, first.package_set);

    let image = docker.inspect_image(BASE_REFERENCE).await.unwrap();
    let labels = image.config.and_then(|c| c.labels).unwrap_or_default();
    assert_eq!(labels.get(PACKAGE_SET_LABEL), Some(&first.package_set));
    let history = docker.image_history(BASE_REFERENCE).await.unwrap();
    assert_eq!(
        history.len(),
        1,
        "the base is one imported layer: {history:?}"
    );
}

/// With `images/apt.lock`'s base, the bootstrap reads nothing from Debian: it installs exactly the
/// locked `.deb`s from the verified cache, so a machine with a warm cache makes the same base with
/// Debian cut off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_base_bootstraps_from_its_locked_debs_with_debian_cut_off() {
    let docker = docker().await;
    let lock = crate::support::workspace()
        .apt_lock()
        .unwrap_or_else(|e| panic!("{e}"));
    let base = lock.base.clone().expect("images/apt.lock locks the base");
    let opts = options();
    // Warm the cache, as an earlier build on this machine would have.
    let fetcher = image_dsl_cli::engine::fetch::Fetcher::new(opts.settings.clone());
    for deb in &base.debs {
        fetcher.fetch(&deb.source()).await.unwrap();
    }

    let reference = format!("image-dsl-test/debian:{}", unique("locked"));
    let _cleanup = Cleanup(vec![reference.clone()]);
    let mut offline = opts.clone();
    offline.settings.debian_mirror = "http://127.0.0.1:9/debian".to_owned();
    offline.settings.debian_security_mirror = "http://127.0.0.1:9/debian-security".to_owned();
    let mut bootstrap_options = offline.bootstrap_options(&reference, true);
    bootstrap_options.locked = Some(base.clone());
    let made = image_dsl_cli::engine::bootstrap::ensure_base(&docker, &bootstrap_options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(made.size < 100_000_000, "the base is {} bytes", made.size);

    let output = std::process::Command::new("docker")
        .args(["run", "--rm", "--network", "none", &made.id])
        .args([
            "dpkg-query",
            "-W",
            "-f",
            "${Package} ${Version} ${Status}\\n",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let installed: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| {
            assert!(l.ends_with(" install ok installed"), "{l}");
            l.trim_end_matches(" install ok installed").to_owned()
        })
        .collect();
    let locked: Vec<String> = base
        .debs
        .iter()
        .map(|d| format!("{} {}", d.package, d.version))
        .collect();
    assert_eq!(installed, locked, "the base holds exactly the locked set");
}
