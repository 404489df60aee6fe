// A newline in a field that is not `run` would start a new Dockerfile instruction (here a second
// `USER 0:0` after the model's last user): refused at the literal that holds it.
use image_dsl::image;

image! {
    image steered {
        name "steered";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        workdir "/opt\nUSER 0:0";
        env GREETING = "hello\nUSER 0:0";
        user 185:0;
    }
}

fn main() {}
