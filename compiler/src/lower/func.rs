//! Lowering one function: registers, blocks, and statements.

use super::pools::FnPools;
use super::{ModuleCx, cfg};
use crate::access::Summaries;
use crate::hir::{self, FnId, LocalId, PlaceBase, StmtKind};
use crate::span::Span;
use braid_bytecode::{BlockId, Instr, Reg, Regs, Terminator, Visibility};

/// A run of consecutive registers (unbounded while lowering; see [`Words::regs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Words {
    /// First register.
    pub start: u32,
    /// Count.
    pub n: u32,
}

impl Words {
    /// No words (a unit value, a scalar field's key).
    pub const EMPTY: Words = Words { start: 0, n: 0 };

    /// The `n` words at `offset`.
    pub fn sub(self, offset: u32, n: u32) -> Words {
        if n == 0 {
            return Words::EMPTY;
        }
        Words {
            start: self.start.saturating_add(offset),
            n,
        }
    }

    /// Word `i` as a register.
    pub fn reg(self, i: u32) -> Reg {
        reg(self.start.saturating_add(i))
    }

    /// The bytecode operand; register numbers saturate at `u16::MAX` (never valid).
    pub fn regs(self) -> Regs {
        if self.n == 0 {
            return Regs {
                start: Reg(0),
                n: 0,
            };
        }
        Regs {
            start: reg(self.start),
            n: u16::try_from(self.n).unwrap_or(u16::MAX),
        }
    }
}

/// A register number as an operand, saturating (see the module docs).
pub(super) fn reg(r: u32) -> Reg {
    Reg(u16::try_from(r).unwrap_or(u16::MAX))
}

/// A block under construction.
pub(super) struct RawBlock {
    /// Its instructions.
    pub instrs: Vec<Instr>,
    /// Its terminator, once it has one.
    pub term: Option<Terminator>,
    /// The source span of each instruction.
    pub spans: Vec<Span>,
    /// The terminator's source span.
    pub term_span: Span,
}

/// The source spans of a finished function's code: per block, each instruction's
/// span and the terminator's.
pub(super) type CodeSpans = Vec<(Vec<Span>, Span)>;

/// Where `continue` and `break` go in the innermost loop.
struct LoopTargets {
    /// `continue`.
    cont: usize,
    /// `break`.
    exit: usize,
}

/// Lowering state of one function.
pub(super) struct FnLowering<'m, 'p> {
    /// The module's pools.
    pub cx: &'m mut ModuleCx<'p>,
    /// The program.
    pub program: &'p hir::Program,
    /// The function.
    pub func: &'p hir::Function,
    /// First register of each local.
    local_start: Vec<u32>,
    /// One past the locals' registers: temporaries start here.
    locals_end: u32,
    /// Next free temporary register.
    next: u32,
    /// One past the highest register used.
    max: u32,
    /// The blocks.
    blocks: Vec<RawBlock>,
    /// The block being filled.
    cur: usize,
    /// Enclosing loops, innermost last.
    loops: Vec<LoopTargets>,
    /// Pool references of this function.
    pub pools: FnPools,
    /// The source span code emitted now comes from (the innermost statement or
    /// expression being lowered).
    pub span: Span,
}

/// Lowers one function of the module.
pub(super) fn lower_function(
    cx: &mut ModuleCx<'_>,
    fid: FnId,
    summaries: &Summaries,
) -> (braid_bytecode::Function, CodeSpans) {
    let program = cx.program;
    let Some(func) = program.functions.get(fid.0 as usize) else {
        let f = braid_bytecode::Function {
            name: String::new(),
            visibility: Visibility::Internal,
            params: Vec::new(),
            ret: braid_bytecode::ValueType::unit(),
            n_regs: 0,
            blocks: vec![braid_bytecode::BasicBlock {
                instrs: Vec::new(),
                term: Terminator::Return(Words::EMPTY.regs()),
            }],
            access: Vec::new(),
        };
        return (f, vec![(Vec::new(), Span::default())]);
    };
    let visibility = cx.visibility(func);
    let n_params = (func.n_params as usize).min(func.locals.len());
    let params = func.locals[..n_params]
        .iter()
        .map(|l| (l.name.clone(), cx.value_type(&l.ty)))
        .collect();
    let ret = cx.value_type(&func.ret);
    let access = match visibility {
        Visibility::Init | Visibility::Pub | Visibility::PubView => {
            summaries.by_fn.get(&fid).cloned().unwrap_or_default()
        }
        Visibility::Internal => Vec::new(),
    };
    let mut fl = FnLowering::new(cx, func);
    let value = fl.eval_block(&func.body);
    fl.terminate(Terminator::Return(value.regs()));
    let FnLowering {
        blocks, pools, max, ..
    } = fl;
    let n_regs = u16::try_from(max).unwrap_or(u16::MAX);
    let (mut blocks, spans) = cfg::finish(blocks);
    pools.resolve(cx, &mut blocks);
    let f = braid_bytecode::Function {
        name: func.name.clone(),
        visibility,
        params,
        ret,
        n_regs,
        blocks,
        access,
    };
    (f, spans)
}

