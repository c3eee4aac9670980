//! Bytecode to Cranelift IR.
//!
//! Every bytecode function becomes one Cranelift function `(ctx, env) -> status`
//! (see [`super::host_fns`]). Its shape:
//!
//! - **Entry**: the host's frame entry (`braid_enter`: call depth, then frame setup and
//!   the entry block's gas), then the parameters read from the spill buffer into
//!   their variables and every other register set to zero, then the entry block's
//!   body (its gas is already charged).
//! - **Blocks**: every jump and each edge of a branch charges its target block (its
//!   precomputed gas checked against the counter in the context, and subtracted;
//!   with too little left the counter becomes 0 and the function returns
//!   `OUT_OF_GAS`) before entering its body: a block's cost is charged on every
//!   entry, as the interpreter charges it, and the failure is located at the
//!   jumping terminator, as the interpreter locates it.
//! - **Failures** record the frame (function, code offset) through `braid_frame` on
//!   their way out; a status coming back from a call records the caller at the call.
//!   A failed frame entry records nothing (the frame never started).
//! - **Gas** is a variable, stored to the context before every call and exit and
//!   reloaded after calls (which charge their frames).
//! - **Registers** are variables, one per 64-bit limb the register may need
//!   ([`super::layout`]); every definition writes all of them.
//! - **Checked u8/u64/u128 arithmetic** is inline (u128: add, sub, mul, wrapping
//!   forms, bitwise, min, max on two limbs): an overflow, underflow, zero divisor or
//!   failed conversion branches to a cold block returning the panic's status. No
//!   trapping instruction is emitted (division runs only after its divisor was
//!   tested). Everything else (u256, u128 division and shifts, `**`, `mul_div`,
//!   `sqrt`) stages its operands in the spill buffer and calls a host function
//!   running the interpreter's code.
//! - **Calls**: arguments staged in the spill buffer, a direct native call of the
//!   callee (which enters its frame through the host, so call depth is the host's
//!   explicit counter), any non-zero status passed straight up, results read back.

use super::JitError;
use super::host_fns::{
    ARITH_OPS, CTX_GAS, CTX_NUMBER, CTX_SPILL, CTX_TIMESTAMP, ENV_CALLER, ENV_SELF, WIDTHS, status,
    symbols,
};
use super::layout::{FunctionLayout, function_layout};
use crate::verify::VerifiedModule;
use crate::verify::widths::{self, RegWidth};
use braid_bytecode::{ArithOp, CmpOp, Instr, Reg, Regs, Terminator, Width};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Signature, UserFuncName, Value, types,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, ir};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module};

const I64: ir::Type = types::I64;
const I32: ir::Type = types::I32;

/// Host function indices in [`symbols`] order.
mod h {
    pub const ENTER: usize = 0;
    pub const LEAVE: usize = 1;
    pub const ARITH: usize = 2;
    pub const MUL_DIV: usize = 3;
    pub const SQRT: usize = 4;
    pub const SUB_ACCOUNT: usize = 5;
    pub const SLOAD: usize = 6;
    pub const SSTORE: usize = 7;
    pub const EMIT: usize = 8;
    pub const REVERT: usize = 9;
    pub const CALL_EXT: usize = 10;
    pub const FRAME: usize = 11;
}

/// A JIT module for this machine, with the host functions registered.
pub(crate) fn new_module() -> Result<JITModule, JitError> {
    let unsupported = |e: &dyn std::fmt::Display| JitError::Unsupported(e.to_string());
    let mut flags = settings::builder();
    // Cranelift's IR verifier checks every function it compiles: on in debug builds
    // (tests), off in release builds, where it would only slow compilation.
    let verifier = if cfg!(debug_assertions) {
        "true"
    } else {
        "false"
    };
    for (k, v) in [
        ("enable_verifier", verifier),
        ("opt_level", "speed"),
        ("use_colocated_libcalls", "false"),
        ("is_pic", "false"),
    ] {
        flags.set(k, v).map_err(|e| unsupported(&e))?;
    }
    let isa = cranelift_native::builder()
        .map_err(|e| unsupported(&e))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| unsupported(&e))?;
    if isa.pointer_type() != I64 {
        return Err(JitError::Unsupported("pointers are not 64-bit".to_string()));
    }
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    for (name, ptr, _) in symbols() {
        builder.symbol(name, ptr);
    }
    Ok(JITModule::new(builder))
}

/// The declared host functions and bytecode functions of one module.
pub(crate) struct Declared {
    helpers: Vec<FuncId>,
    /// One per bytecode function, same indices.
    pub funcs: Vec<FuncId>,
}

fn codegen_err(func: &str, e: impl std::fmt::Debug) -> JitError {
    JitError::Codegen {
        func: func.to_string(),
        what: format!("{e:?}"),
    }
}

/// Declares the host functions and every function of `module` in `jit`.
pub(crate) fn declare(jit: &mut JITModule, module: &VerifiedModule) -> Result<Declared, JitError> {
    let mut helpers = Vec::new();
    for (name, _, params) in symbols() {
        let mut sig = jit.make_signature();
        sig.params
            .extend(std::iter::repeat_n(AbiParam::new(I64), params));
        sig.returns.push(AbiParam::new(I32));
        helpers.push(
            jit.declare_function(name, Linkage::Import, &sig)
                .map_err(|e| codegen_err(name, e))?,
        );
    }
    let sig = function_signature(jit);
    let funcs = module
        .module
        .functions
        .iter()
        .enumerate()
        .map(|(i, f)| {
            jit.declare_function(&format!("f{i}"), Linkage::Local, &sig)
                .map_err(|e| codegen_err(&f.name, e))
        })
        .collect::<Result<_, _>>()?;
    Ok(Declared { helpers, funcs })
}

