// A command ending in a backslash would continue its RUN onto the next line and swallow the
// final `USER`: refused at the command.
use image_dsl::image;

image! {
    image swallowed {
        name "swallowed";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        run ["echo done \\"];
        user 185:0;
    }
}

fn main() {}
