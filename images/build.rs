//! Turns `pins.toml` (every version and checksum of the catalog) and `policy.toml` (the Spark
//! lines it builds, what RAPIDS and Iceberg support of them, the budget ceilings) into typed
//! constants, declared by `image_dsl::include_catalog_data!()` in `src/lib.rs` as `images::pins`
//! and `images::policy`. A malformed entry becomes a `compile_error!` naming the file and line.

fn main() {
    image_dsl::build::catalog_data();
}
