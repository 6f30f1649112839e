//! Progress of long operator commands: a bar per stage on a terminal (indicatif), a line per
//! finished stage when stderr is a log, nothing with `--json`.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

/// A bar per stage on a terminal; a line per finished stage in a log; nothing with `--json`.
pub struct Bars {
    /// What the lines in a log begin with (`import: …`).
    command: &'static str,
    quiet: bool,
    terminal: bool,
    /// Keeps finished bars on their lines above the one that runs.
    bars: MultiProgress,
    current: Mutex<Option<(String, ProgressBar)>>,
}

impl Bars {
    pub fn new(command: &'static str, quiet: bool) -> Self {
        Bars {
            command,
            quiet,
            terminal: std::io::stderr().is_terminal(),
            bars: MultiProgress::with_draw_target(if quiet {
                ProgressDrawTarget::hidden()
            } else {
                ProgressDrawTarget::stderr()
            }),
            current: Mutex::new(None),
        }
    }

    fn with_bar(&self, f: impl FnOnce(&str, &ProgressBar)) {
        if let Some((name, bar)) = self.current.lock().expect("not poisoned").as_ref() {
            f(name, bar);
        }
    }

    pub fn stage(&self, name: &str, total: Option<u64>) {
        let bar = match total {
            Some(total) => ProgressBar::new(total).with_style(counting_style()),
            None => ProgressBar::no_length().with_style(
                ProgressStyle::with_template("{prefix:>20} {spinner} {pos:>6} {elapsed:>4} {msg}")
                    .expect("a valid template"),
            ),
        }
        .with_prefix(name.to_owned());
        let bar = self.bars.add(bar);
        *self.current.lock().expect("not poisoned") = Some((name.to_owned(), bar));
    }

    pub fn total(&self, total: u64) {
        self.with_bar(|_, bar| {
            bar.set_length(total);
            bar.set_style(counting_style());
        });
    }

    pub fn advance(&self, n: u64) {
        self.with_bar(|_, bar| bar.inc(n));
    }

    pub fn done(&self, outcome: &str) {
        self.with_bar(|name, bar| {
            bar.finish_with_message(outcome.to_owned());
            if !self.quiet && !self.terminal {
                eprintln!("{}: {name}: {outcome}", self.command);
            }
        });
    }
}

fn counting_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>20} [{bar:32}] {pos:>6}/{len:6} {elapsed:>4} {msg}")
        .expect("a valid template")
        .progress_chars("=> ")
}

impl plenum_oparl::import::Progress for Bars {
    fn stage(&self, name: &str, total: Option<u64>) {
        Bars::stage(self, name, total);
    }
    fn total(&self, total: u64) {
        Bars::total(self, total);
    }
    fn advance(&self, n: u64) {
        Bars::advance(self, n);
    }
    fn done(&self, outcome: &str) {
        Bars::done(self, outcome);
    }
}
