//! The structure probe: what the image is, as opposed to what it does.
//!
//! From the engine's image inspect: the configured user is the model's numeric `uid:gid`, no
//! proxy variables or secrets in `ENV`, size within the model's budget. From a root container
//! running `image-dsl/cli/probes/structure.sh` (skipped for data-only layers, which have no shell): no
//! setuid/setgid files (unless the model runs the image as root on purpose), no
//! proxy/pip/netrc/registry-credential leftovers, no private keys (`/etc/ssl/private`, `.ssh`),
//! no CA beyond Debian's bundle, nothing of Spark's examples but the examples jar, no R, and the jars the model puts in
//! `/opt/spark/jars` are there. A second container checks `id` under the
//! image's own user. Every violation is listed at once.

use std::time::Duration;

use image_dsl::{Base, CopySource, Image, Step};

use super::jobs::{self, STRUCTURE_SH};
use super::plan::data_only;
use super::{ContainerSpec, ProbeContext, ProbeError, ProbeKind, Sandbox};
use crate::engine::outcome::human_size;

const LIMIT: Duration = Duration::from_secs(180);

/// How a setuid/setgid finding starts.
const SETID: &str = "setuid/setgid file: ";

/// Where Spark's jars are.
const JARS_DIR: &str = "/opt/spark/jars/";

/// Runs the structure checks on `image`; `Ok` carries the size against the budget.
pub async fn run(ctx: &ProbeContext, image: &Image) -> Result<String, ProbeError> {
    let reference = image.reference();
    let mut sandbox = Sandbox::for_probe(ctx, &reference, ProbeKind::Structure);
    let result = check(ctx, image, &mut sandbox).await;
    sandbox.cleanup().await;
    result
}

async fn check(
    ctx: &ProbeContext,
    image: &Image,
    sandbox: &mut Sandbox,
) -> Result<String, ProbeError> {
    let reference = image.reference();
    let inspected = ctx
        .docker
        .inspect_image(&ctx.build.tag(&reference))
        .await
        .map_err(|source| ProbeError::Engine {
            image: reference.clone(),
            probe: ProbeKind::Structure,
            step: "inspect image",
            source,
        })?;
    let config = inspected.config.unwrap_or_default();
    let size = inspected.size.unwrap_or(0).max(0) as u64;
    let mut problems = inspect_problems(
        image,
        config.user.as_deref().unwrap_or(""),
        &config.env.unwrap_or_default(),
        size,
    );
    if !data_only(image) {
        let scan = ContainerSpec::new("scan", &reference, &[&jobs::path(STRUCTURE_SH)])
            .entrypoint(&["/bin/sh"])
            .user("0:0")
            .files(&[STRUCTURE_SH]);
        let finished = sandbox.run(scan, LIMIT).await?;
        if !finished.log.contains("END") {
            return Err(sandbox.failed(
                format!("structure.sh exited with {} before the end", finished.code),
                &finished.log,
            ));
        }
        let mut found = scan_problems(&finished.log, &expected_jars(&ctx.catalog, image));
        if root_because(image).is_some() {
            found.retain(|p| !p.starts_with(SETID));
        }
        problems.extend(found);
        if let Some(user) = image.user() {
            let id = ContainerSpec::new("id", &reference, &["-c", "echo \"ID $(id -u):$(id -g)\""])
                .entrypoint(&["/bin/sh"]);
            let finished = sandbox.run(id, LIMIT).await?;
            let seen = finished
                .log
                .lines()
                .find_map(|l| l.strip_prefix("ID "))
                .unwrap_or_default()
                .trim()
                .to_owned();
            if seen != user.to_string() {
                problems.push(format!(
                    "a container runs as {seen:?}, the model says {user}"
                ));
            }
        }
    }
    if problems.is_empty() {
        let setid = match root_because(image) {
            Some(_) => "; setuid allowed: the model runs it as root on purpose",
            None => "",
        };
        Ok(format!(
            "user {}, {} of {}{setid}",
            image.user().map(|u| u.to_string()).unwrap_or_default(),
            human_size(size),
            human_size(image.budget.bytes())
        ))
    } else {
        Err(sandbox.failed(
            format!(
                "{} violation(s):\n  - {}",
                problems.len(),
                problems.join("\n  - ")
            ),
            "",
        ))
    }
}

