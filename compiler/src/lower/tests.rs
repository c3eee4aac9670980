//! Tests of lowering on hand-built HIR, run on a small reference interpreter and
//! checked by a structural verifier.

mod cases_control;
mod cases_data;
mod cases_storage;
mod e2e;
mod interp;

use super::lower_contract;
use crate::access::Summaries;
use crate::ast::{BinOp, FnKind, IntTy};
use crate::hir::*;
use crate::span::{FileId, Span};
use braid_bytecode::{Instr, Module, Regs, Terminator};
use ruint::aliases::U256;

pub const BOOL: Ty = Ty::Bool;
pub const U8: Ty = Ty::Int(IntTy::U8);
pub const U64: Ty = Ty::Int(IntTy::U64);
pub const U128: Ty = Ty::Int(IntTy::U128);
pub const U256T: Ty = Ty::Int(IntTy::U256);
pub const ADDR: Ty = Ty::Address;

pub fn w(v: u64) -> U256 {
    U256::from(v)
}

pub fn ex(kind: ExprKind, ty: Ty) -> Expr {
    Expr {
        kind,
        ty,
        span: Span::default(),
    }
}
pub fn lit(v: u64, ty: Ty) -> Expr {
    ex(ExprKind::Lit(U256::from(v)), ty)
}
pub fn tru() -> Expr {
    lit(1, BOOL)
}
pub fn var(id: u32, ty: Ty) -> Expr {
    ex(ExprKind::Local(LocalId(id)), ty)
}
pub fn bin(op: BinOp, l: Expr, r: Expr) -> Expr {
    let ty = match op {
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => BOOL,
        _ => l.ty.clone(),
    };
    ex(ExprKind::Binary(op, Box::new(l), Box::new(r)), ty)
}
pub fn field(e: Expr, idx: u32, ty: Ty) -> Expr {
    ex(ExprKind::Field(Box::new(e), idx), ty)
}
pub fn tuple(es: Vec<Expr>) -> Expr {
    let ty = Ty::Tuple(es.iter().map(|e| e.ty.clone()).collect());
    ex(ExprKind::Tuple(es), ty)
}
pub fn cast(e: Expr, ty: Ty) -> Expr {
    ex(ExprKind::Cast(Box::new(e)), ty)
}
pub fn call(f: FnId, args: Vec<Expr>, ty: Ty) -> Expr {
    ex(ExprKind::Call(f, args), ty)
}
pub fn sload(f: u32, key: Option<Expr>, ty: Ty) -> Expr {
    ex(
        ExprKind::Storage {
            field: FieldId(f),
            key: key.map(Box::new),
        },
        ty,
    )
}
pub fn if_(c: Expr, then: Block, els: Option<Expr>, ty: Ty) -> Expr {
    ex(ExprKind::If(Box::new(c), then, els.map(Box::new)), ty)
}
pub fn block_e(b: Block, ty: Ty) -> Expr {
    ex(ExprKind::Block(b), ty)
}
pub fn st(kind: StmtKind) -> Stmt {
    Stmt {
        kind,
        span: Span::default(),
    }
}
pub fn blk(stmts: Vec<Stmt>, tail: Option<Expr>) -> Block {
    Block {
        stmts,
        tail: tail.map(Box::new),
        span: Span::default(),
    }
}
pub fn let_(id: u32, init: Expr) -> Stmt {
    st(StmtKind::Let {
        locals: vec![Some(LocalId(id))],
        destructure: false,
        init,
    })
}
pub fn set(id: u32, path: Vec<u32>, ty: Ty, op: Option<BinOp>, value: Expr) -> Stmt {
    st(StmtKind::Assign {
        place: Place {
            base: PlaceBase::Local(LocalId(id)),
            path,
            ty,
            span: Span::default(),
        },
        op,
        value,
    })
}
pub fn sstore(
    f: u32,
    key: Option<Expr>,
    path: Vec<u32>,
    ty: Ty,
    op: Option<BinOp>,
    value: Expr,
) -> Stmt {
    st(StmtKind::Assign {
        place: Place {
            base: PlaceBase::Storage {
                field: FieldId(f),
                key: key.map(Box::new),
            },
            path,
            ty,
            span: Span::default(),
        },
        op,
        value,
    })
}
pub fn require(cond: Expr, msg: &str) -> Stmt {
    st(StmtKind::Require {
        cond,
        message: msg.into(),
    })
}
pub fn ret(e: Option<Expr>) -> Stmt {
    st(StmtKind::Return(e))
}

