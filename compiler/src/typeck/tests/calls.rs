//! Calls, external calls, annotations, events and imports.

use super::*;

#[test]
fn calls_internal_library_and_intrinsics() {
    let p = hir_of(
        "use std::math::{min, mul_div, sqrt};
         fn lib(a: u64) -> u64 { a + 1 }
         contract C {
             fn inner(x: u128) -> u128 { x }
             pub fn f(a: u64, b: u256) -> u256 {
                 let x = min(a, 3); let y = lib(x); let z = inner(2);
                 let w = wrapping_add(255u8, 1); let s = sqrt(b); mul_div(b, 2, s)
             }
         }",
    );
    let f = p.functions.iter().find(|f| f.name == "f").expect("f");
    let intrinsics: Vec<hir::Intrinsic> = f
        .body
        .stmts
        .iter()
        .filter_map(|s| match &s.kind {
            hir::StmtKind::Let {
                init:
                    hir::Expr {
                        kind: hir::ExprKind::Intrinsic(i, _),
                        ..
                    },
                ..
            } => Some(*i),
            _ => None,
        })
        .collect();
    assert_eq!(
        intrinsics,
        [
            hir::Intrinsic::Min,
            hir::Intrinsic::WrappingAdd,
            hir::Intrinsic::Sqrt
        ]
    );
    assert_eq!(f.locals[2].ty, Ty::Int(crate::ast::IntTy::U64));
    assert_eq!(
        p.functions
            .iter()
            .find(|f| f.name == "lib")
            .map(|f| f.contract),
        Some(None)
    );
    assert_err(
        "fn f() -> u64 { min(1, 2) }",
        "E0306",
        &["cannot find function `min`", "use std::math::{min};"],
    );
    assert_err(
        "use std::math::{min}; fn f() -> u64 { min(1) }",
        "E0403",
        &["`min` takes 2 arguments but 1 was given"],
    );
    assert_err(
        "use std::math::{min}; fn f(a: bool) -> bool { min(a, a) }",
        "E0401",
        &["`min` needs integer arguments"],
    );
    assert_err(
        "use std::math::{max}; fn f(a: u64, b: u8) -> u64 { max(a, b) }",
        "E0401",
        &[],
    );
    assert_err(
        "fn g(a: u64) {} fn f() { g(1, 2); }",
        "E0403",
        &["`g` takes 1 argument but 2 were given"],
    );
    assert_err("fn g(a: u64) {} fn f() { g(true); }", "E0401", &[]);
}

const TOKEN_LIB: &str = r#"
contract Token {
    storage { balances: map<address, u128> }
    pub fn transfer(to: address, amount: u128) -> bool writes balances[caller], balances[to] { true }
    pub view fn balance_of(who: address) -> u128 reads balances[who] { balances[who] }
    fn secret() {}
}
"#;

#[test]
fn external_calls() {
    let src = "use token::Token;
        contract Dex {
            storage { pools: map<u64, Token> }
            pub fn pay(t: Token, p: u64, to: address) -> bool calls t.transfer, t.balance_of {
                let b = t.balance_of(self[p]);
                t.transfer(to, b) as self[p]
            }
        }";
    let c = compile_with(&[("token", TOKEN_LIB)], src);
    assert!(c.diagnostics.is_empty(), "{}", c.render_diagnostics(false));
    let p = c.hir.expect("hir");
    assert_eq!(p.roots.len(), 1);
    assert_eq!(p.contract(p.roots[0]).name, "Dex");
    let pay = p.functions.iter().find(|f| f.name == "pay").expect("pay");
    assert_eq!(pay.access.calls.len(), 2);
    assert_eq!(
        pay.access.calls[0].target,
        hir::Pure::Param(hir::LocalId(0), vec![])
    );
    assert_eq!(p.function(pay.access.calls[0].func).name, "transfer");
    let tail = pay.body.tail.as_ref().expect("tail");
    let hir::ExprKind::ExtCall {
        as_sub: Some(k),
        func,
        ..
    } = &tail.kind
    else {
        panic!("ext call")
    };
    assert!(matches!(k.kind, hir::ExprKind::Local(hir::LocalId(1))));
    assert_eq!(p.function(*func).name, "transfer");
    // The imported contract's functions are in the program with their annotations.
    let transfer = p.function(*func);
    assert_eq!(transfer.access.writes.len(), 2);

    let bad = |body: &str| {
        let src = format!(
            "use token::Token; contract D {{ pub fn f(t: Token, a: address) {{ {body} }} }}"
        );
        compile_with(&[("token", TOKEN_LIB)], &src).render_diagnostics(false)
    };
    assert!(bad("t.secret();").contains("[E0417]"));
    assert!(bad("t.secret();").contains("declared here without `pub`"));
    assert!(bad("t.nope();").contains("[E0306]"));
    assert!(bad("t.nope();").contains("`transfer`, `balance_of`"));
    assert!(bad("a.transfer(a, 1);").contains("[E0413]"));
    assert!(bad("t.transfer(a);").contains("[E0403]"));
    assert!(
        bad("t.transfer(a, 1) as self[true];").contains("a sub-account key cannot be a `bool`")
    );
    assert!(bad("(a as Token).transfer(a, 1);").is_empty());
}

