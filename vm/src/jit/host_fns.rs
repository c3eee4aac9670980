//! The host boundary of compiled code: its context, and the `extern "C"` functions
//! it calls.
//!
//! Compiled code receives two pointers: the transaction's [`Ctx`] (gas counter,
//! spill buffer, block context, and the [`TxHost`] behind a trait object) and the
//! running frame's [`FrameEnv`] (its module, `self` and `caller`). Every host
//! function takes them back, does its work through the same [`TxHost`] methods the
//! interpreter calls (so checks, their order and messages are shared), and returns
//! a status ([`status`]). None lets a panic unwind into compiled frames: each runs
//! its body under `catch_unwind`, parks the payload in the context and returns
//! [`status::PANICKED`]; the engine resumes the panic once compiled code has
//! returned, so a VM bug fails the transaction exactly as it would under the
//! interpreter.
//!
//! Words handed to and from host functions go through the spill buffer
//! (`Ctx::spill_buf`, a `Vec<U256>`; `U256` is `repr(transparent)` over four
//! little-endian `u64` limbs). Compiled code reloads its address from the context
//! whenever it uses it, since an external call may grow it.

use crate::host::{CodeStore, ExtTarget, TxHost, check_return, revert};
use crate::interp::{arith, mul_div, sqrt};
use crate::receipt::Failure;
use crate::state::StateRead;
use crate::trace::StackFrame;
use crate::verify::{FunctionInfo, VerifiedModule};
use crate::{Address, BlockContext};
use braid_bytecode::encode::address_to_word;
use braid_bytecode::{ArithOp, CodeOffset, U256, Width};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The statuses compiled functions and host functions return.
pub(crate) mod status {
    /// Success.
    pub const OK: u32 = 0;
    /// Failed: the failure is in `Ctx::failure`.
    pub const FAILED: u32 = 1;
    /// Panic `overflow`.
    pub const OVERFLOW: u32 = 2;
    /// Panic `underflow`.
    pub const UNDERFLOW: u32 = 3;
    /// Panic `division_by_zero`.
    pub const DIV_ZERO: u32 = 4;
    /// Panic `conversion`.
    pub const CONVERSION: u32 = 5;
    /// Out of gas (the counter is already 0).
    pub const OUT_OF_GAS: u32 = 6;
    /// A host function panicked: the payload is in `Ctx::panic`.
    pub const PANICKED: u32 = 7;
}

/// What the host functions need of a [`TxHost`], as a trait object so that the
/// compiled code (shared by every code store and state type) calls one set of
/// non-generic functions.
pub(crate) trait JitHost<'a> {
    fn gas_left(&self) -> u64;
    fn set_gas_left(&mut self, gas: u64);
    fn block(&self) -> BlockContext;
    fn enter(&mut self, info: &FunctionInfo, self_addr: Address) -> Result<(), Failure>;
    fn leave(&mut self);
    fn storage_key(&mut self, key: &[U256]) -> U256;
    fn sload(
        &mut self,
        module: &VerifiedModule,
        self_addr: &Address,
        field: u16,
        key: U256,
        dst: &mut [U256],
    ) -> Result<(), Failure>;
    fn sstore(
        &mut self,
        module: &VerifiedModule,
        self_addr: &Address,
        field: u16,
        key: U256,
        src: &[U256],
    ) -> Result<(), Failure>;
    fn emit(&mut self, module: &'a VerifiedModule, self_addr: Address, event: u16, words: &[U256]);
    fn sub_account(&mut self, self_addr: &Address, key: &[U256]) -> Address;
    fn resolve_ext(
        &mut self,
        module: &VerifiedModule,
        self_addr: &Address,
        import: u16,
        target: U256,
        args: &[U256],
        sub_key: Option<&[U256]>,
    ) -> Result<ExtTarget<'a>, Failure>;
    fn tracing(&self) -> bool;
    fn trace_call(&mut self, contract: Address, func: u16, external: bool, args: &[U256]);
    fn trace_return(&mut self, words: &[U256]);
    fn record_stack(&mut self, frames: Vec<StackFrame>);
}

