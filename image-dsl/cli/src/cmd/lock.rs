//! `cargo xtask images lock [--check]`: refresh images/pins.toml (apt versions, artifact
//! checksums) and print what changed; the work is in [`crate::pins_lock`].

use std::process::ExitCode;

use crate::pins_lock::{self, Mode, Scope, Verdict, debs};

use super::runtime;
use crate::flags::Lock;

impl Lock {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let opts = self.mirrors.options(ws)?;
        let mode = if self.check { Mode::Check } else { Mode::Write };
        let path = ws.layout.pins();
        let pin_file = ws.shown(&path);
        let lock_path = ws.layout.apt_lock();
        let lock_file = ws.shown(&lock_path);
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
            Some(runtime.block_on(debs::lock_for_pins(
                ws, &path, &lock_path, &opts, mode, scope,
            ))?)
        };
        match verdict {
            Verdict::Current => println!("{pin_file} is current"),
            Verdict::Written => {
                println!("wrote {pin_file}");
                let changed: Vec<&str> = report
                    .changes
                    .iter()
                    .filter(|c| c.section == "apt")
                    .map(|c| c.key.as_str())
                    .collect();
                let images = images_installing(ws, &changed)?;
                if !images.is_empty() {
                    println!(
                        "the Dockerfiles of {} images change with these pins ({}):\n  {}, together with {pin_file}",
                        images.len(),
                        images.join(", "),
                        super::generate::FIX
                    );
                }
            }
            Verdict::Stale => eprintln!(
                "error: {pin_file} is not current ({} change(s) above); run `{} lock{}`",
                report.changes.len(),
                crate::engine::layout::command(),
                if self.withdrawn { " --withdrawn" } else { "" }
            ),
            Verdict::Problems => eprintln!(
                "error: {} problem(s) above, {pin_file} was not changed",
                report.problems.len()
            ),
        }
        let closures_current = match &closures {
            None => true,
            Some(c) if mode == Mode::Check && !c.changed.is_empty() => {
                eprintln!(
                    "error: {lock_file} has no current closure for {} of {} apt steps ({}); run `{} lock{}`",
                    c.changed.len(),
                    c.steps,
                    c.changed.join(", "),
                    crate::engine::layout::command(),
                    if self.withdrawn { " --withdrawn" } else { "" }
                );
                false
            }
            Some(c) => {
                if c.written {
                    println!(
                        "wrote {lock_file}: {} apt steps, {} distinct .debs; closures changed: {}",
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
                        "{lock_file} is current: {} apt steps, {} distinct .debs",
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
fn images_installing(ws: &crate::Workspace, packages: &[&str]) -> anyhow::Result<Vec<String>> {
    Ok(crate::catalog::ordered(ws)?
        .into_iter()
        .filter(|(_, _, spec)| {
            spec.apt
                .iter()
                .any(|p| packages.contains(&p.package.as_str()))
        })
        .map(|(_, _, spec)| spec.reference)
        .collect())
}
