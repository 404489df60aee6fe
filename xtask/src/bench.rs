//! `cargo xtask images bench`: time rendering and checking the whole catalog (target < 50 ms).

use crate::flags::Bench;
use std::process::ExitCode;
use std::time::{Duration, Instant};

impl Bench {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let mut rounds: Vec<(Duration, Duration, Duration)> = Vec::new();
        let mut count = 0;
        for _ in 0..self.rounds.max(1) {
            let start = Instant::now();
            let images = images::catalog();
            let declared = start.elapsed();
            let rendered: Vec<_> = images.iter().map(image_dsl::render).collect();
            let render = start.elapsed() - declared;
            for (image, r) in images.iter().zip(&rendered) {
                image_dsl::verify::round_trip(image, r)?;
            }
            let total = start.elapsed();
            rounds.push((declared, render, total));
            count = images.len();
        }
        rounds.sort_by_key(|r| r.2);
        let (declared, render, total) = rounds[rounds.len() / 2];
        println!("catalog: {count} images, median of {} rounds", rounds.len());
        println!(
            "  build values     {:>8.2} ms",
            declared.as_secs_f64() * 1e3
        );
        println!("  render           {:>8.2} ms", render.as_secs_f64() * 1e3);
        println!(
            "  parse + compare  {:>8.2} ms",
            (total - declared - render).as_secs_f64() * 1e3
        );
        println!(
            "  total            {:>8.2} ms (target < 50 ms)",
            total.as_secs_f64() * 1e3
        );
        Ok(ExitCode::SUCCESS)
    }
}
