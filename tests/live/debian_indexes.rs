//! `cargo xtask images lock --check` on a temporary pin file against Debian's real signed
//! indexes: the apt candidates it proposes, and the package Debian does not have.

use image_dsl_cli::pins_lock::{Mode, Problem};

use crate::lock::run;
use crate::support::options;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apt_pins_take_the_candidates_of_debians_signed_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pins.toml");
    let text = "[debian]\nsuite = \"bookworm\"\n\n[apt]\n\
                tini = \"0.0.1-1\"   # bookworm; a note that stays\n\
                procps = \"2:4.0.2-3\"   # bookworm\n\
                image-dsl-no-such-package = \"1.0\"\n";
    std::fs::write(&path, text).unwrap();

    let report = run(&path, &options(), Mode::Check).await;
    assert_eq!(
        report.problems,
        [Problem::NoCandidate {
            package: "image-dsl-no-such-package".into(),
            suite: "bookworm".into()
        }]
    );
    let tini = report
        .changes
        .iter()
        .find(|c| c.key == "tini")
        .expect("tini is out of date");
    assert_eq!(tini.old, "0.0.1-1");
    assert!(
        tini.new.starts_with("0.19.0-1"),
        "bookworm has tini 0.19.0: {tini}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "--check writes nothing"
    );
}
