//! Storage, aggregates, casts, intrinsics, pools and determinism.

use super::interp::Machine;
use super::*;
use braid_bytecode::disasm::disassemble;

/// The token of the language spec §1.
pub fn token() -> Prog {
    let mut p = Prog::new(
        "Token",
        vec![
            ("owner", None, ADDR),
            ("total_supply", None, U128),
            ("balances", Some(ADDR), U128),
        ],
        vec![(
            "Transfer",
            vec![("from", ADDR), ("to", ADDR), ("amount", U128)],
        )],
    );
    let caller = || ex(ExprKind::Caller, ADDR);
    p.f(
        "init",
        FnKind::Init,
        vec![("supply", U128)],
        vec![],
        Ty::Unit,
        blk(
            vec![
                sstore(0, None, vec![], ADDR, None, caller()),
                sstore(1, None, vec![], U128, None, var(0, U128)),
                sstore(2, Some(caller()), vec![], U128, None, var(0, U128)),
            ],
            None,
        ),
    );
    // pub fn transfer(to: address, amount: u128) -> bool
    p.f(
        "transfer",
        FnKind::Pub,
        vec![("to", ADDR), ("amount", U128)],
        vec![("have", U128)],
        BOOL,
        blk(
            vec![
                let_(2, sload(2, Some(caller()), U128)),
                require(
                    bin(BinOp::Ge, var(2, U128), var(1, U128)),
                    "insufficient balance",
                ),
                sstore(
                    2,
                    Some(caller()),
                    vec![],
                    U128,
                    None,
                    bin(BinOp::Sub, var(2, U128), var(1, U128)),
                ),
                sstore(
                    2,
                    Some(var(0, ADDR)),
                    vec![],
                    U128,
                    Some(BinOp::Add),
                    var(1, U128),
                ),
                st(StmtKind::Emit {
                    event: EventId(0),
                    args: vec![caller(), var(0, ADDR), var(1, U128)],
                }),
            ],
            Some(tru()),
        ),
    );
    p.f(
        "balance_of",
        FnKind::PubView,
        vec![("who", ADDR)],
        vec![],
        U128,
        blk(vec![], Some(sload(2, Some(var(0, ADDR)), U128))),
    );
    p
}

#[test]
fn token_runs() {
    let m = token().lower();
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "init", &[w(1000)]), Ok(vec![]));
    assert_eq!(vm.call(&m, "transfer", &[w(2), w(300)]), Ok(vec![w(1)]));
    assert_eq!(vm.call(&m, "balance_of", &[w(1)]), Ok(vec![w(700)]));
    assert_eq!(vm.call(&m, "balance_of", &[w(2)]), Ok(vec![w(300)]));
    assert_eq!(
        vm.call(&m, "transfer", &[w(2), w(701)]),
        Err("revert: insufficient balance".into())
    );
    assert_eq!(
        vm.events,
        vec![("Transfer".to_string(), vec![w(1), w(2), w(300)])]
    );
    // A self-transfer leaves the balance unchanged.
    assert_eq!(vm.call(&m, "transfer", &[w(1), w(700)]), Ok(vec![w(1)]));
    assert_eq!(vm.call(&m, "balance_of", &[w(1)]), Ok(vec![w(700)]));
}

#[test]
fn token_disassembly() {
    let m = token().lower();
    let text = disassemble(&m);
    let expected = "\
module Token (format 1, gas table 2)
storage
  0 owner: address
  1 total_supply: u128
  2 balances: map<address, u128>
event 0 Transfer(from: address, to: address, amount: u128)
const 0 = 1
string 0 \"insufficient balance\"

fn init(supply: u128)  [init, f0, regs 2]
  bb0:  ; gas 1504
    caller -> r1
    sstore r1 -> owner
    sstore r0 -> total_supply
    caller -> r1
    sstore r0 -> balances[r1]
    ret ()

fn transfer(to: address, amount: u128) -> bool  [pub, f1, regs 6]
  bb0:  ; gas 2562
    caller -> r3
    sload balances[r3] -> r2
    ge r2, r1 -> r3
    require r3, \"insufficient balance\"
    caller -> r3
    sub.u128 r2, r1 -> r4
    sstore r4 -> balances[r3]
    sload balances[r0] -> r3
    add.u128 r3, r1 -> r3
    sstore r3 -> balances[r0]
    caller -> r3
    mov r0 -> r4
    mov r1 -> r5
    emit Transfer(r3-r5)
    const c0 -> r3  ; 1
    ret r3

fn balance_of(who: address) -> u128  [pub view, f2, regs 2]
  bb0:  ; gas 202
    sload balances[r0] -> r1
    ret r1
";
    assert_eq!(text, expected, "\n{text}");
}

