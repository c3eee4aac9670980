//! A small reference interpreter of bytecode, for testing lowering before the VM
//! lands: enough semantics (checked arithmetic, storage, internal calls, events,
//! per-block gas) to check that lowered code computes what the source says.

use braid_bytecode::encode::{address_to_word, map_key_word, sub_account, word_to_address};
use braid_bytecode::{ArithOp, CmpOp, Instr, Module, Regs, Terminator, Width};
use ruint::aliases::{U256, U512};
use std::collections::BTreeMap;

/// Storage: (field, map key word, word index) → non-zero word.
pub type Storage = BTreeMap<(u16, Option<U256>, u32), U256>;

/// The state a test runs against.
#[derive(Default)]
pub struct Machine {
    pub storage: Storage,
    pub events: Vec<(String, Vec<U256>)>,
    pub caller: U256,
    pub self_addr: U256,
    pub block_number: u64,
    pub gas_left: u64,
}

fn max_of(w: Width) -> U256 {
    if w == Width::W256 {
        U256::MAX
    } else {
        (U256::from(1u8) << w.bits()) - U256::from(1u8)
    }
}

impl Machine {
    pub fn new(caller: u64) -> Machine {
        Machine {
            caller: U256::from(caller),
            self_addr: U256::from(0xc0ffee_u64),
            block_number: 7,
            gas_left: 1_000_000,
            ..Machine::default()
        }
    }

    /// Runs the public function `name` (or the function with index `name` parsed).
    pub fn call(&mut self, m: &Module, name: &str, args: &[U256]) -> Result<Vec<U256>, String> {
        let idx = m
            .functions
            .iter()
            .position(|f| f.name == name)
            .ok_or_else(|| format!("no function {name}"))?;
        self.run(m, idx, args, 0)
    }

    fn run(
        &mut self,
        m: &Module,
        fi: usize,
        args: &[U256],
        depth: u32,
    ) -> Result<Vec<U256>, String> {
        if depth > 64 {
            return Err("call_depth".into());
        }
        let f = &m.functions[fi];
        assert_eq!(args.len(), f.param_words(), "argument words of {}", f.name);
        let mut regs = vec![U256::ZERO; usize::from(f.n_regs)];
        regs[..args.len()].copy_from_slice(args);
        let mut bb = 0usize;
        loop {
            let block = &f.blocks[bb];
            let cost = block.gas();
            if self.gas_left < cost {
                return Err("out_of_gas".into());
            }
            self.gas_left -= cost;
            for i in &block.instrs {
                self.step(m, i, &mut regs, depth)?;
            }
            match &block.term {
                Terminator::Jump(t) => bb = t.0 as usize,
                Terminator::Branch { cond, then, els } => {
                    bb = if regs[usize::from(cond.0)].is_zero() {
                        els.0
                    } else {
                        then.0
                    } as usize
                }
                Terminator::Return(rs) => return Ok(words(&regs, *rs).to_vec()),
                Terminator::Revert(msg) => {
                    return Err(format!("revert: {}", m.strings[*msg as usize]));
                }
            }
        }
    }