#[test]
fn annotations_resolve_to_patterns() {
    let src = "use token::Token;
        contract C {
            struct K { who: address, id: u64 }
            const Z: u64 = 3;
            storage { a: u64, m: map<(address, u64), u64>, n: map<address, u64> }
            pub fn f(k: K, p: (u64, address), t: Token) reads a, m[*], m[(k.who, p.0)], m[(caller, Z)], n[self[k.id]]
                writes n[p.1], n[t as address] calls t.transfer { }
        }";
    let c = compile_with(&[("token", TOKEN_LIB)], src);
    assert!(c.diagnostics.is_empty(), "{}", c.render_diagnostics(false));
    let p = c.hir.expect("hir");
    let f = p.functions.iter().find(|f| f.name == "f").expect("f");
    use hir::{LocalId, PatternKey as Pk, Pure};
    let keys: Vec<Pk> = f.access.reads.iter().map(|r| r.key.clone()).collect();
    assert_eq!(
        keys,
        vec![
            Pk::Scalar,
            Pk::Whole,
            Pk::Key(Pure::Tuple(vec![
                Pure::Param(LocalId(0), vec![0]),
                Pure::Param(LocalId(1), vec![0])
            ])),
            Pk::Key(Pure::Tuple(vec![
                Pure::Caller,
                Pure::Const(ruint::aliases::U256::from(3u8))
            ])),
            Pk::Key(Pure::Sub(Box::new(Pure::Param(LocalId(0), vec![1])))),
        ]
    );
    assert_eq!(
        f.access.writes[0].key,
        Pk::Key(Pure::Param(LocalId(1), vec![1]))
    );
    assert_eq!(
        f.access.writes[1].key,
        Pk::Key(Pure::Param(LocalId(2), vec![]))
    );
}

#[test]
fn annotation_errors() {
    assert_err(
        &in_contract("fn f() reads m[owner] { }"),
        "E0503",
        &["must be a pure path", "reads storage", "m[*]"],
    );
    assert_err(
        &in_contract("fn f(x: u64) reads pools[x + 1] { }"),
        "E0503",
        &["pure path"],
    );
    assert_err(
        &in_contract("fn f() reads pools[block.number] { }"),
        "E0503",
        &["depends on the block"],
    );
    assert_err(
        &in_contract("fn f() reads a[caller] { }"),
        "E0505",
        &["`a` is not a map"],
    );
    assert_err(
        &in_contract("fn f() reads m { }"),
        "E0505",
        &["`m` is a map", "`m[*]`"],
    );
    assert_err(
        &in_contract("fn f() reads nope { }"),
        "E0505",
        &["no storage field `nope`"],
    );
    assert_err(
        &in_contract("fn f() reads m[1] { }"),
        "E0401",
        &["expected `address`, found an integer"],
    );
    assert_err(
        "fn f() reads a { }",
        "E0505",
        &["a library function has no storage"],
    );
    assert_err(
        &in_contract("fn f(x: address) calls x.g { }"),
        "E0413",
        &["declare the parameter with a contract type"],
    );
    let src = "use token::Token; contract D { storage { t: Token } fn f(u: Token) calls t.transfer, u.secret, u.nope { } }";
    let out = compile_with(&[("token", TOKEN_LIB)], src).render_diagnostics(false);
    assert!(
        out.contains("[E0503]")
            && out.contains("the target of a `calls` entry must be a pure path"),
        "{out}"
    );
    assert!(out.contains("[E0417]") && out.contains("[E0306]"), "{out}");
}