#[test]
fn lowering_is_deterministic() {
    let a = braid_bytecode::encode::encode(&token().lower());
    let b = braid_bytecode::encode::encode(&token().lower());
    assert_eq!(a, b);
    let decoded = braid_bytecode::encode::decode(&a).expect("round trip");
    assert_eq!(decoded, token().lower());
}

#[test]
fn access_summaries_go_to_entry_functions_only() {
    let mut p = token();
    let helper = p.f(
        "helper",
        FnKind::Private,
        vec![],
        vec![],
        Ty::Unit,
        blk(vec![], None),
    );
    let pattern = braid_bytecode::AccessPattern {
        write: false,
        contract: braid_bytecode::WordExpr::SelfAddr,
        contract_name: "Token".into(),
        field: 0,
        field_name: "owner".into(),
        key: braid_bytecode::KeyPattern::Scalar,
    };
    let mut s = Summaries::default();
    s.by_fn.insert(FnId(1), vec![pattern.clone()]);
    s.by_fn.insert(helper, vec![pattern.clone()]);
    let m = lower_contract(&p.p, ContractId(0), &s);
    assert_eq!(m.functions[1].access, vec![pattern]);
    assert!(m.functions[0].access.is_empty());
    assert!(
        m.functions[3].access.is_empty(),
        "internal functions carry no summary"
    );
    assert_eq!(
        m.functions[3].visibility,
        braid_bytecode::Visibility::Internal
    );
}

#[test]
fn operands_are_copied_before_a_block_assigns_them() {
    let mut p = Prog::new("A", vec![], vec![]);
    // fn f(x0: u64) -> u64 { let mut x = x0; let y = x + { x = 5; 1 }; y * 100 + x }
    let inner = block_e(
        blk(
            vec![set(1, vec![], U64, None, lit(5, U64))],
            Some(lit(1, U64)),
        ),
        U64,
    );
    p.f(
        "f",
        FnKind::Pub,
        vec![("x0", U64)],
        vec![("x", U64), ("y", U64)],
        U64,
        blk(
            vec![
                let_(1, var(0, U64)),
                let_(2, bin(BinOp::Add, var(1, U64), inner)),
            ],
            Some(bin(
                BinOp::Add,
                bin(BinOp::Mul, var(2, U64), lit(100, U64)),
                var(1, U64),
            )),
        ),
    );
    // fn swap(a, b) -> (u64, u64) { let mut p = (a, b); p = (p.1, p.0); p }
    let pair = Ty::Tuple(vec![U64, U64]);
    p.f(
        "swap",
        FnKind::Pub,
        vec![("a", U64), ("b", U64)],
        vec![("p", pair.clone())],
        pair.clone(),
        blk(
            vec![
                let_(2, tuple(vec![var(0, U64), var(1, U64)])),
                set(
                    2,
                    vec![],
                    pair.clone(),
                    None,
                    tuple(vec![
                        field(var(2, pair.clone()), 1, U64),
                        field(var(2, pair.clone()), 0, U64),
                    ]),
                ),
            ],
            Some(var(2, pair.clone())),
        ),
    );
    // fn destr(a, b) -> (u64, u64) { let (c, _, d) = (a, 0, b); (d, c) }
    p.f(
        "destr",
        FnKind::Pub,
        vec![("a", U64), ("b", U64)],
        vec![("c", U64), ("d", U64)],
        pair.clone(),
        blk(
            vec![st(StmtKind::Let {
                locals: vec![Some(LocalId(2)), None, Some(LocalId(3))],
                destructure: true,
                init: tuple(vec![var(0, U64), lit(0, U64), var(1, U64)]),
            })],
            Some(tuple(vec![var(3, U64), var(2, U64)])),
        ),
    );
    // fn sc(a: bool, b: bool) -> bool { let mut t = a; t = b && t; t }
    p.f(
        "sc",
        FnKind::Pub,
        vec![("a", BOOL), ("b", BOOL)],
        vec![("t", BOOL)],
        BOOL,
        blk(
            vec![
                let_(2, var(0, BOOL)),
                set(
                    2,
                    vec![],
                    BOOL,
                    None,
                    bin(BinOp::And, var(1, BOOL), var(2, BOOL)),
                ),
            ],
            Some(var(2, BOOL)),
        ),
    );
    let m = p.lower();
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "f", &[w(2)]), Ok(vec![w(305)]));
    assert_eq!(vm.call(&m, "swap", &[w(1), w(2)]), Ok(vec![w(2), w(1)]));
    assert_eq!(vm.call(&m, "destr", &[w(1), w(2)]), Ok(vec![w(2), w(1)]));
    for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        assert_eq!(
            vm.call(&m, "sc", &[w(a), w(b)]),
            Ok(vec![w(a & b)]),
            "{a} && {b}"
        );
    }
}

