// A GPU Spark image must stay under 2 GB; the ceiling is exclusive, so `budget 2 GB` fails at `2`.
use image_dsl::image;
use images::policy;

image! {
    image spark_gpu {
        name "spark";
        tag "4.1.1-gpu";
        spark "4.1.1" variant "gpu";
        budget 2 GB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
