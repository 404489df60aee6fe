// Legitimate neighbours of the refused strings: `$`, quotes and backslashes in quoted values,
// shell syntax inside commands, `{}` and `${VAR}` in templates. They compile, and the Dockerfile
// parses back to the model.
use image_dsl::image;

image! {
    /** A block doc comment
        over two lines. */
    image neighbours {
        name "neighbours";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        env PATH = "/opt/venv/bin:$PATH", MOTD = "say \"hi\" \\o/";
        label "org.example.note" = "a \"quoted\" \\ value";
        run ["find /tmp -name '*.tmp' -exec rm {} \\;", "echo \"${HOME}\" | tr a-z A-Z"];
        workdir "/opt/spark/work-dir";
        cmd ["sh", "-c", "echo \"$1\" \\", "--"];
        user 185:0;
    }
}

fn main() {
    let image = neighbours();
    let rendered = image_dsl::render(&image);
    image_dsl::verify::round_trip(&image, &rendered).unwrap();
    assert_eq!(image.description, "A block doc comment over two lines.");
    assert!(rendered.dockerfile.contains(r#"MOTD="say \"hi\" \\o/""#));
}
