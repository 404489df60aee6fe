// A `{` that is not an axis placeholder no longer skips the name and tag checks.
use image_dsl::image;

image! {
    image braced {
        name "Braced{}";
        tag "{}";
        budget 300 MB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
