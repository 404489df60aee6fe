//! Checks on a whole catalog that no single declaration can make: every `name:tag` is declared
//! once, no image builds on itself through its parents, and an image that carries the RAPIDS
//! Accelerator (its jar, fetched by an image it copies from or builds on) says so with a `gpu`
//! variant, so that the compile-time support rule ran on its Spark release.
//!
//! Among `image!` declarations the last two are already compile errors (each image's
//! `__private::Facts` is a constant computed from the images it references: a cycle is a cycle
//! between constants, and a reference that brings RAPIDS into an image without a gpu variant fails
//! a const assertion at that reference). Duplicates cannot be seen from one declaration, and
//! `Image` values are also built by hand; a test calls [`check`] on the catalog so `cargo test`
//! refuses all three, with each declaration's file, before the engine would.

use crate::model::{Base, Image};
use std::collections::HashMap;

/// A catalog: its images, and which of them play the parts the tools around them need (the
/// services probes start beside the images they prove, the cluster images exported with a compose
/// kit). The tools find images by these roles, never by a name of their own.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Every image, in declaration order.
    pub images: Vec<Image>,
    /// Catalog images the probes start as services.
    pub services: Services,
    /// Cluster images exported with a compose kit.
    pub kits: Vec<Kit>,
}

/// Catalog images (`name:tag`) the probes start as services; a probe needing one the catalog
/// does not have is skipped, naming it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Services {
    /// A PostgreSQL server started with `POSTGRES_PASSWORD` (JDBC and Iceberg catalog probes).
    pub postgresql: Option<String>,
    /// A MariaDB server started with `MARIADB_USER`/`MARIADB_DATABASE`/`MARIADB_PASSWORD`.
    pub mariadb: Option<String>,
    /// An Iceberg REST catalog backed by the PostgreSQL service.
    pub iceberg_rest: Option<String>,
}

/// Images exported with a compose cluster kit (master and workers): every image named `image`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kit {
    /// The images' name.
    pub image: &'static str,
    /// Every variable the image reads, documented in the kit's `.env.example`.
    pub settings: &'static [Setting],
    /// The declaration's source file, which the kit's files name as the place to edit.
    pub source: &'static str,
}

/// A setting of a cluster image: an environment variable, its meaning, and whether it is a
/// secret (never given a default; documented as empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// Variable name.
    pub name: &'static str,
    /// What it does.
    pub doc: &'static str,
    /// A secret: no default anywhere, passed at run time.
    pub secret: bool,
}

/// A catalog-wide defect, with the source file of each declaration involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// Two declarations produce the same `name:tag`.
    #[error(
        "{reference} is declared twice, in {first} and in {second}: give one another name or tag"
    )]
    Duplicate {
        /// The `name:tag`.
        reference: String,
        /// Source file of the first declaration.
        first: String,
        /// Source file of the second.
        second: String,
    },
    /// An image carries the RAPIDS jar without declaring a `gpu` variant, so no rule checked that
    /// its Spark release has a RAPIDS shim.
    #[error(
        "{reference} ({source_file}) carries the RAPIDS Accelerator ({jar}, from {from}) but {why}; declare `spark \"<version>\" variant \"gpu\"` (or \"gpu-iceberg\") so the supported-combination rule checks its Spark release"
    )]
    UndeclaredRapids {
        /// The image.
        reference: String,
        /// Its source file.
        source_file: String,
        /// The RAPIDS artifact's key.
        jar: String,
        /// The image that fetches it.
        from: String,
        /// What the image declares instead.
        why: String,
    },
    /// Images build on each other in a cycle.
    #[error("images build on each other in a cycle: {}; break it in their declarations", .cycle.join(" -> "))]
    Cycle {
        /// Each image of the cycle as `name:tag (source file)`, the first repeated at the end.
        cycle: Vec<String>,
    },
}

