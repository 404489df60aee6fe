//! What a catalog crate's build script calls: [`catalog_data`] turns the `pins.toml` and
//! `policy.toml` beside its `Cargo.toml` into typed constants in `OUT_DIR`, which
//! [`include_catalog_data!`](crate::include_catalog_data) declares as the crate's `pins` and
//! `policy` modules: the two names `image!`'s expansion refers to (`crate::pins`,
//! `crate::policy`).
//!
//! A malformed file does not stop the build script: its errors become `compile_error!`s naming
//! the file and line, reported when the crate compiles.

use crate::policy::PolicyFile;
use std::path::Path;

/// The build script of a catalog crate, whole (`build.rs`):
///
/// ```text
/// fn main() {
///     image_dsl::build::catalog_data();
/// }
/// ```
///
/// Reads `pins.toml` and `policy.toml` from `CARGO_MANIFEST_DIR`, writes `pins.rs` and
/// `policy.rs` to `OUT_DIR`, and tells cargo to rerun when either file changes.
///
/// # Panics
///
/// Outside a build script (cargo sets neither variable), or when `OUT_DIR` is not writable.
pub fn catalog_data() {
    let var = |name: &str| {
        std::env::var_os(name).unwrap_or_else(|| panic!("{name} is unset: call this from build.rs"))
    };
    let (dir, out) = (var("CARGO_MANIFEST_DIR"), var("OUT_DIR"));
    for file in ["pins.toml", "policy.toml"] {
        println!("cargo:rerun-if-changed={file}");
    }
    for (name, code) in catalog_code(Path::new(&dir)) {
        let path = Path::new(&out).join(name);
        std::fs::write(&path, code).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

/// The code of `pins.rs` and `policy.rs` for the catalog crate in `dir`, each file's errors as
/// `compile_error!`s. Errors name the files as `<dir's name>/pins.toml`, the way a workspace
/// member is written.
pub fn catalog_code(dir: &Path) -> [(&'static str, String); 2] {
    let crate_dir = dir
        .file_name()
        .map_or_else(String::new, |n| format!("{}/", n.to_string_lossy()));
    let policy_file = format!("{crate_dir}policy.toml");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| vec![format!("{crate_dir}{name}: cannot read it: {e}")])
    };
    let policy = read("policy.toml").and_then(|text| PolicyFile::parse(&policy_file, &text));
    // The pins are checked against the policy; a policy with errors of its own is left out.
    let pins = read("pins.toml").and_then(|text| {
        crate::pinfile::generate(&text, policy.as_ref().ok()).map_err(|errors| {
            // The pin file's errors are written as this repository's `images/pins.toml:LINE`.
            let prefix = format!("{}:", crate::pinfile::PIN_FILE);
            errors
                .into_iter()
                .map(|e| match e.strip_prefix(&prefix) {
                    Some(rest) => format!("{crate_dir}pins.toml:{rest}"),
                    None => e,
                })
                .collect()
        })
    });
    let policy = policy.map(|p| p.to_rust(&policy_file));
    [
        ("pins.rs", or_errors(pins)),
        ("policy.rs", or_errors(policy)),
    ]
}

fn or_errors(code: Result<String, Vec<String>>) -> String {
    code.unwrap_or_else(|errors| {
        errors
            .iter()
            .map(|e| format!("compile_error!({e:?});\n"))
            .collect()
    })
}
