// A variant outside baseline/gpu/iceberg/gpu-iceberg, and a Spark line the catalog does not
// build (3.4), are each reported at their literal.
use image_dsl::image;
use images::policy;

image! {
    image odd_variant {
        name "spark";
        tag "3.5.7-cuda";
        spark "3.5.7" variant "cuda";
        budget 1.5 GB;
        from debian "bookworm";
        user 185:0;
    }

    image old_line {
        name "spark";
        tag "3.4.4";
        spark "3.4.4" variant "baseline";
        budget 900 MB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
