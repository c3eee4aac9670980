//! Nanoseconds per gas, for every instruction and call shape (issue 13 item 3).
//!
//! Each case is a hand-made module whose `run()` repeats one instruction (or call
//! shape) in an endless loop, so a transaction with gas limit [`GAS`] runs until it
//! is out of gas and uses exactly [`GAS`]: its time divided by [`GAS`] is the cost of
//! one unit of gas spent on that instruction (the loop's own jump included, a few
//! percent for the cheap ones). Gas is meant to bound time: no case may be far above
//! the average. Criterion reports each case as gas per second (`elements/s`); a
//! summary table after the criterion run prints ns/gas per case, the average and the
//! worst, and the worst's ratio to the average.
//!
//! Run: `cargo bench --bench gas` (`cargo bench --bench gas -- --test` runs each case
//! once, as `cargo test --benches` does).

use braid_bytecode::{
    AccessPattern, ArithOp, BasicBlock, BlockId, CmpOp, EventDef, FORMAT_VERSION, Function,
    GAS_TABLE_VERSION, Import, Instr, KeyPattern, Module, Reg, Regs, StorageField, Terminator,
    ValueType, Visibility, Width, WordExpr,
};
use braid_vm::{Address, BlockContext, Chain, Failure, Transaction, U256};
use criterion::{Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Gas limit of every measured transaction (each runs out of gas).
const GAS: u64 = 2_000_000;
/// Copies of the measured instruction per loop iteration.
const UNROLL: usize = 16;
/// The sender of every transaction.
const SENDER: Address = [0xa1; 20];
/// The block every transaction runs in.
const BLOCK: BlockContext = BlockContext {
    number: 2,
    timestamp: 1_700_000_012,
};

fn r(i: u16) -> Reg {
    Reg(i)
}

fn rs(start: u16, n: u16) -> Regs {
    Regs {
        start: Reg(start),
        n,
    }
}

fn blk(instrs: Vec<Instr>, term: Terminator) -> BasicBlock {
    BasicBlock { instrs, term }
}

fn func(
    name: &str,
    visibility: Visibility,
    params: &[ValueType],
    n_regs: u16,
    blocks: Vec<BasicBlock>,
) -> Function {
    Function {
        name: name.to_string(),
        visibility,
        params: params
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("p{i}"), t.clone()))
            .collect(),
        ret: ValueType::unit(),
        n_regs,
        blocks,
        access: Vec::new(),
    }
}

fn empty_module(name: &str) -> Module {
    Module {
        format_version: FORMAT_VERSION,
        gas_version: GAS_TABLE_VERSION,
        name: name.to_string(),
        storage: Vec::new(),
        events: Vec::new(),
        consts: Vec::new(),
        strings: Vec::new(),
        imports: Vec::new(),
        functions: Vec::new(),
        source_map: None,
    }
}

fn own(write: bool, field: u16) -> AccessPattern {
    AccessPattern {
        write,
        contract: WordExpr::SelfAddr,
        contract_name: "Bench".into(),
        field,
        field_name: format!("f{field}"),
        key: KeyPattern::Whole,
    }
}

/// Constants every case may use, by index.
const C_ZERO: u32 = 0;
const C_ONE: u32 = 1;
const C_BIG: u32 = 2; // 2^255 - 1: the widest operand
const C_THREE: u32 = 3;
const C_62: u32 = 6;

fn consts(exp: u64) -> Vec<U256> {
    vec![
        U256::ZERO,
        U256::from(1u8),
        U256::MAX >> 1,
        U256::from(3u8),
        (U256::from(1u8) << 127) - U256::from(1u8),
        U256::from(exp),
        U256::from(62u8),
    ]
}

/// The largest operand of a width that keeps `op` from failing.
fn operand(width: Width) -> U256 {
    match width {
        Width::W8 => U256::from(100u8),
        Width::W64 => U256::from(u64::MAX / 3),
        Width::W128 => U256::from(u128::MAX / 3),
        Width::W256 => U256::MAX / U256::from(3u8),
    }
}

/// One case: a module deployed first (`setup`) and the transaction measured.
struct Case {
    name: String,
    chain: Chain,
    tx: Transaction,
}

