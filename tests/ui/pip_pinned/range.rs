// `pandas>=2` is a range, not a pin: reported at the literal.
use image_dsl::image;
use images::pins;

image! {
    image notebook_deps {
        name "notebook-deps";
        tag "1.0";
        budget 600 MB;
        from debian "bookworm";
        apt ["python3", "python3-venv"];
        pip ["pandas>=2"] into "/opt/venv";
        user 185:0;
    }
}

fn main() {}
