//! The `image!` macro. A shim: parsing, the rules and code generation live in
//! `image-dsl-macros-core`, where they can be unit-tested; use it through `image_dsl::image!`.

use proc_macro::TokenStream;

/// Declare catalog images; see the `image_dsl` crate documentation for the grammar.
///
/// # What the calling crate provides
///
/// The expansion refers to two modules at the root of the crate that calls `image!`, by absolute
/// path:
///
/// - `crate::pins`: the pin file's constants (`crate::pins::apt::__KEYS`, `…::ALL`), which pin
///   keys (`apt ["tini"]`, `artifact "pyspark-3.5.7"`) are looked up in;
/// - `crate::policy`: the policy file's `POLICY` (`image_dsl::policy::Policy`), which `spark`
///   statements and budgets are checked against (the Spark lines the catalog builds, the RAPIDS
///   and Iceberg releases and what they support, the budget ceilings).
///
/// A catalog crate generates both in its build script with `image_dsl::build::catalog_data()`
/// (from the `pins.toml` and `policy.toml` beside its `Cargo.toml`) and declares them with one
/// line at its root, `image_dsl::include_catalog_data!();`. Any other crate that declares images
/// (a test, an example) brings a catalog's to its root: `use images::{pins, policy};`. Only the
/// module a declaration needs is required: `crate::pins` when it names a pin key,
/// `crate::policy` when it has a `spark` statement or is a `notebook`.
#[proc_macro]
pub fn image(input: TokenStream) -> TokenStream {
    image_dsl_macros_core::expand(input.into()).into()
}
