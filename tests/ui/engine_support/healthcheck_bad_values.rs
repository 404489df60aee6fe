// Healthcheck values the classic builder would refuse: a duration without unit at its literal,
// an unknown option at its key.
use image_dsl::image;

image! {
    image checked {
        name "checked";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        healthcheck { cmd: ["true"], interval: "30", grace: "5s" };
        user 185:0;
    }
}

fn main() {}
