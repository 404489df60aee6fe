// `copy ... link` (COPY --link) needs the dockerfile 1.4 frontend: error at `link`.
use image_dsl::image;

image! {
    image app {
        name "app";
        tag "1.0";
        budget 300 MB;
        stage build from debian "bookworm" {
            run ["mkdir -p /opt/app"];
        }
        from debian "bookworm";
        copy from build "/opt/app" to "/opt/app" link;
        user 185:0;
    }
}

fn main() {}
