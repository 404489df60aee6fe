// Durations the engine refuses: no unit, and under its 1ms minimum.
use image_dsl::image;

image! {
    image checked {
        name "checked";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        healthcheck { cmd: ["true"], interval: "1m30", timeout: "10us" };
        user 185:0;
    }
}

fn main() {}
