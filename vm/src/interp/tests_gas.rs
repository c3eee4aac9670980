//! Gas and boundary-check regressions (issue 13): frame setup is paid per register
//! of the callee's window, and external call returns are checked against the
//! caller's declared return type.

use crate::testutil::*;
use crate::{Address, Chain, Failure, Receipt};
use braid_bytecode::encode::address_to_word;
use braid_bytecode::{
    ArithOp, BlockId, CmpOp, Instr, Module, Terminator, U256, ValueType, Visibility, Width, cost,
};
use std::time::{Duration, Instant};

fn run(chain: &mut Chain, to: Address, function: &str, args: Vec<U256>, gas: u64) -> Receipt {
    let mut r = chain
        .execute_block(block(), &[tx(ALICE, to, function, args, gas)])
        .expect("the block is within the block gas limit");
    r.pop().expect("one receipt per transaction")
}

/// `Wide`: `wide()` has the largest register window there is and does nothing;
/// `calls(n)` calls it `n` times.
fn wide() -> Module {
    use Instr::*;
    let mut m = module("Wide", vec![], Vec::new());
    m.consts = vec![u(0), u(1)];
    let calls = func(
        "calls",
        Visibility::Pub,
        &[ValueType::U64],
        ValueType::unit(),
        4,
        vec![
            blk(
                vec![Const { dst: r(1), idx: 0 }, Const { dst: r(2), idx: 1 }],
                Terminator::Jump(BlockId(1)),
            ),
            blk(
                vec![Cmp {
                    op: CmpOp::Lt,
                    dst: r(3),
                    a: r(1),
                    b: r(0),
                }],
                Terminator::Branch {
                    cond: r(3),
                    then: BlockId(2),
                    els: BlockId(3),
                },
            ),
            blk(
                vec![
                    Call {
                        func: 1,
                        args: rs(0, 0),
                        dst: rs(0, 0),
                    },
                    Arith {
                        op: ArithOp::Add,
                        width: Width::W64,
                        dst: r(1),
                        a: r(1),
                        b: r(2),
                    },
                ],
                Terminator::Jump(BlockId(1)),
            ),
            blk(vec![], ret_unit()),
        ],
    );
    let wide = func(
        "wide",
        Visibility::Pub,
        &[],
        ValueType::unit(),
        u16::MAX,
        vec![blk(vec![], ret_unit())],
    );
    m.functions = vec![calls, wide];
    m
}

#[test]
fn frame_setup_is_charged_per_register_of_the_window() {
    let mut chain = Chain::new();
    let w = deploy(&mut chain, wide(), vec![]);
    let info = chain.verified_at(&w).expect("deployed").functions.clone();
    assert_eq!(info[1].frame_gas, cost::frame(u16::MAX));
    assert_eq!(info[0].frame_gas, cost::frame(4));
    // The entry frame pays too: exactly its window plus its one block.
    let exact = info[1].frame_gas + info[1].block_gas[0];
    let r = run(&mut chain, w, "wide", vec![], exact);
    assert!(r.is_success(), "{:?}", r.status);
    assert_eq!(r.gas_used, exact);
    let r = run(&mut chain, w, "wide", vec![], exact - 1);
    assert_eq!((r.status, r.gas_used), (Err(Failure::OutOfGas), exact - 1));
    // Each internal call pays the callee's window.
    let r = run(&mut chain, w, "calls", vec![u(3)], GAS);
    assert!(r.is_success(), "{:?}", r.status);
    assert!(r.gas_used > 3 * cost::frame(u16::MAX), "{}", r.gas_used);
}

/// Before frame setup was charged, a default-gas transaction calling a function
/// with 65,535 registers in a loop ran some 400,000 calls (20 s in release).
#[test]
fn a_huge_window_per_call_runs_out_of_gas_quickly() {
    let mut chain = Chain::new();
    let w = deploy(&mut chain, wide(), vec![]);
    let gas = 10_000_000;
    let start = Instant::now();
    let r = run(&mut chain, w, "calls", vec![u(1_000_000)], gas);
    let took = start.elapsed();
    assert_eq!((r.status, r.gas_used), (Err(Failure::OutOfGas), gas));
    // At most gas / 65,535 ≈ 152 windows of 2 MiB are zero-filled.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// `Liar` declares `big() -> u128` and `two() -> bool` but answers 2^200 and 2;
/// `fine() -> u128` answers 5.
fn liar() -> Module {
    use Instr::*;
    let mut m = module("Liar", vec![], Vec::new());
    m.consts = vec![U256::from(1u8) << 200, u(2), u(5)];
    let answer = |name: &str, ret: ValueType, idx: u32| {
        func(
            name,
            Visibility::Pub,
            &[],
            ret,
            1,
            vec![blk(
                vec![Const { dst: r(0), idx }],
                super::super::testutil::ret(0, 1),
            )],
        )
    };
    m.functions = vec![
        answer("big", ValueType::U128, 0),
        answer("two", ValueType::Bool, 1),
        answer("fine", ValueType::U128, 2),
    ];
    m
}

/// `Asker`: `ask_N(target)` calls import N on `target` and returns its answer.
fn asker() -> Module {
    use Instr::*;
    let mut m = module("Asker", vec![], Vec::new());
    m.imports = vec![
        import("big", &[], ValueType::U128),
        import("two", &[], ValueType::Bool),
        import("fine", &[], ValueType::U128),
    ];
    let ask = |i: u16, ret: ValueType| {
        func(
            &format!("ask_{i}"),
            Visibility::Pub,
            &[ValueType::Address],
            ret,
            2,
            vec![blk(
                vec![CallExt {
                    import: i,
                    target: r(0),
                    args: rs(0, 0),
                    dst: rs(1, 1),
                    sub_key: None,
                }],
                super::super::testutil::ret(1, 1),
            )],
        )
    };
    m.functions = vec![
        ask(0, ValueType::U128),
        ask(1, ValueType::Bool),
        ask(2, ValueType::U128),
    ];
    m
}

#[test]
fn external_call_returns_are_checked_against_the_declared_type() {
    let mut chain = Chain::new();
    let liar = deploy(&mut chain, liar(), vec![]);
    let asker = deploy(&mut chain, asker(), vec![]);
    let target = vec![address_to_word(&liar)];
    let r = run(&mut chain, asker, "ask_0", target.clone(), GAS);
    assert_eq!(
        r.status,
        Err(Failure::BadCall(
            "call of big()->u128: return word 0 is out of range for its type".into()
        ))
    );
    let r = run(&mut chain, asker, "ask_1", target.clone(), GAS);
    assert_eq!(
        r.status,
        Err(Failure::BadCall(
            "call of two()->bool: return word 0 is out of range for its type".into()
        ))
    );
    let r = run(&mut chain, asker, "ask_2", target, GAS);
    assert!(r.is_success(), "{:?}", r.status);
    assert_eq!(r.ret, vec![u(5)]);
}
