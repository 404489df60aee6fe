// `curl=*` and `tini>=0.19` are not pins: each is reported at its literal.
// Known issue, reported to the macro's owner: `curl=*` also trips the pin-file version assertion
// ("the version written here (*) differs"), a second error for the same cause.
use image_dsl::image;
use images::pins;

image! {
    image floating {
        name "floating";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        apt ["curl=*", "tini>=0.19"];
        user 185:0;
    }
}

fn main() {}
