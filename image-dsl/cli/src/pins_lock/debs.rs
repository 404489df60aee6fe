//! The lock's `.deb` section: `images/apt.lock`, the complete closure of every apt step of the
//! catalog, resolved by apt ([`closure::resolve`]) against the suites' signed indexes.
//!
//! The closures follow the pin file: each step asks for its packages at the versions `[apt]` of
//! `images/pins.toml` gives (read from the file, so a lock that has just moved a pin resolves for
//! the new version in the same run). [`Scope::All`] resolves every step again; with
//! [`Scope::Withdrawn`] a step keeps its closure while it asks for the same versions and Debian
//! still serves every `.deb` of it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use image_dsl::pinfile::PinFile;
use image_dsl::{AptBase, Base, Image, Rendered};

use super::{Mode, Scope};
use crate::engine::debian::Archive;
use crate::engine::debian::closure::{
    self, AptLock, ClosureError, LockedBase, LockedDeb, LockedStep, StepBase, StepRequest,
};
use crate::engine::{BASE_REFERENCE, BuildOptions, BuildSpec, EngineError, client};

/// What the closure section of a lock found and did.
#[derive(Debug, Default)]
pub struct ClosureReport {
    /// The apt steps of the catalog.
    pub steps: usize,
    /// `image step` of each step whose closure changed (or, in check mode, is stale).
    pub changed: Vec<String>,
    /// The distinct `.deb`s of the lock.
    pub debs: usize,
    /// Whether the lock file was replaced.
    pub written: bool,
}

