// RAPIDS 26.08.1 has no shim for Spark 4.1.0: the matrix cell (4.1.0, gpu) is rejected and the
// error points at the `"gpu"` token of the axis list, the value that produced the cell.
use image_dsl::image;
use images::policy;

image! {
    image spark_runtime for spark in ["4.1.0"], variant in ["gpu"] {
        name "spark";
        tag "{spark}-{variant}";
        spark "{spark}" variant "{variant}";
        budget 1.5 GB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
