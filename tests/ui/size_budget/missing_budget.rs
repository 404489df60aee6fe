// Every image declares a size budget: its absence is reported at the image's ident.
use image_dsl::image;

image! {
    image unbounded {
        name "unbounded";
        tag "1.0";
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
