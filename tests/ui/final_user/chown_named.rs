// `copy ... chown spark` names a user instead of a numeric uid:gid: error at `spark`.
use image_dsl::image;

image! {
    image named_owner {
        name "named-owner";
        tag "1.0";
        budget 300 MB;
        stage build from debian "bookworm" {
            run ["mkdir -p /opt/app"];
        }
        from debian "bookworm";
        copy from build "/opt/app" to "/opt/app" chown spark;
        user 185:0;
    }
}

fn main() {}
