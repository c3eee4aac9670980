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
    let mut chain = new_chain(super::TEST_ENGINE);
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
    let mut chain = new_chain(super::TEST_ENGINE);
    let w = deploy(&mut chain, wide(), vec![]);
    let gas = 10_000_000;
    let start = Instant::now();
    let r = run(&mut chain, w, "calls", vec![u(1_000_000)], gas);
    let took = start.elapsed();
    assert_eq!((r.status, r.gas_used), (Err(Failure::OutOfGas), gas));
    // At most gas / 65,535 ≈ 152 windows of 2 MiB are zero-filled.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// `Liar` declares `big() -> address` and `two() -> bool` but answers 2^200 and 2;
/// `fine() -> u128` answers 5. (Answering 2^200 from a function declared `-> u128`
/// no longer loads: the verifier's register widths reject the returned word, see
/// [`a_u128_function_returning_a_wider_word_does_not_load`].)
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
                crate::testutil::ret(0, 1),
            )],
        )
    };
    m.functions = vec![
        answer("big", ValueType::Address, 0),
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
        import("big", &[], ValueType::Address),
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
                crate::testutil::ret(1, 1),
            )],
        )
    };
    m.functions = vec![
        ask(0, ValueType::Address),
        ask(1, ValueType::Bool),
        ask(2, ValueType::U128),
    ];
    m
}

#[test]
fn external_call_returns_are_checked_against_the_declared_type() {
    let mut chain = new_chain(super::TEST_ENGINE);
    let liar = deploy(&mut chain, liar(), vec![]);
    let asker = deploy(&mut chain, asker(), vec![]);
    let target = vec![address_to_word(&liar)];
    let r = run(&mut chain, asker, "ask_0", target.clone(), GAS);
    assert_eq!(
        r.status,
        Err(Failure::BadCall(
            "call of big()->address: return word 0 is out of range for its type".into()
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

/// The first form of the attack (2^200 answered to a `-> u128` call) is now stopped
/// at load time by the register widths, before the run-time check could see it.
#[test]
fn a_u128_function_returning_a_wider_word_does_not_load() {
    let mut m = liar();
    m.functions[0].ret = ValueType::U128;
    let err = new_chain(super::TEST_ENGINE)
        .load_module(m)
        .expect_err("the verifier rejects it");
    let msg = err.to_string();
    assert!(
        msg.contains("returned value: word 0 may be a u256 where a u128 is declared"),
        "{msg}"
    );
}

/// The host's order of external call checks (shared by every engine): re-entry is
/// checked before the argument ranges, the selector before re-entry.
#[test]
fn external_call_checks_run_in_the_hosts_order() {
    use Instr::*;
    let mut m = module("Selfish", vec![], Vec::new());
    m.consts = vec![u(300)];
    m.imports = vec![
        import("f", &[ValueType::U8], ValueType::unit()),
        import("g", &[], ValueType::unit()),
    ];
    // f(x): self.f(300) — on the stack and out of range for u8: re-entry wins.
    // h(): self.g() — no such function: the selector check comes first.
    let call = |import: u16, args| {
        vec![blk(
            vec![
                SelfAddr { dst: r(1) },
                Const { dst: r(2), idx: 0 },
                CallExt {
                    import,
                    target: r(1),
                    args,
                    dst: rs(0, 0),
                    sub_key: None,
                },
            ],
            ret_unit(),
        )]
    };
    m.functions = vec![
        func(
            "f",
            Visibility::Pub,
            &[ValueType::U8],
            ValueType::unit(),
            3,
            call(0, rs(2, 1)),
        ),
        func(
            "h",
            Visibility::Pub,
            &[],
            ValueType::unit(),
            3,
            call(1, rs(2, 0)),
        ),
    ];
    let mut chain = new_chain(super::TEST_ENGINE);
    let a = deploy(&mut chain, m, vec![]);
    let r = run(&mut chain, a, "f", vec![u(1)], GAS);
    assert_eq!(r.status, Err(Failure::Reentrancy));
    let r = run(&mut chain, a, "h", vec![], GAS);
    assert!(
        matches!(r.status, Err(Failure::BadCall(ref m)) if m.contains("has no public function g()->()")),
        "{:?}",
        r.status
    );
}

/// In debug builds the interpreter checks the verifier's width facts at every block
/// entry (so every test doubles as a soundness test of the width analysis): a
/// tampered fact is caught as `internal`.
#[test]
fn a_wrong_width_fact_is_caught_in_debug_builds() {
    use crate::engine::{self, EngineKind};
    use crate::host::{CodeStore, TxHost};
    use crate::interp::Buffers;
    use crate::verify::{VerifiedModule, verify};
    struct One(VerifiedModule);
    impl CodeStore for One {
        fn code_at(&self, _: &Address) -> Option<&VerifiedModule> {
            Some(&self.0)
        }
    }
    let body = || vec![blk(vec![], ret_unit())];
    let mut m = module("Facts", vec![], Vec::new());
    m.functions = vec![
        func(
            "wide",
            Visibility::Pub,
            &[ValueType::U128],
            ValueType::unit(),
            1,
            body(),
        ),
        func(
            "narrow",
            Visibility::Pub,
            &[ValueType::U8],
            ValueType::unit(),
            1,
            body(),
        ),
    ];
    let mut v = verify(&m).expect("verifies");
    v.functions[0].widths = v.functions[1].widths.clone();
    let code = One(v);
    let state = crate::WorldState::default();
    let access = crate::AccessSet::default();
    let mut bufs = Buffers::default();
    let mut host = TxHost::with_buffers(&code, &state, &access, block(), GAS, &mut bufs);
    let r = engine::run(
        EngineKind::Interp,
        &mut host,
        &mut bufs,
        &code.0,
        0,
        ALICE,
        BOB,
        &[U256::from(1u8) << 100],
    );
    if cfg!(debug_assertions) {
        assert!(
            matches!(r, Err(Failure::Internal(ref m)) if m.contains("wider value than its verified width u8")),
            "{r:?}"
        );
    }
}
