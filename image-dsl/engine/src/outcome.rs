//! The outcome of a build run: one line per image and the summary table people read.

use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::time::Duration;

/// What happened to every image of a run.
#[derive(Debug, Default)]
pub struct BuildOutcome {
    /// One entry per image, parents before children.
    pub images: Vec<ImageOutcome>,
    /// How many times the engine's builder was invoked (0 on a no-op run).
    pub builder_calls: usize,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// What happened to one image.
#[derive(Debug)]
pub struct ImageOutcome {
    /// `name:tag`.
    pub reference: String,
    /// Built, up to date, failed or skipped.
    pub status: Status,
    /// Its size in bytes, when an image exists (also for a failed budget check).
    pub size: Option<u64>,
    /// Its budget in bytes.
    pub budget: u64,
    /// Time spent on it.
    pub elapsed: Duration,
    /// The content hash it is (or would be) labelled with.
    pub content_hash: String,
    /// Its build log, when it was built.
    pub log: Option<PathBuf>,
    /// Its SBOM, when this run wrote one.
    pub sbom: Option<crate::sbom::Summary>,
}

/// The state an image ended in.
#[derive(Debug)]
pub enum Status {
    /// Built and tagged.
    Built,
    /// The tag already pointed at an image with the same content hash; the builder was not called.
    UpToDate,
    /// The build or a check after it failed; the tag was left as it was.
    Failed(ImageError),
    /// Not attempted because an image it builds on failed.
    Skipped {
        /// The parent that failed or was skipped.
        because: String,
    },
}

impl Status {
    /// The word the summary table shows.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Built => "built",
            Status::UpToDate => "up to date",
            Status::Failed(ImageError::Unavailable { .. }) => "needs input",
            Status::Failed(_) => "failed",
            Status::Skipped { .. } => "skipped",
        }
    }
}

/// Why one image failed.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// A Dockerfile step failed.
    #[error("{image}: step `{step}` failed: {message}; see {}", log.display())]
    Step {
        /// The image.
        image: String,
        /// The Dockerfile step (`Step 3/7 : RUN ...`), or `build` before the first step.
        step: String,
        /// The engine's message.
        message: String,
        /// The full build log.
        log: PathBuf,
    },
    /// The built image exceeds its budget; it was removed and the tag left untouched.
    #[error("{image}: {} is over its budget of {}; largest layers:{}\n  shrink those layers or raise the budget in the declaration", human_size(*size), human_size(*budget), describe_layers(layers))]
    OverBudget {
        /// The image.
        image: String,
        /// Its size.
        size: u64,
        /// Its budget.
        budget: u64,
        /// The largest layers, largest first.
        layers: Vec<Layer>,
    },
    /// The engine failed outside a Dockerfile step.
    #[error("{image}: the engine failed at `{step}`: {message}; check `docker info` and {}", log.display())]
    Engine {
        /// The image.
        image: String,
        /// What was being done (`build`, `inspect`, `tag`, ...).
        step: &'static str,
        /// The engine's message.
        message: String,
        /// The build log.
        log: PathBuf,
    },
    /// The build context could not be assembled.
    #[error(transparent)]
    Context(#[from] super::context::ContextError),
    /// Its SBOM could not be written. A just-built image is removed, and the tag left where it
    /// was.
    #[error("{image}: writing its SBOM failed: {message}; run {} again, and check `docker info` if it fails the same way", crate::Fix::Build(image.clone()))]
    Sbom {
        /// The image.
        image: String,
        /// Why.
        message: String,
    },
    /// Not attempted (`--keep-going`): an input has no pinned checksum or could not be fetched.
    #[error(
        "{image}: not built, inputs missing here: {}; set the mirror each names (see {}) or run {} where they are reachable",
        inputs.join(", "),
        crate::Fix::Build(image.clone()),
        crate::Fix::Lock
    )]
    Unavailable {
        /// The image.
        image: String,
        /// Each missing input and why: `rapids-4-spark_2.12 26.10.0 (no checksum pinned)`.
        inputs: Vec<String>,
    },
}

/// One layer of an image's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Its size in bytes.
    pub size: u64,
    /// The instruction that made it.
    pub created_by: String,
}

fn describe_layers(layers: &[Layer]) -> String {
    let mut text = String::new();
    for layer in layers {
        let mut by: String = layer
            .created_by
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if by.is_empty() {
            by = "(imported base layer)".into();
        }
        if by.chars().count() > 100 {
            by = by.chars().take(99).collect::<String>() + "…";
        }
        let _ = write!(text, "\n  {:>10}  {by}", human_size(layer.size));
    }
    text
}

impl BuildOutcome {
    /// True when no image failed or was skipped.
    pub fn success(&self) -> bool {
        self.images
            .iter()
            .all(|image| matches!(image.status, Status::Built | Status::UpToDate))
    }

