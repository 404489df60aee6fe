// `{sprak}` is not an axis of the matrix: reported once at the template literal (not once per cell).
// Known issue, reported to the macro's owner: the tag then expands to "" and a second error,
// "`` is not a valid tag", follows at the same literal.
use image_dsl::image;
use images::policy;

image! {
    image spark_runtime for spark in ["3.5.7", "3.5.8"] {
        name "spark";
        tag "{sprak}";
        spark "{spark}" variant "baseline";
        budget 900 MB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
