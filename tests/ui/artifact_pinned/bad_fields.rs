// Inline artifact fields are checked one by one: a `latest` URL, a short sha256 and an unknown
// field each get their own error at their own token.
use image_dsl::image;

image! {
    image sloppy {
        name "sloppy";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        artifact {
            url: "https://example.org/releases/latest/tool.tgz",
            version: "1.0",
            sha256: "abc123",
            md5: "d41d8cd98f00b204e9800998ecf8427e",
        } to "/tmp/tool.tgz";
        user 185:0;
    }
}

fn main() {}
