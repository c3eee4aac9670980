//! Control flow, calls and the function order.

use super::interp::Machine;
use super::*;
use braid_bytecode::disasm::disassemble;

#[test]
fn for_loop_with_break_and_continue() {
    let mut p = Prog::new("A", vec![], vec![]);
    // fn sum(n: u64) -> u64 {
    //   let mut s = 0;
    //   for i in 0..n { if i == 3 { continue; } if i == 8 { break; } s += i; }
    //   s
    // }
    let body = blk(
        vec![
            st(StmtKind::Expr(if_(
                bin(BinOp::Eq, var(2, U64), lit(3, U64)),
                blk(vec![st(StmtKind::Continue)], None),
                None,
                Ty::Unit,
            ))),
            st(StmtKind::Expr(if_(
                bin(BinOp::Eq, var(2, U64), lit(8, U64)),
                blk(vec![st(StmtKind::Break)], None),
                None,
                Ty::Unit,
            ))),
            set(1, vec![], U64, Some(BinOp::Add), var(2, U64)),
        ],
        None,
    );
    p.f(
        "sum",
        FnKind::Pub,
        vec![("n", U64)],
        vec![("s", U64), ("i", U64)],
        U64,
        blk(
            vec![
                let_(1, lit(0, U64)),
                st(StmtKind::For {
                    var: LocalId(2),
                    start: lit(0, U64),
                    end: var(0, U64),
                    body,
                }),
            ],
            Some(var(1, U64)),
        ),
    );
    let m = p.lower();
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "sum", &[w(10)]), Ok(vec![w(25)]));
    assert_eq!(vm.call(&m, "sum", &[w(5)]), Ok(vec![w(7)]));
    assert_eq!(vm.call(&m, "sum", &[w(0)]), Ok(vec![w(0)]));
}

#[test]
fn for_loop_end_is_evaluated_once_and_reaches_the_type_max() {
    let mut p = Prog::new("A", vec![], vec![]);
    // fn count(n: u8) -> u64 { let mut m = n; let mut c = 0; for i in 250..m { m = 0; c += 1; } c }
    // (the end is read once, so assigning `m` in the body does not stop the loop)
    p.f(
        "count",
        FnKind::Pub,
        vec![("n", U8)],
        vec![("m", U8), ("c", U64), ("i", U8)],
        U64,
        blk(
            vec![
                let_(1, var(0, U8)),
                let_(2, lit(0, U64)),
                st(StmtKind::For {
                    var: LocalId(3),
                    start: lit(250, U8),
                    end: var(1, U8),
                    body: blk(
                        vec![
                            set(1, vec![], U8, None, lit(0, U8)),
                            set(2, vec![], U64, Some(BinOp::Add), lit(1, U64)),
                        ],
                        None,
                    ),
                }),
            ],
            Some(var(2, U64)),
        ),
    );
    let m = p.lower();
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "count", &[w(255)]), Ok(vec![w(5)]));
    assert_eq!(vm.call(&m, "count", &[w(3)]), Ok(vec![w(0)]));
}

#[test]
fn while_loop_and_if_expressions() {
    let mut p = Prog::new("A", vec![], vec![]);
    // fn collatz(x: u64) -> u64 { let mut y = x; let mut steps = 0;
    //   while y != 1 { y = if y % 2 == 0 { y / 2 } else { 3 * y + 1 }; steps += 1; } steps }
    let step = if_(
        bin(
            BinOp::Eq,
            bin(BinOp::Rem, var(1, U64), lit(2, U64)),
            lit(0, U64),
        ),
        blk(vec![], Some(bin(BinOp::Div, var(1, U64), lit(2, U64)))),
        Some(block_e(
            blk(
                vec![],
                Some(bin(
                    BinOp::Add,
                    bin(BinOp::Mul, lit(3, U64), var(1, U64)),
                    lit(1, U64),
                )),
            ),
            U64,
        )),
        U64,
    );
    p.f(
        "collatz",
        FnKind::Pub,
        vec![("x", U64)],
        vec![("y", U64), ("steps", U64)],
        U64,
        blk(
            vec![
                let_(1, var(0, U64)),
                let_(2, lit(0, U64)),
                st(StmtKind::While {
                    cond: bin(BinOp::Ne, var(1, U64), lit(1, U64)),
                    body: blk(
                        vec![
                            set(1, vec![], U64, None, step),
                            set(2, vec![], U64, Some(BinOp::Add), lit(1, U64)),
                        ],
                        None,
                    ),
                }),
            ],
            Some(var(2, U64)),
        ),
    );
    let m = p.lower();
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "collatz", &[w(27)]), Ok(vec![w(111)]));
    assert_eq!(vm.call(&m, "collatz", &[w(1)]), Ok(vec![w(0)]));
}

