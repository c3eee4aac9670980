//! `braid run SCENARIO.toml [--json] [--parallel] [--threads N] [--engine jit|interp]`.
//!
//! Order of work: parse the scenario, compile and load its contracts, deploy (block 0),
//! resolve every block (so a malformed transaction is reported before anything runs),
//! execute the blocks, print the receipts and digest, then report failed expectations.

mod contracts;
mod plan;
mod table;

use crate::cli::{CommandError, Engine, RunArgs};
use crate::receipt_json::{ReceiptEntry, RunReport};
use crate::scenario::expect::Observed;
use crate::scenario::{LoadError, Scenario};
use braid_vm::{Chain, Executor, Receipt};
use std::io::Write;

/// One failed expectation, ready to print.
#[derive(Debug)]
struct Failed {
    line: String,
}

/// Runs `braid run`.
pub fn run(args: &RunArgs) -> Result<(), CommandError> {
    note_engine(args);
    let scenario = Scenario::load(&args.scenario).map_err(|e| match e {
        LoadError::Io { .. } => CommandError::Io(e.to_string()),
        LoadError::Malformed(m) => CommandError::Input(m.to_string()),
    })?;
    let input = |e: crate::scenario::ScenarioError| CommandError::Input(e.to_string());
    let mut names = plan::initial_names(&scenario).map_err(input)?;
    let mut chain = Chain::new();
    let contracts = contracts::load_contracts(&scenario, &mut chain)?;
    let deployed =
        plan::deploy_all(&scenario, &mut chain, &contracts, &mut names).map_err(input)?;
    let blocks = plan::plan_blocks(&scenario, &chain, &names).map_err(input)?;

    let mut executor = executor(args)?;
    let mut receipts = Vec::new();
    let mut failed = Vec::new();
    let mut checks = table::CheckCount::default();
    for block in &blocks {
        let results = executor
            .execute(&mut chain, block.context(), &block.txs)
            .map_err(|e| CommandError::Input(format!("block {}: {e}", block.number)))?
            .receipts;
        if results.len() != block.txs.len() {
            return Err(CommandError::Input(format!(
                "internal error: block {} has {} transactions but the VM returned {} receipts",
                block.number,
                block.txs.len(),
                results.len()
            )));
        }
        for (index, (info, receipt)) in block.tx_infos.iter().zip(&results).enumerate() {
            receipts.push(ReceiptEntry::new(
                block.number,
                index,
                info.to_label.clone(),
                info.function.clone(),
                receipt,
            ));
            record(&scenario, info, receipt, &mut failed);
        }
        for call in &block.checks {
            let receipt = chain.call_view(block.context(), &call.tx);
            let before = failed.len();
            record(&scenario, &call.info, &receipt, &mut failed);
            checks.record(failed.len() == before);
        }
    }
    let report = RunReport {
        receipts,
        digest: hex::encode(chain.digest()),
    };
    let text = if args.json {
        report.to_json_text()
    } else {
        table::render(&deployed, &report, &checks)
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CommandError::Io(format!("cannot write to stdout: {e}")))?;
    if failed.is_empty() {
        return Ok(());
    }
    for f in &failed {
        eprintln!("expectation failed: {}", f.line);
    }
    Err(CommandError::Input(format!(
        "{} expectation{} failed",
        failed.len(),
        if failed.len() == 1 { "" } else { "s" }
    )))
}

/// Says on stderr (never in the output) which engine really runs.
fn note_engine(args: &RunArgs) {
    if args.engine == Engine::Jit {
        eprintln!(
            "note: the JIT engine is not available yet; running the reference interpreter (same results by definition)"
        );
    }
}

/// The block executor the flags ask for: `--parallel` (or `--threads N`) runs
/// blocks from the conflict DAG on N workers (default: every core), else in order.
fn executor(args: &RunArgs) -> Result<Executor, CommandError> {
    if !args.parallel && args.threads.is_none() {
        return Ok(Executor::sequential());
    }
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        std::num::NonZeroUsize::get,
    );
    let executor = Executor::parallel(threads).map_err(|e| CommandError::Io(e.to_string()))?;
    // Testing knob: schedule even tiny blocks from their DAG (same results).
    Ok(if std::env::var_os("BRAID_ALWAYS_PARALLEL").is_some() {
        executor.always_parallel()
    } else {
        executor
    })
}

/// Compares a receipt with the call's expectation; records each mismatch.
fn record(scenario: &Scenario, call: &plan::CallInfo, receipt: &Receipt, failed: &mut Vec<Failed>) {
    let failure = receipt
        .status
        .as_ref()
        .err()
        .map(|f| (f.kind(), f.message()));
    let observed = Observed {
        failure,
        ret: &receipt.ret,
        ret_type: &receipt.ret_type,
    };
    for mismatch in call.expect.mismatches(&observed) {
        let located = scenario.error(
            Some(call.line_offset),
            format!("{}: {mismatch}", call.place),
        );
        failed.push(Failed {
            line: located.to_string(),
        });
    }
}
