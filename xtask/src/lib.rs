//! The xtask library: the catalog adapter ([`catalog`]) and the Docker engine driver ([`engine`]),
//! shared by the `cargo xtask` binary and the integration tests.

pub mod catalog;
pub mod engine;
