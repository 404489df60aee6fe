//! Container images as typed Rust values.
//!
//! Declare images with [`image!`]; the macro checks the rules at compile time (non-root user,
//! size budget, pinned inputs, supported Spark combinations, nothing Docker Engine 20.10 can't
//! build) and produces [`Image`] values. [`render`] turns an image into a deterministic
//! Dockerfile and its build-context files; [`verify`] checks the output with BuildKit's grammar.
//!
//! The data flows one way: declaration → `image-dsl-macros-core` (parse, check, expand) →
//! [`model`] → [`render`] → [`verify`]; building and probing images is the `xtask`'s job.

pub mod model;
pub mod pin;
pub mod pinfile;
pub mod render;
pub mod verify;

pub use image_dsl_macros::image;
/// What upstream supports (RAPIDS shims, Iceberg runtimes), as the rules check it; `images lock`
/// checks the pinned jars against it.
pub use image_dsl_macros_core::compat;
pub use model::*;
pub use pin::*;
pub use render::{AptBase, Rendered, RenderedApt, render, snapshot, snapshot_name};

#[doc(hidden)]
pub mod __private {
    /// `a == b` in a const context (the macro asserts written versions against the pin file).
    pub const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}
