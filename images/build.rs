//! Turns `pins.toml`, the one reviewed place for every version and checksum of the catalog, into
//! typed constants (`images::pins::{apt, pip, artifact, git}`) with `image_dsl::pinfile`. A
//! missing, duplicate or malformed pin becomes a `compile_error!` naming `images/pins.toml:LINE`.

use std::path::Path;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-changed=pins.toml");
    let text = std::fs::read_to_string(Path::new(&dir).join("pins.toml"))
        .unwrap_or_else(|e| format!("# {e}"));
    let code = match image_dsl::pinfile::generate(&text) {
        Ok(code) => code,
        Err(errors) => errors
            .iter()
            .map(|e| format!("compile_error!({e:?});\n"))
            .collect(),
    };
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("pins.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
