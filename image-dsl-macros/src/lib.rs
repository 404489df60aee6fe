//! The `image!` macro. A shim: parsing, the rules and code generation live in
//! `image-dsl-macros-core`, where they can be unit-tested; use it through `image_dsl::image!`.

use proc_macro::TokenStream;

/// Declare catalog images; see the `image_dsl` crate documentation for the grammar.
#[proc_macro]
pub fn image(input: TokenStream) -> TokenStream {
    image_dsl_macros_core::expand(input.into()).into()
}
