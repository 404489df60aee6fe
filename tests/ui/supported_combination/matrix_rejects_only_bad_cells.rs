// In a 2×4 matrix only the 4.1.0 cells with RAPIDS fail: `gpu` and `gpu-iceberg` are each
// reported once, at their axis values; 3.5.4 (in RAPIDS 25.04.0, Scala 2.12) and every other variant pass.
use image_dsl::image;
use images::policy;

image! {
    image spark_runtime
        for spark in ["3.5.4", "4.1.0"], variant in ["baseline", "gpu", "iceberg", "gpu-iceberg"]
    {
        name "spark";
        tag "{spark}-{variant}";
        spark "{spark}" variant "{variant}";
        if variant in ["baseline"] { budget 900 MB; } else { budget 1.5 GB; }
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
