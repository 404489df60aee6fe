//! The `requires` of each `[pip]` pin, from its wheel's own metadata (`Requires-Dist`, read
//! from the index's PEP 658 `.metadata` file, not the wheel): what an image installs is the
//! closure of these lists, so a dependency missing from them is missing from the image.
//!
//! Markers are evaluated for the images' interpreter (CPython 3.11 on Linux x86_64). A
//! dependency asked for with extras (`cuda-toolkit[cudart]`) brings the packages those extras
//! add; as the pin format lists names only, they are listed under the pin that asks for them,
//! so the closure of names is what pip would install.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use pep508_rs::{ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, Requirement};

use crate::engine::fetch::normalize_project;

/// The environment the images' wheels are installed in: Debian bookworm's python3.
pub fn environment() -> MarkerEnvironment {
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.11.2",
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "",
        platform_system: "Linux",
        platform_version: "",
        python_full_version: "3.11.2",
        python_version: "3.11",
        sys_platform: "linux",
    })
    .unwrap_or_else(|e| unreachable!("a fixed, valid marker environment: {e}"))
}

/// The `Requires-Dist` requirements of a METADATA file; lines that do not parse are returned as
/// errors.
pub fn requires_dist(metadata: &str) -> Result<Vec<Requirement>, String> {
    metadata
        .lines()
        // The headers end at the first empty line; the description follows.
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix("Requires-Dist:"))
        .map(|value| {
            Requirement::from_str(value.trim()).map_err(|e| format!("`{}`: {e}", value.trim()))
        })
        .collect()
}

/// What a pin's metadata says it needs: each dependency's normalized name with the chain that
/// asks for it (`cuda-toolkit[cudart]==12.* → nvidia-cuda-runtime-cu12==12.9.79.*`). `Err`
/// names a package whose metadata is needed for that and missing.
pub fn needed(
    name: &str,
    metadata: &BTreeMap<String, Vec<Requirement>>,
    env: &MarkerEnvironment,
) -> Result<BTreeMap<String, String>, String> {
    if !metadata.contains_key(name) {
        return Err(name.to_owned());
    }
    let mut out = BTreeMap::new();
    let mut seen: BTreeSet<(String, Vec<ExtraName>)> = BTreeSet::new();
    let mut extras_to_expand: Vec<(String, Vec<ExtraName>, String)> = Vec::new();
    for requirement in metadata.get(name).into_iter().flatten() {
        if !requirement.evaluate_markers(env, &[]) {
            continue;
        }
        let dependency = normalize_project(requirement.name.as_ref());
        out.entry(dependency.clone())
            .or_insert_with(|| requirement.to_string());
        if !requirement.extras.is_empty() {
            extras_to_expand.push((
                dependency,
                requirement.extras.clone(),
                requirement.to_string(),
            ));
        }
    }
    while let Some((package, extras, via)) = extras_to_expand.pop() {
        if !seen.insert((package.clone(), extras.clone())) {
            continue;
        }
        let Some(requirements) = metadata.get(&package) else {
            return Err(package);
        };
        for requirement in requirements {
            // Only what the extras add: the package's own dependencies are its pin's business.
            if !requirement.evaluate_markers(env, &extras) || requirement.evaluate_markers(env, &[])
            {
                continue;
            }
            let dependency = normalize_project(requirement.name.as_ref());
            let chain = format!("{via} → {}", without_marker(requirement));
            if dependency != name {
                out.entry(dependency.clone())
                    .or_insert_with(|| chain.clone());
            }
            if !requirement.extras.is_empty() {
                extras_to_expand.push((dependency, requirement.extras.clone(), chain));
            }
        }
    }
    Ok(out)
}

/// `name[extras]specifier`, as the chain in messages shows a requirement.
fn without_marker(requirement: &Requirement) -> String {
    let extras = if requirement.extras.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = requirement.extras.iter().map(ToString::to_string).collect();
        format!("[{}]", names.join(","))
    };
    let version = requirement
        .version_or_url
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    format!("{}{extras}{version}", requirement.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(entries: &[(&str, &str)]) -> BTreeMap<String, Vec<Requirement>> {
        entries
            .iter()
            .map(|(name, text)| ((*name).to_owned(), requires_dist(text).unwrap()))
            .collect()
    }

    /// The shape that left libcudart out of python-deps:gpu: every dependency of cuda-toolkit is
    /// behind an extra, and numba-cuda's extra asks for more extras.
    #[test]
    fn extras_bring_what_they_add_to_the_pin_that_asks() {
        let meta = metadata(&[
            (
                "cudf-cu12",
                "Metadata-Version: 2.1\nName: cudf-cu12\nRequires-Dist: numpy<3\nRequires-Dist: cuda-toolkit[nvrtc]==12.*\nRequires-Dist: numba-cuda[cu12]<0.29\nRequires-Dist: pytest; extra == \"test\"\nRequires-Dist: pywin32; sys_platform == \"win32\"\n\nRequires-Dist: in-the-description\n",
            ),
            (
                "cuda-toolkit",
                "Requires-Dist: nvidia-cuda-nvrtc-cu12==12.9.86.*; extra == \"nvrtc\"\nRequires-Dist: nvidia-cuda-runtime-cu12==12.9.79.*; extra == \"cudart\"\nRequires-Dist: nvidia-cublas-cu12; extra == \"cublas\"\n",
            ),
            (
                "numba-cuda",
                "Requires-Dist: numba>=0.60\nRequires-Dist: cuda-toolkit[cudart]==12.*; extra == \"cu12\"\n",
            ),
        ]);
        let needed = needed("cudf-cu12", &meta, &environment()).unwrap();
        let names: Vec<&str> = needed.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "cuda-toolkit",
                "numba-cuda",
                "numpy",
                "nvidia-cuda-nvrtc-cu12",
                "nvidia-cuda-runtime-cu12",
            ]
        );
        assert!(
            needed["nvidia-cuda-runtime-cu12"].starts_with("numba-cuda[cu12]")
                && needed["nvidia-cuda-runtime-cu12"].contains("cuda-toolkit[cudart]"),
            "{needed:?}"
        );
        // numba-cuda's own dependencies stay with numba-cuda.
        assert!(!needed.contains_key("numba"));
        assert!(
            super::needed("numba-cuda", &meta, &environment())
                .unwrap()
                .contains_key("numba")
        );
        assert_eq!(
            super::needed("numpy", &meta, &environment()),
            Err("numpy".to_owned())
        );
    }
}
