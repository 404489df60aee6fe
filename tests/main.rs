//! The workspace's integration tests, one binary so the linker runs once.

mod engine;
mod lock;
mod output;
mod snapshots;
mod ui;
