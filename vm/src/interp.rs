//! The reference interpreter: runs verified bytecode for one transaction.
//!
//! - **Registers**: one `Vec<U256>` for the whole call stack; each frame owns the
//!   window `base..base + n_regs`, the callee's window starting where the caller's
//!   ends. Arguments are copied into the callee's first registers, the rest zeroed.
//!   No allocation per instruction: the register file, the frame stack, the write
//!   buffer and the event buffers come from a reusable [`Scratch`] and only grow
//!   (a failure with a message allocates the message).
//! - **Gas** (language spec §6): a basic block's cost, precomputed by the verifier,
//!   is charged on entry to the block; with less gas left than the cost the
//!   transaction fails with `OutOfGas` before the block runs and uses its whole
//!   limit. Internal and external calls draw on the same counter.
//! - **Storage, events, gas, call depth, external call checks** are the
//!   transaction host's ([`crate::host::TxHost`]), shared with every engine: the
//!   interpreter keeps only its registers and frames.
//! - **Calls**: at most [`MAX_CALL_DEPTH`] frames; an external call to a contract on
//!   the call stack fails with `Reentrancy`. Any failure ends the whole transaction
//!   (there is no catching), so a single write buffer makes it atomic.
//!
//! The verifier guarantees every index used here; the interpreter still uses checked
//! accesses and turns a broken invariant into `Failure::Internal` for the one
//! transaction, never a panic.

mod arith;
mod call;
mod scratch;
mod storage;

pub use arith::{arith, cast, cmp, mul_div, not, sqrt, width_max};
pub use scratch::Buffers;
pub use scratch::Scratch;
pub(crate) use scratch::{EventDefs, recycle};
pub use storage::{TxStorage, WriteBuffer};

use crate::Address;
use crate::host::{TxHost, internal, revert};
use crate::receipt::{Event, Failure};
use crate::state::StateRead;
use crate::trace::StackFrame;
use crate::verify::widths::RegWidth;
use crate::verify::{FunctionInfo, VerifiedModule};
use braid_bytecode::encode::address_to_word;
use braid_bytecode::{CodeOffset, Function, Instr, Reg, Regs, Terminator, U256};

pub use crate::host::{CodeStore, MAX_CALL_DEPTH};

/// An event as emitted, before it is rendered into a receipt's [`Event`] (only
/// after the transaction succeeded).
#[derive(Clone, Debug)]
pub struct RawEvent<'a> {
    /// The emitting contract.
    pub contract: Address,
    /// Its module (names and types of the event).
    pub module: &'a VerifiedModule,
    /// The event index in the module.
    pub event: u16,
    /// The argument words: this range of the machine's event words.
    pub words: std::ops::Range<usize>,
}

impl RawEvent<'_> {
    /// The receipt form of the event, its argument words taken from `words`, its
    /// declaration this executor's copy from `defs`.
    pub(crate) fn render(
        &self,
        words: &[U256],
        defs: &mut scratch::EventDefs,
    ) -> Result<Event, Failure> {
        let def = self
            .module
            .event_defs
            .get(usize::from(self.event))
            .ok_or_else(internal("event index"))?;
        let args = words
            .get(self.words.clone())
            .ok_or_else(internal("event words"))?;
        Ok(Event {
            contract: self.contract,
            def: defs.local(def),
            args: args.to_vec(),
        })
    }
}

/// One activation on the call stack.
#[derive(Clone, Copy)]
pub(crate) struct Frame<'a> {
    module: &'a VerifiedModule,
    func: &'a Function,
    info: &'a FunctionInfo,
    self_addr: Address,
    /// The frame's `caller` (an address: the sender, a contract or a sub-account).
    caller: Address,
    /// First register of the frame's window.
    base: usize,
    /// Current block.
    block: usize,
    /// Next instruction in the block (saved across calls).
    pc: usize,
    /// Where the caller wants the returned words (in the caller's window).
    ret_dst: Regs,
    /// For a frame entered by an external call: the caller's import, whose declared
    /// return type the returned words are checked against.
    ext_import: Option<u16>,
}

