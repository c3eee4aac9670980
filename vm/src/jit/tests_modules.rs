//! Random hand-made modules on both engines: small functions of random instructions
//! (every instruction kind but external calls and sub-accounts) over a few registers,
//! random control flow (forward and backward jumps, branches, returns, reverts),
//! internal calls (recursion included), storage and events. Each module goes through
//! the verifier on both chains: both reject it with the same error, or both accept it
//! and then every public function, on random arguments and a sweep of gas limits,
//! gives identical receipts and state digests.
//!
//! The generator gives each register a width and writes instructions whose operands
//! fit it (the rules of `verify::widths`), so most modules verify; a few instructions
//! in ten per cent of the modules ignore the widths, so that the verifier rejects
//! some. The test asserts that many modules verified and ran, and that some were
//! rejected.

use super::*;
use crate::Transaction;
use crate::verify::widths::RegWidth;
use braid_bytecode::{BasicBlock, EventDef, KeyPattern, Reg, Regs, StorageField};

/// SplitMix64: the module is a function of the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const RWIDTHS: [RegWidth; 4] = [RegWidth::W8, RegWidth::W64, RegWidth::W128, RegWidth::W256];

fn width_of(w: RegWidth) -> Width {
    match w {
        RegWidth::W8 => Width::W8,
        RegWidth::W64 => Width::W64,
        RegWidth::W128 => Width::W128,
        RegWidth::W256 => Width::W256,
    }
}

fn reg_width(t: &ValueType) -> RegWidth {
    match t {
        ValueType::Bool | ValueType::U8 => RegWidth::W8,
        ValueType::U64 => RegWidth::W64,
        ValueType::U128 => RegWidth::W128,
        _ => RegWidth::W256,
    }
}

const SCALAR_TYPES: [ValueType; 5] = [
    ValueType::Bool,
    ValueType::U8,
    ValueType::U64,
    ValueType::U128,
    ValueType::U256,
];

/// The storage: `f0: u64`, `f1: u256`, `f2: map<u64, u128>`.
fn storage() -> Vec<StorageField> {
    vec![
        scalar("f0", ValueType::U64),
        scalar("f1", ValueType::U256),
        map("f2", ValueType::U64, ValueType::U128),
    ]
}

const FIELD_WIDTHS: [RegWidth; 3] = [RegWidth::W64, RegWidth::W256, RegWidth::W128];

fn consts() -> Vec<U256> {
    vec![
        U256::ZERO,
        U256::from(1u8),
        U256::from(2u8),
        U256::from(7u8),
        U256::from(40u8),
        U256::from(255u8),
        U256::from(u64::MAX),
        U256::from(u128::MAX),
        U256::MAX,
        U256::from(1u8) << 200,
    ]
}

/// A function's signature.
struct Sig {
    params: Vec<ValueType>,
    ret: ValueType,
}

/// Writes one function body.
struct FnGen<'a> {
    rng: &'a mut Rng,
    /// Each register's width: every value it ever holds fits it.
    widths: Vec<RegWidth>,
    /// The first of the three scratch registers (argument lists), of width u256.
    scratch: u16,
    sigs: &'a [Sig],
    consts: &'a [U256],
    /// Ignore the widths now and then (so that the verifier rejects some modules).
    sloppy: bool,
    n_blocks: u32,
}