#[test]
fn short_circuit_skips_the_right_operand() {
    let mut p = Prog::new("A", vec![], vec![]);
    // fn boom() -> bool { revert("boom"); }
    let boom = p.f(
        "boom",
        FnKind::Private,
        vec![],
        vec![],
        BOOL,
        blk(vec![st(StmtKind::Revert("boom".into()))], None),
    );
    let a = || var(0, BOOL);
    let b = || call(boom, vec![], BOOL);
    p.f(
        "and",
        FnKind::Pub,
        vec![("a", BOOL)],
        vec![],
        BOOL,
        blk(vec![], Some(bin(BinOp::And, a(), b()))),
    );
    p.f(
        "or",
        FnKind::Pub,
        vec![("a", BOOL)],
        vec![],
        BOOL,
        blk(vec![], Some(bin(BinOp::Or, a(), b()))),
    );
    // fn cond(a: bool) -> u64 { if !(a || boom()) && a == false { 1 } else { 2 } } with a = true: 2
    let not_ = |e: Expr| ex(ExprKind::Not(Box::new(e)), BOOL);
    let c = bin(
        BinOp::And,
        not_(bin(BinOp::Or, a(), b())),
        bin(BinOp::Eq, a(), lit(0, BOOL)),
    );
    p.f(
        "cond",
        FnKind::Pub,
        vec![("a", BOOL)],
        vec![],
        U64,
        blk(
            vec![],
            Some(if_(
                c,
                blk(vec![], Some(lit(1, U64))),
                Some(lit(2, U64)),
                U64,
            )),
        ),
    );
    let m = p.lower();
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "and", &[w(0)]), Ok(vec![w(0)]));
    assert_eq!(vm.call(&m, "and", &[w(1)]), Err("revert: boom".into()));
    assert_eq!(vm.call(&m, "or", &[w(1)]), Ok(vec![w(1)]));
    assert_eq!(vm.call(&m, "or", &[w(0)]), Err("revert: boom".into()));
    assert_eq!(vm.call(&m, "cond", &[w(1)]), Ok(vec![w(2)]));
    assert_eq!(vm.call(&m, "cond", &[w(0)]), Err("revert: boom".into()));
    // boom's code is one block: the unreachable return after the revert is dropped.
    assert_eq!(m.functions[0].blocks.len(), 1);
}

#[test]
fn return_from_nested_loops_and_dead_code() {
    let mut p = Prog::new("A", vec![], vec![]);
    // fn find(n: u64) -> u64 { for i in 0..n { for j in 0..n { if i * j == 12 { return i * 100 + j; } } } 999 }
    let inner_if = if_(
        bin(
            BinOp::Eq,
            bin(BinOp::Mul, var(1, U64), var(2, U64)),
            lit(12, U64),
        ),
        blk(
            vec![
                ret(Some(bin(
                    BinOp::Add,
                    bin(BinOp::Mul, var(1, U64), lit(100, U64)),
                    var(2, U64),
                ))),
                // dead code after return
                st(StmtKind::Revert("dead".into())),
            ],
            None,
        ),
        None,
        Ty::Unit,
    );
    let inner = st(StmtKind::For {
        var: LocalId(2),
        start: lit(0, U64),
        end: var(0, U64),
        body: blk(vec![st(StmtKind::Expr(inner_if))], None),
    });
    p.f(
        "find",
        FnKind::Pub,
        vec![("n", U64)],
        vec![("i", U64), ("j", U64)],
        U64,
        blk(
            vec![st(StmtKind::For {
                var: LocalId(1),
                start: lit(0, U64),
                end: var(0, U64),
                body: blk(vec![inner], None),
            })],
            Some(lit(999, U64)),
        ),
    );
    let m = p.lower();
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "find", &[w(10)]), Ok(vec![w(206)]));
    assert_eq!(vm.call(&m, "find", &[w(3)]), Ok(vec![w(999)]));
    let text = disassemble(&m);
    assert!(!text.contains("dead"), "{text}");
}

