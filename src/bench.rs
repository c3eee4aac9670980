//! `braid bench [WORKLOAD] [options]` (cli spec; vm spec §7): the main job.
//!
//! For each workload: build it ([`workload::build`]: compile, deploy, set up; never
//! timed), then run the same blocks on a fresh O(1) clone of the set-up chain in each
//! mode: the sequential executor, the parallel executor on 1..=T threads, and for
//! `transfers` and `swaps` the native Rust floor ([`native`]). Only the executor's
//! `execute` calls are timed.
//!
//! The expected receipts come from an untimed sequential reference run. Every timed
//! run (the sequential one too) compares each block's receipts with them right after
//! the block and then drops them, so that every run allocates and frees the same
//! memory: a run that kept its receipts would fault in fresh pages on every block
//! and be measured slower than the runs after it. The final digests are compared
//! too, and the native floor's outcomes with the reference receipts. Any
//! disagreement exits 1 after the report is printed.

pub mod native;
pub mod report;
pub mod workload;

use crate::cli::{BenchArgs, BenchEngine, BenchWorkload, CommandError};
use braid_vm::{BlockOutcome, EngineKind, Executor, GraphStats, Receipt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use report::{GraphSummary, Machine, PhasesMs, Report, Row};
use std::io::IsTerminal;
use std::time::{Duration, Instant};
use workload::{Kind, Params, Workload};

/// The default suite's workloads: `defi-mix`, then `transfers` at 10,000 and at 2
/// accounts.
pub fn default_suite(params: &Params) -> Vec<(Kind, Params)> {
    vec![
        (Kind::DefiMix, *params),
        (
            Kind::Transfers,
            Params {
                accounts: 10_000,
                ..*params
            },
        ),
        (
            Kind::Transfers,
            Params {
                accounts: 2,
                ..*params
            },
        ),
    ]
}

/// Runs `braid bench`.
pub fn bench(args: &BenchArgs) -> Result<(), CommandError> {
    let engines = engines(args.engine)?;
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        std::num::NonZeroUsize::get,
    );
    let params = Params {
        accounts: args.accounts,
        pools: args.pools,
        users: args.users,
        markets: args.markets,
        instances: args.instances,
        txs: args.txs,
        blocks: args.blocks,
        seed: args.seed,
    };
    let suite = match args.workload {
        None => default_suite(&params),
        Some(w) => vec![(kind_of(w), params)],
    };
    for (kind, p) in &suite {
        p.check(*kind)
            .map_err(|e| CommandError::Usage(e.to_string()))?;
    }
    let contracts =
        workload::compile_contracts().map_err(|e| CommandError::Input(e.to_string()))?;

    // Steps: one per set-up workload and one per block per run (the reference run
    // included).
    let runs_per_engine = 2 + threads;
    let total: u64 = suite
        .iter()
        .map(|(kind, p)| {
            let native = usize::from(matches!(kind, Kind::Transfers | Kind::Swaps));
            (1 + p.blocks * (runs_per_engine * engines.len() + native)) as u64
        })
        .sum();
    let progress = progress_bar(total);

    let mut report = Report {
        machine: Machine::detect(),
        results: Vec::new(),
        workloads: Vec::new(),
    };
    let mut problems = Vec::new();
    for (kind, p) in &suite {
        progress.set_message(format!("{} {}: setting up", kind.name(), p.label(*kind)));
        let w = workload::build(*kind, p, &contracts)
            .map_err(|e| CommandError::Input(e.to_string()))?;
        progress.inc(1);
        // Every timed run, on either engine, is compared with the reference run
        // (sequential, on the interpreter: the workload's chain).
        for (i, engine) in engines.iter().enumerate() {
            run_workload(
                &w,
                *engine,
                i == 0,
                threads,
                &progress,
                &mut report,
                &mut problems,
            )?;
        }
    }
    progress.finish_and_clear();

    let text = if args.json {
        report.to_json_text()
    } else {
        report.to_table()
    };
    crate::output::out(&text)?;
    if problems.is_empty() {
        Ok(())
    } else {
        for p in &problems {
            crate::output::err(&format!("mismatch: {p}\n"))?;
        }
        Err(CommandError::Input(format!(
            "{} run{} disagreed with the sequential executor",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        )))
    }
}