    /// The report of `reference`, if it was part of the run.
    pub fn image(&self, reference: &str) -> Option<&ImageOutcome> {
        self.images
            .iter()
            .find(|image| image.reference == reference)
    }

    /// The errors of the failed images, in order.
    pub fn failures(&self) -> impl Iterator<Item = &ImageError> {
        self.images.iter().filter_map(|image| match &image.status {
            Status::Failed(error) => Some(error),
            _ => None,
        })
    }

    /// The table printed at the end of a run: image, status, size, budget, time.
    pub fn summary_table(&self) -> String {
        let rows: Vec<[String; 5]> = self
            .images
            .iter()
            .map(|image| {
                [
                    image.reference.clone(),
                    image.status.word().to_owned(),
                    image.size.map(human_size).unwrap_or_else(|| "-".into()),
                    human_size(image.budget),
                    format!("{:.1}s", image.elapsed.as_secs_f64()),
                ]
            })
            .collect();
        let header = ["IMAGE", "STATUS", "SIZE", "BUDGET", "TIME"];
        let mut table = text_table(&header, &rows, &[false, false, true, true, true]);
        let count = |word| {
            self.images
                .iter()
                .filter(|i| i.status.word() == word)
                .count()
        };
        let _ = writeln!(
            table,
            "{} built, {} up to date, {} failed, {} need inputs, {} skipped in {:.2}s",
            count("built"),
            count("up to date"),
            count("failed"),
            count("needs input"),
            count("skipped"),
            self.elapsed.as_secs_f64()
        );
        table
    }
}

impl BuildOutcome {
    /// One line per SBOM this run wrote, then what each found missing or undeclared.
    pub fn sbom_lines(&self) -> String {
        let mut text = String::new();
        for image in &self.images {
            let Some(sbom) = &image.sbom else { continue };
            let _ = writeln!(
                text,
                "sbom {}: {} ({})",
                image.reference,
                sbom.line(),
                sbom.path.display()
            );
            for missing in &sbom.missing {
                let _ = writeln!(text, "  declared but not found: {missing}");
            }
            const SHOWN: usize = 8;
            if !sbom.undeclared.is_empty() {
                let more = sbom.undeclared.len().saturating_sub(SHOWN);
                let _ = writeln!(
                    text,
                    "  found but not declared: {}{}",
                    sbom.undeclared[..sbom.undeclared.len().min(SHOWN)].join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                );
            }
        }
        text
    }
}

impl fmt::Display for BuildOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for image in &self.images {
            match &image.status {
                Status::Failed(error) => writeln!(f, "error: {error}")?,
                Status::Skipped { because } => writeln!(
                    f,
                    "skipped: {} because {because} did not build",
                    image.reference
                )?,
                _ => {}
            }
        }
        f.write_str(&self.summary_table())
    }
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        text.chars().take(max - 1).collect::<String>() + "…"
    }
}

/// Rows under `header` in columns as wide as their widest cell, two spaces apart, right-aligned
/// where `right` says so; lines end without trailing spaces.
pub fn text_table<R: AsRef<[String]>>(header: &[&str], rows: &[R], right: &[bool]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row.as_ref()) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let mut table = String::new();
    for row in std::iter::once(header.as_slice()).chain(rows.iter().map(AsRef::as_ref)) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .zip(right.iter().chain(std::iter::repeat(&false)))
            .map(|((cell, &w), &right)| {
                if right {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        table.push_str(cells.join("  ").trim_end());
        table.push('\n');
    }
    table
}
/// Sizes as people read them: `74.8 MB` (powers of 1000, like `docker images`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lines_up_and_counts_statuses() {
        let report = BuildOutcome {
            images: vec![
                ImageOutcome {
                    reference: "spark:3.5.7".into(),
                    status: Status::Built,
                    size: Some(812_300_000),
                    budget: 900_000_000,
                    elapsed: Duration::from_millis(61_200),
                    content_hash: String::new(),
                    log: None,
                    sbom: None,
                },
                ImageOutcome {
                    reference: "spark:3.5.7-iceberg".into(),
                    status: Status::Skipped {
                        because: "spark:3.5.7".into(),
                    },
                    size: None,
                    budget: 1_000_000_000,
                    elapsed: Duration::ZERO,
                    content_hash: String::new(),
                    log: None,
                    sbom: None,
                },
            ],
            builder_calls: 1,
            elapsed: Duration::from_secs(62),
        };
        let table = report.summary_table();
        assert!(
            table.contains("spark:3.5.7          built    812.3 MB  900.0 MB  61.2s\n"),
            "{table}"
        );
        assert!(
            table.contains("1 built, 0 up to date, 0 failed, 0 need inputs, 1 skipped"),
            "{table}"
        );
        assert!(!report.success());
    }
}