/// Why the closures could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum DebsError {
    /// The catalog does not form a graph.
    #[error(transparent)]
    Graph(#[from] crate::engine::graph::GraphError),
    /// A step's stage starts from something whose packages are unknown.
    #[error(transparent)]
    Closure(#[from] ClosureError),
    /// The engine or the base failed.
    #[error("resolving apt closures needs the engine and the Debian base: {0}")]
    Engine(#[from] EngineError),
    /// The lock file cannot be read or written.
    #[error("{0}")]
    File(String),
}

/// The apt steps of `catalog` (in build order) asking for the versions of `versions`, and what
/// the own stage of each image starts from.
pub fn requests(
    catalog: &[(Image, Rendered, BuildSpec)],
    versions: &BTreeMap<String, String>,
) -> Result<(Vec<StepRequest>, HashMap<String, StepBase>), ClosureError> {
    let mut bases = HashMap::new();
    let mut requests = Vec::new();
    for (image, rendered, _) in catalog {
        let reference = image.reference();
        if let Some(own) = image.stages.last() {
            match &own.base {
                Base::Image(parent) => {
                    bases.insert(
                        reference.clone(),
                        StepBase::Image((parent.load)().reference()),
                    );
                }
                Base::Debian(_) => {
                    bases.insert(reference.clone(), StepBase::Debian);
                }
                Base::External(_) | Base::Scratch => {}
            }
        }
        for step in &rendered.apt {
            let base = match &step.base {
                AptBase::Debian(_) => StepBase::Debian,
                AptBase::Image(parent) => StepBase::Image(parent.clone()),
                AptBase::Other(other) => {
                    return Err(ClosureError::UnknownBase {
                        image: reference,
                        step: step.name.clone(),
                        base: other.clone(),
                    });
                }
            };
            let packages = step
                .pins
                .iter()
                .map(|pin| {
                    let version = versions
                        .get(pin.package)
                        .cloned()
                        .unwrap_or_else(|| pin.version.to_owned());
                    (pin.package.to_owned(), version)
                })
                .collect();
            requests.push(StepRequest {
                image: reference.clone(),
                step: step.name.clone(),
                final_stage: step.stage.is_none(),
                base,
                after: step.after.clone(),
                packages,
            });
        }
    }
    Ok((requests, bases))
}

/// The locked closure of `request` when it asks for the same versions and `archive` still
/// serves every `.deb` of it.
fn still_served(lock: &AptLock, archive: &Archive, request: &StepRequest) -> Option<LockedStep> {
    let locked = lock.step(&request.image, &request.step, &request.requested())?;
    served(archive, &locked.debs).then(|| locked.clone())
}

/// Whether `archive` still serves every one of `debs`.
fn served(archive: &Archive, debs: &[LockedDeb]) -> bool {
    debs.iter()
        .all(|deb| archive.find(&deb.package, &deb.version).is_some())
}

/// Brings `lock_path` in line with the catalog and the versions of `versions` (see the module
/// docs for `scope`). In [`Mode::Check`] nothing is resolved or written: the report lists the
/// steps without a current closure.
pub async fn lock(
    ws: &crate::Workspace,
    lock_path: &Path,
    versions: &BTreeMap<String, String>,
    archive: &Archive,
    opts: &BuildOptions,
    mode: Mode,
    scope: Scope,
) -> Result<ClosureReport, DebsError> {
    let catalog = crate::catalog::ordered(ws)?;
    let (requests, bases) = requests(&catalog, versions)?;
    let old = AptLock::read(lock_path).map_err(DebsError::File)?;
    let mut report = ClosureReport {
        steps: requests.len(),
        ..ClosureReport::default()
    };
    if mode == Mode::Check {
        report.changed = requests
            .iter()
            .filter(|r| still_served(&old, archive, r).is_none())
            .map(|r| format!("{} {}", r.image, r.step))
            .collect();
        if !old
            .base
            .as_ref()
            .is_some_and(|base| served(archive, &base.debs))
        {
            report
                .changed
                .insert(0, format!("{BASE_REFERENCE} (the bootstrapped base)"));
        }
        report.debs = old.distinct_debs();
        return Ok(report);
    }
    let keep = |request: &StepRequest| match scope {
        Scope::All => None,
        Scope::Withdrawn => still_served(&old, archive, request),
    };
    // The base keeps its packages; their versions move as the steps' do.
    let base = match &old.base {
        Some(old_base) => {
            let names: Vec<String> = old_base.debs.iter().map(|d| d.package.clone()).collect();
            let keep_deb = |name: &str| match scope {
                Scope::All => None,
                Scope::Withdrawn => old_base
                    .debs
                    .iter()
                    .find(|d| d.package == name)
                    .filter(|d| served(archive, std::slice::from_ref(*d)))
                    .cloned(),
            };
            Some(LockedBase::resolve(
                &old_base.reference,
                &old_base.suite,
                &names,
                archive,
                &keep_deb,
            )?)
        }
        None => None,
    };
    let all_kept = base.is_some() && requests.iter().all(|r| keep(r).is_some());
    let new = if all_kept {
        AptLock {
            base,
            steps: requests.iter().filter_map(keep).collect(),
        }
    } else {
        let docker = client::connect(opts.docker_host.as_deref())
            .await
            .map_err(EngineError::from)?;
        // A missing base is made from the base being locked (its versions are served), or on the
        // first lock from what Debian serves.
        let mut bootstrap = opts.bootstrap_options(BASE_REFERENCE, false);
        bootstrap.locked = base.clone();
        let image = crate::engine::bootstrap::ensure_base(&docker, &bootstrap)
            .await
            .map_err(EngineError::from)?;
        let fetcher = crate::engine::fetch::Fetcher::new(opts.settings.clone());
        let sources = closure::Sources {
            archive,
            fetcher: &fetcher,
            base: base.as_ref(),
            bases: &bases,
        };
        closure::resolve(&docker, &image.reference, &sources, &requests, &keep).await?
    };
    report.changed = new
        .steps
        .iter()
        .filter(|s| old.step(&s.image, &s.step, &s.requested) != Some(*s))
        .map(|s| format!("{} {}", s.image, s.step))
        .collect();
    if new.base != old.base {
        report
            .changed
            .insert(0, format!("{BASE_REFERENCE} (the bootstrapped base)"));
    }
    report.debs = new.distinct_debs();
    if new != old {
        super::write_atomically(lock_path, &new.to_toml())
            .map_err(|e| DebsError::File(format!("cannot write {}: {e}", lock_path.display())))?;
        report.written = true;
    }
    Ok(report)
}

/// [`lock`] for the pin file at `pin_path`: its `[apt]` versions, against the indexes of its
/// `[debian] suite` as the configured mirrors serve them.
pub async fn lock_for_pins(
    ws: &crate::Workspace,
    pin_path: &Path,
    lock_path: &Path,
    opts: &BuildOptions,
    mode: Mode,
    scope: Scope,
) -> Result<ClosureReport, DebsError> {
    let text = std::fs::read_to_string(pin_path)
        .map_err(|e| DebsError::File(format!("cannot read {}: {e}", pin_path.display())))?;
    let pins = PinFile::parse(&text).map_err(|errors| {
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        DebsError::File(format!(
            "{} is not a valid pin file:\n{}",
            pin_path.display(),
            errors.join("\n")
        ))
    })?;
    let versions: BTreeMap<String, String> = pins
        .apt
        .iter()
        .map(|(package, pin)| (package.get_ref().clone(), pin.version.get_ref().clone()))
        .collect();
    let suite = pins.debian.suite.get_ref();
    let fetcher = crate::engine::fetch::Fetcher::with_connect_timeout(
        opts.settings.clone(),
        super::CONNECT_TIMEOUT,
    );
    let suites = crate::engine::debian::suites(&opts.settings, suite);
    let archive = Archive::load(&fetcher, &opts.settings.debian_keyring, &suites)
        .await
        .map_err(EngineError::from)?;
    lock(ws, lock_path, &versions, &archive, opts, mode, scope).await
}
