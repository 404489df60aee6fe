//! `cargo xtask images test`: prove built images in real containers.

use crate::flags::Test;
use std::process::ExitCode;

impl Test {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        anyhow::bail!("`images test` is being written")
    }
}
