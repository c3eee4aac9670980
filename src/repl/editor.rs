//! The interactive REPL: a `rustyline` editor with history, multi-line input (an input
//! goes on until its brackets balance), tab completion of commands, instance, contract,
//! function and binding names (file paths after `:load`, `:save`, `:restore`), and
//! Ctrl-C that cancels the input without leaving.

use super::help::COMMANDS;
use super::session::Session;
use super::{history_path, render_outcome, timed, write_out};
use crate::cli::CommandError;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::{DefaultHistory, History};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The names completion offers, refreshed after every input.
#[derive(Debug, Default)]
pub struct CompletionNames {
    /// Instances, with their public functions.
    pub instances: BTreeMap<String, Vec<String>>,
    /// Loaded contracts, with their functions.
    pub contracts: BTreeMap<String, Vec<String>>,
    /// Bindings and session items (`fn` names).
    pub names: BTreeSet<String>,
    /// Named accounts (without `@`).
    pub accounts: BTreeSet<String>,
}

impl CompletionNames {
    /// The candidates for the word before `pos` in `line`: the start of the word and
    /// the completions.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| {
                !(c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '@' || c == '.')
            })
            .map_or(0, |i| i + 1);
        let word = &before[start..];
        let mut out: Vec<String> = Vec::new();
        if let Some(cmd) = word.strip_prefix(':') {
            if start == 0 {
                out.extend(
                    COMMANDS
                        .iter()
                        .filter(|c| c.name.starts_with(cmd))
                        .map(|c| format!(":{}", c.name)),
                );
            }
        } else if let Some(acct) = word.strip_prefix('@') {
            out.extend(
                self.accounts
                    .iter()
                    .chain(self.instances.keys())
                    .filter(|a| a.starts_with(acct))
                    .map(|a| format!("@{a}")),
            );
        } else if let Some((target, prefix)) = word.rsplit_once('.') {
            let functions = self
                .instances
                .get(target)
                .or_else(|| self.contracts.get(target));
            if let Some(functions) = functions {
                out.extend(
                    functions
                        .iter()
                        .filter(|f| f.starts_with(prefix))
                        .map(|f| format!("{target}.{f}")),
                );
            }
        } else {
            out.extend(
                self.instances
                    .keys()
                    .chain(self.contracts.keys())
                    .chain(&self.names)
                    .filter(|n| n.starts_with(word))
                    .cloned(),
            );
        }
        out.sort();
        out.dedup();
        (start, out)
    }
}

/// The editor's helper: completion and multi-line validation.
struct ReplHelper {
    names: Rc<RefCell<CompletionNames>>,
    files: FilenameCompleter,
}

/// Commands whose argument is a file (completed as a path).
const FILE_COMMANDS: [&str; 3] = [":load ", ":save ", ":restore "];

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if FILE_COMMANDS.iter().any(|c| line.starts_with(c)) {
            return self.files.complete(line, pos, ctx);
        }
        let (start, words) = self.names.borrow().complete(line, pos);
        Ok((
            start,
            words
                .into_iter()
                .map(|w| Pair {
                    display: w.clone(),
                    replacement: w,
                })
                .collect(),
        ))
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        if super::input::is_complete(ctx.input()) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Helper for ReplHelper {}

impl Session {
    /// The names completion offers now.
    fn completion_names(&self) -> CompletionNames {
        let public = |m: &braid_bytecode::Module| -> Vec<String> {
            let set: BTreeSet<String> = m
                .functions
                .iter()
                .filter(|f| f.visibility.is_pub())
                .map(|f| f.name.clone())
                .collect();
            set.into_iter().collect()
        };
        let all = |m: &braid_bytecode::Module| -> Vec<String> {
            let set: BTreeSet<String> = m
                .functions
                .iter()
                .filter(|f| f.name != "init")
                .map(|f| f.name.clone())
                .collect();
            set.into_iter().collect()
        };
        let mut names: BTreeSet<String> = self.bindings.iter().map(|b| b.name.clone()).collect();
        for item in &self.items {
            let mut words = item.split_whitespace();
            if let (Some("fn" | "const" | "struct"), Some(name)) = (words.next(), words.next()) {
                let name: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.insert(name);
            }
        }
        CompletionNames {
            instances: self
                .world
                .instances
                .iter()
                .filter_map(|(n, i)| {
                    self.world
                        .chain
                        .module_at(&i.addr)
                        .map(|m| (n.clone(), public(m)))
                })
                .collect(),
            contracts: self
                .contracts
                .iter()
                .map(|(n, c)| (n.clone(), all(&c.module)))
                .collect(),
            names,
            accounts: self.accounts.clone(),
        }
    }
}

/// Runs the interactive loop until `:quit` or Ctrl-D.
pub fn run_interactive(colour: bool) -> Result<(), CommandError> {
    let mut session = Session::new(colour);
    // At a terminal each input's wall time shows by default (`:time off` hides it).
    session.time = true;
    let names = Rc::new(RefCell::new(session.completion_names()));
    let config = rustyline::Config::builder()
        .auto_add_history(false)
        .completion_type(rustyline::CompletionType::List)
        .build();
    let mut editor: Editor<ReplHelper, DefaultHistory> = Editor::with_config(config)
        .map_err(|e| CommandError::Io(format!("cannot start the line editor: {e}")))?;
    editor.set_helper(Some(ReplHelper {
        names: Rc::clone(&names),
        files: FilenameCompleter::new(),
    }));
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is the first session: nothing to load.
        let _ = editor.load_history(path);
    }
    write_out("braid repl: :help lists the commands, :quit (or Ctrl-D) leaves\n")?;
    loop {
        match editor.readline("braid> ") {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.history_mut().add(&line);
                    if let Some(path) = &history {
                        save_history(&mut editor, path);
                    }
                }
                let (outcome, elapsed) = timed(&mut session, &line);
                write_out(&render_outcome(&session, &outcome, elapsed))?;
                if outcome.quit {
                    break;
                }
                *names.borrow_mut() = session.completion_names();
            }
            // Ctrl-C: the input is dropped, the session goes on.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(CommandError::Io(format!("cannot read the input: {e}"))),
        }
    }
    Ok(())
}

/// Writes the history (creating its directory); a failure only costs the history.
fn save_history(editor: &mut Editor<ReplHelper, DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = editor.save_history(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_commands_functions_names_and_accounts() {
        let mut names = CompletionNames::default();
        names
            .instances
            .insert("usd".into(), vec!["approve".into(), "transfer".into()]);
        names.names.insert("user_total".into());
        names.accounts.insert("alice".into());
        assert_eq!(names.complete(":de", 3), (0, vec![":deploy".to_string()]));
        assert_eq!(
            names.complete("usd.tr", 6),
            (0, vec!["usd.transfer".to_string()])
        );
        assert_eq!(
            names.complete("1 + us", 6),
            (4, vec!["usd".to_string(), "user_total".to_string()])
        );
        assert_eq!(
            names.complete("usd.transfer(@al", 16),
            (13, vec!["@alice".to_string()])
        );
    }
}