impl<'m, 'p> FnLowering<'m, 'p> {
    fn new(cx: &'m mut ModuleCx<'p>, func: &'p hir::Function) -> FnLowering<'m, 'p> {
        let program = cx.program;
        let mut local_start = Vec::with_capacity(func.locals.len());
        let mut next = 0u32;
        for l in &func.locals {
            local_start.push(next);
            next = next.saturating_add(cx.words(&l.ty));
        }
        FnLowering {
            cx,
            program,
            func,
            local_start,
            locals_end: next,
            next,
            max: next,
            blocks: vec![RawBlock {
                instrs: Vec::new(),
                term: None,
                spans: Vec::new(),
                term_span: func.span,
            }],
            cur: 0,
            loops: Vec::new(),
            pools: FnPools::default(),
            span: func.span,
        }
    }

    // ---- registers ----

    /// The registers of a local.
    pub fn local(&self, id: LocalId) -> Words {
        let i = id.0 as usize;
        match (self.local_start.get(i), self.func.locals.get(i)) {
            (Some(&start), Some(l)) => Words {
                start,
                n: self.cx.words(&l.ty),
            },
            _ => Words::EMPTY,
        }
    }

    /// Whether the words are (part of) a local's registers rather than a temporary.
    pub fn is_local(&self, w: Words) -> bool {
        w.n > 0 && w.start < self.locals_end
    }

    /// Allocates `n` fresh temporaries.
    pub fn alloc(&mut self, n: u32) -> Words {
        if n == 0 {
            return Words::EMPTY;
        }
        let w = Words {
            start: self.next,
            n,
        };
        self.next = self.next.saturating_add(n);
        self.max = self.max.max(self.next);
        w
    }

    /// The temporary stack height, to restore with [`FnLowering::release`].
    pub fn mark(&self) -> u32 {
        self.next
    }

    /// Frees every temporary allocated since `mark`.
    pub fn release(&mut self, mark: u32) {
        self.next = mark;
    }

    // ---- blocks ----

    /// Appends an instruction to the current block.
    pub fn emit(&mut self, instr: Instr) {
        // Past the module's expansion budget the module is dropped anyway: stop growing.
        if self.cx.spend(1) {
            let b = &mut self.blocks[self.cur];
            b.instrs.push(instr);
            b.spans.push(self.span);
        }
    }

    /// Creates an empty block (not yet current).
    pub fn new_block(&mut self) -> usize {
        self.blocks.push(RawBlock {
            instrs: Vec::new(),
            term: None,
            spans: Vec::new(),
            term_span: self.span,
        });
        self.blocks.len() - 1
    }

    /// Ends the current block (if it has no terminator yet).
    pub fn terminate(&mut self, term: Terminator) {
        let b = &mut self.blocks[self.cur];
        if b.term.is_none() {
            b.term = Some(term);
            b.term_span = self.span;
        }
    }

    /// Continues in block `b` (the current block must be terminated).
    pub fn switch_to(&mut self, b: usize) {
        self.cur = b;
    }

    /// Ends the current block with `term` and continues in a fresh block, which is
    /// unreachable (dropped later) unless something jumps to it.
    pub fn terminate_and_continue_dead(&mut self, term: Terminator) {
        self.terminate(term);
        let dead = self.new_block();
        self.switch_to(dead);
    }

    /// Ends the current block with a jump to `b`.
    pub fn jump(&mut self, b: usize) {
        self.terminate(Terminator::Jump(block_id(b)));
    }

    /// Ends the current block with a branch.
    pub fn branch(&mut self, cond: Reg, then: usize, els: usize) {
        self.terminate(Terminator::Branch {
            cond,
            then: block_id(then),
            els: block_id(els),
        });
    }

    // ---- statements ----

    /// Lowers a block's statements and returns its value's words (possibly a local's).
    pub fn eval_block(&mut self, block: &hir::Block) -> Words {
        for s in &block.stmts {
            self.stmt(s);
        }
        match &block.tail {
            Some(tail) => self.eval(tail),
            None => Words::EMPTY,
        }
    }

