// A value that looks like an AWS access key id (`AKIA…`) is reported at the value, whatever the
// name; the same goes for ARG and LABEL (a `token` label key is reported at the key).
use image_dsl::image;

image! {
    image leaky {
        name "leaky";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        env UPLOAD_ID = "AKIAIOSFODNN7EXAMPLE";
        arg GH = "ghp_0123456789abcdef0123456789abcdef0123";
        label "org.example.token" = "abc";
        user 185:0;
    }
}

fn main() {}
