//! The stable, human-readable disassembly of a module (`braid compile --emit bytecode`).
//!
//! The text is a pure function of the module, so snapshot tests can hold it. It never
//! panics: an index out of range (hand-made bytecode) prints as `?N`.
//!
//! ```text
//! module Token (format 1, gas table 1)
//! storage
//!   0 owner: address
//!   2 balances: map<address, u128>
//! event 0 Transfer(from: address, to: address, amount: u128)
//! const 0 = 1000000000000000000
//! string 0 "insufficient balance"
//! import 0 Token.transfer(address, u128) -> bool
//!
//! fn transfer(to: address, amount: u128) -> bool  [pub, regs 9]
//!   access
//!     write Token(self).balances[caller]
//!   bb0:  ; gas 742
//!     caller -> r2
//!     sload balances[r2] -> r3
//!     ge r3, r1 -> r4
//!     branch r4, bb1, bb2
//! ```
//!
//! Operands: `r7` a register, `r3-r5` consecutive registers, `()` none; results follow
//! `->`. Arithmetic shows its checked width (`add.u128`); `callext` shows the import,
//! the target register after `@`, and `as self[…]` for a sub-account call.

use crate::module::{
    AccessPattern, Function, KeyPattern, Module, Regs, ValueType, Visibility, WordExpr,
};
use crate::opcode::{Instr, Reg, Terminator, Width};
use std::fmt::Write;

/// Renders a module as text.
pub fn disassemble(module: &Module) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "module {} (format {}, gas table {})",
        module.name, module.format_version, module.gas_version
    );
    if !module.storage.is_empty() {
        out.push_str("storage\n");
        for (i, f) in module.storage.iter().enumerate() {
            let ty = match &f.key {
                Some(k) => format!("map<{}, {}>", k.display(), f.value.display()),
                None => f.value.display(),
            };
            let _ = writeln!(out, "  {i} {}: {ty}", f.name);
        }
    }
    for (i, e) in module.events.iter().enumerate() {
        let _ = writeln!(out, "event {i} {}({})", e.name, named_types(&e.params));
    }
    for (i, c) in module.consts.iter().enumerate() {
        let _ = writeln!(out, "const {i} = {c}");
    }
    for (i, s) in module.strings.iter().enumerate() {
        let _ = writeln!(out, "string {i} {s:?}");
    }
    for (i, imp) in module.imports.iter().enumerate() {
        let params: Vec<String> = imp.params.iter().map(ValueType::display).collect();
        let _ = writeln!(
            out,
            "import {i} {}.{}({}){}",
            imp.contract,
            imp.name,
            params.join(", "),
            ret_suffix(&imp.ret)
        );
    }
    for (i, f) in module.functions.iter().enumerate() {
        out.push('\n');
        function(&mut out, module, i, f);
    }
    out
}

/// `name: type, …`.
fn named_types(params: &[(String, ValueType)]) -> String {
    let v: Vec<String> = params
        .iter()
        .map(|(n, t)| format!("{n}: {}", t.display()))
        .collect();
    v.join(", ")
}

/// ` -> T`, or nothing for unit.
fn ret_suffix(ret: &ValueType) -> String {
    if *ret == ValueType::unit() {
        String::new()
    } else {
        format!(" -> {}", ret.display())
    }
}

fn function(out: &mut String, module: &Module, index: usize, f: &Function) {
    let vis = match f.visibility {
        Visibility::Init => "init",
        Visibility::Pub => "pub",
        Visibility::PubView => "pub view",
        Visibility::Internal => "internal",
    };
    let _ = writeln!(
        out,
        "fn {}({}){}  [{vis}, f{index}, regs {}]",
        f.name,
        named_types(&f.params),
        ret_suffix(&f.ret),
        f.n_regs
    );
    if !f.access.is_empty() {
        out.push_str("  access\n");
        for p in &f.access {
            let _ = writeln!(out, "    {}", access_pattern(f, p));
        }
    }
    for (i, b) in f.blocks.iter().enumerate() {
        let _ = writeln!(out, "  bb{i}:  ; gas {}", b.gas());
        for instr in &b.instrs {
            let _ = writeln!(out, "    {}", instruction(module, instr));
        }
        let _ = writeln!(out, "    {}", terminator(module, &b.term));
    }
}

