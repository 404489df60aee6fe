// `start_interval` needs Docker Engine 25; the target is 20.10: error at `start_interval`.
use image_dsl::image;

image! {
    image checked {
        name "checked";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        healthcheck { cmd: ["true"], start_interval: "1s" };
        user 185:0;
    }
}

fn main() {}
