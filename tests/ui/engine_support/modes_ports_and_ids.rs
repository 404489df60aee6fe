// Numbers the Dockerfile would read otherwise than written: a mode without `0o` is decimal, a
// typed literal or an out-of-range port or uid is not what the engine takes.
use image_dsl::image;

image! {
    image numbers {
        name "numbers";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        file "/opt/start.sh" = include "modes_ports_and_ids.rs" mode 755;
        expose 0, 70000, 8080u16;
        user 185u32:0;
    }
}

fn main() {}
