//! One insta snapshot per catalog image: its Dockerfile and its build-context manifest. Any drift
//! fails `cargo test` (CI runs with `CI=true`, so insta never writes); `cargo xtask images generate
//! --check` reports every stale snapshot at once.

#[test]
fn every_image_matches_its_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for image in images::catalog().images {
            let rendered = image_dsl::render(&image);
            insta::assert_snapshot!(
                image_dsl::snapshot_name(&image),
                image_dsl::snapshot(&rendered)
            );
        }
    });
}

#[test]
fn snapshot_files_end_with_exactly_one_newline() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("snapshots/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "snap") {
            let text = std::fs::read_to_string(&path).expect("readable snapshot");
            assert!(
                text.ends_with('\n') && !text.ends_with("\n\n"),
                "{}: must end with exactly one newline",
                path.display()
            );
            assert!(
                !text.contains('\r'),
                "{}: contains a carriage return",
                path.display()
            );
            count += 1;
        }
    }
    assert_eq!(
        count,
        images::catalog().images.len(),
        "one snapshot per catalog image"
    );
}
