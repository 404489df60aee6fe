// `env DB_PASSWORD = ...` would stay in the image history: reported at the name `DB_PASSWORD`.
use image_dsl::image;

image! {
    image leaky {
        name "leaky";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        env DB_HOST = "db", DB_PASSWORD = "x";
        user 185:0;
    }
}

fn main() {}
