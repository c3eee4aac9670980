//! JIT tests: the interpreter's test modules re-run on the JIT, differential tests of
//! every arithmetic instruction and width, gas-limit sweeps, and compile errors.

use crate::testutil::*;
use crate::{Address, Chain, EngineKind, Failure, LoadError, Receipt};
use braid_bytecode::encode::address_to_word;
use braid_bytecode::{
    ArithOp, BlockId, CmpOp, Instr, Module, Terminator, U256, ValueType, Visibility, Width,
};
use proptest::prelude::*;

/// The engine the interpreter's test modules below run on.
const TEST_ENGINE: EngineKind = EngineKind::Jit;

// The same files as `interp::tests` and `interp::tests_gas`, on purpose: each test
// there builds its chains on `super::TEST_ENGINE`, so here they run on the JIT.
#[allow(clippy::duplicate_mod)]
#[path = "../interp/tests.rs"]
mod interp_tests;
#[allow(clippy::duplicate_mod)]
#[path = "../interp/tests_gas.rs"]
mod interp_tests_gas;

const OPS: [ArithOp; 16] = super::host_fns::ARITH_OPS;
const WIDTHS: [Width; 4] = [Width::W8, Width::W64, Width::W128, Width::W256];

fn vt(w: Width) -> ValueType {
    match w {
        Width::W8 => ValueType::U8,
        Width::W64 => ValueType::U64,
        Width::W128 => ValueType::U128,
        Width::W256 => ValueType::U256,
    }
}

fn pure(
    name: &str,
    params: &[ValueType],
    rt: ValueType,
    n: u16,
    instrs: Vec<Instr>,
    out: u16,
) -> braid_bytecode::Function {
    func(
        name,
        Visibility::Pub,
        params,
        rt,
        n,
        vec![blk(instrs, ret(out, 1))],
    )
}

/// One public function per arithmetic op and width (`a_<op>_<w>(a, b)`), and per
/// comparison, `not`, cast, `sqrt` and `mul_div`.
fn alu() -> Module {
    let mut fs = Vec::new();
    for (oi, op) in OPS.iter().enumerate() {
        for (wi, w) in WIDTHS.iter().enumerate() {
            fs.push(pure(
                &format!("a_{oi}_{wi}"),
                &[vt(*w), vt(*w)],
                vt(*w),
                3,
                vec![Instr::Arith {
                    op: *op,
                    width: *w,
                    dst: r(2),
                    a: r(0),
                    b: r(1),
                }],
                2,
            ));
        }
    }
    let cmps = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ];
    for (ci, op) in cmps.iter().enumerate() {
        for (wi, w) in WIDTHS.iter().enumerate() {
            fs.push(pure(
                &format!("c_{ci}_{wi}"),
                &[vt(*w), ValueType::U256],
                ValueType::Bool,
                3,
                vec![Instr::Cmp {
                    op: *op,
                    dst: r(2),
                    a: r(0),
                    b: r(1),
                }],
                2,
            ));
        }
    }
    for (wi, w) in WIDTHS.iter().enumerate() {
        fs.push(pure(
            &format!("not_{wi}"),
            &[vt(*w)],
            vt(*w),
            2,
            vec![Instr::Not {
                width: Some(*w),
                dst: r(1),
                src: r(0),
            }],
            1,
        ));
        fs.push(pure(
            &format!("cast_{wi}"),
            &[ValueType::U256],
            vt(*w),
            2,
            vec![Instr::Cast {
                width: *w,
                dst: r(1),
                src: r(0),
            }],
            1,
        ));
        fs.push(pure(
            &format!("muldiv_{wi}"),
            &[ValueType::U256, ValueType::U256, ValueType::U256],
            vt(*w),
            4,
            vec![Instr::MulDiv {
                round_up: wi % 2 == 1,
                width: *w,
                dst: r(3),
                a: r(0),
                b: r(1),
                d: r(2),
            }],
            3,
        ));
        // A shift by a word of any width.
        fs.push(pure(
            &format!("shl_{wi}"),
            &[vt(*w), ValueType::U256],
            vt(*w),
            3,
            vec![Instr::Arith {
                op: ArithOp::Shl,
                width: *w,
                dst: r(2),
                a: r(0),
                b: r(1),
            }],
            2,
        ));
    }
    fs.push(pure(
        "lnot",
        &[ValueType::U256],
        ValueType::Bool,
        2,
        vec![Instr::Not {
            width: None,
            dst: r(1),
            src: r(0),
        }],
        1,
    ));
    fs.push(pure(
        "sqrt",
        &[ValueType::U256],
        ValueType::U128,
        2,
        vec![Instr::Sqrt {
            dst: r(1),
            src: r(0),
        }],
        1,
    ));
    module("Alu", vec![], fs)
}

