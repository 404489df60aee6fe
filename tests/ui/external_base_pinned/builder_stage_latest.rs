// Builder stages' bases are checked too: `golang:latest` is reported at its literal, while the
// digest-pinned final base passes.
use image_dsl::image;

image! {
    image built {
        name "built";
        tag "1.0";
        budget 300 MB;
        stage build from "golang:latest" {
            run ["mkdir -p /out"];
        }
        from "debian:bookworm-slim@sha256:b1a741487078b369e78119849663d7f1a5341ef2768798f7b7406c4240f86aef";
        copy from build "/out" to "/opt/out";
        user 185:0;
    }
}

fn main() {}
