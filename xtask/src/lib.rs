//! The xtask library: the catalog adapter ([`catalog`]), what `export` writes ([`dist`]), the
//! Docker engine driver ([`engine`]), the pin file refresh ([`pins_lock`]) and the container
//! probes ([`probe`]), shared by the `cargo xtask` binary and the integration tests.

pub mod catalog;
pub mod dist;
pub mod engine;
pub mod kit;
pub mod pins_lock;
pub mod probe;
