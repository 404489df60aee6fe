// `tini=0.0.1` written next to the key while images/pins.toml pins another version: a const
// assertion fails at the literal, so the declaration and the pin file cannot drift apart.
use image_dsl::image;
use images::pins;

image! {
    image drifted {
        name "drifted";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        apt ["tini=0.0.1"];
        user 185:0;
    }
}

fn main() {}