fn kind_of(w: BenchWorkload) -> Kind {
    match w {
        BenchWorkload::Transfers => Kind::Transfers,
        BenchWorkload::Swaps => Kind::Swaps,
        BenchWorkload::Lending => Kind::Lending,
        BenchWorkload::Staking => Kind::Staking,
        BenchWorkload::DefiMix => Kind::DefiMix,
    }
}

/// The engines to run, in order (`both`: the interpreter, then the JIT).
fn engines(engine: BenchEngine) -> Result<Vec<EngineKind>, CommandError> {
    Ok(match engine {
        BenchEngine::Interp => vec![EngineKind::Interp],
        BenchEngine::Jit => vec![EngineKind::Jit],
        BenchEngine::Both => vec![EngineKind::Interp, EngineKind::Jit],
    })
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar
}

/// One run of a workload's blocks on one executor.
#[derive(Default)]
struct VmRun {
    /// Wall time of the `execute` calls.
    elapsed: Duration,
    /// Phases summed over blocks.
    phases: [Duration; 4],
    /// The first disagreement with the reference run, if any.
    mismatch: Option<String>,
    /// The final digest.
    digest: [u8; 32],
    /// Each block's conflict-graph statistics (parallel executor only).
    graphs: Vec<GraphStats>,
    /// Edges, barriers and fallback runs summed over blocks.
    edges: usize,
    barriers: usize,
    fallback_runs: usize,
    /// Peak RSS during the run.
    peak_rss_mb: Option<f64>,
}

/// What every run must produce: the receipts and final digest of an untimed
/// sequential run.
struct Reference {
    receipts: Vec<Vec<Receipt>>,
    digest: [u8; 32],
}

/// The untimed sequential reference run.
fn reference(w: &Workload, progress: &ProgressBar) -> Result<Reference, CommandError> {
    let mut executor = Executor::sequential();
    let mut chain = w.chain.clone();
    let mut receipts = Vec::with_capacity(w.blocks.len());
    for block in &w.blocks {
        let outcome = executor
            .execute(&mut chain, block.ctx, &block.txs)
            .map_err(|e| {
                CommandError::Input(format!("{} block {}: {e}", w.kind.name(), block.ctx.number))
            })?;
        receipts.push(outcome.receipts);
        progress.inc(1);
    }
    Ok(Reference {
        receipts,
        digest: chain.digest(),
    })
}

