// A catalog's own policy (here written by hand, as `image_dsl::build::catalog_data()` would
// generate it) whose Iceberg runtime for Spark 4.1 is built for Scala 2.12, while Spark 4.1 is
// Scala 2.13's: an `iceberg` variant of 4.1.1 is refused at the variant. Spark 4.1 has no
// RAPIDS release pinned, so `gpu-iceberg` is refused for that as well.
use image_dsl::image;

mod policy {
    use image_dsl::SparkVersion;
    use image_dsl::policy::{Ceilings, Iceberg, Policy, SparkLine};

    const LINE: SparkLine = SparkLine { major: 4, minor: 1 };
    const fn v(patch: u16) -> SparkVersion {
        SparkVersion { major: 4, minor: 1, patch }
    }
    pub const POLICY: Policy = Policy {
        file: "policy.toml",
        spark_lines: &[LINE],
        spark_lines_text: "4.1.x",
        rapids: &[],
        iceberg: &[Iceberg {
            spark: LINE,
            release: "1.11.0",
            scala: "2.12",
            rapids_spark: (v(0), v(99)),
            source: "iceberg/README.md",
        }],
        ceilings: Ceilings { baseline: None, gpu: None, iceberg: None, gpu_iceberg: None, notebook: None },
    };
}

image! {
    image spark_iceberg for variant in ["iceberg", "gpu-iceberg"] {
        name "spark";
        tag "4.1.1-{variant}";
        spark "4.1.1" variant "{variant}";
        budget 1.5 GB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
