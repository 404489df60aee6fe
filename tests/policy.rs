//! The committed policy (`images/policy.toml`, as `images::policy::POLICY`) on the catalog's seed
//! cells: the checks `image!` asserts at compile time, run here as plain functions so every cell
//! of the table is visible in one place.

use image_dsl::SparkVariant;
use image_dsl::policy::{
    ImageKind, check_budget_ceiling, check_iceberg_runtime, check_rapids_shim, check_spark_line,
};
use image_dsl::spark::SparkVersion;
use images::policy::POLICY;

/// The policy's verdict on Spark `spark` with `variant`: `Err` with the message `image!` would
/// report.
fn verdict(spark: &str, variant: SparkVariant) -> Result<(), String> {
    let v = SparkVersion::parse(spark).expect("a release");
    let unsupported = format!("Spark {spark} `{variant}` is not a supported combination: ");
    std::panic::catch_unwind(|| {
        check_spark_line(&POLICY, v, spark);
        if variant.gpu() {
            check_rapids_shim(&POLICY, v, spark, &unsupported);
        }
        if variant.iceberg() {
            check_iceberg_runtime(&POLICY, v, variant.gpu(), spark, &unsupported);
        }
    })
    .map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

/// The 16 seed cells: with RAPIDS (gpu, gpu-iceberg) only 4.1.1 is accepted; without, every one.
#[test]
fn the_policy_on_every_seed_cell() {
    for spark in ["3.5.7", "3.5.8", "4.1.0", "4.1.1"] {
        for variant in SparkVariant::ALL {
            let result = verdict(spark, variant);
            if spark != "4.1.1" && variant.gpu() {
                // 25.04.0 (Scala 2.12) stops at 3.5.5; 26.08.1 (Scala 2.13) skipped 4.1.0.
                let why = result.expect_err("no RAPIDS release supports it");
                assert!(
                    why.contains(&format!("has no shim for Spark {spark}")),
                    "{spark} {variant}: {why}"
                );
            } else {
                assert_eq!(result, Ok(()), "{spark} {variant}");
            }
        }
    }
}

#[test]
fn lines_outside_the_policy_are_refused() {
    let why = verdict("4.0.1", SparkVariant::Iceberg).expect_err("4.0 is not built");
    assert_eq!(
        why,
        "Spark 4.0.1 is not a line the catalog builds (3.5.x or 4.1.x in images/policy.toml)"
    );
}

#[test]
fn ceilings_per_kind() {
    let fits = |kind, bytes| {
        std::panic::catch_unwind(|| check_budget_ceiling(&POLICY, kind, bytes)).is_ok()
    };
    let spark = ImageKind::Spark;
    assert!(fits(spark(SparkVariant::Baseline), 999_999_999));
    assert!(!fits(spark(SparkVariant::Baseline), 1_000_000_000));
    for variant in [
        SparkVariant::Gpu,
        SparkVariant::Iceberg,
        SparkVariant::GpuIceberg,
    ] {
        assert!(fits(spark(variant), 1_999_999_999));
        assert!(!fits(spark(variant), 2_000_000_000));
    }
    assert!(fits(ImageKind::Notebook, 2_999_999_999));
    assert!(!fits(ImageKind::Notebook, 3_000_000_000));
}
