//! `cargo xtask images list`: every image as `name:tag`, in build order.

use crate::flags::List;
use std::process::ExitCode;

impl List {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        for (image, _, _) in crate::catalog::ordered(ws)? {
            println!("{}", image.reference());
        }
        Ok(ExitCode::SUCCESS)
    }
}