/// The reason the model gives for running as root (`user root because …`), if it does: such an
/// image (a login box with sudo and sshd) needs its setuid programs, so that rule does not apply.
fn root_because(image: &Image) -> Option<&str> {
    image
        .final_stage()
        .steps
        .iter()
        .rev()
        .find_map(|s| match s {
            Step::RootBecause(why) => Some(Some(why.as_str())),
            Step::User(_) => Some(None),
            _ => None,
        })?
}

/// What the image's config and size reveal: user, proxy and secret variables, budget.
pub fn inspect_problems(image: &Image, user: &str, env: &[String], size: u64) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(expected) = image.user()
        && user != expected.to_string()
    {
        problems.push(format!(
            "the image runs as {user:?}, the model says {expected}"
        ));
    }
    for var in env {
        let key = var
            .split('=')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let value = var.split_once('=').map(|(_, v)| v).unwrap_or_default();
        if key.contains("proxy") {
            problems.push(format!("proxy variable left in ENV: {var}"));
        } else if ["password", "secret", "token", "credential"]
            .iter()
            .any(|word| key.contains(word))
            && !value.is_empty()
            && !matches!(value, "no" | "yes" | "false" | "true")
        {
            problems.push(format!(
                "secret-looking variable with a value in ENV: {}",
                var.split('=').next().unwrap_or_default()
            ));
        }
    }
    if size > image.budget.bytes() {
        problems.push(format!(
            "{} is over the budget of {}",
            human_size(size),
            human_size(image.budget.bytes())
        ));
    }
    problems
}

/// What `structure.sh` found that must not be there, and the expected jars it did not list.
pub fn scan_problems(log: &str, expected_jars: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut jars: Vec<&str> = Vec::new();
    let (mut bundle, mut debian) = (None, None);
    for line in log.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "SETID" => problems.push(format!("{SETID}{value}")),
            "LEFTOVER" => problems.push(format!("build leftover: {value}")),
            "PROXYCONF" => problems.push(format!("proxy setting in {value}")),
            "EXTRACERT" => problems.push(format!("extra CA certificate: {value}")),
            "CERTFILE" => problems.push(format!("certificate outside Debian's bundle: {value}")),
            "PRIVATEKEY" => problems.push(format!("private key or SSH material: {value}")),
            "BUNDLE" => bundle = value.trim().parse::<u32>().ok(),
            "DEBIANCERTS" => debian = value.trim().parse::<u32>().ok(),
            "JAR" => jars.push(value.trim()),
            _ => {}
        }
    }
    if let (Some(bundle), Some(debian)) = (bundle, debian)
        && bundle != debian
    {
        problems.push(format!(
            "the CA bundle holds {bundle} certificates, Debian's ca-certificates.conf enables {debian}"
        ));
    }
    for jar in expected_jars {
        if !jars.contains(&jar.as_str()) {
            problems.push(format!("missing jar {JARS_DIR}{jar}"));
        }
    }
    problems
}