impl<'a, C: CodeStore + ?Sized, S: StateRead + ?Sized> JitHost<'a> for TxHost<'a, C, S> {
    fn gas_left(&self) -> u64 {
        TxHost::gas_left(self)
    }
    fn set_gas_left(&mut self, gas: u64) {
        TxHost::set_gas_left(self, gas);
    }
    fn block(&self) -> BlockContext {
        TxHost::block(self)
    }
    fn enter(&mut self, info: &FunctionInfo, self_addr: Address) -> Result<(), Failure> {
        TxHost::enter(self, info, self_addr)
    }
    fn leave(&mut self) {
        TxHost::leave(self);
    }
    fn storage_key(&mut self, key: &[U256]) -> U256 {
        TxHost::storage_key(self, key)
    }
    fn sload(
        &mut self,
        module: &VerifiedModule,
        self_addr: &Address,
        field: u16,
        key: U256,
        dst: &mut [U256],
    ) -> Result<(), Failure> {
        TxHost::sload(self, module, self_addr, field, key, dst)
    }
    fn sstore(
        &mut self,
        module: &VerifiedModule,
        self_addr: &Address,
        field: u16,
        key: U256,
        src: &[U256],
    ) -> Result<(), Failure> {
        TxHost::sstore(self, module, self_addr, field, key, src)
    }
    fn emit(&mut self, module: &'a VerifiedModule, self_addr: Address, event: u16, words: &[U256]) {
        TxHost::emit(self, module, self_addr, event, words);
    }
    fn sub_account(&mut self, self_addr: &Address, key: &[U256]) -> Address {
        TxHost::sub_account(self, self_addr, key)
    }
    fn resolve_ext(
        &mut self,
        module: &VerifiedModule,
        self_addr: &Address,
        import: u16,
        target: U256,
        args: &[U256],
        sub_key: Option<&[U256]>,
    ) -> Result<ExtTarget<'a>, Failure> {
        TxHost::resolve_ext(self, module, self_addr, import, target, args, sub_key)
    }
    fn tracing(&self) -> bool {
        TxHost::tracing(self)
    }
    fn trace_call(&mut self, contract: Address, func: u16, external: bool, args: &[U256]) {
        TxHost::trace_call(self, contract, func, external, args);
    }
    fn trace_return(&mut self, words: &[U256]) {
        TxHost::trace_return(self, words);
    }
    fn record_stack(&mut self, frames: Vec<StackFrame>) {
        TxHost::record_stack(self, frames);
    }
}

/// The transaction's context, as compiled code sees it: the first four fields at
/// fixed offsets ([`CTX_GAS`], …), the rest only through host functions.
#[repr(C)]
pub(crate) struct Ctx<'a, 'h> {
    /// Gas left: compiled code charges blocks here; host functions that charge
    /// (frame entry) hand it to the host and back.
    pub gas_left: u64,
    /// `spill_buf.as_mut_ptr()`, kept current by [`Ctx::ensure_spill`].
    pub spill: *mut U256,
    /// `block.number`.
    pub block_number: u64,
    /// `block.timestamp`.
    pub block_timestamp: u64,
    /// The spill buffer.
    pub spill_buf: Vec<U256>,
    /// The failure behind [`status::FAILED`].
    pub failure: Option<Failure>,
    /// The panic behind [`status::PANICKED`].
    pub panic: Option<Box<dyn Any + Send>>,
    /// At a failure, the frames the status passed through, innermost first: each
    /// compiled function records its own (the failing instruction, or the call it
    /// is suspended at) as the status passes ([`jit_frame`]).
    pub stack: Vec<StackFrame>,
    /// Set by [`jit_call_ext`] just before entering the callee (for its trace).
    pub entering_external: bool,
    /// The transaction host.
    pub host: &'h mut dyn JitHost<'a>,
}

