// The "Adding an image" example of README.md, as written there: it must keep compiling.
use image_dsl::image;
use images::{pins, policy};
use images::spark::spark_runtime;

image! {
    /// Spark {spark} with my company's jars.
    pub image acme_spark for spark in ["3.5.8", "4.1.1"] {
        name "acme-spark";
        tag "{spark}";
        spark "{spark}" variant "baseline";
        budget 990 MB;
        from spark_runtime(spark, "baseline");
        user 0:0;
        apt ["krb5-user"];
        user 185:0;
    }
}

fn main() {
    let images = acme_spark::all();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0].reference(), "acme-spark:3.5.8");
    assert_eq!(images[1].parents()[0].reference(), "spark-4.1.1:baseline");
}