#[test]
fn function_order_and_internal_calls() {
    let mut p = Prog::new("A", vec![], vec![]);
    // Library functions: lib3(x) = x + 3; lib2(x) = lib3(x) * 2; lib1(x) = x + 1.
    let lib3 = p.func(
        None,
        "lib3",
        FnKind::Private,
        vec![("x", U64)],
        vec![],
        U64,
        blk(vec![], Some(bin(BinOp::Add, var(0, U64), lit(3, U64)))),
    );
    let lib2 = p.func(
        None,
        "lib2",
        FnKind::Pub,
        vec![("x", U64)],
        vec![],
        U64,
        blk(
            vec![],
            Some(bin(
                BinOp::Mul,
                call(lib3, vec![var(0, U64)], U64),
                lit(2, U64),
            )),
        ),
    );
    let lib1 = p.func(
        None,
        "lib1",
        FnKind::Private,
        vec![("x", U64)],
        vec![],
        U64,
        blk(vec![], Some(bin(BinOp::Add, var(0, U64), lit(1, U64)))),
    );
    // pub fn a(x) -> u64 { lib2(x) + helper(x) } ; fn helper(x) -> u64 { lib1(x) } ; init() {}
    let helper_id = FnId(p.next_fn().0 + 1);
    p.f(
        "a",
        FnKind::Pub,
        vec![("x", U64)],
        vec![],
        U64,
        blk(
            vec![],
            Some(bin(
                BinOp::Add,
                call(lib2, vec![var(0, U64)], U64),
                call(helper_id, vec![var(0, U64)], U64),
            )),
        ),
    );
    let helper = p.f(
        "helper",
        FnKind::Private,
        vec![("x", U64)],
        vec![],
        U64,
        blk(vec![], Some(call(lib1, vec![var(0, U64)], U64))),
    );
    assert_eq!(helper, helper_id);
    p.f(
        "init",
        FnKind::Init,
        vec![],
        vec![],
        Ty::Unit,
        blk(vec![], None),
    );
    let m = p.lower();
    let names: Vec<&str> = m.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["init", "a", "helper", "lib2", "lib1", "lib3"]);
    assert_eq!(m.public("lib2"), None, "library functions are internal");
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "a", &[w(4)]), Ok(vec![w(14 + 5)]));
}

#[test]
fn external_calls_use_deduplicated_imports() {
    let mut p = Prog::new("Dex", vec![], vec![]);
    let token = p.add_contract("Token");
    let transfer = p.func(
        Some(token),
        "transfer",
        FnKind::Pub,
        vec![("to", ADDR), ("amount", U128)],
        vec![],
        BOOL,
        blk(vec![], Some(tru())),
    );
    let tok = Ty::Contract(token);
    let ext = |as_sub: Option<Expr>| {
        ex(
            ExprKind::ExtCall {
                target: Box::new(var(0, tok.clone())),
                contract: token,
                func: transfer,
                args: vec![var(1, ADDR), var(2, U128)],
                as_sub: as_sub.map(Box::new),
            },
            BOOL,
        )
    };
    p.f(
        "pay",
        FnKind::Pub,
        vec![("t", tok.clone()), ("to", ADDR), ("x", U128), ("pool", U64)],
        vec![],
        BOOL,
        blk(
            vec![st(StmtKind::Expr(ext(None)))],
            Some(ext(Some(var(3, U64)))),
        ),
    );
    let m = p.lower();
    assert_eq!(m.imports.len(), 1);
    assert_eq!(m.imports[0].name, "transfer");
    assert_eq!(m.imports[0].contract, "Token");
    assert_eq!(
        m.imports[0].params,
        vec![
            braid_bytecode::ValueType::Address,
            braid_bytecode::ValueType::U128
        ]
    );
    assert_eq!(
        m.functions.len(),
        1,
        "the callee's code is not part of this module"
    );
    let text = disassemble(&m);
    assert!(
        text.contains("callext i0 Token.transfer @r0(r5-r6) -> r4"),
        "{text}"
    );
    assert!(
        text.contains("callext i0 Token.transfer @r0(r5-r6) as self[r3] -> r4"),
        "{text}"
    );
    assert_eq!(
        m.functions[0].params[0].1,
        braid_bytecode::ValueType::Contract("Token".into())
    );
}

