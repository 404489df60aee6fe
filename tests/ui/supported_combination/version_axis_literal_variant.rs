// When only the Spark version comes from the matrix (the variant is written in the body), an
// unsupported cell is reported at the version's axis value: here `"4.1.0"`, which RAPIDS skipped.
use image_dsl::image;
use images::policy;

image! {
    image spark_gpu for spark in ["4.1.1", "4.1.0"] {
        name "spark-gpu";
        tag "{spark}";
        spark "{spark}" variant "gpu";
        budget 1.5 GB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
