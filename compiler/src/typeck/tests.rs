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
    compile_with_loader("test.braid", src.to_owned(), &loader, Stage::Hir)
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

const TOKEN: &str = r#"
use std::math::{min, mul_div};

contract Token {
    storage {
        owner: address,
        total_supply: u128,
        balances: map<address, u128>,
        allowances: map<(address, address), u128>,
    }

    event Transfer(from: address, to: address, amount: u128);

    init(supply: u128)
        writes owner, total_supply, balances[caller]
    {
        owner = caller;
        total_supply = supply;
        balances[caller] = supply;
    }

    pub fn transfer(to: address, amount: u128) -> bool
        writes balances[caller], balances[to]
    {
        let have = balances[caller];
        require(have >= amount, "insufficient balance");
        balances[caller] = have - amount;
        balances[to] += amount;
        emit Transfer(caller, to, amount);
        true
    }

    pub view fn balance_of(who: address) -> u128
        reads balances[who]
    {
        balances[who]
    }
}
"#;

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

#[test]
fn literals_take_their_type_from_context() {
    let p = hir_of(&in_contract(
        "fn f(x: u64, y: u8) -> u256 reads a { let s = 1 + x; let t: u8 = 255; let u = y + 1; let w = 2 * a; 1e30 }",
    ));
    let f = &p.functions[0];
    let tys: Vec<Ty> = f.locals.iter().map(|l| l.ty.clone()).collect();
    use crate::ast::IntTy::*;
    assert_eq!(
        tys,
        vec![
            Ty::Int(U64),
            Ty::Int(U8),
            Ty::Int(U64),
            Ty::Int(U8),
            Ty::Int(U8),
            Ty::Int(U64)
        ]
    );
    assert_eq!(f.ret, Ty::Int(U256));
    // With no context a literal is u128.
    let p = hir_of("fn g() -> u128 { let z = 5; z }");
    assert_eq!(p.functions[0].locals[0].ty, Ty::Int(U128));
}

#[test]
fn literal_out_of_range_is_e0402() {
    assert_err(
        "fn f() -> u8 { 256 }",
        "E0402",
        &[
            "integer literal out of range for `u8`",
            "the largest `u8` is 255",
        ],
    );
    assert_err("fn f(x: u64) -> bool { x < 1e20 }", "E0402", &["`u64`"]);
    assert_err("const X: u8 = 1000;", "E0402", &[]);
}

#[test]
fn constants_are_folded_exactly() {
    let p = hir_of(
        "const WAD: u128 = 1e18; const HALF: u128 = WAD / 2; const M: u64 = 10 ** 6; const T: bool = HALF < WAD && !false;
         const Z: address = 0x00000000000000000000000000000000000000ff; const S: u8 = 1 << 7; const N: u8 = !0;
         fn f() -> (u128, u64, bool, address, u8, u8) { (HALF, M, T, Z, S, N) }",
    );
    let tail = p.functions[0].body.tail.as_ref().expect("tail");
    let hir::ExprKind::Tuple(es) = &tail.kind else {
        panic!("a tuple")
    };
    let vals: Vec<String> = es
        .iter()
        .map(|e| match &e.kind {
            hir::ExprKind::Lit(v) => v.to_string(),
            other => panic!("not folded: {other:?}"),
        })
        .collect();
    assert_eq!(
        vals,
        ["500000000000000000", "1000000", "1", "255", "128", "255"]
    );
}

#[test]
fn constant_errors() {
    assert_err("const A: u64 = 10 ** 20;", "E0409", &["overflows `u64`"]);
    assert_err("const A: u64 = 1 - 2;", "E0409", &["underflows"]);
    assert_err("const A: u64 = 1 / 0;", "E0409", &["divides by zero"]);
    assert_err("const A: u8 = 255 + 1;", "E0409", &[]);
    assert_err(
        "fn f(x: u128) -> u128 { x ** 2 }",
        "E0408",
        &["`**` needs constant operands", "pow(base, exp)"],
    );
    assert_err(
        "const A: u64 = B; const B: u64 = A;",
        "E0408",
        &["depends on itself"],
    );
    assert_err(
        &in_contract("const Q: u64 = a;"),
        "E0408",
        &["not a constant expression"],
    );
    assert_err(
        "const A: (u64, u64) = (1, 2);",
        "E0408",
        &["cannot have type `(u64, u64)`"],
    );
    assert_err(
        "fn f() -> u8 { 300u64 as u8 }",
        "E0409",
        &["does not fit in `u8`"],
    );
}

