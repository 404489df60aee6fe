// A baseline Spark image must stay under 1 GB: `budget 1.5 GB` is reported at `1.5`.
use image_dsl::image;
use images::policy;

image! {
    image spark_fat {
        name "spark";
        tag "3.5.7";
        spark "3.5.7" variant "baseline";
        budget 1.5 GB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
