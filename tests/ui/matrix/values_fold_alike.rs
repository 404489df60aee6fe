// Two axis values that would name the same cell function: reported at the second value, not as
// rustc's duplicate-definition error at `image!`.
use image_dsl::image;

image! {
    image twins for variant in ["gpu-iceberg", "gpu_iceberg"] {
        name "twins";
        tag "{variant}";
        budget 300 MB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
