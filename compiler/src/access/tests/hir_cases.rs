//! The checker on hand-built HIR: every code, sub-accounts, two-level callee
//! expansion, internal calls, impure keys, recursion.

use super::super::*;
use super::builder::{B, Token, U128, codes, param, token};
use crate::ast::{BinOp, FnKind, IntTy};
use crate::diagnostics::Severity;
use crate::hir::{Expr, ExprKind, Pure, Ty};
use braid_bytecode::KeyPattern;

#[test]
fn a_fully_annotated_token_checks_clean_and_summarises_its_own_keys() {
    let mut b = B::default();
    let t = token(&mut b);
    let (s, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");
    let transfer = &s.by_fn[&t.transfer];
    assert_eq!(transfer.len(), 2);
    assert!(
        transfer
            .iter()
            .all(|p| p.write && p.contract == WordExpr::SelfAddr && p.field == 1)
    );
    assert_eq!(transfer[0].key, KeyPattern::Key(vec![WordExpr::Caller]));
    assert_eq!(transfer[1].key, KeyPattern::Key(vec![WordExpr::Param(0)]));
    assert_eq!(
        b.print(),
        "Token.transfer(to: address, amount: u128)\n  writes Token.balances[caller]\n  writes Token.balances[to]\n\n\
         Token.transfer_from(from: address, to: address, amount: u128)\n  writes Token.allowances[(from, caller)]\n  \
         writes Token.balances[from]\n  writes Token.balances[to]\n"
    );
}

#[test]
fn an_uncovered_write_is_e0501_with_the_pattern_to_add() {
    let mut b = B::default();
    let t = token(&mut b);
    b.p.functions[t.transfer.0 as usize].access.writes.pop();
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0501"]);
    assert_eq!(
        d[0].message,
        "storage write to `balances[to]` is not covered by the annotations"
    );
    assert_eq!(d[0].help, ["add `writes balances[to]`"]);
    assert_eq!(d[0].severity(), Severity::Error);
    assert_eq!(
        d[0].secondary[0].span,
        b.p.functions[t.transfer.0 as usize].span
    );
}

#[test]
fn an_uncovered_read_asks_for_reads_and_a_tuple_key_renders_as_a_tuple() {
    let mut b = B::default();
    let c = b.contract(
        "C",
        &[
            ("fee", None, U128),
            (
                "allow",
                Some(Ty::Tuple(vec![Ty::Address, Ty::Address])),
                U128,
            ),
        ],
    );
    let f = b.func(Some(c), "f", FnKind::PubView, &[("owner", Ty::Address)]);
    let r1 = b.read(0, None);
    let s1 = b.expr_stmt(r1);
    let (o, me) = (b.local_e(f, 0), b.e(ExprKind::SelfAddr, Ty::Address));
    let key = b.e(
        ExprKind::Tuple(vec![o, me]),
        Ty::Tuple(vec![Ty::Address, Ty::Address]),
    );
    let r2 = b.read(1, Some(key));
    let s2 = b.expr_stmt(r2);
    b.body(f, vec![s1, s2]);
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0501", "E0501"]);
    assert_eq!(d[0].help, ["add `reads fee`"]);
    assert_eq!(
        d[1].message,
        "storage read of `allow[(owner, self)]` is not covered by the annotations"
    );
    assert_eq!(d[1].help, ["add `reads allow[(owner, self)]`"]);
}

#[test]
fn unneeded_patterns_warn_w0501_and_a_write_only_read_asks_for_reads() {
    let mut b = B::default();
    let c = b.contract("C", &[("fee", None, U128), ("m", Some(Ty::Address), U128)]);
    let f = b.func(Some(c), "f", FnKind::Pub, &[("who", Ty::Address)]);
    b.pattern(f, false, 0, hir::PatternKey::Scalar);
    b.pattern(f, true, 1, hir::PatternKey::Key(param(0)));
    let k = b.local_e(f, 0);
    let r = b.read(1, Some(k));
    let s = b.expr_stmt(r);
    b.body(f, vec![s]);
    let (sum, d) = b.run();
    assert_eq!(codes(&d), ["W0501", "W0501"]);
    assert_eq!(d[0].help, ["remove `fee` from `reads`"]);
    assert_eq!(d[1].help, ["declare `reads m[who]` instead"]);
    assert!(d.iter().all(|d| d.severity() == Severity::Warning));
    // The summary keeps what was declared: the VM must allow what the function claims.
    assert_eq!(sum.by_fn[&f].len(), 2);
}

#[test]
fn a_whole_map_pattern_covers_keys_and_an_exact_key_is_preferred() {
    let mut b = B::default();
    let c = b.contract("C", &[("m", Some(Ty::Address), U128)]);
    let f = b.func(Some(c), "f", FnKind::Pub, &[("who", Ty::Address)]);
    b.pattern(f, true, 0, hir::PatternKey::Whole);
    b.pattern(f, true, 0, hir::PatternKey::Key(param(0)));
    let (k, v) = (b.local_e(f, 0), b.lit(1));
    let s = b.write(0, Some(k), None, v);
    b.body(f, vec![s]);
    let (sum, d) = b.run();
    assert_eq!(codes(&d), ["W0501"]);
    assert_eq!(d[0].help, ["remove `m[*]` from `writes`"]);
    assert_eq!(
        sum.by_fn[&f].len(),
        1,
        "the whole-map write absorbs the key"
    );
}

#[test]
fn an_impure_key_needs_a_whole_map_pattern_e0503() {
    let mut b = B::default();
    let c = b.contract("C", &[("next", None, U128), ("m", Some(U128), U128)]);
    let f = b.func(Some(c), "create", FnKind::Pub, &[]);
    b.pattern(f, false, 0, hir::PatternKey::Scalar);
    let id = b.local(f, "id", U128, false);
    let next = b.read(0, None);
    let s1 = b.let_(id, next);
    let (k, v) = (b.local_e(f, 0), b.lit(7));
    let s2 = b.write(1, Some(k), None, v);
    b.body(f, vec![s1, s2]);
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0503"]);
    assert_eq!(
        d[0].help,
        ["add `writes m[*]` (and say in a comment why the function touches many keys)"]
    );
    assert!(
        d[0].primary
            .message
            .contains("`id`, which is computed in the body"),
        "{:?}",
        d[0].notes
    );

    b.pattern(f, true, 1, hir::PatternKey::Whole);
    let (_, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn immutable_lets_of_pure_values_are_pure_and_let_mut_is_not() {
    let mut b = B::default();
    let c = b.contract("C", &[("m", Some(Ty::Address), U128)]);
    let f = b.func(Some(c), "f", FnKind::Pub, &[("who", Ty::Address)]);
    b.pattern(f, true, 0, hir::PatternKey::Key(param(0)));
    let k = b.local(f, "k", Ty::Address, false);
    let init = b.local_e(f, 0);
    let s1 = b.let_(k, init);
    let (key, v) = (b.local_e(f, 1), b.lit(1));
    let s2 = b.write(0, Some(key), None, v);
    b.body(f, vec![s1.clone(), s2.clone()]);
    let (_, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");

    b.p.functions[f.0 as usize].locals[1].mutable = true;
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["W0501", "E0503"]);
    assert!(d[1].primary.message.contains("`k`, a `let mut` variable"));
}

#[test]
fn a_view_fn_that_writes_or_declares_writes_is_e0502() {
    let mut b = B::default();
    let c = b.contract("C", &[("x", None, U128)]);
    let f = b.func(Some(c), "peek", FnKind::PubView, &[]);
    b.pattern(f, true, 0, hir::PatternKey::Scalar);
    let v = b.lit(1);
    let s = b.write(0, None, None, v);
    b.body(f, vec![s]);
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0502", "E0502"]);
    assert!(
        d[0].message.contains("cannot declare `writes x`"),
        "{}",
        d[0].message
    );
    assert!(
        d[1].message.contains("cannot write `x`"),
        "{}",
        d[1].message
    );
}

/// `Dex`-like: `swap(pool, token, amount)` pulls with `transfer_from(caller, self[pool], amount)`
/// and pays out with `transfer(caller, amount) as self[pool]`.
fn dex(b: &mut B, t: &Token) -> (hir::ContractId, hir::FnId) {
    let c = b.contract(
        "Dex",
        &[
            ("fee_bps", None, U128),
            ("pools", Some(Ty::Int(IntTy::U64)), U128),
        ],
    );
    let tok = Ty::Contract(t.c);
    let f = b.func(
        Some(c),
        "swap",
        FnKind::Pub,
        &[
            ("pool", Ty::Int(IntTy::U64)),
            ("token", tok.clone()),
            ("amount", U128),
        ],
    );
    b.pattern(f, false, 0, hir::PatternKey::Scalar);
    b.pattern(f, true, 1, hir::PatternKey::Key(param(0)));
    b.calls(f, param(1), t.c, t.transfer_from);
    b.calls(f, param(1), t.c, t.transfer);
    let r = b.read(0, None);
    let s0 = b.expr_stmt(r);
    let (k, v) = (b.local_e(f, 0), b.lit(1));
    let s1 = b.write(1, Some(k), Some(BinOp::Add), v);
    let target = b.local_e(f, 1);
    let caller = b.e(ExprKind::Caller, Ty::Address);
    let pool = b.local_e(f, 0);
    let sub = b.e(ExprKind::SubAccount(Box::new(pool)), Ty::Address);
    let amount = b.local_e(f, 2);
    let pull = b.ext(
        target,
        t.c,
        t.transfer_from,
        vec![caller, sub, amount],
        None,
    );
    let s2 = b.expr_stmt(pull);
    let target = b.local_e(f, 1);
    let caller = b.e(ExprKind::Caller, Ty::Address);
    let amount = b.local_e(f, 2);
    let pool = b.local_e(f, 0);
    let pay = b.ext(target, t.c, t.transfer, vec![caller, amount], Some(pool));
    let s3 = b.expr_stmt(pay);
    b.body(f, vec![s0, s1, s2, s3]);
    (c, f)
}

#[test]
fn external_calls_instantiate_the_callee_with_sub_accounts() {
    let mut b = B::default();
    let t = token(&mut b);
    let (_, swap) = dex(&mut b, &t);
    let (s, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");
    let sum = &s.by_fn[&swap];
    let sub = WordExpr::Sub {
        base: Box::new(WordExpr::SelfAddr),
        key: vec![WordExpr::Param(0)],
    };
    assert_eq!(sum[2].contract, WordExpr::Param(1));
    assert_eq!(sum[2].contract_name, "Token");
    assert_eq!(
        sum[2].key,
        KeyPattern::Key(vec![WordExpr::Caller, WordExpr::SelfAddr])
    );
    assert_eq!(sum[4].key, KeyPattern::Key(vec![sub.clone()]));
    let text = b.print();
    let swap_block = text
        .split("\n\n")
        .find(|s| s.starts_with("Dex.swap"))
        .expect("swap printed");
    assert_eq!(
        swap_block,
        "Dex.swap(pool: u64, token: Token, amount: u128)\n  reads  Dex.fee_bps\n  writes Dex.pools[pool]\n  \
         writes Token(token).allowances[(caller, self)]\n  writes Token(token).balances[caller]\n  \
         writes Token(token).balances[self[pool]]\n"
    );
}

#[test]
fn an_undeclared_external_call_is_e0504_and_an_unused_calls_entry_w0502() {
    let mut b = B::default();
    let t = token(&mut b);
    let (_, swap) = dex(&mut b, &t);
    let decl = b.p.functions[swap.0 as usize].access.calls.remove(1);
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0504"]);
    assert_eq!(d[0].help, ["add `calls token.transfer`"]);
    assert_eq!(
        d[0].message,
        "external call to `Token.transfer` is not listed in `calls`"
    );

    let calls = &mut b.p.functions[swap.0 as usize].access.calls;
    calls.push(decl.clone());
    calls.push(hir::CallDecl {
        target: param(1),
        ..decl
    });
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["W0502"]);
    assert_eq!(d[0].help, ["remove `token.transfer` from `calls`"]);
}

#[test]
fn an_impure_argument_a_callee_key_depends_on_is_e0503_but_an_unused_one_is_fine() {
    let mut b = B::default();
    let t = token(&mut b);
    let c = b.contract("Pay", &[("last", None, Ty::Address)]);
    let f = b.func(Some(c), "pay", FnKind::Pub, &[("token", Ty::Contract(t.c))]);
    b.pattern(f, false, 0, hir::PatternKey::Scalar);
    b.calls(f, param(0), t.c, t.transfer);
    let to = b.local(f, "to", Ty::Address, false);
    let last = b.read(0, None);
    let s1 = b.let_(to, last);
    let target = b.local_e(f, 0);
    let (to_e, amount) = (b.local_e(f, 1), b.read(0, None));
    let call = b.ext(target, t.c, t.transfer, vec![to_e, amount], None);
    let s2 = b.expr_stmt(call);
    b.body(f, vec![s1, s2]);
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0503"], "{d:#?}");
    assert!(
        d[0].message
            .contains("`Token.transfer` accesses `Token.balances[to]`"),
        "{}",
        d[0].message
    );
    assert_eq!(
        d[0].primary.message,
        "this is `to`, which is computed in the body"
    );
}

#[test]
fn callees_of_callees_are_expanded_in_the_entry_functions_terms() {
    // A.f(b: B, c: C, who) calls b.g(c, who) which calls c.h(who) which writes C.m[caller], C.m[who].
    let mut b = B::default();
    let cc = b.contract("C", &[("m", Some(Ty::Address), U128)]);
    let h = b.func(Some(cc), "h", FnKind::Pub, &[("who", Ty::Address)]);
    b.pattern(h, true, 0, hir::PatternKey::Key(Pure::Caller));
    b.pattern(h, true, 0, hir::PatternKey::Key(param(0)));
    let (k, v) = (b.e(ExprKind::Caller, Ty::Address), b.lit(1));
    let s1 = b.write(0, Some(k), None, v);
    let (k, v) = (b.local_e(h, 0), b.lit(1));
    let s2 = b.write(0, Some(k), None, v);
    b.body(h, vec![s1, s2]);

    let bc = b.contract("B", &[]);
    let g = b.func(
        Some(bc),
        "g",
        FnKind::Pub,
        &[("c", Ty::Contract(cc)), ("who", Ty::Address)],
    );
    b.calls(g, param(0), cc, h);
    let (target, who) = (b.local_e(g, 0), b.local_e(g, 1));
    let call = b.ext(target, cc, h, vec![who], None);
    let s = b.expr_stmt(call);
    b.body(g, vec![s]);

    let ac = b.contract("A", &[]);
    let f = b.func(
        Some(ac),
        "f",
        FnKind::Pub,
        &[
            ("b", Ty::Contract(bc)),
            ("c", Ty::Contract(cc)),
            ("who", Ty::Address),
        ],
    );
    b.calls(f, param(0), bc, g);
    let (target, c_e, who) = (b.local_e(f, 0), b.local_e(f, 1), b.local_e(f, 2));
    let call = b.ext(target, bc, g, vec![c_e, who], None);
    let s = b.expr_stmt(call);
    b.body(f, vec![s]);

    let (s, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");
    let sum = &s.by_fn[&f];
    assert_eq!(sum.len(), 2);
    // In C.h, `caller` is B's address: the target of A's call, word 0 of A's arguments.
    assert_eq!(sum[0].contract, WordExpr::Param(1));
    assert_eq!(sum[0].key, KeyPattern::Key(vec![WordExpr::Param(0)]));
    assert_eq!(sum[1].key, KeyPattern::Key(vec![WordExpr::Param(2)]));
    assert!(
        b.print()
            .contains("A.f(b: B, c: C, who: address)\n  writes C(c).m[b]\n  writes C(c).m[who]\n")
    );
}

#[test]
fn internal_calls_instantiate_the_callees_declared_patterns() {
    let mut b = B::default();
    let c = b.contract("C", &[("m", Some(Ty::Address), U128)]);
    let g = b.func(Some(c), "credit", FnKind::Private, &[("who", Ty::Address)]);
    let gp = b.pattern(g, true, 0, hir::PatternKey::Key(param(0)));
    let (k, v) = (b.local_e(g, 0), b.lit(1));
    let s = b.write(0, Some(k), Some(BinOp::Add), v);
    b.body(g, vec![s]);
    let f = b.func(Some(c), "f", FnKind::Pub, &[("to", Ty::Address)]);
    let arg = b.local_e(f, 0);
    let call = b.call(g, vec![arg]);
    let s = b.expr_stmt(call);
    b.body(f, vec![s]);
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0501"]);
    assert_eq!(
        d[0].message,
        "storage write to `m[to]` (through `credit`) is not covered by the annotations"
    );
    assert_eq!(d[0].help, ["add `writes m[to]`"]);
    assert!(d[0].secondary.iter().any(|l| l.span == gp));

    b.pattern(f, true, 0, hir::PatternKey::Key(param(0)));
    let (s, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");
    assert_eq!(
        s.by_fn[&f][0].key,
        KeyPattern::Key(vec![WordExpr::Param(0)])
    );
    assert!(
        !s.by_fn.contains_key(&g),
        "internal fns have no entry summary"
    );
}

#[test]
fn an_internal_call_with_an_impure_argument_needs_the_whole_map() {
    let mut b = B::default();
    let c = b.contract(
        "C",
        &[("m", Some(Ty::Address), U128), ("x", None, Ty::Address)],
    );
    let g = b.func(Some(c), "credit", FnKind::Private, &[("who", Ty::Address)]);
    b.pattern(g, true, 0, hir::PatternKey::Key(param(0)));
    let (k, v) = (b.local_e(g, 0), b.lit(1));
    let s = b.write(0, Some(k), None, v);
    b.body(g, vec![s]);
    let f = b.func(Some(c), "f", FnKind::Pub, &[]);
    b.pattern(f, false, 1, hir::PatternKey::Scalar);
    let arg = b.read(1, None);
    let call = b.call(g, vec![arg]);
    let s = b.expr_stmt(call);
    b.body(f, vec![s]);
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0503"]);
    assert!(d[0].help[0].starts_with("add `writes m[*]`"));
    b.pattern(f, true, 0, hir::PatternKey::Whole);
    let (_, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn an_internal_callees_external_calls_must_be_in_the_callers_calls() {
    let mut b = B::default();
    let t = token(&mut b);
    let c = b.contract("V", &[]);
    let g = b.func(
        Some(c),
        "pay",
        FnKind::Private,
        &[("tok", Ty::Contract(t.c)), ("to", Ty::Address)],
    );
    b.calls(g, param(0), t.c, t.transfer);
    let (target, to, amount) = (b.local_e(g, 0), b.local_e(g, 1), b.lit(5));
    let call = b.ext(target, t.c, t.transfer, vec![to, amount], None);
    let s = b.expr_stmt(call);
    b.body(g, vec![s]);
    let f = b.func(Some(c), "f", FnKind::Pub, &[("token", Ty::Contract(t.c))]);
    let (a0, a1) = (b.local_e(f, 0), b.e(ExprKind::Caller, Ty::Address));
    let call = b.call(g, vec![a0, a1]);
    let s = b.expr_stmt(call);
    b.body(f, vec![s]);
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0504"]);
    assert_eq!(d[0].help, ["add `calls token.transfer`"]);

    b.calls(f, param(0), t.c, t.transfer);
    let (s, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");
    let sum = &s.by_fn[&f];
    assert_eq!(sum.len(), 2);
    assert_eq!(sum[0].key, KeyPattern::Key(vec![WordExpr::SelfAddr]));
    assert_eq!(sum[1].key, KeyPattern::Key(vec![WordExpr::Caller]));
}

#[test]
fn a_view_fn_calling_a_writing_function_is_e0502() {
    let mut b = B::default();
    let t = token(&mut b);
    let c = b.contract("V", &[]);
    let f = b.func(
        Some(c),
        "peek",
        FnKind::PubView,
        &[("token", Ty::Contract(t.c))],
    );
    b.calls(f, param(0), t.c, t.transfer);
    let (target, to, amount) = (
        b.local_e(f, 0),
        b.e(ExprKind::Caller, Ty::Address),
        b.lit(0),
    );
    let call = b.ext(target, t.c, t.transfer, vec![to, amount], None);
    let s = b.expr_stmt(call);
    b.body(f, vec![s]);
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0502"]);
}

#[test]
fn recursion_reaches_a_fixpoint_and_unbounded_growth_is_e0506() {
    let mut b = B::default();
    let t = token(&mut b);
    let c = b.contract("R", &[]);
    let tok = Ty::Contract(t.c);
    let f = b.func(
        Some(c),
        "f",
        FnKind::Pub,
        &[("token", tok), ("k", Ty::Address)],
    );
    b.calls(f, param(0), t.c, t.transfer);
    let (target, to, amount) = (b.local_e(f, 0), b.local_e(f, 1), b.lit(1));
    let pay = b.ext(target, t.c, t.transfer, vec![to, amount], None);
    let s1 = b.expr_stmt(pay);
    let (a0, a1) = (b.local_e(f, 0), b.local_e(f, 1));
    let again = b.call(f, vec![a0, a1]);
    let s2 = b.expr_stmt(again);
    b.body(f, vec![s1, s2.clone()]);
    let (s, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");
    assert_eq!(s.by_fn[&f].len(), 2);

    // f(token, k) recursing on f(token, self[k]) pays ever-new sub-accounts.
    let a0 = b.local_e(f, 0);
    let k = b.local_e(f, 1);
    let sub = b.e(ExprKind::SubAccount(Box::new(k)), Ty::Address);
    let again = b.call(f, vec![a0, sub]);
    let s2 = b.expr_stmt(again);
    let body = &mut b.p.functions[f.0 as usize].body.stmts;
    body[1] = s2;
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0506"]);
}

#[test]
fn library_functions_and_intrinsics_touch_nothing() {
    let mut b = B::default();
    let c = b.contract("C", &[("m", Some(U128), U128)]);
    let lib = b.func(None, "double", FnKind::Private, &[("x", U128)]);
    let f = b.func(Some(c), "f", FnKind::Pub, &[("x", U128)]);
    b.pattern(f, true, 0, hir::PatternKey::Whole);
    let a = b.local_e(f, 0);
    let key = b.call(lib, vec![a]);
    let key = Expr { ty: U128, ..key };
    let v = b.lit(2);
    let s = b.write(0, Some(key), None, v);
    b.body(f, vec![s]);
    let (s, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");
    assert_eq!(s.by_fn[&f].len(), 1);
    assert!(!s.by_fn.contains_key(&lib));
}

#[test]
fn a_key_on_a_scalar_field_is_e0505() {
    let mut b = B::default();
    let c = b.contract("C", &[("x", None, U128)]);
    let f = b.func(Some(c), "f", FnKind::Pub, &[("k", U128)]);
    b.pattern(f, false, 0, hir::PatternKey::Key(param(0)));
    let (_, d) = b.run();
    assert_eq!(codes(&d), ["E0505"]);
}

#[test]
fn struct_and_tuple_parameters_flatten_into_words() {
    let mut b = B::default();
    b.p.structs.push(hir::StructDef {
        name: "Order".into(),
        fields: vec![
            ("maker".into(), Ty::Address),
            ("pair".into(), Ty::Tuple(vec![U128, U128])),
        ],
        span: Span::default(),
    });
    let order = Ty::Struct(hir::StructId(0));
    let pair = Ty::Tuple(vec![U128, U128]);
    let c = b.contract(
        "C",
        &[
            ("m", Some(pair.clone()), U128),
            ("n", Some(Ty::Address), U128),
        ],
    );
    let f = b.func(
        Some(c),
        "f",
        FnKind::Pub,
        &[("a", U128), ("o", order.clone())],
    );
    b.pattern(
        f,
        true,
        0,
        hir::PatternKey::Key(Pure::Param(hir::LocalId(1), vec![1])),
    );
    b.pattern(
        f,
        true,
        1,
        hir::PatternKey::Key(Pure::Param(hir::LocalId(1), vec![0])),
    );
    let o = b.local_e(f, 1);
    let key = b.e(ExprKind::Field(Box::new(o), 1), pair.clone());
    let v = b.lit(1);
    let s1 = b.write(0, Some(key), None, v);
    let o = b.local_e(f, 1);
    let maker = b.e(ExprKind::Field(Box::new(o), 0), Ty::Address);
    let v = b.lit(1);
    let s2 = b.write(1, Some(maker), None, v);
    b.body(f, vec![s1, s2]);
    let (s, d) = b.run();
    assert!(d.is_empty(), "{d:#?}");
    assert_eq!(
        s.by_fn[&f][0].key,
        KeyPattern::Key(vec![WordExpr::Param(2), WordExpr::Param(3)])
    );
    assert_eq!(
        s.by_fn[&f][1].key,
        KeyPattern::Key(vec![WordExpr::Param(1)])
    );
    assert!(
        b.print()
            .contains("  writes C.m[o.pair]\n  writes C.n[o.maker]\n"),
        "{}",
        b.print()
    );
}
