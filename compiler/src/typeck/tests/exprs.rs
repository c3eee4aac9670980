//! Expressions, statements, places, constants and declarations.

use super::*;

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
    // Loop variables over literal ranges, and intrinsic arguments, learn too.
    let p = hir_of(
        "use std::math::{min}; fn f(n: u64) -> u64 { let mut s = 0; for i in 0..10 { s = min(s, n) + i; } s }",
    );
    let tys: Vec<Ty> = p.functions[0].locals.iter().map(|l| l.ty.clone()).collect();
    assert_eq!(tys, vec![Ty::Int(U64); 3]);
    // Through tuples and `if` branches.
    let p = hir_of(
        "fn f(n: u64, b: bool) -> (u64, u8) { let mut t = 0; let mut o = 0; t += n; if b { (t, o) } else { (1, o) } }",
    );
    assert_eq!(p.functions[0].locals[3].ty, Ty::Int(U8));
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
        "E0412",
        &["struct `P` has no field `z`"],
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
    // A local may not take a storage field's name (language spec §4): E0420, whose
    // help renames the local.
    assert_err(
        &in_contract("fn f() -> u64 { let a = 5u64; a }"),
        "E0420",
        &[
            "the local `a` has the name of a storage field",
            "rename the local to `a_value`",
        ],
    );
}

#[test]
fn struct_cycles_report_the_struct_on_the_cycle() {
    let out = check("struct A { b: B } struct B { c: (u64, B) }");
    assert_eq!(out.matches("[E0419]").count(), 1, "{out}");
    assert!(out.contains("the struct `B` contains itself"), "{out}");
    // A long chain of structs is not a cycle, and does not exhaust the stack.
    let chain: String = (0..2000)
        .map(|i| format!("struct S{i} {{ x: S{} }} ", i + 1))
        .collect();
    assert_eq!(check(&format!("{chain} struct S2000 {{ x: u64 }}")), "");
}

#[test]
fn long_constant_chains_are_evaluated_in_order() {
    let chain: String = (0..3000)
        .map(|i| format!("const C{i}: u64 = C{} + 1; ", i + 1))
        .collect();
    let p = hir_of(&format!(
        "{chain} const C3000: u64 = 0; fn f() -> u64 {{ C0 }}"
    ));
    let tail = p.functions[0].body.tail.as_ref().expect("tail");
    assert!(matches!(tail.kind, hir::ExprKind::Lit(v) if v == ruint::aliases::U256::from(3000u32)));
    // A long cycle is reported, not followed forever.
    let cycle: String = (0..500)
        .map(|i| format!("const C{i}: u64 = C{} + 1; ", (i + 1) % 500))
        .collect();
    assert_err(&cycle, "E0408", &[]);
}

#[test]
fn too_many_local_words_is_e0601() {
    // 4 structs of 16 tuples… grow to 2^16 words: 16 * 16 * 16 * 16 = 65,536.
    let src = "struct A { a: (u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64) }
        struct B { b: (A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A) }
        struct C { c: (B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B) }
        struct D { d: (C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C) }
        fn f(x: D) { }
        fn g(x: C) { }";
    let out = check(src);
    assert_eq!(out.matches("[E0601]").count(), 1, "{out}");
    assert!(out.contains("`f` needs 65536 words"), "{out}");
}

#[test]
fn familiar_mistakes_get_a_hint() {
    assert_err(
        "fn f() -> address { msg.sender }",
        "E0301",
        &["the immediate caller is `caller`"],
    );
    assert_err("fn f() -> u64 { now }", "E0301", &["`block.timestamp`"]);
    assert_err(
        &in_contract("fn f() -> u64 reads a { self.a }"),
        "E0305",
        &["`self` has no field `a`", "without `self.`: `a`"],
    );
    assert_err(
        &in_contract("fn g() {} fn f() { self.g(); }"),
        "E0413",
        &["directly: `g(…)`"],
    );
    assert_err(
        "fn f() -> address { 0x1234 }",
        "E0401",
        &["exactly 40 hex digits"],
    );
}
