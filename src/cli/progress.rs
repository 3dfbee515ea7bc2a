//! Progress bars on stderr for the long commands (`lien plan`, `lien import`): drawn
//! only when stderr is a terminal and the command does not print `--json`; otherwise
//! hidden, and nothing extra is written.
//!
//! [`bar`] gives an `indicatif` bar, drawn or hidden; [`StepBar`] shows the steps of a
//! store operation (`crate::store::Progress`): a spinner while a step's size is
//! unknown, a bar with rows per second and time left once it is known.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Texts;
use crate::store::Progress;

/// Whether a progress bar is drawn: stderr is a terminal and the output is not JSON.
pub fn shown(json: bool) -> bool {
    !json && std::io::stderr().is_terminal()
}

/// A bar on stderr, or a hidden one (every call a no-op) when not [`shown`].
pub fn bar(json: bool) -> ProgressBar {
    if shown(json) {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    }
}

/// A counted step: `label [=====>    ] 120,000/1,000,000 45,000/s 0:00:19`.
pub fn counted_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{msg:>12} [{bar:30}] {human_pos}/{human_len} {per_sec} {eta_precise}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

/// A step of unknown size: `label ⠋ 3s`.
pub fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>12} {spinner} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// Shows a store operation's steps on one bar, each step's name from the catalogue
/// (`progress.NAME`).
pub struct StepBar {
    bar: ProgressBar,
    txt: Texts,
}

impl StepBar {
    pub fn new(txt: Texts, json: bool) -> Self {
        StepBar {
            bar: bar(json),
            txt,
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for StepBar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for StepBar {
    fn step(&self, name: &'static str, total: Option<u64>) {
        let label = match name {
            "load" => self.txt.t("progress.load"),
            "plan" => self.txt.t("progress.plan"),
            "write" => self.txt.t("progress.write"),
            other => other,
        };
        match total {
            Some(n) => {
                self.bar.set_style(counted_style());
                self.bar.set_length(n);
            }
            None => self.bar.set_style(spinner_style()),
        }
        self.bar.reset();
        self.bar.set_message(label);
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
}