impl FnGen<'_> {
    fn any_reg(&mut self) -> Reg {
        r(self.rng.below(self.widths.len()) as u16)
    }

    /// A register whose width is at most `w` (the scratch registers excluded).
    fn reg_within(&mut self, w: RegWidth) -> Option<Reg> {
        if self.sloppy && self.rng.chance(10) {
            return Some(self.any_reg());
        }
        let ok: Vec<u16> = (0..self.scratch)
            .filter(|&i| self.widths[usize::from(i)] <= w)
            .collect();
        (!ok.is_empty()).then(|| r(ok[self.rng.below(ok.len())]))
    }

    /// Instructions that put words fitting `types` into the scratch registers.
    fn args(&mut self, types: &[RegWidth], out: &mut Vec<Instr>) -> Regs {
        for (i, t) in types.iter().enumerate() {
            let dst = r(self.scratch + i as u16);
            match self.reg_within(*t) {
                Some(src) if self.rng.chance(70) => out.push(Instr::Mov { dst, src }),
                _ => {
                    let src = self.any_reg();
                    out.push(Instr::Cast {
                        width: width_of(*t),
                        dst,
                        src,
                    })
                }
            }
        }
        rs(self.scratch, types.len() as u16)
    }

    fn instr(&mut self, out: &mut Vec<Instr>) {
        // The destination: a non-scratch register and its width.
        let d = self.rng.below(usize::from(self.scratch)) as u16;
        let dst = r(d);
        let t = self.widths[usize::from(d)];
        let le = |rng: &mut Rng, t: RegWidth| {
            let ok: Vec<RegWidth> = RWIDTHS.iter().copied().filter(|w| *w <= t).collect();
            ok[rng.below(ok.len())]
        };
        match self.rng.below(16) {
            0..=4 => {
                let op = OPS[self.rng.below(OPS.len())];
                let w = if self.sloppy && self.rng.chance(20) {
                    RWIDTHS[self.rng.below(4)]
                } else {
                    t
                };
                let a = self.reg_within(w).unwrap_or(dst);
                let b = if matches!(op, ArithOp::Pow | ArithOp::Shl | ArithOp::Shr) {
                    self.any_reg()
                } else {
                    self.reg_within(w).unwrap_or(dst)
                };
                out.push(Instr::Arith {
                    op,
                    width: width_of(w),
                    dst,
                    a,
                    b,
                });
            }
            5 => {
                let ops = [
                    CmpOp::Eq,
                    CmpOp::Ne,
                    CmpOp::Lt,
                    CmpOp::Le,
                    CmpOp::Gt,
                    CmpOp::Ge,
                ];
                let op = ops[self.rng.below(6)];
                let (a, b) = (self.any_reg(), self.any_reg());
                out.push(Instr::Cmp { op, dst, a, b });
            }
            6 => {
                if self.rng.chance(50) {
                    let src = self.any_reg();
                    out.push(Instr::Not {
                        width: None,
                        dst,
                        src,
                    });
                } else {
                    let src = self.reg_within(t).unwrap_or(dst);
                    out.push(Instr::Not {
                        width: Some(width_of(t)),
                        dst,
                        src,
                    });
                }
            }
            7 => {
                let w = le(self.rng, t);
                let src = self.any_reg();
                out.push(Instr::Cast {
                    width: width_of(w),
                    dst,
                    src,
                });
            }
            8 => {
                let src = self.reg_within(t).unwrap_or(dst);
                out.push(Instr::Sqrt { dst, src });
            }
            9 => {
                let w = le(self.rng, t);
                let (a, b, dd) = (self.any_reg(), self.any_reg(), self.any_reg());
                out.push(Instr::MulDiv {
                    round_up: self.rng.chance(50),
                    width: width_of(w),
                    dst,
                    a,
                    b,
                    d: dd,
                });
            }
            10 => {
                let fit: Vec<u32> = (0..self.consts.len() as u32)
                    .filter(|&i| RegWidth::of_value(&self.consts[i as usize]) <= t)
                    .collect();
                let idx = fit[self.rng.below(fit.len())];
                out.push(Instr::Const { dst, idx });
            }
            11 => match (t, self.rng.below(3)) {
                (RegWidth::W256, 0) => out.push(Instr::Caller { dst }),
                (RegWidth::W256, 1) => out.push(Instr::SelfAddr { dst }),
                (RegWidth::W64 | RegWidth::W128 | RegWidth::W256, 2) => {
                    out.push(Instr::BlockNumber { dst })
                }
                (RegWidth::W64 | RegWidth::W128 | RegWidth::W256, _) => {
                    out.push(Instr::BlockTimestamp { dst })
                }
                _ => {
                    let src = self.reg_within(t).unwrap_or(dst);
                    out.push(Instr::Mov { dst, src });
                }
            },
            12 => {
                // A load, or a store, of a field.
                let field = self.rng.below(3) as u16;
                let fw = FIELD_WIDTHS[usize::from(field)];
                let key = if field == 2 {
                    let k = self.reg_within(RegWidth::W64).unwrap_or(dst);
                    rs(k.0, 1)
                } else {
                    rs(0, 0)
                };
                if self.rng.chance(50) && fw <= t {
                    out.push(Instr::SLoad {
                        field,
                        key,
                        dst: rs(d, 1),
                    });
                } else if let Some(src) = self.reg_within(fw) {
                    out.push(Instr::SStore {
                        field,
                        key,
                        src: rs(src.0, 1),
                    });
                }
            }
            13 => {
                // An internal call (to any function, itself included).
                let f = self.rng.below(self.sigs.len());
                let sig = &self.sigs[f];
                let ret_w = (sig.ret != ValueType::unit()).then(|| reg_width(&sig.ret));
                if ret_w.is_some_and(|w| w > t) {
                    return;
                }
                let params: Vec<RegWidth> = sig.params.iter().map(reg_width).collect();
                let args = self.args(&params, out);
                out.push(Instr::Call {
                    func: f as u16,
                    args,
                    dst: rs(d, u16::from(ret_w.is_some())),
                });
            }
            14 => {
                let args = self.args(&[RegWidth::W64, RegWidth::W256], out);
                out.push(Instr::Emit { event: 0, args });
            }
            _ => {
                let cond = self.any_reg();
                out.push(Instr::Require {
                    cond,
                    msg: self.rng.below(2) as u32,
                });
            }
        }
    }

    fn term(&mut self, ret: &ValueType) -> Terminator {
        let target = |rng: &mut Rng, n: u32| BlockId(rng.below(n as usize) as u32);
        match self.rng.below(10) {
            0..=2 => Terminator::Jump(target(self.rng, self.n_blocks)),
            3..=5 => Terminator::Branch {
                cond: self.any_reg(),
                then: target(self.rng, self.n_blocks),
                els: target(self.rng, self.n_blocks),
            },
            6 => Terminator::Revert(self.rng.below(2) as u32),
            _ => {
                if *ret == ValueType::unit() {
                    return Terminator::Return(rs(0, 0));
                }
                let w = reg_width(ret);
                match self.reg_within(w) {
                    Some(reg) => Terminator::Return(rs(reg.0, 1)),
                    None => Terminator::Revert(0),
                }
            }
        }
    }
}