/// Every duplicate `name:tag` and every cycle among `images` and the images they build on.
pub fn check(images: &[Image]) -> Vec<CatalogError> {
    let mut errors = Vec::new();
    let mut seen: HashMap<String, &'static str> = HashMap::new();
    for image in images {
        if let Some(first) = seen.insert(image.reference(), image.source) {
            errors.push(CatalogError::Duplicate {
                reference: image.reference(),
                first: crate::render::source_path(first).to_owned(),
                second: crate::render::source_path(image.source).to_owned(),
            });
        }
    }
    // Depth-first over parents, following the references themselves so images outside the list
    // count too; `path` is the current chain, `done` what is known to be acyclic.
    let mut done: Vec<String> = Vec::new();
    for image in images {
        let mut path: Vec<(String, String)> = Vec::new();
        visit(image, &mut path, &mut done, &mut errors);
    }
    if errors
        .iter()
        .all(|e| !matches!(e, CatalogError::Cycle { .. }))
    {
        errors.extend(images.iter().filter_map(undeclared_rapids));
    }
    errors
}

/// An image that runs (not a `from scratch` layer) and carries a RAPIDS jar, fetched by itself or
/// by an image it builds on or copies from, must be a `gpu` Spark variant, itself or through the
/// image it builds on.
fn undeclared_rapids(image: &Image) -> Option<CatalogError> {
    if matches!(image.final_stage().base, Base::Scratch) {
        return None;
    }
    let (jar, from) = rapids_source(image, &mut Vec::new())?;
    let why = match declared_flavor(image) {
        Some(flavor) if flavor.gpu() => return None,
        Some(_) => "its Spark variant is not a gpu one".to_owned(),
        None => "it declares no Spark release".to_owned(),
    };
    Some(CatalogError::UndeclaredRapids {
        reference: image.reference(),
        source_file: crate::render::source_path(image.source).to_owned(),
        jar,
        from,
        why,
    })
}

/// The first RAPIDS artifact `image` or a parent fetches, and which image fetches it.
fn rapids_source(image: &Image, seen: &mut Vec<String>) -> Option<(String, String)> {
    let reference = image.reference();
    if seen.contains(&reference) {
        return None;
    }
    seen.push(reference.clone());
    if let Some(pin) = image
        .artifacts()
        .iter()
        .find(|a| crate::spark::is_rapids_artifact(a.key))
    {
        return Some((pin.key.to_owned(), reference));
    }
    image
        .parents()
        .iter()
        .find_map(|parent| rapids_source(&parent.image(), seen))
}

/// The Spark flavour `image` declares, or the one of the image its final stage builds on.
fn declared_flavor(image: &Image) -> Option<crate::model::SparkFlavor> {
    image.spark.or_else(|| match &image.final_stage().base {
        Base::Image(base) => declared_flavor(&base.image()),
        _ => None,
    })
}

fn visit(
    image: &Image,
    path: &mut Vec<(String, String)>,
    done: &mut Vec<String>,
    errors: &mut Vec<CatalogError>,
) {
    let reference = image.reference();
    if done.contains(&reference) {
        return;
    }
    if let Some(start) = path.iter().position(|(r, _)| *r == reference) {
        let mut cycle: Vec<String> = path[start..]
            .iter()
            .map(|(r, source)| format!("{r} ({source})"))
            .collect();
        cycle.push(cycle[0].clone());
        errors.push(CatalogError::Cycle { cycle });
        return;
    }
    let source = crate::render::source_path(image.source).to_owned();
    path.push((reference.clone(), source));
    for parent in image.parents() {
        visit(&parent.image(), path, done, errors);
    }
    path.pop();
    done.push(reference);
}

#[cfg(test)]
mod tests {
    use super::{CatalogError, check};
    use crate::model::{
        Base, Copy, CopySource, DebianSuite, Image, ImageRef, SizeBudget, SparkFlavor,
        SparkVariant, SparkVersion, Stage, Step,
    };
    use crate::pin::{ArtifactPin, Checksum, Source};

