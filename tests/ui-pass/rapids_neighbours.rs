// RAPIDS where the supported-combination rule has checked the Spark release: a `gpu` variant that
// copies the jar layer, an image on top of a gpu runtime that declares nothing itself (it
// inherits the runtime's variant), and a `from scratch` layer that only carries the jar.
use image_dsl::image;
use images::{pins, policy};
use images::spark::{jars_rapids, spark_runtime};

image! {
    image declared for spark in ["4.1.1"] {
        name "declared";
        tag "{spark}";
        spark "{spark}" variant "gpu";
        budget 1990 MB;
        from debian "bookworm";
        copy from jars_rapids(spark) "/opt/jars/" to "/opt/spark/jars/";
        user 185:0;
    }

    image on_gpu_runtime {
        name "on-gpu-runtime";
        tag "1.0";
        budget 1990 MB;
        from spark_runtime("4.1.1", "gpu");
        copy from jars_rapids("4.1.1") "/opt/jars/" to "/opt/extra/";
        user 185:0;
    }

    image layer {
        name "layer";
        tag "1.0";
        budget 1 GB;
        from scratch;
        copy from jars_rapids("4.1.1") "/opt/jars/" to "/opt/jars/";
        user 185:0;
    }
}

fn main() {}
