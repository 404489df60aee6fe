//! Checks on rendered output: the Dockerfile parses with BuildKit's grammar (parse-dockerfile) and
//! the parsed form agrees with the model: the same stages, bases and final user.

use crate::model::{Base, Image};
use crate::render::{Rendered, alias};
use parse_dockerfile::{Instruction, parse};

/// A disagreement between a rendered Dockerfile and the image it came from.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The Dockerfile does not parse.
    #[error("{image}: the generated Dockerfile does not parse: {message}")]
    Parse {
        /// Image reference.
        image: String,
        /// Parser message.
        message: String,
    },
    /// Parsed and modeled forms differ.
    #[error("{image}: the generated Dockerfile disagrees with the model: {what}")]
    Mismatch {
        /// Image reference.
        image: String,
        /// What differs.
        what: String,
    },
}

/// Parse the rendered Dockerfile and compare its stages, bases and final user with the model.
pub fn round_trip(image: &Image, rendered: &Rendered) -> Result<(), VerifyError> {
    let reference = image.reference();
    let parsed = parse(&rendered.dockerfile).map_err(|e| VerifyError::Parse {
        image: reference.clone(),
        message: e.to_string(),
    })?;
    let mismatch = |what: String| VerifyError::Mismatch {
        image: reference.clone(),
        what,
    };

    let mut froms: Vec<(String, Option<String>)> = Vec::new();
    let mut last_user: Option<String> = None;
    // The user each named stage ends with: a stage built on another starts with its user.
    let mut stage_users: std::collections::HashMap<String, Option<String>> =
        std::collections::HashMap::new();
    for instruction in &parsed.instructions {
        match instruction {
            Instruction::From(from) => {
                if let Some((_, Some(name))) = froms.last() {
                    stage_users.insert(name.clone(), last_user.clone());
                }
                let base = from.image.value.to_string();
                last_user = stage_users.get(&base).cloned().flatten();
                froms.push((base, from.as_.as_ref().map(|(_, n)| n.value.to_string())));
            }
            Instruction::User(user) => last_user = Some(user.arguments.value.trim().to_owned()),
            _ => {}
        }
    }

    let mut expected: Vec<(String, Option<String>)> = Vec::new();
    for r in image.copy_sources() {
        let reference = r.reference();
        expected.push((reference.clone(), Some(alias(&reference))));
    }
    for stage in &image.stages {
        let base = match &stage.base {
            Base::Image(r) => r.reference(),
            Base::External(e) => e.reference.clone(),
            Base::Debian(suite) => suite.image_reference(),
            Base::Scratch => "scratch".to_owned(),
        };
        if stage.name.is_some() {
            expected.push((base, stage.name.clone()));
            continue;
        }
        // The image's own stage is split at each of its apt steps: `before-apt-N` ends where
        // the step starts, `apt-N` installs on it, and the stage goes on from `before-apt-N`.
        let mut base = base;
        for step in rendered.apt.iter().filter(|a| a.stage.is_none()) {
            let before = format!("before-{}", step.name);
            expected.push((base, Some(before.clone())));
            expected.push((before.clone(), Some(step.name.clone())));
            base = before;
        }
        expected.push((base, None));
    }
    if froms != expected {
        return Err(mismatch(format!("stages {froms:?}, model {expected:?}")));
    }
    let model_user = image.user().map(|u| u.to_string());
    if last_user != model_user {
        return Err(mismatch(format!(
            "final USER {last_user:?}, model {model_user:?}"
        )));
    }
    Ok(())
}
