// Every violated rule of a declaration is reported in one compile: a moving tag, a secret in ENV
// and a root final user give three errors, each at its own token.
use image_dsl::image;

image! {
    image careless {
        name "careless";
        tag "latest";
        budget 300 MB;
        from debian "bookworm";
        env API_TOKEN = "x";
        user root;
    }
}

fn main() {}
