// Budgets are in MB, GB, MiB or GiB: `KB` is reported at the unit.
use image_dsl::image;

image! {
    image tiny {
        name "tiny";
        tag "1.0";
        budget 600 KB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
