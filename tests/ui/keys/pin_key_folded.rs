// Pin keys match exactly: `Pandas` no longer folds to the `pandas` pin, and `tinii` is not
// `tini`. The error is at the literal, names the pin file and says which key was meant; a key
// near none says to pin it.
use image_dsl::image;
use images::pins;

image! {
    image folded {
        name "folded";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        apt ["tinii", "no-such-package"];
        pip ["Pandas"] into "/opt/venv";
        user 185:0;
    }
}

fn main() {}
