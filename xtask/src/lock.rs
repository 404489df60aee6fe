//! `cargo xtask images lock [--check]`: refresh images/pins.toml (apt versions, artifact
//! checksums) and print what changed; the work is in [`xtask::pins_lock`].

use std::process::ExitCode;

use image_dsl::pinfile::PIN_FILE;
use xtask::engine::debian::closure::LOCK_FILE;
use xtask::engine::repo_root;
use xtask::pins_lock::{self, Mode, Scope, Verdict, debs};

use crate::build::runtime;
use crate::flags::Lock;

impl Lock {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let opts = self.mirrors.options()?;
        let mode = if self.check { Mode::Check } else { Mode::Write };
        let path = repo_root().join(PIN_FILE);
        let scope = if self.withdrawn {
            Scope::Withdrawn
        } else {
            Scope::All
        };
        let runtime = runtime()?;
        let report = runtime.block_on(pins_lock::lock_scoped(&path, &opts, mode, scope))?;

        for change in &report.changes {
            println!("{change}");
        }
        if !report.unverified.is_empty() {
            println!("unverified, kept as they are:");
            for unverified in &report.unverified {
                println!("  {unverified}");
            }
        }
        println!("{}", report.summary());
        for problem in &report.problems {
            eprintln!("error: {problem}");
        }
        let verdict = report.verdict();
        // The closures follow the pins just written (or checked); with problems nothing moved.
        let closures = if verdict == Verdict::Problems {
            None
        } else {
            let lock_path = repo_root().join(LOCK_FILE);
            Some(runtime.block_on(debs::lock_for_pins(&path, &lock_path, &opts, mode, scope))?)
        };
        match verdict {
            Verdict::Current => println!("{PIN_FILE} is current"),
            Verdict::Written => {
                println!("wrote {PIN_FILE}");
                let changed: Vec<&str> = report
                    .changes
                    .iter()
                    .filter(|c| c.section == "apt")
                    .map(|c| c.key.as_str())
                    .collect();
                let images = images_installing(&changed)?;
                if !images.is_empty() {
                    println!(
                        "the Dockerfiles of {} images change with these pins ({}):\n  {}, together with {PIN_FILE}",
                        images.len(),
                        images.join(", "),
                        crate::generate::FIX
                    );
                }
            }
            Verdict::Stale => eprintln!(
                "error: {PIN_FILE} is not current ({} change(s) above); run `cargo xtask images lock{}`",
                report.changes.len(),
                if self.withdrawn { " --withdrawn" } else { "" }
            ),
            Verdict::Problems => eprintln!(
                "error: {} problem(s) above, {PIN_FILE} was not changed",
                report.problems.len()
            ),
        }
        let closures_current = match &closures {
            None => true,
            Some(c) if mode == Mode::Check && !c.changed.is_empty() => {
                eprintln!(
                    "error: {LOCK_FILE} has no current closure for {} of {} apt steps ({}); run `cargo xtask images lock{}`",
                    c.changed.len(),
                    c.steps,
                    c.changed.join(", "),
                    if self.withdrawn { " --withdrawn" } else { "" }
                );
                false
            }
            Some(c) => {
                if c.written {
                    println!(
                        "wrote {LOCK_FILE}: {} apt steps, {} distinct .debs; closures changed: {}",
                        c.steps,
                        c.debs,
                        if c.changed.is_empty() {
                            "none (order only)".to_owned()
                        } else {
                            c.changed.join(", ")
                        }
                    );
                } else {
                    println!(
                        "{LOCK_FILE} is current: {} apt steps, {} distinct .debs",
                        c.steps, c.debs
                    );
                }
                true
            }
        };
        Ok(if verdict.success() && closures_current {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// The catalog images whose own apt steps install any of `packages`.
fn images_installing(packages: &[&str]) -> anyhow::Result<Vec<String>> {
    Ok(xtask::catalog::ordered()?
        .into_iter()
        .filter(|(_, _, spec)| {
            spec.apt
                .iter()
                .any(|p| packages.contains(&p.package.as_str()))
        })
        .map(|(_, _, spec)| spec.reference)
        .collect())
}
