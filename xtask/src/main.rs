//! `cargo xtask`: the project's task runner (see `flags.rs` for the commands).

mod bench;
mod build;
mod check_apt;
mod export;
mod flags;
mod generate;
mod list;
mod lock;
mod report;
mod test;

use clap::Parser;
use flags::{Cmd, Images, Xtask};
use std::process::ExitCode;

fn main() -> ExitCode {
    let flags = Xtask::parse();
    let result = match flags.cmd {
        Cmd::Images(Images::List(cmd)) => cmd.run(),
        Cmd::Images(Images::Generate(cmd)) => cmd.run(),
        Cmd::Images(Images::Bench(cmd)) => cmd.run(),
        Cmd::Images(Images::Bootstrap(cmd)) => cmd.run(),
        Cmd::Images(Images::Build(cmd)) => cmd.run(),
        Cmd::Images(Images::BuildSpecs(cmd)) => cmd.run(),
        Cmd::Images(Images::Lock(cmd)) => cmd.run(),
        Cmd::Images(Images::CheckApt(cmd)) => cmd.run(),
        Cmd::Images(Images::Test(cmd)) => cmd.run(),
        Cmd::Images(Images::Report(cmd)) => cmd.run(),
        Cmd::Images(Images::Export(cmd)) => cmd.run(),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