/// Runs the workload's blocks on every executor of `executors`, interleaved: block 1
/// on each executor in turn, then block 2, and so on (the order rotating from block
/// to block), each executor on its own copy of the chain. A shared machine's speed
/// drifts (other tenants, frequency); interleaving gives every executor the same
/// share of slow and fast moments, so the ratios between them hold even when the
/// absolute numbers move. The peak memory is the interleaved run's, the same for
/// every executor.
fn run_interleaved(
    w: &Workload,
    executors: Vec<Executor>,
    engine: EngineKind,
    progress: &ProgressBar,
    expected: &Reference,
) -> Result<Vec<VmRun>, CommandError> {
    // The engine (the JIT compiles every contract here, untimed).
    let mut base = w.chain.clone();
    base.set_engine(engine)
        .map_err(|e| CommandError::Input(format!("{}: {e}", w.kind.name())))?;
    let mut modes: Vec<(Executor, braid_vm::Chain, VmRun)> = Vec::new();
    for mut executor in executors {
        // Warm-up, untimed: the first block once on a throwaway clone, so that the
        // executor's buffers and the pool's threads are ready before the timed blocks.
        if let Some(first) = w.blocks.first() {
            let mut scratch = base.clone();
            drop(executor.execute(&mut scratch, first.ctx, &first.txs));
        }
        // Each timed run owns its world, as a node owns its state: a clone would share
        // every node with the set-up world, so that each block's first write to a node
        // copied it (fresh memory, page faults) for whichever executor came first.
        modes.push((executor, base.unshared(), VmRun::default()));
    }
    report::reset_peak_rss();
    let n = modes.len().max(1);
    for (b, block) in w.blocks.iter().enumerate() {
        for k in 0..n {
            let Some((executor, chain, run)) = modes.get_mut((b + k) % n) else {
                continue;
            };
            let started = Instant::now();
            let outcome = executor.execute(chain, block.ctx, &block.txs);
            let elapsed = started.elapsed();
            let outcome: BlockOutcome = outcome.map_err(|e| {
                CommandError::Input(format!("{} block {}: {e}", w.kind.name(), block.ctx.number))
            })?;
            run.record(elapsed, &outcome);
            if run.mismatch.is_none() {
                let want = expected.receipts.get(b).map_or(&[][..], Vec::as_slice);
                run.mismatch = compare_block(b, want, &outcome.receipts);
            }
            drop(outcome);
            progress.inc(1);
        }
    }
    let peak = report::peak_rss_mb();
    Ok(modes
        .into_iter()
        .map(|(_, chain, mut run)| {
            run.peak_rss_mb = peak;
            run.digest = chain.digest();
            if run.mismatch.is_none() && run.digest != expected.digest {
                run.mismatch = Some(format!(
                    "final digest {} instead of {}",
                    hex::encode(run.digest),
                    hex::encode(expected.digest)
                ));
            }
            if run.mismatch.is_none() && expected.receipts.len() != w.blocks.len() {
                run.mismatch = Some(format!(
                    "{} blocks of receipts instead of {}",
                    w.blocks.len(),
                    expected.receipts.len()
                ));
            }
            run
        })
        .collect())
}

impl VmRun {
    /// Adds one timed block.
    fn record(&mut self, elapsed: Duration, outcome: &BlockOutcome) {
        self.elapsed += elapsed;
        let ph = outcome.stats.phases;
        for (sum, d) in self
            .phases
            .iter_mut()
            .zip([ph.access, ph.dag, ph.execute, ph.merge])
        {
            *sum += d;
        }
        self.edges += outcome.stats.edges;
        self.barriers += outcome.stats.barriers;
        self.fallback_runs += outcome.stats.fallback_runs;
        if let Some(g) = outcome.graph_stats() {
            self.graphs.push(g);
        }
    }
}

/// Where one block's receipts disagree with the expected ones, if anywhere.
fn compare_block(b: usize, want: &[Receipt], got: &[Receipt]) -> Option<String> {
    if want.len() != got.len() {
        return Some(format!(
            "block {b}: {} receipts instead of {}",
            got.len(),
            want.len()
        ));
    }
    let i = want.iter().zip(got).position(|(x, y)| x != y)?;
    Some(format!("block {b}: receipt {i} differs"))
}

fn ms_per_block(d: Duration, blocks: usize) -> f64 {
    d.as_secs_f64() * 1000.0 / blocks.max(1) as f64
}

