//! `braid run --parallel` prints exactly what `braid run` prints: every scenario under
//! `tests/run/`, `tests/run/bad/` and `tests/defi/`, with `--json` and as a table, on 1,
//! 2 and 4 worker threads, with and without the in-order fallback for tiny blocks
//! (`BRAID_ALWAYS_PARALLEL` schedules every block from its DAG).

mod common;

use common::{braid, scenarios};

#[test]
fn every_scenario_prints_the_same_bytes_sequentially_and_in_parallel() {
    let all = scenarios();
    assert!(all.len() > 20, "the scenarios were found: {all:?}");
    for scenario in &all {
        for json in [true, false] {
            let mut base = vec!["run", scenario.as_str()];
            if json {
                base.push("--json");
            }
            let expected = braid(&base, false);
            for threads in ["1", "2", "4"] {
                for always in [false, true] {
                    let mut args = base.clone();
                    args.extend(["--parallel", "--threads", threads]);
                    let got = braid(&args, always);
                    assert_eq!(
                        got, expected,
                        "{scenario} (json {json}, {threads} threads, always parallel {always})"
                    );
                }
            }
        }
    }
}
