//! Terminal output: the colour conventions and writes that fail as I/O errors.
//!
//! Colour (`cli.md`): `--color always|never` decides; with `--color auto` (the default),
//! `NO_COLOR` (set and not empty) turns colour off, else `CLICOLOR_FORCE` (set and not `0`)
//! turns it on, else a stream is coloured only when it is a terminal. Every write goes
//! through [`out`] or [`err`], which report a failed write (a closed pipe, a full disk) as
//! a [`CommandError::Io`] (exit 2): `print!` and `eprint!` would panic instead.

use crate::cli::{ColorChoice, CommandError};
use std::io::{IsTerminal, Write};

/// Which of the standard streams a colour decision is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Whether to colour `stream`, from the `--color` choice, the environment and whether the
/// stream is a terminal.
pub fn colour(choice: ColorChoice, stream: Stream) -> bool {
    let terminal = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    decide(
        choice,
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("CLICOLOR_FORCE").as_deref(),
        terminal,
    )
}

/// The colour rule on explicit inputs (see the module documentation).
pub fn decide(
    choice: ColorChoice,
    no_color: Option<&std::ffi::OsStr>,
    clicolor_force: Option<&std::ffi::OsStr>,
    terminal: bool,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if no_color.is_some_and(|v| !v.is_empty()) {
                false
            } else if clicolor_force.is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else {
                terminal
            }
        }
    }
}

/// Writes `text` to stdout and flushes; a failed write is an I/O error.
pub fn out(text: &str) -> Result<(), CommandError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| CommandError::Io(format!("cannot write to stdout: {e}")))
}

/// Writes `text` to stderr; a failed write is an I/O error.
pub fn err(text: &str) -> Result<(), CommandError> {
    let mut stderr = std::io::stderr().lock();
    stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush())
        .map_err(|e| CommandError::Io(format!("cannot write to stderr: {e}")))
}

/// `text` in bold `code` (an SGR colour number) when `on`, else as is.
pub fn paint(on: bool, code: u8, text: &str) -> String {
    if on {
        format!("\u{1b}[1;{code}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}

/// SGR red.
pub const RED: u8 = 31;
/// SGR green.
pub const GREEN: u8 = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn the_colour_conventions() {
        let on = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        let zero = Some(OsStr::new("0"));
        // The flag wins over everything.
        assert!(decide(ColorChoice::Always, on, None, false));
        assert!(!decide(ColorChoice::Never, None, on, true));
        // Auto: NO_COLOR (non-empty) first, then CLICOLOR_FORCE (not 0), then the terminal.
        assert!(!decide(ColorChoice::Auto, on, on, true));
        assert!(decide(ColorChoice::Auto, empty, None, true));
        assert!(decide(ColorChoice::Auto, None, on, false));
        assert!(!decide(ColorChoice::Auto, None, zero, false));
        assert!(!decide(ColorChoice::Auto, None, empty, false));
        assert!(decide(ColorChoice::Auto, None, None, true));
        assert!(!decide(ColorChoice::Auto, None, None, false));
    }

    #[test]
    fn paint_only_when_on() {
        assert_eq!(paint(false, RED, "x"), "x");
        assert_eq!(paint(true, RED, "x"), "\u{1b}[1;31mx\u{1b}[0m");
    }
}
