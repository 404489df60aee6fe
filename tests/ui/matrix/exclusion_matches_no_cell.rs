// An exclusion that matches no cell is dead code: reported at its parentheses. The second
// exclusion only covers cells the first one already removed; the third names a value that is
// not on the axis, which is reported at that value too.
use image_dsl::image;
use images::policy;

image! {
    image spark_runtime
        for spark in ["3.5.7", "4.1.1"], variant in ["baseline", "gpu"]
        except (variant = "gpu"), (spark = "4.1.1", variant = "gpu"), (spark = "9.9.9")
    {
        name "spark";
        tag "{spark}-{variant}";
        spark "{spark}" variant "{variant}";
        budget 900 MB;
        from debian "bookworm";
        user 185:0;
    }
}

fn main() {}
