//! `braid run` end to end: every scenario in `tests/run/*.toml` runs with `--json`, must
//! succeed with nothing on stderr, print the same bytes twice, and match its snapshot;
//! every scenario in `tests/run/bad/*.toml` must fail and its messages match a snapshot.
//! A hand-made module (loaded from a `.bbc` file) shows the `access_violation` receipt.

use braid_bytecode::{
    BasicBlock, Function, Instr, Module, Reg, Regs, StorageField, Terminator, ValueType, Visibility,
};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of the binary printed.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn braid(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the braid binary");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// The path relative to the package root, as a user in the repository would type it.
fn relative(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .expect("scenario under the package")
        .display()
        .to_string()
}

/// The two globs run one after the other in one test: insta counts glob failures per
/// process, so two globs running at once would report each other's failures.
#[test]
fn scenario_snapshots() {
    scenarios();
    malformed_scenarios();
}

fn scenarios() {
    insta::glob!("run/*.toml", |path| {
        let scenario = relative(path);
        let first = braid(&["run", &scenario, "--json"]);
        assert_eq!(first.stderr, "", "{scenario}: stderr must be empty");
        assert_eq!(first.code, 0, "{scenario}: exit code");
        let second = braid(&["run", &scenario, "--json"]);
        assert_eq!(first.stdout, second.stdout, "{scenario}: two runs differ");
        let parsed: serde_json::Value =
            serde_json::from_str(&first.stdout).expect("one JSON object");
        assert!(
            parsed["digest"].as_str().is_some_and(|d| d.len() == 64),
            "{scenario}: digest"
        );
        let json = first.stdout;
        insta::assert_snapshot!("scenarios", json);
    });
}

fn malformed_scenarios() {
    insta::glob!("run/bad/*.toml", |path| {
        let scenario = relative(path);
        let run = braid(&["run", &scenario, "--json"]);
        assert_eq!(
            run.code, 1,
            "{scenario}: a malformed scenario exits 1\n{}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        let report = format!(
            "exit code {}\n--- stdout\n{}--- stderr\n{}",
            run.code, run.stdout, run.stderr
        );
        insta::assert_snapshot!("malformed_scenarios", report);
    });
}

#[test]
fn table_output() {
    let run = braid(&["run", "tests/run/token.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let table = run.stdout;
    insta::assert_snapshot!(table);
}

#[test]
fn engines_and_threads_give_the_same_output() {
    let reference = braid(&["run", "tests/run/token.toml", "--json"]);
    for flags in [
        &["--parallel"][..],
        &["--parallel", "--threads", "2"],
        &["--engine", "jit"],
        &["--engine", "interp"],
    ] {
        let mut args = vec!["run", "tests/run/token.toml", "--json"];
        args.extend_from_slice(flags);
        let run = braid(&args);
        assert_eq!(run.code, 0, "{flags:?}: {}", run.stderr);
        assert_eq!(run.stdout, reference.stdout, "{flags:?}");
    }
}

/// `Rogue` writes a storage field its (empty) access summary does not cover: only
/// hand-made bytecode can do that, and the VM must refuse with `access_violation`.
fn rogue_module() -> Module {
    let ret_unit = Terminator::Return(Regs {
        start: Reg(0),
        n: 0,
    });
    let poke = Function {
        name: "poke".into(),
        visibility: Visibility::Pub,
        params: vec![],
        ret: ValueType::unit(),
        n_regs: 1,
        blocks: vec![BasicBlock {
            instrs: vec![
                Instr::Const {
                    dst: Reg(0),
                    idx: 0,
                },
                Instr::SStore {
                    field: 0,
                    key: Regs {
                        start: Reg(0),
                        n: 0,
                    },
                    src: Regs {
                        start: Reg(0),
                        n: 1,
                    },
                },
            ],
            term: ret_unit.clone(),
        }],
        access: vec![],
    };
    let answer = Function {
        name: "answer".into(),
        visibility: Visibility::PubView,
        params: vec![],
        ret: ValueType::U64,
        n_regs: 1,
        blocks: vec![BasicBlock {
            instrs: vec![Instr::Const {
                dst: Reg(0),
                idx: 0,
            }],
            term: Terminator::Return(Regs {
                start: Reg(0),
                n: 1,
            }),
        }],
        access: vec![],
    };
    Module {
        format_version: braid_bytecode::FORMAT_VERSION,
        gas_version: braid_bytecode::GAS_TABLE_VERSION,
        name: "Rogue".into(),
        storage: vec![StorageField {
            name: "x".into(),
            key: None,
            value: ValueType::U64,
        }],
        events: vec![],
        consts: vec![braid_bytecode::U256::from(42u8)],
        strings: vec![],
        imports: vec![],
        functions: vec![poke, answer],
        source_map: None,
    }
}

#[test]
fn access_violation_from_hand_made_bytecode() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run-access-violation");
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("rogue.bbc"),
        braid_bytecode::encode::encode(&rogue_module()),
    )
    .expect("write module");
    let scenario = dir.join("rogue.toml");
    std::fs::write(
        &scenario,
        r#"contracts = ["rogue.bbc"]

[[deploy]]
name = "rogue"
contract = "Rogue"
sender = "alice"

[[block]]
txs = [
  { sender = "alice", to = "rogue", fn = "answer", expect = { return = "42" } },
  { sender = "alice", to = "rogue", fn = "poke", expect = { reason = "access_violation" } },
]
"#,
    )
    .expect("write scenario");
    let path = scenario.display().to_string();
    let run = braid(&["run", &path, "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let json = run.stdout;
    insta::assert_snapshot!(json);
}

#[test]
fn missing_scenario_is_an_io_error() {
    let run = braid(&["run", "tests/run/no-such-scenario.toml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cannot read tests/run/no-such-scenario.toml"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}
