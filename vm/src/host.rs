//! The transaction host: everything about one transaction that is not an engine's
//! own execution state, shared by every engine.
//!
//! A [`TxHost`] owns the transaction's storage write buffer (over a [`StateRead`]),
//! its access set, the key memo, the emitted events, the gas counter and the stack of
//! contracts being executed (call depth and re-entry). An engine (the interpreter,
//! or compiled code) keeps only its registers and frames and calls the host for
//! everything else, so the checks, their order and their messages are written once:
//!
//! - [`TxHost::enter`]: call depth (`CallDepth`), then frame setup and the entry block
//!   charged before the window is filled (`OutOfGas`); [`TxHost::leave`] on return.
//! - [`TxHost::charge`]: a block's cost on entry (the one gas rule, language spec §6).
//! - [`TxHost::sload`] / [`TxHost::sstore`]: key derivation, access check
//!   (`AccessViolation`), buffered storage.
//! - [`TxHost::emit`], [`TxHost::sub_account`].
//! - [`TxHost::resolve_ext`]: an external call's target, code, selector (`BadCall`),
//!   re-entry (`Reentrancy`) and argument ranges (`BadCall`), in that order;
//!   [`TxHost::check_return`]: the returned words against the import's type.
//! - [`TxHost::record_stack`]: at a failure, the engine's call stack (contract,
//!   function, code offset per frame), for the receipt ([`crate::trace`]).
//! - With tracing on, [`TxHost::trace_call`] and [`TxHost::trace_return`] (from the
//!   engine) and the storage and event methods record the transaction's trace; with
//!   it off, each of them checks one `Option` and does nothing else.

use crate::access::AccessSet;
use crate::interp::{Buffers, RawEvent, TxStorage, WriteBuffer, recycle};
use crate::keymemo::KeyMemo;
use crate::receipt::{Event, Failure};
use crate::state::{SlotKey, StateRead};
use crate::trace::{Recorder, StackFrame, TraceEntry};
use crate::verify::{FunctionInfo, VerifiedModule};
use crate::{Address, BlockContext};
use braid_bytecode::U256;
use braid_bytecode::encode::{signature, word_to_address};

/// The most frames a call stack may hold (internal and external calls alike).
pub const MAX_CALL_DEPTH: usize = 64;

/// The largest word that is an address (2^160 − 1).
const ADDRESS_MAX: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0xffff_ffff, 0]);

/// Where the engines find the code deployed at an address.
pub trait CodeStore {
    /// The verified module deployed at `addr`, if any.
    fn code_at(&self, addr: &Address) -> Option<&VerifiedModule>;
}

pub(crate) fn internal(what: &'static str) -> impl FnOnce() -> Failure {
    move || Failure::Internal(what.to_string())
}

/// The resolved callee of an external call.
#[derive(Clone, Copy, Debug)]
pub struct ExtTarget<'a> {
    /// The callee's module.
    pub module: &'a VerifiedModule,
    /// The public function called.
    pub func: u16,
    /// The callee's address (its `self`).
    pub addr: Address,
    /// The callee's `caller`: the calling contract or its sub-account.
    pub caller: Address,
}

/// The state of one transaction shared by the engines (see the module docs).
pub struct TxHost<'a, C: CodeStore + ?Sized, S: StateRead + ?Sized> {
    code: &'a C,
    storage: TxStorage<'a, S>,
    access: &'a AccessSet,
    block: BlockContext,
    gas_limit: u64,
    gas_left: u64,
    events: Vec<RawEvent<'a>>,
    event_words: Vec<U256>,
    memo: KeyMemo,
    /// The contract (`self`) of every frame on the call stack, innermost last.
    stack: Vec<Address>,
    /// The trace being recorded (tracing on only).
    trace: Option<Box<Recorder>>,
    /// The call stack at the failure point, outermost first (after a failure).
    failure_stack: Vec<StackFrame>,
}

