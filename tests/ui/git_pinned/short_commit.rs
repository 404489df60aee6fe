// A short commit id is not a pin either (it can become ambiguous): reported at the literal.
use image_dsl::image;

image! {
    image omz {
        name "omz";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        git { repo: "https://github.com/ohmyzsh/ohmyzsh", commit: "3ff8c7e" } to "/opt/omz";
        user 185:0;
    }
}

fn main() {}
