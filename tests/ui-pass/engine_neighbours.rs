// What the engine builds and the rules used to refuse or never saw: Go durations such as `1m30s`,
// a registry with a port before the digest, octal modes, stages copying from earlier stages.
use image_dsl::image;

image! {
    image built {
        name "built";
        tag "1.0";
        budget 300 MB;
        stage fetch from "localhost:5000/tools/base:1.0@sha256:b1a741487078b369e78119849663d7f1a5341ef2768798f7b7406c4240f86aef" {
            run ["mkdir -p /out"];
        }
        stage build_2 from debian "bookworm" {
            copy from fetch "/out" to "/out";
        }
        from debian "bookworm";
        copy from build_2 "/out" to "/opt/out";
        file "/opt/start.sh" = include "engine_neighbours.rs" mode 0o755;
        healthcheck { cmd: ["true"], interval: "1m30s", timeout: "1.5s", start_period: "500ms" };
        user 185:0;
    }
}

fn main() {
    let image = built();
    let rendered = image_dsl::render(&image);
    image_dsl::verify::round_trip(&image, &rendered).unwrap();
    assert!(rendered.dockerfile.contains("--interval=1m30s"));
}
