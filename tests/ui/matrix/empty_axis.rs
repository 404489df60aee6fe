// An axis with no values gives a matrix with no cell, on which no rule would ever run.
use image_dsl::image;

image! {
    image nothing for spark in [] {
        name "nothing";
        tag "{spark}";
        user 0:0;
    }
}

fn main() {}