#[test]
fn events() {
    hir_of(&in_contract("fn f() { emit E(caller, 5); }"));
    assert_err(
        &in_contract("fn f() { emit F(); }"),
        "E0307",
        &["unknown event `F`"],
    );
    assert_err(
        &in_contract("fn f() { emit E(caller); }"),
        "E0403",
        &["has 2 parameters but 1 argument was given"],
    );
    assert_err(&in_contract("fn f() { emit E(1, 5); }"), "E0401", &[]);
    assert_err(
        "fn f() { emit E(); }",
        "E0307",
        &["a library function cannot emit events"],
    );
}

#[test]
fn imports() {
    let lib = "const A: u64 = 4; fn twice(x: u64) -> u64 { x * A } struct S { a: u64 }";
    let c = compile_with(
        &[("lib", lib)],
        "use lib::{A, twice, S}; fn f() -> u64 { let s = S { a: A }; twice(s.a) }",
    );
    assert!(c.diagnostics.is_empty(), "{}", c.render_diagnostics(false));
    // Nested module paths and std modules.
    let c = compile_with(
        &[("a::b", lib)],
        "use a::b::A; use std::fixed::{wad_mul, WAD}; fn f() -> u128 { wad_mul(WAD, A as u128) }",
    );
    assert!(c.diagnostics.is_empty(), "{}", c.render_diagnostics(false));
    let out = compile_with(&[("lib", lib)], "use lib::{B};").render_diagnostics(false);
    assert!(
        out.contains("[E0304]")
            && out.contains("module `lib` has no item `B`")
            && out.contains("`A`, `S`, `twice`"),
        "{out}"
    );
    let out = compile_with(&[], "use nowhere::X;").render_diagnostics(false);
    assert!(
        out.contains("[E0303]") && out.contains("cannot find module `nowhere`"),
        "{out}"
    );
    let out = compile_with(&[], "use std::nope::X;").render_diagnostics(false);
    assert!(
        out.contains("[E0303]") && out.contains("no module `std::nope` in the standard library"),
        "{out}"
    );
    let out = compile_with(&[], "use std::math::{cbrt};").render_diagnostics(false);
    assert!(out.contains("[E0304]"), "{out}");
    // Imports of the same item twice are harmless; a clash is E0302.
    let c = compile_with(&[("lib", lib)], "use lib::A; use lib::A;");
    assert!(c.diagnostics.is_empty(), "{}", c.render_diagnostics(false));
    let out =
        compile_with(&[("lib", lib)], "use lib::A; const A: u64 = 1;").render_diagnostics(false);
    assert!(out.contains("[E0302]"), "{out}");
    // No re-exports: only a module's own items are importable.
    let out = compile_with(&[("lib", lib), ("re", "use lib::A;")], "use re::A;")
        .render_diagnostics(false);
    assert!(out.contains("[E0304]"), "{out}");
    // Errors inside an imported module are reported in that module.
    let out =
        compile_with(&[("bad", "fn f() -> u8 { 300 }")], "use bad::f;").render_diagnostics(false);
    assert!(
        out.contains("bad.braid") && out.contains("[E0402]"),
        "{out}"
    );
}

#[test]
fn import_cycles_are_e0310() {
    let out = compile_with(
        &[
            ("a", "use b::B; const A: u64 = 1;"),
            ("b", "use a::A; const B: u64 = 2;"),
        ],
        "use a::A;",
    )
    .render_diagnostics(false);
    assert!(
        out.contains("[E0310]") && out.contains("import cycle"),
        "{out}"
    );
    // A diamond is not a cycle.
    let c = compile_with(
        &[
            ("a", "use c::C; const A: u64 = C;"),
            ("b", "use c::C; const B: u64 = C;"),
            ("c", "const C: u64 = 1;"),
        ],
        "use a::A; use b::B; const D: u64 = A + B;",
    );
    assert!(c.diagnostics.is_empty(), "{}", c.render_diagnostics(false));
}

#[test]
fn std_modules_compile() {
    let c = compile_with(
        &[],
        "use std::token::Token; use std::access::{only_owner, ZERO_ADDRESS}; use std::fixed::{wad_div, ray_mul, RAY};
         contract C { pub fn f(t: Token) -> u128 calls t.balance_of { only_owner(ZERO_ADDRESS); ray_mul(RAY, wad_div(1, 2)) + t.balance_of(self) } }",
    );
    assert!(c.diagnostics.is_empty(), "{}", c.render_diagnostics(false));
    let p = c.hir.expect("hir");
    assert_eq!(p.roots.len(), 1);
    assert_eq!(p.contracts.len(), 2);
    assert!(
        p.functions
            .iter()
            .any(|f| f.name == "only_owner" && f.contract.is_none())
    );
}
