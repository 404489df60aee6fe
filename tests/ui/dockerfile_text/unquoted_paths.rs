// Paths are written unquoted in COPY, WORKDIR and the venv's RUN: a space would split one, a `$`
// expand it, a relative or `..` path mean something else than written.
use image_dsl::image;

image! {
    image split {
        name "split";
        tag "1.0";
        budget 300 MB;
        stage build from debian "bookworm" {
            run ["true"];
        }
        from debian "bookworm";
        copy from build ["/opt/a b"] to "opt/x";
        pip ["pandas"] into "/opt/$VENV";
        file "/../etc/passwd" = include "../../../README.md";
        workdir "";
        user 185:0;
    }
}

fn main() {}