    fn image(name: &str, base: Base) -> Image {
        Image {
            name: name.to_owned(),
            tag: "1".to_owned(),
            description: String::new(),
            source: "images/src/test.rs",
            budget: SizeBudget(1),
            spark: None,
            stages: vec![Stage {
                name: None,
                base,
                steps: Vec::new(),
            }],
        }
    }

    fn a() -> Image {
        image("a", Base::Image(ImageRef { load: b }))
    }

    fn b() -> Image {
        image("b", Base::Image(ImageRef { load: a }))
    }

    fn root() -> Image {
        image("root", Base::Debian(DebianSuite::Bookworm))
    }

    #[test]
    fn duplicates_name_both_sources() {
        let errors = check(&[root(), root()]);
        assert_eq!(
            errors,
            [CatalogError::Duplicate {
                reference: "root:1".into(),
                first: "images/src/test.rs".into(),
                second: "images/src/test.rs".into(),
            }]
        );
    }

    #[test]
    fn a_cycle_is_found_once_with_its_images() {
        let errors = check(&[a(), b(), root()]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].to_string(),
            "images build on each other in a cycle: a:1 (images/src/test.rs) -> b:1 (images/src/test.rs) -> a:1 (images/src/test.rs); break it in their declarations"
        );
    }

    fn rapids_layer() -> Image {
        let mut layer = image("jars-rapids", Base::Scratch);
        layer.stages[0].steps.push(Step::Artifact {
            pin: RAPIDS_PIN,
            dest: "/opt/jars/rapids-4-spark_2.13.jar".into(),
        });
        layer
    }

    const RAPIDS_PIN: ArtifactPin = ArtifactPin {
        key: "rapids-4-spark_2.13",
        version: "26.08.1",
        source: Source::Maven {
            group: "com.nvidia",
            artifact: "rapids-4-spark_2.13",
            classifier: "",
        },
        checksum: Checksum::Sha256("00"),
    };

    fn copies_rapids(name: &str, spark: Option<SparkFlavor>) -> Image {
        let mut img = image(name, Base::Image(ImageRef { load: root }));
        img.spark = spark;
        img.stages[0].steps.push(Step::Copy(Copy {
            from: CopySource::Image(ImageRef { load: rapids_layer }),
            src: vec!["/opt/jars/".into()],
            dest: "/opt/spark/jars/".into(),
            chown: None,
        }));
        img
    }

    fn flavor(gpu: bool) -> SparkFlavor {
        SparkFlavor {
            version: SparkVersion {
                major: 4,
                minor: 1,
                patch: 0,
            },
            variant: if gpu {
                SparkVariant::Gpu
            } else {
                SparkVariant::Baseline
            },
            notebook: false,
        }
    }

    #[test]
    fn rapids_jars_need_a_gpu_variant_declared() {
        let bare = check(&[root(), rapids_layer(), copies_rapids("bare", None)]);
        assert_eq!(bare.len(), 1, "{bare:?}");
        let text = bare[0].to_string();
        assert!(
            text.starts_with("bare:1 (images/src/test.rs) carries the RAPIDS Accelerator (rapids-4-spark_2.13, from jars-rapids:1) but it declares no Spark release"),
            "{text}"
        );
        let baseline = check(&[copies_rapids("baseline", Some(flavor(false)))]);
        assert!(
            baseline[0]
                .to_string()
                .contains("its Spark variant is not a gpu one")
        );
        // Declared as gpu, the compile-time rule has checked the combination; the layer itself
        // (`from scratch`) runs nothing.
        assert_eq!(
            check(&[copies_rapids("gpu", Some(flavor(true))), rapids_layer()]),
            []
        );
    }

    #[test]
    fn a_tree_is_fine() {
        let leaf = image("leaf", Base::Image(ImageRef { load: root }));
        assert_eq!(check(&[root(), leaf]), []);
    }
}
