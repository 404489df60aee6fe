// `user 0:0` in the final stage is root: error at the uid `0`.
use image_dsl::image;

image! {
    image rooted {
        name "rooted";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        user 0:0;
    }
}

fn main() {}
