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
    assert_eq!(stderr(&out), "", "no warnings expected");
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
fn emit_clif_is_not_available_yet() {
    let out = braid(&["compile", COUNTER, "--emit", "clif"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("JIT"), "{}", stderr(&out));
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
