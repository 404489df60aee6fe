//! The workspace's integration tests, one binary so the linker runs once.

mod apt;
mod devbox;
mod engine;
mod export;
mod jupyter;
mod kit;
mod lock;
mod output;
mod probe;
mod snapshots;
mod ui;
