// A base that is only a digest names no image the engine can pull.
use image_dsl::image;

image! {
    image digest_only {
        name "digest-only";
        tag "1.0";
        budget 300 MB;
        from "@sha256:b1a741487078b369e78119849663d7f1a5341ef2768798f7b7406c4240f86aef";
        user 185:0;
    }
}

fn main() {}