/// Offset of [`Ctx::gas_left`].
pub(crate) const CTX_GAS: i32 = std::mem::offset_of!(Ctx<'static, 'static>, gas_left) as i32;
/// Offset of [`Ctx::spill`].
pub(crate) const CTX_SPILL: i32 = std::mem::offset_of!(Ctx<'static, 'static>, spill) as i32;
/// Offset of [`Ctx::block_number`].
pub(crate) const CTX_NUMBER: i32 = std::mem::offset_of!(Ctx<'static, 'static>, block_number) as i32;
/// Offset of [`Ctx::block_timestamp`].
pub(crate) const CTX_TIMESTAMP: i32 =
    std::mem::offset_of!(Ctx<'static, 'static>, block_timestamp) as i32;

impl<'a, 'h> Ctx<'a, 'h> {
    /// A context over `host` with `spill_buf` (reused allocation).
    pub(crate) fn new(host: &'h mut dyn JitHost<'a>, spill_buf: Vec<U256>) -> Self {
        let block = host.block();
        let mut ctx = Ctx {
            gas_left: host.gas_left(),
            spill: std::ptr::null_mut(),
            block_number: block.number,
            block_timestamp: block.timestamp,
            spill_buf,
            failure: None,
            panic: None,
            stack: Vec::new(),
            entering_external: false,
            host,
        };
        ctx.ensure_spill(0);
        ctx
    }

    /// Grows the spill buffer to at least `words` words (keeping its contents) and
    /// refreshes [`Ctx::spill`].
    pub(crate) fn ensure_spill(&mut self, words: usize) {
        if self.spill_buf.len() < words {
            self.spill_buf.resize(words, U256::ZERO);
        }
        self.spill = self.spill_buf.as_mut_ptr();
    }
}

/// A frame's environment: what `Caller`, `SelfAddr` and the host functions need.
#[repr(C)]
pub(crate) struct FrameEnv<'a> {
    /// `self` as a word (offset [`ENV_SELF`]).
    pub self_word: U256,
    /// `caller` as a word (offset [`ENV_CALLER`]).
    pub caller_word: U256,
    /// The running module.
    pub module: &'a VerifiedModule,
    /// `self`.
    pub self_addr: Address,
    /// `caller`.
    pub caller: Address,
}

