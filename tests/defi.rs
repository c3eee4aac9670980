//! The DeFi reference cases: every scenario in `tests/defi/` (and the README's
//! `contracts/demo.toml`) runs through `braid run` with all of its expectations met.
//! Each scenario names, in its header, the upstream test file its numbers come from
//! (Uniswap v2-core/periphery, Compound, Synthetix, DSMath, Aave).

use std::path::Path;
use std::process::Command;

/// Runs `braid run <scenario>`; returns (exit code, stdout, stderr).
fn run(scenario: &str, json: bool) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_braid"));
    cmd.arg("run")
        .arg(scenario)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().expect("run the braid binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scenarios() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/defi");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/defi exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            format!(
                "tests/defi/{}",
                p.file_name().unwrap_or_default().to_string_lossy()
            )
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_reference_scenario_meets_its_expectations() {
    let all = scenarios();
    assert!(all.len() >= 10, "the reference suites are all here");
    let mut failures = Vec::new();
    for scenario in &all {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario))
            .expect("scenario is readable");
        assert!(
            text.contains("expect") || text.contains("[[block.check]]"),
            "{scenario} states expectations"
        );
        let (code, stdout, stderr) = run(scenario, false);
        if code != 0 {
            failures.push(format!("{scenario}: exit {code}\n{stderr}\n{stdout}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_demo_runs_and_is_deterministic() {
    let (code, first, stderr) = run("contracts/demo.toml", true);
    assert_eq!(code, 0, "{stderr}");
    let (_, second, _) = run("contracts/demo.toml", true);
    assert_eq!(first, second, "two runs print identical bytes");
    let json: serde_json::Value = serde_json::from_str(&first).expect("one JSON object");
    let receipts = json["receipts"].as_array().expect("receipts array");
    assert!(receipts.len() >= 20, "the demo block is a real block");
    for contract in ["usd", "dex", "lending", "staking"] {
        assert!(
            receipts
                .iter()
                .any(|r| r["to"] == contract && r["status"] == "success"),
            "the demo exercises {contract}"
        );
    }
}
