// RAPIDS jars copied onto a Spark 4.1.0 runtime by an image with no `spark` statement: RAPIDS has
// no shim for 4.1.0, and without a `gpu` variant the supported-combination rule never saw it.
// The error is at the reference that brings the jar in, and says what to declare.
use image_dsl::image;
use images::spark::{jars_rapids, spark_runtime};

image! {
    image sneaky {
        name "sneaky";
        tag "1.0";
        budget 1990 MB;
        from spark_runtime("4.1.0", "baseline");
        copy from jars_rapids("4.1.1") "/opt/jars/" to "/opt/spark/jars/";
        user 185:0;
    }
}

fn main() {}
