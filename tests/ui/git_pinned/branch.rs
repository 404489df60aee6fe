// A git source on a branch (`master`) instead of a full commit: reported at the commit literal.
use image_dsl::image;

image! {
    image omz {
        name "omz";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        git { repo: "https://github.com/ohmyzsh/ohmyzsh", commit: "master" } to "/opt/omz";
        user 185:0;
    }
}

fn main() {}
