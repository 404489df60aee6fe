//! Checks on a whole catalog that no single declaration can make: every `name:tag` is declared
//! once, and no image builds on itself through its parents. The engine would refuse both only
//! at build time; a test calls [`check`] on the catalog so `cargo test` refuses them first.

use crate::model::Image;
use std::collections::HashMap;

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
    errors
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
    use crate::model::{Base, DebianSuite, Image, ImageRef, SizeBudget, Stage};

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

    #[test]
    fn a_tree_is_fine() {
        let leaf = image("leaf", Base::Image(ImageRef { load: root }));
        assert_eq!(check(&[root(), leaf]), []);
    }
}