/// One access pattern: `write Token(self).balances[caller]`.
fn access_pattern(f: &Function, p: &AccessPattern) -> String {
    let key = match &p.key {
        KeyPattern::Scalar => String::new(),
        KeyPattern::Whole => "[*]".into(),
        KeyPattern::Key(words) => format!("[{}]", word_list(f, words)),
    };
    format!(
        "{} {}({}).{}{key}",
        if p.write { "write" } else { "read" },
        p.contract_name,
        word_expr(f, &p.contract),
        p.field_name
    )
}

/// Key words: `x` for one, `(x, y)` for several.
fn word_list(f: &Function, words: &[WordExpr]) -> String {
    let v: Vec<String> = words.iter().map(|w| word_expr(f, w)).collect();
    if v.len() == 1 {
        v.join("")
    } else {
        format!("({})", v.join(", "))
    }
}

/// A word expression, naming parameter words by their parameter (`amount`, `key.1`).
fn word_expr(f: &Function, w: &WordExpr) -> String {
    match w {
        WordExpr::Param(i) => param_word_name(f, usize::from(*i)),
        WordExpr::Caller => "caller".into(),
        WordExpr::SelfAddr => "self".into(),
        WordExpr::Const(c) => c.to_string(),
        WordExpr::Sub { base, key } => format!("{}[{}]", word_expr(f, base), word_list(f, key)),
    }
}

/// The name of argument word `i`: the parameter's name, with `.k` for word `k` of a
/// multi-word parameter; `arg{i}` past the parameters.
fn param_word_name(f: &Function, i: usize) -> String {
    let mut start = 0usize;
    for (name, ty) in &f.params {
        let n = ty.words();
        if i < start + n {
            return if n == 1 {
                name.clone()
            } else {
                format!("{name}.{}", i - start)
            };
        }
        start += n;
    }
    format!("arg{i}")
}

fn r(reg: Reg) -> String {
    format!("r{}", reg.0)
}

fn regs(rs: Regs) -> String {
    match rs.n {
        0 => "()".into(),
        1 => r(rs.start),
        n => format!(
            "r{}-r{}",
            rs.start.0,
            u32::from(rs.start.0) + u32::from(n) - 1
        ),
    }
}

fn width(w: Width) -> &'static str {
    w.name()
}

/// A storage field's name and key: `balances[r2]`, `owner`.
fn storage_ref(module: &Module, field: u16, key: Regs) -> String {
    let name = module
        .storage
        .get(usize::from(field))
        .map_or_else(|| format!("?{field}"), |f| f.name.clone());
    if key.n == 0 {
        name
    } else {
        format!("{name}[{}]", regs(key))
    }
}

fn string(module: &Module, idx: u32) -> String {
    module
        .strings
        .get(idx as usize)
        .map_or_else(|| format!("?{idx}"), |s| format!("{s:?}"))
}