impl<'a, C: CodeStore + ?Sized, S: StateRead + ?Sized> TxHost<'a, C, S> {
    /// A host for one transaction reading `state`, allowed `access`, with
    /// `gas_limit`, taking its buffers from `bufs` (give them back with
    /// [`TxHost::finish`]).
    pub(crate) fn with_buffers(
        code: &'a C,
        state: &'a S,
        access: &'a AccessSet,
        block: BlockContext,
        gas_limit: u64,
        bufs: &mut Buffers,
    ) -> Self {
        let mut storage = TxStorage::with_buffer(state, std::mem::take(&mut bufs.writes));
        storage.reserve(access.write_entries());
        let mut event_words = std::mem::take(&mut bufs.event_words);
        event_words.clear();
        let mut stack = std::mem::take(&mut bufs.stack);
        stack.clear();
        TxHost {
            code,
            storage,
            access,
            block,
            gas_limit,
            gas_left: gas_limit,
            events: recycle(std::mem::take(&mut bufs.events)),
            event_words,
            memo: std::mem::take(&mut bufs.memo),
            stack,
            trace: bufs.trace.then(Box::default),
            failure_stack: Vec::new(),
        }
    }

    /// Whether this transaction's trace is recorded (the engine then reports its
    /// calls and returns).
    #[inline]
    pub fn tracing(&self) -> bool {
        self.trace.is_some()
    }

    /// Traces a call into function `func` of the contract `contract` with `args`
    /// (the engine calls it once the frame is entered; nothing without tracing).
    pub fn trace_call(&mut self, contract: Address, func: u16, external: bool, args: &[U256]) {
        if let Some(t) = &mut self.trace {
            t.call(contract, func, external, args);
        }
    }

    /// Traces the return of the innermost call with `words`.
    pub fn trace_return(&mut self, words: &[U256]) {
        if let Some(t) = &mut self.trace {
            t.ret(words);
        }
    }

    /// At a failure: the engine's call stack, outermost frame first (see
    /// [`StackFrame`]). The receipt of the failed transaction carries it.
    #[cold]
    pub fn record_stack(&mut self, frames: Vec<StackFrame>) {
        self.failure_stack = frames;
    }

    /// The failure stack and the trace (ending in the failure's entries when
    /// `failure` is given), for the receipt.
    pub(crate) fn take_records(
        &mut self,
        failure: Option<&Failure>,
    ) -> (Vec<StackFrame>, Option<Vec<TraceEntry>>) {
        let trace = self.trace.take().map(|mut t| {
            if let Some(f) = failure {
                t.fail(f);
            }
            t.entries
        });
        (std::mem::take(&mut self.failure_stack), trace)
    }

    /// Hands the buffers back, keeping the buffered writes (for the caller to
    /// commit) when `keep_writes`, else dropping them.
    pub(crate) fn finish(self, bufs: &mut Buffers, keep_writes: bool) {
        let mut writes = self.storage.into_writes();
        if !keep_writes {
            writes.clear();
        }
        bufs.writes = writes;
        bufs.events = recycle(self.events);
        bufs.event_words = self.event_words;
        bufs.memo = self.memo;
        bufs.stack = self.stack;
    }

    /// Gas used so far (the whole limit after `OutOfGas`).
    pub fn gas_used(&self) -> u64 {
        self.gas_limit.saturating_sub(self.gas_left)
    }

    /// Gas left.
    pub fn gas_left(&self) -> u64 {
        self.gas_left
    }

    /// Sets the gas left (an engine that keeps the counter itself hands it back).
    pub(crate) fn set_gas_left(&mut self, gas: u64) {
        self.gas_left = gas;
    }

    /// The block the transaction runs in.
    pub fn block(&self) -> BlockContext {
        self.block
    }