#[test]
fn mismatches_are_e0401_with_expected_and_found() {
    assert_err(
        "fn f(x: u64, y: u128) -> u128 { x + y }",
        "E0401",
        &[
            "mismatched types",
            "expected `u64`, found `u128`",
            "help: convert it with `as u64`",
        ],
    );
    assert_err(
        "fn f() -> bool { 5 }",
        "E0401",
        &["expected `bool`, found an integer"],
    );
    assert_err(
        "fn f(a: address) -> bool { a == 0 }",
        "E0401",
        &["expected `address`, found an integer"],
    );
    assert_err(
        "fn f(x: u64) { if x { } }",
        "E0401",
        &["expected `bool`, found `u64`"],
    );
    assert_err(
        "fn f(b: bool) -> u64 { if b { 1 } else { true } }",
        "E0401",
        &["`if` and `else` have different types"],
    );
    assert_err(
        "fn f(b: bool) { if b { 1u8 } }",
        "E0401",
        &["an `if` without `else` has no value"],
    );
    assert_err(
        "fn f(b: bool) { if b { 1 } }",
        "E0401",
        &["expected `()`, found an integer"],
    );
    assert_err("fn f() { 5u64 }", "E0401", &["expected `()`, found `u64`"]);
    assert_err(
        "fn f() -> u64 { return; }",
        "E0410",
        &["`return` needs a value of type `u64`"],
    );
    assert_err(
        "fn f() { return 1u8; }",
        "E0401",
        &["this function returns no value"],
    );
    assert_err(
        "fn f(a: (u64, u64)) -> bool { a == a }",
        "E0401",
        &[
            "cannot compare values of type `(u64, u64)`",
            "compare the fields",
        ],
    );
    assert_err(
        "fn f(a: bool) -> bool { a < a }",
        "E0401",
        &["cannot compare values of type `bool`"],
    );
    assert_err(
        "fn f(a: bool) -> bool { a + a }",
        "E0401",
        &["`+` cannot be applied to `bool`"],
    );
    assert_err(
        "fn f(a: address) -> address { !a }",
        "E0401",
        &["`!` cannot be applied to `address`"],
    );
    assert_err(
        "fn f(a: u64) -> bool { a && true }",
        "E0401",
        &["expected `bool`, found `u64`"],
    );
    assert_err(
        "fn f(a: (u64, bool)) { let (x, y, z) = a; }",
        "E0401",
        &["expected a tuple of 3 elements"],
    );
    assert_err(
        "fn g() {} fn f() { let x = g(); }",
        "E0401",
        &["no value to bind"],
    );
    assert_err("fn f() { for i in 0..true { } }", "E0401", &[]);
}

#[test]
fn one_error_does_not_cascade() {
    let out = check("fn f(x: u64) -> u64 { let y = nope + 1; let z = y * 2; z + x }");
    assert_eq!(out.matches("error[").count(), 1, "{out}");
    assert!(out.contains("[E0301]"), "{out}");
}

#[test]
fn every_error_in_a_file_is_reported() {
    let out = check("fn f() -> u8 { 256 } fn g() -> bool { 1u8 } fn h() { break; }");
    assert!(out.contains("could not compile due to 3 errors"), "{out}");
}

#[test]
fn operators_and_casts() {
    hir_of(
        "fn f(a: u64, b: u8, c: u256, t: bool, x: address) -> bool {
            let s = a << b; let r = c >> 3; let m = a % 2 ^ 1 & 3 | 4;
            let w = (a as u256) * c; let q = !a; let n = !t;
            t & n | (s > r as u64) && x <= x && (w as u8) != 0 && m >= q
        }",
    );
    assert_err(
        "fn f(a: bool) -> u64 { a as u64 }",
        "E0415",
        &["cannot convert `bool` to `u64`"],
    );
    assert_err("fn f(a: address) -> u64 { a as u64 }", "E0415", &[]);
}

#[test]
fn contract_values_convert_to_address_only_explicitly() {
    let lib = "contract T { pub fn f() -> u64 { 1 } }";
    let src = "use t::T;
        fn f(x: T, y: address) -> address { x as address }
        fn g(y: address) -> T { y as T }
        fn h(x: T, z: T) -> bool { x == z }";
    let c = compile_with(&[("t", lib)], src);
    assert!(c.diagnostics.is_empty(), "{}", c.render_diagnostics(false));
    let c = compile_with(&[("t", lib)], "use t::T; fn f(x: T) -> address { x }");
    let out = c.render_diagnostics(false);
    assert!(
        out.contains("expected `address`, found `T`") && out.contains("`as address`"),
        "{out}"
    );
    let c = compile_with(&[("t", lib)], "use t::T; fn f(x: T) -> bool { x < x }");
    assert!(c.render_diagnostics(false).contains("[E0401]"));
}

