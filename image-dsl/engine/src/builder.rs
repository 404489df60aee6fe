//! The engine's two builders: which one runs a build, and what BuildKit's progress says.
//!
//! Docker Engine 23 and later build with BuildKit by default and call the classic builder
//! deprecated; Engine 20.10 (Debian bookworm's) builds classic unless asked. [`resolve`] follows
//! the engine the same way unless a builder is forced. Both take the same Dockerfiles: what only
//! BuildKit understands (`COPY --link`) is removed from the copy a classic build is sent
//! ([`for_classic`]), which yields the same files.
//!
//! BuildKit reports progress as vertexes (one per step, named like `[3/7] RUN …`), their logs
//! and their errors, in protobuf messages on the build stream. [`Trace`] turns them into the
//! plain log `docker buildx build --progress=plain` writes, and remembers each step's last output
//! lines so that a failed or hung build names its step and quotes what it printed.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::Write;
use std::str::FromStr;

use bollard::Docker;
use bollard::moby::buildkit::v1::StatusResponse;

/// The API version of Docker Engine 23.0, the first whose default builder is BuildKit.
const BUILDKIT_DEFAULT_SINCE_API: (usize, usize) = (1, 42);

/// How many output lines of a step an error quotes.
const TAIL_LINES: usize = 8;

/// Which builder to use (`images build --builder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuilderChoice {
    /// The engine's default: BuildKit from Engine 23 on, classic before.
    #[default]
    Auto,
    /// BuildKit, through a session on the engine connection.
    BuildKit,
    /// The classic builder (deprecated since Engine 23, the default of Engine 20.10).
    Classic,
}

impl FromStr for BuilderChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(BuilderChoice::Auto),
            "buildkit" => Ok(BuilderChoice::BuildKit),
            "classic" => Ok(BuilderChoice::Classic),
            other => Err(format!(
                "unknown builder `{other}`: expected auto, buildkit or classic"
            )),
        }
    }
}

/// The builder a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    /// BuildKit, with a session.
    BuildKit,
    /// The classic builder (`BuilderV1`).
    Classic,
}

impl fmt::Display for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Builder::BuildKit => "BuildKit",
            Builder::Classic => "classic builder",
        })
    }
}

/// The builder for `choice` on this engine, and the engine's version (e.g. `26.1.5+dfsg1`).
pub async fn resolve(
    docker: &Docker,
    choice: BuilderChoice,
) -> Result<(Builder, String), bollard::errors::Error> {
    let version = docker.version().await?.version.unwrap_or_default();
    Ok((choose(docker, choice), version))
}

/// The builder for `choice` on this engine, without asking it anything: the API version the
/// client negotiated ([`crate::client::connect`]) tells the engine's age.
pub fn choose(docker: &Docker, choice: BuilderChoice) -> Builder {
    match choice {
        BuilderChoice::BuildKit => Builder::BuildKit,
        BuilderChoice::Classic => Builder::Classic,
        BuilderChoice::Auto => {
            let api = docker.client_version();
            default_for_api(api.major_version, api.minor_version)
        }
    }
}

/// The default builder of the engine that speaks API `major.minor` at most: BuildKit from API
/// 1.42, Docker Engine 23.0's, the first whose default builder it is.
fn default_for_api(major: usize, minor: usize) -> Builder {
    if (major, minor) >= BUILDKIT_DEFAULT_SINCE_API {
        Builder::BuildKit
    } else {
        Builder::Classic
    }
}

