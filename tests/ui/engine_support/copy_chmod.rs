// `copy ... chmod 755` (COPY --chmod) needs BuildKit: error at `chmod`.
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
        copy from build "/opt/app" to "/opt/app" chmod 755;
        user 185:0;
    }
}

fn main() {}
