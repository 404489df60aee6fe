// Commands the Dockerfile parser would not keep as commands of this RUN: one starting with `-`
// becomes a RUN flag, a comment or an empty command is dropped from the continued line (so the
// RUN swallows the next instruction), and surrounding whitespace is trimmed.
use image_dsl::image;

image! {
    image flagged {
        name "flagged";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        run ["--mount=type=secret,id=x cat /run/secrets/x", "# a note", "", " ls "];
        user 185:0;
    }
}

fn main() {}
