//! Git sources: a pinned commit fetched on the host through the git mirror and placed in the
//! context as its tree; an unknown commit or an unreachable repository stops the run naming it.

use std::path::Path;
use std::process::Command;

use image_dsl_cli::engine::{
    ArtifactSource, BuildSpec, Checksum, ContextArtifact, Locator, Status, build_all,
};

use crate::support::{Cleanup, docker, fetch_error_text, fixture, options_with_cache, unique};

/// Where the pins say the repository is: a host that does not exist, so only the mirror serves it.
const ORIGIN: &str = "https://git.invalid/example/tools";

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// `<mirror>/example/tools`, a bare repository with two commits; returns the first one's id.
fn mirror_with_two_commits(mirror: &Path) -> String {
    let work = mirror.join("work");
    std::fs::create_dir_all(work.join("bin")).unwrap();
    git(&work, &["init", "--quiet"]);
    std::fs::write(work.join("bin/hello"), "#!/bin/sh\necho hello from v1\n").unwrap();
    std::fs::set_permissions(
        work.join("bin/hello"),
        std::os::unix::fs::PermissionsExt::from_mode(0o775),
    )
    .unwrap();
    std::fs::write(work.join("README"), "tools\n").unwrap();
    std::os::unix::fs::symlink("bin/hello", work.join("hello")).unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "v1"]);
    let first = git(&work, &["rev-parse", "HEAD"]);
    std::fs::write(work.join("bin/hello"), "#!/bin/sh\necho hello from v2\n").unwrap();
    git(&work, &["commit", "--quiet", "-am", "v2"]);
    let bare = mirror.join("example/tools");
    git(
        mirror,
        &[
            "clone",
            "--quiet",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    first
}

fn spec_with_source(reference: &str, commit: &str) -> BuildSpec {
    // v1's script, its mode and link as git has them; group 0 cannot write (git archive's
    // umask would have made the files 0664/0775).
    let mut spec = fixture(
        reference,
        "COPY git/tools/ /opt/tools/\n\
         RUN test \"$(/opt/tools/hello)\" = 'hello from v1' \
         && test \"$(stat -c %a /opt/tools/bin/hello /opt/tools/README)\" = \"$(printf '755\\n644')\" \
         && test \"$(readlink /opt/tools/hello)\" = bin/hello\n\
         USER 10001\n",
    );
    spec.artifacts.push(ContextArtifact {
        path: "git/tools".into(),
        source: ArtifactSource {
            name: "tools".into(),
            version: commit.into(),
            locator: Locator::Git {
                repo: ORIGIN.into(),
            },
            checksum: Checksum::GitCommit(commit.into()),
        },
    });
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_commit_comes_from_the_git_mirror_as_its_tree() {
    let docker = docker().await;
    let mirror = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let v1 = mirror_with_two_commits(mirror.path());
    let reference = format!("image-dsl-test/git:{}", unique("git"));
    let _cleanup = Cleanup(vec![reference.clone()]);
    let spec = spec_with_source(&reference, &v1);

    // No mirror: the pinned origin does not resolve; the error names the source and the setting.
    let text =
        fetch_error_text(build_all(vec![spec.clone()], &options_with_cache(cache.path())).await);
    assert!(
        text.contains(&format!("artifact tools {v1}"))
            && text.contains(ORIGIN)
            && text.contains("IMAGE_DSL_GIT_MIRROR"),
        "{text}"
    );

    // The mirror lacks the commit: named as such, not as a transfer problem.
    let mut opts = options_with_cache(cache.path());
    opts.settings.git_mirror = Some(format!("file://{}", mirror.path().display()));
    let absent = "0123456789abcdef0123456789abcdef01234567";
    let text = fetch_error_text(build_all(vec![spec_with_source(&reference, absent)], &opts).await);
    assert!(text.contains(&format!("has no commit {absent}")), "{text}");
    assert!(
        docker.inspect_image(&reference).await.is_err(),
        "tagged after a failed fetch"
    );

    // Through the mirror: v1 (not the branch tip) is built; the RUN step checks its tree.
    let report = build_all(vec![spec.clone()], &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.success(), "{report}");
    let tar = cache.path().join("artifacts/git").join(&v1);
    let first = std::fs::read(&tar).expect("the commit's tree is cached");

    // Up to date without git; and the same commit archives to the same bytes.
    let again = build_all(vec![spec], &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(again.images[0].status, Status::UpToDate),
        "{again}"
    );
    std::fs::remove_file(&tar).unwrap();
    image_dsl_cli::engine::fetch::Fetcher::new(opts.settings.clone())
        .fetch(&spec_with_source(&reference, &v1).artifacts[0].source)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        std::fs::read(&tar).unwrap(),
        first,
        "git archive is not deterministic"
    );

    // `images export --fetch` places the tree where the Dockerfile copies it from.
    let out = tempfile::tempdir().unwrap();
    let spec = spec_with_source(&reference, &v1);
    let fetcher = image_dsl_cli::engine::fetch::Fetcher::new(opts.settings.clone());
    let missing = image_dsl_cli::export::place_inputs(&fetcher, &[&spec], out.path())
        .await
        .unwrap();
    assert!(missing.is_empty(), "{missing:?}");
    let (name, tag) = spec.repo_and_tag();
    let tree = out.path().join(name).join(tag).join("git/tools");
    assert_eq!(
        std::fs::read_to_string(tree.join("bin/hello")).unwrap(),
        "#!/bin/sh\necho hello from v1\n"
    );
    assert_eq!(
        std::fs::read_link(tree.join("hello")).unwrap(),
        Path::new("bin/hello")
    );
}
