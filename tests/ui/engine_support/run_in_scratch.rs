// A stage `from scratch` has no shell: `run` there could never build, so it is a compile error at
// the first command.
use image_dsl::image;

image! {
    image jars {
        name "jars";
        tag "1.0";
        budget 50 MB;
        from scratch;
        run ["mkdir -p /opt/jars"];
        user 185:0;
    }
}

fn main() {}