fn function_signature(jit: &JITModule) -> Signature {
    let mut sig = jit.make_signature();
    sig.params.push(AbiParam::new(I64));
    sig.params.push(AbiParam::new(I64));
    sig.returns.push(AbiParam::new(I32));
    sig
}

/// Translates function `fi` of `module` into `ctx.func` (not yet defined in `jit`).
pub(crate) fn translate(
    jit: &mut JITModule,
    decl: &Declared,
    module: &VerifiedModule,
    declared: &widths::DeclaredOwned,
    fi: usize,
    ctx: &mut Context,
    fctx: &mut FunctionBuilderContext,
) -> Result<(), JitError> {
    let (Some(func), Some(info), Some(&id)) = (
        module.module.functions.get(fi),
        module.functions.get(fi),
        decl.funcs.get(fi),
    ) else {
        return Err(JitError::Facts {
            func: format!("#{fi}"),
            what: "function index out of range".to_string(),
        });
    };
    let layout = function_layout(module, declared, func, info)?;
    ctx.func.signature = function_signature(jit);
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    let helpers: Vec<FuncRef> = decl
        .helpers
        .iter()
        .map(|h| jit.declare_func_in_func(*h, &mut ctx.func))
        .collect();
    let funcs: Vec<FuncRef> = decl
        .funcs
        .iter()
        .map(|f| jit.declare_func_in_func(*f, &mut ctx.func))
        .collect();
    let b = FunctionBuilder::new(&mut ctx.func, fctx);
    let mut t = Tr::new(b, module, &layout, helpers, funcs, &func.name);
    t.function(fi, func, info)?;
    t.b.seal_all_blocks();
    t.b.finalize(jit.target_config());
    Ok(())
}

/// The Cranelift IR of every function of `module`, with the function's name.
pub fn clif(module: &VerifiedModule) -> Result<Vec<(String, String)>, JitError> {
    let mut jit = new_module()?;
    let result = (|| {
        let decl = declare(&mut jit, module)?;
        let declared = widths::declared_of(&module.module);
        let mut ctx = jit.make_context();
        let mut fctx = FunctionBuilderContext::new();
        let mut out = Vec::new();
        for (fi, f) in module.module.functions.iter().enumerate() {
            translate(&mut jit, &decl, module, &declared, fi, &mut ctx, &mut fctx)?;
            out.push((f.name.clone(), ctx.func.display().to_string()));
            jit.clear_context(&mut ctx);
        }
        Ok(out)
    })();
    // SAFETY: nothing was defined or finalized in `jit`, so no pointer into its
    // memory exists.
    unsafe { jit.free_memory() };
    result
}

/// The translation state of one function.
struct Tr<'f, 'm> {
    b: FunctionBuilder<'f>,
    module: &'m VerifiedModule,
    layout: &'m FunctionLayout,
    name: &'m str,
    helpers: Vec<FuncRef>,
    funcs: Vec<FuncRef>,
    /// Per register, one variable per limb.
    vars: Vec<Vec<Variable>>,
    /// The gas counter, kept in a variable; stored to the context before every
    /// call and every exit, reloaded after calls that charge (calls).
    gas: Option<Variable>,
    /// The `ctx` and `env` parameters (defined in the entry block).
    ctx: Value,
    env: Value,
    /// Per bytecode block: its body, for reachable blocks.
    blocks: Vec<Option<Block>>,
    /// This function's index.
    fi: i64,
    /// Each block's gas.
    block_gas: Vec<u64>,
    /// The code offset being translated (block, instruction).
    at: (u32, u32),
    /// Cold exits per status (index = status).
    exits: [Option<Block>; 8],
    /// Returns its `i32` parameter.
    propagate: Option<Block>,
    /// Cold blocks that revert with a message, filled last (with their offset).
    reverts: Vec<(Block, u32, (u32, u32))>,
}

fn mem() -> MemFlagsData {
    MemFlagsData::trusted()
}

impl<'f, 'm> Tr<'f, 'm> {
    fn new(
        b: FunctionBuilder<'f>,
        module: &'m VerifiedModule,
        layout: &'m FunctionLayout,
        helpers: Vec<FuncRef>,
        funcs: Vec<FuncRef>,
        name: &'m str,
    ) -> Self {
        Tr {
            b,
            module,
            layout,
            name,
            helpers,
            funcs,
            vars: Vec::new(),
            gas: None,
            ctx: Value::from_u32(0),
            env: Value::from_u32(0),
            blocks: Vec::new(),
            fi: 0,
            block_gas: Vec::new(),
            at: (0, 0),
            exits: [None; 8],
            propagate: None,
            reverts: Vec::new(),
        }
    }

    fn facts(&self, what: &str) -> JitError {
        JitError::Facts {
            func: self.name.to_string(),
            what: what.to_string(),
        }
    }

