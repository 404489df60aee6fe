//! The local base: slim, labelled with its package set, and not imported twice.

use xtask::engine::bootstrap::PACKAGE_SET_LABEL;
use xtask::engine::{BASE_REFERENCE, bootstrap};

use super::support::{docker, options};

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
