// A declaration without `name`, `tag` or `from` gets one error for each, at the image's ident.
use image_dsl::image;

image! {
    image bare {
        budget 300 MB;
        user 185:0;
    }
}

fn main() {}
