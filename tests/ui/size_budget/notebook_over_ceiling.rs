// A notebook image must stay under 3 GB: `budget 3.2 GB` is reported at `3.2`, even with a GPU
// Spark variant (the notebook ceiling applies).
use image_dsl::image;
use images::policy;

image! {
    image jupyter_fat {
        name "jupyter";
        tag "4.1.1-gpu";
        notebook;
        spark "4.1.1" variant "gpu";
        budget 3.2 GB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
