// Stage names Docker refuses (uppercase, `scratch`) and a builder stage copying from a stage
// declared after it: each at the name.
use image_dsl::image;

image! {
    image staged {
        name "staged";
        tag "1.0";
        budget 300 MB;
        stage Build from debian "bookworm" {
            run ["true"];
        }
        stage first from debian "bookworm" {
            copy from later "/out" to "/out";
        }
        stage later from debian "bookworm" {
            run ["true"];
        }
        stage scratch from debian "bookworm" {
            run ["true"];
        }
        from debian "bookworm";
        copy from first "/out" to "/out";
        user 185:0;
    }
}

fn main() {}
