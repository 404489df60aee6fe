//! The startup bench's numbers: medians with their spread, one markdown table per image (phase ×
//! column), and the goals met or not.

use std::fmt::Write as _;
use std::time::Duration;

use super::{GOALS, Goal, ImageBench, Phase, Sample};
use crate::engine::graph::glob_match;

/// Median, minimum and maximum of some runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// The middle run (the mean of the two middle ones for an even count).
    pub median: Duration,
    /// The fastest run.
    pub min: Duration,
    /// The slowest run.
    pub max: Duration,
    /// How many runs.
    pub runs: usize,
}

/// The stats of `times`; `None` when there are none.
pub fn stats(times: &[Duration]) -> Option<Stats> {
    let mut sorted = times.to_vec();
    sorted.sort();
    let n = sorted.len();
    let median = match n {
        0 => return None,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    };
    Some(Stats {
        median,
        min: sorted[0],
        max: sorted[n - 1],
        runs: n,
    })
}

/// Seconds with two decimals.
fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

impl Stats {
    /// `1.23 (1.20–1.31)`, or `1.23` for one run.
    pub fn cell(&self) -> String {
        if self.runs == 1 {
            secs(self.median)
        } else {
            format!(
                "{} ({}–{})",
                secs(self.median),
                secs(self.min),
                secs(self.max)
            )
        }
    }
}

impl ImageBench {
    /// The stats of one measure of the samples of `phase` in `column` (`pick` chooses which).
    pub fn stats(
        &self,
        phase: Option<Phase>,
        column: usize,
        pick: impl Fn(&Sample) -> Option<Duration>,
    ) -> Option<Stats> {
        let times: Vec<Duration> = self
            .samples
            .iter()
            .filter(|s| s.column == column && phase.is_none_or(|p| s.phase == p))
            .filter_map(pick)
            .collect();
        stats(&times)
    }

    /// The median of `phase` as built.
    pub fn median(&self, phase: Phase) -> Option<Duration> {
        self.stats(Some(phase), 0, |s| Some(s.total))
            .map(|s| s.median)
    }
}

/// One row: a label and, per column, its stats.
fn row(out: &mut String, bench: &ImageBench, label: &str, cells: impl Fn(usize) -> Option<Stats>) {
    let base = cells(0);
    let _ = write!(out, "| {label} |");
    for c in 0..bench.columns.len() {
        let cell = match (cells(c), base) {
            (Some(s), Some(b)) if c > 0 => {
                let delta = s.median.as_secs_f64() - b.median.as_secs_f64();
                format!("{} {:+.2}", s.cell(), delta)
            }
            (Some(s), _) => s.cell(),
            (None, _) => "–".to_owned(),
        };
        let _ = write!(out, " {cell} |");
    }
    out.push('\n');
}

/// The markdown section of one image: what was run, the table, the notes and the goals.
pub fn markdown(bench: &ImageBench) -> String {
    let image = &bench.image;
    let mut out = format!("## {}\n\n", image.reference);
    let short_id = image.id.trim_start_matches("sha256:");
    let _ = writeln!(
        out,
        "Image `{}`, user `{}`, Python `{}`. Seconds from `docker run` (the create request) to the \
         phase's marker in the container's output, timed on the host: median (min–max) of {} \
         run{}{}; each undone column also shows its difference to the image as built.\n",
        &short_id[..short_id.len().min(12)],
        if image.user.is_empty() {
            "root"
        } else {
            &image.user
        },
        image.python,
        bench.runs,
        if bench.runs == 1 { "" } else { "s" },
        if bench.warm_up {
            ", after one uncounted warm-up run"
        } else {
            ", no warm-up run"
        },
    );
    if bench.phases.is_empty() {
        for note in &bench.notes {
            let _ = writeln!(out, "- {note}");
        }
        return out;
    }
    out.push_str("| phase |");
    for column in &bench.columns {
        let _ = write!(out, " {} |", column.name);
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(bench.columns.len()));
    out.push('\n');
    for &phase in &bench.phases {
        row(&mut out, bench, phase.label(), |c| {
            bench.stats(Some(phase), c, |s| Some(s.total))
        });
        if phase == Phase::Import {
            row(
                &mut out,
                bench,
                "↳ the import statement alone, timed inside Python",
                |c| bench.stats(Some(phase), c, |s| s.inside),
            );
        }
    }
    row(
        &mut out,
        bench,
        "engine: create + start of a container (every run)",
        |c| bench.stats(None, c, |s| Some(s.engine)),
    );
    out.push('\n');
    for note in &bench.notes {
        let _ = writeln!(out, "- {note}");
    }
    let verdicts = verdicts(bench);
    if !verdicts.is_empty() {
        out.push_str("\nGoals (the image as built):\n\n");
        for verdict in verdicts {
            let _ = writeln!(out, "- {verdict}");
        }
    }
    out
}

/// A goal judged on one image.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The goal.
    pub goal: Goal,
    /// Whether it is met.
    pub met: bool,
    /// The measured median and what else explains it.
    pub detail: String,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ≤ {} s: **{}**: {}",
            self.goal.what,
            self.goal.seconds,
            if self.met { "met" } else { "NOT met" },
            self.detail
        )
    }
}