#[test]
fn context_reads_and_events() {
    let mut p = Prog::new(
        "A",
        vec![],
        vec![(
            "Tick",
            vec![("n", U64), ("who", ADDR), ("pair", Ty::Tuple(vec![U8, U8]))],
        )],
    );
    p.f(
        "tick",
        FnKind::Pub,
        vec![],
        vec![],
        U64,
        blk(
            vec![st(StmtKind::Emit {
                event: EventId(0),
                args: vec![
                    ex(ExprKind::BlockNumber, U64),
                    ex(ExprKind::SelfAddr, ADDR),
                    tuple(vec![lit(1, U8), lit(2, U8)]),
                ],
            })],
            Some(ex(ExprKind::BlockTimestamp, U64)),
        ),
    );
    let m = p.lower();
    let mut vm = Machine::new(1);
    assert_eq!(vm.call(&m, "tick", &[]), Ok(vec![w(1000)]));
    assert_eq!(
        vm.events,
        vec![("Tick".to_string(), vec![w(7), w(0xc0ffee), w(1), w(2)])]
    );
}

#[test]
fn gas_is_charged_per_block() {
    let m = super::cases_data::token().lower();
    let mut vm = Machine::new(1);
    vm.call(&m, "init", &[w(1000)]).expect("init");
    let before = vm.gas_left;
    vm.call(&m, "balance_of", &[w(1)]).expect("balance_of");
    assert_eq!(before - vm.gas_left, m.functions[2].blocks[0].gas());
    vm.gas_left = m.functions[2].blocks[0].gas() - 1;
    assert_eq!(vm.call(&m, "balance_of", &[w(1)]), Err("out_of_gas".into()));
}

#[test]
fn deep_nesting_lowers_on_a_test_thread_stack() {
    // The parser bounds nesting at 256; lowering must handle that depth without
    // exhausting a 2 MiB test-thread stack, for every recursive form.
    const DEPTH: usize = 256;
    let mut p = Prog::new("A", vec![], vec![]);
    let mut right = var(0, U64);
    let mut left = var(0, U64);
    let mut nested_if = var(0, U64);
    let mut nested_block = var(0, U64);
    for _ in 0..DEPTH {
        right = bin(BinOp::Add, lit(1, U64), right);
        left = bin(BinOp::Add, left, lit(1, U64));
        nested_if = if_(
            bin(BinOp::Lt, var(0, U64), lit(1000, U64)),
            blk(vec![], Some(bin(BinOp::Add, nested_if, lit(1, U64)))),
            Some(lit(0, U64)),
            U64,
        );
        nested_block = block_e(
            blk(
                vec![set(1, vec![], U64, Some(BinOp::Add), lit(1, U64))],
                Some(nested_block),
            ),
            U64,
        );
    }
    for (name, body) in [
        ("right", right),
        ("left", left),
        ("ifs", nested_if),
        ("blocks", nested_block),
    ] {
        p.f(
            name,
            FnKind::Pub,
            vec![("x", U64)],
            vec![("y", U64)],
            U64,
            blk(
                vec![let_(1, lit(0, U64))],
                Some(bin(BinOp::Add, body, var(1, U64))),
            ),
        );
    }
    let m = p.lower();
    let mut vm = Machine::new(1);
    let d = DEPTH as u64;
    assert_eq!(vm.call(&m, "right", &[w(5)]), Ok(vec![w(5 + d)]));
    assert_eq!(vm.call(&m, "left", &[w(5)]), Ok(vec![w(5 + d)]));
    assert_eq!(vm.call(&m, "ifs", &[w(5)]), Ok(vec![w(5 + d)]));
    assert_eq!(vm.call(&m, "blocks", &[w(5)]), Ok(vec![w(5 + d)]));
}