#[test]
fn aggregate_equality() {
    let mut p = Prog::new("A", vec![], vec![]);
    let pair = Ty::Tuple(vec![U64, U64]);
    for (name, op) in [("eq", BinOp::Eq), ("ne", BinOp::Ne)] {
        p.f(
            name,
            FnKind::Pub,
            vec![("a", pair.clone()), ("b", pair.clone())],
            vec![],
            BOOL,
            blk(
                vec![],
                Some(bin(op, var(0, pair.clone()), var(1, pair.clone()))),
            ),
        );
    }
    let m = p.lower();
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "eq", &[w(1), w(2), w(1), w(2)]), Ok(vec![w(1)]));
    assert_eq!(vm.call(&m, "eq", &[w(1), w(2), w(1), w(3)]), Ok(vec![w(0)]));
    assert_eq!(vm.call(&m, "ne", &[w(1), w(2), w(1), w(3)]), Ok(vec![w(1)]));
    assert_eq!(vm.call(&m, "ne", &[w(1), w(2), w(1), w(2)]), Ok(vec![w(0)]));
}

#[test]
fn casts_check_when_narrowing() {
    let mut p = Prog::new("A", vec![], vec![]);
    p.f(
        "narrow",
        FnKind::Pub,
        vec![("x", U128)],
        vec![],
        U8,
        blk(vec![], Some(cast(var(0, U128), U8))),
    );
    p.f(
        "widen",
        FnKind::Pub,
        vec![("x", U8)],
        vec![],
        U256T,
        blk(vec![], Some(cast(var(0, U8), U256T))),
    );
    p.f(
        "to_addr",
        FnKind::Pub,
        vec![("x", U256T)],
        vec![],
        ADDR,
        blk(vec![], Some(cast(var(0, U256T), ADDR))),
    );
    p.f(
        "lit",
        FnKind::Pub,
        vec![],
        vec![],
        U256T,
        blk(vec![], Some(cast(lit(5, U128), U256T))),
    );
    let m = p.lower();
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "narrow", &[w(255)]), Ok(vec![w(255)]));
    assert_eq!(
        vm.call(&m, "narrow", &[w(256)]),
        Err("panic: conversion".into())
    );
    assert_eq!(vm.call(&m, "widen", &[w(200)]), Ok(vec![w(200)]));
    let top = (U256::from(1u8) << 160) - U256::from(1u8);
    assert_eq!(vm.call(&m, "to_addr", &[top]), Ok(vec![top]));
    assert_eq!(
        vm.call(&m, "to_addr", &[top + U256::from(1u8)]),
        Err("panic: conversion".into())
    );
    assert_eq!(vm.call(&m, "lit", &[]), Ok(vec![w(5)]));
    // Widening is free: no instruction but the return.
    let widen = &m.functions[1];
    assert_eq!(widen.blocks.len(), 1);
    assert!(widen.blocks[0].instrs.is_empty(), "{:?}", widen.blocks[0]);
}