fn tx(to: Address, function: &str, args: Vec<U256>, gas_limit: u64) -> Transaction {
    Transaction {
        sender: SENDER,
        to,
        function: function.to_string(),
        args,
        gas_limit,
    }
}

fn deploy(chain: &mut Chain, m: Module) -> Address {
    let code = chain.load_module(m).expect("bench module verifies");
    chain
        .deploy(code, [0xde; 20], Vec::new(), BLOCK, GAS)
        .expect("bench module deploys")
}

/// `run()`: `setup` once, then `body` (unrolled) forever. Registers: r0..r7 are free
/// for the body; r8 = a, r9 = b, r10 = divisor/third operand, set by setup.
fn looped(name: &str, m: Module, setup: Vec<Instr>, body: Vec<Instr>, n_regs: u16) -> Case {
    looped_with(name, m, setup, body, n_regs, |_| {})
}

fn looped_with(
    name: &str,
    mut m: Module,
    setup: Vec<Instr>,
    body: Vec<Instr>,
    n_regs: u16,
    extra: impl FnOnce(&mut Function),
) -> Case {
    let mut instrs = Vec::with_capacity(body.len() * UNROLL);
    for _ in 0..UNROLL {
        instrs.extend(body.iter().cloned());
    }
    let mut run = func(
        "run",
        Visibility::Pub,
        &[],
        n_regs,
        vec![
            blk(setup, Terminator::Jump(BlockId(1))),
            blk(instrs, Terminator::Jump(BlockId(1))),
        ],
    );
    extra(&mut run);
    m.functions.insert(0, run);
    let mut chain = Chain::new();
    let to = deploy(&mut chain, m);
    Case {
        name: name.to_string(),
        chain,
        tx: tx(to, "run", Vec::new(), GAS),
    }
}

fn with_operands(exp: u64, a: U256, b: U256, d: U256) -> (Module, Vec<Instr>) {
    let mut m = empty_module("Bench");
    m.consts = consts(exp);
    let base = u32::try_from(m.consts.len()).expect("few constants");
    m.consts.extend([a, b, d]);
    let setup = vec![
        Instr::Const {
            dst: r(8),
            idx: base,
        },
        Instr::Const {
            dst: r(9),
            idx: base + 1,
        },
        Instr::Const {
            dst: r(10),
            idx: base + 2,
        },
    ];
    (m, setup)
}

fn arith_cases(out: &mut Vec<Case>) {
    use ArithOp::*;
    let ops = [
        Add,
        Sub,
        Mul,
        Div,
        Rem,
        Pow,
        WrappingAdd,
        WrappingSub,
        WrappingMul,
        And,
        Or,
        Xor,
        Shl,
        Shr,
        Min,
        Max,
    ];
    for width in [Width::W8, Width::W64, Width::W128, Width::W256] {
        for op in ops {
            let big = operand(width);
            let (a, b) = match op {
                // No overflow: a small right operand, the widest left one allowed.
                Add => (big, U256::from(1u8)),
                Sub => (big, U256::from(1u8)),
                Mul => (big, U256::from(2u8)),
                Div | Rem => (big, U256::from(7u8)),
                Pow => {
                    // 3^e just below 2^bits: the most squarings for the width.
                    let e = match width {
                        Width::W8 => 5u64,
                        Width::W64 => 40,
                        Width::W128 => 80,
                        Width::W256 => 161,
                    };
                    (U256::from(3u8), U256::from(e))
                }
                Shl | Shr => (big, U256::from(3u8)),
                _ => (big, big / U256::from(2u8) + U256::from(1u8)),
            };
            let (m, setup) = with_operands(0, a, b, U256::from(1u8));
            let body = vec![Instr::Arith {
                op,
                width,
                dst: r(0),
                a: r(8),
                b: r(9),
            }];
            let name = format!("{}.{}", mnemonic(&body[0]), width.name());
            out.push(looped(&name, m, setup, body, 16));
        }
    }
}

fn mnemonic(i: &Instr) -> &'static str {
    i.mnemonic()
}

