//! `--emit access`: each root contract's entry functions with their expanded access
//! summaries, exactly the patterns the VM evaluates, rendered with parameter names.
//!
//! ```text
//! Dex.swap_exact_in(pool: u64, token_in: Token, token_out: Token, amount_in: u128, min_out: u128)
//!   reads  Dex.fee_bps
//!   writes Dex.pools[pool]
//!   writes Token(token_in).balances[caller]
//! ```

use crate::access::{Names, Summaries, render_access, type_name};
use crate::hir;

/// One block per `init`/`pub` function of each root contract, in declaration order,
/// blocks separated by a blank line.
pub fn access(program: &hir::Program, summaries: &Summaries) -> String {
    let mut blocks = Vec::new();
    for &cid in &program.roots {
        let Some(contract) = program.contracts.get(cid.0 as usize) else {
            continue;
        };
        let mut entries: Vec<(hir::FnId, &hir::Function)> = contract
            .init
            .iter()
            .chain(contract.functions.iter())
            .filter_map(|&id| program.functions.get(id.0 as usize).map(|f| (id, f)))
            .filter(|(_, f)| f.kind == crate::ast::FnKind::Init || f.kind.is_pub())
            .collect();
        entries.sort_by_key(|(_, f)| (f.span.file, f.span.lo));
        for (id, f) in entries {
            blocks.push(block(program, contract, id, f, summaries));
        }
    }
    let mut out = blocks.join("\n");
    if out.is_empty() {
        out.push_str("(no entry functions)\n");
    }
    out
}

fn block(
    program: &hir::Program,
    contract: &hir::Contract,
    id: hir::FnId,
    f: &hir::Function,
    summaries: &Summaries,
) -> String {
    let params: Vec<String> = f
        .locals
        .iter()
        .take(f.n_params as usize)
        .map(|p| format!("{}: {}", p.name, type_name(program, &p.ty)))
        .collect();
    let mut out = format!("{}.{}({})\n", contract.name, f.name, params.join(", "));
    let names = Names::of(program, f);
    match summaries.by_fn.get(&id) {
        None => out.push_str("  (no summary)\n"),
        Some(ps) if ps.is_empty() => out.push_str("  (no storage access)\n"),
        Some(ps) => {
            for p in ps {
                let kind = if p.write { "writes" } else { "reads " };
                let text = render_access(program, &names, Some(contract.name.as_str()), p);
                out.push_str(&format!("  {kind} {text}\n"));
            }
        }
    }
    out
}
