//! `cargo xtask images export`: everything a team needs to build or review the catalog without
//! Rust: each image's Dockerfile and context (`<name>/<tag>/`), a `docker-bake.json` with every
//! target and its dependencies, the standalone compose kits (`compose/<name>-<tag>/`), and with
//! `--fetch` the verified host-fetched inputs inside each context.

use crate::flags::Export;
use std::process::ExitCode;
use xtask::dist::{bake, place_inputs, write, write_image};
use xtask::engine::{BuildSpec, fetch::Fetcher, repo_root};

impl Export {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let images = xtask::catalog::ordered()?;
        let out = repo_root().join(&self.out);
        for (image, rendered, spec) in &images {
            write_image(&out.join(&image.name).join(&image.tag), rendered, spec)?;
        }
        let specs: Vec<&BuildSpec> = images.iter().map(|(_, _, s)| s).collect();
        write(&out.join("docker-bake.json"), &bake(&specs), 0o644)?;
        let mut kits = 0;
        for (image, _, _) in images
            .iter()
            .filter(|(i, _, _)| i.name == "spark-standalone")
        {
            let dir = out
                .join("compose")
                .join(format!("{}-{}", image.name, image.tag));
            for file in xtask::kit::compose_kit(image) {
                write(&dir.join(&file.path), &file.contents, 0o644)?;
            }
            kits += 1;
        }
        if self.fetch {
            let opts = self.mirrors.options()?;
            let fetcher = Fetcher::new(opts.settings.clone());
            let missing =
                crate::build::runtime()?.block_on(place_inputs(&fetcher, &specs, &out))?;
            for m in &missing {
                eprintln!("not fetched: {m}");
            }
        }
        println!(
            "exported {} images, docker-bake.json and {kits} compose kit(s) to {}",
            images.len(),
            out.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}
