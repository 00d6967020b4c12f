//! Lines on standard error that never panic.

/// Writes one line on standard error, like `eprintln!`, but never panics: when standard error
/// cannot be written (closed, or `2>/dev/full`), the line is dropped and the run goes on to its
/// own exit status, with its output written.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}