    fn function(
        &mut self,
        fi: usize,
        func: &braid_bytecode::Function,
        info: &crate::verify::FunctionInfo,
    ) -> Result<(), JitError> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let params = self.b.block_params(entry).to_vec();
        let (Some(&ctx), Some(&env)) = (params.first(), params.get(1)) else {
            return Err(self.facts("function parameters"));
        };
        self.ctx = ctx;
        self.env = env;
        self.fi = i64::try_from(fi).map_err(|_| self.facts("function index"))?;
        self.block_gas = info.block_gas.clone();
        for s in [
            status::OVERFLOW,
            status::UNDERFLOW,
            status::DIV_ZERO,
            status::CONVERSION,
            status::OUT_OF_GAS,
        ] {
            let blk = self.b.create_block();
            self.b.set_cold_block(blk);
            self.b.append_block_param(blk, I64);
            self.b.append_block_param(blk, I64);
            if let Some(slot) = self.exits.get_mut(s as usize) {
                *slot = Some(blk);
            }
        }
        let prop = self.b.create_block();
        self.b.set_cold_block(prop);
        self.b.append_block_param(prop, I32);
        self.b.append_block_param(prop, I64);
        self.propagate = Some(prop);
        self.vars = self
            .layout
            .limbs
            .iter()
            .map(|&n| (0..n).map(|_| self.b.declare_var(I64)).collect())
            .collect();
        self.blocks = self
            .layout
            .reached
            .iter()
            .map(|&r| r.then(|| self.b.create_block()))
            .collect();

        // Entry: the host's frame entry (a failure there is the caller's, at its
        // call: this frame never started), parameters, zeroed registers.
        let fiv = self.b.ins().iconst(I64, self.fi);
        let enter = *self
            .helpers
            .get(h::ENTER)
            .ok_or_else(|| self.facts("host function"))?;
        let call = self.b.ins().call(enter, &[ctx, env, fiv]);
        let st = *self
            .b
            .inst_results(call)
            .first()
            .ok_or_else(|| self.facts("host function result"))?;
        let failed = self.b.create_block();
        self.b.set_cold_block(failed);
        self.b.append_block_param(failed, I32);
        let go = self.b.create_block();
        self.b
            .ins()
            .brif(st, failed, &[ir::BlockArg::Value(st)], go, &[]);
        self.b.switch_to_block(failed);
        let fst = *self
            .b
            .block_params(failed)
            .first()
            .ok_or_else(|| self.facts("entry failure parameter"))?;
        self.b.ins().return_(&[fst]);
        self.b.switch_to_block(go);
        let gas = self.b.declare_var(I64);
        self.gas = Some(gas);
        self.reload_gas()?;
        let p = self.spill_ptr();
        for r in 0..usize::from(info.param_words) {
            self.spill_load(p, r, r)?;
        }
        for r in usize::from(info.param_words)..usize::from(func.n_regs) {
            self.write(r, &[]);
        }
        let body0 = self.block(0)?;
        self.b.ins().jump(body0, &[]);

