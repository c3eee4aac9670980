//! The `braid` binary's exit codes and outputs: 0 success, 1 wrong input, 2 usage or
//! I/O error, never 101.

use std::path::PathBuf;
use std::process::{Command, Output};

fn braid(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the braid binary")
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

const COUNTER: &str = "tests/run/contracts/counter.braid";

const TWO_CONTRACTS: &str = "
contract First {
    pub view fn one() -> u64 { 1 }
}

contract Second {
    pub view fn two() -> u64 { 2 }
}
";

#[test]
fn usage_errors_exit_two() {
    for args in [
        &[][..],
        &["compile"],
        &["compile", COUNTER, "--emit", "nonsense"],
        &["frobnicate"],
        &["run"],
        &["run", "x.toml", "--threads", "0"],
        &["run", "x.toml", "--engine", "llvm"],
    ] {
        let out = braid(args);
        assert_eq!(code(&out), 2, "braid {args:?}: {}", stderr(&out));
    }
}

#[test]
fn help_and_version_exit_zero() {
    for args in [
        &["--help"][..],
        &["compile", "--help"],
        &["run", "--help"],
        &["--version"],
    ] {
        let out = braid(args);
        assert_eq!(code(&out), 0, "braid {args:?}");
        assert!(!stdout(&out).is_empty());
    }
    let help = stdout(&braid(&["compile", "--help"]));
    assert!(
        help.contains("contracts/"),
        "the help documents import resolution:\n{help}"
    );
    assert!(
        help.contains(".bbc"),
        "the help documents -o with several contracts:\n{help}"
    );
}

#[test]
fn missing_files_are_io_errors() {
    let out = braid(&["compile", "no/such/file.braid"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("cannot read no/such/file.braid"),
        "{}",
        stderr(&out)
    );
    let out = braid(&["run", "no/such/scenario.toml"]);
    assert_eq!(code(&out), 2);
    let out = braid(&["compile", "tests"]);
    assert_eq!(
        code(&out),
        2,
        "a directory is not a source file: {}",
        stderr(&out)
    );
}

#[test]
fn compiling_a_good_contract_exits_zero() {
    let out = braid(&["compile", COUNTER]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!("compiled {COUNTER}: 1 contract (Counter)\n"),
        "no warnings expected; one line says what was compiled"
    );
    for stage in ["tokens", "ast", "access", "conflicts", "bytecode"] {
        let out = braid(&["compile", COUNTER, "--emit", stage]);
        assert_eq!(code(&out), 0, "--emit {stage}: {}", stderr(&out));
        assert!(!stdout(&out).is_empty(), "--emit {stage} prints the stage");
    }
}

#[test]
fn errors_exit_one_without_colour_when_piped() {
    let dir = scratch("errors");
    let file = dir.join("bad.braid");
    std::fs::write(&file, "contract Bad {\n    pub fn f() -> u64 { true }\n}\n").expect("write");
    let out = braid(&["compile", file.to_str().expect("UTF-8 path")]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("error"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no ANSI colour when stderr is not a terminal: {err:?}"
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn hostile_input_never_panics() {
    let dir = scratch("hostile");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.braid", Vec::new()),
        ("binary.braid", (0u8..=255).cycle().take(4096).collect()),
        ("not_utf8.braid", vec![b'c', 0xff, 0xfe, b'{']),
        (
            "deep.braid",
            format!(
                "contract D {{ pub fn f() -> u64 {{ {}1{} }} }}",
                "(".repeat(5000),
                ")".repeat(5000)
            )
            .into_bytes(),
        ),
    ];
    for (name, bytes) in cases {
        let file = dir.join(name);
        std::fs::write(&file, bytes).expect("write");
        for emit in [None, Some("tokens"), Some("ast"), Some("bytecode")] {
            let mut args = vec!["compile", file.to_str().expect("UTF-8 path")];
            if let Some(stage) = emit {
                args.extend(["--emit", stage]);
            }
            let out = braid(&args);
            // An early stage of an empty file is fine (no tokens, no items); compiling
            // it fully is an error (no contract). Never 101, never a panic.
            if matches!(emit, Some("tokens" | "ast")) {
                assert!(
                    matches!(code(&out), 0 | 1),
                    "{name} {emit:?}: {}",
                    stderr(&out)
                );
            } else {
                assert_eq!(code(&out), 1, "{name} {emit:?}: {}", stderr(&out));
            }
            assert!(
                !stderr(&out).contains("panicked"),
                "{name}: {}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn output_file_round_trips() {
    let dir = scratch("output");
    let out_file = dir.join("counter.bbc");
    let out = braid(&[
        "compile",
        COUNTER,
        "-o",
        out_file.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let bytes = std::fs::read(&out_file).expect("module written");
    let module = braid_bytecode::encode::decode(&bytes).expect("the written module decodes");
    assert_eq!(module.name, "Counter");
    assert_eq!(
        braid_bytecode::encode::encode(&module),
        bytes,
        "bit-for-bit"
    );
}

#[test]
fn several_contracts_need_an_output_directory() {
    let dir = scratch("several");
    let file = dir.join("two.braid");
    std::fs::write(&file, TWO_CONTRACTS).expect("write");
    let source = file.to_str().expect("UTF-8 path");
    let single = dir.join("out.bbc");
    let out = braid(&[
        "compile",
        source,
        "-o",
        single.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("First, Second"), "{}", stderr(&out));
    assert!(!single.exists());
    let out_dir = dir.join("modules");
    std::fs::create_dir_all(&out_dir).expect("create");
    let out = braid(&[
        "compile",
        source,
        "-o",
        out_dir.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for name in ["First", "Second"] {
        let bytes = std::fs::read(out_dir.join(format!("{name}.bbc"))).expect("module written");
        let module = braid_bytecode::encode::decode(&bytes).expect("decodes");
        assert_eq!(module.name, name);
    }
}

#[test]
fn emit_clif_prints_each_functions_cranelift_ir() {
    let out = braid(&["compile", COUNTER, "--emit", "clif"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for f in ["init", "bump", "reset", "fail"] {
        assert!(text.contains(&format!("; Counter::{f}\n")), "{text}");
    }
    assert!(text.contains("function u0:"), "{text}");
}

#[test]
fn precompiled_modules_run_like_sources() {
    let dir = scratch("precompiled");
    let out = braid(&["compile", COUNTER, "-o", dir.to_str().expect("UTF-8 path")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let scenario = std::fs::read_to_string("tests/run/counter.toml").expect("read scenario");
    let from_source = stdout(&braid(&["run", "tests/run/counter.toml", "--json"]));
    let rewritten = scenario.replace("\"contracts/counter.braid\"", "\"Counter.bbc\"");
    assert_ne!(
        rewritten, scenario,
        "the scenario lists contracts/counter.braid"
    );
    let path = dir.join("counter.toml");
    std::fs::write(&path, rewritten).expect("write");
    let out = braid(&["run", path.to_str().expect("UTF-8 path"), "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        from_source,
        "same receipts and digest from a .bbc module"
    );
}

/// Runs braid with `stdin` as its input and extra environment variables (the colour
/// variables are cleared first, so the test's own environment does not leak in).
fn braid_with(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut command = Command::new(env!("CARGO_BIN_EXE_braid"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("run the braid binary");
    let mut input = child.stdin.take().expect("piped stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("braid finishes")
}

const BAD_SOURCE: &str = "contract Bad {\n    pub fn f() -> u64 { true }\n}\n";

/// `/dev/full` accepts opening and fails every write with ENOSPC.
fn dev_full() -> Option<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .ok()
}

#[test]
fn failed_writes_exit_two_never_panic() {
    let Some(_) = dev_full() else {
        eprintln!("no /dev/full here: skipped");
        return;
    };
    let dir = scratch("dev-full");
    let bad = dir.join("bad.braid");
    std::fs::write(&bad, BAD_SOURCE).expect("write");
    let bad = bad.to_str().expect("UTF-8 path").to_string();
    // (arguments, whether stdout (else stderr) goes to /dev/full)
    let cases: Vec<(Vec<&str>, bool)> = vec![
        (vec!["compile", COUNTER, "--emit", "tokens"], true),
        (vec!["compile", COUNTER, "--emit", "bytecode"], true),
        (vec!["compile", COUNTER], false),
        (vec!["compile", &bad], false),
        (vec!["compile", &bad, "--message-format", "json"], false),
        (vec!["run", "tests/run/token.toml", "--json"], true),
        (vec!["run", "tests/run/token.toml"], true),
        (vec!["run", "tests/run/bad/failed_expectations.toml"], false),
        (vec!["run", "tests/run/bad/unknown_account.toml"], false),
        (vec!["test", "tests/run/token.toml"], true),
        (vec!["--help"], true),
        (vec!["--version"], true),
        (vec!["compile"], false),
    ];
    for (args, to_stdout) in cases {
        let mut command = Command::new(env!("CARGO_BIN_EXE_braid"));
        command.args(&args).current_dir(env!("CARGO_MANIFEST_DIR"));
        let full = dev_full().expect("/dev/full opens");
        if to_stdout {
            command.stdout(full);
        } else {
            command.stderr(full);
        }
        let out = command.output().expect("run the braid binary");
        assert_eq!(
            code(&out),
            2,
            "braid {args:?} with {} on /dev/full: {}",
            if to_stdout { "stdout" } else { "stderr" },
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn colour_follows_the_conventions() {
    let dir = scratch("colour");
    let bad = dir.join("bad.braid");
    std::fs::write(&bad, BAD_SOURCE).expect("write");
    let bad = bad.to_str().expect("UTF-8 path");
    let esc = |out: &Output| stderr(out).contains('\u{1b}');
    // Piped: no colour unless asked for.
    let out = braid_with(&["compile", bad], b"", &[]);
    assert_eq!(code(&out), 1);
    assert!(!esc(&out), "{:?}", stderr(&out));
    // --color always, before or after the subcommand.
    assert!(esc(&braid_with(
        &["compile", bad, "--color", "always"],
        b"",
        &[]
    )));
    assert!(esc(&braid_with(
        &["--color=always", "compile", bad],
        b"",
        &[]
    )));
    // CLICOLOR_FORCE forces it; NO_COLOR wins over it; --color never wins over both.
    assert!(esc(&braid_with(
        &["compile", bad],
        b"",
        &[("CLICOLOR_FORCE", "1")]
    )));
    assert!(!esc(&braid_with(
        &["compile", bad],
        b"",
        &[("CLICOLOR_FORCE", "0")]
    )));
    assert!(!esc(&braid_with(
        &["compile", bad],
        b"",
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    assert!(!esc(&braid_with(
        &["compile", bad, "--color", "never"],
        b"",
        &[("CLICOLOR_FORCE", "1")]
    )));
    assert!(esc(&braid_with(
        &["compile", bad, "--color", "always"],
        b"",
        &[("NO_COLOR", "1")]
    )));
    // Every subcommand takes --color; the run's error line and the test lines follow it.
    let out = braid_with(
        &[
            "run",
            "tests/run/bad/unknown_account.toml",
            "--color",
            "always",
        ],
        b"",
        &[],
    );
    assert_eq!(code(&out), 1);
    assert!(esc(&out), "{:?}", stderr(&out));
    let out = braid_with(
        &["test", "tests/run/token.toml", "--color=always"],
        b"",
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\u{1b}[1;32mok"),
        "{:?}",
        stdout(&out)
    );
    let out = braid_with(&["test", "tests/run/token.toml", "--color=never"], b"", &[]);
    assert!(!stdout(&out).contains('\u{1b}'));
    let out = braid(&["compile", COUNTER, "--color", "sometimes"]);
    assert_eq!(code(&out), 2, "a bad --color value is a usage error");
}

#[test]
fn compile_reads_stdin_for_dash() {
    let source = std::fs::read(COUNTER).expect("read the counter");
    let out = braid_with(&["compile", "-"], &source, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "compiled <stdin>: 1 contract (Counter)\n");
    let out = braid_with(&["compile", "-", "--emit", "access"], &source, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        stdout(&braid(&["compile", COUNTER, "--emit", "access"]))
    );
    let out = braid_with(&["compile", "-"], BAD_SOURCE.as_bytes(), &[]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("<stdin>:2:"), "{}", stderr(&out));
    // Imports resolve from the current directory: `use coin::Coin` finds nothing at the
    // package root, but does under tests/run/contracts via -I.
    let bank = std::fs::read("tests/run/contracts/bank.braid").expect("read bank");
    let out = braid_with(&["compile", "-", "-I", "tests/run/contracts"], &bank, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 contract (Bank)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn compile_says_what_it_compiled() {
    let dir = scratch("compiled-line");
    let out = braid(&["compile", COUNTER, "-o", dir.to_str().expect("UTF-8 path")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let written = dir.join("Counter.bbc");
    assert_eq!(
        stderr(&out),
        format!(
            "compiled {COUNTER}: 1 contract (Counter), wrote {}\n",
            written.display()
        )
    );
    let out = braid(&["compile", COUNTER, "--emit", "tokens"]);
    assert_eq!(stderr(&out), format!("compiled {COUNTER}: tokens only\n"));
}

#[test]
fn message_format_json() {
    let dir = scratch("message-json");
    let bad = dir.join("bad.braid");
    std::fs::write(&bad, BAD_SOURCE).expect("write");
    let path = bad.to_str().expect("UTF-8 path");
    let out = braid(&["compile", path, "--message-format", "json"]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert!(!lines.is_empty(), "one line per diagnostic");
    for line in &lines {
        let d: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert_eq!(d["file"], path);
        assert_eq!(d["line"], 2, "{line}");
        assert!(d["column"].as_u64().is_some_and(|c| c > 1), "{line}");
        assert!(
            d["code"].as_str().is_some_and(|c| c.starts_with('E')),
            "{line}"
        );
        assert!(d["severity"] == "error" || d["severity"] == "warning");
        assert!(d["labels"].is_array() && d["help"].is_array() && d["notes"].is_array());
    }
    // Success: no diagnostics, nothing on stderr, the emitted stage still on stdout.
    let out = braid(&[
        "compile",
        COUNTER,
        "--message-format",
        "json",
        "--emit",
        "tokens",
    ]);
    assert_eq!(code(&out), 0);
    assert_eq!(stderr(&out), "");
    assert!(!stdout(&out).is_empty());
}

#[test]
fn braid_test_reports_each_scenario() {
    // Two passing scenarios.
    let out = braid(&["test", "tests/run/token.toml", "tests/run/events.toml"]);
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(
        stdout(&out),
        "ok     tests/run/token.toml (7 expectations met)\n\
         ok     tests/run/events.toml (6 expectations met)\n\n\
         test result: ok. 2 scenarios: 2 passed, 0 failed\n"
    );
    assert_eq!(
        stderr(&out),
        "",
        "compiler warnings are not repeated per scenario"
    );
    // A directory, recursively: tests/run/bad holds failing and malformed scenarios.
    let out = braid(&["test", "tests/run"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("ok     tests/run/token.toml"), "{text}");
    assert!(
        text.contains(
            "FAILED tests/run/bad/failed_expectations.toml (5 of 5 expectations failed)\n    \
             tests/run/bad/failed_expectations.toml:13: block 1, tx 0 (counter.bump): return: expected 7, got 6\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("FAILED tests/run/bad/timestamp_decreases.toml (did not run)\n    tests/run/bad/timestamp_decreases.toml:13: block 2: timestamp 99"),
        "{text}"
    );
    let scenarios = std::fs::read_dir("tests/run")
        .expect("list")
        .chain(std::fs::read_dir("tests/run/bad").expect("list"))
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "toml"))
        })
        .count();
    let last = text.lines().last().expect("a summary line");
    assert!(
        last.starts_with(&format!("test result: FAILED. {scenarios} scenarios: ")),
        "{last}"
    );
    // --json: one object, a row per scenario.
    let out = braid(&["test", "tests/run/counter.toml", "tests/run/bad", "--json"]);
    assert_eq!(code(&out), 1);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    let rows = report["scenarios"].as_array().expect("rows");
    assert_eq!(rows[0]["scenario"], "tests/run/counter.toml");
    assert_eq!(rows[0]["passed"], true);
    assert!(rows[0]["digest"].as_str().is_some_and(|d| d.len() == 64));
    let failed = rows
        .iter()
        .find(|r| r["scenario"] == "tests/run/bad/failed_events.toml")
        .expect("failed_events row");
    assert_eq!(failed["passed"], false);
    assert_eq!(failed["failed"], 2);
    assert_eq!(failed["error"], serde_json::Value::Null);
    let malformed = rows
        .iter()
        .find(|r| r["scenario"] == "tests/run/bad/compile_error.toml")
        .expect("compile_error row");
    assert!(
        malformed["error"]
            .as_str()
            .is_some_and(|e| e.contains("does not compile")),
        "{malformed}"
    );
    assert_eq!(report["passed"], 1);
    assert_eq!(report["failed"].as_u64(), Some(rows.len() as u64 - 1));
    // A missing path is an I/O error.
    let out = braid(&["test", "tests/no-such-dir"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn braid_test_defaults_to_tests_dir() {
    let dir = scratch("default-tests");
    let tests = dir.join("tests");
    std::fs::create_dir_all(tests.join("deep")).expect("create");
    let root = env!("CARGO_MANIFEST_DIR");
    let scenario = format!(
        "contracts = [\"{root}/tests/run/contracts/counter.braid\"]\n\
         [[deploy]]\nname = \"c\"\ncontract = \"Counter\"\nsender = \"alice\"\nargs = [\"1\"]\n\
         [[block]]\ntxs = [{{ sender = \"alice\", to = \"c\", fn = \"bump\", args = [\"2\"], expect = {{ return = \"3\" }} }}]\n"
    );
    std::fs::write(tests.join("deep").join("one.toml"), scenario).expect("write");
    std::fs::write(tests.join("notes.txt"), "not a scenario").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("test")
        .current_dir(&dir)
        .output()
        .expect("run braid");
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).starts_with("ok     tests/deep/one.toml (1 expectation met)\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn run_json_has_checks_and_deployed() {
    let out = braid(&["run", "tests/run/bad/failed_events.toml", "--json"]);
    assert_eq!(code(&out), 1);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    let deployed = report["deployed"].as_array().expect("deployed");
    assert_eq!(deployed[0]["name"], "usd");
    assert_eq!(deployed[0]["contract"], "Token");
    assert!(
        deployed[0]["address"]
            .as_str()
            .is_some_and(|a| a.len() == 42)
    );
    let checks = report["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0]["block"], 1);
    assert_eq!(checks[0]["index"], 0);
    assert_eq!(checks[0]["passed"], false);
    assert_eq!(checks[0]["expected"]["events"][0]["name"], "Transfer");
    assert_eq!(checks[1]["index"], 2);
    // A scenario without expectations or deploys has neither key.
    let dir = scratch("no-checks");
    let path = dir.join("empty.toml");
    std::fs::write(&path, "[[block]]\n").expect("write");
    let out = braid(&["run", path.to_str().expect("UTF-8 path"), "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert!(report.get("checks").is_none() && report.get("deployed").is_none());
}