    fn step(&mut self, m: &Module, i: &Instr, regs: &mut [U256], depth: u32) -> Result<(), String> {
        let g = |r: &braid_bytecode::Reg| regs[usize::from(r.0)];
        match i {
            Instr::Const { dst, idx } => regs[usize::from(dst.0)] = m.consts[*idx as usize],
            Instr::Mov { dst, src } => regs[usize::from(dst.0)] = g(src),
            Instr::Arith {
                op,
                width,
                dst,
                a,
                b,
            } => {
                let v = arith(*op, *width, g(a), g(b))?;
                regs[usize::from(dst.0)] = v;
            }
            Instr::Cmp { op, dst, a, b } => {
                let (a, b) = (g(a), g(b));
                let r = match op {
                    CmpOp::Eq => a == b,
                    CmpOp::Ne => a != b,
                    CmpOp::Lt => a < b,
                    CmpOp::Le => a <= b,
                    CmpOp::Gt => a > b,
                    CmpOp::Ge => a >= b,
                };
                regs[usize::from(dst.0)] = U256::from(u8::from(r));
            }
            Instr::Not { width, dst, src } => {
                let s = g(src);
                regs[usize::from(dst.0)] = match width {
                    None => U256::from(u8::from(s.is_zero())),
                    Some(w) => !s & max_of(*w),
                };
            }
            Instr::Cast { width, dst, src } => {
                let s = g(src);
                if s > max_of(*width) {
                    return Err("panic: conversion".into());
                }
                regs[usize::from(dst.0)] = s;
            }
            Instr::Sqrt { dst, src } => regs[usize::from(dst.0)] = g(src).root(2),
            Instr::MulDiv {
                round_up,
                width,
                dst,
                a,
                b,
                d,
            } => {
                let d = g(d);
                if d.is_zero() {
                    return Err("panic: division_by_zero".into());
                }
                let p = U512::from(g(a)) * U512::from(g(b));
                let d = U512::from(d);
                let mut q = p / d;
                if *round_up && !(p % d).is_zero() {
                    q += U512::from(1u8);
                }
                if q > U512::from(max_of(*width)) {
                    return Err("panic: overflow".into());
                }
                regs[usize::from(dst.0)] = U256::from(q);
            }
            Instr::Caller { dst } => regs[usize::from(dst.0)] = self.caller,
            Instr::SelfAddr { dst } => regs[usize::from(dst.0)] = self.self_addr,
            Instr::BlockNumber { dst } => regs[usize::from(dst.0)] = U256::from(self.block_number),
            Instr::BlockTimestamp { dst } => regs[usize::from(dst.0)] = U256::from(1000u64),
            Instr::SubAccount { dst, key } => {
                let base = word_to_address(self.self_addr);
                let a = sub_account(&base, words(regs, *key));
                regs[usize::from(dst.0)] = address_to_word(&a);
            }
            Instr::SLoad { field, key, dst } => {
                let k = storage_key(regs, *key);
                for w in 0..dst.n {
                    let v = self
                        .storage
                        .get(&(*field, k, u32::from(w)))
                        .copied()
                        .unwrap_or_default();
                    regs[usize::from(dst.start.0 + w)] = v;
                }
            }
            Instr::SStore { field, key, src } => {
                let k = storage_key(regs, *key);
                for w in 0..src.n {
                    let v = regs[usize::from(src.start.0 + w)];
                    if v.is_zero() {
                        self.storage.remove(&(*field, k, u32::from(w)));
                    } else {
                        self.storage.insert((*field, k, u32::from(w)), v);
                    }
                }
            }
            Instr::Call { func, args, dst } => {
                let a = words(regs, *args).to_vec();
                let out = self.run(m, usize::from(*func), &a, depth + 1)?;
                assert_eq!(out.len(), usize::from(dst.n), "result words");
                regs[usize::from(dst.start.0)..][..out.len()].copy_from_slice(&out);
            }
            Instr::CallExt { .. } => {
                return Err("callext unsupported in the test interpreter".into());
            }
            Instr::Emit { event, args } => {
                let name = m.events[usize::from(*event)].name.clone();
                self.events.push((name, words(regs, *args).to_vec()));
            }
            Instr::Require { cond, msg } => {
                if g(cond).is_zero() {
                    return Err(format!("revert: {}", m.strings[*msg as usize]));
                }
            }
        }
        Ok(())
    }
}

fn words(regs: &[U256], rs: Regs) -> &[U256] {
    &regs[usize::from(rs.start.0)..][..usize::from(rs.n)]
}

fn storage_key(regs: &[U256], key: Regs) -> Option<U256> {
    (key.n > 0).then(|| map_key_word(words(regs, key)))
}

fn arith(op: ArithOp, w: Width, a: U256, b: U256) -> Result<U256, String> {
    let max = max_of(w);
    let wrap = |v: U256| v & max;
    let checked = |v: Option<U256>| match v {
        Some(v) if v <= max => Ok(v),
        _ => Err("panic: overflow".to_string()),
    };
    Ok(match op {
        ArithOp::Add => checked(a.checked_add(b))?,
        ArithOp::Sub => a.checked_sub(b).ok_or("panic: underflow")?,
        ArithOp::Mul => checked(a.checked_mul(b))?,
        ArithOp::Div => a.checked_div(b).ok_or("panic: division_by_zero")?,
        ArithOp::Rem => a.checked_rem(b).ok_or("panic: division_by_zero")?,
        ArithOp::Pow => checked(a.checked_pow(b))?,
        ArithOp::WrappingAdd => wrap(a.wrapping_add(b)),
        ArithOp::WrappingSub => wrap(a.wrapping_sub(b)),
        ArithOp::WrappingMul => wrap(a.wrapping_mul(b)),
        ArithOp::And => a & b,
        ArithOp::Or => a | b,
        ArithOp::Xor => a ^ b,
        ArithOp::Shl => {
            if b >= U256::from(w.bits()) {
                U256::ZERO
            } else {
                wrap(a << b.to::<usize>())
            }
        }
        ArithOp::Shr => {
            if b >= U256::from(w.bits()) {
                U256::ZERO
            } else {
                a >> b.to::<usize>()
            }
        }
        ArithOp::Min => a.min(b),
        ArithOp::Max => a.max(b),
    })
}
