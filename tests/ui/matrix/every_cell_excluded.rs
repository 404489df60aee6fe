// Exclusions that remove every cell leave a declaration that yields no image: an error at the
// first exclusion, not a silent empty module.
use image_dsl::image;

image! {
    image gone for spark in ["3.5.7"], variant in ["gpu"] except (spark = "3.5.7") {
        name "gone";
        tag "{spark}-{variant}";
        budget 300 MB;
        from debian "bookworm";
        user 0:0;
    }
}

fn main() {}
