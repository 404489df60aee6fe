//! The containers and networks one probe runs in, through the engine API (bollard).
//!
//! Every name starts with a prefix unique to the probe run (`probe-<kind>-<pid>-<nanos>`). A
//! [`Sandbox`] removes what it created in [`Sandbox::cleanup`], which every probe calls on success
//! and failure alike; if a probe panics or its future is dropped, `Drop` removes them from a
//! short-lived thread with its own engine connection.

use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, DeviceRequest, HealthStatusEnum, HostConfig, NetworkCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    UploadToContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::ProbeError;
use super::plan::ProbeKind;

/// Where the probe's job scripts are placed in every container.
pub const PROBE_DIR: &str = "/probe";

/// How many times cleanup tries before it names what is left.
const CLEANUP_ATTEMPTS: u32 = 5;

/// How many log lines an error shows.
const TAIL_LINES: usize = 25;

/// One container to run.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    /// Short role name (`master`, `driver`); the container and host name is `<prefix>-<role>`.
    pub role: String,
    /// Image reference.
    pub image: String,
    /// Replaces the image's entrypoint when set.
    pub entrypoint: Option<Vec<String>>,
    /// Arguments (the image's command when empty).
    pub cmd: Vec<String>,
    /// `KEY=value` pairs.
    pub env: Vec<String>,
    /// `uid:gid` to run as instead of the image's user.
    pub user: Option<String>,
    /// Files placed under [`PROBE_DIR`] before the container starts: name and contents.
    pub files: Vec<(String, String)>,
    /// A read-only root file system (Kubernetes' `readOnlyRootFilesystem`).
    pub read_only: bool,
    /// Empty writable file systems mounted at these paths.
    pub tmpfs: Vec<String>,
    /// Every GPU of the host, through the NVIDIA container runtime (`docker run --gpus all`).
    pub gpus: bool,
}

impl ContainerSpec {
    /// A container of `image` called `role`, running `cmd` through the image's entrypoint.
    pub fn new(role: &str, image: &str, cmd: &[&str]) -> ContainerSpec {
        ContainerSpec {
            role: role.to_owned(),
            image: image.to_owned(),
            cmd: cmd.iter().map(|s| (*s).to_owned()).collect(),
            ..ContainerSpec::default()
        }
    }

    /// Adds `KEY=value` environment variables.
    pub fn env<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> ContainerSpec {
        self.env.extend(
            vars.into_iter()
                .map(|(k, v)| format!("{}={}", k.as_ref(), v.as_ref())),
        );
        self
    }

    /// Places `files` under [`PROBE_DIR`].
    pub fn files(mut self, files: &[(&str, &str)]) -> ContainerSpec {
        self.files.extend(
            files
                .iter()
                .map(|(n, c)| ((*n).to_owned(), (*c).to_owned())),
        );
        self
    }

    /// Runs as `user` (`uid:gid`).
    pub fn user(mut self, user: &str) -> ContainerSpec {
        self.user = Some(user.to_owned());
        self
    }

    /// Runs with a read-only root file system and an empty writable file system at each of
    /// `writable` (a pod's `emptyDir` volumes).
    pub fn read_only(mut self, writable: &[&str]) -> ContainerSpec {
        self.read_only = true;
        self.tmpfs.extend(writable.iter().map(|p| (*p).to_owned()));
        self
    }

    /// Gives the container every GPU of the host (`--gpus all`).
    pub fn gpus(mut self) -> ContainerSpec {
        self.gpus = true;
        self
    }