/// Offset of [`FrameEnv::self_word`].
pub(crate) const ENV_SELF: i32 = std::mem::offset_of!(FrameEnv<'static>, self_word) as i32;
/// Offset of [`FrameEnv::caller_word`].
pub(crate) const ENV_CALLER: i32 = std::mem::offset_of!(FrameEnv<'static>, caller_word) as i32;

impl<'a> FrameEnv<'a> {
    /// The environment of a frame of `module` running as `self_addr`, called by `caller`.
    pub(crate) fn new(module: &'a VerifiedModule, self_addr: Address, caller: Address) -> Self {
        FrameEnv {
            self_word: address_to_word(&self_addr),
            caller_word: address_to_word(&caller),
            module,
            self_addr,
            caller,
        }
    }
}

/// A compiled function: `(ctx, env) -> status`. Its parameters are read from the
/// spill buffer on entry, its return words left there.
pub(crate) type CompiledFn = unsafe extern "C" fn(*mut u8, *const u8) -> u32;

/// Why a host function body stopped.
enum Stop {
    /// A transaction failure (goes to `Ctx::failure`).
    Failure(Failure),
    /// A status from nested compiled code, passed on as it is.
    Status(u32),
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Self {
        Stop::Failure(f)
    }
}

fn internal(what: &str) -> Stop {
    Stop::Failure(Failure::Internal(what.to_string()))
}

/// Runs a host function's body on the context behind `ctx`, turning its outcome
/// (and any panic) into a status.
fn guard<'a, 'h>(
    ctx: *mut Ctx<'a, 'h>,
    body: impl FnOnce(&mut Ctx<'a, 'h>) -> Result<(), Stop>,
) -> u32 {
    // SAFETY: `ctx` is the pointer the engine passed to the compiled entry function
    // (`run::Jit::run`, or `jit_call_ext` for a nested frame), which compiled code
    // hands back unchanged; the `Ctx` lives on the engine's stack for the whole run,
    // and while a host function runs no other reference to it is used (compiled code
    // is suspended in the call).
    let ctx = unsafe { &mut *ctx };
    match catch_unwind(AssertUnwindSafe(|| body(&mut *ctx))) {
        Ok(Ok(())) => status::OK,
        Ok(Err(Stop::Failure(f))) => {
            ctx.failure = Some(f);
            status::FAILED
        }
        Ok(Err(Stop::Status(s))) => s,
        Err(payload) => {
            ctx.panic = Some(payload);
            status::PANICKED
        }
    }
}

/// The frame environment behind `env`.
///
/// # Safety
/// `env` must be the environment pointer compiled code received (created by the
/// engine or by [`jit_call_ext`] and alive for the frame's whole run).
unsafe fn env_ref<'e, 'a>(env: *const FrameEnv<'a>) -> &'e FrameEnv<'a> {
    // SAFETY: guaranteed by the caller (see above).
    unsafe { &*env }
}

fn narrow<T: TryFrom<u64>>(v: u64, what: &str) -> Result<T, Stop> {
    T::try_from(v).map_err(|_| internal(what))
}

/// A storage access's arguments: the field index, the key (derived from
/// `spill[0..nkey]` by the host, which traces it) and the key and value word counts.
fn storage_args(
    ctx: &mut Ctx<'_, '_>,
    field: u64,
    nkey: u64,
    nval: u64,
) -> Result<(u16, U256, usize, usize), Stop> {
    let field = narrow::<u16>(field, "field index")?;
    let (nkey, nval) = (
        narrow::<usize>(nkey, "key words")?,
        narrow::<usize>(nval, "value words")?,
    );
    let Ctx {
        host, spill_buf, ..
    } = ctx;
    let key = host.storage_key(
        spill_buf
            .get(..nkey)
            .ok_or_else(|| internal("spill buffer range"))?,
    );
    Ok((field, key, nkey, nval))
}

fn spill_range<'c>(ctx: &'c Ctx<'_, '_>, start: usize, n: usize) -> Result<&'c [U256], Stop> {
    ctx.spill_buf
        .get(start..start + n)
        .ok_or_else(|| internal("spill buffer range"))
}

/// Frame entry: call depth, then frame setup and entry block gas ([`TxHost::enter`]).
pub(crate) unsafe extern "C" fn jit_enter<'a>(
    ctx: *mut Ctx<'a, '_>,
    env: *const FrameEnv<'a>,
    func: u64,
) -> u32 {
    // SAFETY: `env` is the frame's environment pointer (see `env_ref`).
    let env = unsafe { env_ref(env) };
    guard(ctx, |ctx| {
        let external = std::mem::take(&mut ctx.entering_external);
        let func = narrow::<u16>(func, "function index")?;
        let info = env
            .module
            .functions
            .get(usize::from(func))
            .ok_or_else(|| internal("function info"))?;
        ctx.host.set_gas_left(ctx.gas_left);
        let r = ctx.host.enter(info, env.self_addr);
        ctx.gas_left = ctx.host.gas_left();
        r?;
        if ctx.host.tracing() {
            let Ctx {
                host, spill_buf, ..
            } = ctx;
            let args = spill_buf
                .get(..usize::from(info.param_words))
                .ok_or_else(|| internal("spill buffer range"))?;
            host.trace_call(env.self_addr, func, external, args);
        }
        Ok(())
    })
}

