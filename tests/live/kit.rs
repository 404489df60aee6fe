//! The standalone compose kit on a real daemon, as users run it now with Compose v2 (`docker compose`):
//! master and two workers come up healthy, an app from the mounted apps directory runs on both
//! workers, data survives `down`/`up`, and with RPC authentication on, a client without the
//! secret is refused. Plus checks of the generated files themselves.

use crate::support;
use image_dsl_cli::engine::{self, graph};
use image_dsl_workspace::text;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const IMAGE: &str = "spark-standalone:3.5.8";

/// The catalog's kit for the standalone images.
fn kit() -> image_dsl::catalog::Kit {
    images::catalog().kits[0]
}

/// Every variable the image sets is documented for `.env.example`, and every documented one that
/// is not a secret or an optional worker limit has the image's default.
#[test]
fn every_image_variable_is_documented() {
    for image in images::standalone::standalone::all() {
        let documented: Vec<&str> = images::standalone::SETTINGS
            .iter()
            .map(|s| s.name)
            .collect();
        for (name, _) in image_dsl_cli::kit::env_defaults(&image) {
            assert!(
                documented.contains(&name.as_str()),
                "{}: ENV {name} is not in SETTINGS",
                image.reference()
            );
        }
        let env_example = image_dsl_cli::kit::compose_kit(&kit(), &image)
            .into_iter()
            .find(|f| f.path == ".env.example")
            .expect(".env.example is generated");
        for setting in images::standalone::SETTINGS {
            assert!(
                env_example
                    .contents
                    .contains(&format!("\n{}=", setting.name)),
                "{} missing",
                setting.name
            );
            if setting.secret {
                assert!(
                    env_example
                        .contents
                        .contains(&format!("\n{}=\n", setting.name)),
                    "secret {} has a default",
                    setting.name
                );
            }
        }
    }
}

/// Runs `docker compose` (Compose v2) for one project in `dir`; `down -v` when dropped.
struct Project {
    dir: PathBuf,
    name: String,
}

impl Project {
    fn compose(&self, args: &[&str], timeout: Duration) -> Output {
        let mut cmd = Command::new("docker");
        cmd.args(["compose", "--project-name", &self.name, "--ansi", "never"])
            .args(args)
            .current_dir(&self.dir);
        run(cmd, timeout)
    }

    /// The id of `service`'s container, asked of compose: v1 names it `<project>_<service>_1`,
    /// v2 `<project>-<service>-1`, and `ps -q` answers the same in both.
    fn container(&self, service: &str) -> String {
        let out = self.compose(&["ps", "-q", service], Duration::from_secs(30));
        let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(
            out.status.success() && !id.is_empty() && !id.contains(char::is_whitespace),
            "docker compose ps -q {service} did not name one container:\n{}",
            text(&out)
        );
        id
    }

    fn up(&self) {
        let out = self.compose(&["up", "-d"], Duration::from_secs(120));
        assert!(
            out.status.success(),
            "docker compose up failed:\n{}",
            text(&out)
        );
        for service in ["spark-master", "spark-worker-1", "spark-worker-2"] {
            wait_healthy(service, Duration::from_secs(120), self);
        }
    }

    fn down(&self, volumes: bool) {
        let args: &[&str] = if volumes { &["down", "-v"] } else { &["down"] };
        let out = self.compose(args, Duration::from_secs(120));
        assert!(
            out.status.success(),
            "docker compose down failed:\n{}",
            text(&out)
        );
    }

    fn logs(&self, service: &str) -> String {
        text(&self.compose(&["logs", "--tail", "40", service], Duration::from_secs(30)))
    }

    /// `spark-submit` of the kit's example app from inside the master container.
    fn submit_app(&self) -> Output {
        self.compose(
            &[
                "exec",
                "-T",
                "spark-master",
                "spark-submit",
                "--master",
                "spark://spark-master:7077",
                "/opt/spark/apps/both_workers.py",
            ],
            Duration::from_secs(300),
        )
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = self.compose(&["down", "-v"], Duration::from_secs(120));
    }
}

/// Run `cmd`, killing it after `timeout`.
fn run(mut cmd: Command, timeout: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} ({e}): install Compose v2, the `docker compose` plugin (Debian trixie's `docker-compose` 2.26; .ci/run installs it)"));
    image_dsl_workspace::wait_with_timeout(child, timeout)
}

