//! The startup bench (`images bench --startup`) on the Spark image the probe tests build
//! (`image-dsl-test/spark-3.5.7:baseline`; a no-op build when they ran first), one run of each
//! phase and no warm-up: every phase gives a time in every column, the undone image really lacks
//! what it undoes, and nothing the bench made is left. About a minute and a half on an idle
//! 2-core machine once the image is built.

use image_dsl_cli::engine::bollard::query_parameters::ListContainersOptionsBuilder;
use image_dsl_cli::engine::{self, BuildSpec, graph};
use image_dsl_cli::startup::{self, OPTIMIZATIONS, Phase, StartupOptions, Undo, undo};

use crate::support;

/// The image: the probe tests' runtime image, so the suite builds no Spark image for this test.
const IMAGE: &str = "spark-3.5.7:baseline";

#[test]
fn every_phase_is_timed_as_built_and_without_bytecode_and_nothing_is_left() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let docker = support::docker().await;
        let catalog = images::catalog();
        let image = catalog
            .images
            .iter()
            .find(|i| i.reference() == IMAGE)
            .unwrap_or_else(|| panic!("{IMAGE} is not in the catalog"));
        let specs: Vec<BuildSpec> = image_dsl_cli::catalog::ordered(&support::workspace())
            .unwrap()
            .into_iter()
            .map(|(_, _, s)| s)
            .collect();
        let opts = support::cli_options();
        let report = engine::build_all(graph::select(specs, &[IMAGE.to_owned()]).unwrap(), &opts)
            .await
            .unwrap_or_else(|e| panic!("{IMAGE} could not be built: {e}"));
        assert!(
            report.success(),
            "{IMAGE} did not build: {}",
            report.summary_table()
        );
        let tag = support::tag(IMAGE);

        // The undone image differs from the image as built: the bytecode is gone from it.
        let built = startup::BuiltImage::inspect(&docker, image, &tag)
            .await
            .unwrap();
        let bytecode = OPTIMIZATIONS.iter().find(|o| o.name == "bytecode").unwrap();
        assert!(
            matches!(bytecode.undo, Undo::Derived(_)),
            "bytecode is undone by a derived image"
        );
        assert!(
            undo::present(&docker, &built.id, bytecode).await.unwrap(),
            "{IMAGE} has no bytecode at all (CPython's stdlib ships some)"
        );
        let undone = undo::undo(&docker, &built, bytecode, &opts)
            .await
            .unwrap()
            .expect("a startup optimization");
        let derived = undone.derived.clone().expect("a derived image");
        let _cleanup = support::Cleanup(vec![derived.clone()]);
        assert_ne!(undone.id, built.id);
        assert!(!undo::present(&docker, &undone.id, bytecode).await.unwrap());

        // The bench itself (it reuses the derived image just built: same content hash).
        let bench_opts = StartupOptions {
            runs: 1,
            warm_up: false,
            build: opts.clone(),
            gpu_runtime: false,
        };
        let bench = startup::bench(&docker, image, &tag, &bench_opts, &|line| {
            eprintln!("{line}")
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let table = startup::report::markdown(&bench);
        println!("{table}");
        assert_eq!(bench.phases, Phase::ALL);
        let names: Vec<&str> = bench.columns.iter().map(|c| c.name.as_str()).collect();
        assert!(names.starts_with(&["as built", "no bytecode"]), "{names:?}");
        for (c, column) in bench.columns.iter().enumerate() {
            for phase in Phase::ALL {
                let times: Vec<_> = bench
                    .samples
                    .iter()
                    .filter(|s| s.column == c && s.phase == phase)
                    .collect();
                assert_eq!(
                    times.len(),
                    1,
                    "{} {phase}: {times:?}\n{table}",
                    column.name
                );
                assert!(!times[0].total.is_zero() && times[0].total > times[0].engine);
            }
        }
        assert!(
            bench
                .samples
                .iter()
                .filter(|s| s.phase == Phase::Import)
                .all(|s| s.inside.is_some_and(|i| i < s.total)),
            "the import is timed inside Python too\n{table}"
        );
        assert!(
            docker.inspect_image(&derived).await.is_err(),
            "the bench left {derived}"
        );
        let left = docker
            .list_containers(Some(ListContainersOptionsBuilder::new().all(true).build()))
            .await
            .unwrap();
        let ours = format!("image-dsl-bench-{}-", std::process::id());
        let leftover: Vec<_> = left
            .iter()
            .flat_map(|c| c.names.clone().unwrap_or_default())
            .filter(|n| n.trim_start_matches('/').starts_with(&ours))
            .collect();
        assert!(leftover.is_empty(), "the bench left {leftover:?}");
    });
}