    /// Lowers a block's statements, then its value into `dst`.
    pub fn eval_block_into(&mut self, block: &hir::Block, dst: Words) {
        for s in &block.stmts {
            self.stmt(s);
        }
        if let Some(tail) = &block.tail {
            self.eval_into(tail, dst);
        }
    }

    /// Lowers a statement; its temporaries are freed at its end.
    fn stmt(&mut self, s: &hir::Stmt) {
        let mark = self.mark();
        let outer = std::mem::replace(&mut self.span, s.span);
        match &s.kind {
            StmtKind::Let {
                locals,
                destructure,
                init,
            } => self.let_stmt(locals, *destructure, init),
            StmtKind::Assign { place, op, value } => self.assign(place, *op, value),
            StmtKind::While { cond, body } => self.while_loop(cond, body),
            StmtKind::For {
                var,
                start,
                end,
                body,
            } => self.for_loop(*var, start, end, body),
            StmtKind::Break => {
                if let Some(l) = self.loops.last() {
                    let exit = l.exit;
                    self.terminate_and_continue_dead(Terminator::Jump(block_id(exit)));
                }
            }
            StmtKind::Continue => {
                if let Some(l) = self.loops.last() {
                    let cont = l.cont;
                    self.terminate_and_continue_dead(Terminator::Jump(block_id(cont)));
                }
            }
            StmtKind::Return(value) => {
                let v = match value {
                    Some(e) => self.eval(e),
                    None => Words::EMPTY,
                };
                self.terminate_and_continue_dead(Terminator::Return(v.regs()));
            }
            StmtKind::Require { cond, message } => {
                let c = self.eval(cond);
                let msg = self.string_ref(message);
                self.emit(Instr::Require {
                    cond: c.reg(0),
                    msg,
                });
            }
            StmtKind::Revert(message) => {
                let msg = self.string_ref(message);
                self.terminate_and_continue_dead(Terminator::Revert(msg));
            }
            StmtKind::Emit { event, args } => {
                let a = self.eval_args(args);
                self.emit(Instr::Emit {
                    event: u16::try_from(event.0).unwrap_or(u16::MAX),
                    args: a.regs(),
                });
            }
            StmtKind::Expr(e) => {
                self.eval(e);
            }
        }
        self.span = outer;
        self.release(mark);
    }

    fn let_stmt(&mut self, locals: &[Option<LocalId>], destructure: bool, init: &hir::Expr) {
        if !destructure {
            match locals.first().copied().flatten() {
                Some(l) => {
                    let dst = self.local(l);
                    self.eval_into(init, dst);
                }
                None => {
                    self.eval(init);
                }
            }
            return;
        }
        if let hir::ExprKind::Tuple(es) = &init.kind
            && es.len() == locals.len()
        {
            // `let (a, b) = (x, y);`: each element straight into its local.
            for (e, l) in es.iter().zip(locals) {
                match l {
                    Some(l) => {
                        let dst = self.local(*l);
                        self.eval_into(e, dst);
                    }
                    None => {
                        self.eval(e);
                    }
                }
            }
            return;
        }
        let value = self.eval(init);
        let elems = super::elements(self.program, &init.ty);
        let mut offset = 0u32;
        for (i, elem) in elems.iter().enumerate() {
            let n = self.cx.words(elem);
            if let Some(Some(l)) = locals.get(i) {
                let dst = self.local(*l);
                self.mov_words(dst, value.sub(offset, n));
            }
            offset = offset.saturating_add(n);
        }
    }

