// Two images that build on each other: the engine would refuse them only at build time. What each
// image tells those that reference it (`__FACTS`: does it carry RAPIDS, does it declare a gpu
// variant) is a constant computed from the images it references, so a cycle is a cycle between
// constants, and rustc refuses it at compile time, naming both references.
use image_dsl::image;

image! {
    image a {
        name "a";
        tag "1.0";
        budget 1 GB;
        from b;
        user 185:0;
    }

    image b {
        name "b";
        tag "1.0";
        budget 1 GB;
        from a;
        user 185:0;
    }
}

fn main() {}
