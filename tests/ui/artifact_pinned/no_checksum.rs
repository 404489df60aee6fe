// An inline artifact without sha256/sha512 is reported at its braces.
use image_dsl::image;

image! {
    image unchecked {
        name "unchecked";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        artifact { url: "https://example.org/tool-1.0.tgz", version: "1.0" } to "/tmp/tool.tgz";
        user 185:0;
    }
}

fn main() {}
