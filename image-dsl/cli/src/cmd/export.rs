//! `cargo xtask images export`: everything a team needs to build or review the catalog without
//! Rust: each image's Dockerfile and context (`<name>/<tag>/`), a `docker-bake.json` with every
//! target and its dependencies, each built image's SBOM (`sbom/`), the standalone compose kits (`compose/<name>-<tag>/`), and with
//! `--fetch` the verified host-fetched inputs inside each context.

use crate::engine::{BuildSpec, fetch::Fetcher};
use crate::export::{bake, copy_sboms, place_inputs, write, write_image};
use crate::flags::Export;
use std::process::ExitCode;

impl Export {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let images = crate::catalog::ordered(ws)?;
        let out = ws.layout.root.join(&self.out);
        for (image, rendered, spec) in &images {
            write_image(&out.join(&image.name).join(&image.tag), rendered, spec)?;
        }
        let specs: Vec<&BuildSpec> = images.iter().map(|(_, _, s)| s).collect();
        write(&out.join("docker-bake.json"), &bake(&specs), 0o644)?;
        // Each image's SBOM, as its last build here wrote it (it names the image ID it describes).
        let without_sbom = copy_sboms(&ws.layout.sbom_dir(), &specs, &out.join("sbom"))?;
        if !without_sbom.is_empty() {
            eprintln!(
                "no SBOM yet for {} of {} images (SBOMs are written by `{}`): {}",
                without_sbom.len(),
                specs.len(),
                crate::engine::Fix::Build("<image>".into()),
                without_sbom.join(", ")
            );
        }
        let mut kits = 0;
        for (kit, (image, _, _)) in images.iter().flat_map(|i| {
            ws.catalog
                .kits
                .iter()
                .filter(move |k| k.image == i.0.name)
                .map(move |k| (k, i))
        }) {
            let dir = out
                .join("compose")
                .join(format!("{}-{}", image.name, image.tag));
            for file in crate::kit::compose_kit(kit, image) {
                write(&dir.join(&file.path), &file.contents, 0o644)?;
            }
            kits += 1;
        }
        if self.fetch {
            let opts = self.mirrors.options(ws)?;
            let fetcher = Fetcher::new(opts.settings.clone());
            let missing = crate::cmd::runtime()?.block_on(place_inputs(&fetcher, &specs, &out))?;
            for m in &missing {
                eprintln!("not fetched: {m}");
            }
        }
        println!(
            "exported {} images, docker-bake.json, {} SBOM(s) and {kits} compose kit(s) to {}",
            images.len(),
            images.len() - without_sbom.len(),
            out.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}
