// `tag "latest"` is rejected at the tag literal: a moving tag makes builds irreproducible.
use image_dsl::image;

image! {
    image moving {
        name "moving";
        tag "latest";
        budget 300 MB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
