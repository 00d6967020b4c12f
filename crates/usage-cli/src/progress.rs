//! Progress on standard error, one line per vendor, only when standard error is a terminal: a
//! spinner while the vendor's companies are still being found, then a bar with the real total.
//! Log lines written meanwhile go above the bars, never through them.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bars on screen, if any: [`LogWriter`] suspends them to write a log line.
static ON_SCREEN: Mutex<Option<MultiProgress>> = Mutex::new(None);

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
        if let Some(multi) = &multi {
            *ON_SCREEN.lock().unwrap_or_else(PoisonError::into_inner) = Some(multi.clone());
        }
        Progress { multi }
    }

    /// A line for `vendor`: a spinner counting the companies found and done until
    /// [`discovered`] gives it its total.
    pub(crate) fn vendor_bar(&self, vendor: &str) -> ProgressBar {
        let Some(multi) = &self.multi else {
            return ProgressBar::hidden();
        };
        let bar = multi.add(ProgressBar::new(0));
        bar.set_style(style(
            "{spinner} {prefix:>12} finding companies: {len} found, {pos} done {elapsed}",
        ));
        bar.set_prefix(vendor.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        *ON_SCREEN.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Every company of the vendor is known: the spinner becomes a bar of `total` companies.
pub(crate) fn discovered(bar: &ProgressBar, total: u64) {
    bar.set_length(total);
    bar.set_style(
        style("  {prefix:>12} [{bar:30}] {pos}/{len} companies {elapsed}").progress_chars("=> "),
    );
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// A `tracing` writer for standard error that holds one log line and writes it when dropped,
/// with the bars (if any) lifted out of the way; a line that cannot be written is dropped.
#[derive(Default)]
pub(crate) struct LogWriter(Vec<u8>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let line = std::mem::take(&mut self.0);
        let write = || {
            let _ = std::io::stderr().lock().write_all(&line);
        };
        let multi = ON_SCREEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match multi {
            Some(multi) => multi.suspend(write),
            None => write(),
        }
    }
}
