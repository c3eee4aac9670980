//! `braid repl` end to end.
//!
//! - Every script in `tests/repl/*.txt` runs with `braid repl --script`; its transcript
//!   (each input echoed as `> line`, then its output) and exit code match a snapshot.
//!   Scripts run in a fresh directory whose `contracts` links to the repository's, so
//!   `:load contracts/dex.braid` works and `:save` writes nowhere shared.
//! - The same script on stdin (not a terminal) prints the same transcript.
//! - One test drives the interactive REPL through a pseudo-terminal (`rexpect`):
//!   typing, a multi-line definition, completion (names, functions, file paths), Ctrl-C,
//!   history recall.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A fresh working directory with `contracts` linked to the repository's.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("braid-repl-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the working directory");
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts");
    std::os::unix::fs::symlink(contracts, dir.join("contracts")).expect("link contracts");
    dir
}

/// Runs `braid repl --script FILE` in `dir`: (exit code, stdout, stderr).
fn run_script(dir: &Path, script: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["repl", "--script"])
        .arg(script)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run the braid binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}

#[test]
fn script_snapshots() {
    insta::glob!("repl/*.txt", |path| {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .expect("a file name");
        let dir = workdir(&name);
        let (code, stdout, stderr) = run_script(&dir, path);
        // Only a line that is no command at all (a syntax error, an unknown
        // command) makes a script exit 1; reverts and type errors do not.
        let expected = if name == "syntax_error" { 1 } else { 0 };
        assert_eq!(code, expected, "{name}: exit code; stderr: {stderr}");
        assert!(!stdout.contains("panicked"), "{name}: {stdout}");
        let _ = std::fs::remove_dir_all(&dir);
        insta::assert_snapshot!(format!("exit code: {code}\nstderr: {stderr}\n{stdout}"));
    });
}

#[test]
fn stdin_that_is_not_a_terminal_is_a_script() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repl/bindings.txt");
    let dir = workdir("stdin");
    let (_, expected, _) = run_script(&dir, &script);
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("repl")
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::from(
            std::fs::File::open(&script).expect("open the script"),
        ))
        .output()
        .expect("run the braid binary");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).expect("UTF-8"), expected);
}

