//! `:block`: the queued transactions run as one block, with their schedule.
//!
//! The block runs on the VM's parallel [`Executor`] (every run scheduled from its
//! conflict DAG, however small the block); the parallelism bound shown is the
//! executor's own ([`braid_vm::GraphStats`]: total gas over the gas of the critical
//! path). Which transaction waited for which is computed here from the declared
//! access sets by [`waits_for`], with the executor's rules, because the executor does
//! not expose its DAG's edges.

use super::call::receipt_text;
use super::session::{ReplError, Session};
use super::show::{self, Labels};
use braid_vm::{AccessEntry, AccessKey, AccessSet, Chain, Executor};

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

/// STAND-IN for the parallel executor's conflict DAG, whose edges `braid_vm` does not
/// expose (swap for them when it does): for each transaction, the earlier
/// transactions it waits for, by the executor's rules (`vm/src/schedule.rs`). A
/// transaction conflicts with an earlier one that writes a key it touches or reads a
/// key it writes; a transaction with a whole-map entry is a barrier (it waits for
/// every earlier transaction and every later one waits for it). The list keeps the
/// waits not already implied by another (the transitive reduction: "the last writer
/// of each key"). A transaction whose access set cannot be evaluated (`None`: it
/// fails before running) touches nothing and waits for no one.
pub fn waits_for(sets: &[Option<AccessSet>]) -> Vec<Vec<Wait>> {
    let n = sets.len();
    let barrier = |s: &Option<AccessSet>| {
        s.as_ref()
            .is_some_and(|s| s.entries().iter().any(|e| e.key == AccessKey::Whole))
    };
    // before[j][i]: transaction i is ordered before j (directly or transitively).
    let mut before: Vec<Vec<bool>> = Vec::with_capacity(n);
    let mut waits = Vec::with_capacity(n);
    for (j, set) in sets.iter().enumerate() {
        let mut direct: Vec<Wait> = Vec::new();
        if let Some(set) = set {
            for (i, earlier) in sets.iter().enumerate().take(j) {
                let Some(earlier) = earlier else { continue };
                let hit = set
                    .entries()
                    .iter()
                    .find(|e| earlier.entries().iter().any(|o| conflicts(e, o)));
                let entry = match hit {
                    Some(e) => Some(*e),
                    // A barrier orders everything around it.
                    None if barrier(&sets[j]) || barrier(&sets[i]) => set
                        .entries()
                        .iter()
                        .find(|e| e.key == AccessKey::Whole)
                        .or_else(|| earlier.entries().iter().find(|e| e.key == AccessKey::Whole))
                        .copied(),
                    None => None,
                };
                if let Some(entry) = entry {
                    direct.push(Wait { first: i, entry });
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
            .filter(|w| {
                !direct
                    .iter()
                    .any(|o| o.first != w.first && before[o.first][w.first])
            })
            .cloned()
            .collect();
        before.push(reach);
        waits.push(reduced);
    }
    waits
}

impl Session {
    /// `:block`: runs the queue as one block and shows schedule and receipts.
    pub(super) fn run_block(&mut self) -> Result<String, ReplError> {
        if self.queue.is_empty() {
            return Err(ReplError::msg(
                "the queue is empty: add transactions with :queue",
            ));
        }
        let queue = std::mem::take(&mut self.queue);
        let txs: Vec<_> = queue.iter().map(|q| q.tx.clone()).collect();
        let sets: Vec<Option<AccessSet>> = txs
            .iter()
            .map(|tx| self.world.chain.access_set(tx).ok())
            .collect();
        let block = self.current_block();
        self.checkpoint(format!(
            ":block {} ({} transactions)",
            block.number,
            txs.len()
        ));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
        let mut executor = Executor::parallel(threads)
            .map_err(|e| ReplError::msg(format!("cannot start the block executor: {e}")))?
            .always_parallel();
        let outcome = match executor.execute(&mut self.world.chain, block, &txs) {
            Ok(outcome) => outcome,
            Err(e) => {
                self.undo_last();
                self.queue = queue;
                return Err(ReplError::msg(format!("the block was refused: {e}")));
            }
        };
        let receipts = outcome.receipts.clone();
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
                let parts: Vec<String> =
                    ws.iter()
                        .map(|w| {
                            let entry = reason(&sets, j, w, &q.tx.to);
                            let barrier = if entry.key == AccessKey::Whole
                                && !sets[w.first].as_ref().is_some_and(|s| {
                                    s.entries().iter().any(|o| conflicts(&entry, o))
                                }) {
                                ": it runs alone"
                            } else {
                                ""
                            };
                            format!("#{} ({}{barrier})", w.first, place(&labels, chain, &entry))
                        })
                        .collect();
                format!("waits for {}", parts.join(", "))
            };
            out.push_str(&format!("  #{j} {}: {when}\n", q.label));
        }
        match outcome.graph_stats() {
            Some(g) if g.critical_path_gas > 0 => out.push_str(&format!(
                "parallelism bound: {:.2} (total gas {} / critical path {})\n",
                g.parallelism_bound, g.total_gas, g.critical_path_gas
            )),
            _ => out.push_str("parallelism bound: none (no gas used)\n"),
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

/// The entry to name for a wait: among the waiter's entries that conflict with the
/// earlier transaction's, one on the contract it calls if any (`dex.pools[0]` reads
/// better than a token balance), else the one the wait was found with.
fn reason(sets: &[Option<AccessSet>], j: usize, w: &Wait, to: &braid_vm::Address) -> AccessEntry {
    let (Some(Some(mine)), Some(Some(theirs))) = (sets.get(j), sets.get(w.first)) else {
        return w.entry;
    };
    mine.entries()
        .iter()
        .filter(|e| e.contract == *to)
        .find(|e| theirs.entries().iter().any(|o| conflicts(e, o)))
        .copied()
        .unwrap_or(w.entry)
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
        // write (a barrier) waits for both readers and for the writer of key 2 (the
        // writer of key 1 is already before the readers); a failed one waits for
        // nothing.
        assert_eq!(
            firsts,
            vec![vec![], vec![], vec![0], vec![0], vec![1, 2, 3], vec![]]
        );
        // A barrier on another field still orders everything around it.
        let other = |field, key, write| AccessEntry {
            contract: [2; 20],
            ..entry(field, key, write)
        };
        let sets = vec![
            set(vec![entry(0, Some(1), true)]),
            set(vec![other(5, None, true)]),
            set(vec![entry(0, Some(2), true)]),
        ];
        let firsts: Vec<Vec<usize>> = waits_for(&sets)
            .iter()
            .map(|ws| ws.iter().map(|w| w.first).collect())
            .collect();
        assert_eq!(firsts, vec![vec![], vec![0], vec![1]]);
    }
}