#[test]
fn blocks_if_else_and_divergence() {
    hir_of(
        "fn f(b: bool) -> u64 { if b { return 1; } else { revert(\"no\"); } }
         fn g(b: bool) -> u64 { let x = if b { 5 } else { revert(\"no\"); }; x }
         fn h(b: bool) -> u64 { if b { 0 } else { h(b) } }
         fn i(b: bool) -> u64 { let y = { let z = 2u64; z + 1 }; if b { return y; } y }
         fn j(b: bool) -> u64 { if b { return 1; } revert(\"x\"); }",
    );
    assert_err(
        "fn f(b: bool) -> u64 { if b { return 1; } }",
        "E0410",
        &["`f` must return a `u64`"],
    );
    assert_err("fn f() -> u64 { }", "E0410", &["declared return type"]);
    assert_err("fn f() -> u64 { while true { return 1; } }", "E0410", &[]);
}

#[test]
fn let_literals_learn_their_type_from_use() {
    let p = hir_of(
        "fn f(n: u64, xs: u8) -> u64 {
            let mut total = 0; let mut i = 0; let k = 3; let j = if n > 2 { 1 } else { revert(\"no\"); };
            let mut c = 0; c = xs;
            while i < n { total += i * k; i += 1; }
            total + j
        }",
    );
    use crate::ast::IntTy::*;
    let tys: Vec<(String, Ty)> = p.functions[0]
        .locals
        .iter()
        .map(|l| (l.name.clone(), l.ty.clone()))
        .collect();
    let want = [
        ("n", U64),
        ("xs", U8),
        ("total", U64),
        ("i", U64),
        ("k", U64),
        ("j", U64),
        ("c", U8),
    ];
    assert_eq!(tys, want.map(|(n, t)| (n.to_owned(), Ty::Int(t))).to_vec());
    // A local never constrained stays u128; a later conflicting use is an error.
    assert_eq!(
        hir_of("fn f() { let x = 1; }").functions[0].locals[0].ty,
        Ty::Int(U128)
    );
    assert_err(
        "fn f(a: u64, b: u8) { let x = 1; let y = x + a; let z = x + b; }",
        "E0401",
        &["expected `u64`, found `u8`"],
    );
}

#[test]
fn loops_and_break() {
    let p = hir_of(
        "fn f(n: u64) -> u64 { let mut s = 0; for i in 0..n { if i == 3 { continue; } s += i; } while s > 10 { s -= 1; break; } s }",
    );
    assert_eq!(p.functions[0].locals[2].ty, Ty::Int(crate::ast::IntTy::U64));
    assert_err(
        "fn f() { continue; }",
        "E0411",
        &["`continue` outside a loop"],
    );
    assert_err("fn f(n: u64) { for i in 0..n { i = 1; } }", "E0405", &[]);
}

#[test]
fn assignment_places() {
    let p = hir_of(&in_contract(
        "fn f(p: u64) writes a, pools[p] { let mut t = (1u64, true); t.0 = 2; a = 3; pools[p].y.1 = false; pools[p].x += 1; }",
    ));
    let f = &p.functions[0];
    let places: Vec<Vec<u32>> = f
        .body
        .stmts
        .iter()
        .filter_map(|s| match &s.kind {
            hir::StmtKind::Assign { place, .. } => Some(place.path.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(places, vec![vec![0], vec![], vec![1, 1], vec![0]]);
    assert_err(
        "fn f() { let x = 1; x = 2; }",
        "E0405",
        &["not declared `mut`", "declare it `let mut x`"],
    );
    assert_err(
        "fn f(x: u64) { x = 2; }",
        "E0405",
        &["parameters are immutable"],
    );
    assert_err(
        "fn f() { 1 = 2; }",
        "E0404",
        &["cannot assign to this expression"],
    );
    assert_err(&in_contract("fn f() { m = 1; }"), "E0404", &["whole map"]);
    assert_err(&in_contract("fn f() { K = 1; }"), "E0404", &["constant"]);
    assert_err(&in_contract("fn f() { self[1] = 2; }"), "E0404", &[]);
    assert_err(
        &in_contract("fn f() { let mut b = true; b += true; }"),
        "E0401",
        &["`+=` cannot be applied to `bool`"],
    );
}

#[test]
fn maps_only_in_storage_with_key_types() {
    assert_err(
        "fn f(m: map<u64, u64>) { }",
        "E0406",
        &["only allowed as a storage field"],
    );
    assert_err("struct S { m: map<u64, u64> }", "E0406", &[]);
    assert_err(
        "contract C { storage { m: map<u64, map<u64, u64>> } }",
        "E0406",
        &[],
    );
    assert_err(
        "contract C { storage { m: map<bool, u64> } }",
        "E0407",
        &["`bool` cannot be a map key"],
    );
    assert_err(
        "contract C { struct S { a: u64 } storage { m: map<S, u64> } }",
        "E0407",
        &[],
    );
    hir_of("contract C { storage { m: map<(u64, address), u64>, n: map<u8, (u64, bool)> } }");
    assert_err(
        &in_contract("fn f() -> u128 reads m[*] { let x = m; 1 }"),
        "E0416",
        &["read one entry: `m[key]`"],
    );
}

#[test]
fn storage_reads_and_sub_accounts() {
    let p = hir_of(&in_contract(
        "pub fn f(p: u64) -> address reads pools[p], a { let x = pools[p].y.0 + a; self[(p, caller)] }",
    ));
    let f = &p.functions[0];
    let tail = f.body.tail.as_ref().expect("tail");
    assert!(matches!(tail.kind, hir::ExprKind::SubAccount(_)));
    assert_eq!(tail.ty, Ty::Address);
    assert_err(
        &in_contract("fn f() { let x = a[1]; }"),
        "E0401",
        &["cannot index into a value of type `u64`"],
    );
    assert_err(
        &in_contract("fn f() { let x = self[true]; }"),
        "E0401",
        &["a sub-account key cannot be a `bool`"],
    );
}

#[test]
fn fields_and_struct_literals() {
    hir_of(&in_contract(
        "fn f() -> u64 { let p = P { y: (1, true), x: 2 }; p.y.0 }",
    ));
    assert_err(
        &in_contract("fn f() { let p = P { x: 1 }; }"),
        "E0412",
        &["missing field `y`"],
    );
    assert_err(
        &in_contract("fn f() { let p = P { x: 1, x: 2, y: (1, true) }; }"),
        "E0412",
        &["given twice"],
    );
    assert_err(
        &in_contract("fn f() { let p = P { x: 1, z: 2, y: (1, true) }; }"),
        "E0305",
        &["has no field `z`"],
    );
    assert_err(
        &in_contract("fn f(p: P) -> u128 { p.z }"),
        "E0305",
        &["struct `P` has no field `z`", "its fields are `x`, `y`"],
    );
    assert_err(
        "fn f(p: (u64, u64)) -> u64 { p.2 }",
        "E0305",
        &["the tuple has 2 elements"],
    );
    assert_err("fn f(p: u64) -> u64 { p.x }", "E0305", &[]);
    assert_err(
        "fn f() { let p = Q { x: 1 }; }",
        "E0308",
        &["unknown struct `Q`"],
    );
    assert_err("fn f(x: Q) { }", "E0308", &["unknown type `Q`"]);
    assert_err(
        "struct A { b: B } struct B { a: A }",
        "E0419",
        &["contains itself"],
    );
}

#[test]
fn names_and_duplicates() {
    assert_err(
        "fn f() -> u64 { y }",
        "E0301",
        &["cannot find `y` in this scope"],
    );
    assert_err(
        "fn g() {} fn f() -> u64 { g }",
        "E0301",
        &["`g` is a function"],
    );
    assert_err(
        "fn f() {} fn f() {}",
        "E0302",
        &["the function `f` is declared twice", "first declared here"],
    );
    assert_err(
        "contract C { storage { a: u64, a: u64 } }",
        "E0302",
        &["storage field `a`"],
    );
    assert_err("contract C { event E(); event E(); }", "E0302", &[]);
    assert_err(
        "contract C { init() {} init() {} }",
        "E0302",
        &["declares `init` twice"],
    );
    assert_err("struct S { a: u64, a: u64 }", "E0302", &[]);
    assert_err("fn f(a: u64, a: u64) {}", "E0302", &[]);
    assert_err("const A: u64 = 1; const A: u64 = 2;", "E0302", &[]);
    assert_err("contract C {} struct C { a: u64 }", "E0302", &[]);
    // Separate namespaces: a storage field, a function and an event may share a name.
    hir_of(
        "contract C { storage { x: u64 } event x(); pub view fn x() -> u64 reads x { x } fn y() { emit x(); } }",
    );
    // A local shadows a storage field.
    hir_of(&in_contract("fn f() -> u64 { let a = 5u64; a }"));
}

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
    // Importing the root file from a module is a cycle too.
    let out = compile_with(&[("<root>", "")], "use b::B;").render_diagnostics(false);
    assert!(out.contains("[E0303]"), "{out}");
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
