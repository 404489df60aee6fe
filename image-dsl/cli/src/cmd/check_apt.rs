//! `cargo xtask images check-apt [FILTER…]`: the check `images build` and `images test` start
//! with, on its own: every pinned apt version against the Debian suites' signed indexes, read on
//! the host. It builds, bootstraps and starts nothing, so CI runs it first and fails in seconds
//! when Debian has withdrawn a pin.

use std::process::ExitCode;
use std::time::Instant;

use crate::engine::{self, BuildSpec, graph};

use super::runtime;
use crate::flags::CheckApt;

impl CheckApt {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let started = Instant::now();
        let specs: Vec<BuildSpec> = crate::catalog::ordered(ws)?
            .into_iter()
            .map(|(_, _, spec)| spec)
            .collect();
        let specs = graph::select(specs, &self.filters)?;
        let opts = self.mirrors.options(ws)?;
        // A build goes on when Debian cannot be reached; this command exists to check, so it fails.
        let Some(pins) = runtime()?.block_on(engine::check_apt(&specs, &opts))? else {
            anyhow::bail!(
                "Debian's indexes could not be read, so no apt pin was checked (the warning above says why)"
            );
        };
        println!(
            "{pins} apt versions (the pins and every .deb of the apt lock) of {} images are served by Debian or the verified cache ({:.1}s)",
            specs.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(ExitCode::SUCCESS)
    }
}
