//! The catalog: every image of the project, declared with `image!`.
//!
//! Base layers ([`base`]), Spark layers and runtime images ([`spark`]), notebook images
//! ([`jupyter`]), the hardened standalone cluster image ([`standalone`]), the developer box
//! ([`devbox`]) and test fixtures' services ([`services`]). Versions and checksums live in
//! `images/pins.toml` ([`pins`]).

pub mod base;
pub mod pins;

use image_dsl::Image;

/// Every image of the catalog, in declaration order.
pub fn catalog() -> Vec<Image> {
    let all = vec![base::jre17(), base::python()];
    all
}
