//! Support shared by the integration tests in `tests/main.rs`.

use std::process::{Child, Output};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Waits for `child` (spawned with piped output), killing it after `timeout`, and returns its
/// output. Both pipes are drained while it runs: a child that writes more than a pipe holds
/// (64 KiB) would otherwise block until the timeout. A grandchild that keeps a pipe open after
/// the child ended gets ten more seconds; after that, that pipe's output is left out.
pub fn wait_with_timeout(mut child: Child, timeout: Duration) -> Output {
    fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            let _ = send.send(bytes);
        });
        receive
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let collect = |pipe: mpsc::Receiver<Vec<u8>>| {
        pipe.recv_timeout(Duration::from_secs(10))
            .unwrap_or_default()
    };
    Output {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    }
}

/// A command's stdout then stderr, as text.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
