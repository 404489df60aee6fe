// A crate with a catalog of its own, outside this workspace's: `crate::policy` is its own policy
// (written by hand here, as `image_dsl::build::catalog_data()` would generate it from a minimal
// policy.toml: one Spark line, no RAPIDS or Iceberg release, no budget ceiling), and its images
// name no pin key, so it needs no `crate::pins`. A 5 GB baseline image passes: no ceiling is set.
use image_dsl::image;

mod policy {
    use image_dsl::policy::{Ceilings, Policy, SparkLine};

    pub const POLICY: Policy = Policy {
        file: "policy.toml",
        spark_lines: &[SparkLine { major: 3, minor: 5 }],
        spark_lines_text: "3.5.x",
        rapids: &[],
        iceberg: &[],
        ceilings: Ceilings { baseline: None, gpu: None, iceberg: None, gpu_iceberg: None, notebook: None },
    };
}

image! {
    image big_spark {
        name "big-spark";
        tag "3.5.7";
        spark "3.5.7" variant "baseline";
        budget 5 GB;
        from debian "bookworm";
        user 185:0;
    }

    image tool {
        name "tool";
        tag "1.0";
        budget 100 MB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {
    assert_eq!(big_spark().spark.map(|s| s.version.to_string()).as_deref(), Some("3.5.7"));
    assert_eq!(tool().budget.bytes(), 100_000_000);
}
