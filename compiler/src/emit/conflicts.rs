//! `--emit conflicts`: for every pair of public functions of each root contract
//! (a function with itself included), whether two calls by different senders with
//! different arguments can conflict, and on which storage. See
//! [`crate::access::contention`] for how two calls are compared.
//!
//! ```text
//! Token: 7 public functions, 28 pairs, 4 can conflict
//!   mint × mint: conflict on Token.total_supply (serial)
//!   mint × total_supply: conflict on Token.total_supply (serial)
//!   transfer × transfer: no conflict
//! ```
//!
//! `(serial)` marks storage that a function declares `serial`: the contention is
//! intended.

use crate::access::contention::pair_conflicts;
use crate::access::{Names, Summaries, render_access};
use crate::hir;
use braid_bytecode::{AccessPattern, KeyPattern, WordExpr};

/// One block per root contract, in declaration order, blocks separated by a blank line.
pub fn conflicts(program: &hir::Program, summaries: &Summaries) -> String {
    let mut blocks = Vec::new();
    for &cid in &program.roots {
        let Some(contract) = program.contracts.get(cid.0 as usize) else {
            continue;
        };
        let mut fns: Vec<(hir::FnId, &hir::Function)> = contract
            .functions
            .iter()
            .filter_map(|&id| program.functions.get(id.0 as usize).map(|f| (id, f)))
            .filter(|(_, f)| f.kind.is_pub())
            .collect();
        fns.sort_by_key(|(_, f)| (f.span.file, f.span.lo));
        let mut lines = Vec::new();
        let mut conflicting = 0;
        for (i, &(a_id, a)) in fns.iter().enumerate() {
            for &(b_id, b) in &fns[i..] {
                let (Some(sa), Some(sb)) = (summaries.by_fn.get(&a_id), summaries.by_fn.get(&b_id))
                else {
                    lines.push(format!("  {} × {}: (no summary)", a.name, b.name));
                    continue;
                };
                let names = Names::of(program, a);
                let names_b = Names::of(program, b);
                let mut on: Vec<String> = Vec::new();
                for (p, q) in pair_conflicts(sa, sb) {
                    // Show the side that makes the conflict: a whole map, else a write.
                    let shown_a = matches!(p.key, KeyPattern::Whole)
                        || (p.write && !matches!(q.key, KeyPattern::Whole));
                    let mut text = if shown_a {
                        render_access(program, &names, Some(&contract.name), p)
                    } else {
                        render_access(program, &names_b, Some(&contract.name), q)
                    };
                    if is_serial(contract, a, p) || is_serial(contract, b, q) {
                        text.push_str(" (serial)");
                    }
                    if !on.contains(&text) {
                        on.push(text);
                    }
                }
                if on.is_empty() {
                    lines.push(format!("  {} × {}: no conflict", a.name, b.name));
                } else {
                    conflicting += 1;
                    lines.push(format!(
                        "  {} × {}: conflict on {}",
                        a.name,
                        b.name,
                        on.join(", ")
                    ));
                }
            }
        }
        let n = fns.len();
        let pairs = n * (n + 1) / 2;
        blocks.push(format!(
            "{}: {} public function{}, {pairs} pair{}, {conflicting} can conflict\n{}",
            contract.name,
            n,
            if n == 1 { "" } else { "s" },
            if pairs == 1 { "" } else { "s" },
            lines.iter().map(|l| format!("{l}\n")).collect::<String>()
        ));
    }
    let mut out = blocks.join("\n");
    if out.is_empty() {
        out.push_str("(no contracts)\n");
    }
    out
}

/// Whether `p`, a pattern of `f`'s summary, is storage of `f`'s own contract that `f`
/// declares `serial`.
fn is_serial(contract: &hir::Contract, f: &hir::Function, p: &AccessPattern) -> bool {
    p.contract == WordExpr::SelfAddr
        && p.contract_name == contract.name
        && f.access
            .writes
            .iter()
            .any(|w| w.serial && w.field.0 == u32::from(p.field))
}
