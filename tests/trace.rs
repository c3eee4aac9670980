//! Failure locations and `braid run --trace` end to end: the table always shows where
//! a transaction failed and its call stack; `--trace` prints every call, storage
//! access and event (and `--json --trace` adds `"trace"` to each receipt) the same
//! whichever executor runs the block; `braid compile --strip` leaves the source map
//! out (a smaller module that runs the same, its failures without `file:line:col`).

mod common;

use common::braid as braid_env;
use std::path::Path;

const SCENARIO: &str = "tests/trace/failures.toml";

fn braid(args: &[&str]) -> String {
    let (code, stdout, stderr) = braid_env(args, false);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    assert_eq!(stderr, "", "{args:?}");
    stdout
}

#[test]
fn the_table_shows_where_each_failure_happened() {
    let table = braid(&["run", SCENARIO]);
    assert!(table.contains("  at tests/run/contracts/coin.braid:42:9 in Coin.transfer_from\n  at tests/run/contracts/bank.braid:19:17 in Bank.deposit\n"), "{table}");
    insta::assert_snapshot!("failures_table", table);
}

#[test]
fn trace_as_a_table() {
    insta::assert_snapshot!("trace_table", braid(&["run", SCENARIO, "--trace"]));
}

#[test]
fn trace_as_json() {
    let json = braid(&["run", SCENARIO, "--json", "--trace"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("one JSON object");
    let receipts = parsed["receipts"].as_array().expect("receipts");
    assert!(receipts.iter().all(|r| r["trace"].is_array()));
    insta::assert_snapshot!("trace_json", json);
}

#[test]
fn without_trace_the_json_has_no_trace() {
    let json = braid(&["run", SCENARIO, "--json"]);
    assert!(!json.contains("\"trace\""), "{json}");
    let traced = braid(&["run", SCENARIO, "--json", "--trace"]);
    let digest =
        |j: &str| serde_json::from_str::<serde_json::Value>(j).expect("JSON")["digest"].clone();
    assert_eq!(digest(&json), digest(&traced));
}

#[test]
fn the_trace_is_the_same_sequentially_and_in_parallel() {
    for json in [&["--json"][..], &[]] {
        let mut args = vec!["run", SCENARIO, "--trace"];
        args.extend_from_slice(json);
        let reference = braid(&args);
        for always in [false, true] {
            for threads in ["1", "2"] {
                let mut par = args.clone();
                par.extend_from_slice(&["--parallel", "--threads", threads]);
                let (code, out, err) = braid_env(&par, always);
                assert_eq!(code, 0, "{err}");
                assert_eq!(out, reference, "{par:?}, always parallel: {always}");
            }
        }
    }
}

#[test]
fn a_stripped_module_is_smaller_runs_the_same_and_fails_without_a_location() {
    let dir = std::env::temp_dir().join(format!("braid-strip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let coin = "tests/run/contracts/coin.braid";
    let full = dir.join("full.bbc");
    let stripped = dir.join("Coin.bbc");
    for (out, strip) in [(&full, false), (&stripped, true)] {
        let out = out.display().to_string();
        let mut args = vec!["compile", coin, "-o", &out];
        if strip {
            args.push("--strip");
        }
        let (code, _, err) = braid_env(&args, false);
        assert_eq!(code, 0, "{err}");
    }
    let (full_len, stripped_len) = (len(&full), len(&stripped));
    assert!(
        stripped_len < full_len,
        "stripped {stripped_len} bytes, full {full_len}"
    );
    let scenario = dir.join("strip.toml");
    std::fs::write(
        &scenario,
        r#"contracts = ["Coin.bbc"]

[[deploy]]
name = "usd"
contract = "Coin"
sender = "alice"
args = ["1000"]

[[block]]
txs = [
  { sender = "alice", to = "usd", fn = "transfer", args = ["@bob", "10"] },
  { sender = "alice", to = "usd", fn = "transfer", args = ["@bob", "5000"] },
]
"#,
    )
    .expect("write the scenario");
    let table = braid(&["run", &scenario.display().to_string()]);
    // Same digest as the source's (the source map is not part of the code hash).
    std::fs::write(
        &scenario,
        std::fs::read_to_string(&scenario)
            .expect("read back")
            .replace("Coin.bbc", "full.bbc"),
    )
    .expect("rewrite the scenario");
    let with_map = braid(&["run", &scenario.display().to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
    let digest = |t: &str| t.lines().last().map(str::to_string);
    assert_eq!(digest(&table), digest(&with_map));
    assert!(with_map.contains("at tests/run/contracts/coin.braid:74:9 in Coin.move_coins"));
    insta::assert_snapshot!("stripped_table", table);
}

fn len(path: &Path) -> u64 {
    std::fs::metadata(path)
        .expect("the module was written")
        .len()
}