        for (bi, block) in func.blocks.iter().enumerate() {
            let Some(Some(body)) = self.blocks.get(bi).copied() else {
                continue;
            };
            self.b.switch_to_block(body);
            let bi32 = u32::try_from(bi).map_err(|_| self.facts("block index"))?;
            for (ii, ins) in block.instrs.iter().enumerate() {
                self.at = (
                    bi32,
                    u32::try_from(ii).map_err(|_| self.facts("instruction index"))?,
                );
                self.instr(ins)?;
            }
            // The terminator's failures (a successor's gas, a revert) are located
            // at the terminator.
            self.at = (
                bi32,
                u32::try_from(block.instrs.len()).map_err(|_| self.facts("instruction index"))?,
            );
            self.terminator(&block.term)?;
        }
        self.fill_exits()
    }

    /// The body block of bytecode block `b`.
    fn block(&self, b: usize) -> Result<Block, JitError> {
        self.blocks
            .get(b)
            .copied()
            .flatten()
            .ok_or_else(|| self.facts("a jump to a block without width facts"))
    }

    fn exit(&self, s: u32) -> Result<Block, JitError> {
        self.exits
            .get(s as usize)
            .copied()
            .flatten()
            .ok_or_else(|| self.facts("exit block"))
    }

    /// The current code offset, packed as `block << 32 | instr`.
    fn loc(&mut self) -> Value {
        let (b, i) = self.at;
        let packed = (u64::from(b) << 32) | u64::from(i);
        self.b.ins().iconst(I64, packed as i64)
    }

    /// Records this frame, at the packed offset `loc`, in the failure's stack.
    fn record_frame(&mut self, loc: Value) -> Result<(), JitError> {
        let f = *self
            .helpers
            .get(h::FRAME)
            .ok_or_else(|| self.facts("host function"))?;
        let fiv = self.b.ins().iconst(I64, self.fi);
        self.b.ins().call(f, &[self.ctx, self.env, fiv, loc]);
        Ok(())
    }

    fn fill_exits(&mut self) -> Result<(), JitError> {
        for s in [
            status::OVERFLOW,
            status::UNDERFLOW,
            status::DIV_ZERO,
            status::CONVERSION,
            status::OUT_OF_GAS,
        ] {
            let blk = self.exit(s)?;
            self.b.switch_to_block(blk);
            let (loc, gas) = match self.b.block_params(blk) {
                &[loc, gas] => (loc, gas),
                _ => return Err(self.facts("exit block parameters")),
            };
            let left = if s == status::OUT_OF_GAS {
                self.b.ins().iconst(I64, 0)
            } else {
                gas
            };
            self.b.ins().store(mem(), left, self.ctx, CTX_GAS);
            self.record_frame(loc)?;
            let v = self.b.ins().iconst(I32, i64::from(s));
            self.b.ins().return_(&[v]);
        }
        let prop = self
            .propagate
            .ok_or_else(|| self.facts("propagate block"))?;
        self.b.switch_to_block(prop);
        let (st, loc) = match self.b.block_params(prop) {
            &[st, loc] => (st, loc),
            _ => return Err(self.facts("propagate block parameters")),
        };
        self.record_frame(loc)?;
        self.b.ins().return_(&[st]);
        for (blk, msg, at) in std::mem::take(&mut self.reverts) {
            self.b.switch_to_block(blk);
            self.at = at;
            self.revert(msg)?;
        }
        Ok(())
    }

    /// The gas rule on entering bytecode block `target` (from the current
    /// terminator): its cost checked against the counter, then subtracted; continue
    /// at its body.
    fn goto(&mut self, target: usize) -> Result<(), JitError> {
        let body = self.block(target)?;
        let cost = *self
            .block_gas
            .get(target)
            .ok_or_else(|| self.facts("block gas"))?;
        let var = self.gas_var()?;
        let g = self.b.use_var(var);
        // Costs are far below 2^63; the comparison is unsigned either way.
        let c = self.b.ins().iconst(I64, cost as i64);
        let short = self.b.ins().icmp(IntCC::UnsignedLessThan, g, c);
        self.check(short, status::OUT_OF_GAS)?;
        let left = self.b.ins().isub(g, c);
        self.b.def_var(var, left);
        self.b.ins().jump(body, &[]);
        Ok(())
    }

    fn gas_var(&self) -> Result<Variable, JitError> {
        self.gas.ok_or_else(|| self.facts("gas variable"))
    }

    /// Stores the gas counter to the context (before a call or an exit).
    fn spill_gas(&mut self) -> Result<(), JitError> {
        let g = self.b.use_var(self.gas_var()?);
        self.b.ins().store(mem(), g, self.ctx, CTX_GAS);
        Ok(())
    }

    /// Reloads the gas counter from the context (after a call that charges).
    fn reload_gas(&mut self) -> Result<(), JitError> {
        let g = self.b.ins().load(I64, mem(), self.ctx, CTX_GAS);
        self.b.def_var(self.gas_var()?, g);
        Ok(())
    }

    /// Continues in a new block when `cond` is zero, else exits with status `s`
    /// (recording this frame at the current offset). The offset is materialized
    /// in a cold block of its own, off the hot path.
    fn check(&mut self, cond: Value, s: u32) -> Result<(), JitError> {
        let exit = self.exit(s)?;
        let site = self.b.create_block();
        self.b.set_cold_block(site);
        let cont = self.b.create_block();
        self.b.ins().brif(cond, site, &[], cont, &[]);
        self.b.switch_to_block(site);
        let loc = self.loc();
        let gas = self.b.use_var(self.gas_var()?);
        self.b
            .ins()
            .jump(exit, &[ir::BlockArg::Value(loc), ir::BlockArg::Value(gas)]);
        self.b.switch_to_block(cont);
        Ok(())
    }

    /// Calls host function `i` (the gas counter stored first, and reloaded after
    /// an external call) and passes a non-zero status up.
    fn call_helper(&mut self, i: usize, args: &[Value]) -> Result<(), JitError> {
        let f = *self
            .helpers
            .get(i)
            .ok_or_else(|| self.facts("host function"))?;
        self.spill_gas()?;
        let call = self.b.ins().call(f, args);
        let st = *self
            .b
            .inst_results(call)
            .first()
            .ok_or_else(|| self.facts("host function result"))?;
        self.pass_status(st)
    }

    /// Passes a non-zero status up, recording this frame at the current offset.
    fn pass_status(&mut self, st: Value) -> Result<(), JitError> {
        let prop = self
            .propagate
            .ok_or_else(|| self.facts("propagate block"))?;
        let loc = self.loc();
        let cont = self.b.create_block();
        self.b.ins().brif(
            st,
            prop,
            &[ir::BlockArg::Value(st), ir::BlockArg::Value(loc)],
            cont,
            &[],
        );
        self.b.switch_to_block(cont);
        Ok(())
    }

    fn imm(&mut self, v: u64) -> Value {
        self.b.ins().iconst(I64, v as i64)
    }

    fn limbs(&self, r: Reg) -> usize {
        self.layout
            .limbs
            .get(usize::from(r.0))
            .copied()
            .unwrap_or(1)
    }

    /// The first `n` limbs of register `r` (zero beyond its variables).
    fn read(&mut self, r: Reg, n: usize) -> Result<Vec<Value>, JitError> {
        let vars = self
            .vars
            .get(usize::from(r.0))
            .ok_or_else(|| self.facts("register out of range"))?
            .clone();
        Ok((0..n)
            .map(|i| match vars.get(i) {
                Some(v) => self.b.use_var(*v),
                None => self.b.ins().iconst(I64, 0),
            })
            .collect())
    }

    /// Defines every limb of register `r` from `vals` (zero beyond them).
    fn write(&mut self, r: usize, vals: &[Value]) {
        let Some(vars) = self.vars.get(r).cloned() else {
            return;
        };
        for (i, var) in vars.iter().enumerate() {
            let v = match vals.get(i) {
                Some(v) => *v,
                None => self.b.ins().iconst(I64, 0),
            };
            self.b.def_var(*var, v);
        }
    }

    fn write_reg(&mut self, r: Reg, vals: &[Value]) {
        self.write(usize::from(r.0), vals);
    }

    /// The spill buffer's current address.
    fn spill_ptr(&mut self) -> Value {
        self.b.ins().load(I64, mem(), self.ctx, CTX_SPILL)
    }

    fn word_offset(word: usize, limb: usize) -> Result<i32, JitError> {
        i32::try_from(word * 32 + limb * 8).map_err(|_| JitError::Facts {
            func: String::new(),
            what: "spill offset".to_string(),
        })
    }

    /// Stores register `r` as the whole word `word` of the spill buffer at `p`.
    fn spill_store(&mut self, p: Value, word: usize, r: Reg) -> Result<(), JitError> {
        let vals = self.read(r, 4)?;
        for (l, v) in vals.into_iter().enumerate() {
            let off = Self::word_offset(word, l)?;
            self.b.ins().store(mem(), v, p, off);
        }
        Ok(())
    }

    fn spill_store_range(&mut self, p: Value, first: usize, rs: Regs) -> Result<(), JitError> {
        for i in 0..usize::from(rs.n) {
            let r = reg_at(rs, i).ok_or_else(|| self.facts("register range"))?;
            self.spill_store(p, first + i, r)?;
        }
        Ok(())
    }

    /// Loads word `word` of the spill buffer at `p` into register number `r`.
    fn spill_load(&mut self, p: Value, word: usize, r: usize) -> Result<(), JitError> {
        let n = self.layout.limbs.get(r).copied().unwrap_or(0);
        let mut vals = Vec::with_capacity(n);
        for l in 0..n {
            let off = Self::word_offset(word, l)?;
            vals.push(self.b.ins().load(I64, mem(), p, off));
        }
        self.write(r, &vals);
        Ok(())
    }

    fn spill_load_range(&mut self, rs: Regs) -> Result<(), JitError> {
        let p = self.spill_ptr();
        for i in 0..usize::from(rs.n) {
            let r = reg_at(rs, i).ok_or_else(|| self.facts("register range"))?;
            self.spill_load(p, i, usize::from(r.0))?;
        }
        Ok(())
    }

    /// 1 (as `i8`) when any of `vals` is non-zero.
    fn any_nonzero(&mut self, vals: &[Value]) -> Value {
        let mut acc = match vals.first() {
            Some(v) => *v,
            None => self.b.ins().iconst(I64, 0),
        };
        for v in vals.iter().skip(1) {
            acc = self.b.ins().bor(acc, *v);
        }
        self.b.ins().icmp_imm_u(IntCC::NotEqual, acc, 0)
    }

    fn nonzero(&mut self, r: Reg) -> Result<Value, JitError> {
        let n = self.limbs(r);
        let vals = self.read(r, n)?;
        Ok(self.any_nonzero(&vals))
    }

    fn instr(&mut self, ins: &Instr) -> Result<(), JitError> {
        match ins {
            Instr::Const { dst, idx } => {
                let v = usize::try_from(*idx)
                    .ok()
                    .and_then(|i| self.module.module.consts.get(i))
                    .ok_or_else(|| self.facts("constant index"))?;
                let limbs: Vec<Value> = v.as_limbs().iter().map(|l| self.imm(*l)).collect();
                self.write_reg(*dst, &limbs);
            }
            Instr::Mov { dst, src } => {
                let n = self.limbs(*src);
                let vals = self.read(*src, n)?;
                self.write_reg(*dst, &vals);
            }
            Instr::Arith {
                op,
                width,
                dst,
                a,
                b,
            } => self.arith(*op, *width, *dst, *a, *b)?,
            Instr::Cmp { op, dst, a, b } => {
                let n = self.limbs(*a).max(self.limbs(*b));
                let av = self.read(*a, n)?;
                let bv = self.read(*b, n)?;
                let r = match op {
                    CmpOp::Eq | CmpOp::Ne => {
                        let diffs: Vec<Value> = av
                            .iter()
                            .zip(&bv)
                            .map(|(x, y)| self.b.ins().bxor(*x, *y))
                            .collect();
                        let ne = self.any_nonzero(&diffs);
                        if *op == CmpOp::Ne {
                            ne
                        } else {
                            self.b.ins().bxor_imm_u(ne, 1)
                        }
                    }
                    CmpOp::Lt => self.less(&av, &bv),
                    CmpOp::Gt => self.less(&bv, &av),
                    CmpOp::Ge => {
                        let lt = self.less(&av, &bv);
                        self.b.ins().bxor_imm_u(lt, 1)
                    }
                    CmpOp::Le => {
                        let gt = self.less(&bv, &av);
                        self.b.ins().bxor_imm_u(gt, 1)
                    }
                };
                let r = self.b.ins().uextend(I64, r);
                self.write_reg(*dst, &[r]);
            }
            Instr::Not { width, dst, src } => {
                let vals = match width {
                    None => {
                        let nz = self.nonzero(*src)?;
                        let z = self.b.ins().bxor_imm_u(nz, 1);
                        vec![self.b.ins().uextend(I64, z)]
                    }
                    Some(w) => {
                        let n = RegWidth::of(*w).limbs();
                        let vals = self.read(*src, n)?;
                        let mut out: Vec<Value> =
                            vals.iter().map(|v| self.b.ins().bnot(*v)).collect();
                        if *w == Width::W8
                            && let Some(v) = out.first_mut()
                        {
                            *v = self.b.ins().band_imm_u(*v, 0xff);
                        }
                        out
                    }
                };
                self.write_reg(*dst, &vals);
            }
            Instr::Cast { width, dst, src } => {
                let n = self.limbs(*src);
                let vals = self.read(*src, n)?;
                let keep = RegWidth::of(*width).limbs();
                let upper: Vec<Value> = vals.iter().skip(keep).copied().collect();
                let mut bad = if upper.is_empty() {
                    None
                } else {
                    Some(self.any_nonzero(&upper))
                };
                if *width == Width::W8
                    && let Some(&l0) = vals.first()
                {
                    let big = self
                        .b
                        .ins()
                        .icmp_imm_u(IntCC::UnsignedGreaterThan, l0, 0xff);
                    bad = Some(match bad {
                        Some(x) => self.b.ins().bor(x, big),
                        None => big,
                    });
                }
                if let Some(bad) = bad {
                    self.check(bad, status::CONVERSION)?;
                }
                self.write_reg(*dst, &vals);
            }
            Instr::Sqrt { dst, src } => {
                let p = self.spill_ptr();
                self.spill_store(p, 0, *src)?;
                self.call_helper(h::SQRT, &[self.ctx])?;
                self.spill_load_range(one(*dst))?;
            }
            Instr::MulDiv {
                round_up,
                width,
                dst,
                a,
                b,
                d,
            } => {
                let p = self.spill_ptr();
                self.spill_store(p, 0, *a)?;
                self.spill_store(p, 1, *b)?;
                self.spill_store(p, 2, *d)?;
                let w = self.imm(width_code(*width));
                let up = self.imm(u64::from(*round_up));
                self.call_helper(h::MUL_DIV, &[self.ctx, w, up])?;
                self.spill_load_range(one(*dst))?;
            }
            Instr::Caller { dst } => self.load_word(self.env, ENV_CALLER, *dst)?,
            Instr::SelfAddr { dst } => self.load_word(self.env, ENV_SELF, *dst)?,
            Instr::BlockNumber { dst } => {
                let v = self.b.ins().load(I64, mem(), self.ctx, CTX_NUMBER);
                self.write_reg(*dst, &[v]);
            }
            Instr::BlockTimestamp { dst } => {
                let v = self.b.ins().load(I64, mem(), self.ctx, CTX_TIMESTAMP);
                self.write_reg(*dst, &[v]);
            }
            Instr::SubAccount { dst, key } => {
                let p = self.spill_ptr();
                self.spill_store_range(p, 0, *key)?;
                let n = self.imm(u64::from(key.n));
                self.call_helper(h::SUB_ACCOUNT, &[self.ctx, self.env, n])?;
                self.spill_load_range(one(*dst))?;
            }
            Instr::SLoad { field, key, dst } => {
                let p = self.spill_ptr();
                self.spill_store_range(p, 0, *key)?;
                let f = self.imm(u64::from(*field));
                let nk = self.imm(u64::from(key.n));
                let nv = self.imm(u64::from(dst.n));
                self.call_helper(h::SLOAD, &[self.ctx, self.env, f, nk, nv])?;
                self.spill_load_range(*dst)?;
            }
            Instr::SStore { field, key, src } => {
                let p = self.spill_ptr();
                self.spill_store_range(p, 0, *key)?;
                self.spill_store_range(p, usize::from(key.n), *src)?;
                let f = self.imm(u64::from(*field));
                let nk = self.imm(u64::from(key.n));
                let nv = self.imm(u64::from(src.n));
                self.call_helper(h::SSTORE, &[self.ctx, self.env, f, nk, nv])?;
            }
            Instr::Call { func, args, dst } => {
                let p = self.spill_ptr();
                self.spill_store_range(p, 0, *args)?;
                let f = *self
                    .funcs
                    .get(usize::from(*func))
                    .ok_or_else(|| self.facts("function index"))?;
                self.spill_gas()?;
                let call = self.b.ins().call(f, &[self.ctx, self.env]);
                let st = *self
                    .b
                    .inst_results(call)
                    .first()
                    .ok_or_else(|| self.facts("call result"))?;
                self.pass_status(st)?;
                self.reload_gas()?;
                self.spill_load_range(*dst)?;
            }
            Instr::CallExt {
                import,
                target,
                args,
                dst,
                sub_key,
            } => {
                let p = self.spill_ptr();
                self.spill_store(p, 0, *target)?;
                self.spill_store_range(p, 1, *args)?;
                if let Some(k) = sub_key {
                    self.spill_store_range(p, 1 + usize::from(args.n), *k)?;
                }
                let imp = self.imm(u64::from(*import));
                let na = self.imm(u64::from(args.n));
                let ns = self.imm(sub_key.map_or(0, |k| u64::from(k.n) + 1));
                let nr = self.imm(u64::from(dst.n));
                self.call_helper(h::CALL_EXT, &[self.ctx, self.env, imp, na, ns, nr])?;
                self.reload_gas()?;
                self.spill_load_range(*dst)?;
            }
            Instr::Emit { event, args } => {
                let p = self.spill_ptr();
                self.spill_store_range(p, 0, *args)?;
                let e = self.imm(u64::from(*event));
                let n = self.imm(u64::from(args.n));
                self.call_helper(h::EMIT, &[self.ctx, self.env, e, n])?;
            }
            Instr::Require { cond, msg } => {
                let nz = self.nonzero(*cond)?;
                let fail = self.b.create_block();
                self.b.set_cold_block(fail);
                self.reverts.push((fail, *msg, self.at));
                let cont = self.b.create_block();
                self.b.ins().brif(nz, cont, &[], fail, &[]);
                self.b.switch_to_block(cont);
            }
        }
        Ok(())
    }

    /// Fails the transaction with message `msg` (the host renders it), recording
    /// this frame at the current offset, and returns.
    fn revert(&mut self, msg: u32) -> Result<(), JitError> {
        let f = *self
            .helpers
            .get(h::REVERT)
            .ok_or_else(|| self.facts("host function"))?;
        let m = self.imm(u64::from(msg));
        self.spill_gas()?;
        let call = self.b.ins().call(f, &[self.ctx, self.env, m]);
        let st = *self
            .b
            .inst_results(call)
            .first()
            .ok_or_else(|| self.facts("host function result"))?;
        let loc = self.loc();
        self.record_frame(loc)?;
        self.b.ins().return_(&[st]);
        Ok(())
    }

    /// Loads the word at `base + off` into register `dst`.
    fn load_word(&mut self, base: Value, off: i32, dst: Reg) -> Result<(), JitError> {
        let n = self.limbs(dst);
        let vals: Vec<Value> = (0..n)
            .map(|l| {
                let o = off + i32::try_from(l * 8).unwrap_or(0);
                self.b.ins().load(I64, mem(), base, o)
            })
            .collect();
        self.write_reg(dst, &vals);
        Ok(())
    }

    /// `a < b` over limbs (least significant first), as `i8`.
    fn less(&mut self, a: &[Value], b: &[Value]) -> Value {
        let mut lt: Option<Value> = None;
        for (x, y) in a.iter().zip(b) {
            let l = self.b.ins().icmp(IntCC::UnsignedLessThan, *x, *y);
            lt = Some(match lt {
                None => l,
                Some(lower) => {
                    let eq = self.b.ins().icmp(IntCC::Equal, *x, *y);
                    self.b.ins().select(eq, lower, l)
                }
            });
        }
        lt.unwrap_or_else(|| self.b.ins().iconst(types::I8, 0))
    }

    fn terminator(&mut self, term: &Terminator) -> Result<(), JitError> {
        match term {
            Terminator::Jump(t) => self.goto(t.0 as usize)?,
            Terminator::Branch { cond, then, els } => {
                let nz = self.nonzero(*cond)?;
                let (t, e) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(nz, t, &[], e, &[]);
                self.b.switch_to_block(t);
                self.goto(then.0 as usize)?;
                self.b.switch_to_block(e);
                self.goto(els.0 as usize)?;
            }
            Terminator::Return(rs) => {
                let p = self.spill_ptr();
                self.spill_store_range(p, 0, *rs)?;
                let n = self.imm(u64::from(rs.n));
                self.call_helper(h::LEAVE, &[self.ctx, n])?;
                let ok = self.b.ins().iconst(I32, i64::from(status::OK));
                self.b.ins().return_(&[ok]);
            }
            Terminator::Revert(msg) => self.revert(*msg)?,
        }
        Ok(())
    }

    /// `dst = a op b` at `width`.
    fn arith(
        &mut self,
        op: ArithOp,
        width: Width,
        dst: Reg,
        a: Reg,
        b: Reg,
    ) -> Result<(), JitError> {
        if width == Width::W128 && Self::inline_u128(op) {
            return self.arith128(op, dst, a, b);
        }
        if !matches!(width, Width::W8 | Width::W64) || op == ArithOp::Pow {
            let p = self.spill_ptr();
            self.spill_store(p, 0, a)?;
            self.spill_store(p, 1, b)?;
            let code = ARITH_OPS
                .iter()
                .position(|o| *o == op)
                .ok_or_else(|| self.facts("arith op"))?;
            let o = self.imm(code as u64);
            let w = self.imm(width_code(width));
            self.call_helper(h::ARITH, &[self.ctx, o, w])?;
            return self.spill_load_range(one(dst));
        }
        let w8 = width == Width::W8;
        let bits: i64 = if w8 { 8 } else { 64 };
        let av = *self
            .read(a, 1)?
            .first()
            .ok_or_else(|| self.facts("operand"))?;
        let bn = if matches!(op, ArithOp::Shl | ArithOp::Shr) {
            self.limbs(b)
        } else {
            1
        };
        let bvals = self.read(b, bn)?;
        let bv = *bvals.first().ok_or_else(|| self.facts("operand"))?;
        let r = match op {
            ArithOp::Add => {
                if w8 {
                    let s = self.b.ins().iadd(av, bv);
                    let big = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, s, 0xff);
                    self.check(big, status::OVERFLOW)?;
                    s
                } else {
                    let (s, of) = self.b.ins().uadd_overflow(av, bv);
                    self.check(of, status::OVERFLOW)?;
                    s
                }
            }
            ArithOp::Sub => {
                let (d, uf) = self.b.ins().usub_overflow(av, bv);
                self.check(uf, status::UNDERFLOW)?;
                d
            }
            ArithOp::Mul => {
                if w8 {
                    let m = self.b.ins().imul(av, bv);
                    let big = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, m, 0xff);
                    self.check(big, status::OVERFLOW)?;
                    m
                } else {
                    let (m, of) = self.b.ins().umul_overflow(av, bv);
                    self.check(of, status::OVERFLOW)?;
                    m
                }
            }
            ArithOp::Div | ArithOp::Rem => {
                let zero = self.b.ins().icmp_imm_u(IntCC::Equal, bv, 0);
                self.check(zero, status::DIV_ZERO)?;
                if op == ArithOp::Div {
                    self.b.ins().udiv(av, bv)
                } else {
                    self.b.ins().urem(av, bv)
                }
            }
            ArithOp::WrappingAdd | ArithOp::WrappingSub | ArithOp::WrappingMul => {
                let r = match op {
                    ArithOp::WrappingAdd => self.b.ins().iadd(av, bv),
                    ArithOp::WrappingSub => self.b.ins().isub(av, bv),
                    _ => self.b.ins().imul(av, bv),
                };
                if w8 {
                    self.b.ins().band_imm_u(r, 0xff)
                } else {
                    r
                }
            }
            ArithOp::And => self.b.ins().band(av, bv),
            ArithOp::Or => self.b.ins().bor(av, bv),
            ArithOp::Xor => self.b.ins().bxor(av, bv),
            ArithOp::Shl | ArithOp::Shr => {
                let mut big = self
                    .b
                    .ins()
                    .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, bv, bits);
                let upper: Vec<Value> = bvals.iter().skip(1).copied().collect();
                if !upper.is_empty() {
                    let hi = self.any_nonzero(&upper);
                    big = self.b.ins().bor(big, hi);
                }
                let shifted = if op == ArithOp::Shl {
                    let s = self.b.ins().ishl(av, bv);
                    if w8 {
                        self.b.ins().band_imm_u(s, 0xff)
                    } else {
                        s
                    }
                } else {
                    self.b.ins().ushr(av, bv)
                };
                let zero = self.b.ins().iconst(I64, 0);
                self.b.ins().select(big, zero, shifted)
            }
            ArithOp::Min => self.b.ins().umin(av, bv),
            ArithOp::Max => self.b.ins().umax(av, bv),
            ArithOp::Pow => return Err(self.facts("pow is compiled as a host call")),
        };
        self.write_reg(dst, &[r]);
        Ok(())
    }
}

