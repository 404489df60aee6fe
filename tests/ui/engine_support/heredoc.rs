// `run ["cat <<EOF"]` would be read as a Dockerfile heredoc, which Engine 20.10 lacks: error at
// the command string. A builder stage's `run` is checked as well as the final stage's.
use image_dsl::image;

image! {
    image scripted {
        name "scripted";
        tag "1.0";
        budget 300 MB;
        stage build from debian "bookworm" {
            run ["cat <<EOF > /tmp/x"];
        }
        from debian "bookworm";
        run ["mkdir -p /opt/app", "cat <<EOF"];
        user 185:0;
    }
}

fn main() {}
