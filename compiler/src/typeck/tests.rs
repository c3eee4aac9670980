//! Type checker tests: sources in, rendered diagnostics out.

use crate::driver::{Compilation, Stage, compile_with_loader};
use crate::hir::{self, Ty};
use crate::resolve::MemoryLoader;

/// Compiles `src` (with in-memory modules) to HIR.
fn compile_with(modules: &[(&str, &str)], src: &str) -> Compilation {
    let loader = MemoryLoader {
        modules: modules
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let mut c = compile_with_loader("test.braid", src.to_owned(), &loader, Stage::Hir);
    c.diagnostics
        .retain(|d| !crate::diagnostics::STYLE_LINTS.contains(&d.code));
    c
}

/// The rendered diagnostics of `src` (no colour).
fn check(src: &str) -> String {
    compile_with(&[], src).render_diagnostics(false)
}

/// The HIR of `src`, which must compile without diagnostics.
fn hir_of(src: &str) -> hir::Program {
    let c = compile_with(&[], src);
    let text = c.render_diagnostics(false);
    assert!(c.diagnostics.is_empty(), "unexpected diagnostics:\n{text}");
    c.hir.expect("no errors, so HIR")
}

/// Asserts that `src` reports `code` and that the rendering contains every `parts`.
#[track_caller]
fn assert_err(src: &str, code: &str, parts: &[&str]) {
    let out = check(src);
    assert!(
        out.contains(&format!("[{code}]")),
        "expected {code} in:\n{out}"
    );
    for p in parts {
        assert!(out.contains(p), "expected `{p}` in:\n{out}");
    }
}

/// The contract of the language spec, §1 (also a snapshot case).
const TOKEN: &str = crate::testdata::SPEC_TOKEN;

#[test]
fn spec_token_compiles_to_hir() {
    let p = hir_of(TOKEN);
    assert_eq!(p.roots, vec![hir::ContractId(0)]);
    let c = p.contract(hir::ContractId(0));
    assert_eq!(c.name, "Token");
    assert_eq!(c.storage.len(), 4);
    assert_eq!(
        c.storage[3].key,
        Some(Ty::Tuple(vec![Ty::Address, Ty::Address]))
    );
    assert_eq!(c.events[0].params.len(), 3);
    let init = p.function(c.init.expect("init"));
    assert_eq!(init.access.writes.len(), 3);
    assert_eq!(
        init.access.writes[2].key,
        hir::PatternKey::Key(hir::Pure::Caller)
    );
    let transfer = p.function(c.functions[0]);
    assert_eq!(transfer.name, "transfer");
    assert_eq!(transfer.ret, Ty::Bool);
    assert_eq!(transfer.n_params, 2);
    assert_eq!(
        transfer.access.writes[1].key,
        hir::PatternKey::Key(hir::Pure::Param(hir::LocalId(0), vec![]))
    );
    // `balances[to] += amount` keeps its operator.
    let compound = transfer.body.stmts.iter().find_map(|s| match &s.kind {
        hir::StmtKind::Assign {
            op: Some(op),
            place,
            ..
        } => Some((*op, place.clone())),
        _ => None,
    });
    let (op, place) = compound.expect("a compound assignment");
    assert_eq!(op, crate::ast::BinOp::Add);
    assert!(matches!(
        place.base,
        hir::PlaceBase::Storage {
            field: hir::FieldId(2),
            key: Some(_)
        }
    ));
    assert_eq!(
        transfer.body.tail.as_ref().map(|t| t.ty.clone()),
        Some(Ty::Bool)
    );
}

/// A contract skeleton around `body`, with a few fields and types to use.
fn in_contract(members: &str) -> String {
    format!(
        r#"
contract C {{
    struct P {{ x: u128, y: (u64, bool) }}
    storage {{
        a: u64,
        owner: address,
        m: map<address, u128>,
        pools: map<u64, P>,
    }}
    event E(who: address, amount: u128);
    const K: u128 = 7;
{members}
}}
"#
    )
}

mod calls;
mod exprs;
mod fuzz;
mod help;
