// A second `budget` would silently replace the first, and a budget past 64 bits of bytes would
// saturate to a meaningless number.
use image_dsl::image;

image! {
    image twice {
        name "twice";
        tag "1.0";
        budget 300 MB;
        budget 400 MB;
        from debian "bookworm";
        user 185:0;
    }
}

image! {
    image huge {
        name "huge";
        tag "1.0";
        budget 99999999999999999999.0 GB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
