//! The catalog: every image of the project, declared with `image!`.
//!
//! Base layers ([`base`]), Spark layers and runtime images ([`spark`]), notebook images
//! ([`jupyter`]), the hardened standalone cluster image ([`standalone`]), the developer box
//! ([`devbox`]) and test fixtures' services ([`services`]). Versions and checksums live in
//! `images/pins.toml` ([`pins`]); the Spark lines the catalog builds, what RAPIDS and Iceberg
//! support of them and the budget ceilings in `images/policy.toml` ([`policy`]).

pub mod base;
pub mod devbox;
pub mod jupyter;
pub mod services;
pub mod spark;
pub mod standalone;

use image_dsl::Image;
use image_dsl::catalog::{Catalog, Kit, Services};

/// The catalog: every image, the services the probes start, the images exported with a compose
/// kit.
pub fn catalog() -> Catalog {
    Catalog {
        images: images(),
        services: Services {
            postgresql: Some(services::postgresql().reference()),
            mariadb: Some(services::mariadb().reference()),
            iceberg_rest: Some(services::iceberg_rest().reference()),
        },
        kits: vec![Kit {
            image: "spark-standalone",
            settings: standalone::SETTINGS,
            source: standalone::SOURCE,
        }],
    }
}

image_dsl::include_catalog_data!();

/// Every image of the catalog, in declaration order.
fn images() -> Vec<Image> {
    let mut all = vec![base::jre17(), base::python()];
    all.extend(spark::spark_core::all());
    all.extend(spark::spark_examples::all());
    all.extend(spark::python_deps::all());
    all.extend(spark::jdbc_drivers::all());
    all.extend(spark::jars_rapids::all());
    all.extend(spark::jars_iceberg::all());
    all.extend(spark::spark_runtime::all());
    all.push(jupyter::jupyter_env());
    all.extend(jupyter::jupyter::all());
    all.extend(standalone::standalone::all());
    all.extend(devbox::devbox::all());
    all.push(services::postgresql());
    all.push(services::mariadb());
    all.push(services::iceberg_rest());
    all
}
