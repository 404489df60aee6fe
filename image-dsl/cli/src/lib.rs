//! The `images` commands over any catalog of `image-dsl` images: list, generate, bootstrap,
//! build, lock, test, report, export and bench.
//!
//! A workspace's task runner is one call, with its catalog and where its files are:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
//!     let layout = image_dsl_cli::Layout::new(&root, root.join("images"));
//!     # let catalog = image_dsl::catalog::Catalog::default();
//!     image_dsl_cli::main(catalog, layout)
//! }
//! ```
//!
//! The parts, each usable on its own: the catalog adapter ([`catalog`]: images to the engine's
//! build specs), the Docker engine driver ([`engine`], the `image-dsl-engine` crate), the pin file
//! refresh ([`pins_lock`]), the container probes ([`probe`]), the startup bench ([`startup`]),
//! what `export` writes ([`export`], [`kit`]) and the command line ([`flags`]).

pub mod bake;
pub mod catalog;
mod cmd;
pub mod export;
pub mod flags;
pub mod kit;
pub mod pins_lock;
pub mod probe;
pub mod startup;

pub use image_dsl::catalog::Catalog;
pub use image_dsl_engine as engine;
pub use image_dsl_engine::Layout;

use clap::Parser;
use flags::{Cmd, Images, Xtask};
use std::process::ExitCode;

/// A catalog and where its files are: what every command works on.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The images and their roles.
    pub catalog: Catalog,
    /// The workspace's files.
    pub layout: Layout,
}

impl Workspace {
    /// The workspace of `catalog`, its files at `layout`.
    pub fn new(catalog: Catalog, layout: Layout) -> Workspace {
        Workspace { catalog, layout }
    }

    /// The apt lock, read now (a missing file is an empty lock).
    pub fn apt_lock(&self) -> Result<engine::debian::closure::AptLock, String> {
        engine::debian::closure::AptLock::read(&self.layout.apt_lock())
    }

    /// `path` as messages show it.
    pub fn shown(&self, path: &std::path::Path) -> String {
        self.layout.shown(path)
    }
}

/// Runs the command line (`cargo xtask images …`) on `catalog`, its files at `layout`.
pub fn main(catalog: Catalog, layout: Layout) -> ExitCode {
    let ws = Workspace::new(catalog, layout);
    let flags = Xtask::parse();
    let result = match flags.cmd {
        Cmd::Images(Images::List(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::Generate(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::Bench(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::Bootstrap(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::Build(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::BuildSpecs(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::Lock(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::CheckApt(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::Test(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::Report(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::Export(cmd)) => cmd.run(&ws),
        Cmd::Images(Images::Push(cmd)) => cmd.run(&ws),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// This repository's own catalog, which the unit tests check the probes' plans against.
#[cfg(test)]
pub(crate) fn this_repository() -> Workspace {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Workspace::new(images::catalog(), Layout::new(&root, root.join("images")))
}

/// The image `reference` of this repository's catalog, for unit tests that read its model.
#[cfg(test)]
pub(crate) fn catalog_image(reference: &str) -> image_dsl::Image {
    images::catalog()
        .images
        .into_iter()
        .find(|i| i.reference() == reference)
        .unwrap_or_else(|| panic!("{reference} is not in the catalog"))
}
