// A budget given only in some branches: the error names the cell that has none.
use image_dsl::image;

image! {
    image partly for variant in ["baseline", "gpu"] {
        name "partly";
        tag "{variant}";
        if variant in ["baseline"] { budget 900 MB; }
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