/// What an instruction did to control flow.
#[derive(PartialEq, Eq)]
enum Flow {
    /// Continue with the next instruction.
    Next,
    /// A frame was pushed: continue in it.
    Switch,
}

/// Where a new frame's arguments come from.
enum Args<'s> {
    /// Words of the transaction.
    Slice(&'s [U256]),
    /// The caller's registers, from this absolute index.
    Regs(usize),
}

/// The interpreter state of one transaction: registers and frames, over the
/// transaction's [`TxHost`].
pub struct Machine<'a, 'h, C: CodeStore + ?Sized, S: StateRead + ?Sized> {
    host: &'h mut TxHost<'a, C, S>,
    regs: Vec<U256>,
    frames: Vec<Frame<'a>>,
}

impl<'a, 'h, C: CodeStore + ?Sized, S: StateRead + ?Sized> Machine<'a, 'h, C, S> {
    /// A machine over `host`, taking its registers and frames from `bufs` (give them
    /// back with [`Machine::finish_buffers`]).
    pub(crate) fn with_buffers(host: &'h mut TxHost<'a, C, S>, bufs: &mut Buffers) -> Self {
        Machine {
            host,
            regs: std::mem::take(&mut bufs.regs),
            frames: recycle(std::mem::take(&mut bufs.frames)),
        }
    }

    pub(crate) fn finish_buffers(self, bufs: &mut Buffers) {
        bufs.regs = self.regs;
        bufs.frames = recycle(self.frames);
    }

    /// Runs function `func` of `module` deployed at `self_addr`, called by `caller`
    /// with argument words `args` (already validated), to its return value.
    pub fn run(
        &mut self,
        module: &'a VerifiedModule,
        func: u16,
        self_addr: Address,
        caller: Address,
        args: &[U256],
    ) -> Result<Vec<U256>, Failure> {
        let entry = Regs {
            start: Reg(0),
            n: 0,
        };
        if let Err(f) = self.push_frame(
            module,
            func,
            self_addr,
            caller,
            0,
            entry,
            Args::Slice(args),
            None,
        ) {
            // Failed entering the entry function: the stack is that function alone.
            self.host.record_stack(vec![StackFrame {
                contract: self_addr,
                func,
                at: None,
            }]);
            return Err(f);
        }
        loop {
            let frame = *self
                .frames
                .last()
                .ok_or_else(internal("empty call stack"))?;
            let top = self.frames.len() - 1;
            let block = frame
                .func
                .blocks
                .get(frame.block)
                .ok_or_else(internal("block out of range"))?;
            let mut pc = frame.pc;
            let mut switched = false;
            while let Some(ins) = block.instrs.get(pc) {
                pc += 1;
                match self.step(&frame, ins, pc) {
                    Ok(Flow::Next) => {}
                    Ok(Flow::Switch) => {
                        switched = true;
                        break;
                    }
                    Err(f) => return Err(self.failed_at(Some((top, frame.block, pc - 1)), f)),
                }
            }
            if switched {
                continue;
            }
            // A terminator's failure is located at the terminator (`Return` fails
            // after its frame is popped: at the caller's call).
            let at_term = Some((top, frame.block, block.instrs.len()));
            match &block.term {
                Terminator::Jump(b) => {
                    if let Err(f) = self.goto(&frame, b.0) {
                        return Err(self.failed_at(at_term, f));
                    }
                }
                Terminator::Branch { cond, then, els } => {
                    let target = if self.get(frame.base, *cond)?.is_zero() {
                        els
                    } else {
                        then
                    };
                    if let Err(f) = self.goto(&frame, target.0) {
                        return Err(self.failed_at(at_term, f));
                    }
                }
                Terminator::Return(rs) => match self.ret(*rs) {
                    Ok(Some(words)) => return Ok(words),
                    Ok(None) => {}
                    Err(f) => return Err(self.failed_at(None, f)),
                },
                Terminator::Revert(msg) => {
                    return Err(self.failed_at(at_term, revert(frame.module, *msg)));
                }
            }
        }
    }

