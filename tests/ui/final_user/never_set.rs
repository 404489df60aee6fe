// A final stage that never sets `user` runs as root by default: error at the image's ident.
// The builder stage's `user 0:0` is allowed and does not count for the final stage.
use image_dsl::image;

image! {
    image implicit_root {
        name "implicit-root";
        tag "1.0";
        budget 300 MB;
        stage build from debian "bookworm" {
            user 0:0;
            run ["mkdir -p /opt/app"];
        }
        from debian "bookworm";
        copy from build "/opt/app" to "/opt/app" chown 185:0;
    }
}

fn main() {}
