// A label key is written unquoted, and the `root because` reason becomes a comment: a space or
// `=` in the key, or a newline in the reason, would add instructions of its own.
use image_dsl::image;

image! {
    image rooted {
        name "rooted";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        label "a=b c" = "x";
        user root because "sshd must start as root to switch users\nUSER 0:0";
    }
}

fn main() {}
