//! `:block`: the queued transactions run as one block, with their schedule.
//!
//! The block runs through `Chain::execute_block` (sequential execution in block order
//! defines the results). The schedule shown is the waits-for graph of the block's
//! declared access sets, evaluated before anything runs: which transaction waits for
//! which, and the parallelism bound, total gas over the gas of the critical path.

use super::call::receipt_text;
use super::session::{ReplError, Session};
use super::show::{self, Labels};
use braid_vm::{AccessEntry, AccessKey, AccessSet, Chain};

/// One edge of the waits-for graph: `waiter` waits for `first` because of `place`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait {
    /// The earlier transaction.
    pub first: usize,
    /// The entry of the waiter that conflicts.
    pub entry: AccessEntry,
}

/// Whether two entries conflict: the same field of the same contract, overlapping
/// keys (a whole-field entry overlaps every key), and at least one writes.
fn conflicts(a: &AccessEntry, b: &AccessEntry) -> bool {
    a.contract == b.contract
        && a.field == b.field
        && (a.write || b.write)
        && (a.key == AccessKey::Whole || b.key == AccessKey::Whole || a.key == b.key)
}

/// STAND-IN for the parallel executor's conflict DAG (swap for the scheduler's own
/// when `braid_vm` has one): for each transaction, the earlier transactions it waits
/// for. A transaction conflicts with an earlier one that writes a key it touches or
/// reads a key it writes (a whole-field entry touches every key of the field); it
/// waits for each conflicting earlier transaction that is not already ordered before
/// it through another wait (the transitive reduction, so the list reads as "waits
/// for the last writer of each key"). A transaction whose access set cannot be
/// evaluated (`None`: it fails before running) touches nothing and waits for no one.
pub fn waits_for(sets: &[Option<AccessSet>]) -> Vec<Vec<Wait>> {
    let n = sets.len();
    // before[j][i]: transaction i is ordered before j (directly or transitively).
    let mut before: Vec<Vec<bool>> = Vec::with_capacity(n);
    let mut waits = Vec::with_capacity(n);
    for (j, set) in sets.iter().enumerate() {
        let mut direct: Vec<Wait> = Vec::new();
        if let Some(set) = set {
            for i in 0..j {
                let Some(earlier) = &sets[i] else { continue };
                let hit = set
                    .entries()
                    .iter()
                    .find(|e| earlier.entries().iter().any(|o| conflicts(e, o)));
                if let Some(e) = hit {
                    direct.push(Wait { first: i, entry: *e });
                }
            }
        }
        let mut reach = vec![false; n];
        for w in &direct {
            reach[w.first] = true;
            for (i, r) in before[w.first].iter().enumerate() {
                reach[i] |= *r;
            }
        }
        // Keep a wait only when no other wait of j already comes after it.
        let reduced: Vec<Wait> = direct
            .iter()
            .filter(|w| !direct.iter().any(|o| o.first != w.first && before[o.first][w.first]))
            .cloned()
            .collect();
        before.push(reach);
        waits.push(reduced);
    }
    waits
}

/// The parallelism bound of a block: total gas over the gas of its heaviest chain of
/// waits (the critical path). `None` for a block that used no gas.
pub fn parallelism_bound(waits: &[Vec<Wait>], gas: &[u64]) -> Option<(u64, u64, f64)> {
    let mut finish: Vec<u64> = Vec::with_capacity(gas.len());
    for (j, ws) in waits.iter().enumerate() {
        let start = ws
            .iter()
            .filter_map(|w| finish.get(w.first).copied())
            .max()
            .unwrap_or(0);
        finish.push(start.saturating_add(gas.get(j).copied().unwrap_or(0)));
    }
    let total: u64 = gas.iter().sum();
    let critical = finish.iter().copied().max().unwrap_or(0);
    (critical > 0).then(|| (total, critical, total as f64 / critical as f64))
}

