//! `cargo xtask images build` and `bootstrap`: the engine's entry points on the command line.

use crate::engine::{self, BuildOptions, BuildSpec, Overrides, Settings, graph};
use crate::flags::{Bootstrap, Build, BuildSpecs, Mirrors};
use anyhow::Context as _;
use std::process::ExitCode;

impl Mirrors {
    /// The flags that were given, as a command line spells them (for a child `images build`).
    pub(crate) fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut flag = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                args.push(format!("--{name}={value}"));
            }
        };
        flag("pypi-mirror", self.pypi_mirror.clone());
        flag("maven-mirror", self.maven_mirror.clone());
        flag("apache-mirror", self.apache_mirror.clone());
        flag("debian-mirror", self.debian_mirror.clone());
        flag("git-mirror", self.git_mirror.clone());
        flag(
            "cache-dir",
            self.cache_dir.as_ref().map(|d| d.display().to_string()),
        );
        args
    }

    pub(crate) fn options(&self, ws: &crate::Workspace) -> anyhow::Result<BuildOptions> {
        let overrides = Overrides {
            pypi_mirror: self.pypi_mirror.clone(),
            maven_mirror: self.maven_mirror.clone(),
            apache_mirror: self.apache_mirror.clone(),
            debian_mirror: self.debian_mirror.clone(),
            git_mirror: self.git_mirror.clone(),
            cache_dir: self.cache_dir.clone(),
        };
        let mut opts =
            BuildOptions::new(Settings::resolve(&overrides, &ws.layout.root)?, &ws.layout);
        // Every command that builds (build, test, bench, push's freshness) reads DOCKER_BUILDKIT.
        opts.builder = builder_choice(None)?;
        Ok(opts)
    }
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Build `specs` and print the summary; the exit code says whether every image succeeded.
fn build(specs: Vec<BuildSpec>, opts: BuildOptions) -> anyhow::Result<ExitCode> {
    let report = runtime()?.block_on(engine::build_all(specs, &opts))?;
    println!("{}", report.summary_table());
    print!("{}", report.sbom_lines());
    if report.success() {
        Ok(ExitCode::SUCCESS)
    } else {
        for failure in report.failures() {
            eprintln!("error: {failure}");
        }
        Ok(ExitCode::FAILURE)
    }
}

/// `--builder`, else `DOCKER_BUILDKIT` (`0`/`false` classic, `1`/`true` BuildKit, as the docker
/// CLI reads it), else the engine's default.
pub(crate) fn builder_choice(flag: Option<&str>) -> anyhow::Result<engine::builder::BuilderChoice> {
    use engine::builder::BuilderChoice;
    if let Some(flag) = flag {
        return flag.parse().map_err(anyhow::Error::msg);
    }
    Ok(match std::env::var("DOCKER_BUILDKIT").ok().as_deref() {
        None | Some("") => BuilderChoice::Auto,
        Some("0" | "false") => BuilderChoice::Classic,
        Some("1" | "true") => BuilderChoice::BuildKit,
        Some(other) => anyhow::bail!(
            "DOCKER_BUILDKIT={other}: expected 0 or 1 (or pass --builder auto|buildkit|classic)"
        ),
    })
}

impl Build {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let mut opts = self.mirrors.options(ws)?;
        if let Some(jobs) = self.jobs {
            opts.jobs = jobs.max(1);
        }
        opts.force = self.force;
        opts.no_cache = self.no_cache;
        if self.builder.is_some() {
            opts.builder = builder_choice(self.builder.as_deref())?;
        }
        if let Some(secs) = self.silence_timeout {
            opts.silence_timeout = std::time::Duration::from_secs(secs.max(1));
        }
        opts.verbose = self.verbose;
        opts.keep_going = self.keep_going;
        if self.no_sbom {
            opts.sbom_dir = None;
        }
        let specs: Vec<BuildSpec> = crate::catalog::ordered(ws)?
            .into_iter()
            .map(|(_, _, s)| s)
            .collect();
        build(graph::select(specs, &self.filters)?, opts)
    }
}

impl BuildSpecs {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let text = std::fs::read_to_string(&self.file)
            .with_context(|| format!("reading {}", self.file.display()))?;
        let specs: Vec<BuildSpec> = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", self.file.display()))?;
        let mut opts = self.mirrors.options(ws)?;
        opts.force = self.force;
        opts.progress = false;
        build(specs, opts)
    }
}

impl Bootstrap {
    pub(crate) fn run(self, ws: &crate::Workspace) -> anyhow::Result<ExitCode> {
        let opts = self.mirrors.options(ws)?;
        let reference = image_dsl::DebianSuite::Bookworm.image_reference();
        let base = runtime()?.block_on(engine::bootstrap(&reference, self.force, &opts))?;
        println!("{base:?}");
        Ok(ExitCode::SUCCESS)
    }
}