/// A random module from `seed`: two to four functions, the first ones public.
fn random_module(seed: u64) -> Module {
    let mut rng = Rng(seed);
    let sloppy = rng.chance(10);
    let n_fns = 2 + rng.below(3);
    let sigs: Vec<Sig> = (0..n_fns)
        .map(|_| Sig {
            params: (0..rng.below(4))
                .map(|_| SCALAR_TYPES[rng.below(5)].clone())
                .collect(),
            ret: if rng.chance(20) {
                ValueType::unit()
            } else {
                SCALAR_TYPES[rng.below(5)].clone()
            },
        })
        .collect();
    let consts = consts();
    let mut functions = Vec::new();
    for (fi, sig) in sigs.iter().enumerate() {
        let n_plain = sig.params.len() + 2 + rng.below(5);
        let mut widths: Vec<RegWidth> = sig.params.iter().map(reg_width).collect();
        widths.extend((sig.params.len()..n_plain).map(|_| RWIDTHS[rng.below(4)]));
        let scratch = n_plain as u16;
        widths.extend([RegWidth::W256; 3]);
        let n_blocks = 1 + rng.below(4) as u32;
        let mut g = FnGen {
            rng: &mut rng,
            widths,
            scratch,
            sigs: &sigs,
            consts: &consts,
            sloppy,
            n_blocks,
        };
        let blocks: Vec<BasicBlock> = (0..n_blocks)
            .map(|_| {
                let mut instrs = Vec::new();
                for _ in 0..1 + g.rng.below(8) {
                    g.instr(&mut instrs);
                }
                let term = g.term(&sig.ret);
                blk(instrs, term)
            })
            .collect();
        let n_regs = g.widths.len() as u16;
        let visibility = if fi < 2 {
            Visibility::Pub
        } else {
            Visibility::Internal
        };
        let mut f = func(
            &format!("f{fi}"),
            visibility,
            &sig.params,
            sig.ret.clone(),
            n_regs,
            blocks,
        );
        f.access = vec![
            own(true, 0, KeyPattern::Scalar),
            own(true, 1, KeyPattern::Scalar),
            own(true, 2, KeyPattern::Whole),
        ];
        functions.push(f);
    }
    let mut m = module("R", storage(), functions);
    m.consts = consts;
    m.strings = vec!["r0".into(), "r1".into()];
    m.events = vec![EventDef {
        name: "E".into(),
        params: vec![("a".into(), ValueType::U64), ("b".into(), ValueType::U256)],
    }];
    m
}