    /// The code store.
    pub fn code(&self) -> &'a C {
        self.code
    }

    /// The events emitted so far, in receipt form.
    pub(crate) fn events(
        &self,
        defs: &mut crate::interp::EventDefs,
    ) -> Result<Vec<Event>, Failure> {
        self.events
            .iter()
            .map(|e| e.render(&self.event_words, defs))
            .collect()
    }

    /// The buffered storage writes.
    pub fn writes(&self) -> &WriteBuffer {
        self.storage.writes()
    }

    /// The gas rule: charge `cost`, or fail with `OutOfGas` (all gas used).
    #[inline]
    pub fn charge(&mut self, cost: u64) -> Result<(), Failure> {
        if self.gas_left < cost {
            self.gas_left = 0;
            return Err(Failure::OutOfGas);
        }
        self.gas_left -= cost;
        Ok(())
    }

    /// Enters a frame of function `info` running as `self_addr`: fails with
    /// `CallDepth` when the stack is full, then charges the frame setup and the entry
    /// block (`OutOfGas`); the engine fills the window after this succeeds.
    pub fn enter(&mut self, info: &FunctionInfo, self_addr: Address) -> Result<(), Failure> {
        if self.stack.len() >= MAX_CALL_DEPTH {
            return Err(Failure::CallDepth);
        }
        let entry = *info.block_gas.first().ok_or_else(internal("block gas"))?;
        self.charge(info.frame_gas.saturating_add(entry))?;
        self.stack.push(self_addr);
        Ok(())
    }

    /// Leaves the innermost frame.
    pub fn leave(&mut self) {
        self.stack.pop();
    }

    /// The frames on the call stack.
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// The storage key word of `key` words (0 for a scalar field): the map key
    /// itself for one word, its memoized hash for more.
    pub fn storage_key(&mut self, key: &[U256]) -> U256 {
        if let Some(t) = &mut self.trace {
            t.key(key);
        }
        if key.is_empty() {
            U256::ZERO
        } else {
            self.memo.map_key(key)
        }
    }

    /// The index of the access-set entry that allows the access; `AccessViolation`
    /// when none does.
    fn check_access(
        &self,
        module: &VerifiedModule,
        self_addr: &Address,
        field: u16,
        key: U256,
        write: bool,
    ) -> Result<usize, Failure> {
        if let Some(entry) = self.access.find(self_addr, field, key, write) {
            return Ok(entry);
        }
        let module = &module.module;
        let field_name = module
            .storage
            .get(usize::from(field))
            .map_or("?", |f| f.name.as_str());
        let is_map = module
            .storage
            .get(usize::from(field))
            .is_some_and(|f| f.key.is_some());
        let slot = if is_map {
            format!("{}.{field_name}[{key:#x}]", module.name)
        } else {
            format!("{}.{field_name}", module.name)
        };
        Err(Failure::AccessViolation(format!(
            "{} of {slot} (field {field}) at contract 0x{} is outside the transaction's access set",
            if write { "write" } else { "read" },
            hex::encode(self_addr),
        )))
    }

    /// `SLoad`: the value words of `field[key]` of `self_addr` into `dst` (`key` from
    /// [`TxHost::storage_key`]).
    pub fn sload(
        &mut self,
        module: &VerifiedModule,
        self_addr: &Address,
        field: u16,
        key: U256,
        dst: &mut [U256],
    ) -> Result<(), Failure> {
        let entry = self.check_access(module, self_addr, field, key, false)?;
        for (word, out) in (0u16..).zip(dst.iter_mut()) {
            let slot = SlotKey {
                contract: *self_addr,
                field,
                key,
                word,
            };
            *out = self.storage.read_entry(&slot, entry);
        }
        if let Some(t) = &mut self.trace {
            t.access(false, *self_addr, field, dst);
        }
        Ok(())
    }

    /// `SStore`: the words of `src` into `field[key]` of `self_addr`.
    pub fn sstore(
        &mut self,
        module: &VerifiedModule,
        self_addr: &Address,
        field: u16,
        key: U256,
        src: &[U256],
    ) -> Result<(), Failure> {
        let entry = self.check_access(module, self_addr, field, key, true)?;
        for (word, v) in (0u16..).zip(src) {
            let slot = SlotKey {
                contract: *self_addr,
                field,
                key,
                word,
            };
            self.storage.write(slot, *v, entry);
        }
        if let Some(t) = &mut self.trace {
            t.access(true, *self_addr, field, src);
        }
        Ok(())
    }

    /// `Emit`: event `event` of `module` emitted by `self_addr` with `words`.
    pub fn emit(
        &mut self,
        module: &'a VerifiedModule,
        self_addr: Address,
        event: u16,
        words: &[U256],
    ) {
        if let Some(t) = &mut self.trace {
            t.event(self_addr, event, words);
        }
        let start = self.event_words.len();
        self.event_words.extend_from_slice(words);
        self.events.push(RawEvent {
            contract: self_addr,
            module,
            event,
            words: start..self.event_words.len(),
        });
    }

    /// The sub-account `self_addr[key]`.
    pub fn sub_account(&mut self, self_addr: &Address, key: &[U256]) -> Address {
        self.memo.sub_account(self_addr, key)
    }

    /// Resolves `CallExt` of `imports[import]` of `module` (running as `self_addr`)
    /// on the contract at `target` with argument words `args`, as `self_addr` or its
    /// sub-account `self_addr[sub_key]`. Checks, in order: the target is an address,
    /// a contract is there, it has the import's public function (`BadCall`), it is not
    /// on the call stack (`Reentrancy`), the arguments fit the callee's parameter
    /// types (`BadCall`). The engine then calls [`TxHost::enter`].
    pub fn resolve_ext(
        &mut self,
        module: &VerifiedModule,
        self_addr: &Address,
        import: u16,
        target: U256,
        args: &[U256],
        sub_key: Option<&[U256]>,
    ) -> Result<ExtTarget<'a>, Failure> {
        let imp = module
            .module
            .imports
            .get(usize::from(import))
            .ok_or_else(internal("import index"))?;
        let selector = *module
            .import_selectors
            .get(usize::from(import))
            .ok_or_else(internal("import selector"))?;
        let sig = || signature(&imp.name, &imp.params, &imp.ret);
        if target > ADDRESS_MAX {
            return Err(Failure::BadCall(format!(
                "call of {}: target {target:#x} is not an address",
                sig()
            )));
        }
        let addr = word_to_address(target);
        let code: &'a C = self.code;
        let Some(callee) = code.code_at(&addr) else {
            return Err(Failure::BadCall(format!(
                "call of {}: no contract at 0x{}",
                sig(),
                hex::encode(addr)
            )));
        };
        let Some(func) = callee.function_by_selector(selector) else {
            return Err(Failure::BadCall(format!(
                "contract {} at 0x{} has no public function {}",
                callee.module.name,
                hex::encode(addr),
                sig()
            )));
        };
        if self.stack.contains(&addr) {
            return Err(Failure::Reentrancy);
        }
        let info = callee
            .functions
            .get(usize::from(func))
            .ok_or_else(internal("function info"))?;
        if args.len() != info.param_max.len() {
            return Err(internal("external call argument count")());
        }
        if let Some(i) = args
            .iter()
            .zip(&info.param_max)
            .position(|(w, max)| w > max)
        {
            return Err(Failure::BadCall(format!(
                "call of {}: argument word {i} is out of range for its type",
                sig()
            )));
        }
        let caller = match sub_key {
            None => *self_addr,
            Some(k) => self.memo.sub_account(self_addr, k),
        };
        Ok(ExtTarget {
            module: callee,
            func,
            addr,
            caller,
        })
    }
}

/// The words an external call returns, checked against the return type of the
/// caller's import `import` of `module`: a word out of range fails with `BadCall`.
pub fn check_return(module: &VerifiedModule, import: u16, words: &[U256]) -> Result<(), Failure> {
    let max = module
        .import_ret_max
        .get(usize::from(import))
        .ok_or_else(internal("import return type"))?;
    if words.len() != max.len() {
        return Err(internal("external call return width")());
    }
    if let Some(i) = words.iter().zip(max).position(|(w, max)| w > max) {
        let imp = module
            .module
            .imports
            .get(usize::from(import))
            .ok_or_else(internal("import index"))?;
        return Err(Failure::BadCall(format!(
            "call of {}: return word {i} is out of range for its type",
            signature(&imp.name, &imp.params, &imp.ret)
        )));
    }
    Ok(())
}

/// The `Revert` failure with message `strings[msg]` of `module`.
pub fn revert(module: &VerifiedModule, msg: u32) -> Failure {
    match usize::try_from(msg)
        .ok()
        .and_then(|i| module.module.strings.get(i))
    {
        Some(m) => Failure::Revert(m.clone()),
        None => Failure::Internal("message index out of range".to_string()),
    }
}
