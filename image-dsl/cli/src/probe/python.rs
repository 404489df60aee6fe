//! The Python-stack probes. iceberg-python: pyiceberg creates a table in a local SQL (sqlite)
//! catalog, appends two pyarrow batches and reads them back (`image-dsl/cli/probes/iceberg.py`).
//! gpu-python: cudf, cuml and cupy import and find every CUDA library they load, with no GPU
//! (`image-dsl/cli/probes/gpu_python.py`).
//!
//! Spark images run them directly. A data-only Python layer (`python-deps:iceberg`, `:gpu`)
//! cannot run on its own, so the probe builds a derived image through the engine, as the model
//! describes the layer: the base of the stage that installed the venv, plus `COPY --from` of the
//! venv (`image-dsl-probe/<name>:<tag>`, content-hashed like any build, so reruns are no-ops).

use std::time::Duration;

use image_dsl::Image;

use super::jobs::{self, GPU_PY, ICEBERG_PY};
use super::plan::{data_only, venv_layer};
use super::{ContainerSpec, ProbeContext, ProbeError, ProbeKind, Sandbox, expect_ok};
use crate::engine::BuildSpec;

const LIMIT: Duration = Duration::from_secs(180);

/// Runs the `kind` job (iceberg-python or gpu-python) in the image (or its derived runnable
/// image).
pub async fn run(ctx: &ProbeContext, image: &Image, kind: ProbeKind) -> Result<String, ProbeError> {
    let reference = image.reference();
    let (runnable, python) = if data_only(image) {
        let (derived, venv) = derive(ctx, image, kind).await?;
        (derived, format!("{venv}/bin/python3"))
    } else {
        (reference.clone(), "python3".to_owned())
    };
    let (name, script) = match kind {
        ProbeKind::GpuPython => ("the RAPIDS import check", GPU_PY),
        _ => ("the pyiceberg job", ICEBERG_PY),
    };
    let mut sandbox = Sandbox::for_probe(ctx, &reference, kind);
    let job =
        ContainerSpec::new("python", &runnable, &[&python, &jobs::path(script)]).files(&[script]);
    let result = async {
        let finished = sandbox.run(job, LIMIT).await?;
        let facts = expect_ok(&sandbox, name, &finished)?;
        Ok(if runnable == reference {
            facts
        } else {
            format!("{facts} (in {runnable})")
        })
    }
    .await;
    sandbox.cleanup().await;
    result
}

/// The derived image's spec: `FROM <venv stage base>`, `COPY --from=<layer> <venv> <venv>`, as
/// the layer's user.
pub fn derived_spec(ctx: &ProbeContext, image: &Image) -> Option<(BuildSpec, String)> {
    let (base, venv) = venv_layer(image)?;
    let user = image
        .user()
        .map(|u| format!("USER {u}\n"))
        .unwrap_or_default();
    let spec = ctx.derived_spec(
        format!("image-dsl-probe/{}:{}", image.name, image.tag),
        &base,
        &image.reference(),
        (&venv, &venv),
        &user,
    );
    Some((spec, venv))
}

async fn derive(
    ctx: &ProbeContext,
    image: &Image,
    kind: ProbeKind,
) -> Result<(String, String), ProbeError> {
    let (spec, venv) = derived_spec(ctx, image).ok_or_else(|| ProbeError::Derived {
        image: image.reference(),
        probe: kind,
        derived: "a runnable image".to_owned(),
        message: "the model installs no virtual environment on a runnable base".to_owned(),
    })?;
    Ok((ctx.build_derived(image, kind, spec).await?, venv))
}
