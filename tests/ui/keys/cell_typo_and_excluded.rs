// Matrix cell arguments match exactly: a misspelt value fails at its literal with the value it
// resembles, an excluded cell says which exclusion removed it, and a missing argument names the
// axes.
use image_dsl::image;
use images::spark::{spark_core, spark_runtime};

image! {
    image typo {
        name "typo";
        tag "1.0";
        budget 990 MB;
        from spark_runtime("3.5.8", "baselin");
        user 185:0;
    }
}

image! {
    image excluded {
        name "excluded";
        tag "1.0";
        budget 990 MB;
        from spark_runtime("4.1.0", "gpu");
        user 185:0;
    }
}

image! {
    image short {
        name "short";
        tag "1.0";
        budget 990 MB;
        from spark_core("3.5.8");
        user 185:0;
    }
}

fn main() {}