fn wait_healthy(service: &str, timeout: Duration, project: &Project) {
    let deadline = Instant::now() + timeout;
    let container = project.container(service);
    loop {
        let mut cmd = Command::new("docker");
        cmd.args([
            "inspect",
            "--format",
            "{{.State.Health.Status}}",
            &container,
        ]);
        let status = text(&run(cmd, Duration::from_secs(20)));
        if status.trim() == "healthy" {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "{service} ({container}) is `{}` after {timeout:?}; its log:\n{}",
                status.trim(),
                project.logs(service)
            );
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

fn write_kit(dir: &Path) {
    let image = images::catalog()
        .images
        .into_iter()
        .find(|i| i.reference() == IMAGE)
        .expect("the catalog declares the image");
    for file in image_dsl_cli::kit::compose_kit(&kit(), &image) {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("kit files are in a directory"))
            .expect("create dir");
        // The kit names the image as a user builds it; this test built it under its own tag.
        let contents = file.contents.replace(
            &format!("image: {IMAGE}"),
            &format!("image: {}", support::tag(IMAGE)),
        );
        std::fs::write(&path, contents).expect("write kit file");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_compose_kit_runs_a_cluster_keeps_data_and_refuses_clients_without_the_secret() {
    support::docker().await;
    let specs = image_dsl_cli::catalog::ordered(&crate::support::workspace())
        .expect("catalog graph")
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    let specs = graph::select(specs, &[IMAGE.to_owned()]).expect("the image is in the catalog");
    let report = engine::build_all(specs, &support::catalog_options())
        .await
        .expect("build");
    assert!(report.success(), "{}", report.summary_table());

    let dir = tempfile::tempdir().expect("temp dir");
    write_kit(dir.path());
    let config = Command::new("docker")
        .args(["compose", "config", "-q"])
        .current_dir(dir.path())
        .output();
    let config = config.expect("docker runs");
    assert!(
        config.status.success(),
        "docker compose rejects the kit:\n{}",
        text(&config)
    );

    let project = Project {
        dir: dir.path().to_owned(),
        name: support::unique("kit").replace('-', ""),
    };
    project.up();
    let app = project.submit_app();
    let out = text(&app);
    assert!(app.status.success(), "the example app failed:\n{out}");
    assert!(
        out.contains("HOSTS spark-worker-1,spark-worker-2"),
        "tasks did not run on both workers:\n{out}"
    );
    assert!(out.contains("SUM 500500"), "wrong result:\n{out}");

    // Data on the named volume survives down/up; the root file system is read-only.
    let write = project.compose(
        &[
            "exec",
            "-T",
            "spark-master",
            "sh",
            "-c",
            "echo kept > /opt/spark/data/marker && ! touch /opt/spark/x 2>/dev/null",
        ],
        Duration::from_secs(30),
    );
    assert!(
        write.status.success(),
        "could not write data, or the root file system is writable:\n{}",
        text(&write)
    );
    project.down(false);
    project.up();
    let read = project.compose(
        &[
            "exec",
            "-T",
            "spark-master",
            "cat",
            "/opt/spark/data/marker",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(
        String::from_utf8_lossy(&read.stdout).trim(),
        "kept",
        "data did not survive down/up: {}",
        text(&read)
    );
    project.down(true);

    // RPC authentication on: the cluster's own clients work, a client without the secret is refused.
    std::fs::write(
        dir.path().join(".env"),
        "SPARK_RPC_AUTHENTICATION_ENABLED=yes\nSPARK_RPC_AUTHENTICATION_SECRET=correct-horse-battery\n",
    )
    .expect("write .env");
    project.up();
    let app = project.submit_app();
    assert!(
        app.status.success(),
        "the authenticated app failed:\n{}",
        text(&app)
    );
    let stranger = project.compose(
        &[
            "run",
            "--rm",
            "--no-deps",
            "-e",
            "SPARK_RPC_AUTHENTICATION_ENABLED=no",
            "-e",
            "SPARK_RPC_AUTHENTICATION_SECRET=",
            "spark-worker-1",
            "spark-submit",
            "--master",
            "spark://spark-master:7077",
            "/opt/spark/apps/both_workers.py",
        ],
        Duration::from_secs(180),
    );
    let out = text(&stranger);
    assert!(
        !stranger.status.success(),
        "a client without the secret was accepted:\n{out}"
    );
    assert!(
        !out.contains("HOSTS "),
        "a client without the secret ran tasks:\n{out}"
    );
    // Spark logs "authentication enabled" at every start: only the handshake's own failure
    // shows the stranger was refused for want of the secret.
    let master = project.logs("spark-master");
    assert!(
        image_dsl_cli::probe::cluster::AUTH_REFUSED
            .iter()
            .any(|evidence| master.contains(evidence)),
        "the master did not log the refused handshake:\n{master}"
    );
}
