//! Where a command's data goes: standard output, or a file replaced whole or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::args::Format;
use crate::error::CliError;

/// The destination of the data, opened before any vendor is called (so a path that cannot be
/// written fails at once, not after the whole collection).
pub(crate) enum Target {
    /// Standard output; a reader that goes away early (`| head`) ends the run quietly.
    Stdout,
    /// A file: written to a temporary file beside it, renamed over it when complete, so an
    /// existing file is replaced whole or left untouched (the temporary file is removed if the
    /// run ends early).
    File {
        /// The file asked for.
        path: PathBuf,
        /// The temporary file beside it.
        temp: tempfile::NamedTempFile,
    },
}

impl Target {
    /// Standard output, or a temporary file beside `path` (refused now if its directory is
    /// missing or cannot be written).
    pub(crate) fn open(path: Option<&Path>) -> Result<Self, CliError> {
        let Some(path) = path else {
            return Ok(Target::Stdout);
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".msp-usage-")
            .suffix(".partial")
            .tempfile_in(dir)
            .map_err(|e| CliError::Output {
                target: path.display().to_string(),
                reason: format!(
                    "{e}; check that the directory {} exists and can be written (nothing was \
                     collected)",
                    dir.display()
                ),
            })?;
        Ok(Target::File {
            path: path.to_path_buf(),
            temp,
        })
    }

    /// Where the data goes, for messages.
    pub(crate) fn name(&self) -> String {
        match self {
            Target::Stdout => "standard output".to_owned(),
            Target::File { path, .. } => path.display().to_string(),
        }
    }

    /// The format a file's extension asks for (`.json`, `.ndjson`/`.jsonl`, `.csv`; anything
    /// else: JSON); `None` for standard output.
    pub(crate) fn format_from_extension(&self) -> Option<Format> {
        let Target::File { path, .. } = self else {
            return None;
        };
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match extension.as_str() {
            "ndjson" | "jsonl" => Format::Ndjson,
            "csv" => Format::Csv,
            _ => Format::Json,
        })
    }

    /// Writes the data with `write` and completes the target (renaming a file into place).
    pub(crate) fn write(
        self,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), CliError> {
        let target = self.name();
        let fail = |e: std::io::Error| CliError::Output {
            target: target.clone(),
            reason: e.to_string(),
        };
        match self {
            Target::File { path, temp } => {
                let mut out = std::io::BufWriter::new(temp);
                write(&mut out).map_err(fail)?;
                let temp = out.into_inner().map_err(|e| fail(e.into_error()))?;
                temp.as_file().sync_all().map_err(fail)?;
                temp.persist(&path).map_err(|e| fail(e.error))?;
                Ok(())
            }
            Target::Stdout => {
                let stdout = std::io::stdout();
                let mut out = std::io::BufWriter::new(stdout.lock());
                match write(&mut out).and_then(|()| out.flush()) {
                    // The reader went away (`| head`): nothing is left to write to, and that
                    // is what the reader wanted.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    other => other.map_err(fail),
                }
            }
        }
    }
}
