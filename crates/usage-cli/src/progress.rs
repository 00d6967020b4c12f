//! Progress bars on standard error, one per vendor, only when standard error is a terminal.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The progress display of a run: real bars on a terminal, hidden ones otherwise.
pub(crate) struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Bars on a terminal; nothing otherwise (logs and pipes stay clean).
    pub(crate) fn new() -> Self {
        let multi = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { multi }
    }

    /// A bar counting `vendor`'s companies done of total.
    pub(crate) fn vendor_bar(&self, vendor: &str) -> ProgressBar {
        let Some(multi) = &self.multi else {
            return ProgressBar::hidden();
        };
        let bar = multi.add(ProgressBar::new(0));
        let style =
            ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} companies {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(vendor.to_string());
        bar
    }
}