/// Frame exit ([`TxHost::leave`]), returning the words `spill[0..n]` (traced).
pub(crate) unsafe extern "C" fn jit_leave(ctx: *mut Ctx<'_, '_>, n: u64) -> u32 {
    guard(ctx, |ctx| {
        ctx.host.leave();
        if ctx.host.tracing() {
            let n = narrow::<usize>(n, "return words")?;
            let Ctx {
                host, spill_buf, ..
            } = ctx;
            let words = spill_buf
                .get(..n)
                .ok_or_else(|| internal("spill buffer range"))?;
            host.trace_return(words);
        }
        Ok(())
    })
}

/// A failure passes through this frame: records it (function `func` of the frame's
/// contract) at `at`, the code offset packed as `block << 32 | instr`.
pub(crate) unsafe extern "C" fn jit_frame<'a>(
    ctx: *mut Ctx<'a, '_>,
    env: *const FrameEnv<'a>,
    func: u64,
    at: u64,
) -> u32 {
    // SAFETY: `env` is the frame's environment pointer (see `env_ref`).
    let env = unsafe { env_ref(env) };
    guard(ctx, |ctx| {
        ctx.stack.push(StackFrame {
            contract: env.self_addr,
            func: narrow::<u16>(func, "function index")?,
            at: Some(CodeOffset {
                block: (at >> 32) as u32,
                instr: at as u32,
            }),
        });
        Ok(())
    })
}

/// The arithmetic operations in code order (the compiled code passes an index).
pub(crate) const ARITH_OPS: [ArithOp; 16] = [
    ArithOp::Add,
    ArithOp::Sub,
    ArithOp::Mul,
    ArithOp::Div,
    ArithOp::Rem,
    ArithOp::Pow,
    ArithOp::WrappingAdd,
    ArithOp::WrappingSub,
    ArithOp::WrappingMul,
    ArithOp::And,
    ArithOp::Or,
    ArithOp::Xor,
    ArithOp::Shl,
    ArithOp::Shr,
    ArithOp::Min,
    ArithOp::Max,
];

/// The widths in code order.
pub(crate) const WIDTHS: [Width; 4] = [Width::W8, Width::W64, Width::W128, Width::W256];

fn width_of(code: u64) -> Result<Width, Stop> {
    WIDTHS
        .get(narrow::<usize>(code, "width")?)
        .copied()
        .ok_or_else(|| internal("width code"))
}

fn set_spill(ctx: &mut Ctx<'_, '_>, i: usize, v: U256) -> Result<(), Stop> {
    *ctx.spill_buf
        .get_mut(i)
        .ok_or_else(|| internal("spill buffer range"))? = v;
    Ok(())
}

/// `spill[0] = arith(op, width, spill[0], spill[1])` (the interpreter's function).
pub(crate) unsafe extern "C" fn jit_arith(ctx: *mut Ctx<'_, '_>, op: u64, width: u64) -> u32 {
    guard(ctx, |ctx| {
        let op = *ARITH_OPS
            .get(narrow::<usize>(op, "arith op")?)
            .ok_or_else(|| internal("arith op"))?;
        let width = width_of(width)?;
        let &[a, b] = spill_range(ctx, 0, 2)? else {
            return Err(internal("spill buffer range"));
        };
        let r = arith(op, width, a, b).map_err(Failure::Panic)?;
        set_spill(ctx, 0, r)
    })
}

/// `spill[0] = mul_div(width, round_up, spill[0], spill[1], spill[2])`.
pub(crate) unsafe extern "C" fn jit_mul_div(
    ctx: *mut Ctx<'_, '_>,
    width: u64,
    round_up: u64,
) -> u32 {
    guard(ctx, |ctx| {
        let width = width_of(width)?;
        let &[a, b, d] = spill_range(ctx, 0, 3)? else {
            return Err(internal("spill buffer range"));
        };
        let r = mul_div(width, round_up != 0, a, b, d).map_err(Failure::Panic)?;
        set_spill(ctx, 0, r)
    })
}

/// `spill[0] = sqrt(spill[0])`.
pub(crate) unsafe extern "C" fn jit_sqrt(ctx: *mut Ctx<'_, '_>) -> u32 {
    guard(ctx, |ctx| {
        let &[a] = spill_range(ctx, 0, 1)? else {
            return Err(internal("spill buffer range"));
        };
        set_spill(ctx, 0, sqrt(a))
    })
}

