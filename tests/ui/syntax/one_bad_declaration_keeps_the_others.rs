// A syntax error in one declaration is reported there and nothing else: the block's other
// declarations still expand, and the broken ones are typed stubs (a function, a matrix module
// with its cells), so code using any of them still resolves and rust-analyzer keeps completing.
use image_dsl::image;

image! {
    image broken {
        name "broken";
        run "not a list";
    }

    image good {
        name "good";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        user 185:0;
    }

    image broken_matrix for variant in ["a", "b"] {
        tag "{variant}"
        name "x";
    }
}

fn main() {
    let _: image_dsl::Image = good();
    let _: image_dsl::Image = broken();
    let _: image_dsl::Image = broken_matrix::cell__b();
    let _: Vec<image_dsl::Image> = broken_matrix::all();
}
