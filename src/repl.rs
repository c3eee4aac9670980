//! `braid repl [--script FILE]`: a read-eval-print loop for trying contracts.
//!
//! Interactive on a terminal (a `rustyline` editor: history, multi-line input until
//! brackets balance, completion, Ctrl-C cancels the input). With `--script FILE`, or
//! when stdin is not a terminal, every input line is echoed as `> line` before its
//! output, so a transcript reads like a session.
//!
//! The layers:
//! - [`input`]: when an input is complete (brackets balanced), and how a line splits
//!   into a command or Braid code;
//! - [`session`]: the session state (chain, names, bindings, undo history) and the
//!   commands; [`eval`] evaluates Braid code in a synthesized scratch contract;
//!   [`call`] sends transactions and shows their access sets; [`schedule`] runs
//!   `:block` and computes its waits-for graph; [`show`] renders values and keys;
//!   [`files`] has `:load`, `:save`, `:restore`; [`help`] the command table;
//! - [`editor`]: the interactive line editor's helper (completion, validation).
//!
//! Nothing a user types reaches a panic: every failure is a [`session::ReplError`]
//! shown as a diagnostic, and the session goes on.

mod call;
mod editor;
mod eval;
mod files;
mod help;
mod input;
mod loader;
mod schedule;
mod session;
mod show;

use crate::cli::{ColorChoice, CommandError, ReplArgs};
use crate::output::{self, Stream};
use session::{Outcome, Session};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::time::Instant;

/// Runs `braid repl`.
pub fn run(args: &ReplArgs, color: ColorChoice) -> Result<(), CommandError> {
    // Diagnostics are coloured by the `--color` conventions for stdout, where they go.
    let colour = output::colour(color, Stream::Stdout);
    match &args.script {
        Some(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| CommandError::Io(format!("cannot read {}: {e}", path.display())))?;
            run_script(std::io::BufReader::new(file), colour)
        }
        None if std::io::stdin().is_terminal() => editor::run_interactive(colour),
        None => run_script(std::io::stdin().lock(), colour),
    }
}

/// Script mode: reads inputs (a multi-line input continues until its brackets
/// balance), echoes each line as `> line`, prints its output. Exit 1 when a line could
/// not be parsed as a command at all, else 0.
fn run_script(reader: impl BufRead, colour: bool) -> Result<(), CommandError> {
    let mut session = Session::new(colour);
    let mut pending = String::new();
    let mut unparsed = 0usize;
    let mut lines = reader.lines();
    loop {
        let line = match lines.next() {
            None => break,
            Some(Ok(line)) => line,
            Some(Err(e)) => return Err(CommandError::Io(format!("cannot read the script: {e}"))),
        };
        write_out(&format!("> {line}\n"))?;
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        if !input::is_complete(&pending) {
            continue;
        }
        let text = std::mem::take(&mut pending);
        let (outcome, elapsed) = timed(&mut session, &text);
        let quit = outcome.quit;
        if outcome.unparsed {
            unparsed += 1;
        }
        write_out(&render_outcome(&session, &outcome, elapsed))?;
        if quit {
            break;
        }
    }
    if !pending.trim().is_empty() {
        write_out("error: the script ends inside an unfinished input (unbalanced brackets)\n")?;
        unparsed += 1;
    }
    if unparsed > 0 {
        return Err(CommandError::Input(format!(
            "{unparsed} input{} could not be parsed as a command",
            if unparsed == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// Runs one input and measures its wall time. A panic while handling it (a bug in
/// braid, never an expected outcome) is reported as an internal error and the
/// session goes on from where the input left it.
fn timed(session: &mut Session, text: &str) -> (Outcome, std::time::Duration) {
    let start = Instant::now();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session.handle(text)))
        .unwrap_or_else(|_| Outcome {
            text: "error: internal error in braid (a bug); please report it with the input that caused it\n"
                .to_string(),
            quit: false,
            unparsed: false,
            failed: true,
        });
    (outcome, start.elapsed())
}

/// The text printed for an input's outcome (its output, then the time when `:time on`).
fn render_outcome(session: &Session, outcome: &Outcome, elapsed: std::time::Duration) -> String {
    let mut text = outcome.text.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if session.show_time() && !outcome.quit {
        text.push_str(&format!("time: {:.3} ms\n", elapsed.as_secs_f64() * 1e3));
    }
    text
}

/// Writes to stdout; a failed write is an I/O error (exit 2).
fn write_out(text: &str) -> Result<(), CommandError> {
    output::out(text)
}

/// Where the interactive history lives: `$BRAID_HISTORY`, else `braid/history` in the
/// user's data directory; `None` when neither is known.
fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BRAID_HISTORY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    dirs::data_dir().map(|d| d.join("braid").join("history"))
}