impl Tr<'_, '_> {
    /// The u128 operations compiled inline (the others call the host).
    fn inline_u128(op: ArithOp) -> bool {
        matches!(
            op,
            ArithOp::Add
                | ArithOp::Sub
                | ArithOp::Mul
                | ArithOp::WrappingAdd
                | ArithOp::WrappingSub
                | ArithOp::WrappingMul
                | ArithOp::And
                | ArithOp::Or
                | ArithOp::Xor
                | ArithOp::Min
                | ArithOp::Max
        )
    }

    /// `dst = a op b` at u128 on two limbs (operands verified below 2^128).
    fn arith128(&mut self, op: ArithOp, dst: Reg, a: Reg, b: Reg) -> Result<(), JitError> {
        let av = self.read(a, 2)?;
        let bv = self.read(b, 2)?;
        let (&[a0, a1], &[b0, b1]) = (av.as_slice(), bv.as_slice()) else {
            return Err(self.facts("u128 operands"));
        };
        let out = match op {
            ArithOp::Add | ArithOp::WrappingAdd => {
                let (lo, c) = self.b.ins().uadd_overflow(a0, b0);
                let c = self.b.ins().uextend(I64, c);
                let (h1, o1) = self.b.ins().uadd_overflow(a1, b1);
                let (hi, o2) = self.b.ins().uadd_overflow(h1, c);
                if op == ArithOp::Add {
                    let of = self.b.ins().bor(o1, o2);
                    self.check(of, status::OVERFLOW)?;
                }
                vec![lo, hi]
            }
            ArithOp::Sub | ArithOp::WrappingSub => {
                let (lo, bo) = self.b.ins().usub_overflow(a0, b0);
                let bo = self.b.ins().uextend(I64, bo);
                let (h1, u1) = self.b.ins().usub_overflow(a1, b1);
                let (hi, u2) = self.b.ins().usub_overflow(h1, bo);
                if op == ArithOp::Sub {
                    let uf = self.b.ins().bor(u1, u2);
                    self.check(uf, status::UNDERFLOW)?;
                }
                vec![lo, hi]
            }
            ArithOp::Mul => {
                // At most one high limb may be non-zero; the cross product and the
                // carries into the high limb must not overflow it.
                let a1nz = self.b.ins().icmp_imm_u(IntCC::NotEqual, a1, 0);
                let b1nz = self.b.ins().icmp_imm_u(IntCC::NotEqual, b1, 0);
                let both = self.b.ins().band(a1nz, b1nz);
                let (t1, of1) = self.b.ins().umul_overflow(a1, b0);
                let (t2, of2) = self.b.ins().umul_overflow(a0, b1);
                let lo = self.b.ins().imul(a0, b0);
                let h0 = self.b.ins().umulhi(a0, b0);
                let (h1, c1) = self.b.ins().uadd_overflow(h0, t1);
                let (hi, c2) = self.b.ins().uadd_overflow(h1, t2);
                let mut of = self.b.ins().bor(both, of1);
                for f in [of2, c1, c2] {
                    of = self.b.ins().bor(of, f);
                }
                self.check(of, status::OVERFLOW)?;
                vec![lo, hi]
            }
            ArithOp::WrappingMul => {
                let lo = self.b.ins().imul(a0, b0);
                let h0 = self.b.ins().umulhi(a0, b0);
                let t1 = self.b.ins().imul(a1, b0);
                let t2 = self.b.ins().imul(a0, b1);
                let h1 = self.b.ins().iadd(h0, t1);
                let hi = self.b.ins().iadd(h1, t2);
                vec![lo, hi]
            }
            ArithOp::And => vec![self.b.ins().band(a0, b0), self.b.ins().band(a1, b1)],
            ArithOp::Or => vec![self.b.ins().bor(a0, b0), self.b.ins().bor(a1, b1)],
            ArithOp::Xor => vec![self.b.ins().bxor(a0, b0), self.b.ins().bxor(a1, b1)],
            ArithOp::Min | ArithOp::Max => {
                let lt = self.less(&av, &bv);
                let (x, y) = if op == ArithOp::Min {
                    (av, bv)
                } else {
                    (bv, av)
                };
                x.iter()
                    .zip(&y)
                    .map(|(xa, ya)| self.b.ins().select(lt, *xa, *ya))
                    .collect()
            }
            _ => return Err(self.facts("u128 operation compiled as a host call")),
        };
        self.write_reg(dst, &out);
        Ok(())
    }
}

/// The register range of the single register `r`.
fn one(r: Reg) -> Regs {
    Regs { start: r, n: 1 }
}

/// The `i`th register of `rs`.
fn reg_at(rs: Regs, i: usize) -> Option<Reg> {
    let i = u16::try_from(i).ok()?;
    rs.start.0.checked_add(i).map(Reg)
}

fn width_code(w: Width) -> u64 {
    WIDTHS.iter().position(|x| *x == w).unwrap_or(3) as u64
}