/// A program with one root contract, built up function by function.
pub struct Prog {
    pub p: Program,
}

impl Prog {
    pub fn new(
        name: &str,
        storage: Vec<(&str, Option<Ty>, Ty)>,
        events: Vec<(&str, Vec<(&str, Ty)>)>,
    ) -> Prog {
        let contract = Contract {
            name: name.into(),
            file: FileId(0),
            span: Span::default(),
            storage: storage
                .into_iter()
                .map(|(n, key, value)| StorageField {
                    name: n.into(),
                    key,
                    value,
                    span: Span::default(),
                })
                .collect(),
            events: events
                .into_iter()
                .map(|(n, ps)| EventDef {
                    name: n.into(),
                    params: ps.into_iter().map(|(p, t)| (p.into(), t)).collect(),
                    span: Span::default(),
                })
                .collect(),
            init: None,
            functions: Vec::new(),
        };
        Prog {
            p: Program {
                contracts: vec![contract],
                structs: Vec::new(),
                functions: Vec::new(),
                roots: vec![ContractId(0)],
            },
        }
    }

    pub fn add_struct(&mut self, name: &str, fields: Vec<(&str, Ty)>) -> Ty {
        self.p.structs.push(StructDef {
            name: name.into(),
            fields: fields.into_iter().map(|(n, t)| (n.into(), t)).collect(),
            span: Span::default(),
        });
        Ty::Struct(StructId(self.p.structs.len() as u32 - 1))
    }

    /// Adds a contract for external calls (no code needed here).
    pub fn add_contract(&mut self, name: &str) -> ContractId {
        let mut c = self.p.contracts[0].clone();
        c.name = name.into();
        c.functions.clear();
        c.init = None;
        self.p.contracts.push(c);
        ContractId(self.p.contracts.len() as u32 - 1)
    }

    /// Reserves a function id (for recursion or calls before definition).
    pub fn next_fn(&self) -> FnId {
        FnId(self.p.functions.len() as u32)
    }

    /// Adds a function of `contract` (`None`: a library function). Parameters are
    /// locals `0..params.len()`, then `lets` in order.
    #[allow(clippy::too_many_arguments)]
    pub fn func(
        &mut self,
        contract: Option<ContractId>,
        name: &str,
        kind: FnKind,
        params: Vec<(&str, Ty)>,
        lets: Vec<(&str, Ty)>,
        ret: Ty,
        body: Block,
    ) -> FnId {
        let id = self.next_fn();
        let n_params = params.len() as u32;
        let locals = params
            .into_iter()
            .chain(lets)
            .enumerate()
            .map(|(i, (n, ty))| Local {
                name: n.into(),
                ty,
                mutable: i >= n_params as usize,
                span: Span::default(),
            })
            .collect();
        self.p.functions.push(Function {
            name: name.into(),
            kind,
            contract,
            span: Span::default(),
            n_params,
            locals,
            ret,
            access: Annotations::default(),
            body,
        });
        if let Some(c) = contract {
            let c = &mut self.p.contracts[c.0 as usize];
            if kind == FnKind::Init {
                c.init = Some(id);
            } else {
                c.functions.push(id);
            }
        }
        id
    }

    /// A function of the root contract.
    pub fn f(
        &mut self,
        name: &str,
        kind: FnKind,
        params: Vec<(&str, Ty)>,
        lets: Vec<(&str, Ty)>,
        ret: Ty,
        body: Block,
    ) -> FnId {
        self.func(Some(ContractId(0)), name, kind, params, lets, ret, body)
    }

    pub fn lower(&self) -> Module {
        let m = lower_contract(&self.p, ContractId(0), &Summaries::default());
        check_well_formed(&m);
        m
    }
}