/// Two chains with `modules` deployed, one per engine.
fn pair(modules: &[Module]) -> [(Chain, Vec<Address>); 2] {
    [EngineKind::Interp, EngineKind::Jit].map(|e| {
        let mut chain = new_chain(e);
        let addrs = modules
            .iter()
            .map(|m| deploy(&mut chain, m.clone(), vec![]))
            .collect();
        (chain, addrs)
    })
}

/// The receipt of a view call on both engines; they must be equal.
fn both(
    chains: &[(Chain, Vec<Address>); 2],
    to: usize,
    f: &str,
    args: Vec<U256>,
    gas: u64,
) -> Receipt {
    let [i, j] = chains
        .each_ref()
        .map(|(c, a)| c.call_view(block(), &tx(ALICE, a[to], f, args.clone(), gas)));
    assert_eq!(i, j, "{f}({args:?}) with gas {gas}: interp vs jit");
    i
}

fn masked(limbs: [u64; 4], w: Width) -> U256 {
    let v = U256::from_limbs(limbs);
    if w == Width::W256 {
        v
    } else {
        v & ((U256::from(1u8) << w.bits()) - U256::from(1u8))
    }
}

fn value(w: Width) -> impl Strategy<Value = U256> {
    let max = crate::interp::width_max(w);
    prop_oneof![
        Just(U256::ZERO),
        Just(U256::from(1u8)),
        Just(U256::from(2u8)),
        Just(max),
        Just(max - U256::from(1u8)),
        Just(max >> (w.bits() / 2)),
        (0u64..300).prop_map(U256::from),
        any::<[u64; 4]>().prop_map(move |l| masked(l, w)),
        (any::<[u64; 4]>(), 0u32..255).prop_map(move |(l, s)| masked(l, w) >> s),
    ]
}

