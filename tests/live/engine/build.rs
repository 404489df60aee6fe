//! Building fixtures: from the base, skipping what is up to date, failures, budgets.

use std::collections::HashMap;

use image_dsl_cli::engine::outcome::ImageError;
use image_dsl_cli::engine::{
    ArtifactSource, BASE_REFERENCE, Checksum, ContextArtifact, ContextFile, Freshness, Locator,
    MavenCoordinates, Status, build_all, freshness,
};

use crate::support::{
    Cleanup, Mirror, Reply, debian_image, docker, fixture, options, sha256, tagged, unique,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_on_the_bootstrapped_base_then_skips_without_calling_the_builder() {
    let docker = docker().await;
    let jar = b"not really a jar, but pinned".to_vec();
    let coords = MavenCoordinates {
        group: "org.example".into(),
        artifact: "fixture".into(),
        version: "1.0".into(),
        classifier: None,
        extension: "jar".into(),
    };
    let mirror = Mirror::serve(HashMap::from([(
        format!("/{}", coords.repository_path()),
        Reply::Full(jar.clone()),
    )]))
    .await;
    let reference = format!("image-dsl-test/hello:{}", unique("base"));
    let _cleanup = Cleanup(vec![reference.clone()]);
    let mut spec = fixture(
        &reference,
        "COPY hello.sh /usr/local/bin/hello\nCOPY fixture.jar /opt/fixture.jar\nRUN hello > /hello.txt\nUSER 10001\n",
    );
    spec.files.push(ContextFile {
        path: "hello.sh".into(),
        contents: b"#!/bin/sh\necho hello\n".to_vec(),
        mode: 0o755,
    });
    spec.artifacts.push(ContextArtifact {
        path: "fixture.jar".into(),
        source: ArtifactSource {
            name: "fixture".into(),
            version: "1.0".into(),
            locator: Locator::Maven(coords),
            checksum: Checksum::Sha256(sha256(&jar)),
        },
    });
    let mut opts = options();
    opts.settings.maven_mirror = mirror.url.clone();

    let first = build_all(vec![spec.clone()], &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(first.success(), "{first}");
    assert!(matches!(first.images[0].status, Status::Built), "{first}");
    assert_eq!(first.builder_calls, 1);
    let (id, label) = tagged(&docker, &reference)
        .await
        .expect("the built image is tagged");
    assert_eq!(
        label.as_deref(),
        Some(first.images[0].content_hash.as_str())
    );
    let image = docker.inspect_image(&reference).await.unwrap();
    assert_eq!(image.config.and_then(|c| c.user).as_deref(), Some("10001"));
    let base = docker.inspect_image(BASE_REFERENCE).await.unwrap();
    let base_size = base.size.unwrap_or_default();
    assert!(
        base_size < 100_000_000,
        "the bootstrapped base is {base_size} bytes, not slim"
    );
    let fetched = mirror.hits();

    let started = std::time::Instant::now();
    let second = build_all(vec![spec.clone()], &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(second.images[0].status, Status::UpToDate),
        "{second}"
    );
    assert_eq!(
        second.builder_calls, 0,
        "an up-to-date image must not reach the builder"
    );
    assert_eq!(
        mirror.hits(),
        fetched,
        "an up-to-date image must not fetch its artifacts"
    );
    assert_eq!(tagged(&docker, &reference).await.map(|t| t.0), Some(id));
    eprintln!("no-op run took {:?}\n{second}", started.elapsed());

    // `images test` probes only what the definition builds today: an edited file makes the
    // tag stale, an undeclared tag is missing; nothing is built or fetched to find out.
    let fresh = freshness(vec![spec.clone()], &opts).await.unwrap();
    assert_eq!(fresh[&reference], Freshness::Current);
    let mut edited = spec;
    edited.files[0].contents = b"#!/bin/sh\necho edited\n".to_vec();
    let missing = format!("image-dsl-test/never-built:{}", unique("missing"));
    let never_built = fixture(&missing, "USER 10001\n");
    let fresh = freshness(vec![edited, never_built], &opts).await.unwrap();
    assert_eq!(fresh[&reference], Freshness::Stale);
    assert_eq!(fresh[&missing], Freshness::Missing);
    assert_eq!(mirror.hits(), fetched);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_parent_skips_its_children_and_spares_independent_images() {
    let docker = docker().await;
    let tag = unique("graph");
    let broken = format!("image-dsl-test/broken:{tag}");
    let child = format!("image-dsl-test/child:{tag}");
    let independent = format!("image-dsl-test/independent:{tag}");
    let _cleanup = Cleanup(vec![broken.clone(), child.clone(), independent.clone()]);
    let mut child_spec = fixture(&child, "");
    child_spec.dockerfile = format!("FROM {broken}\nRUN true\n");
    child_spec.parents = vec![broken.clone()];
    let specs = vec![
        child_spec,
        fixture(&broken, "RUN echo about to fail && false\n"),
        fixture(&independent, "RUN echo fine > /fine\n"),
    ];

    let report = build_all(specs, &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!report.success());
    let status = |r: &str| &report.image(r).unwrap().status;
    match status(&broken) {
        Status::Failed(ImageError::Step {
            step, message, log, ..
        }) => {
            assert!(step.contains("RUN echo about to fail"), "{step}");
            assert!(message.contains("exit code: 1"), "{message}");
            assert!(
                message.contains("about to fail"),
                "the step's output is quoted: {message}"
            );
            assert!(
                std::fs::read_to_string(log)
                    .unwrap()
                    .contains("about to fail")
            );
        }
        other => panic!("broken should fail at its RUN step: {other:?}"),
    }
    assert!(
        matches!(status(&child), Status::Skipped { because } if *because == broken),
        "{report}"
    );
    assert!(matches!(status(&independent), Status::Built), "{report}");
    assert_eq!(
        report.builder_calls, 2,
        "the skipped child must not reach the builder"
    );
    assert!(tagged(&docker, &broken).await.is_none());
    assert!(report.summary_table().contains("skipped"));
}

/// `--keep-going`: an image whose input has no checksum is reported with it, what builds on it
/// is skipped, and the rest is built; without it the same run builds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_going_builds_what_has_its_inputs_and_names_what_does_not() {
    docker().await;
    let tag = unique("keep-going");
    let needs = format!("image-dsl-test/needs-mirror:{tag}");
    let child = format!("image-dsl-test/needs-mirror-child:{tag}");
    let fine = format!("image-dsl-test/fine:{tag}");
    let _cleanup = Cleanup(vec![needs.clone(), child.clone(), fine.clone()]);
    let mut needs_spec = fixture(&needs, "COPY vendor.jar /opt/vendor.jar\n");
    needs_spec.artifacts.push(ContextArtifact {
        path: "vendor.jar".into(),
        source: ArtifactSource {
            name: "vendor-jar".into(),
            version: "2.0".into(),
            locator: Locator::Urls(vec!["https://vendor.invalid/vendor.jar".into()]),
            checksum: Checksum::Unverified("the vendor site was unreachable".into()),
        },
    });
    let mut child_spec = fixture(&child, "");
    child_spec.dockerfile = format!("FROM {needs}\nUSER 10001\n");
    child_spec.parents = vec![needs.clone()];
    let specs = vec![
        needs_spec,
        child_spec,
        fixture(&fine, "RUN echo fine > /fine\nUSER 10001\n"),
    ];

    let mut opts = options();
    assert!(matches!(
        build_all(specs.clone(), &opts).await,
        Err(image_dsl_cli::engine::EngineError::Unverified { .. })
    ));
    opts.keep_going = true;
    let report = build_all(specs, &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!report.success(), "{report}");
    let status = |r: &str| &report.image(r).unwrap().status;
    assert!(matches!(status(&fine), Status::Built), "{report}");
    match status(&needs) {
        Status::Failed(ImageError::Unavailable { inputs, .. }) => {
            assert_eq!(inputs, &["vendor-jar 2.0 (no checksum pinned)"]);
        }
        other => panic!("{needs} should need its input: {other:?}"),
    }
    assert!(
        matches!(status(&child), Status::Skipped { because } if *because == needs),
        "{report}"
    );
    assert!(report.summary_table().contains("1 need inputs"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_over_budget_fails_and_is_not_tagged() {
    let docker = docker().await;
    let reference = format!("image-dsl-test/fat:{}", unique("budget"));
    let _cleanup = Cleanup(vec![reference.clone()]);
    let base = image_dsl_cli::engine::bootstrap(BASE_REFERENCE, false, &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut spec = fixture(&reference, "RUN head -c 8000000 /dev/urandom > /blob\n");
    spec.budget_bytes = base.size + 2_000_000;

    let report = build_all(vec![spec], &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match &report.images[0].status {
        Status::Failed(
            error @ ImageError::OverBudget {
                size,
                budget,
                layers,
                ..
            },
        ) => {
            assert!(size > budget);
            assert!(
                layers
                    .iter()
                    .take(2)
                    .any(|l| l.created_by.contains("/dev/urandom")),
                "{error}"
            );
            let message = error.to_string();
            assert!(
                message.contains(&reference) && message.contains("budget"),
                "{message}"
            );
        }
        other => panic!("expected an over-budget failure: {other:?}"),
    }
    assert!(
        tagged(&docker, &reference).await.is_none(),
        "an over-budget image must not be tagged"
    );
    let hash = &report.images[0].content_hash;
    let filters = HashMap::from([(
        "label",
        vec![format!(
            "{}={hash}",
            image_dsl_cli::engine::CONTENT_HASH_LABEL
        )],
    )]);
    let left = docker
        .list_images(Some(
            image_dsl_cli::engine::bollard::query_parameters::ListImagesOptionsBuilder::new()
                .filters(&filters)
                .build(),
        ))
        .await
        .unwrap();
    assert!(
        left.is_empty(),
        "the over-budget image must be removed: {left:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_step_is_stopped_named_and_leaves_no_tag_or_container() {
    let docker = docker().await;
    let reference = format!("image-dsl-test/hung:{}", unique("silence"));
    let _cleanup = Cleanup(vec![reference.clone()]);
    image_dsl_cli::engine::bootstrap(BASE_REFERENCE, false, &options())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The marker makes this build's container findable: it prints once, then waits forever.
    let marker = unique("hung-marker");
    let spec = fixture(&reference, &format!("RUN echo {marker} && sleep 86400\n"));
    let mut opts = options();
    opts.silence_timeout = std::time::Duration::from_secs(5);
    let started = std::time::Instant::now();
    let report = build_all(vec![spec], &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "the hung build was not stopped: {:?}",
        started.elapsed()
    );
    match &report.images[0].status {
        Status::Failed(error @ ImageError::Step { step, .. }) => {
            let message = error.to_string();
            assert!(step.contains("sleep 86400"), "{message}");
            assert!(
                message.contains(&reference)
                    && message.contains("no output for 5 s")
                    && message.contains(&marker)
                    && message.contains("--silence-timeout"),
                "{message}"
            );
        }
        other => panic!("expected the hung step to fail: {other:?}"),
    }
    assert!(
        tagged(&docker, &reference).await.is_none(),
        "a stopped build must not be tagged"
    );
    // Closing the stream cancels the build: the classic builder's container goes away, and
    // BuildKit (which runs steps without containers) kills the step's processes. Both are
    // checked, on the engine and among the host's processes (the engine takes a moment).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = std::process::Command::new("docker")
            .args([
                "ps",
                "--all",
                "--no-trunc",
                "--format",
                "{{.ID}} {{.Command}}",
            ])
            .output()
            .expect("docker ps");
        let listing = String::from_utf8_lossy(&out.stdout).into_owned();
        let processes = processes_mentioning(&marker);
        if !listing.contains(&marker) && processes.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the hung build is still running a minute after the stop:\ncontainers:\n{listing}\nprocesses: {processes:?}"
        );
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// The command lines of this host's processes that contain `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        if entry.file_name().to_string_lossy() == std::process::id().to_string() {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(needle) {
                found.push(cmdline);
            }
        }
    }
    found
}

/// The benchmark measures (`images bench --engine` prints the numbers); this checks that it
/// measured what it says: every image up to date in the no-op run, each rebuilt once after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_noop_benchmark_times_an_up_to_date_run_and_warm_rebuilds() {
    let tag = unique("bench");
    let references: Vec<String> = (0..4)
        .map(|i| format!("image-dsl-test/bench{i}:{tag}"))
        .collect();
    let _cleanup = Cleanup(references.clone());
    let specs = references
        .iter()
        .enumerate()
        .map(|(i, r)| {
            fixture(
                r,
                &format!("RUN echo {i} > /n\nENV N={i}\nWORKDIR /srv\nUSER 10001\n"),
            )
        })
        .collect();
    let opts = options();
    let bench = image_dsl_cli::engine::bench::bench_noop(specs, &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{bench}");
    assert_eq!(bench.images, 4);
    assert!(bench.total_size > 0, "{bench}");
    assert!(
        !bench.noop.is_zero() && !bench.docker_build.is_zero(),
        "{bench}"
    );
    let logs: Vec<String> = references
        .iter()
        .map(|r| {
            let name = r.replace(['/', ':'], "_");
            std::fs::read_to_string(opts.log_dir.join("bench").join(format!("{name}.log")))
                .unwrap_or_else(|e| panic!("the warm rebuild of {r} left no log: {e}"))
        })
        .collect();
    for (reference, log) in references.iter().zip(&logs) {
        assert!(log.contains("# builder: "), "{reference}: {log}");
    }
}

/// Each builder, forced: one Dockerfile with `COPY --link` (which the classic builder is sent
/// without), built and run, and a failing step named with its output and exit code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_builders_build_the_same_dockerfile_and_name_a_failed_step() {
    use image_dsl_cli::engine::builder::BuilderChoice;
    let docker = docker().await;
    for (choice, name, step_marker) in [
        (BuilderChoice::Classic, "classic builder", "Step 2/"),
        (BuilderChoice::BuildKit, "BuildKit", "[2/3] RUN echo"),
    ] {
        let tag = unique("builders");
        let good = format!("image-dsl-test/linked:{tag}");
        let bad = format!("image-dsl-test/failing:{tag}");
        let _cleanup = Cleanup(vec![good.clone(), bad.clone()]);
        let mut spec = fixture(
            &good,
            "COPY --link hello.sh /usr/local/bin/hello\nRUN hello > /hello.txt\nUSER 10001\n",
        );
        spec.files.push(ContextFile {
            path: "hello.sh".into(),
            contents: format!("#!/bin/sh\necho hello from the {name}\n").into_bytes(),
            mode: 0o755,
        });
        let failing = fixture(
            &bad,
            &format!("RUN echo {tag} about to fail && false\nRUN true\n"),
        );
        let mut opts = options();
        opts.builder = choice;
        let report = build_all(vec![spec, failing], &opts)
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        let built = report.image(&good).unwrap();
        assert!(matches!(built.status, Status::Built), "{name}: {report}");
        let log = std::fs::read_to_string(built.log.as_ref().unwrap()).unwrap();
        assert!(log.contains(&format!("# builder: {name}\n")), "{log}");
        let out = std::process::Command::new("docker")
            .args([
                "run",
                "--rm",
                "--network",
                "none",
                &good,
                "cat",
                "/hello.txt",
            ])
            .output()
            .expect("docker run");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("hello from the {name}"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let history = docker.image_history(&good).await.unwrap();
        assert!(
            history
                .iter()
                .any(|h| h.created_by.contains("COPY") || h.created_by.contains("copy")),
            "{name}: no COPY layer in {history:?}"
        );

        match &report.image(&bad).unwrap().status {
            Status::Failed(ImageError::Step { step, message, .. }) => {
                assert!(
                    step.contains(step_marker) && step.contains("about to fail"),
                    "{name}: {step}"
                );
                assert!(message.contains("exit code: 1"), "{name}: {message}");
                assert!(
                    message.contains(&format!("{tag} about to fail")),
                    "{name}: the step's output is quoted: {message}"
                );
            }
            other => panic!("{name}: the failing image should fail at its RUN step: {other:?}"),
        }
        assert!(tagged(&docker, &bad).await.is_none(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilding_one_of_two_identical_images_keeps_the_other_tagged() {
    let docker = docker().await;
    let tag = unique("twins");
    let (a, b) = (
        format!("image-dsl-test/twin-a:{tag}"),
        format!("image-dsl-test/twin-b:{tag}"),
    );
    let _cleanup = Cleanup(vec![a.clone(), b.clone()]);
    let steps = format!("RUN echo {tag} > /twin\n");
    // One at a time, so the second is a layer-cache hit and both tags name one image.
    let mut one_by_one = options();
    one_by_one.jobs = 1;
    let first = build_all(vec![fixture(&a, &steps), fixture(&b, &steps)], &one_by_one)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(first.success(), "{first}");
    let shared = tagged(&docker, &b).await.expect("b is tagged");
    assert_eq!(
        tagged(&docker, &a).await.map(|t| t.0),
        Some(shared.0.clone()),
        "same content, same image"
    );

    let changed = build_all(
        vec![fixture(&a, &format!("{steps}RUN echo changed >> /twin\n"))],
        &options(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(changed.success(), "{changed}");
    assert_eq!(
        tagged(&docker, &b).await,
        Some(shared),
        "b must keep its image"
    );
}

/// Debian drops superseded versions from its archive: a pin it no longer serves stops the run
/// before the base bootstrap or any build, read from Debian's real signed indexes on the host,
/// with the package, the version Debian serves now, the image and the command that refreshes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_apt_pin_names_the_package_its_replacement_and_the_fix() {
    let docker = docker().await;
    let image = debian_image(
        &unique("vanished-pin"),
        "a pin Debian no longer serves",
        vec![
            image_dsl::Step::Apt(vec![image_dsl::AptPin {
                package: "tini",
                version: "0.19.0-99",
            }]),
            image_dsl::Step::User(image_dsl::User { uid: 10001, gid: 0 }),
        ],
    );
    let spec = image_dsl_cli::catalog::spec(
        &crate::support::workspace(),
        &image,
        &image_dsl::render(&image),
    );
    let started = std::time::Instant::now();
    let err = match build_all(vec![spec], &options()).await {
        Err(err) => err,
        Ok(report) => panic!("a withdrawn pin must stop the run before it builds:\n{report}"),
    };
    println!("withdrawn pin found in {:?}", started.elapsed());
    let message = err.to_string();
    assert!(
        matches!(err, image_dsl_cli::engine::EngineError::Withdrawn { .. }),
        "{message}"
    );
    assert!(
        message.contains("tini=0.19.0-99: now 0.19.0-1"),
        "{message}"
    );
    assert!(
        message.contains("cargo xtask images lock --withdrawn"),
        "{message}"
    );
    assert!(message.contains(&image.reference()), "{message}");
    assert!(
        tagged(&docker, &image.reference()).await.is_none(),
        "a refused run left a tag"
    );
}

/// A run with nothing to build reads no Debian index: an image that is not built installs
/// nothing, so its apt pins are not looked up (the network is not needed). A run that builds
/// looks them up first, here at a loopback mirror that counts its connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_noop_build_reads_no_debian_index_and_a_rebuild_does() {
    let docker = docker().await;
    let reference = format!("{}:1", unique("noop-offline"));
    let _cleanup = Cleanup(vec![reference.clone()]);
    let mut spec = fixture(&reference, "RUN echo built > /built\n");
    spec.apt.push(image_dsl_cli::engine::spec::AptPin {
        package: "tini".into(),
        version: "0.19.0-1+b3".into(),
    });
    let built = build_all(vec![spec.clone()], &options())
        .await
        .expect("build");
    assert!(built.success(), "{built}");
    assert!(tagged(&docker, &reference).await.is_some());

    let mirror = Mirror::serve(HashMap::new()).await;
    let mut offline = options();
    offline.settings.debian_mirror = mirror.url.clone();
    offline.settings.debian_security_mirror = mirror.url.clone();
    let noop = build_all(vec![spec.clone()], &offline)
        .await
        .expect("no-op");
    assert!(noop.success(), "{noop}");
    assert_eq!(noop.builder_calls, 0, "{noop}");
    assert_eq!(mirror.hits(), 0, "a no-op run asked the Debian mirror");

    offline.force = true;
    let rebuilt = build_all(vec![spec], &offline).await.expect("rebuild");
    assert!(rebuilt.success(), "{rebuilt}");
    assert!(
        mirror.hits() > 0,
        "a run that builds must look its apt pins up first"
    );
}
