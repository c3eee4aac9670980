//! `braid test [PATH…] [--json]`: every scenario under the paths, run as `braid run`
//! runs it, reported by its expectations.

use crate::cli::{ColorChoice, CommandError, TestArgs};
use crate::output::{self, Stream};
use crate::run_cmd::contracts::DiagnosticsTo;
use crate::run_cmd::execute;
use braid_vm::Executor;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where `braid test` looks when given no path.
pub const DEFAULT_DIR: &str = "tests";

/// One scenario's result (a row of the `--json` output).
#[derive(Debug, Serialize)]
pub struct ScenarioRow {
    /// The scenario file.
    pub scenario: String,
    /// Whether it ran and met every expectation.
    pub passed: bool,
    /// How many expectations it states.
    pub expectations: usize,
    /// How many of them failed.
    pub failed: usize,
    /// Each failed expectation, located (`file:line: block 1, tx 0 (…): …`).
    pub failures: Vec<String>,
    /// Why it could not run (a malformed scenario, a contract that does not compile, a
    /// failed deployment), else `null`.
    pub error: Option<String>,
    /// The final state digest when it ran, else `null`.
    pub digest: Option<String>,
}

/// The `--json` output.
#[derive(Debug, Serialize)]
pub struct TestReport {
    /// A row per scenario, in path order.
    pub scenarios: Vec<ScenarioRow>,
    /// How many scenarios passed.
    pub passed: usize,
    /// How many failed.
    pub failed: usize,
}

/// Runs `braid test`.
pub fn test(args: &TestArgs, color: ColorChoice) -> Result<(), CommandError> {
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(DEFAULT_DIR)]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for root in &roots {
        collect(root, true, &mut files)?;
    }
    let mut executor = Executor::sequential();
    let rows: Vec<ScenarioRow> = files.iter().map(|f| run_one(f, &mut executor)).collect();
    let passed = rows.iter().filter(|r| r.passed).count();
    let report = TestReport {
        failed: rows.len() - passed,
        passed,
        scenarios: rows,
    };
    if args.json {
        // Plain structs of strings, numbers and booleans always serialize.
        let mut text =
            serde_json::to_string_pretty(&report).expect("a TestReport always serializes");
        text.push('\n');
        output::out(&text)?;
    } else {
        output::out(&render(&report, output::colour(color, Stream::Stdout)))?;
    }
    if report.failed > 0 {
        return Err(CommandError::Reported);
    }
    Ok(())
}

/// Adds the scenario files at `path`: a file given on the command line, or the `*.toml`
/// files under a directory (recursively, sorted, hidden entries and symbolic links to
/// directories skipped). A path that does not exist is an I/O error.
fn collect(path: &Path, given: bool, out: &mut Vec<PathBuf>) -> Result<(), CommandError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| CommandError::Io(format!("cannot read {}: {e}", path.display())))?;
    if !meta.is_dir() {
        if given {
            out.push(path.to_path_buf());
        }
        return Ok(());
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| CommandError::Io(format!("cannot read {}: {e}", path.display())))?;
    let mut children = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| CommandError::Io(format!("cannot read {}: {e}", path.display())))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // Only real directories are entered (a symbolic link to a directory could loop).
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        children.push((entry.path(), is_dir));
    }
    children.sort();
    for (child, is_dir) in children {
        if is_dir {
            collect(&child, false, out)?;
        } else if child.extension().is_some_and(|e| e == "toml") {
            out.push(child);
        }
    }
    Ok(())
}

/// Runs one scenario as `braid run` would, without printing.
fn run_one(path: &Path, executor: &mut Executor) -> ScenarioRow {
    let scenario = path.display().to_string();
    // A panic is a bug in braid, never the scenario's fault; it fails this scenario's
    // row (the panic hook has printed the message) and the others still run.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        execute(
            path,
            DiagnosticsTo::Message,
            executor,
            braid_vm::EngineKind::default(),
            false,
        )
    }))
    .unwrap_or_else(|_| {
        // The executor may have been left mid-block: the next scenario gets a fresh one.
        *executor = Executor::sequential();
        Err(CommandError::Input(
            "internal error in braid (a bug): running this scenario panicked; please report it"
                .into(),
        ))
    });
    match result {
        Ok(outcome) => ScenarioRow {
            scenario,
            passed: outcome.failed.is_empty(),
            expectations: outcome.checks.passed + outcome.checks.failed,
            failed: outcome.checks.failed,
            failures: outcome.failed,
            error: None,
            digest: Some(outcome.report.digest),
        },
        Err(e) => ScenarioRow {
            scenario,
            passed: false,
            expectations: 0,
            failed: 0,
            failures: Vec::new(),
            error: Some(e.to_string()),
            digest: None,
        },
    }
}

/// The lines: one per scenario (and its failures, indented), then the summary.
fn render(report: &TestReport, colour: bool) -> String {
    let ok = output::paint(colour, output::GREEN, "ok");
    let failed = output::paint(colour, output::RED, "FAILED");
    let mut out = String::new();
    for row in &report.scenarios {
        if row.passed {
            let n = row.expectations;
            out.push_str(&format!(
                "{ok}     {} ({n} expectation{} met)\n",
                row.scenario,
                if n == 1 { "" } else { "s" }
            ));
            continue;
        }
        match &row.error {
            Some(error) => {
                out.push_str(&format!("{failed} {} (did not run)\n", row.scenario));
                for line in error.lines() {
                    out.push_str(&format!("    {line}\n"));
                }
            }
            None => {
                out.push_str(&format!(
                    "{failed} {} ({} of {} expectations failed)\n",
                    row.scenario, row.failed, row.expectations
                ));
                for line in &row.failures {
                    out.push_str(&format!("    {line}\n"));
                }
            }
        }
    }
    let total = report.scenarios.len();
    let verdict = if report.failed == 0 { &ok } else { &failed };
    out.push_str(&format!(
        "\ntest result: {verdict}. {total} scenario{}: {} passed, {} failed\n",
        if total == 1 { "" } else { "s" },
        report.passed,
        report.failed
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_summary() {
        let report = TestReport {
            scenarios: vec![
                ScenarioRow {
                    scenario: "a.toml".into(),
                    passed: true,
                    expectations: 1,
                    failed: 0,
                    failures: vec![],
                    error: None,
                    digest: Some("00".into()),
                },
                ScenarioRow {
                    scenario: "b.toml".into(),
                    passed: false,
                    expectations: 2,
                    failed: 1,
                    failures: vec![
                        "b.toml:3: block 1, tx 0 (c.f): return: expected 1, got 2".into(),
                    ],
                    error: None,
                    digest: Some("00".into()),
                },
                ScenarioRow {
                    scenario: "c.toml".into(),
                    passed: false,
                    expectations: 0,
                    failed: 0,
                    failures: vec![],
                    error: Some("c.toml:1: bad".into()),
                    digest: None,
                },
            ],
            passed: 1,
            failed: 2,
        };
        assert_eq!(
            render(&report, false),
            "ok     a.toml (1 expectation met)\n\
             FAILED b.toml (1 of 2 expectations failed)\n    \
             b.toml:3: block 1, tx 0 (c.f): return: expected 1, got 2\n\
             FAILED c.toml (did not run)\n    c.toml:1: bad\n\n\
             test result: FAILED. 3 scenarios: 1 passed, 2 failed\n"
        );
    }
}