/// `spill[0] = self[spill[0..nkey]]` as a word.
pub(crate) unsafe extern "C" fn jit_sub_account<'a>(
    ctx: *mut Ctx<'a, '_>,
    env: *const FrameEnv<'a>,
    nkey: u64,
) -> u32 {
    // SAFETY: `env` is the frame's environment pointer (see `env_ref`).
    let env = unsafe { env_ref(env) };
    guard(ctx, |ctx| {
        let n = narrow::<usize>(nkey, "key words")?;
        let Ctx {
            host, spill_buf, ..
        } = ctx;
        let key = spill_buf
            .get(..n)
            .ok_or_else(|| internal("spill buffer range"))?;
        let sub = host.sub_account(&env.self_addr, key);
        set_spill(ctx, 0, address_to_word(&sub))
    })
}

/// `spill[0..nval] = field[spill[0..nkey]]` of the frame's contract.
pub(crate) unsafe extern "C" fn jit_sload<'a>(
    ctx: *mut Ctx<'a, '_>,
    env: *const FrameEnv<'a>,
    field: u64,
    nkey: u64,
    nval: u64,
) -> u32 {
    // SAFETY: `env` is the frame's environment pointer (see `env_ref`).
    let env = unsafe { env_ref(env) };
    guard(ctx, |ctx| {
        let (field, key, _, nval) = storage_args(ctx, field, nkey, nval)?;
        let dst = ctx
            .spill_buf
            .get_mut(..nval)
            .ok_or_else(|| internal("spill buffer range"))?;
        Ok(ctx
            .host
            .sload(env.module, &env.self_addr, field, key, dst)?)
    })
}

/// `field[spill[0..nkey]] = spill[nkey..nkey + nval]` of the frame's contract.
pub(crate) unsafe extern "C" fn jit_sstore<'a>(
    ctx: *mut Ctx<'a, '_>,
    env: *const FrameEnv<'a>,
    field: u64,
    nkey: u64,
    nval: u64,
) -> u32 {
    // SAFETY: `env` is the frame's environment pointer (see `env_ref`).
    let env = unsafe { env_ref(env) };
    guard(ctx, |ctx| {
        let (field, key, nkey, nval) = storage_args(ctx, field, nkey, nval)?;
        let Ctx {
            host, spill_buf, ..
        } = ctx;
        let src = spill_buf
            .get(nkey..nkey + nval)
            .ok_or_else(|| internal("spill buffer range"))?;
        Ok(host.sstore(env.module, &env.self_addr, field, key, src)?)
    })
}

/// Emits event `event` with the words `spill[0..n]`.
pub(crate) unsafe extern "C" fn jit_emit<'a>(
    ctx: *mut Ctx<'a, '_>,
    env: *const FrameEnv<'a>,
    event: u64,
    n: u64,
) -> u32 {
    // SAFETY: `env` is the frame's environment pointer (see `env_ref`).
    let env = unsafe { env_ref(env) };
    guard(ctx, |ctx| {
        let event = narrow::<u16>(event, "event index")?;
        let n = narrow::<usize>(n, "event words")?;
        let Ctx {
            host, spill_buf, ..
        } = ctx;
        let words = spill_buf
            .get(..n)
            .ok_or_else(|| internal("spill buffer range"))?;
        host.emit(env.module, env.self_addr, event, words);
        Ok(())
    })
}

/// Fails the transaction with the revert message `strings[msg]` of the frame's module.
pub(crate) unsafe extern "C" fn jit_revert<'a>(
    ctx: *mut Ctx<'a, '_>,
    env: *const FrameEnv<'a>,
    msg: u64,
) -> u32 {
    // SAFETY: `env` is the frame's environment pointer (see `env_ref`).
    let env = unsafe { env_ref(env) };
    guard(ctx, |_| {
        let msg = narrow::<u32>(msg, "message index")?;
        Err(Stop::Failure(revert(env.module, msg)))
    })
}

