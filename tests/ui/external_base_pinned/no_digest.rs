// A registry base without `@sha256:` digest can change under the same tag: error at the reference.
use image_dsl::image;

image! {
    image on_hub {
        name "on-hub";
        tag "1.0";
        budget 300 MB;
        from "debian:bookworm";
        user 185:0;
    }
}

fn main() {}
