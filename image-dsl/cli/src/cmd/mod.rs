//! One module per `images` subcommand: each implements `run(self, &Workspace)` on its flags.

mod bench;
mod build;
mod check_apt;
mod export;
mod generate;
mod list;
mod lock;
mod push;
mod report;
mod test;

pub(crate) use build::runtime;