/// An argument word for a parameter of type `t`: an edge value, now and then too wide.
fn arg(rng: &mut Rng, t: &ValueType) -> U256 {
    let w = reg_width(t);
    let max = crate::interp::width_max(width_of(w));
    let v = match rng.below(8) {
        0 => U256::ZERO,
        1 => U256::from(1u8),
        2 => max,
        3 => U256::from(rng.below(50)),
        4 if rng.chance(20) => return U256::MAX,
        _ => U256::from_limbs([rng.next(), rng.next(), rng.next(), rng.next()]) >> rng.below(256),
    };
    if *t == ValueType::Bool {
        v & U256::from(1u8)
    } else {
        v & max
    }
}

/// What one module did.
#[derive(Default, Debug)]
struct Outcome {
    verified: usize,
    rejected: usize,
    txs: usize,
    ok: usize,
    out_of_gas: usize,
    /// Final statuses by failure kind.
    kinds: std::collections::BTreeMap<&'static str, usize>,
}

/// Loads the module of `seed` on both engines, and runs its public functions.
fn check_module(seed: u64, out: &mut Outcome) {
    let m = random_module(seed);
    let mut chains = [EngineKind::Interp, EngineKind::Jit].map(new_chain);
    let loaded = chains.each_mut().map(|c| c.load_module(m.clone()));
    match (&loaded[0], &loaded[1]) {
        (Err(a), Err(b)) => {
            assert_eq!(
                a.to_string(),
                b.to_string(),
                "seed {seed}: load errors differ"
            );
            assert!(
                matches!(a, LoadError::Verify(_)),
                "seed {seed}: {a} (the interpreter loads only verified code)"
            );
            out.rejected += 1;
            return;
        }
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (a, b) => panic!("seed {seed}: interp {a:?}, jit {b:?}\n{m:#?}"),
    }
    out.verified += 1;
    let code = loaded[0].as_ref().map(|h| *h).expect("loaded");
    let to = chains.each_mut().map(|c| {
        c.deploy(code, DEPLOYER, vec![], block(), GAS)
            .expect("no init: deploys")
    });
    assert_eq!(to[0], to[1]);
    let mut rng = Rng(seed ^ 0xa55);
    for round in 0..3 {
        for f in m.functions.iter().filter(|f| f.visibility.is_pub()) {
            let args: Vec<U256> = f.params.iter().map(|(_, t)| arg(&mut rng, t)).collect();
            let mut t: Transaction = tx(ALICE, to[0], &f.name, args, 20_000);
            let what = format!("seed {seed}, round {round}, {}({:?})", f.name, t.args);
            let run = |cs: &mut [Chain; 2], t: &Transaction| {
                let [a, b] = cs.each_mut().map(|c| {
                    c.execute_block(block(), std::slice::from_ref(t))
                        .expect("within the block gas limit")
                        .remove(0)
                });
                assert_eq!(a, b, "{what}, gas {}: interp vs jit\n{m:#?}", t.gas_limit);
                assert_eq!(cs[0].digest(), cs[1].digest(), "{what}: digests");
                a
            };
            let full = run(&mut chains.clone(), &t).gas_used;
            let mut limits: Vec<u64> = (1..=6).filter_map(|d| full.checked_sub(d)).collect();
            limits.extend([full / 2, full / 5, rng.next() % full.max(1)]);
            for g in limits {
                t.gas_limit = g;
                let r = run(&mut chains.clone(), &t);
                out.out_of_gas += usize::from(r.status == Err(Failure::OutOfGas));
            }
            t.gas_limit = 20_000;
            let r = run(&mut chains, &t);
            out.txs += 1;
            out.ok += usize::from(r.status.is_ok());
            if let Err(e) = &r.status {
                *out.kinds.entry(e.kind()).or_default() += 1;
            }
        }
    }
}

#[test]
fn random_modules_verify_alike_and_run_alike() {
    let mut out = Outcome::default();
    for seed in 0..300 {
        check_module(seed, &mut out);
    }
    eprintln!("{out:?}");
    assert!(out.verified >= 150, "{out:?}");
    assert!(out.rejected >= 5, "{out:?}");
    assert!(out.ok >= 100, "{out:?}");
    assert!(out.out_of_gas >= 300, "{out:?}");
    for kind in ["panic", "revert", "out_of_gas", "call_depth"] {
        assert!(
            out.kinds.get(kind).is_some_and(|n| *n >= 5),
            "{kind}: {out:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_module_seeds_agree(seed in any::<u64>()) {
        let mut out = Outcome::default();
        check_module(seed, &mut out);
        prop_assert_eq!(out.verified + out.rejected, 1);
    }
}