fn simple_cases(out: &mut Vec<Case>) {
    let big = U256::MAX;
    let simple: Vec<(&str, Instr)> = vec![
        (
            "const",
            Instr::Const {
                dst: r(0),
                idx: C_BIG,
            },
        ),
        (
            "mov",
            Instr::Mov {
                dst: r(0),
                src: r(8),
            },
        ),
        (
            "eq",
            Instr::Cmp {
                op: CmpOp::Eq,
                dst: r(0),
                a: r(8),
                b: r(9),
            },
        ),
        (
            "lt",
            Instr::Cmp {
                op: CmpOp::Lt,
                dst: r(0),
                a: r(8),
                b: r(9),
            },
        ),
        (
            "not.u256",
            Instr::Not {
                width: Some(Width::W256),
                dst: r(0),
                src: r(8),
            },
        ),
        (
            "not.bool",
            Instr::Not {
                width: None,
                dst: r(0),
                src: r(10),
            },
        ),
        (
            "cast.u64",
            Instr::Cast {
                width: Width::W64,
                dst: r(0),
                src: r(10),
            },
        ),
        (
            "sqrt",
            Instr::Sqrt {
                dst: r(0),
                src: r(8),
            },
        ),
        (
            "muldiv",
            Instr::MulDiv {
                round_up: false,
                width: Width::W256,
                dst: r(0),
                a: r(8),
                b: r(9),
                d: r(9),
            },
        ),
        (
            "muldivup",
            Instr::MulDiv {
                round_up: true,
                width: Width::W256,
                dst: r(0),
                a: r(8),
                b: r(9),
                d: r(8),
            },
        ),
        ("caller", Instr::Caller { dst: r(0) }),
        ("self", Instr::SelfAddr { dst: r(0) }),
        ("blocknum", Instr::BlockNumber { dst: r(0) }),
        ("timestamp", Instr::BlockTimestamp { dst: r(0) }),
        (
            "subacct.1",
            Instr::SubAccount {
                dst: r(0),
                key: rs(8, 1),
            },
        ),
        (
            "subacct.3",
            Instr::SubAccount {
                dst: r(0),
                key: rs(8, 3),
            },
        ),
        (
            "require",
            Instr::Require {
                cond: r(10),
                msg: 0,
            },
        ),
    ];
    for (name, ins) in simple {
        let (mut m, setup) = with_operands(0, big, big - U256::from(1u8), U256::from(1u8));
        m.strings = vec!["never".into()];
        out.push(looped(name, m, setup, vec![ins], 16));
    }
}

/// Control flow alone: an empty block jumping to itself, and a branch.
fn control_cases(out: &mut Vec<Case>) {
    let (m, setup) = with_operands(0, U256::from(1u8), U256::ZERO, U256::ZERO);
    out.push(looped("jump", m, setup, Vec::new(), 16));
    let (mut m, setup) = with_operands(0, U256::from(1u8), U256::ZERO, U256::ZERO);
    let run = func(
        "run",
        Visibility::Pub,
        &[],
        16,
        vec![
            blk(setup, Terminator::Jump(BlockId(1))),
            blk(
                Vec::new(),
                Terminator::Branch {
                    cond: r(8),
                    then: BlockId(1),
                    els: BlockId(1),
                },
            ),
        ],
    );
    m.functions.push(run);
    let mut chain = Chain::new();
    let to = deploy(&mut chain, m);
    out.push(Case {
        name: "branch".into(),
        chain,
        tx: tx(to, "run", Vec::new(), GAS),
    });
}

