//! SBOMs of real images: a runtime image of the catalog and a fixture that contradicts its model,
//! each read back, checked by an independent validator (cyclonedx-python-lib's strict JSON
//! schema check) and against what the engine says the image is.

use std::path::Path;

use image_dsl_cli::engine::sbom::image_id_of;
use image_dsl_cli::engine::{BuildSpec, build_all, graph};

use crate::support::{
    Cleanup, catalog_specs, cli_options, docker, fixture, options, unique, validate_sbom,
};

fn read(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .expect("the SBOM is JSON")
}

/// The component whose `key` is `value`.
fn component<'a>(sbom: &'a serde_json::Value, key: &str, value: &str) -> &'a serde_json::Value {
    sbom["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c[key] == value)
        .unwrap_or_else(|| panic!("no component with {key} = {value}"))
}

fn property<'a>(component: &'a serde_json::Value, name: &str) -> &'a str {
    component["properties"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .and_then(|p| p["value"].as_str())
        .unwrap_or_else(|| panic!("no property {name} in {component}"))
}

async fn image_id(reference: &str) -> String {
    docker()
        .await
        .inspect_image(reference)
        .await
        .unwrap_or_else(|e| panic!("inspect {reference}: {e}"))
        .id
        .expect("an image ID")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_image_has_a_valid_sbom_of_its_packages_jars_and_wheels() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut opts = cli_options();
    opts.sbom_dir = Some(dir.path().to_owned());
    // Tags of its own: other tests build the same images at the same time, and a tag another
    // run moves would describe another image than the SBOM this run wrote.
    opts.tag_prefix = format!("{}sbom/", crate::support::TEST_PREFIX);
    let specs = graph::select(catalog_specs(), &["spark-3.5.8:baseline".to_owned()])
        .expect("the catalog has spark-3.5.8:baseline");
    let report = build_all(specs.clone(), &opts).await.expect("build");
    assert!(report.success(), "{report}");
    // Built or up to date: each image of the run now has an SBOM for its ID.
    for image in &report.images {
        let spec = specs
            .iter()
            .find(|s| s.reference == image.reference)
            .unwrap();
        let path = dir.path().join(spec.sbom_file_name());
        let summary = image
            .sbom
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no SBOM written", image.reference));
        assert_eq!(summary.path, path);
        assert_eq!(
            image_id_of(&path),
            Some(image_id(&opts.tag(&image.reference)).await),
            "{}'s SBOM names the tagged image",
            image.reference
        );
        assert!(
            summary.missing.is_empty(),
            "{}: {:?}",
            image.reference,
            summary.missing
        );
    }

    let path = dir.path().join("spark-3.5.8_baseline.cdx.json");
    validate_sbom(&path).unwrap_or_else(|e| panic!("cyclonedx-python-lib rejects it: {e}"));
    // The validator can say no: the same SBOM with a scope CycloneDX does not have.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"scope\": \"required\""));
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        text.replacen("\"scope\": \"required\"", "\"scope\": \"sometimes\"", 1),
    )
    .unwrap();
    assert!(validate_sbom(&broken).is_err(), "an invalid scope passed");

    let sbom = read(&path);
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    assert_eq!(sbom["specVersion"], "1.5");
    assert_eq!(sbom["metadata"]["component"]["type"], "container");
    assert_eq!(sbom["metadata"]["component"]["name"], "spark-3.5.8");
    // A Debian package of the Python layer's apt step, found in dpkg's status.
    let python3 = component(&sbom, "name", "python3");
    assert!(
        python3["purl"]
            .as_str()
            .unwrap()
            .starts_with("pkg:deb/debian/python3@3.11")
    );
    assert_eq!(property(python3, "image-dsl:found"), "/var/lib/dpkg/status");
    assert_eq!(
        property(python3, "image-dsl:declared-by"),
        "python-3.11:jre-17"
    );
    // Spark's own jar, by its pom.properties, unpacked from the declared pyspark sdist.
    let core = component(
        &sbom,
        "purl",
        "pkg:maven/org.apache.spark/spark-core_2.12@3.5.8?type=jar",
    );
    assert_eq!(
        property(core, "image-dsl:found"),
        "/opt/spark/jars/spark-core_2.12-3.5.8.jar"
    );
    assert_eq!(
        property(core, "image-dsl:declared"),
        "in a declared archive"
    );
    assert!(
        core["components"].as_array().is_some_and(|c| !c.is_empty()),
        "shaded jetty"
    );
    let pyspark = component(&sbom, "name", "pyspark");
    assert!(property(pyspark, "image-dsl:found").starts_with("unpacked: "));
    assert_eq!(pyspark["hashes"][0]["alg"], "SHA-256");
    // A pinned wheel of the venv, by its dist-info.
    let pyarrow = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:pypi/pyarrow@"))
        })
        .expect("pyarrow");
    assert!(property(pyarrow, "image-dsl:found").ends_with(".dist-info"));
    assert_eq!(
        property(pyarrow, "image-dsl:declared-by"),
        "python-deps:base"
    );

    let baseline = report
        .image("spark-3.5.8:baseline")
        .unwrap()
        .sbom
        .as_ref()
        .unwrap();
    assert!(baseline.counts["deb"] > 100, "{baseline:?}");
    assert!(baseline.counts["maven"] >= 250, "{baseline:?}");
    assert!(baseline.counts["python"] >= 10, "{baseline:?}");
    eprintln!("spark-3.5.8:baseline: {}", baseline.line());

    // A second run writes nothing: every SBOM already describes its image.
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let again = build_all(specs, &opts).await.expect("build");
    assert!(
        again.images.iter().all(|i| i.sbom.is_none()),
        "{}",
        again.sbom_lines()
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_model_declares_and_the_image_lacks_is_reported_and_the_reverse_too() {
    let reference = format!("{}:sbom", unique("image-dsl-sbom-diff"));
    let _cleanup = Cleanup(vec![reference.clone()]);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut opts = options();
    opts.sbom_dir = Some(dir.path().to_owned());
    assert!(
        opts.base_lock.is_some(),
        "the base's packages come from images/apt.lock"
    );
    // tzdata is one of the locked base's packages; a made-up package and a Python distribution
    // appear that nothing declares.
    let spec: BuildSpec = fixture(
        &reference,
        "RUN dpkg --purge --force-depends tzdata \\\n \
         && printf 'Package: made-up\\nStatus: install ok installed\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: x\\nDescription: y\\n\\n' >> /var/lib/dpkg/status \\\n \
         && mkdir -p /usr/lib/python3/dist-packages/undeclared-2.0.dist-info \\\n \
         && printf 'Metadata-Version: 2.1\\nName: Undeclared\\nVersion: 2.0\\n' > /usr/lib/python3/dist-packages/undeclared-2.0.dist-info/METADATA\n",
    );
    let report = build_all(vec![spec.clone()], &opts).await.expect("build");
    assert!(report.success(), "{report}");
    let summary = report
        .image(&reference)
        .unwrap()
        .sbom
        .as_ref()
        .expect("an SBOM");
    assert_eq!(summary.missing.len(), 1, "{summary:?}");
    assert!(
        summary.missing[0].starts_with("tzdata ") && summary.missing[0].ends_with("(deb): no"),
        "{summary:?}"
    );
    assert_eq!(
        summary.undeclared,
        vec![
            "deb made-up 1.0".to_owned(),
            "python Undeclared 2.0".to_owned()
        ]
    );
    let lines = report.sbom_lines();
    assert!(lines.contains("declared but not found: tzdata"), "{lines}");
    assert!(
        lines.contains("found but not declared: deb made-up 1.0, python Undeclared 2.0"),
        "{lines}"
    );

    let path = dir.path().join(spec.sbom_file_name());
    validate_sbom(&path).unwrap_or_else(|e| panic!("cyclonedx-python-lib rejects it: {e}"));
    let sbom = read(&path);
    let tzdata = component(&sbom, "name", "tzdata");
    assert_eq!(property(tzdata, "image-dsl:found"), "no");
    assert_eq!(property(tzdata, "image-dsl:expected"), "true");
    let made_up = component(&sbom, "name", "made-up");
    assert_eq!(property(made_up, "image-dsl:declared"), "false");
    assert_eq!(made_up["purl"], "pkg:deb/debian/made-up@1.0?arch=all");
    assert_eq!(image_id_of(&path), Some(image_id(&reference).await));
}
