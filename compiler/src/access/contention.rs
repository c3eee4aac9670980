//! Contention: which public functions' calls can conflict, whatever their senders and
//! arguments. Braid runs a block's transactions side by side; two that touch the same
//! storage key, one of them writing, run one after the other.
//!
//! - [`lint`] (W0503): a `pub fn` of a root contract that writes a scalar field or a
//!   whole map serializes every call to it (and to every function touching that field),
//!   unless the pattern is marked `serial` (the contention is intended).
//! - [`pair_conflicts`]: the storage two calls of two public functions can both touch,
//!   one writing, when the calls come from different senders with different arguments:
//!   the `--emit conflicts` matrix.
//!
//! Two calls are compared over their access summaries (callees expanded). Within the
//! calling contract, keys built from the calls' senders and arguments differ between
//! the calls; keys built from constants, `self` and sub-accounts of those are the same
//! for every call. A contract named by an argument (`token_in`) may be the same contract
//! in both calls (many pools share one token), so its keys are compared the same way.

use crate::ast::FnKind;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::hir;
use braid_bytecode::{AccessPattern, KeyPattern, WordExpr};
use std::collections::BTreeSet;

/// W0503 for every unmarked scalar or whole-map write of a `pub fn` of a root contract.
pub(crate) fn lint(
    program: &hir::Program,
    with_errors: &BTreeSet<hir::FnId>,
    diags: &mut Diagnostics,
) {
    for (i, f) in program.functions.iter().enumerate() {
        let root = f.contract.is_some_and(|c| program.roots.contains(&c));
        if f.kind != FnKind::Pub || !root || with_errors.contains(&hir::FnId(i as u32)) {
            continue;
        }
        let Some(contract) = f.contract.and_then(|c| program.contracts.get(c.0 as usize)) else {
            continue;
        };
        for p in &f.access.writes {
            if p.serial {
                continue;
            }
            let Some(field) = contract.storage.get(p.field.0 as usize) else {
                continue;
            };
            let (shown, what) = match p.key {
                hir::PatternKey::Scalar => (field.name.clone(), "one value shared by every caller"),
                hir::PatternKey::Whole => (format!("{}[*]", field.name), "every key of the map"),
                hir::PatternKey::Key(_) => continue,
            };
            diags.push(
                Diagnostic::new(
                    Code::Contention,
                    p.span,
                    format!(
                        "`writes {shown}` makes every call of `{}` conflict with every other call touching `{}`",
                        f.name, field.name
                    ),
                )
                .with_label(format!("written by every call: {what}"))
                .with_note(
                    "transactions that conflict run one after another: this serializes the contract",
                )
                .with_help(format!(
                    "key it by user, pool or market (`m[caller]`, `m[pool]`, `m[(pool, caller)]`), or keep per-pool tokens at a sub-account `self[pool]`; if every call must see one value, say so: `writes {shown} serial`"
                )),
            );
        }
    }
}

/// Whether word `a` of one call and word `b` of another, by a different sender with
/// different arguments, are the same: only when built from constants and `self`.
fn same_word(a: &WordExpr, b: &WordExpr) -> bool {
    match (a, b) {
        (WordExpr::Const(x), WordExpr::Const(y)) => x == y,
        (WordExpr::SelfAddr, WordExpr::SelfAddr) => true,
        (WordExpr::Sub { base: b1, key: k1 }, WordExpr::Sub { base: b2, key: k2 }) => {
            same_word(b1, b2)
                && k1.len() == k2.len()
                && k1.iter().zip(k2).all(|(x, y)| same_word(x, y))
        }
        _ => false,
    }
}

