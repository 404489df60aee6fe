// `user root because "x"`: the reason must be at least a sentence; error at the reason literal.
use image_dsl::image;

image! {
    image sshd {
        name "sshd";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        user root because "x";
    }
}

fn main() {}
