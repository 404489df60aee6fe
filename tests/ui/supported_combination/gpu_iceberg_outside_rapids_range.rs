// RAPIDS 25.04.0 (Scala 2.12) has a shim for Spark 3.5.3, but accelerates Iceberg 1.10.1 only on
// Spark 3.5.4..3.5.9 (images/policy.toml): `gpu-iceberg` on 3.5.3 is refused at the variant,
// `gpu` alone passes.
use image_dsl::image;
use images::policy;

image! {
    image spark_353 for variant in ["gpu", "gpu-iceberg"] {
        name "spark";
        tag "3.5.3-{variant}";
        spark "3.5.3" variant "{variant}";
        budget 1.5 GB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
