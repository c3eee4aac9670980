//! `braid run SCENARIO.toml [--json] [--parallel] [--threads N] [--engine jit|interp]`.
//!
//! Order of work: parse the scenario, compile and load its contracts, deploy (block 0),
//! resolve every block (so a malformed transaction is reported before anything runs),
//! check the senders, execute the blocks, print the receipts and digest, then report
//! failed expectations. [`execute`] is the part `braid test` shares.

pub mod contracts;
pub mod plan;
pub mod senders;
mod table;
pub mod trace;

use crate::cli::{ColorChoice, CommandError, Engine, RunArgs};
use crate::output;
use crate::receipt_json::{CheckEntry, DeployedEntry, ReceiptEntry, RunReport, address_text};
use crate::scenario::expect::Observed;
use crate::scenario::{LoadError, Scenario};
use braid_vm::{Chain, EngineKind, Executor, Receipt};
use contracts::DiagnosticsTo;
use plan::{CallInfo, Deployed, SenderAudit};
use std::path::Path;

/// What running a scenario gave.
#[derive(Debug)]
pub struct Outcome {
    /// Receipts, expectations, deployments and the digest (the `--json` object).
    pub report: RunReport,
    /// The deployed instances.
    pub deployed: Vec<Deployed>,
    /// How many expectations were met and not.
    pub checks: table::CheckCount,
    /// Each failed expectation, located (`file:line: block 1, tx 0 (…): return: …`).
    pub failed: Vec<String>,
}

/// Runs `braid run`.
pub fn run(args: &RunArgs, color: ColorChoice) -> Result<(), CommandError> {
    let mut executor = executor(args)?;
    let outcome = execute(
        &args.scenario,
        DiagnosticsTo::Stderr(color),
        &mut executor,
        engine_kind(args.engine),
        args.trace,
    )?;
    let text = if args.json {
        outcome.report.to_json_text()
    } else {
        table::render(&outcome.deployed, &outcome.report, &outcome.checks)
    };
    output::out(&text)?;
    if outcome.failed.is_empty() {
        return Ok(());
    }
    let colour = output::colour(color, output::Stream::Stderr);
    let mut lines = String::new();
    for f in &outcome.failed {
        lines.push_str(&format!(
            "{}: {f}\n",
            output::paint(colour, output::RED, "expectation failed")
        ));
    }
    output::err(&lines)?;
    Err(CommandError::Input(format!(
        "{} expectation{} failed",
        outcome.failed.len(),
        if outcome.failed.len() == 1 { "" } else { "s" }
    )))
}

/// Loads, plans and runs the scenario at `path` with `executor`; prints nothing but
/// (with [`DiagnosticsTo::Stderr`]) the diagnostics of the contracts it compiles.
/// With `trace`, every receipt entry carries its transaction's trace.
pub fn execute(
    path: &Path,
    diagnostics: DiagnosticsTo,
    executor: &mut Executor,
    engine: EngineKind,
    trace: bool,
) -> Result<Outcome, CommandError> {
    let scenario = Scenario::load(path).map_err(|e| match e {
        LoadError::Io { .. } => CommandError::Io(e.to_string()),
        LoadError::Malformed(m) => CommandError::Input(m.to_string()),
    })?;
    let input = |e: crate::scenario::ScenarioError| CommandError::Input(e.to_string());
    let mut names = plan::initial_names(&scenario).map_err(input)?;
    let mut chain = Chain::new();
    // Every transaction (deployments included) runs on `engine`; under the JIT each
    // contract is compiled when it is loaded.
    chain
        .set_engine(engine)
        .map_err(|e| CommandError::Input(e.to_string()))?;
    // The executor refuses a block above the limit too; planning has already reported
    // any such block as malformed, with its line.
    chain.set_block_gas_limit(scenario.file.block_gas_limit());
    let contracts = contracts::load_contracts(&scenario, &mut chain, diagnostics)?;
    let mut audit = SenderAudit::default();
    let deployed = plan::deploy_all(&scenario, &mut chain, &contracts, &mut names, &mut audit)
        .map_err(input)?;
    let blocks = plan::plan_blocks(&scenario, &chain, &names, &mut audit).map_err(input)?;
    let label = |addr: &[u8; 20]| match deployed.iter().find(|d| d.address == *addr) {
        Some(d) => format!("{} ({})", d.name, d.contract),
        None => address_text(addr),
    };
    senders::check(&scenario, &chain, &audit.subs, &audit.raw, label).map_err(input)?;

    let mut receipts = Vec::new();
    let mut check_entries = Vec::new();
    let mut failed = Vec::new();
    let mut checks = table::CheckCount::default();
    executor.set_trace(trace);
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
        let names = trace::Names {
            chain: &chain,
            instances: deployed
                .iter()
                .map(|d| (d.address, d.name.clone()))
                .collect(),
        };
        for (index, (info, receipt)) in block.tx_infos.iter().zip(&results).enumerate() {
            let mut entry = ReceiptEntry::new(
                block.number,
                index,
                info.to_label.clone(),
                info.function.clone(),
                receipt,
            );
            entry.stack = trace::stack_lines(&names, receipt);
            if trace {
                entry.trace = Some(trace::trace_entries(&names, receipt));
            }
            let at = entry.stack.first().map(trace::FrameLine::text);
            receipts.push(entry);
            record(
                &scenario,
                block.number,
                info,
                (receipt, at),
                &mut check_entries,
                &mut failed,
                &mut checks,
            );
        }
        for call in &block.checks {
            let receipt = chain.call_view(block.context(), &call.tx);
            let at = trace::stack_lines(&names, &receipt)
                .first()
                .map(trace::FrameLine::text);
            record(
                &scenario,
                block.number,
                &call.info,
                (&receipt, at),
                &mut check_entries,
                &mut failed,
                &mut checks,
            );
        }
    }
    let report = RunReport {
        receipts,
        checks: check_entries,
        deployed: deployed
            .iter()
            .map(|d| DeployedEntry {
                name: d.name.clone(),
                contract: d.contract.clone(),
                address: address_text(&d.address),
            })
            .collect(),
        digest: hex::encode(chain.digest()),
        names: address_names(&scenario.file, &deployed),
    };
    Ok(Outcome {
        report,
        deployed,
        checks,
        failed,
    })
}

