//! apt steps as hermetic inputs, on Debian's real signed archive and the real daemon: apt resolves
//! a step's closure, the host fetches and verifies its `.deb`s, and the build installs them from
//! the context. With the warm cache a build needs no Debian at all; a tampered cached `.deb` is
//! refused before anything is built.

use std::collections::BTreeMap;

use image_dsl_cli::engine::debian::closure::{self, AptLock};
use image_dsl_cli::engine::debian::{Archive, suites};
use image_dsl_cli::engine::fetch::Fetcher;
use image_dsl_cli::engine::{
    BASE_REFERENCE, BuildOptions, DEBIAN_SUITE, EngineError, Locator, Settings, Status, bootstrap,
    build_all,
};

use crate::support::{Cleanup, debian_image, docker, options, tagged, unique};

/// An address nothing listens on: Debian "cut off".
const NO_DEBIAN: &str = "http://127.0.0.1:9/debian";

/// A one-step image on the Debian base: apt installs `tini` and `procps` (whose closure holds
/// libraries the base lacks), then a `RUN` uses both, so the build itself proves the install.
fn image(reference: &str, tini: &'static str, procps: &'static str) -> image_dsl::Image {
    debian_image(
        reference,
        "apt from the locked closure",
        vec![
            image_dsl::Step::Apt(vec![
                image_dsl::AptPin {
                    package: "tini",
                    version: tini,
                },
                image_dsl::AptPin {
                    package: "procps",
                    version: procps,
                },
            ]),
            image_dsl::Step::Run(vec![
                "tini --version".to_owned(),
                "ps -p 1 -o comm=".to_owned(),
                "test ! -e /tmp/debs && test ! -e /apt-delta".to_owned(),
            ]),
            image_dsl::Step::User(image_dsl::User { uid: 10001, gid: 0 }),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apt_step_builds_from_its_locked_debs_with_debian_cut_off_and_refuses_a_tampered_one() {
    let docker = docker().await;
    let mut opts = options();
    // Its own cache: the test empties and tampers with it.
    let cache = tempfile::tempdir().unwrap();
    opts.settings = Settings::with_cache_dir(cache.path().to_owned());
    bootstrap::ensure_base(&docker, &opts.bootstrap_options(BASE_REFERENCE, false))
        .await
        .unwrap();

    // The versions Debian serves today, so the test does not age with the catalog's pins.
    let fetcher = Fetcher::new(opts.settings.clone());
    let archive = Archive::load(
        &fetcher,
        &opts.settings.debian_keyring,
        &suites(&opts.settings, DEBIAN_SUITE),
    )
    .await
    .unwrap();
    let current = |package: &str| -> &'static str {
        Box::leak(archive.candidate(package).unwrap().version.into_boxed_str())
    };
    let image = image(&unique("debs-offline"), current("tini"), current("procps"));
    let reference = image.reference();
    let _cleanup = Cleanup(vec![reference.clone()]);
    let rendered = image_dsl::render(&image);
    let spec = image_dsl_cli::catalog::spec(&crate::support::workspace(), &image, &rendered);

    // apt resolves the closure in a container of the base, from the verified indexes.
    let catalog = vec![(image.clone(), rendered.clone(), spec)];
    let (requests, bases) =
        image_dsl_cli::pins_lock::debs::requests(&catalog, &BTreeMap::new()).unwrap();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let sources = closure::Sources {
        archive: &archive,
        fetcher: &fetcher,
        base: None,
        bases: &bases,
    };
    let lock: AptLock = closure::resolve(&docker, BASE_REFERENCE, &sources, &requests, &|_| None)
        .await
        .unwrap();
    let debs = &lock.steps[0].debs;
    let names: Vec<&str> = debs.iter().map(|d| d.package.as_str()).collect();
    assert!(
        names.contains(&"tini") && names.contains(&"procps") && names.contains(&"libproc2-0"),
        "the closure holds the packages and the libraries the base lacks: {names:?}"
    );
    assert!(
        !names.contains(&"libc6"),
        "the closure holds nothing the base has already: {names:?}"
    );
    for deb in debs {
        assert_eq!(
            archive.find(&deb.package, &deb.version).map(|p| &p.sha256),
            Some(&deb.sha256),
            "every .deb is the one the signed index lists"
        );
    }
    let spec = image_dsl_cli::catalog::spec_locked(
        &crate::support::workspace(),
        &image,
        &rendered,
        Ok(&lock),
    );
    let deb_inputs: Vec<_> = spec
        .artifacts
        .iter()
        .filter(|a| matches!(a.source.locator, Locator::Debian { .. }))
        .collect();
    assert_eq!(deb_inputs.len(), debs.len());

    // Warm the cache from Debian, then cut Debian off: the build needs nothing from it.
    fetcher.fetch_all(&[&spec]).await.unwrap();
    let offline = offline(&opts);
    let report = build_all(vec![spec.clone()], &offline).await.unwrap();
    assert!(report.success(), "{report}");
    assert!(matches!(report.images[0].status, Status::Built), "{report}");
    assert!(tagged(&docker, &reference).await.is_some());

    // A tampered cached .deb is refused (Debian cannot supply the real one): nothing is built,
    // and the tag is not moved.
    let victim = deb_inputs[0];
    let path = fetcher.cached_path(&victim.source.checksum).unwrap();
    std::fs::write(&path, b"not the .deb the index lists").unwrap();
    let before = tagged(&docker, &reference).await;
    let mut forced = offline.clone();
    forced.force = true;
    let err = match build_all(vec![spec.clone()], &forced).await {
        Err(err) => err,
        Ok(report) => panic!("a tampered .deb must stop the run:\n{report}"),
    };
    let message = err.to_string();
    assert!(matches!(err, EngineError::Fetch(_)), "{message}");
    assert!(message.contains(&victim.source.name), "{message}");
    assert_eq!(tagged(&docker, &reference).await, before, "the tag moved");
    assert!(
        !path.exists(),
        "the tampered file stays out of the cache: {}",
        path.display()
    );
}

/// `opts` with Debian unreachable.
fn offline(opts: &BuildOptions) -> BuildOptions {
    let mut offline = opts.clone();
    offline.settings.debian_mirror = NO_DEBIAN.to_owned();
    offline.settings.debian_security_mirror = format!("{NO_DEBIAN}-security");
    offline
}
