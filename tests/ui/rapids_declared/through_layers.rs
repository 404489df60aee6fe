// The jar arrives two images away: `carrier` (a layer that fetches it itself) is copied by
// `middle`, and `app` copies from `middle`. `carrier` is `from scratch`, so it may carry the jar;
// `middle` and `app` run, and neither declares a gpu variant. Each is refused at its reference,
// and fetching the jar directly with a non-gpu variant is refused at the artifact's key.
use image_dsl::image;
use images::{pins, policy};

image! {
    image carrier {
        name "carrier";
        tag "1.0";
        budget 1 GB;
        stage fetch from debian "bookworm" {
            artifact "rapids-4-spark_2.13" to "/opt/jars/rapids.jar";
        }
        from scratch;
        copy from fetch "/opt/jars/" to "/opt/jars/";
        user 185:0;
    }

    image middle {
        name "middle";
        tag "1.0";
        budget 1 GB;
        from debian "bookworm";
        copy from carrier "/opt/jars/" to "/opt/jars/";
        user 185:0;
    }

    image app {
        name "app";
        tag "1.0";
        budget 1 GB;
        from debian "bookworm";
        copy from middle "/opt/jars/" to "/opt/jars/";
        user 185:0;
    }

    image direct for spark in ["4.1.1"] {
        name "direct";
        tag "{spark}";
        spark "{spark}" variant "iceberg";
        budget 1 GB;
        from debian "bookworm";
        artifact "rapids-4-spark_{spark:scala}" to "/opt/spark/jars/rapids.jar";
        user 185:0;
    }
}

fn main() {}