/// One instruction.
fn instruction(module: &Module, instr: &Instr) -> String {
    let m = instr.mnemonic();
    match instr {
        Instr::Const { dst, idx } => match module.consts.get(*idx as usize) {
            Some(v) => format!("{m} c{idx} -> {}  ; {v}", r(*dst)),
            None => format!("{m} ?{idx} -> {}", r(*dst)),
        },
        Instr::Mov { dst, src } => format!("{m} {} -> {}", r(*src), r(*dst)),
        Instr::Arith {
            width: w,
            dst,
            a,
            b,
            ..
        } => format!("{m}.{} {}, {} -> {}", width(*w), r(*a), r(*b), r(*dst)),
        Instr::Cmp { dst, a, b, .. } => format!("{m} {}, {} -> {}", r(*a), r(*b), r(*dst)),
        Instr::Not {
            width: Some(w),
            dst,
            src,
        } => format!("{m}.{} {} -> {}", width(*w), r(*src), r(*dst)),
        Instr::Not {
            width: None,
            dst,
            src,
        } => format!("{m} {} -> {}", r(*src), r(*dst)),
        Instr::Cast { width: w, dst, src } => {
            format!("{m}.{} {} -> {}", width(*w), r(*src), r(*dst))
        }
        Instr::Sqrt { dst, src } => format!("{m} {} -> {}", r(*src), r(*dst)),
        Instr::MulDiv {
            width: w,
            dst,
            a,
            b,
            d,
            ..
        } => format!(
            "{m}.{} {}, {}, {} -> {}",
            width(*w),
            r(*a),
            r(*b),
            r(*d),
            r(*dst)
        ),
        Instr::Caller { dst }
        | Instr::SelfAddr { dst }
        | Instr::BlockNumber { dst }
        | Instr::BlockTimestamp { dst } => format!("{m} -> {}", r(*dst)),
        Instr::SubAccount { dst, key } => format!("{m} self[{}] -> {}", regs(*key), r(*dst)),
        Instr::SLoad { field, key, dst } => {
            format!(
                "{m} {} -> {}",
                storage_ref(module, *field, *key),
                regs(*dst)
            )
        }
        Instr::SStore { field, key, src } => {
            format!(
                "{m} {} -> {}",
                regs(*src),
                storage_ref(module, *field, *key)
            )
        }
        Instr::Call { func, args, dst } => {
            let name = module
                .functions
                .get(usize::from(*func))
                .map_or("?", |f| f.name.as_str());
            format!("{m} f{func} {name}({}) -> {}", regs(*args), regs(*dst))
        }
        Instr::CallExt {
            import,
            target,
            args,
            dst,
            sub_key,
        } => {
            let name = module
                .imports
                .get(usize::from(*import))
                .map_or_else(|| "?".to_owned(), |i| format!("{}.{}", i.contract, i.name));
            let as_sub = sub_key.map_or_else(String::new, |k| format!(" as self[{}]", regs(k)));
            format!(
                "{m} i{import} {name} @{}({}){as_sub} -> {}",
                r(*target),
                regs(*args),
                regs(*dst)
            )
        }
        Instr::Emit { event, args } => {
            let name = module
                .events
                .get(usize::from(*event))
                .map_or("?", |e| e.name.as_str());
            format!("{m} {name}({})", regs(*args))
        }
        Instr::Require { cond, msg } => format!("{m} {}, {}", r(*cond), string(module, *msg)),
    }
}