impl Session {
    /// `:block`: runs the queue as one block and shows schedule and receipts.
    pub(super) fn run_block(&mut self) -> Result<String, ReplError> {
        if self.queue.is_empty() {
            return Err(ReplError::msg("the queue is empty: add transactions with :queue"));
        }
        let queue = std::mem::take(&mut self.queue);
        let txs: Vec<_> = queue.iter().map(|q| q.tx.clone()).collect();
        let sets: Vec<Option<AccessSet>> = txs
            .iter()
            .map(|tx| self.world.chain.access_set(tx).ok())
            .collect();
        let block = self.current_block();
        self.checkpoint(format!(":block {} ({} transactions)", block.number, txs.len()));
        let receipts = self.world.chain.execute_block(block, &txs);
        self.world.block = block.number;
        let waits = waits_for(&sets);
        let labels = self.labels();
        let chain = &self.world.chain;
        let mut out = format!(
            "block {} ({} transaction{})\n",
            block.number,
            txs.len(),
            if txs.len() == 1 { "" } else { "s" }
        );
        out.push_str("schedule (from the declared access sets):\n");
        for (j, (q, ws)) in queue.iter().zip(&waits).enumerate() {
            let when = if ws.is_empty() {
                "runs at once".to_string()
            } else {
                let parts: Vec<String> = ws
                    .iter()
                    .map(|w| format!("#{} ({})", w.first, place(&labels, chain, &w.entry)))
                    .collect();
                format!("waits for {}", parts.join(", "))
            };
            out.push_str(&format!("  #{j} {}: {when}\n", q.label));
        }
        let gas: Vec<u64> = receipts.iter().map(|r| r.gas_used).collect();
        match parallelism_bound(&waits, &gas) {
            Some((total, critical, bound)) => out.push_str(&format!(
                "parallelism bound: {bound:.2} (total gas {total} / critical path {critical})\n"
            )),
            None => out.push_str("parallelism bound: none (no gas used)\n"),
        }
        out.push_str("receipts:\n");
        for (j, (q, r)) in queue.iter().zip(&receipts).enumerate() {
            let ret = chain
                .module_at(&q.tx.to)
                .and_then(|m| m.public(&q.tx.function).and_then(|i| m.functions.get(i)))
                .map(|f| f.ret.clone())
                .unwrap_or_else(braid_bytecode::ValueType::unit);
            let text = receipt_text(&labels, r, &ret);
            for (k, line) in text.lines().enumerate() {
                if k == 0 {
                    out.push_str(&format!("  #{j} {line}\n"));
                } else {
                    out.push_str(&format!("     {line}\n"));
                }
            }
        }
        Ok(out)
    }
}

fn place(labels: &Labels, chain: &Chain, e: &AccessEntry) -> String {
    show::entry_place(labels, chain, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_vm::U256;

    fn entry(field: u16, key: Option<u64>, write: bool) -> AccessEntry {
        AccessEntry {
            contract: [1; 20],
            field,
            key: key.map_or(AccessKey::Whole, |k| AccessKey::Key(U256::from(k))),
            write,
        }
    }

    fn set(entries: Vec<AccessEntry>) -> Option<AccessSet> {
        Some(AccessSet::from_entries(entries))
    }

    #[test]
    fn waits_for_the_last_conflicting_transaction() {
        let sets = vec![
            set(vec![entry(0, Some(1), true)]),
            set(vec![entry(0, Some(2), true)]),
            set(vec![entry(0, Some(1), false)]),
            set(vec![entry(0, Some(1), false)]),
            set(vec![entry(0, None, true)]),
            None,
        ];
        let waits = waits_for(&sets);
        let firsts: Vec<Vec<usize>> = waits
            .iter()
            .map(|ws| ws.iter().map(|w| w.first).collect())
            .collect();
        // Two reads of key 1 wait for its writer, not for each other; the whole-field
        // write waits for both readers and for the writer of key 2 (the writer of
        // key 1 is already before the readers); a failed one waits for nothing.
        assert_eq!(firsts, vec![vec![], vec![], vec![0], vec![0], vec![1, 2, 3], vec![]]);
        let bound = parallelism_bound(&waits, &[10, 10, 10, 10, 10, 0]).expect("gas used");
        assert_eq!((bound.0, bound.1), (50, 30));
    }
}