/// The names the readable output gives addresses: `@instance` for each deployed
/// contract, `@account` for each account the scenario names (its `accounts`, the
/// senders, and `@name` arguments that are not instances).
fn address_names(
    file: &crate::scenario::ScenarioFile,
    deployed: &[plan::Deployed],
) -> Vec<(String, String)> {
    fn at_names<'v>(v: &'v toml::Value, out: &mut Vec<&'v str>) {
        match v {
            toml::Value::String(s) => {
                if let Some(name) = s.strip_prefix('@') {
                    out.push(name);
                }
            }
            toml::Value::Array(items) => items.iter().for_each(|i| at_names(i, out)),
            _ => {}
        }
    }
    let mut accounts: Vec<&str> = file.accounts.iter().flatten().map(String::as_str).collect();
    for d in &file.deploy {
        accounts.push(&d.get_ref().sender);
        d.get_ref()
            .args
            .iter()
            .for_each(|a| at_names(a, &mut accounts));
    }
    for b in &file.block {
        for t in &b.get_ref().txs {
            let t = t.get_ref();
            accounts.push(&t.sender);
            t.args.iter().for_each(|a| at_names(a, &mut accounts));
        }
    }
    let mut names: Vec<(String, String)> = deployed
        .iter()
        .map(|d| (address_text(&d.address), format!("@{}", d.name)))
        .collect();
    for a in accounts {
        if deployed.iter().any(|d| d.name == a) || names.iter().any(|(_, n)| n[1..] == *a) {
            continue;
        }
        let addr = braid_bytecode::encode::account_address(a);
        names.push((address_text(&addr), format!("@{a}")));
    }
    names
}

/// The VM's engine for the command line's `--engine`.
pub fn engine_kind(engine: Engine) -> EngineKind {
    match engine {
        Engine::Interp => EngineKind::Interp,
        Engine::Jit => EngineKind::Jit,
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

/// Compares a receipt with the call's expectation (if it has one); records the entry
/// for `checks` and each mismatch.
/// Checks one receipt against its expectations: each mismatch becomes a located
/// message in `failed` (with, for a failed call, where it failed: `at FILE:LINE:COL in
/// Contract.fn`, from `at`) and the whole check an entry of `entries`.
fn record(
    scenario: &Scenario,
    block: u64,
    call: &CallInfo,
    (receipt, at): (&Receipt, Option<String>),
    entries: &mut Vec<CheckEntry>,
    failed: &mut Vec<String>,
    count: &mut table::CheckCount,
) {
    if call.expect.is_empty() {
        return;
    }
    let failure = receipt
        .status
        .as_ref()
        .err()
        .map(|f| (f.kind(), f.message()));
    let observed = Observed {
        failure,
        ret: &receipt.ret,
        ret_type: &receipt.ret_type,
        events: &receipt.events,
    };
    let mismatches = call.expect.mismatches(&observed);
    for mismatch in &mismatches {
        let located = scenario.error(
            Some(call.line_offset),
            format!("{}: {mismatch}", call.place),
        );
        failed.push(match &at {
            Some(at) => format!("{located} ({at})"),
            None => located.to_string(),
        });
    }
    count.record(mismatches.is_empty());
    entries.push(CheckEntry {
        block,
        index: call.index,
        kind: call.kind.as_str(),
        to: call.to_label.clone(),
        function: call.function.clone(),
        expected: call.expect.to_json(),
        passed: mismatches.is_empty(),
        failures: mismatches,
    });
}