    fn assign(&mut self, place: &hir::Place, op: Option<crate::ast::BinOp>, value: &hir::Expr) {
        match &place.base {
            PlaceBase::Local(id) => {
                let base = self.local(*id);
                let ty = self
                    .func
                    .locals
                    .get(id.0 as usize)
                    .map(|l| l.ty.clone())
                    .unwrap_or(hir::Ty::Error);
                let (offset, n) = self.cx.projection(&ty, &place.path);
                let target = base.sub(offset, n);
                match op {
                    None if !super::walk::mentions_local(value, *id) => {
                        self.eval_into(value, target);
                    }
                    None => {
                        let v = self.eval(value);
                        self.mov_words(target, v);
                    }
                    Some(op) => {
                        let v = self.eval(value);
                        self.binop_into(op, &place.ty, target, target, v);
                    }
                }
            }
            PlaceBase::Storage { field, key } => {
                let Some(def) = self
                    .program
                    .contracts
                    .get(self.cx.contract.0 as usize)
                    .and_then(|c| c.storage.get(field.0 as usize))
                else {
                    return;
                };
                let field_idx = u16::try_from(field.0).unwrap_or(u16::MAX);
                let pin = super::walk::may_assign_locals(value);
                let k = match key {
                    Some(k) => self.eval_pinned(k, pin),
                    None => Words::EMPTY,
                };
                let v = self.eval(value);
                if place.path.is_empty() && op.is_none() {
                    self.emit(Instr::SStore {
                        field: field_idx,
                        key: k.regs(),
                        src: v.regs(),
                    });
                    return;
                }
                let whole = self.alloc(self.cx.words(&def.value));
                self.emit(Instr::SLoad {
                    field: field_idx,
                    key: k.regs(),
                    dst: whole.regs(),
                });
                let (offset, n) = self.cx.projection(&def.value, &place.path);
                let target = whole.sub(offset, n);
                match op {
                    None => self.mov_words(target, v),
                    Some(op) => self.binop_into(op, &place.ty, target, target, v),
                }
                self.emit(Instr::SStore {
                    field: field_idx,
                    key: k.regs(),
                    src: whole.regs(),
                });
            }
        }
    }

    fn while_loop(&mut self, cond: &hir::Expr, body: &hir::Block) {
        let head = self.new_block();
        let body_bb = self.new_block();
        let exit = self.new_block();
        self.jump(head);
        self.switch_to(head);
        let mark = self.mark();
        self.branch_on(cond, body_bb, exit);
        self.release(mark);
        self.switch_to(body_bb);
        self.loop_body(body, head, exit);
        self.jump(head);
        self.switch_to(exit);
    }

    fn for_loop(&mut self, var: LocalId, start: &hir::Expr, end: &hir::Expr, body: &hir::Block) {
        let v = self.local(var);
        let width = self
            .func
            .locals
            .get(var.0 as usize)
            .and_then(|l| super::int_width(&l.ty))
            .unwrap_or(braid_bytecode::Width::W256);
        self.eval_into(start, v);
        // The end is evaluated once, into a temporary that lives through the loop
        // (an immutable local is read in place: the body cannot change it).
        let end_w = match &end.kind {
            hir::ExprKind::Local(id)
                if self
                    .func
                    .locals
                    .get(id.0 as usize)
                    .is_some_and(|l| !l.mutable) =>
            {
                self.local(*id)
            }
            _ => {
                let t = self.alloc(1);
                self.eval_into(end, t);
                t
            }
        };
        let head = self.new_block();
        let body_bb = self.new_block();
        let step = self.new_block();
        let exit = self.new_block();
        self.jump(head);

        self.switch_to(head);
        let mark = self.mark();
        let c = self.alloc(1);
        self.emit(Instr::Cmp {
            op: braid_bytecode::CmpOp::Lt,
            dst: c.reg(0),
            a: v.reg(0),
            b: end_w.reg(0),
        });
        self.branch(c.reg(0), body_bb, exit);
        self.release(mark);

        self.switch_to(body_bb);
        self.loop_body(body, step, exit);
        self.jump(step);

        self.switch_to(step);
        let mark = self.mark();
        let one = self.alloc(1);
        let idx = self.const_ref(ruint::aliases::U256::from(1u8));
        self.emit(Instr::Const {
            dst: one.reg(0),
            idx,
        });
        self.emit(Instr::Arith {
            op: braid_bytecode::ArithOp::Add,
            width,
            dst: v.reg(0),
            a: v.reg(0),
            b: one.reg(0),
        });
        self.release(mark);
        self.jump(head);

        self.switch_to(exit);
    }

    /// Lowers a loop body with `continue` → `cont` and `break` → `exit`.
    fn loop_body(&mut self, body: &hir::Block, cont: usize, exit: usize) {
        self.loops.push(LoopTargets { cont, exit });
        let mark = self.mark();
        self.eval_block(body);
        self.release(mark);
        self.loops.pop();
    }

    /// Copies words (`dst` and `src` have the same length, or the shorter decides).
    pub fn mov_words(&mut self, dst: Words, src: Words) {
        if dst == src {
            return;
        }
        for i in 0..dst.n.min(src.n) {
            self.emit(Instr::Mov {
                dst: dst.reg(i),
                src: src.reg(i),
            });
        }
    }
}

/// A raw block index as an operand.
pub(super) fn block_id(b: usize) -> BlockId {
    BlockId(u32::try_from(b).unwrap_or(u32::MAX))
}