/// `dockerfile` as the classic builder takes it: without `--link` on `COPY`.
pub fn for_classic(dockerfile: &str) -> String {
    let mut out = String::with_capacity(dockerfile.len());
    for line in dockerfile.split_inclusive('\n') {
        match line.strip_prefix("COPY --link ") {
            Some(rest) => {
                out.push_str("COPY ");
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// What a build's BuildKit progress said so far.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// Vertex digest → its number in the log and what is known of it, in order of appearance.
    vertexes: HashMap<String, Vertex>,
    /// The digest of the vertex that started last.
    latest: Option<String>,
    /// The digest of the vertex that failed.
    failed: Option<String>,
}

#[derive(Debug, Default)]
struct Vertex {
    number: usize,
    name: String,
    started: bool,
    completed: bool,
    tail: VecDeque<String>,
    /// Output not yet ended by a newline.
    partial: String,
}

impl Trace {
    /// Takes one status message: writes its news to `log` in the plain format, and returns the
    /// lines written (for `--verbose`).
    pub(crate) fn update(&mut self, status: StatusResponse, log: &mut impl Write) -> Vec<String> {
        let mut lines = Vec::new();
        for v in status.vertexes {
            let next = self.vertexes.len() + 1;
            let vertex = self
                .vertexes
                .entry(v.digest.clone())
                .or_insert_with(|| Vertex {
                    number: next,
                    ..Vertex::default()
                });
            if vertex.name.is_empty() {
                vertex.name = v.name.clone();
            }
            let n = vertex.number;
            if v.started.is_some() && !vertex.started {
                vertex.started = true;
                lines.push(format!("#{n} {}", vertex.name));
                self.latest = Some(v.digest.clone());
            }
            if v.cached && !vertex.completed {
                vertex.completed = true;
                if !vertex.started {
                    lines.push(format!("#{n} {}", vertex.name));
                }
                lines.push(format!("#{n} CACHED"));
            } else if let Some(completed) = &v.completed
                && !vertex.completed
            {
                vertex.completed = true;
                if !vertex.partial.is_empty() {
                    let rest = std::mem::take(&mut vertex.partial);
                    push_line(&mut vertex.tail, &rest);
                    lines.push(format!("#{n} {rest}"));
                }
                if v.error.is_empty() {
                    let took = v.started.as_ref().map_or(0.0, |s| {
                        (completed.seconds - s.seconds) as f64
                            + f64::from(completed.nanos - s.nanos) / 1e9
                    });
                    lines.push(format!("#{n} DONE {took:.1}s"));
                } else {
                    lines.push(format!("#{n} ERROR: {}", v.error));
                    self.failed = Some(v.digest.clone());
                }
            }
        }
        for entry in status.logs {
            let Some(vertex) = self.vertexes.get_mut(&entry.vertex) else {
                continue;
            };
            vertex
                .partial
                .push_str(&String::from_utf8_lossy(&entry.msg));
            while let Some(end) = vertex.partial.find(['\n', '\r']) {
                let line: String = vertex.partial.drain(..=end).collect();
                let line = strip_ansi(line.trim_end());
                if !line.trim().is_empty() {
                    push_line(&mut vertex.tail, &line);
                    lines.push(format!("#{} {line}", vertex.number));
                }
            }
        }
        for warning in status.warnings {
            let number = self
                .vertexes
                .get(&warning.vertex)
                .map_or(0, |vertex| vertex.number);
            lines.push(format!(
                "#{number} WARNING: {}",
                String::from_utf8_lossy(&warning.short)
            ));
        }
        for line in &lines {
            let _ = writeln!(log, "{line}");
        }
        lines
    }

    /// The step a failure or a hang belongs to: the failed vertex, else the one that started
    /// last; `None` before any started.
    pub(crate) fn step(&self) -> Option<&str> {
        self.current().map(|v| v.name.as_str())
    }

    /// That step's last output lines.
    pub(crate) fn tail(&self) -> Vec<String> {
        self.current()
            .map(|v| {
                let mut tail: Vec<String> = v.tail.iter().cloned().collect();
                if !v.partial.trim().is_empty() {
                    tail.push(v.partial.trim_end().to_owned());
                }
                tail
            })
            .unwrap_or_default()
    }

    /// The running step's name for a progress bar: the latest started, unfinished vertex.
    pub(crate) fn running(&self) -> Option<&str> {
        let latest = self.vertexes.get(self.latest.as_deref()?)?;
        (!latest.completed).then_some(latest.name.as_str())
    }

    fn current(&self) -> Option<&Vertex> {
        self.failed
            .as_deref()
            .or(self.latest.as_deref())
            .and_then(|digest| self.vertexes.get(digest))
    }
}

fn push_line(tail: &mut VecDeque<String>, line: &str) {
    if tail.len() == TAIL_LINES {
        tail.pop_front();
    }
    tail.push_back(line.to_owned());
}

/// The classic builder's output so far: its current `Step N/M : …` and that step's last lines.
#[derive(Debug)]
pub(crate) struct ClassicLog {
    step: String,
    tail: VecDeque<String>,
}

impl Default for ClassicLog {
    fn default() -> Self {
        ClassicLog {
            step: "build".to_owned(),
            tail: VecDeque::new(),
        }
    }
}

impl ClassicLog {
    /// Takes one chunk of the build stream; returns the step when a new one started.
    pub(crate) fn update(&mut self, text: &str) -> Option<&str> {
        let mut started = false;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if line.starts_with("Step ") {
                self.step = line.trim().to_owned();
                self.tail.clear();
                started = true;
            } else if !line.starts_with(" ---> ")
                && !line.starts_with("Removing intermediate container")
            {
                push_line(&mut self.tail, &strip_ansi(line.trim_end()));
            }
        }
        started.then_some(self.step.as_str())
    }
}

/// The step a failed or hung build stopped at and its last output lines: BuildKit's failed or
/// latest vertex when the build went through BuildKit, else the classic builder's step.
pub(crate) fn stopped_at(classic: &ClassicLog, trace: &Trace) -> (String, Vec<String>) {
    match trace.step() {
        Some(name) => (name.to_owned(), trace.tail()),
        None => (classic.step.clone(), classic.tail.iter().cloned().collect()),
    }
}

/// The short form of a builder's failure (the step is named separately): `exit code: 1` from
/// BuildKit's `process "/bin/sh -c …" did not complete successfully: exit code: 1` and from the
/// classic builder's `The command '/bin/sh -c …' returned a non-zero code: 1`.
pub(crate) fn summary(error: &str) -> String {
    if let Some((_, code)) = error.rsplit_once("did not complete successfully: ") {
        return code.trim_end().to_owned();
    }
    match error.rsplit_once("returned a non-zero code") {
        Some((_, code)) => format!("exit code{}", code.trim_end()),
        None => error.trim().to_owned(),
    }
}

/// `text` without ANSI colour sequences (the classic builder colours RUN's stderr).
pub(crate) fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::moby::buildkit::v1::{Vertex as V, VertexLog};

    /// A vertex with its start (and end) time in seconds; bollard does not re-export the
    /// protobuf `Timestamp`, so it is reached through the field.
    fn timed(mut vertex: V, started: i64, completed: Option<i64>) -> V {
        let at = |seconds| {
            let mut t = V::default().started.unwrap_or_default();
            t.seconds = seconds;
            t
        };
        vertex.started = Some(at(started));
        vertex.completed = completed.map(at);
        vertex
    }

    #[test]
    fn engines_from_23_default_to_buildkit() {
        // Engine 26.1 speaks 1.45, 23.0 speaks 1.42, 20.10 speaks 1.41.
        assert_eq!(default_for_api(1, 45), Builder::BuildKit);
        assert_eq!(default_for_api(1, 42), Builder::BuildKit);
        assert_eq!(default_for_api(1, 41), Builder::Classic);
        assert_eq!("classic".parse(), Ok(BuilderChoice::Classic));
        assert!("v1".parse::<BuilderChoice>().unwrap_err().contains("auto"));
    }

    #[test]
    fn the_classic_copy_loses_only_link() {
        let dockerfile = "FROM a\nCOPY --link --from=b /x /x\nCOPY y /y\nRUN echo 'COPY --link '\n";
        assert_eq!(
            for_classic(dockerfile),
            "FROM a\nCOPY --from=b /x /x\nCOPY y /y\nRUN echo 'COPY --link '\n"
        );
    }

    #[test]
    fn a_failed_step_is_named_with_its_last_output() {
        let mut trace = Trace::default();
        let mut log = Vec::new();
        let vertex = |digest: &str, name: &str| V {
            digest: digest.into(),
            name: name.into(),
            ..V::default()
        };
        trace.update(
            StatusResponse {
                vertexes: vec![
                    timed(vertex("a", "[1/2] FROM base"), 1, Some(2)),
                    timed(vertex("b", "[2/2] RUN make"), 2, None),
                ],
                ..StatusResponse::default()
            },
            &mut log,
        );
        assert_eq!(trace.running(), Some("[2/2] RUN make"));
        trace.update(
            StatusResponse {
                logs: (0..10)
                    .map(|i| VertexLog {
                        vertex: "b".into(),
                        msg: format!("line {i}\n").into_bytes(),
                        ..VertexLog::default()
                    })
                    .chain([VertexLog {
                        vertex: "b".into(),
                        msg: b"no newline".to_vec(),
                        ..VertexLog::default()
                    }])
                    .collect(),
                ..StatusResponse::default()
            },
            &mut log,
        );
        trace.update(
            StatusResponse {
                vertexes: vec![timed(
                    V {
                        error: "process \"/bin/sh -c make\" did not complete successfully: exit code: 2"
                            .into(),
                        ..vertex("b", "[2/2] RUN make")
                    },
                    2,
                    Some(3),
                )],
                ..StatusResponse::default()
            },
            &mut log,
        );
        assert_eq!(trace.step(), Some("[2/2] RUN make"));
        assert_eq!(trace.running(), None);
        let tail = trace.tail();
        assert_eq!(tail.len(), TAIL_LINES);
        assert_eq!(tail.last().map(String::as_str), Some("no newline"));
        assert_eq!(tail[0], "line 3");
        let log = String::from_utf8(log).unwrap();
        assert!(
            log.starts_with("#1 [1/2] FROM base\n#1 DONE 1.0s\n#2 [2/2] RUN make\n"),
            "{log}"
        );
        assert!(
            log.contains("#2 line 9\n#2 no newline\n#2 ERROR: process"),
            "{log}"
        );
        assert_eq!(
            summary("process \"/bin/sh -c make\" did not complete successfully: exit code: 2"),
            "exit code: 2"
        );
        assert_eq!(
            summary("The command '/bin/sh -c make' returned a non-zero code: 2"),
            "exit code: 2"
        );
    }
}
