//! Git sources fetched on the host: a pinned commit of a repository becomes a tar of its tree in
//! the cache, which the build context unpacks under the source's context path.
//!
//! Each repository is kept as a bare clone in `<cache>/git/repos/<hash of its URL>.git`; a commit
//! not yet there is fetched with `transfer.fsckObjects` (git checks every object it receives
//! against its id, so the commit id is the checksum), shallow by id first, all branches and
//! tags when the server does not serve unadvertised commits. `git archive` of the commit is then
//! written to `<cache>/git/<commit>.tar` through a temporary file. The commit's own date is every
//! entry's mtime, so the same commit always gives the same tar.
//!
//! Containers never run git and never see a credential: the host's git (and its trust store,
//! so a TLS-intercepting proxy's CA is honoured) does the fetching.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;
use tokio::sync::Mutex;

use super::context::sha256_hex;

/// One git operation at a time: fetches into the same bare clone must not interleave.
static GIT: Mutex<()> = Mutex::const_new(());

/// How long one git command may take: a fetch that stalls (git has no read timeout of its own)
/// fails with this instead of hanging the build. Fetching the largest pinned repository takes
/// seconds.
const GIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Why a commit could not be had from one URL.
pub(crate) type Failure = String;

/// The URL to fetch `repo` from: `<mirror>/<path of repo>` when a mirror is set (so
/// `https://github.com/ohmyzsh/ohmyzsh` is `<mirror>/ohmyzsh/ohmyzsh`), else `repo` itself.
pub fn fetch_url(repo: &str, mirror: Option<&str>) -> String {
    let Some(mirror) = mirror else {
        return repo.to_owned();
    };
    let path = match repo.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        // scp-like `git@host:owner/repo`
        None => repo.split_once(':').map_or(repo, |(_, path)| path),
    };
    format!(
        "{}/{}",
        mirror.trim_end_matches('/'),
        path.trim_matches('/')
    )
}

/// Makes the tree of `commit` of `repo` available as `target` (a tar), fetching from `url`.
/// `scratch` is a directory on the same file system as `target` for the temporary tar.
pub(crate) async fn archive(
    cache: &Path,
    repo: &str,
    url: &str,
    commit: &str,
    target: &Path,
    scratch: &Path,
) -> Result<(), Failure> {
    if commit.len() != 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`{commit}` is not a full commit id (40 hex digits); pin the full id"
        ));
    }
    let _one_at_a_time = GIT.lock().await;
    let bare = bare_clone(cache, repo).await?;
    if !has_commit(&bare, commit).await {
        fetch(&bare, url, commit).await?;
        if !has_commit(&bare, commit).await {
            return Err(format!(
                "the repository has no commit {commit}; check the pin or the mirror's copy"
            ));
        }
    }
    let tmp = tempfile::NamedTempFile::new_in(scratch).map_err(|e| e.to_string())?;
    let out = tmp.reopen().map_err(|e| e.to_string())?;
    // `spawn`, not `output`, which would capture stdout instead of writing the file.
    let archive = git(&bare)
        .args(["archive", "--format=tar", commit])
        .stdout(Stdio::from(out))
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_failed)?
        .wait_with_output();
    let status = within_deadline("git archive", archive)
        .await?
        .map_err(spawn_failed)?;
    if !status.status.success() {
        return Err(format!(
            "git archive failed: {}",
            String::from_utf8_lossy(&status.stderr).trim()
        ));
    }
    tmp.persist(target).map_err(|e| e.error.to_string())?;
    Ok(())
}

/// The bare clone `repo` is kept in, created empty when missing.
async fn bare_clone(cache: &Path, repo: &str) -> Result<PathBuf, Failure> {
    let dir = cache
        .join("repos")
        .join(format!("{}.git", &sha256_hex(repo.as_bytes())[..16]));
    if dir.join("HEAD").exists() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    run(Command::new("git")
        .args(["init", "--quiet", "--bare"])
        .arg(&dir))
    .await?;
    Ok(dir)
}

async fn has_commit(bare: &Path, commit: &str) -> bool {
    let status = git(bare)
        .args(["cat-file", "-e", &format!("{commit}^{{commit}}")])
        .stderr(Stdio::null())
        .status();
    within_deadline("git cat-file", status)
        .await
        .is_ok_and(|s| s.is_ok_and(|s| s.success()))
}

/// `work` (a git command: `kill_on_drop`, so a late one is killed) within [`GIT_TIMEOUT`].
async fn within_deadline<T>(what: &str, work: impl Future<Output = T>) -> Result<T, Failure> {
    tokio::time::timeout(GIT_TIMEOUT, work).await.map_err(|_| {
        format!(
            "{what} did not finish within {} s; is the git mirror answering?",
            GIT_TIMEOUT.as_secs()
        )
    })
}

/// Fetches `commit` from `url`: by id (shallow), else every branch and tag.
async fn fetch(bare: &Path, url: &str, commit: &str) -> Result<(), Failure> {
    let by_id =
        run(git(bare).args(["fetch", "--quiet", "--no-tags", "--depth=1", url, commit])).await;
    if by_id.is_ok() {
        return Ok(());
    }
    let everything = run(git(bare).args([
        "fetch",
        "--quiet",
        "--no-tags",
        url,
        "+refs/heads/*:refs/remotes/mirror/heads/*",
        "+refs/tags/*:refs/remotes/mirror/tags/*",
    ]))
    .await;
    everything.map_err(|all| match by_id {
        Err(by_id) if by_id != all => format!("{by_id}; fetching all branches: {all}"),
        _ => all,
    })
}

/// `git -C bare` with the settings every call shares: objects checked on receipt, no prompt
/// for credentials, a stalled transfer given up after a minute.
fn git(bare: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(bare)
        .args([
            "-c",
            "transfer.fsckObjects=true",
            "-c",
            "http.lowSpeedLimit=1000",
            "-c",
            "http.lowSpeedTime=60",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .kill_on_drop(true);
    command
}

async fn run(command: &mut Command) -> Result<(), Failure> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let output = within_deadline("git", output)
        .await?
        .map_err(spawn_failed)?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("; "))
    }
}

fn spawn_failed(err: std::io::Error) -> Failure {
    if err.kind() == std::io::ErrorKind::NotFound {
        "git is not installed on this host; install it (`apt-get install git`)".to_owned()
    } else {
        format!("running git failed: {err}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_hold_repositories_under_their_paths() {
        let repo = "https://github.com/ohmyzsh/ohmyzsh";
        assert_eq!(fetch_url(repo, None), repo);
        assert_eq!(
            fetch_url(repo, Some("https://git.example.com/mirror/")),
            "https://git.example.com/mirror/ohmyzsh/ohmyzsh"
        );
        assert_eq!(
            fetch_url(
                "git@github.com:t-eckert/dotfiles.git",
                Some("file:///srv/git")
            ),
            "file:///srv/git/t-eckert/dotfiles.git"
        );
    }
}
