//! Containers whose output is timed on the host: each is attached before it starts, as
//! `docker run` does, and a task drains its output, noting when each chunk arrived. A wait for a
//! marker returns the arrival of the chunk that completed it, so a measurement is not rounded up
//! to a polling interval.
//!
//! Every name starts with `image-dsl-bench-<pid>-<nanos>`; [`Containers`] removes what it made in
//! [`Containers::cleanup`] and, if a run is interrupted or panics, on `Drop`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    UploadToContainerOptionsBuilder,
};
use futures_util::StreamExt;
use tokio::sync::Notify;

use crate::probe::ContainerSpec;
use crate::probe::sandbox::{probe_files_tar, remove_all, remove_in_background};

/// An engine request that failed: which one, and the engine's error.
#[derive(Debug)]
pub struct EngineFailure {
    /// The request, e.g. `create container`.
    pub step: &'static str,
    /// The engine's error.
    pub source: String,
}

impl std::fmt::Display for EngineFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the engine failed at `{}`: {}; check `docker info`",
            self.step, self.source
        )
    }
}

fn failure(step: &'static str) -> impl FnOnce(bollard::errors::Error) -> EngineFailure {
    move |e| EngineFailure {
        step,
        source: e.to_string(),
    }
}

/// What a container printed so far, and when each piece arrived on the host.
#[derive(Debug, Default)]
struct Log {
    text: String,
    /// For each chunk: when it arrived and where it ends in `text`.
    chunks: Vec<(Instant, usize)>,
    /// The output stream has ended (the container exited or was removed).
    ended: bool,
}

/// A started container whose output is being drained.
pub struct Running {
    /// The container's name.
    pub name: String,
    /// Just before the engine was asked to create it: where `docker run` starts the clock.
    pub requested: Instant,
    /// When the engine had started it (the create, attach and start requests had returned).
    pub started: Instant,
    log: Arc<Mutex<Log>>,
    changed: Arc<Notify>,
    drain: tokio::task::JoinHandle<()>,
}

/// How a wait for a marker ended without it.
#[derive(Debug, PartialEq, Eq)]
pub enum Missed {
    /// The limit passed.
    Timeout,
    /// The output ended first (the container exited).
    Ended,
}

impl Running {
    /// When the output first contained `marker` (the arrival of the chunk that completed it),
    /// waiting at most until `deadline`.
    pub async fn wait_for(&self, marker: &str, deadline: Instant) -> Result<Instant, Missed> {
        loop {
            let notified = self.changed.notified();
            {
                let log = self.log.lock().expect("the log lock is never poisoned");
                if let Some(at) = log.text.find(marker) {
                    let end = at + marker.len();
                    let arrived = log.chunks.iter().find(|(_, e)| *e >= end);
                    return Ok(arrived.map_or_else(Instant::now, |(t, _)| *t));
                }
                if log.ended {
                    return Err(Missed::Ended);
                }
            }
            if tokio::time::timeout_at(deadline.into(), notified)
                .await
                .is_err()
            {
                return Err(Missed::Timeout);
            }
        }
    }

    /// Waits until the output ends (the container exited), at most until `deadline`.
    pub async fn wait_end(&self, deadline: Instant) -> Result<(), Missed> {
        loop {
            let notified = self.changed.notified();
            if self.log.lock().expect("never poisoned").ended {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline.into(), notified)
                .await
                .is_err()
            {
                return Err(Missed::Timeout);
            }
        }
    }

    /// Everything printed so far.
    pub fn output(&self) -> String {
        self.log.lock().expect("never poisoned").text.clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.drain.abort();
    }
}

/// The containers (and the network) one bench of one image made.
pub struct Containers {
    docker: Docker,
    prefix: String,
    made: Vec<String>,
    network: Option<String>,
}

impl Containers {
    /// Nothing made yet; names start with `image-dsl-bench-<pid>-<nanos>`.
    pub fn new(docker: &Docker) -> Containers {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        Containers {
            docker: docker.clone(),
            prefix: format!("image-dsl-bench-{}-{nanos:08x}", std::process::id()),
            made: Vec::new(),
            network: None,
        }
    }

    /// The container (and host) name of `role`.
    pub fn name(&self, role: &str) -> String {
        format!("{}-{role}", self.prefix)
    }