/// The goals that apply to `bench`'s image and phases, judged on the image as built.
pub fn verdicts(bench: &ImageBench) -> Vec<Verdict> {
    let spark = bench.image.spark.as_deref().unwrap_or_default();
    GOALS
        .iter()
        .filter(|g| glob_match(g.spark, spark) && bench.phases.contains(&g.phase))
        .filter_map(|goal| {
            let median = bench.median(goal.phase)?;
            let mut detail = format!("{} s", secs(median));
            if goal.phase == Phase::Import
                && let Some(inside) = bench.stats(Some(Phase::Import), 0, |s| s.inside)
            {
                let _ = write!(
                    detail,
                    " (the import statement alone {} s)",
                    secs(inside.median)
                );
            }
            let uid = bench.image.user.split(':').next().unwrap_or_default();
            let wrong_user = goal.uid.filter(|want| *want != uid);
            if let Some(want) = wrong_user {
                let _ = write!(
                    detail,
                    "; the image runs as `{}`, not uid {want}",
                    bench.image.user
                );
            }
            Some(Verdict {
                goal: *goal,
                met: median.as_secs_f64() <= goal.seconds && wrong_user.is_none(),
                detail,
            })
        })
        .collect()
}

/// The report file: a header saying where it comes from and on what machine, then each image.
pub fn document(header: &str, benches: &[ImageBench]) -> String {
    let mut out = format!("# Startup bench\n\n{header}\n\n");
    for bench in benches {
        out.push_str(&markdown(bench));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{BuiltImage, Column};
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(stats(&[]), None);
        let odd = stats(&[ms(900), ms(100), ms(500)]).unwrap();
        assert_eq!(
            (odd.median, odd.min, odd.max, odd.runs),
            (ms(500), ms(100), ms(900), 3)
        );
        assert_eq!(
            stats(&[ms(400), ms(100), ms(200), ms(900)]).unwrap().median,
            ms(300)
        );
        assert_eq!(stats(&[ms(1234)]).unwrap().cell(), "1.23");
        assert_eq!(odd.cell(), "0.50 (0.10–0.90)");
    }

    fn bench(spark: &str, user: &str) -> ImageBench {
        let sample = |phase, column, total, inside: Option<u64>| Sample {
            phase,
            column,
            total: ms(total),
            engine: ms(200),
            inside: inside.map(ms),
        };
        ImageBench {
            image: BuiltImage {
                reference: format!("spark-{spark}:baseline"),
                tag: format!("spark-{spark}:baseline"),
                id: "sha256:0123456789abcdef".into(),
                user: user.into(),
                python: "/opt/venv/bin/python3".into(),
                entrypoint: "/opt/entrypoint.sh".into(),
                size: 1,
                spark: Some(spark.into()),
            },
            runs: 3,
            warm_up: true,
            phases: vec![Phase::Import, Phase::Job],
            columns: vec![
                Column {
                    name: "as built".into(),
                    id: "a".into(),
                    env: vec![],
                },
                Column {
                    name: "no bytecode".into(),
                    id: "b".into(),
                    env: vec![],
                },
            ],
            samples: vec![
                sample(Phase::Import, 0, 700, Some(400)),
                sample(Phase::Import, 0, 800, Some(500)),
                sample(Phase::Import, 0, 750, Some(450)),
                sample(Phase::Import, 1, 2000, Some(1700)),
                sample(Phase::Import, 1, 2100, Some(1800)),
                sample(Phase::Import, 1, 1900, Some(1600)),
                sample(Phase::Job, 0, 6000, None),
                sample(Phase::Job, 0, 5000, None),
                sample(Phase::Job, 0, 5800, None),
                sample(Phase::Job, 1, 7000, None),
                sample(Phase::Job, 1, 7100, None),
                sample(Phase::Job, 1, 6900, None),
            ],
            notes: vec!["natives: size only, not a startup cost (not measured)".into()],
        }
    }

    #[test]
    fn the_table_has_a_row_per_phase_a_column_per_variant_and_the_differences() {
        let text = markdown(&bench("3.5.8", "185:0"));
        assert!(text.starts_with("## spark-3.5.8:baseline\n"), "{text}");
        assert!(
            text.contains("| phase | as built | no bytecode |\n|---|---:|---:|\n"),
            "{text}"
        );
        assert!(
            text.contains("| first Python import (pyspark, pandas, pyarrow) | 0.75 (0.70–0.80) | 2.00 (1.90–2.10) +1.25 |"),
            "{text}"
        );
        assert!(text.contains("| ↳ the import statement alone, timed inside Python | 0.45 (0.40–0.50) | 1.70 (1.60–1.80) +1.25 |"), "{text}");
        assert!(text.contains("| engine: create + start of a container (every run) | 0.20 (0.20–0.20) | 0.20 (0.20–0.20) +0.00 |"), "{text}");
        assert!(text.contains("- natives: size only"), "{text}");
        assert!(
            text.contains("median (min–max) of 3 runs, after one uncounted warm-up run"),
            "{text}"
        );
    }

    #[test]
    fn goals_apply_by_spark_line_and_name_the_number() {
        let three = verdicts(&bench("3.5.8", "185:0"));
        let lines: Vec<String> = three.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].contains("≤ 0.8 s: **met**: 0.75 s (the import statement alone 0.45 s)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with("local PySpark job on 3.5.x"),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].ends_with("≤ 5.5 s: **NOT met**: 5.80 s"),
            "{}",
            lines[1]
        );
        let four = verdicts(&bench("4.1.1", "185:0"));
        assert!(four[1].met && four[1].goal.seconds == 7.0, "{}", four[1]);
        let root = verdicts(&bench("4.1.1", "0:0"));
        assert!(
            !root[0].met && root[0].detail.contains("not uid 185"),
            "{}",
            root[0]
        );
    }
}