/// A block's terminator.
fn terminator(module: &Module, term: &Terminator) -> String {
    let m = term.mnemonic();
    match term {
        Terminator::Jump(b) => format!("{m} bb{}", b.0),
        Terminator::Branch { cond, then, els } => {
            format!("{m} {}, bb{}, bb{}", r(*cond), then.0, els.0)
        }
        Terminator::Return(rs) => format!("{m} {}", regs(*rs)),
        Terminator::Revert(msg) => format!("{m} {}", string(module, *msg)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::{EventDef, Import, StorageField};
    use crate::opcode::{ArithOp, BasicBlock, BlockId, CmpOp};
    use ruint::aliases::U256;

    fn sample() -> Module {
        let rg = |s: u16, n: u16| Regs { start: Reg(s), n };
        Module {
            format_version: 1,
            gas_version: 1,
            name: "Token".into(),
            storage: vec![
                StorageField {
                    name: "owner".into(),
                    key: None,
                    value: ValueType::Address,
                },
                StorageField {
                    name: "balances".into(),
                    key: Some(ValueType::Address),
                    value: ValueType::U128,
                },
            ],
            events: vec![EventDef {
                name: "Transfer".into(),
                params: vec![
                    ("from".into(), ValueType::Address),
                    ("amount".into(), ValueType::U128),
                ],
            }],
            consts: vec![U256::from(10u64).pow(U256::from(18u64))],
            strings: vec!["insufficient \"balance\"".into()],
            imports: vec![Import {
                contract: "Token".into(),
                name: "transfer".into(),
                params: vec![ValueType::Address, ValueType::U128],
                ret: ValueType::Bool,
            }],
            functions: vec![Function {
                name: "transfer".into(),
                visibility: Visibility::Pub,
                params: vec![
                    ("to".into(), ValueType::Address),
                    (
                        "pair".into(),
                        ValueType::Tuple(vec![ValueType::U8, ValueType::U8]),
                    ),
                ],
                ret: ValueType::Bool,
                n_regs: 9,
                blocks: vec![
                    BasicBlock {
                        instrs: vec![
                            Instr::Caller { dst: Reg(3) },
                            Instr::SLoad {
                                field: 1,
                                key: rg(3, 1),
                                dst: rg(4, 1),
                            },
                            Instr::Cmp {
                                op: CmpOp::Ge,
                                dst: Reg(5),
                                a: Reg(4),
                                b: Reg(1),
                            },
                        ],
                        term: Terminator::Branch {
                            cond: Reg(5),
                            then: BlockId(1),
                            els: BlockId(2),
                        },
                    },
                    BasicBlock {
                        instrs: vec![
                            Instr::Const {
                                dst: Reg(6),
                                idx: 0,
                            },
                            Instr::Arith {
                                op: ArithOp::Sub,
                                width: Width::W128,
                                dst: Reg(6),
                                a: Reg(4),
                                b: Reg(6),
                            },
                            Instr::SStore {
                                field: 9,
                                key: rg(0, 0),
                                src: rg(6, 1),
                            },
                            Instr::CallExt {
                                import: 0,
                                target: Reg(0),
                                args: rg(1, 2),
                                dst: rg(7, 1),
                                sub_key: Some(rg(2, 1)),
                            },
                            Instr::Emit {
                                event: 0,
                                args: rg(0, 2),
                            },
                        ],
                        term: Terminator::Return(rg(7, 1)),
                    },
                    BasicBlock {
                        instrs: Vec::new(),
                        term: Terminator::Revert(0),
                    },
                ],
                access: vec![
                    AccessPattern {
                        write: true,
                        contract: WordExpr::SelfAddr,
                        contract_name: "Token".into(),
                        field: 1,
                        field_name: "balances".into(),
                        key: KeyPattern::Key(vec![WordExpr::Caller]),
                    },
                    AccessPattern {
                        write: false,
                        contract: WordExpr::Param(0),
                        contract_name: "Token".into(),
                        field: 1,
                        field_name: "balances".into(),
                        key: KeyPattern::Key(vec![WordExpr::Sub {
                            base: Box::new(WordExpr::SelfAddr),
                            key: vec![WordExpr::Param(1), WordExpr::Param(2)],
                        }]),
                    },
                    AccessPattern {
                        write: false,
                        contract: WordExpr::SelfAddr,
                        contract_name: "Token".into(),
                        field: 0,
                        field_name: "owner".into(),
                        key: KeyPattern::Scalar,
                    },
                ],
            }],
            source_map: None,
        }
    }

    #[test]
    fn renders_every_section() {
        let text = disassemble(&sample());
        let expected = r#"module Token (format 1, gas table 1)
storage
  0 owner: address
  1 balances: map<address, u128>
event 0 Transfer(from: address, amount: u128)
const 0 = 1000000000000000000
string 0 "insufficient \"balance\""
import 0 Token.transfer(address, u128) -> bool

fn transfer(to: address, pair: (u8, u8)) -> bool  [pub, f0, regs 9]
  access
    write Token(self).balances[caller]
    read Token(to).balances[self[(pair.0, pair.1)]]
    read Token(self).owner
  bb0:  ; gas 206
    caller -> r3
    sload balances[r3] -> r4
    ge r4, r1 -> r5
    branch r5, bb1, bb2
  bb1:  ; gas 1793
    const c0 -> r6  ; 1000000000000000000
    sub.u128 r4, r6 -> r6
    sstore r6 -> ?9
    callext i0 Token.transfer @r0(r1-r2) as self[r2] -> r7
    emit Transfer(r0-r1)
    ret r7
  bb2:  ; gas 2
    revert "insufficient \"balance\""
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn out_of_range_indices_never_panic() {
        let mut m = sample();
        m.consts.clear();
        m.strings.clear();
        m.imports.clear();
        m.events.clear();
        m.storage.clear();
        let text = disassemble(&m);
        assert!(text.contains("const ?0 -> r6"));
        assert!(text.contains("revert ?0"));
        assert!(text.contains("callext i0 ? @r0"));
        assert!(text.contains("emit ?(r0-r1)"));
        assert!(text.contains("sload ?1[r3] -> r4"));
    }

    #[test]
    fn register_ranges_near_the_top_do_not_overflow() {
        assert_eq!(
            regs(Regs {
                start: Reg(u16::MAX),
                n: u16::MAX
            }),
            format!("r{}-r{}", u16::MAX, 2 * u32::from(u16::MAX) - 1)
        );
    }
}
