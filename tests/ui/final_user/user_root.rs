// `user root` in the final stage: a name cannot be verified by runAsNonRoot; error at `root`.
use image_dsl::image;

image! {
    image rooted {
        name "rooted";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        user root;
    }
}

fn main() {}