fn any_width() -> impl Strategy<Value = (usize, Width)> {
    (0usize..4).prop_map(|i| (i, WIDTHS[i]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_arith_op_and_width_agrees(
        (oi, (wi, _w), a, b) in (0usize..16, any_width()).prop_flat_map(|(oi, (wi, w))| {
            (Just(oi), Just((wi, w)), value(w), value(w))
        })
    ) {
        thread_local!(static CHAINS: [(Chain, Vec<Address>); 2] = pair(&[alu()]));
        CHAINS.with(|c| {
            // Small exponents too, so that `**` does not always overflow.
            let b = if OPS[oi] == ArithOp::Pow { b % U256::from(70u8) } else { b };
            both(c, 0, &format!("a_{oi}_{wi}"), vec![a, b], GAS);
        });
    }

    /// u128 arithmetic is inline on two limbs (carries, borrows, the cross
    /// products of `*`): every op, many more cases.
    #[test]
    fn every_u128_op_agrees(oi in 0usize..16, a in value(Width::W128), b in value(Width::W128)) {
        thread_local!(static CHAINS: [(Chain, Vec<Address>); 2] = pair(&[alu()]));
        CHAINS.with(|c| {
            let b = if OPS[oi] == ArithOp::Pow { b % U256::from(70u8) } else { b };
            both(c, 0, &format!("a_{oi}_2"), vec![a, b], GAS);
            // Operands split across the limbs.
            let (x, y) = (a >> 64u32, b & U256::from(u64::MAX));
            both(c, 0, &format!("a_{oi}_2"), vec![x, b], GAS);
            both(c, 0, &format!("a_{oi}_2"), vec![a, y], GAS);
        });
    }

    #[test]
    fn comparisons_casts_not_sqrt_and_mul_div_agree(
        ((wi, _w), a, b, c, k) in any_width().prop_flat_map(|(wi, w)| {
            (Just((wi, w)), value(w), value(Width::W256), value(Width::W256), 0usize..6)
        })
    ) {
        thread_local!(static CHAINS: [(Chain, Vec<Address>); 2] = pair(&[alu()]));
        CHAINS.with(|ch| {
            both(ch, 0, &format!("c_{k}_{wi}"), vec![a, b], GAS);
            both(ch, 0, &format!("c_{k}_{wi}"), vec![a, a], GAS);
            both(ch, 0, &format!("not_{wi}"), vec![a], GAS);
            both(ch, 0, &format!("cast_{wi}"), vec![b], GAS);
            both(ch, 0, &format!("cast_{wi}"), vec![a], GAS);
            both(ch, 0, &format!("muldiv_{wi}"), vec![a, b, c], GAS);
            both(ch, 0, &format!("shl_{wi}"), vec![a, b % U256::from(300u16)], GAS);
            both(ch, 0, &format!("shl_{wi}"), vec![a, b], GAS);
            both(ch, 0, "lnot", vec![b], GAS);
            both(ch, 0, "sqrt", vec![b], GAS);
        });
    }
}

#[test]
fn arithmetic_edge_cases_agree_and_fail_as_the_interpreter_does() {
    let chains = pair(&[alu()]);
    let max64 = U256::from(u64::MAX);
    let add64 = both(&chains, 0, "a_0_1", vec![max64, U256::from(1u8)], GAS);
    assert_eq!(
        add64.status,
        Err(Failure::Panic(crate::PanicKind::Overflow))
    );
    let sub8 = both(&chains, 0, "a_1_0", vec![U256::ZERO, U256::from(1u8)], GAS);
    assert_eq!(
        sub8.status,
        Err(Failure::Panic(crate::PanicKind::Underflow))
    );
    let div = both(&chains, 0, "a_3_1", vec![U256::from(7u8), U256::ZERO], GAS);
    assert_eq!(
        div.status,
        Err(Failure::Panic(crate::PanicKind::DivisionByZero))
    );
    let cast = both(&chains, 0, "cast_0", vec![U256::from(256u16)], GAS);
    assert_eq!(
        cast.status,
        Err(Failure::Panic(crate::PanicKind::Conversion))
    );
    let mul = both(&chains, 0, "a_2_1", vec![max64, U256::from(1u8)], GAS);
    assert_eq!(mul.ret, vec![max64]);
}

/// `sum(n)`: `while i < n { acc += i * 3 + 1; i += 1 }` at `w`.
fn sum_loop(w: Width) -> Module {
    use Instr::*;
    let ar = |op, dst, a, b| Arith {
        op,
        width: w,
        dst: r(dst),
        a: r(a),
        b: r(b),
    };
    let mut m = module(
        "Loop",
        vec![],
        vec![func(
            "sum",
            Visibility::Pub,
            &[vt(w)],
            vt(w),
            7,
            vec![
                blk(
                    vec![Const { dst: r(3), idx: 0 }, Const { dst: r(4), idx: 1 }],
                    Terminator::Jump(BlockId(1)),
                ),
                blk(
                    vec![Cmp {
                        op: CmpOp::Lt,
                        dst: r(6),
                        a: r(1),
                        b: r(0),
                    }],
                    Terminator::Branch {
                        cond: r(6),
                        then: BlockId(2),
                        els: BlockId(3),
                    },
                ),
                blk(
                    vec![
                        ar(ArithOp::Mul, 5, 1, 4),
                        ar(ArithOp::Add, 5, 5, 3),
                        ar(ArithOp::Add, 2, 2, 5),
                        ar(ArithOp::Add, 1, 1, 3),
                    ],
                    Terminator::Jump(BlockId(1)),
                ),
                blk(vec![], ret(2, 1)),
            ],
        )],
    );
    m.consts = vec![u(1), u(3)];
    m
}

/// Internal calls: `twice(n) = inc(inc(n))`, and `depth(n)`: recursion `n` deep.
fn calls() -> Module {
    use Instr::*;
    let mut m = module(
        "Calls",
        vec![],
        vec![
            func(
                "inc",
                Visibility::Internal,
                &[ValueType::U64],
                ValueType::U64,
                3,
                vec![blk(
                    vec![
                        Const { dst: r(1), idx: 0 },
                        Arith {
                            op: ArithOp::Add,
                            width: Width::W64,
                            dst: r(2),
                            a: r(0),
                            b: r(1),
                        },
                    ],
                    ret(2, 1),
                )],
            ),
            func(
                "twice",
                Visibility::Pub,
                &[ValueType::U64],
                ValueType::U64,
                3,
                vec![blk(
                    vec![
                        Call {
                            func: 0,
                            args: rs(0, 1),
                            dst: rs(1, 1),
                        },
                        Call {
                            func: 0,
                            args: rs(1, 1),
                            dst: rs(2, 1),
                        },
                    ],
                    ret(2, 1),
                )],
            ),
            func(
                "depth",
                Visibility::Pub,
                &[ValueType::U64],
                ValueType::U64,
                4,
                vec![
                    blk(
                        vec![Not {
                            width: None,
                            dst: r(1),
                            src: r(0),
                        }],
                        Terminator::Branch {
                            cond: r(1),
                            then: BlockId(1),
                            els: BlockId(2),
                        },
                    ),
                    blk(vec![], ret(0, 1)),
                    blk(
                        vec![
                            Const { dst: r(2), idx: 0 },
                            Arith {
                                op: ArithOp::Sub,
                                width: Width::W64,
                                dst: r(3),
                                a: r(0),
                                b: r(2),
                            },
                            Call {
                                func: 2,
                                args: rs(3, 1),
                                dst: rs(1, 1),
                            },
                            Arith {
                                op: ArithOp::Add,
                                width: Width::W64,
                                dst: r(1),
                                a: r(1),
                                b: r(2),
                            },
                        ],
                        ret(1, 1),
                    ),
                ],
            ),
        ],
    );
    m.consts = vec![u(1)];
    m
}

#[test]
fn loops_and_internal_calls_agree() {
    let chains = pair(&[sum_loop(Width::W64), sum_loop(Width::W128), calls()]);
    let r = both(&chains, 0, "sum", vec![u(1000)], GAS);
    assert_eq!(r.ret, vec![u((0..1000u64).map(|i| i * 3 + 1).sum())]);
    both(&chains, 1, "sum", vec![u(500)], GAS);
    assert_eq!(both(&chains, 2, "twice", vec![u(5)], GAS).ret, vec![u(7)]);
    let overflow = both(&chains, 2, "twice", vec![u(u64::MAX)], GAS);
    assert_eq!(
        overflow.status,
        Err(Failure::Panic(crate::PanicKind::Overflow))
    );
    assert_eq!(both(&chains, 2, "depth", vec![u(63)], GAS).ret, vec![u(63)]);
    let deep = both(&chains, 2, "depth", vec![u(64)], GAS);
    assert_eq!(deep.status, Err(Failure::CallDepth));
}

/// Every gas limit from 0 to what the interpreter uses (and a little beyond): the
/// same receipt on both engines, out of gas at exactly the same points.
fn sweep(chains: &[(Chain, Vec<Address>); 2], to: usize, f: &str, args: Vec<U256>) {
    let full = both(chains, to, f, args.clone(), GAS);
    assert!(full.is_success(), "{f}: {:?}", full.status);
    for gas in 0..=full.gas_used + 2 {
        both(chains, to, f, args.clone(), gas);
    }
}

#[test]
fn gas_sweeps_agree_on_a_loop_internal_calls_a_transfer_and_an_external_call() {
    let chains = pair(&[sum_loop(Width::W64), calls()]);
    sweep(&chains, 0, "sum", vec![u(20)]);
    sweep(&chains, 1, "twice", vec![u(3)]);
    sweep(&chains, 1, "depth", vec![u(10)]);

    for engine in [EngineKind::Interp, EngineKind::Jit] {
        let _ = engine;
    }
    let [a, b] = [EngineKind::Interp, EngineKind::Jit].map(|e| {
        let mut chain = new_chain(e);
        let t = deploy(&mut chain, token(), vec![u(1000)]);
        let s = deploy(&mut chain, store(), vec![]);
        let c = deploy(&mut chain, caller(), vec![]);
        (chain, vec![t, s, c])
    });
    let chains = [a, b];
    let bob = address_to_word(&BOB);
    let deployer = address_to_word(&DEPLOYER);
    // The token was minted to DEPLOYER: transfers from it.
    let transfer = |gas| {
        chains.each_ref().map(|(c, a)| {
            c.call_view(
                block(),
                &tx(DEPLOYER, a[0], "transfer", vec![bob, u(10)], gas),
            )
        })
    };
    let [full, _] = transfer(GAS);
    assert!(full.is_success(), "{:?}", full.status);
    for gas in 0..=full.gas_used + 2 {
        let [i, j] = transfer(gas);
        assert_eq!(i, j, "transfer with gas {gas}");
    }
    let _ = deployer;
    let store_addr = address_to_word(&chains[0].1[1]);
    sweep(&chains, 2, "set_then", vec![store_addr, u(42), u(0)]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A random gas limit below the full cost of a u128 loop: the same receipt.
    #[test]
    fn random_gas_limits_agree_on_a_u128_loop(n in 0u64..40, frac in 0.0f64..1.1) {
        thread_local!(static CHAINS: [(Chain, Vec<Address>); 2] = pair(&[sum_loop(Width::W128)]));
        CHAINS.with(|c| {
            let full = both(c, 0, "sum", vec![u(n)], GAS);
            let gas = (full.gas_used as f64 * frac) as u64;
            both(c, 0, "sum", vec![u(n)], gas);
        });
    }
}

#[test]
fn a_function_too_large_for_the_jit_is_a_load_error_with_a_reason() {
    // 300 registers each set to a u256 constant: 1200 limbs.
    let n: u16 = 300;
    let consts = (0..n).map(|i| Instr::Const { dst: r(i), idx: 0 }).collect();
    let mut m = module(
        "Big",
        vec![],
        vec![func(
            "big",
            Visibility::Pub,
            &[],
            ValueType::unit(),
            n,
            vec![blk(consts, ret_unit())],
        )],
    );
    m.consts = vec![U256::MAX];
    // The interpreter runs it.
    let mut interp = new_chain(EngineKind::Interp);
    let code = interp.load_module(m.clone()).expect("verifies");
    // The JIT refuses it at load time, naming the function and the limit.
    let mut jit = new_chain(EngineKind::Jit);
    let err = jit
        .load_module(m)
        .expect_err("too many registers for the JIT");
    assert!(
        matches!(
            &err,
            LoadError::Jit {
                error: super::JitError::TooManyRegisters { limbs: 1200, .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the JIT cannot compile module `Big`: function `big` needs 1200 register limbs; the JIT compiles functions of at most 1024"
    );
    // A chain holding it cannot switch to the JIT, and keeps its engine.
    assert!(interp.set_engine(EngineKind::Jit).is_err());
    assert_eq!(interp.engine(), EngineKind::Interp);
    let r = interp.call_view(block(), &tx(ALICE, [0; 20], "big", vec![], GAS));
    let _ = (code, r);
}

#[test]
fn compiled_code_is_shared_per_module_and_reports_its_compile_time() {
    let mut chain = new_chain(EngineKind::Jit);
    let a = deploy(&mut chain, sum_loop(Width::W64), vec![]);
    let b = deploy(&mut chain, sum_loop(Width::W64), vec![]);
    let (ma, mb) = (
        chain.verified_at(&a).expect("deployed"),
        chain.verified_at(&b).expect("deployed"),
    );
    assert!(std::ptr::eq(ma, mb), "one module per code hash");
    let code = ma.jit_code().expect("compiled at load");
    assert_eq!(code.functions(), 1);
    assert!(code.compile_time() > std::time::Duration::ZERO);
}

#[test]
fn clif_text_names_every_function() {
    let v = crate::verify::verify(&calls()).expect("verifies");
    let text = super::clif(&v).expect("compiles");
    let names: Vec<&str> = text.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["inc", "twice", "depth"]);
    assert!(text[0].1.contains("uadd_overflow"), "{}", text[0].1);
}

/// With tracing on, the receipts (traces and failure stacks included) are equal:
/// calls, returns, storage, events, external calls, failures inside callees.
#[test]
fn traces_and_failure_stacks_agree() {
    let [a, b] = [EngineKind::Interp, EngineKind::Jit].map(|e| {
        let mut chain = new_chain(e);
        let t = deploy(&mut chain, token(), vec![u(1000)]);
        let s = deploy(&mut chain, store(), vec![]);
        let c = deploy(&mut chain, caller(), vec![]);
        let k = deploy(&mut chain, calls(), vec![]);
        (chain, vec![t, s, c, k])
    });
    let (bob, store_addr) = (address_to_word(&BOB), address_to_word(&a.1[1]));
    let txs = |addrs: &[Address]| {
        vec![
            tx(DEPLOYER, addrs[0], "transfer", vec![bob, u(10)], GAS),
            tx(DEPLOYER, addrs[0], "transfer", vec![bob, u(5000)], GAS),
            tx(
                ALICE,
                addrs[2],
                "set_then",
                vec![store_addr, u(42), u(0)],
                GAS,
            ),
            tx(
                ALICE,
                addrs[2],
                "set_then",
                vec![store_addr, u(43), u(1)],
                GAS,
            ),
            tx(ALICE, addrs[3], "depth", vec![u(5)], GAS),
            tx(ALICE, addrs[3], "depth", vec![u(70)], GAS),
            tx(ALICE, addrs[3], "twice", vec![u(u64::MAX - 1)], GAS),
            tx(ALICE, addrs[3], "depth", vec![u(30)], 200),
        ]
    };
    let run = |(mut chain, addrs): (Chain, Vec<Address>)| {
        let mut ex = crate::Executor::sequential().with_trace(true);
        ex.execute(&mut chain, block(), &txs(&addrs))
            .expect("within the block gas limit")
            .receipts
    };
    let (ri, rj) = (run(a), run(b));
    assert_eq!(ri.len(), 8);
    for (i, (x, y)) in ri.iter().zip(&rj).enumerate() {
        assert_eq!(x, y, "transaction {i}");
    }
    assert!(ri.iter().any(|r| !r.is_success() && r.stack.len() > 2));
    assert!(
        ri.iter()
            .all(|r| r.trace.as_ref().is_some_and(|t| !t.is_empty()))
    );
}

#[path = "tests_modules.rs"]
mod random_modules;