/// A structural verifier: what the VM's verifier will insist on.
pub fn check_well_formed(m: &Module) {
    for f in &m.functions {
        let n_regs = u32::from(f.n_regs);
        assert!(f.param_words() as u32 <= n_regs, "{}: params fit", f.name);
        let in_regs = |rs: Regs| {
            assert!(
                rs.n == 0 || u32::from(rs.start.0) + u32::from(rs.n) <= n_regs,
                "{}: {rs:?} within {n_regs} registers",
                f.name
            )
        };
        let r1 = |r: braid_bytecode::Reg| in_regs(Regs { start: r, n: 1 });
        let target = |b: braid_bytecode::BlockId| {
            assert!(b.0 != 0, "{}: bb0 is never a jump target", f.name);
            assert!(
                (b.0 as usize) < f.blocks.len(),
                "{}: target in range",
                f.name
            );
        };
        assert!(!f.blocks.is_empty());
        for b in &f.blocks {
            for i in &b.instrs {
                match i {
                    Instr::Const { dst, idx } => {
                        r1(*dst);
                        assert!((*idx as usize) < m.consts.len());
                    }
                    Instr::Mov { dst, src }
                    | Instr::Not { dst, src, .. }
                    | Instr::Cast { dst, src, .. }
                    | Instr::Sqrt { dst, src } => {
                        r1(*dst);
                        r1(*src);
                    }
                    Instr::Arith { dst, a, b, .. } | Instr::Cmp { dst, a, b, .. } => {
                        r1(*dst);
                        r1(*a);
                        r1(*b);
                    }
                    Instr::MulDiv { dst, a, b, d, .. } => {
                        for r in [dst, a, b, d] {
                            r1(*r);
                        }
                    }
                    Instr::Caller { dst }
                    | Instr::SelfAddr { dst }
                    | Instr::BlockNumber { dst }
                    | Instr::BlockTimestamp { dst } => r1(*dst),
                    Instr::SubAccount { dst, key } => {
                        r1(*dst);
                        in_regs(*key);
                        assert!(key.n > 0);
                    }
                    Instr::SLoad { field, key, dst: v } | Instr::SStore { field, key, src: v } => {
                        in_regs(*key);
                        in_regs(*v);
                        let fd = &m.storage[usize::from(*field)];
                        assert_eq!(
                            usize::from(v.n),
                            fd.value.words(),
                            "{}: value words",
                            f.name
                        );
                        assert_eq!(
                            usize::from(key.n),
                            fd.key.as_ref().map_or(0, |k| k.words()),
                            "{}: key words",
                            f.name
                        );
                    }
                    Instr::Call { func, args, dst } => {
                        in_regs(*args);
                        in_regs(*dst);
                        let callee = &m.functions[usize::from(*func)];
                        assert_eq!(usize::from(args.n), callee.param_words());
                        assert_eq!(usize::from(dst.n), callee.ret.words());
                    }
                    Instr::CallExt {
                        import,
                        target,
                        args,
                        dst,
                        sub_key,
                    } => {
                        r1(*target);
                        in_regs(*args);
                        in_regs(*dst);
                        if let Some(k) = sub_key {
                            in_regs(*k);
                        }
                        let imp = &m.imports[usize::from(*import)];
                        assert_eq!(
                            usize::from(args.n),
                            imp.params.iter().map(|t| t.words()).sum::<usize>()
                        );
                        assert_eq!(usize::from(dst.n), imp.ret.words());
                    }
                    Instr::Emit { event, args } => {
                        in_regs(*args);
                        let e = &m.events[usize::from(*event)];
                        assert_eq!(
                            usize::from(args.n),
                            e.params.iter().map(|(_, t)| t.words()).sum::<usize>()
                        );
                    }
                    Instr::Require { cond, msg } => {
                        r1(*cond);
                        assert!((*msg as usize) < m.strings.len());
                    }
                }
            }
            match &b.term {
                Terminator::Jump(t) => target(*t),
                Terminator::Branch { cond, then, els } => {
                    r1(*cond);
                    target(*then);
                    target(*els);
                }
                Terminator::Return(rs) => {
                    in_regs(*rs);
                    assert_eq!(usize::from(rs.n), f.ret.words(), "{}: return words", f.name);
                }
                Terminator::Revert(msg) => assert!((*msg as usize) < m.strings.len()),
            }
        }
    }
}
