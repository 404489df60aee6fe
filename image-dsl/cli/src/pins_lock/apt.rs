//! The `[apt]` pins moved to what Debian serves now: the candidates come from the suites' signed
//! indexes read on the host ([`crate::engine::debian`]), so a lock needs no engine and no base.
//! Which pins move is decided on the typed pins; only their values are written into the document.

use std::collections::BTreeMap;

use image_dsl::pinfile::{AptPin, Section};
use toml_edit::{DocumentMut, Item, Value};

use super::{Change, LockReport, Problem};
pub use crate::engine::debian::Candidate;

/// Sets each `[apt]` pin to its candidate, recording changes and packages without one. A changed
/// line's comment names the suites offering the new version; the rest of it (after `;`) stays.
pub(super) fn apply(
    doc: &mut DocumentMut,
    apt: &Section<AptPin>,
    suite: &str,
    candidates: &BTreeMap<String, Candidate>,
    report: &mut LockReport,
) {
    for (package, pin) in apt.in_file_order() {
        match candidates.get(package.get_ref()) {
            Some(candidate) => set(doc, package.get_ref(), pin, candidate, report),
            None => report.problems.push(Problem::NoCandidate {
                package: package.get_ref().clone(),
                suite: suite.to_owned(),
            }),
        }
    }
}

/// Sets only the pins `candidates` names (`--withdrawn`); the others are not looked at.
pub(super) fn apply_some(
    doc: &mut DocumentMut,
    apt: &Section<AptPin>,
    candidates: &BTreeMap<String, Candidate>,
    report: &mut LockReport,
) {
    for (package, pin) in apt.in_file_order() {
        if let Some(candidate) = candidates.get(package.get_ref()) {
            set(doc, package.get_ref(), pin, candidate, report);
        }
    }
}

/// Replaces the version of `package`'s pin by `candidate`'s when they differ, recording the
/// change; its line's comment names the suites offering the new version.
fn set(
    doc: &mut DocumentMut,
    package: &str,
    pin: &AptPin,
    candidate: &Candidate,
    report: &mut LockReport,
) {
    let old = pin.version.get_ref();
    if candidate.version == *old {
        return;
    }
    let Some(value) = doc
        .get_mut("apt")
        .and_then(|apt| apt.get_mut(package))
        .and_then(Item::as_value_mut)
    else {
        return;
    };
    let decor = value.decor().clone();
    let old_comment = decor
        .suffix()
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_owned();
    let mut updated = Value::from(candidate.version.clone());
    *updated.decor_mut() = decor;
    updated
        .decor_mut()
        .set_suffix(comment(&old_comment, &candidate.suites));
    *value = updated;
    report.changes.push(Change {
        section: "apt",
        key: package.to_owned(),
        old: old.clone(),
        new: candidate.version.clone(),
        note: None,
    });
}

/// `   # bookworm-security` from the old trailing comment, keeping what followed its first `;`.
fn comment(old: &str, suites: &[String]) -> String {
    let lead = old.find('#').map_or("   ", |i| &old[..i]);
    let lead = if lead.is_empty() { "   " } else { lead };
    let rest = old.find(';').map(|i| &old[i..]).unwrap_or_default();
    if suites.is_empty() && rest.is_empty() {
        return old.to_owned();
    }
    format!("{lead}# {}{rest}", suites.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_candidates_replace_only_the_version_and_its_suites() {
        let text = "[debian]\nsuite = \"bookworm\"\n\n[apt]\n# above\ntini = \"0.0.1\"   # bookworm; NOTE stays\nbash = \"5.2\" # bookworm\n";
        let pins = image_dsl::pinfile::PinFile::parse(text).unwrap();
        let mut doc: DocumentMut = text.parse().unwrap();
        let candidates = BTreeMap::from([
            (
                "tini".to_owned(),
                Candidate {
                    version: "0.19.0-1+b3".into(),
                    suites: vec!["bookworm-security".into()],
                },
            ),
            (
                "bash".to_owned(),
                Candidate {
                    version: "5.2".into(),
                    suites: vec!["bookworm".into()],
                },
            ),
        ]);
        let mut report = LockReport::default();
        apply(&mut doc, &pins.apt, "bookworm", &candidates, &mut report);
        assert_eq!(
            doc.to_string(),
            text.replace(
                "tini = \"0.0.1\"   # bookworm;",
                "tini = \"0.19.0-1+b3\"   # bookworm-security;"
            )
        );
        assert_eq!(report.changes.len(), 1);
        assert_eq!(
            report.changes[0].to_string(),
            "apt tini: 0.0.1 → 0.19.0-1+b3"
        );
    }

    #[test]
    fn a_changed_version_keeps_the_note_after_the_suites() {
        let suites = ["bookworm-security".to_owned()];
        assert_eq!(
            comment("   # bookworm; NOTE kept", &suites),
            "   # bookworm-security; NOTE kept"
        );
        assert_eq!(comment("", &suites), "   # bookworm-security");
    }
}
