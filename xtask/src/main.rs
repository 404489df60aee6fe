//! `cargo xtask`: this workspace's task runner, the image-dsl command line over its catalog.

use image_dsl_cli::Layout;
use std::path::Path;

fn main() -> std::process::ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is in the workspace");
    image_dsl_cli::main(images::catalog(), Layout::new(root, root.join("images")))
}