    /// Replaces the entrypoint.
    pub fn entrypoint(mut self, entrypoint: &[&str]) -> ContainerSpec {
        self.entrypoint = Some(entrypoint.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    /// The engine's request for this container of `image`, host name `hostname`, on `network`
    /// (the default bridge when `None`).
    pub(crate) fn create_body(
        &self,
        image: String,
        hostname: &str,
        network: Option<String>,
    ) -> ContainerCreateBody {
        ContainerCreateBody {
            image: Some(image),
            hostname: Some(hostname.to_owned()),
            entrypoint: self.entrypoint.clone(),
            cmd: (!self.cmd.is_empty()).then(|| self.cmd.clone()),
            env: Some(self.env.clone()),
            user: self.user.clone(),
            host_config: Some(HostConfig {
                network_mode: network,
                readonly_rootfs: self.read_only.then_some(true),
                tmpfs: (!self.tmpfs.is_empty()).then(|| {
                    self.tmpfs
                        .iter()
                        .map(|path| (path.clone(), String::new()))
                        .collect()
                }),
                device_requests: self.gpus.then(|| {
                    vec![DeviceRequest {
                        driver: Some("nvidia".to_owned()),
                        count: Some(-1),
                        capabilities: Some(vec![vec!["gpu".to_owned()]]),
                        ..DeviceRequest::default()
                    }]
                }),
                ..HostConfig::default()
            }),
            ..ContainerCreateBody::default()
        }
    }
}

/// A finished container: its exit code and its output (stdout and stderr, interleaved).
#[derive(Debug, Clone)]
pub struct Finished {
    /// Exit code.
    pub code: i64,
    /// Output.
    pub log: String,
}

/// The containers and network of one probe of one image.
pub struct Sandbox {
    docker: Docker,
    image: String,
    probe: ProbeKind,
    prefix: String,
    network: Option<String>,
    containers: Vec<String>,
    cleaned: bool,
    /// Prepended to each container's image: the tag prefix of the builds that made it.
    tag_prefix: String,
}

impl Sandbox {
    /// A sandbox for `probe` of the catalog image `image`, whose containers run the images as
    /// `ctx`'s builds tag them ([`BuildOptions::tag_prefix`](crate::engine::BuildOptions)).
    pub fn for_probe(ctx: &super::ProbeContext, image: &str, probe: ProbeKind) -> Sandbox {
        let mut sandbox = Sandbox::new(&ctx.docker, image, probe);
        sandbox.tag_prefix = ctx.build.tag_prefix.clone();
        sandbox
    }

    /// A sandbox for `probe` of `image`, whose containers run images by the references given;
    /// nothing is created yet.
    pub fn new(docker: &Docker, image: &str, probe: ProbeKind) -> Sandbox {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        Sandbox {
            docker: docker.clone(),
            image: image.to_owned(),
            probe,
            prefix: format!("probe-{}-{}-{nanos:08x}", probe.name(), std::process::id()),
            network: None,
            containers: Vec::new(),
            cleaned: false,
            tag_prefix: String::new(),
        }
    }

    /// The engine.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The container (and host) name of `role`.
    pub fn name(&self, role: &str) -> String {
        format!("{}-{role}", self.prefix)
    }

    /// A failure of this probe: `what` happened, with the tail of `log` (may be empty).
    pub fn failed(&self, what: impl Into<String>, log: &str) -> ProbeError {
        ProbeError::Failed {
            image: self.image.clone(),
            probe: self.probe,
            what: what.into(),
            log: tail(log),
        }
    }

    fn engine(&self, step: &'static str, source: bollard::errors::Error) -> ProbeError {
        ProbeError::Engine {
            image: self.image.clone(),
            probe: self.probe,
            step,
            source,
        }
    }

    /// Creates the probe's private bridge network (once) and returns its name.
    pub async fn network(&mut self) -> Result<String, ProbeError> {
        if let Some(name) = &self.network {
            return Ok(name.clone());
        }
        let name = self.name("net");
        create_bridge(&self.docker, &name)
            .await
            .map_err(|e| self.engine("create network", e))?;
        self.network = Some(name.clone());
        Ok(name)
    }

    /// Creates `spec`'s container (on the network, when there is one), places its files and
    /// starts it; returns its name.
    pub async fn start(&mut self, spec: ContainerSpec) -> Result<String, ProbeError> {
        let name = self.name(&spec.role);
        let image = format!("{}{}", self.tag_prefix, spec.image);
        let body = spec.create_body(image, &name, self.network.clone());
        let options = CreateContainerOptionsBuilder::new().name(&name).build();
        self.docker
            .create_container(Some(options), body)
            .await
            .map_err(|e| self.engine("create container", e))?;
        self.containers.push(name.clone());
        if !spec.files.is_empty() {
            let tar = probe_files_tar(&spec.files)
                .map_err(|e| self.failed(format!("cannot pack the job files: {e}"), ""))?;
            let options = UploadToContainerOptionsBuilder::new().path("/").build();
            self.docker
                .upload_to_container(&name, Some(options), bollard::body_full(tar.into()))
                .await
                .map_err(|e| self.engine("upload job files", e))?;
        }
        self.docker
            .start_container(&name, None)
            .await
            .map_err(|e| self.engine("start container", e))?;
        Ok(name)
    }

    /// Runs `spec` to completion within `limit`; a timeout is an error with the log tail.
    pub async fn run(
        &mut self,
        spec: ContainerSpec,
        limit: Duration,
    ) -> Result<Finished, ProbeError> {
        let role = spec.role.clone();
        let name = self.start(spec).await?;
        let code = self
            .wait_exit(&name, limit, &format!("{role} to finish"))
            .await?;
        Ok(Finished {
            code,
            log: self.logs(&name).await,
        })
    }

    /// Waits until `container` exits; returns its exit code.
    pub async fn wait_exit(
        &self,
        container: &str,
        limit: Duration,
        what: &str,
    ) -> Result<i64, ProbeError> {
        let deadline = Instant::now() + limit;
        loop {
            let state = self.state(container).await?;
            if state.running != Some(true) && state.finished_at.as_deref().is_some_and(finished) {
                return Ok(state.exit_code.unwrap_or(-1));
            }
            if Instant::now() > deadline {
                return Err(self.timeout(limit, what, container).await);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Waits until `container`'s output contains `pattern`; returns the output. Fails early,
    /// with the log, when the container exits first.
    pub async fn wait_for_log(
        &self,
        container: &str,
        pattern: &str,
        limit: Duration,
    ) -> Result<String, ProbeError> {
        let deadline = Instant::now() + limit;
        loop {
            let log = self.logs(container).await;
            if log.contains(pattern) {
                return Ok(log);
            }
            if !self.running(container).await? {
                let log = self.logs(container).await;
                if log.contains(pattern) {
                    return Ok(log);
                }
                return Err(self.failed(
                    format!("{container} exited before printing `{pattern}`"),
                    &log,
                ));
            }
            if Instant::now() > deadline {
                return Err(self
                    .timeout(limit, &format!("`{pattern}` from {container}"), container)
                    .await);
            }
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
    }

    /// `container`'s current state.
    async fn state(&self, container: &str) -> Result<bollard::models::ContainerState, ProbeError> {
        let inspected = self.docker.inspect_container(container, None).await;
        Ok(inspected
            .map_err(|e| self.engine("inspect container", e))?
            .state
            .unwrap_or_default())
    }

    /// Waits until `container`'s health check reports healthy.
    pub async fn wait_healthy(&self, container: &str, limit: Duration) -> Result<(), ProbeError> {
        let deadline = Instant::now() + limit;
        loop {
            let state = self.state(container).await?;
            if state.running != Some(true) {
                let log = self.logs(container).await;
                return Err(self.failed(
                    format!(
                        "{container} exited with code {} before it was healthy",
                        state.exit_code.unwrap_or(-1)
                    ),
                    &log,
                ));
            }
            match state.health.and_then(|h| h.status) {
                Some(HealthStatusEnum::HEALTHY) => return Ok(()),
                Some(HealthStatusEnum::UNHEALTHY) => {
                    let log = self.logs(container).await;
                    return Err(self.failed(format!("{container} turned unhealthy"), &log));
                }
                _ => {}
            }
            if Instant::now() > deadline {
                return Err(self
                    .timeout(limit, &format!("{container} to be healthy"), container)
                    .await);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Whether `container` is still running.
    pub async fn running(&self, container: &str) -> Result<bool, ProbeError> {
        let state = self
            .docker
            .inspect_container(container, None)
            .await
            .map_err(|e| self.engine("inspect container", e))?
            .state
            .unwrap_or_default();
        Ok(state.running == Some(true))
    }

    /// Runs `cmd` inside the running `container` as `user` (the container's user when `None`);
    /// returns the exit code and output.
    pub async fn exec(
        &self,
        container: &str,
        cmd: &[&str],
        user: Option<&str>,
    ) -> Result<Finished, ProbeError> {
        let options = CreateExecOptions {
            cmd: Some(cmd.to_vec()),
            user,
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..CreateExecOptions::default()
        };
        let exec = self
            .docker
            .create_exec(container, options)
            .await
            .map_err(|e| self.engine("create exec", e))?;
        let mut log = String::new();
        if let StartExecResults::Attached { mut output, .. } = self
            .docker
            .start_exec(&exec.id, None)
            .await
            .map_err(|e| self.engine("start exec", e))?
        {
            while let Some(Ok(chunk)) = output.next().await {
                log.push_str(&chunk.to_string());
            }
        }
        let inspected = self
            .docker
            .inspect_exec(&exec.id)
            .await
            .map_err(|e| self.engine("inspect exec", e))?;
        Ok(Finished {
            code: inspected.exit_code.unwrap_or(-1),
            log,
        })
    }

    /// `container`'s output so far (stdout and stderr); empty when the engine cannot give it.
    pub async fn logs(&self, container: &str) -> String {
        let options = LogsOptionsBuilder::new()
            .stdout(true)
            .stderr(true)
            .tail("all")
            .build();
        let mut stream = self.docker.logs(container, Some(options));
        let mut text = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            text.push_str(&chunk.to_string());
        }
        text
    }

    /// Stops `container` now (SIGKILL); it stays until cleanup.
    pub async fn kill(&self, container: &str) {
        let _ = self.docker.kill_container(container, None).await;
    }

    async fn timeout(&self, limit: Duration, what: &str, container: &str) -> ProbeError {
        ProbeError::Timeout {
            image: self.image.clone(),
            probe: self.probe,
            seconds: limit.as_secs(),
            what: what.to_owned(),
            log: tail(&self.logs(container).await),
        }
    }

    /// Removes every container (forcibly) and the network.
    pub async fn cleanup(mut self) {
        remove_all(&self.docker, &self.containers, self.network.as_deref()).await;
        self.cleaned = true;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.cleaned || (self.containers.is_empty() && self.network.is_none()) {
            return;
        }
        let containers = std::mem::take(&mut self.containers);
        remove_in_background(containers, self.network.take());
    }
}

/// [`remove_all`] from a short-lived thread with its own engine connection, for `Drop`: it cannot
/// await, and the caller's runtime may be gone or busy. Returns when the removal is done.
pub(crate) fn remove_in_background(containers: Vec<String>, network: Option<String>) {
    let _ = std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            if let Ok(docker) = crate::engine::client::connect(None).await {
                remove_all(&docker, &containers, network.as_deref()).await;
            }
        });
    })
    .join();
}

/// Removes the containers, then the network; a request that fails (the daemon restarting) is
/// retried for a while. What still exists afterwards is named on stderr so it can be removed by
/// hand: cleanup is best effort and must not turn a probe's result into an error.
pub(crate) async fn remove_all(docker: &Docker, containers: &[String], network: Option<&str>) {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    let gone = |result: Result<(), bollard::errors::Error>| match result {
        Ok(()) => true,
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => true,
        Err(_) => false,
    };
    let mut left: Vec<String> = containers.to_vec();
    let mut network_left = network.map(str::to_owned);
    for attempt in 0..CLEANUP_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let mut still = Vec::new();
        for name in left {
            if !gone(docker.remove_container(&name, Some(options.clone())).await) {
                still.push(name);
            }
        }
        left = still;
        if let Some(net) = network_left.take()
            && !gone(docker.remove_network(&net).await)
        {
            network_left = Some(net);
        }
        if left.is_empty() && network_left.is_none() {
            return;
        }
    }
    left.extend(network_left);
    eprintln!(
        "warning: could not remove probe containers/network {}; remove them with the engine when it answers",
        left.join(", ")
    );
}

/// Whether the engine's `FinishedAt` says the container has finished (it is the zero time before).
/// Creates a private bridge network called `name`, which containers started with it join
/// (the probes' sandboxes and the startup bench's clusters).
pub(crate) async fn create_bridge(
    docker: &Docker,
    name: &str,
) -> Result<(), bollard::errors::Error> {
    let request = NetworkCreateRequest {
        name: name.to_owned(),
        driver: Some("bridge".to_owned()),
        ..NetworkCreateRequest::default()
    };
    docker.create_network(request).await.map(|_| ())
}

fn finished(at: &str) -> bool {
    !at.starts_with("0001-")
}

/// A tar with `probe/<name>` for each file, readable by any user.
pub(crate) fn probe_files_tar(files: &[(String, String)]) -> std::io::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_size(0);
    dir.set_mtime(0);
    tar.append_data(
        &mut dir,
        PROBE_DIR.trim_start_matches('/'),
        std::io::empty(),
    )?;
    for (name, contents) in files {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(contents.len() as u64);
        header.set_mtime(0);
        let path = format!("{}/{name}", PROBE_DIR.trim_start_matches('/'));
        tar.append_data(&mut header, path, contents.as_bytes())?;
    }
    tar.into_inner()
}

/// The last lines of a log, without Spark's console progress bars.
pub fn tail(log: &str) -> String {
    let lines: Vec<&str> = log
        .lines()
        .map(|l| l.rsplit('\r').next().unwrap_or(l))
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("[Stage "))
        .collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_drops_progress_bars_and_keeps_the_last_lines() {
        let mut log = String::from("[Stage 0:>   (0 + 2) / 2]\r\n");
        for i in 0..40 {
            log.push_str(&format!("line {i}\n"));
        }
        log.push_str("[Stage 3:==>  (1 + 1) / 2]\rPROBE-OK local\n");
        let t = tail(&log);
        assert!(t.ends_with("PROBE-OK local"), "{t}");
        assert!(!t.contains("[Stage"), "{t}");
        assert_eq!(t.lines().count(), TAIL_LINES);
    }

    #[test]
    fn job_files_land_under_the_probe_dir() {
        let tar = probe_files_tar(&[("job.py".into(), "print(1)\n".into())]).unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let paths: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(paths, ["probe", "probe/job.py"]);
    }
}
