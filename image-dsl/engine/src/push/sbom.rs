//! The SBOM the build wrote for each image (`BuildOptions::sbom_dir`), read before anything is
//! pushed: an image goes up only with an SBOM of the very build being pushed, told by the
//! `image-dsl:image-id` property of its CycloneDX metadata.

use std::fmt;
use std::path::{Path, PathBuf};

use bollard::Docker;

pub use crate::sbom::{IMAGE_ID_PROPERTY, described_image};

/// An image's SBOM as the build wrote it: the bytes that go to the registry unchanged.
#[derive(Debug, Clone)]
pub(crate) struct Sbom {
    /// Its file name, the artifact layer's title.
    pub file_name: String,
    /// The file, byte for byte.
    pub bytes: Vec<u8>,
}

/// Why an image's SBOM cannot go up with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SbomProblem {
    /// There is no SBOM file.
    Missing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The file cannot be read, is not JSON, or names no image.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The SBOM describes another build of the image.
    OtherBuild {
        /// The file.
        path: PathBuf,
        /// The image ID it describes.
        described: String,
        /// The local image's ID.
        built: String,
    },
}

impl fmt::Display for SbomProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SbomProblem::Missing { path } => write!(f, "has no SBOM at {}", path.display()),
            SbomProblem::Unreadable { path, message } => {
                write!(f, "has an unusable SBOM at {}: {message}", path.display())
            }
            SbomProblem::OtherBuild {
                path,
                described,
                built,
            } => write!(
                f,
                "has an SBOM at {} of another build ({described}; the image is {built})",
                path.display()
            ),
        }
    }
}

/// Reads `file_name` in `dir`, the SBOM of the local image `tag`, and checks that it describes
/// that image as the engine has it now.
pub(crate) async fn read(
    docker: &Docker,
    dir: &Path,
    file_name: &str,
    tag: &str,
) -> Result<Sbom, SbomProblem> {
    let path = dir.join(file_name);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SbomProblem::Missing { path });
        }
        Err(e) => {
            return Err(SbomProblem::Unreadable {
                path,
                message: e.to_string(),
            });
        }
    };
    let described = described_image(&bytes).map_err(|message| SbomProblem::Unreadable {
        path: path.clone(),
        message,
    })?;
    // Freshness has just found the image, so an inspection that fails now is a vanished image:
    // its ID is then nothing an SBOM can match.
    let built = docker
        .inspect_image(tag)
        .await
        .ok()
        .and_then(|image| image.id)
        .unwrap_or_else(|| "gone".to_owned());
    if described != built {
        return Err(SbomProblem::OtherBuild {
            path,
            described,
            built,
        });
    }
    Ok(Sbom {
        file_name: file_name.to_owned(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_id_is_a_property_of_the_metadata() {
        let sbom =
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"properties": [
            {"name": "other", "value": "x"},
            {"name": "image-dsl:image-id", "value": "sha256:ab"}]}}"#;
        assert_eq!(described_image(sbom).as_deref(), Ok("sha256:ab"));
        let none = br#"{"bomFormat": "CycloneDX", "metadata": {}}"#;
        assert!(
            described_image(none)
                .unwrap_err()
                .contains("no `image-dsl:image-id` property")
        );
        assert!(described_image(b"<bom/>").unwrap_err().contains("not JSON"));
    }
}
