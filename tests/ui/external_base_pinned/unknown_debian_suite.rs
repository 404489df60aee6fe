// Only `debian "bookworm"` can be bootstrapped locally: another suite is reported at its literal.
use image_dsl::image;

image! {
    image testing {
        name "testing";
        tag "1.0";
        budget 300 MB;
        from debian "trixie";
        user 185:0;
    }
}

fn main() {}
