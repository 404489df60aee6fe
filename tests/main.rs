//! The workspace's integration tests, one binary so the linker runs once, in two tiers:
//!
//! - hermetic, seconds to a minute warm: `ui` (compile-fail and compile-pass cases),
//!   `snapshots`, `output` (rendering, hadolint, the catalog's graph), `policy` (the committed
//!   policy on the seed cells) and `lock` (on loopback mirrors);
//! - `live::…`, tens of minutes: everything that needs the Docker engine or Debian's archive.
//!
//! `cargo test --workspace` runs both; `cargo test --workspace -- --skip live::` the first.

mod live;
mod lock;
mod output;
mod policy;
mod snapshots;
mod support;
mod ui;