    /// Creates the private bridge network (once); later containers join it.
    pub async fn network(&mut self) -> Result<String, EngineFailure> {
        if let Some(name) = &self.network {
            return Ok(name.clone());
        }
        let name = self.name("net");
        crate::probe::sandbox::create_bridge(&self.docker, &name)
            .await
            .map_err(failure("create network"))?;
        self.network = Some(name.clone());
        Ok(name)
    }

    /// Creates `spec`'s container of `spec.image` as given (an image ID pins what is measured),
    /// attaches to its output, places its files and starts it; the clock starts before the
    /// create request.
    pub async fn start(&mut self, spec: &ContainerSpec) -> Result<Running, EngineFailure> {
        let name = self.name(&spec.role);
        let requested = Instant::now();
        let body = spec.create_body(spec.image.clone(), &name, self.network.clone());
        let options = CreateContainerOptionsBuilder::new().name(&name).build();
        self.docker
            .create_container(Some(options), body)
            .await
            .map_err(failure("create container"))?;
        self.made.push(name.clone());
        let attach = AttachContainerOptionsBuilder::new()
            .stream(true)
            .logs(true)
            .stdout(true)
            .stderr(true)
            .build();
        let mut output = self
            .docker
            .attach_container(&name, Some(attach))
            .await
            .map_err(failure("attach container"))?
            .output;
        if !spec.files.is_empty() {
            let tar = probe_files_tar(&spec.files).map_err(|e| EngineFailure {
                step: "pack job files",
                source: e.to_string(),
            })?;
            let options = UploadToContainerOptionsBuilder::new().path("/").build();
            self.docker
                .upload_to_container(&name, Some(options), bollard::body_full(tar.into()))
                .await
                .map_err(failure("upload job files"))?;
        }
        let log = Arc::new(Mutex::new(Log::default()));
        let changed = Arc::new(Notify::new());
        let drain = {
            let (log, changed) = (log.clone(), changed.clone());
            tokio::spawn(async move {
                while let Some(Ok(chunk)) = output.next().await {
                    let now = Instant::now();
                    let mut log = log.lock().expect("never poisoned");
                    log.text.push_str(&chunk.to_string());
                    let end = log.text.len();
                    log.chunks.push((now, end));
                    drop(log);
                    changed.notify_waiters();
                }
                log.lock().expect("never poisoned").ended = true;
                changed.notify_waiters();
            })
        };
        self.docker
            .start_container(&name, None)
            .await
            .map_err(failure("start container"))?;
        Ok(Running {
            name,
            requested,
            started: Instant::now(),
            log,
            changed,
            drain,
        })
    }

    /// Runs `spec` to its exit within `limit`: its exit code and output; `None` on a timeout.
    pub async fn run(
        &mut self,
        spec: &ContainerSpec,
        limit: Duration,
    ) -> Result<Option<(i64, String)>, EngineFailure> {
        let running = self.start(spec).await?;
        let ended = running.wait_end(Instant::now() + limit).await;
        let output = running.output();
        let code = match ended {
            Ok(()) => Some(self.exit_code(&running.name).await?),
            Err(_) => None,
        };
        self.remove(&running.name).await;
        Ok(code.map(|c| (c, output)))
    }

    /// The exit code of the finished container `name`.
    pub async fn exit_code(&self, name: &str) -> Result<i64, EngineFailure> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let state = self
                .docker
                .inspect_container(name, None)
                .await
                .map_err(failure("inspect container"))?
                .state
                .unwrap_or_default();
            if state.running != Some(true) || Instant::now() > deadline {
                return Ok(state.exit_code.unwrap_or(-1));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Removes the container `name` now (killing it if it runs); best effort.
    pub async fn remove(&mut self, name: &str) {
        let options = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        if self
            .docker
            .remove_container(name, Some(options))
            .await
            .is_ok()
        {
            self.made.retain(|m| m != name);
        }
    }

    /// Removes every container this made and the network; what cannot be removed is named on
    /// stderr.
    pub async fn cleanup(mut self) {
        let made = std::mem::take(&mut self.made);
        remove_all(&self.docker, &made, self.network.take().as_deref()).await;
    }
}

impl Drop for Containers {
    fn drop(&mut self) {
        if self.made.is_empty() && self.network.is_none() {
            return;
        }
        remove_in_background(std::mem::take(&mut self.made), self.network.take());
    }
}
