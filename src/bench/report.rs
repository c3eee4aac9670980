//! What `braid bench` prints: the rows (one per workload × engine × mode × threads),
//! the per-workload conflict-graph summary, the table and the `--json` object.

use serde::Serialize;
use std::fmt::Write as _;

/// Mean milliseconds per block in each executor phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PhasesMs {
    /// Resolving transactions and evaluating access sets.
    pub access: f64,
    /// Building the conflict DAG.
    pub dag: f64,
    /// Running the transactions.
    pub execute: f64,
    /// Committing the writes.
    pub merge: f64,
}

/// One result row (the `results` entries of the JSON: exactly the spec's fields).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// `transfers`, `swaps`, `lending`, `staking`, `defi-mix`.
    pub workload: String,
    /// The parameters that shape it (`accounts=10000`).
    pub params: String,
    /// `interp` or `jit` (`native` rows say `native`).
    pub engine: String,
    /// `sequential`, `parallel` or `native`.
    pub mode: String,
    /// Worker threads (1 for sequential and native).
    pub threads: usize,
    /// Transactions measured (all blocks).
    pub txs: usize,
    /// Transactions per second over all blocks (execute calls only).
    pub tps: f64,
    /// `tps` over the sequential tps of the same workload and engine in this run.
    pub speedup: f64,
    /// Mean over blocks of the DAG's total gas / critical-path gas (parallel rows;
    /// `null` for sequential and native rows, which build no DAG).
    pub parallelism_bound: Option<f64>,
    /// Mean milliseconds per block in each phase.
    pub phases_ms: PhasesMs,
    /// Peak resident memory of the process during this row's run, in MB (`null`
    /// where `/proc/self/status` is unavailable).
    pub peak_rss_mb: Option<f64>,
    /// Whether the receipts and final digest equal the sequential run's (`true` for
    /// the sequential row itself; `null` for native rows, which keep no digest and
    /// whose outcomes are checked against the sequential receipts instead).
    pub digest_match: Option<bool>,
}

/// What the conflict graphs of a workload's blocks say (an extra JSON field).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphSummary {
    /// The workload.
    pub workload: String,
    /// Its parameters.
    pub params: String,
    /// Blocks measured.
    pub blocks: usize,
    /// Transactions per block.
    pub txs_per_block: usize,
    /// Transactions that failed (reverts and other failures) over all blocks.
    pub failed_txs: usize,
    /// Mean parallelism bound (total gas / critical-path gas).
    pub parallelism_bound: f64,
    /// Mean number of connected components of the conflict graph.
    pub components: f64,
    /// Mean gas share of the largest component (0..=1).
    pub largest_component_share: f64,
    /// Mean dependency edges per block.
    pub edges: f64,
    /// Barrier transactions (whole-map access) over all blocks.
    pub barriers: usize,
    /// Runs the parallel executor ran in order (tiny or bound below 1.2), all blocks.
    pub fallback_runs: usize,
    /// The block gas limit the chain was raised to, when the blocks declare more
    /// than the default.
    pub block_gas_limit: Option<u64>,
}

/// The machine the run was on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Machine {
    /// Logical cores available to the process.
    pub cores: usize,
    /// The CPU's model name.
    pub cpu: String,
}

impl Machine {
    /// This machine.
    pub fn detect() -> Machine {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        Machine { cores, cpu }
    }
}

/// The whole `--json` object.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The machine.
    pub machine: Machine,
    /// One row per workload × engine × mode × threads.
    pub results: Vec<Row>,
    /// Per workload: the conflict graph's statistics (beyond the spec's fields).
    pub workloads: Vec<GraphSummary>,
}

impl Report {
    /// The JSON text, one object and a newline.
    pub fn to_json_text(&self) -> String {
        let mut s =
            serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        s.push('\n');
        s
    }

    /// The table: the results, then the conflict-graph summary.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "machine: {} cores, {}",
            self.machine.cores, self.machine.cpu
        );
        let headers = [
            "workload",
            "params",
            "engine",
            "mode",
            "thr",
            "txs",
            "TPS",
            "speedup",
            "bound",
            "access/dag/exec/merge ms",
            "RSS MB",
            "digest",
        ];
        let rows: Vec<[String; 12]> = self
            .results
            .iter()
            .map(|r| {
                [
                    r.workload.clone(),
                    r.params.clone(),
                    r.engine.clone(),
                    r.mode.clone(),
                    r.threads.to_string(),
                    r.txs.to_string(),
                    format!("{:.0}", r.tps),
                    format!("{:.2}x", r.speedup),
                    r.parallelism_bound
                        .map_or("-".to_string(), |b| format!("{b:.1}")),
                    format!(
                        "{:.1}/{:.1}/{:.1}/{:.1}",
                        r.phases_ms.access, r.phases_ms.dag, r.phases_ms.execute, r.phases_ms.merge
                    ),
                    r.peak_rss_mb.map_or("-".to_string(), |m| format!("{m:.0}")),
                    match r.digest_match {
                        Some(true) => "ok".to_string(),
                        Some(false) => "MISMATCH".to_string(),
                        None => "-".to_string(),
                    },
                ]
            })
            .collect();
        render(&mut out, &headers, &rows, &[4, 5, 6, 7, 8, 9, 10]);
        out.push('\n');
        let headers = [
            "workload",
            "params",
            "blocks",
            "txs/block",
            "failed",
            "bound",
            "components",
            "largest share",
            "edges/block",
            "barriers",
            "fallbacks",
        ];
        let rows: Vec<[String; 11]> = self
            .workloads
            .iter()
            .map(|g| {
                [
                    g.workload.clone(),
                    g.params.clone(),
                    g.blocks.to_string(),
                    g.txs_per_block.to_string(),
                    g.failed_txs.to_string(),
                    format!("{:.1}", g.parallelism_bound),
                    format!("{:.0}", g.components),
                    format!("{:.1}%", g.largest_component_share * 100.0),
                    format!("{:.0}", g.edges),
                    g.barriers.to_string(),
                    g.fallback_runs.to_string(),
                ]
            })
            .collect();
        render(&mut out, &headers, &rows, &[2, 3, 4, 5, 6, 7, 8, 9, 10]);
        for g in &self.workloads {
            if let Some(limit) = g.block_gas_limit {
                let _ = writeln!(
                    out,
                    "note: {} {}: block gas limit raised to {limit} to fit the block",
                    g.workload, g.params
                );
            }
        }
        out
    }
}

/// Appends an aligned table (columns in `right` are right-aligned).
fn render<const N: usize>(
    out: &mut String,
    headers: &[&str; N],
    rows: &[[String; N]],
    right: &[usize],
) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |out: &mut String, cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            if right.contains(&i) {
                let _ = write!(s, "{c:>w$}");
            } else {
                let _ = write!(s, "{c:<w$}");
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(out, headers.to_vec());
    line(
        out,
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for r in rows {
        line(out, r.iter().map(String::as_str).collect());
    }
}

/// Peak resident memory so far (`VmHWM`), in MB; `None` where unavailable.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets the peak resident memory to the current one (Linux `clear_refs` 5), so
/// that each run's peak is its own; harmless where unsupported (the peak is then
/// the process's so far).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
