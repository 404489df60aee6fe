//! `cargo xtask images lock`: refresh images/pins.toml.

use crate::flags::Lock;
use std::process::ExitCode;

impl Lock {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        anyhow::bail!("`images lock` is being written")
    }
}
