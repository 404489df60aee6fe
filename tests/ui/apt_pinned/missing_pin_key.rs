// An apt key with no entry in images/pins.toml: rustc's own "cannot find value" error, whose
// caret lands on the literal that named the key (the macro spans the pin path there).
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