/// Storage: reads and writes of distinct keys of a map (a counter key), and of a
/// scalar; values of 1 and 8 words; tuple keys (hashed).
fn storage_cases(out: &mut Vec<Case>) {
    for (words, key_words) in [(1u16, 1u16), (8, 1), (1, 2)] {
        let value = if words == 1 {
            ValueType::U256
        } else {
            ValueType::Tuple(vec![ValueType::U256; usize::from(words)])
        };
        let key = if key_words == 1 {
            ValueType::U64
        } else {
            ValueType::Tuple(vec![ValueType::U64; usize::from(key_words)])
        };
        for write in [false, true] {
            let (mut m, mut setup) = with_operands(0, U256::from(1u8), U256::MAX, U256::from(1u8));
            m.storage = vec![StorageField {
                name: "f0".into(),
                key: Some(key.clone()),
                value: value.clone(),
            }];
            // r11.. = key words (r11 counts up), r20.. = value words.
            setup.push(Instr::Const {
                dst: r(11),
                idx: C_ZERO,
            });
            setup.push(Instr::Const {
                dst: r(12),
                idx: C_THREE,
            });
            for w in 0..words {
                setup.push(Instr::Mov {
                    dst: r(20 + w),
                    src: r(9),
                });
            }
            let access = if write {
                Instr::SStore {
                    field: 0,
                    key: rs(11, key_words),
                    src: rs(20, words),
                }
            } else {
                Instr::SLoad {
                    field: 0,
                    key: rs(11, key_words),
                    dst: rs(20, words),
                }
            };
            let body = vec![
                access,
                Instr::Arith {
                    op: ArithOp::WrappingAdd,
                    width: Width::W64,
                    dst: r(11),
                    a: r(11),
                    b: r(8),
                },
            ];
            let name = format!(
                "{}.v{words}.k{key_words}",
                if write { "sstore" } else { "sload" }
            );
            out.push(looped_with(&name, m, setup, body, 32, |f| {
                f.access = vec![own(write, 0)];
            }));
        }
    }
}

/// Events of 0, 1, 8 and 64 words.
fn event_cases(out: &mut Vec<Case>) {
    for words in [0u16, 1, 8, 64] {
        let (mut m, mut setup) = with_operands(0, U256::MAX, U256::MAX, U256::MAX);
        m.events = vec![EventDef {
            name: "E".into(),
            params: (0..words)
                .map(|i| (format!("a{i}"), ValueType::U256))
                .collect(),
        }];
        for w in 0..words {
            setup.push(Instr::Mov {
                dst: r(16 + w),
                src: r(8),
            });
        }
        let body = vec![Instr::Emit {
            event: 0,
            args: rs(16, words),
        }];
        out.push(looped(&format!("emit.{words}"), m, setup, body, 16 + words));
    }
}

/// Internal calls to windows of 4, 256 and 65,535 registers; a 63-deep recursion.
fn call_cases(out: &mut Vec<Case>) {
    for n_regs in [4u16, 256, u16::MAX] {
        let (mut m, setup) = with_operands(0, U256::ZERO, U256::ZERO, U256::ZERO);
        m.functions.push(func(
            "callee",
            Visibility::Internal,
            &[],
            n_regs,
            vec![blk(Vec::new(), Terminator::Return(rs(0, 0)))],
        ));
        let body = vec![Instr::Call {
            func: 1,
            args: rs(0, 0),
            dst: rs(0, 0),
        }];
        out.push(looped(&format!("call.regs{n_regs}"), m, setup, body, 16));
    }
    // deep(n): n == 0 or deep(n - 1); run() calls deep(62): 64 frames.
    let (mut m, setup) = with_operands(0, U256::ZERO, U256::ZERO, U256::ZERO);
    m.functions.push(func(
        "deep",
        Visibility::Internal,
        &[ValueType::U64],
        8,
        vec![
            blk(
                vec![
                    Instr::Const {
                        dst: r(1),
                        idx: C_ZERO,
                    },
                    Instr::Cmp {
                        op: CmpOp::Eq,
                        dst: r(3),
                        a: r(0),
                        b: r(1),
                    },
                ],
                Terminator::Branch {
                    cond: r(3),
                    then: BlockId(2),
                    els: BlockId(1),
                },
            ),
            blk(
                vec![
                    Instr::Const {
                        dst: r(2),
                        idx: C_ONE,
                    },
                    Instr::Arith {
                        op: ArithOp::Sub,
                        width: Width::W64,
                        dst: r(4),
                        a: r(0),
                        b: r(2),
                    },
                    Instr::Call {
                        func: 1,
                        args: rs(4, 1),
                        dst: rs(0, 0),
                    },
                ],
                Terminator::Return(rs(0, 0)),
            ),
            blk(Vec::new(), Terminator::Return(rs(0, 0))),
        ],
    ));
    let body = vec![
        Instr::Const {
            dst: r(0),
            idx: C_62,
        },
        Instr::Call {
            func: 1,
            args: rs(0, 1),
            dst: rs(0, 0),
        },
    ];
    out.push(looped("call.deep64", m, setup, body, 16));
}

