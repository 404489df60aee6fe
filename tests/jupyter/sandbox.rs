//! Containers on one private network for the Jupyter tests, and the clients they use against
//! them: `docker` with a timeout, a raw HTTP status probe, and the notebook run through the
//! server's REST and websocket APIs (`run_notebook.py` in a second container).

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::engine::support;

const NOTEBOOK: &str = include_str!("spark_check.ipynb");
const NOTEBOOK_CLIENT: &str = include_str!("run_notebook.py");
const LOGIN_CLIENT: &str = include_str!("login.py");

/// Runs `docker args…`, killing it after `timeout`; `stdin` is written to its input.
pub fn docker(args: &[&str], stdin: Option<&str>, timeout: Duration) -> Output {
    let mut child = Command::new("docker")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run docker ({e}): install the Docker CLI (`apt-get install docker.io`)")
        });
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    image_dsl_workspace::wait_with_timeout(child, timeout)
}

pub use image_dsl_workspace::text;

/// Containers on one private network; removed with the network when dropped, even on failure.
pub struct Sandbox {
    network: String,
    containers: Vec<String>,
}

impl Sandbox {
    pub fn new(name: &str) -> Sandbox {
        let network = support::unique(name);
        let out = docker(
            &["network", "create", &network],
            None,
            Duration::from_secs(30),
        );
        assert!(
            out.status.success(),
            "cannot create a network: {}",
            text(&out)
        );
        Sandbox {
            network,
            containers: Vec::new(),
        }
    }

    /// Starts `image` detached as `<network>-<role>` (also its host name); `extra` goes before the
    /// image, `cmd` after it.
    pub fn start(&mut self, role: &str, extra: &[&str], image: &str, cmd: &[&str]) -> String {
        let name = format!("{}-{role}", self.network);
        let mut args = vec![
            "run",
            "-d",
            "--name",
            &name,
            "--hostname",
            &name,
            "--network",
            &self.network,
        ];
        args.extend_from_slice(extra);
        args.push(image);
        args.extend_from_slice(cmd);
        let out = docker(&args, None, Duration::from_secs(60));
        assert!(out.status.success(), "cannot start {name}: {}", text(&out));
        self.containers.push(name.clone());
        name
    }

    pub fn logs(&self, container: &str) -> String {
        text(&docker(&["logs", container], None, Duration::from_secs(30)))
    }

    /// Waits until `container` logs `pattern`; fails with its log if it exits first or times out.
    pub fn wait_for_log(&self, container: &str, pattern: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.logs(container);
            if log.contains(pattern) {
                return log;
            }
            let state = docker(
                &["inspect", "--format", "{{.State.Running}}", container],
                None,
                Duration::from_secs(20),
            );
            let running = String::from_utf8_lossy(&state.stdout).trim() == "true";
            assert!(
                running && Instant::now() < deadline,
                "{container} did not log `{pattern}` ({}):\n{log}",
                if running { "timed out" } else { "exited" }
            );
            std::thread::sleep(Duration::from_millis(700));
        }
    }

    /// Runs the Python `script` with `args` in a client container of `image` (its /opt/jupyter
    /// interpreter) on this network; returns its output, failing when it fails.
    pub fn python(&self, image: &str, script: &str, args: &[&str]) -> String {
        let mut argv = vec![
            "run",
            "--rm",
            "-i",
            "--network",
            &self.network,
            "--entrypoint",
            "/opt/jupyter/bin/python",
            image,
            "-",
        ];
        argv.extend_from_slice(args);
        let out = docker(&argv, Some(script), Duration::from_secs(600));
        let log = text(&out);
        assert!(out.status.success(), "the client in {image} failed:\n{log}");
        log
    }

    /// Runs the notebook through the Jupyter server at `url` with `token`; returns the notebook
    /// as the server saved it.
    pub fn run_notebook(&self, image: &str, url: &str, token: &str) -> Value {
        let log = self.python(image, NOTEBOOK_CLIENT, &[url, token, NOTEBOOK]);
        let line = log
            .lines()
            .find_map(|l| l.strip_prefix("NOTEBOOK "))
            .unwrap_or_else(|| panic!("the client printed no notebook:\n{log}"));
        serde_json::from_str(line).expect("the saved notebook is JSON")
    }

    /// Logs in to the server at `url` with `password` through its login form; returns the
    /// status of `/api/status` before and after, and of the form when it refused.
    pub fn log_in(&self, image: &str, url: &str, password: &str) -> Vec<(String, String)> {
        let log = self.python(image, LOGIN_CLIENT, &[url, password]);
        log.lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(k, _)| ["BEFORE", "LOGIN", "AFTER"].contains(k))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let mut args = vec!["rm", "-f", "-v"];
        args.extend(self.containers.iter().map(String::as_str));
        if !self.containers.is_empty() {
            let _ = docker(&args, None, Duration::from_secs(60));
        }
        let _ = docker(
            &["network", "rm", &self.network],
            None,
            Duration::from_secs(30),
        );
    }
}

/// `KEY value` lines the notebook's cells printed, in order; panics with the notebook when a
/// cell failed or did not run.
pub fn printed(notebook: &Value) -> Vec<(String, String)> {
    let cells = notebook["cells"].as_array().expect("cells");
    let mut lines = Vec::new();
    for cell in cells.iter().filter(|c| c["cell_type"] == "code") {
        let outputs = cell["outputs"].as_array().expect("outputs");
        assert!(
            cell["execution_count"].is_u64() && outputs.iter().all(|o| o["output_type"] != "error"),
            "a cell failed or did not run in the kernel:\n{}",
            serde_json::to_string_pretty(cell).unwrap_or_default()
        );
        for output in outputs.iter().filter(|o| o["name"] == "stdout") {
            let text = match &output["text"] {
                Value::Array(parts) => parts.iter().filter_map(Value::as_str).collect(),
                other => other.as_str().unwrap_or_default().to_owned(),
            };
            for line in text.lines() {
                if let Some((key, value)) = line.split_once(' ') {
                    lines.push((key.to_owned(), value.to_owned()));
                }
            }
        }
    }
    lines
}

pub fn value<'a>(lines: &'a [(String, String)], key: &str) -> &'a str {
    lines
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("the notebook printed no {key}: {lines:?}"))
}

/// The status code of `GET path` on `addr`, with `Authorization: token …` when given.
pub fn http_status(addr: &str, path: &str, token: Option<&str>) -> u16 {
    let mut stream = std::net::TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let auth = token
        .map(|t| format!("Authorization: token {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .expect("send request");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response from {addr}: {response:?}"))
}

/// The host address Docker published `container`'s port 8888 on.
pub fn published(container: &str) -> String {
    let out = docker(
        &["port", container, "8888/tcp"],
        None,
        Duration::from_secs(20),
    );
    let addr = String::from_utf8_lossy(&out.stdout);
    addr.lines()
        .find(|l| l.starts_with("127.0.0.1:"))
        .unwrap_or_else(|| panic!("8888 is not published: {}", text(&out)))
        .to_owned()
}