    /// The failure path: reports the call stack to the host and returns `failure`.
    /// `top` is (frame index, block, instruction) of the failing instruction; every
    /// other frame is suspended at its call, the instruction before its saved pc.
    /// Nothing of this runs unless the transaction fails.
    #[cold]
    #[inline(never)]
    fn failed_at(&mut self, top: Option<(usize, usize, usize)>, failure: Failure) -> Failure {
        let offset = |block: usize, instr: usize| CodeOffset {
            block: u32::try_from(block).unwrap_or(u32::MAX),
            instr: u32::try_from(instr).unwrap_or(u32::MAX),
        };
        let frames = self
            .frames
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let at = match top {
                    Some((t, block, instr)) if t == i => offset(block, instr),
                    Some((t, _, _)) if i > t => offset(f.block, f.pc),
                    _ => offset(f.block, f.pc.saturating_sub(1)),
                };
                StackFrame {
                    contract: f.self_addr,
                    func: function_index(f.module, f.func),
                    at: Some(at),
                }
            })
            .collect();
        self.host.record_stack(frames);
        failure
    }

    /// Charges block `b` of the current function and continues at its start.
    fn goto(&mut self, frame: &Frame<'a>, b: u32) -> Result<(), Failure> {
        let b = usize::try_from(b).map_err(|_| internal("block index")())?;
        self.charge(frame.info, b)?;
        let top = self
            .frames
            .last_mut()
            .ok_or_else(internal("empty call stack"))?;
        top.block = b;
        top.pc = 0;
        self.check_widths(frame.base, frame.info, b)
    }

    /// In debug builds (every test), checks the verifier's width facts against the
    /// registers on entry to block `b`: a value wider than its inferred width is a
    /// verifier bug, reported as `internal`. Release builds rely on the facts.
    #[inline]
    fn check_widths(&self, base: usize, info: &FunctionInfo, b: usize) -> Result<(), Failure> {
        if !cfg!(debug_assertions) {
            return Ok(());
        }
        let Some(widths) = info.widths.at_block(b) else {
            return Err(internal("entered a block the verifier found unreachable")());
        };
        let regs = self
            .regs
            .get(base..base + widths.len())
            .ok_or_else(internal("register window"))?;
        match regs
            .iter()
            .zip(widths)
            .position(|(v, w)| RegWidth::of_value(v) > *w)
        {
            None => Ok(()),
            Some(i) => Err(Failure::Internal(format!(
                "register r{i} holds a wider value than its verified width {} at block b{b}",
                widths.get(i).map_or("?", |w| w.name())
            ))),
        }
    }

    /// The gas rule: charge block `b`'s cost, or fail with `OutOfGas` (all gas used).
    fn charge(&mut self, info: &FunctionInfo, b: usize) -> Result<(), Failure> {
        let cost = *info.block_gas.get(b).ok_or_else(internal("block gas"))?;
        self.host.charge(cost)
    }

    /// Pushes a frame for `func` of `module` with its window at `base`: charges the
    /// frame setup and the entry block, copies the arguments and zeroes the other
    /// registers.
    #[allow(clippy::too_many_arguments)]
    fn push_frame(
        &mut self,
        module: &'a VerifiedModule,
        func: u16,
        self_addr: Address,
        caller: Address,
        base: usize,
        ret_dst: Regs,
        args: Args<'_>,
        ext_import: Option<u16>,
    ) -> Result<(), Failure> {
        let f = usize::from(func);
        let function = module
            .module
            .functions
            .get(f)
            .ok_or_else(internal("function index"))?;
        let info = module
            .functions
            .get(f)
            .ok_or_else(internal("function info"))?;
        // Depth, then frame setup and the entry block, before the window is filled.
        self.host.enter(info, self_addr)?;
        let end = base + usize::from(function.n_regs);
        let params = usize::from(info.param_words);
        if self.regs.len() < end {
            self.regs.resize(end, U256::ZERO);
        }
        match args {
            Args::Slice(words) => self
                .regs
                .get_mut(base..base + params)
                .filter(|dst| dst.len() == words.len())
                .ok_or_else(internal("argument count"))?
                .copy_from_slice(words),
            Args::Regs(start) => {
                if start + params > base {
                    return Err(internal("argument registers overlap the callee")());
                }
                self.regs.copy_within(start..start + params, base);
            }
        }
        self.regs
            .get_mut(base + params..end)
            .ok_or_else(internal("register window"))?
            .fill(U256::ZERO);
        self.frames.push(Frame {
            module,
            func: function,
            info,
            self_addr,
            caller,
            base,
            block: 0,
            pc: 0,
            ret_dst,
            ext_import,
        });
        if self.host.tracing() {
            let args = self
                .regs
                .get(base..base + params)
                .ok_or_else(internal("argument registers"))?;
            self.host
                .trace_call(self_addr, func, ext_import.is_some(), args);
        }
        self.check_widths(base, info, 0)
    }

    /// Pops the current frame returning `rs`; the words go to the caller's
    /// destination, or out of the transaction when the stack is empty.
    fn ret(&mut self, rs: Regs) -> Result<Option<Vec<U256>>, Failure> {
        let callee = self.frames.pop().ok_or_else(internal("empty call stack"))?;
        self.host.leave();
        let src = callee.base + usize::from(rs.start.0);
        let n = usize::from(rs.n);
        if self.host.tracing() {
            let words = self
                .regs
                .get(src..src + n)
                .ok_or_else(internal("return registers"))?;
            self.host.trace_return(words);
        }
        let Some(caller) = self.frames.last() else {
            let words = self
                .regs
                .get(src..src + n)
                .ok_or_else(internal("return registers"))?;
            return Ok(Some(words.to_vec()));
        };
        if callee.ret_dst.n != rs.n {
            return Err(internal("return width mismatch")());
        }
        let dst = caller.base + usize::from(callee.ret_dst.start.0);
        if src + n > self.regs.len() || dst + n > self.regs.len() {
            return Err(internal("return registers")());
        }
        if let Some(import) = callee.ext_import {
            let words = self
                .regs
                .get(src..src + n)
                .ok_or_else(internal("return registers"))?;
            crate::host::check_return(caller.module, import, words)?;
        }
        self.regs.copy_within(src..src + n, dst);
        Ok(None)
    }

    fn get(&self, base: usize, r: Reg) -> Result<U256, Failure> {
        self.regs
            .get(base + usize::from(r.0))
            .copied()
            .ok_or_else(internal("register out of range"))
    }

    fn set(&mut self, base: usize, r: Reg, v: U256) -> Result<(), Failure> {
        let slot = self
            .regs
            .get_mut(base + usize::from(r.0))
            .ok_or_else(internal("register out of range"))?;
        *slot = v;
        Ok(())
    }

    /// Executes one straight-line instruction; `pc` is the index of the next one.
    fn step(&mut self, frame: &Frame<'a>, ins: &'a Instr, pc: usize) -> Result<Flow, Failure> {
        let base = frame.base;
        let value = match ins {
            Instr::Const { dst, idx } => {
                let idx = usize::try_from(*idx).map_err(|_| internal("constant index")())?;
                let v = *frame
                    .module
                    .module
                    .consts
                    .get(idx)
                    .ok_or_else(internal("constant index"))?;
                (*dst, v)
            }
            Instr::Mov { dst, src } => (*dst, self.get(base, *src)?),
            Instr::Arith {
                op,
                width,
                dst,
                a,
                b,
            } => {
                let (a, b) = (self.get(base, *a)?, self.get(base, *b)?);
                (*dst, arith(*op, *width, a, b).map_err(Failure::Panic)?)
            }
            Instr::Cmp { op, dst, a, b } => {
                (*dst, cmp(*op, self.get(base, *a)?, self.get(base, *b)?))
            }
            Instr::Not { width, dst, src } => (*dst, not(*width, self.get(base, *src)?)),
            Instr::Cast { width, dst, src } => (
                *dst,
                cast(*width, self.get(base, *src)?).map_err(Failure::Panic)?,
            ),
            Instr::Sqrt { dst, src } => (*dst, sqrt(self.get(base, *src)?)),
            Instr::MulDiv {
                round_up,
                width,
                dst,
                a,
                b,
                d,
            } => {
                let (a, b, d) = (
                    self.get(base, *a)?,
                    self.get(base, *b)?,
                    self.get(base, *d)?,
                );
                (
                    *dst,
                    mul_div(*width, *round_up, a, b, d).map_err(Failure::Panic)?,
                )
            }
            Instr::Caller { dst } => (*dst, addr_word(&frame.caller)),
            Instr::SelfAddr { dst } => (*dst, addr_word(&frame.self_addr)),
            Instr::BlockNumber { dst } => (*dst, U256::from(self.host.block().number)),
            Instr::BlockTimestamp { dst } => (*dst, U256::from(self.host.block().timestamp)),
            Instr::SubAccount { dst, key } => {
                let words = range(&self.regs, base, *key)?;
                let sub = self.host.sub_account(&frame.self_addr, words);
                (*dst, address_to_word(&sub))
            }
            Instr::SLoad { field, key, dst } => {
                let key = self.host.storage_key(range(&self.regs, base, *key)?);
                let start = base + usize::from(dst.start.0);
                let out = self
                    .regs
                    .get_mut(start..start + usize::from(dst.n))
                    .ok_or_else(internal("register range out of range"))?;
                self.host
                    .sload(frame.module, &frame.self_addr, *field, key, out)?;
                return Ok(Flow::Next);
            }
            Instr::SStore { field, key, src } => {
                let key = self.host.storage_key(range(&self.regs, base, *key)?);
                let src = range(&self.regs, base, *src)?;
                self.host
                    .sstore(frame.module, &frame.self_addr, *field, key, src)?;
                return Ok(Flow::Next);
            }
            Instr::Call { func, args, dst } => {
                self.call(frame, pc, *func, *args, *dst)?;
                return Ok(Flow::Switch);
            }
            Instr::CallExt {
                import,
                target,
                args,
                dst,
                sub_key,
            } => {
                self.call_ext(frame, pc, *import, *target, *args, *dst, *sub_key)?;
                return Ok(Flow::Switch);
            }
            Instr::Emit { event, args } => {
                let words = range(&self.regs, base, *args)?;
                self.host.emit(frame.module, frame.self_addr, *event, words);
                return Ok(Flow::Next);
            }
            Instr::Require { cond, msg } => {
                if self.get(base, *cond)?.is_zero() {
                    return Err(revert(frame.module, *msg));
                }
                return Ok(Flow::Next);
            }
        };
        self.set(base, value.0, value.1)?;
        Ok(Flow::Next)
    }
}

/// The index of `func` in `module` (the failure path: frames hold the function).
fn function_index(module: &VerifiedModule, func: &Function) -> u16 {
    module
        .module
        .functions
        .iter()
        .position(|f| std::ptr::eq(f, func))
        .and_then(|i| u16::try_from(i).ok())
        .unwrap_or(u16::MAX)
}

/// [`address_to_word`], inlined here (`Caller` and `SelfAddr` run it).
#[inline]
fn addr_word(a: &Address) -> U256 {
    let mut b = [0u8; 32];
    if let Some(dst) = b.get_mut(12..) {
        dst.copy_from_slice(a);
    }
    U256::from_be_bytes(b)
}

/// The registers `rs` of the frame at `base`.
fn range(regs: &[U256], base: usize, rs: Regs) -> Result<&[U256], Failure> {
    let start = base + usize::from(rs.start.0);
    regs.get(start..start + usize::from(rs.n))
        .ok_or_else(internal("register range out of range"))
}

/// The engine the interpreter's test modules run on (`jit::tests` runs them on the JIT).
#[cfg(test)]
const TEST_ENGINE: crate::EngineKind = crate::EngineKind::Interp;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_gas;
