// An apt key with no entry in images/pins.toml: the exact lookup fails at the literal that named
// the key, and says to pin it in images/pins.toml (no key there resembles it).
use image_dsl::image;
use images::pins;

image! {
    image unknown_package {
        name "unknown-package";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        apt ["tini", "no-such-package"];
        user 185:0;
    }
}

fn main() {}