#[test]
fn intrinsics_and_operators() {
    let mut p = Prog::new("A", vec![], vec![]);
    let intr = |i: Intrinsic, args: Vec<Expr>, ty: Ty| ex(ExprKind::Intrinsic(i, args), ty);
    let a = || var(0, U128);
    let b = || var(1, U128);
    let c = || var(2, U128);
    let cases: Vec<(&str, Expr)> = vec![
        ("min", intr(Intrinsic::Min, vec![a(), b()], U128)),
        ("max", intr(Intrinsic::Max, vec![a(), b()], U128)),
        ("sqrt", intr(Intrinsic::Sqrt, vec![a()], U128)),
        ("pow", intr(Intrinsic::Pow, vec![a(), b()], U128)),
        ("muldiv", intr(Intrinsic::MulDiv, vec![a(), b(), c()], U128)),
        (
            "muldivup",
            intr(Intrinsic::MulDivUp, vec![a(), b(), c()], U128),
        ),
        ("wadd", intr(Intrinsic::WrappingAdd, vec![a(), b()], U128)),
        ("wsub", intr(Intrinsic::WrappingSub, vec![a(), b()], U128)),
        ("shl", bin(BinOp::Shl, a(), b())),
        ("shr", bin(BinOp::Shr, a(), b())),
        ("xor", bin(BinOp::BitXor, a(), b())),
        ("rem", bin(BinOp::Rem, a(), b())),
        ("not", ex(ExprKind::Not(Box::new(a())), U128)),
    ];
    for (name, body) in cases {
        p.f(
            name,
            FnKind::Pub,
            vec![("a", U128), ("b", U128), ("c", U128)],
            vec![],
            U128,
            blk(vec![], Some(body)),
        );
    }
    let m = p.lower();
    let mut vm = Machine::new(1);
    let mut run = |name: &str, a: u64, b: u64, c: u64| vm.call(&m, name, &[w(a), w(b), w(c)]);
    let u128_max = (U256::from(1u8) << 128) - U256::from(1u8);
    assert_eq!(run("min", 3, 9, 0), Ok(vec![w(3)]));
    assert_eq!(run("max", 3, 9, 0), Ok(vec![w(9)]));
    assert_eq!(run("sqrt", 99, 0, 0), Ok(vec![w(9)]));
    assert_eq!(run("pow", 3, 4, 0), Ok(vec![w(81)]));
    assert_eq!(run("pow", 2, 128, 0), Err("panic: overflow".into()));
    assert_eq!(run("muldiv", 10, 10, 3), Ok(vec![w(33)]));
    assert_eq!(run("muldivup", 10, 10, 3), Ok(vec![w(34)]));
    assert_eq!(
        run("muldiv", 1, 1, 0),
        Err("panic: division_by_zero".into())
    );
    assert_eq!(run("wadd", 1, 2, 0), Ok(vec![w(3)]));
    assert_eq!(run("wsub", 1, 2, 0), Ok(vec![u128_max]));
    assert_eq!(run("shl", 1, 127, 0), Ok(vec![U256::from(1u8) << 127]));
    assert_eq!(run("shl", 2, 127, 0), Ok(vec![w(0)]));
    assert_eq!(run("shr", 256, 4, 0), Ok(vec![w(16)]));
    assert_eq!(run("xor", 6, 3, 0), Ok(vec![w(5)]));
    assert_eq!(run("rem", 7, 0, 0), Err("panic: division_by_zero".into()));
    assert_eq!(run("not", 0, 0, 0), Ok(vec![u128_max]));
}

#[test]
fn pools_are_deduplicated_in_first_use_order() {
    let mut p = Prog::new("A", vec![], vec![]);
    p.f(
        "f",
        FnKind::Pub,
        vec![("x", U64)],
        vec![],
        U64,
        blk(
            vec![
                require(bin(BinOp::Gt, var(0, U64), lit(7, U64)), "small"),
                require(bin(BinOp::Lt, var(0, U64), lit(100, U64)), "big"),
            ],
            Some(bin(BinOp::Add, lit(100, U64), lit(7, U64))),
        ),
    );
    p.f(
        "g",
        FnKind::Pub,
        vec![("x", U64)],
        vec![],
        Ty::Unit,
        blk(
            vec![
                require(bin(BinOp::Gt, var(0, U64), lit(7, U64)), "small"),
                st(StmtKind::Revert("big".into())),
            ],
            None,
        ),
    );
    let m = p.lower();
    assert_eq!(m.consts, vec![w(7), w(100)]);
    assert_eq!(m.strings, vec!["small".to_string(), "big".to_string()]);
}