/// External calls to windows of 4 and 65,535 registers.
fn call_ext_cases(out: &mut Vec<Case>) {
    for n_regs in [4u16, u16::MAX] {
        let mut callee = empty_module("Callee");
        callee.functions.push(func(
            "f",
            Visibility::Pub,
            &[],
            n_regs,
            vec![blk(Vec::new(), Terminator::Return(rs(0, 0)))],
        ));
        let mut chain = Chain::new();
        let target = deploy(&mut chain, callee);
        let mut m = empty_module("Bench");
        m.consts = consts(0);
        m.imports = vec![Import {
            contract: "Callee".into(),
            name: "f".into(),
            params: Vec::new(),
            ret: ValueType::unit(),
        }];
        let body = [Instr::CallExt {
            import: 0,
            target: r(0),
            args: rs(1, 0),
            dst: rs(1, 0),
            sub_key: None,
        }];
        let mut instrs = Vec::new();
        for _ in 0..UNROLL {
            instrs.extend(body.iter().cloned());
        }
        m.functions.push(func(
            "run",
            Visibility::Pub,
            &[ValueType::Address],
            16,
            vec![
                blk(Vec::new(), Terminator::Jump(BlockId(1))),
                blk(instrs, Terminator::Jump(BlockId(1))),
            ],
        ));
        let to = deploy(&mut chain, m);
        let mut word = [0u8; 32];
        word[12..].copy_from_slice(&target);
        out.push(Case {
            name: format!("callext.regs{n_regs}"),
            chain,
            tx: tx(to, "run", vec![U256::from_be_bytes(word)], GAS),
        });
    }
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    simple_cases(&mut out);
    arith_cases(&mut out);
    control_cases(&mut out);
    storage_cases(&mut out);
    event_cases(&mut out);
    call_cases(&mut out);
    call_ext_cases(&mut out);
    for c in &out {
        // Every case must spend exactly its gas and end out of gas, not fail early.
        let r = c
            .chain
            .clone()
            .execute_block(BLOCK, std::slice::from_ref(&c.tx))
            .expect("the block is within the block gas limit");
        assert_eq!(
            (r[0].status.clone(), r[0].gas_used),
            (Err(Failure::OutOfGas), GAS),
            "case {}",
            c.name
        );
    }
    out
}

fn run_once(c: &Case) {
    let mut chain = c.chain.clone();
    let r = chain
        .execute_block(BLOCK, black_box(std::slice::from_ref(&c.tx)))
        .expect("the block is within the block gas limit");
    black_box(r);
}

fn bench_cases(crit: &mut Criterion, cases: &[Case]) {
    let mut g = crit.benchmark_group("gas");
    g.throughput(Throughput::Elements(GAS));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(200));
    g.measurement_time(Duration::from_millis(800));
    for c in cases {
        g.bench_function(&c.name, |b| b.iter(|| run_once(c)));
    }
    g.finish();
}

/// Times each case (best of `runs`) and prints ns/gas, the average and the worst.
fn report(cases: &[Case], runs: usize) {
    let mut rows: Vec<(String, f64)> = cases
        .iter()
        .map(|c| {
            let best = (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    run_once(c);
                    start.elapsed()
                })
                .min()
                .unwrap_or_default();
            (c.name.clone(), best.as_secs_f64() * 1e9 / GAS as f64)
        })
        .collect();
    let avg = rows.iter().map(|(_, ns)| ns).sum::<f64>() / rows.len().max(1) as f64;
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!(
        "\nns per gas, worst first ({} cases, gas limit {GAS}):",
        rows.len()
    );
    for (name, ns) in &rows {
        println!("  {name:<20} {ns:>8.3} ns/gas  {:>5.2}x avg", ns / avg);
    }
    if let Some((name, worst)) = rows.first() {
        println!(
            "average {avg:.3} ns/gas; worst {name} {worst:.3} ns/gas = {:.2}x the average",
            worst / avg
        );
    }
}

fn main() {
    let test_mode = std::env::args().any(|a| a == "--test");
    let cases = cases();
    if test_mode {
        for c in &cases {
            run_once(c);
        }
        report(&cases, 1);
        return;
    }
    let mut crit = Criterion::default().configure_from_args();
    bench_cases(&mut crit, &cases);
    crit.final_summary();
    report(&cases, 5);
}