/// Whether the contracts two patterns touch may be the same contract: always, unless
/// both are fixed and differ, or one is a sub-account (which holds no code).
fn may_be_same_contract(a: &AccessPattern, b: &AccessPattern) -> bool {
    if a.contract_name != b.contract_name {
        return false;
    }
    match (&a.contract, &b.contract) {
        (WordExpr::Sub { .. }, _) | (_, WordExpr::Sub { .. }) => {
            same_word(&a.contract, &b.contract)
        }
        (WordExpr::Const(x), WordExpr::Const(y)) => x == y,
        _ => true,
    }
}

/// Whether two patterns of two such calls can touch one key, one of them writing.
pub(crate) fn patterns_conflict(a: &AccessPattern, b: &AccessPattern) -> bool {
    if !(a.write || b.write) || a.field != b.field || !may_be_same_contract(a, b) {
        return false;
    }
    match (&a.key, &b.key) {
        (KeyPattern::Whole, _) | (_, KeyPattern::Whole) => true,
        (KeyPattern::Scalar, KeyPattern::Scalar) => true,
        (KeyPattern::Key(x), KeyPattern::Key(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_word(p, q))
        }
        _ => false,
    }
}

/// For two summaries, the pairs of patterns that conflict, each once: `(from a, from b)`.
pub(crate) fn pair_conflicts<'s>(
    a: &'s [AccessPattern],
    b: &'s [AccessPattern],
) -> Vec<(&'s AccessPattern, &'s AccessPattern)> {
    let mut out = Vec::new();
    for p in a {
        for q in b {
            if patterns_conflict(p, q) {
                out.push((p, q));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruint::aliases::U256;

    fn pat(write: bool, contract: WordExpr, field: u16, key: KeyPattern) -> AccessPattern {
        AccessPattern {
            write,
            contract,
            contract_name: "C".into(),
            field,
            field_name: format!("f{field}"),
            key,
        }
    }

    #[test]
    fn keys_from_senders_and_arguments_differ_between_calls() {
        let k = |w: WordExpr| KeyPattern::Key(vec![w]);
        let me = WordExpr::SelfAddr;
        let caller = pat(true, me.clone(), 0, k(WordExpr::Caller));
        let param = pat(true, me.clone(), 0, k(WordExpr::Param(0)));
        let this = pat(true, me.clone(), 0, k(WordExpr::SelfAddr));
        let one = pat(false, me.clone(), 0, k(WordExpr::Const(U256::from(1u8))));
        let scalar = pat(true, me.clone(), 1, KeyPattern::Scalar);
        let scalar_read = pat(false, me.clone(), 1, KeyPattern::Scalar);
        let whole_read = pat(false, me.clone(), 0, KeyPattern::Whole);
        assert!(!patterns_conflict(&caller, &caller));
        assert!(!patterns_conflict(&param, &param));
        assert!(!patterns_conflict(&caller, &param));
        assert!(patterns_conflict(&this, &this));
        assert!(!patterns_conflict(&one, &one), "two reads never conflict");
        assert!(patterns_conflict(&scalar, &scalar_read));
        assert!(!patterns_conflict(&scalar_read, &scalar_read));
        assert!(
            patterns_conflict(&whole_read, &param),
            "a whole map meets every key"
        );
        assert!(!patterns_conflict(&scalar, &this), "different fields");
        // Another contract named by an argument may be the same in both calls.
        let tok = pat(true, WordExpr::Param(1), 0, k(WordExpr::SelfAddr));
        assert!(patterns_conflict(&tok, &tok));
        // Sub-accounts of one key are one address; of an argument's key, not.
        let sub = |w: WordExpr| WordExpr::Sub {
            base: Box::new(WordExpr::SelfAddr),
            key: vec![w],
        };
        let at_pool = pat(true, WordExpr::Param(1), 0, k(sub(WordExpr::Param(0))));
        assert!(!patterns_conflict(&at_pool, &at_pool));
        let at_zero = pat(
            true,
            WordExpr::Param(1),
            0,
            k(sub(WordExpr::Const(U256::ZERO))),
        );
        assert!(patterns_conflict(&at_zero, &at_zero));
    }
}