/// The jars the model puts in `/opt/spark/jars`: Spark's own (core, kubernetes, yarn, hive, repl;
/// connect on 4.x) for its flavour, and every jar a `copy` places there, files by name and
/// directories by the artifacts their source image fetches into them.
pub fn expected_jars(catalog: &[Image], image: &Image) -> Vec<String> {
    // What the catalog image it starts from put there (a Jupyter image on its Spark runtime).
    let mut jars = match &image.final_stage().base {
        Base::Image(base) => catalog
            .iter()
            .find(|i| i.reference() == base.reference())
            .map(|parent| expected_jars(catalog, parent))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    if let Some(flavor) = image.spark {
        let (v, scala) = (flavor.version, flavor.version.scala());
        let mut modules = vec!["core", "kubernetes", "yarn", "hive", "repl"];
        if v.major >= 4 {
            modules.push("connect");
        }
        jars.extend(modules.iter().map(|m| format!("spark-{m}_{scala}-{v}.jar")));
    }
    for step in image.final_stage().steps.iter() {
        let Step::Copy(copy) = step else { continue };
        if copy.dest.trim_end_matches('/') != JARS_DIR.trim_end_matches('/') {
            continue;
        }
        for src in &copy.src {
            if src.ends_with(".jar") {
                jars.push(basename(src));
            } else if let CopySource::Image(source) = &copy.from {
                let reference = source.reference();
                let source = catalog
                    .iter()
                    .find(|i| i.reference() == reference)
                    .cloned()
                    .unwrap_or_else(|| source.image());
                let dir = format!("{}/", src.trim_end_matches('/'));
                // What the source's final stage puts under the directory: artifacts fetched
                // there, and jars copied there from one of its own stages.
                jars.extend(source.final_stage().steps.iter().flat_map(|s| {
                    match s {
                        Step::Artifact { dest, .. } if dest.starts_with(&dir) => {
                            vec![basename(dest)]
                        }
                        Step::Copy(c) if format!("{}/", c.dest.trim_end_matches('/')) == dir => c
                            .src
                            .iter()
                            .filter(|src| src.ends_with(".jar"))
                            .map(|src| basename(src))
                            .collect(),
                        _ => Vec::new(),
                    }
                }));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    jars.retain(|jar| seen.insert(jar.clone()));
    jars
}

fn basename(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_lists_every_violation_at_once() {
        let log = "SETID /usr/bin/passwd\nLEFTOVER /root/.pip\nEXTRACERT /usr/local/share/ca-certificates/proxy.crt\n\
                   PRIVATEKEY /etc/ssl/private/ssl-cert-snakeoil.key\n\
                   BUNDLE 149\nDEBIANCERTS 148\nJAR spark-core_2.12-3.5.7.jar\nEND\n";
        let problems = scan_problems(
            log,
            &["spark-core_2.12-3.5.7.jar".into(), "postgresql.jar".into()],
        );
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("/usr/bin/passwd")));
        assert!(problems.iter().any(|p| p.contains("149 certificates")));
        assert!(
            problems
                .iter()
                .any(|p| p.ends_with("/opt/spark/jars/postgresql.jar"))
        );
    }

    #[test]
    fn expected_jars_come_from_the_flavour_and_the_copies() {
        let catalog = images::catalog().images;
        let find = |r: &str| catalog.iter().find(|i| i.reference() == r).unwrap();
        let three = expected_jars(&catalog, find("spark-3.5.7:baseline"));
        assert_eq!(
            three,
            [
                "spark-core_2.12-3.5.7.jar",
                "spark-kubernetes_2.12-3.5.7.jar",
                "spark-yarn_2.12-3.5.7.jar",
                "spark-hive_2.12-3.5.7.jar",
                "spark-repl_2.12-3.5.7.jar",
                "postgresql.jar",
                "mariadb-java-client.jar"
            ]
        );
        let four = expected_jars(&catalog, find("spark-4.1.1:gpu-iceberg"));
        for jar in [
            "spark-connect_2.13-4.1.1.jar",
            "rapids-4-spark_2.13.jar",
            "iceberg-aws-bundle.jar",
        ] {
            assert!(four.iter().any(|j| j == jar), "{jar} not in {four:?}");
        }
        // A Jupyter image expects what its Spark runtime put there, once.
        let notebook = expected_jars(&catalog, find("jupyter-4.1.1:gpu"));
        assert!(
            notebook.contains(&"rapids-4-spark_2.13.jar".to_owned()),
            "{notebook:?}"
        );
        let cores = notebook
            .iter()
            .filter(|j| j.starts_with("spark-core_"))
            .count();
        assert_eq!(cores, 1, "{notebook:?}");
    }

    #[test]
    fn only_images_declared_root_on_purpose_may_keep_setuid_programs() {
        let catalog = images::catalog().images;
        let find = |r: &str| catalog.iter().find(|i| i.reference() == r).unwrap();
        assert!(root_because(find("devbox:bookworm-debian")).is_some());
        assert!(root_because(find("spark-3.5.7:baseline")).is_none());
        assert!(root_because(find("postgresql:15")).is_none());
    }

    #[test]
    fn a_clean_scan_has_no_problems() {
        let log = "BUNDLE 148\nDEBIANCERTS 148\nJAR postgresql.jar\nEND\n";
        assert!(scan_problems(log, &["postgresql.jar".into()]).is_empty());
    }
}