fn tps(txs: usize, elapsed: Duration) -> f64 {
    let s = elapsed.as_secs_f64();
    if s > 0.0 { txs as f64 / s } else { 0.0 }
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// Runs every mode of one workload on one engine (and the native floor when
/// `native`); appends rows and, once per workload, the conflict-graph summary.
fn run_workload(
    w: &Workload,
    engine: EngineKind,
    native: bool,
    threads: usize,
    progress: &ProgressBar,
    report: &mut Report,
    problems: &mut Vec<String>,
) -> Result<(), CommandError> {
    let engine_name = engine.name();
    let blocks = w.blocks.len();
    let txs: usize = w.blocks.iter().map(|b| b.txs.len()).sum();
    let name = w.kind.name();
    let row = |mode: &str, threads: usize, run_tps: f64, seq_tps: f64| Row {
        workload: name.to_string(),
        params: w.params.clone(),
        engine: engine_name.to_string(),
        mode: mode.to_string(),
        threads,
        txs,
        tps: run_tps,
        speedup: if seq_tps > 0.0 {
            run_tps / seq_tps
        } else {
            0.0
        },
        parallelism_bound: None,
        phases_ms: PhasesMs::default(),
        peak_rss_mb: None,
        digest_match: None,
    };
    let phases_ms = |p: &[Duration; 4]| PhasesMs {
        access: ms_per_block(p[0], blocks),
        dag: ms_per_block(p[1], blocks),
        execute: ms_per_block(p[2], blocks),
        merge: ms_per_block(p[3], blocks),
    };

    progress.set_message(format!("{name} {}: reference", w.params));
    let expected = reference(w, progress)?;
    progress.set_message(format!(
        "{name} {}: sequential and parallel, interleaved",
        w.params
    ));
    let mut executors = vec![Executor::sequential()];
    for t in 1..=threads {
        executors.push(Executor::parallel(t).map_err(|e| CommandError::Io(e.to_string()))?);
    }
    let mut runs = run_interleaved(w, executors, engine, progress, &expected)?.into_iter();
    let seq = runs.next().ok_or_else(|| {
        CommandError::Io("the sequential run is missing (no executor ran)".to_string())
    })?;
    if let Some(m) = &seq.mismatch {
        problems.push(format!(
            "{name} {} ({engine_name}, sequential): {m}",
            w.params
        ));
    }
    let seq_tps = tps(txs, seq.elapsed);
    report.results.push(Row {
        phases_ms: phases_ms(&seq.phases),
        peak_rss_mb: seq.peak_rss_mb,
        digest_match: Some(true),
        ..row("sequential", 1, seq_tps, seq_tps)
    });

    let mut summary: Option<GraphSummary> = None;
    for t in 1..=threads {
        let Some(par) = runs.next() else {
            break;
        };
        let mismatch = par.mismatch.clone();
        if let Some(m) = &mismatch {
            problems.push(format!(
                "{name} {} ({engine_name}, {t} threads): {m}",
                w.params
            ));
        }
        let bound =
            (!par.graphs.is_empty()).then(|| mean(par.graphs.iter().map(|g| g.parallelism_bound)));
        report.results.push(Row {
            parallelism_bound: bound,
            phases_ms: phases_ms(&par.phases),
            peak_rss_mb: par.peak_rss_mb,
            digest_match: Some(mismatch.is_none()),
            ..row("parallel", t, tps(txs, par.elapsed), seq_tps)
        });
        if summary.is_none() {
            summary = Some(GraphSummary {
                workload: name.to_string(),
                params: w.params.clone(),
                blocks,
                txs_per_block: w.blocks.first().map_or(0, |b| b.txs.len()),
                failed_txs: expected
                    .receipts
                    .iter()
                    .flatten()
                    .filter(|r| !r.is_success())
                    .count(),
                parallelism_bound: mean(par.graphs.iter().map(|g| g.parallelism_bound)),
                components: mean(par.graphs.iter().map(|g| g.components as f64)),
                largest_component_share: mean(par.graphs.iter().map(|g| g.largest_component_share)),
                edges: par.edges as f64 / blocks.max(1) as f64,
                barriers: par.barriers,
                fallback_runs: par.fallback_runs,
                block_gas_limit: w.raised_gas_limit,
            });
        }
    }

    if let Some(n) = w.native.as_ref().filter(|_| native) {
        progress.set_message(format!("{name} {}: native", w.params));
        report::reset_peak_rss();
        if let Some(first) = n.blocks.first() {
            // Warm-up, untimed, as for the executors.
            let mut scratch = n.world.clone();
            for op in first {
                let _ = scratch.apply(op);
            }
        }
        let mut world = n.world.clone();
        let mut elapsed = Duration::ZERO;
        let mut outcomes = Vec::with_capacity(n.blocks.len());
        for ops in &n.blocks {
            let started = Instant::now();
            let out: Vec<native::OpOutcome> = ops.iter().map(|op| world.apply(op)).collect();
            elapsed += started.elapsed();
            outcomes.push(out);
            progress.inc(1);
        }
        let peak = report::peak_rss_mb();
        if let Some(m) = compare_native(&expected.receipts, &outcomes) {
            problems.push(format!("{name} {} (native floor): {m}", w.params));
        }
        let run_tps = tps(txs, elapsed);
        report.results.push(Row {
            phases_ms: PhasesMs {
                execute: ms_per_block(elapsed, blocks),
                ..PhasesMs::default()
            },
            peak_rss_mb: peak,
            engine: "native".to_string(),
            ..row("native", 1, run_tps, seq_tps)
        });
    }
    if let Some(s) = summary
        && !report
            .workloads
            .iter()
            .any(|g| g.workload == s.workload && g.params == s.params)
    {
        report.workloads.push(s);
    }
    Ok(())
}

/// Where the native floor's outcomes disagree with the sequential receipts: success
/// or failure, and the amount a swap bought (a transfer returns `true`).
pub fn compare_native(seq: &[Vec<Receipt>], native: &[Vec<native::OpOutcome>]) -> Option<String> {
    for (b, (rs, os)) in seq.iter().zip(native).enumerate() {
        if rs.len() != os.len() {
            return Some(format!(
                "block {b}: {} outcomes instead of {}",
                os.len(),
                rs.len()
            ));
        }
        for (i, (r, o)) in rs.iter().zip(os).enumerate() {
            let agree = match o {
                Ok(v) => r.is_success() && r.ret.first() == Some(&braid_vm::U256::from(*v)),
                Err(_) => !r.is_success(),
            };
            if !agree {
                return Some(format!(
                    "block {b}: transaction {i}: native {o:?}, VM {:?} returning {:?}",
                    r.status, r.ret
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_vm::{Failure, ValueType};

    fn ok(v: u64) -> Receipt {
        Receipt {
            status: Ok(()),
            gas_used: 10,
            ret: vec![braid_vm::U256::from(v)],
            ret_type: ValueType::unit(),
            events: Vec::new(),
            stack: Vec::new(),
            trace: None,
        }
    }

    #[test]
    fn compare_block_finds_the_first_differing_receipt() {
        let want = vec![ok(1), ok(2)];
        assert_eq!(compare_block(0, &want, &want.clone()), None);
        assert_eq!(
            compare_block(3, &want, &[ok(1), ok(3)]).as_deref(),
            Some("block 3: receipt 1 differs")
        );
        assert_eq!(
            compare_block(0, &want, &[ok(1)]).as_deref(),
            Some("block 0: 1 receipts instead of 2")
        );
    }

    #[test]
    fn compare_native_checks_status_and_amount() {
        let failed = Receipt::failed(Failure::Revert("K".into()), 5, ValueType::unit());
        let seq = vec![vec![ok(7), failed]];
        assert_eq!(compare_native(&seq, &[vec![Ok(7), Err("K")]]), None);
        assert!(compare_native(&seq, &[vec![Ok(8), Err("K")]]).is_some());
        assert!(compare_native(&seq, &[vec![Ok(7), Ok(1)]]).is_some());
        assert!(compare_native(&seq, &[vec![Ok(7)]]).is_some());
    }

    #[test]
    fn default_suite_is_defi_mix_then_transfers_at_10000_and_2() {
        let suite = default_suite(&Params::default());
        let shape: Vec<(&str, String)> =
            suite.iter().map(|(k, p)| (k.name(), p.label(*k))).collect();
        assert_eq!(shape[0].0, "defi-mix");
        assert_eq!(shape[1], ("transfers", "accounts=10000".to_string()));
        assert_eq!(shape[2], ("transfers", "accounts=2".to_string()));
        assert_eq!(shape.len(), 3);
    }
}