/// `CallExt`: target `spill[0]`, arguments `spill[1..1 + nargs]`, sub-account key
/// `spill[1 + nargs..nargs + nsub]` when `nsub > 0` (`nsub` is the key's words plus
/// one); the returned `nret` words are left in `spill[0..nret]`. Resolution and its
/// checks are the host's; the callee is the target module's compiled function,
/// entered with a new frame environment.
pub(crate) unsafe extern "C" fn jit_call_ext<'a>(
    ctx: *mut Ctx<'a, '_>,
    env: *const FrameEnv<'a>,
    import: u64,
    nargs: u64,
    nsub: u64,
    nret: u64,
) -> u32 {
    // SAFETY: `env` is the frame's environment pointer (see `env_ref`).
    let env = unsafe { env_ref(env) };
    guard(ctx, |ctx| {
        let import = narrow::<u16>(import, "import index")?;
        let nargs = narrow::<usize>(nargs, "argument words")?;
        let nsub = narrow::<usize>(nsub, "key words")?;
        let nret = narrow::<usize>(nret, "return words")?;
        let callee = {
            let Ctx {
                host, spill_buf, ..
            } = &mut *ctx;
            let target = *spill_buf
                .first()
                .ok_or_else(|| internal("spill buffer range"))?;
            let args = spill_buf
                .get(1..1 + nargs)
                .ok_or_else(|| internal("spill buffer range"))?;
            let sub = match nsub {
                0 => None,
                n => Some(
                    spill_buf
                        .get(1 + nargs..nargs + n)
                        .ok_or_else(|| internal("spill buffer range"))?,
                ),
            };
            host.resolve_ext(env.module, &env.self_addr, import, target, args, sub)?
        };
        let compiled = callee
            .module
            .jit_code()
            .map_err(|e| Failure::Internal(format!("the JIT could not compile the callee: {e}")))?;
        let f = compiled.function(callee.func)?;
        ctx.spill_buf.copy_within(1..1 + nargs, 0);
        ctx.ensure_spill(compiled.spill_words());
        let callee_env = FrameEnv::new(callee.module, callee.addr, callee.caller);
        ctx.entering_external = true;
        let ctx_ptr: *mut Ctx<'a, '_> = &mut *ctx;
        // SAFETY: `f` is a function of `compiled`, which the callee's module keeps
        // alive for at least `'a` (longer than this call); it is called with the
        // transaction's context and an environment that outlives the call, and the
        // spill buffer holds at least `compiled.spill_words()` words, the most its
        // code stages.
        let st = unsafe { f(ctx_ptr.cast(), (&raw const callee_env).cast()) };
        if st != status::OK {
            return Err(Stop::Status(st));
        }
        let words = spill_range(ctx, 0, nret)?;
        Ok(check_return(env.module, import, words)?)
    })
}

/// Every host function with its symbol name and parameter count (all `i64`; the
/// result is an `i32` status).
pub(crate) fn symbols() -> [(&'static str, *const u8, usize); 12] {
    [
        ("braid_enter", jit_enter as *const u8, 3),
        ("braid_leave", jit_leave as *const u8, 2),
        ("braid_arith", jit_arith as *const u8, 3),
        ("braid_mul_div", jit_mul_div as *const u8, 3),
        ("braid_sqrt", jit_sqrt as *const u8, 1),
        ("braid_sub_account", jit_sub_account as *const u8, 3),
        ("braid_sload", jit_sload as *const u8, 5),
        ("braid_sstore", jit_sstore as *const u8, 5),
        ("braid_emit", jit_emit as *const u8, 4),
        ("braid_revert", jit_revert as *const u8, 3),
        ("braid_call_ext", jit_call_ext as *const u8, 6),
        ("braid_frame", jit_frame as *const u8, 4),
    ]
}
