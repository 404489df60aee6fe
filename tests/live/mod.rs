//! Tests against live services: the Docker engine (they build and run real images, fixtures and
//! catalog images alike) and Debian's archive. They never skip: without a daemon they fail with
//! the message saying how to start one (`.ci/run` starts it).
//!
//! The fast tier leaves them out: `cargo test --workspace -- --skip live::`.

mod adoption;
mod apt;
mod debian_indexes;
mod devbox;
mod engine;
mod export;
mod jupyter;
mod kit;
mod probe;
mod push;
mod sbom;
mod startup;