/// The worked session of the book's REPL chapter is true: its inputs, run as a
/// script, print every output line the chapter shows, in order (`…` marks elided
/// output).
#[test]
fn the_book_session_is_a_real_transcript() {
    let chapter =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/repl.md"))
            .expect("read the chapter");
    let section = chapter
        .split("## A worked session")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the worked session section");
    let mut shown: Vec<&str> = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
        } else if in_block {
            shown.push(line);
        }
    }
    let inputs: Vec<&str> = shown.iter().filter_map(|l| l.strip_prefix("> ")).collect();
    assert!(inputs.len() > 20, "the session has its inputs");
    let dir = workdir("book");
    std::fs::write(dir.join("book.txt"), inputs.join("\n")).expect("write the script");
    let (code, stdout, stderr) = run_script(&dir, Path::new("book.txt"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{stderr}");
    let mut actual = stdout.lines();
    for line in shown.iter().filter(|l| **l != "…") {
        assert!(
            actual.any(|a| a == *line),
            "the chapter shows `{line}`, which the session does not print (in this order)"
        );
    }
}

#[test]
fn a_restore_that_fails_leaves_the_session_as_it_was() {
    let dir = workdir("restore");
    std::fs::write(
        dir.join("bad.txt"),
        ":load contracts/token.braid\nnope.transfer(@bob, 1)\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("s.txt"),
        ":load contracts/token.braid\n:deploy usd = Token(5)\n:restore bad.txt\nusd.balance_of(@alice)\n",
    )
    .expect("write");
    let (code, stdout, _) = run_script(&dir, Path::new("s.txt"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("error: bad.txt:2: the input failed; the session is unchanged\nerror: no instance named `nope`"),
        "{stdout}"
    );
    assert!(stdout.ends_with("return: 5: u128\naccess (declared, then touched):\n  read   usd.balances[@alice]  read\n"), "{stdout}");
}

#[test]
fn a_missing_script_is_an_io_error() {
    let dir = workdir("missing");
    let (code, _, stderr) = run_script(&dir, Path::new("no-such-script.txt"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read no-such-script.txt"),
        "{stderr}"
    );
}

#[test]
fn script_that_ends_inside_an_input_exits_one() {
    let dir = workdir("unfinished");
    std::fs::write(dir.join("s.txt"), "1 + 1\nfn f() -> u128 {\n  1\n").expect("write");
    let (code, stdout, _) = run_script(&dir, Path::new("s.txt"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 1);
    assert!(stdout.starts_with("> 1 + 1\n2: u128\n"), "{stdout}");
    assert!(stdout.contains("unbalanced brackets"), "{stdout}");
}

/// Waits for the prompt, then a moment as a person would: the line editor switches
/// the terminal's modes around its prompt, and input typed ahead of that can be
/// dropped by the terminal.
fn prompt(p: &mut rexpect::session::PtySession) -> Result<(), rexpect::error::Error> {
    p.exp_string("braid> ")?;
    std::thread::sleep(std::time::Duration::from_millis(300));
    Ok(())
}

/// The interactive REPL on a pseudo-terminal: typing, a multi-line definition,
/// completion, Ctrl-C, history recall, and the history file.
#[test]
fn interactive_session_on_a_terminal() -> Result<(), rexpect::error::Error> {
    let dir = workdir("pty");
    let history = dir.join("history");
    let mut command = Command::new(env!("CARGO_BIN_EXE_braid"));
    command
        .arg("repl")
        .current_dir(&dir)
        .env("BRAID_HISTORY", &history)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    // The raw output holds the redrawn lines as typed (`braid> triple`); escape
    // codes only sit between them.
    let options = rexpect::reader::Options::new().timeout_ms(Some(30_000));
    let mut p = rexpect::spawn_with_options(command, options)?;
    prompt(&mut p)?;

    // Typing an expression.
    p.send_line("6 * 7")?;
    p.exp_string("42: u128")?;
    prompt(&mut p)?;

    // A definition over three lines: Enter inside an open brace continues the input.
    p.send_line("fn triple(x: u128) -> u128 {")?;
    p.send_line("    x * 3")?;
    p.send_line("}")?;
    p.exp_string("defined fn triple")?;
    prompt(&mut p)?;

    // Completion: `tri` + Tab becomes `triple`.
    p.send("tri\t")?;
    p.flush()?;
    p.exp_string("triple")?;
    p.send_line("(5)")?;
    p.exp_string("15: u128")?;
    prompt(&mut p)?;

    // Ctrl-C drops the input being typed and the session goes on.
    p.send("1000 + ")?;
    p.flush()?;
    p.send_control('c')?;
    prompt(&mut p)?;
    p.send_line("2 + 2")?;
    // `4`, not `1004`: the cancelled `1000 + ` is gone.
    p.exp_string("\r\n4: u128")?;
    prompt(&mut p)?;

    // History recall: Up brings back `2 + 2`; Up twice the `triple(5)` line.
    p.send("\x1b[A\x1b[A")?;
    p.flush()?;
    p.exp_string("triple(5)")?;
    p.send_line("")?;
    p.exp_string("15: u128")?;
    prompt(&mut p)?;

    // File paths complete after `:load`; function names after an instance's name.
    p.send(":load contracts/tok\t")?;
    p.flush()?;
    p.exp_string("contracts/token.braid")?;
    p.send_line("")?;
    p.exp_string("loaded Token")?;
    prompt(&mut p)?;
    p.send_line(":deploy usd = Token(1000)")?;
    p.exp_string("deployed usd (Token)")?;
    prompt(&mut p)?;
    p.send("usd.bal\t")?;
    p.flush()?;
    p.exp_string("usd.balance_of")?;
    p.send_line("(@alice)")?;
    p.exp_string("return: 1000: u128")?;
    prompt(&mut p)?;

    // An error is a diagnostic; the session goes on.
    p.send_line("nope + 1")?;
    p.exp_string("cannot find `nope`")?;
    prompt(&mut p)?;
    p.send_line(":quit")?;
    p.exp_eof()?;

    let saved = std::fs::read_to_string(&history).expect("the history file is written");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(saved.contains("6 * 7"), "{saved}");
    assert!(saved.contains("x * 3"), "{saved}");
    assert!(
        !saved.contains("1000 +"),
        "a cancelled input is not history: {saved}"
    );
    Ok(())
}
