// An image name Docker would refuse (uppercase, space) is reported at the name literal.
use image_dsl::image;

image! {
    image shouting {
        name "Spark Runtime";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
