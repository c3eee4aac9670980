//! Lowering: one checked contract of the [`hir::Program`] to a bytecode [`Module`].
//!
//! The entry point is [`lower_contract`]. Lowering is infallible on programs that the
//! type checker accepted; it never panics on any program (odd input gives odd but
//! well-formed code that the VM's verifier judges).
//!
//! # Conventions
//!
//! **Functions.** The module's functions are, in order: the contract's `init` (if
//! any), its functions in declaration order, then every library function called
//! (transitively) in first-use order. `Call` operands index this list.
//!
//! **Registers.** Every value is flattened into 256-bit words (tuples and structs in
//! field order, recursively). Each local of the function owns fixed consecutive
//! registers for its whole life: parameters first (registers `0..param_words`, as the
//! VM passes them), then every other local in [`hir::Function::locals`] order.
//! Temporaries live above the locals and follow a stack discipline: each statement
//! frees the temporaries it allocated, and each operation allocates its destination
//! before its operands so that the operands' scratch space is reused at once.
//! An expression's value may be read directly from a local's registers (no copy);
//! it is copied into a temporary only when a later operand could assign that local
//! (an operand containing a block with statements). `n_regs` is the highest register
//! used plus one. A function that needs more than 65,535 registers cannot be
//! expressed: the type checker reports E0601 for too many locals; should lowering
//! still see one, register numbers saturate at 65,535, which is never below `n_regs`,
//! so the verifier rejects the module instead of running wrong code.
//!
//! **Blocks.** Control flow (`if`, `while`, `for`, `break`, `continue`, `return`,
//! `revert`, `&&`/`||`) splits code into basic blocks; every jump target starts a
//! block, so the per-block gas charge of the VM is exact. After lowering, blocks
//! that cannot be reached are dropped, empty blocks that only jump are bypassed, a
//! block that is the only way into its successor is merged with it, and blocks are
//! numbered in reverse post-order (the `then` arm before the `else` arm). Block 0
//! is the entry and is never a jump target.
//!
//! **Evaluation order.** Left to right, as written. An assignment evaluates the
//! storage key (if any), then the value, and only then reads the old value for a
//! compound assignment or a partial write (`pools[p].reserve0 = x` loads the whole
//! struct, replaces the word and stores the whole struct), so the read-modify-write
//! sees the effects of calls in the value.
//!
//! **Pools.** Constants and strings are deduplicated, numbered in first-use order;
//! imports (external functions called) likewise, one per callee function. The output
//! is a pure function of the program: the same source gives the same bytes.

mod cfg;
mod debug;
mod expr;
mod func;
mod pools;
#[cfg(test)]
mod tests;
mod walk;

use crate::access::Summaries;
use crate::ast::{FnKind, IntTy};
use crate::hir::{self, ContractId, FnId, Ty};
use braid_bytecode::{
    EventDef, FORMAT_VERSION, GAS_TABLE_VERSION, Import, Module, StorageField, ValueType,
    Visibility, Width,
};
use ruint::aliases::U256;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// Nesting beyond which a type is treated as empty: value types cannot nest this
/// deep in a checked program, and the bound keeps a malformed recursive struct from
/// recursing forever.
const MAX_TYPE_DEPTH: u32 = 64;

/// The most type nodes and instructions lowering expands for one module: each takes at
/// least one byte of the encoded module, so a module beyond this budget could never be
/// within [`braid_bytecode::MAX_MODULE_BYTES`]. Lowering stops expanding there, so its
/// memory stays bounded whatever the program.
const EXPANSION_BUDGET: u64 = braid_bytecode::MAX_MODULE_BYTES as u64;

/// Lowers one contract of a checked program to its bytecode module.
///
/// `summaries` gives the access summary of each `init`/`pub` function; a function
/// without an entry gets an empty summary.
pub fn lower_contract(
    program: &hir::Program,
    contract: ContractId,
    summaries: &Summaries,
) -> Module {
    lower_contract_within_budget(program, contract, summaries).unwrap_or_else(|| {
        let name = program
            .contracts
            .get(contract.0 as usize)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        empty_module(name)
    })
}

/// Like [`lower_contract`], but `None` when the module's types and instructions
/// exceed what a module of [`braid_bytecode::MAX_MODULE_BYTES`] bytes can hold: the
/// expansion stops there instead of allocating without bound (the caller reports it).
pub fn lower_contract_within_budget(
    program: &hir::Program,
    contract: ContractId,
    summaries: &Summaries,
) -> Option<Module> {
    lower_contract_with_spans(program, contract, summaries).map(|(m, _)| m)
}

/// Like [`lower_contract_within_budget`], with the module's source map built from
/// the files of `sources` (see [`braid_bytecode::SourceMap`]).
pub fn lower_contract_with_source_map(
    program: &hir::Program,
    contract: ContractId,
    summaries: &Summaries,
    sources: &crate::source::SourceMap,
) -> Option<Module> {
    let (mut module, spans) = lower_contract_with_spans(program, contract, summaries)?;
    module.source_map = Some(debug::source_map(sources, &spans));
    Some(module)
}

/// The module and, per function, the source spans of its code.
fn lower_contract_with_spans(
    program: &hir::Program,
    contract: ContractId,
    summaries: &Summaries,
) -> Option<(Module, Vec<func::CodeSpans>)> {
    let Some(c) = program.contracts.get(contract.0 as usize) else {
        return Some((empty_module(String::new()), Vec::new()));
    };
    let mut cx = ModuleCx::new(program, contract);
    if let Some(init) = c.init {
        cx.fn_index(init);
    }
    for &f in &c.functions {
        cx.fn_index(f);
    }
    let mut functions = Vec::new();
    let mut spans = Vec::new();
    let mut next = 0;
    while let Some(&fid) = cx.order.get(next) {
        next += 1;
        let (f, s) = func::lower_function(&mut cx, fid, summaries);
        functions.push(f);
        spans.push(s);
        if cx.over_budget.get() {
            return None;
        }
    }
    let storage = c
        .storage
        .iter()
        .map(|f| StorageField {
            name: f.name.clone(),
            key: f.key.as_ref().map(|k| cx.value_type(k)),
            value: cx.value_type(&f.value),
        })
        .collect();
    let events = c
        .events
        .iter()
        .map(|e| EventDef {
            name: e.name.clone(),
            params: e
                .params
                .iter()
                .map(|(n, t)| (n.clone(), cx.value_type(t)))
                .collect(),
        })
        .collect();
    if cx.over_budget.get() {
        return None;
    }
    let module = Module {
        format_version: FORMAT_VERSION,
        gas_version: GAS_TABLE_VERSION,
        name: c.name.clone(),
        storage,
        events,
        consts: cx.consts,
        strings: cx.strings,
        imports: cx.imports,
        functions,
        source_map: None,
    };
    Some((module, spans))
}

/// A module with nothing in it (for a contract id that does not exist).
fn empty_module(name: String) -> Module {
    Module {
        format_version: FORMAT_VERSION,
        gas_version: GAS_TABLE_VERSION,
        name,
        storage: Vec::new(),
        events: Vec::new(),
        consts: Vec::new(),
        strings: Vec::new(),
        imports: Vec::new(),
        functions: Vec::new(),
        source_map: None,
    }
}

/// Module-wide lowering state: the pools and the function list.
struct ModuleCx<'p> {
    /// The program.
    program: &'p hir::Program,
    /// The contract being lowered.
    contract: ContractId,
    /// Constant pool in first-use order.
    consts: Vec<U256>,
    /// Constant → pool index.
    const_idx: BTreeMap<U256, u32>,
    /// String pool in first-use order.
    strings: Vec<String>,
    /// String → pool index.
    string_idx: BTreeMap<String, u32>,
    /// Imports in first-use order.
    imports: Vec<Import>,
    /// (contract type, callee) → import index.
    import_idx: BTreeMap<(ContractId, FnId), u16>,
    /// The module's functions, in module order.
    order: Vec<FnId>,
    /// Function → module index.
    fn_idx: BTreeMap<FnId, u16>,
    /// Words and expanded nodes of each struct met so far.
    struct_memo: RefCell<BTreeMap<u32, (u32, u64)>>,
    /// Type nodes and instructions expanded so far (see [`EXPANSION_BUDGET`]).
    expanded: Cell<u64>,
    /// Whether the expansion went over the budget.
    over_budget: Cell<bool>,
}

impl<'p> ModuleCx<'p> {
    fn new(program: &'p hir::Program, contract: ContractId) -> ModuleCx<'p> {
        ModuleCx {
            program,
            contract,
            consts: Vec::new(),
            const_idx: BTreeMap::new(),
            strings: Vec::new(),
            string_idx: BTreeMap::new(),
            imports: Vec::new(),
            import_idx: BTreeMap::new(),
            order: Vec::new(),
            fn_idx: BTreeMap::new(),
            struct_memo: RefCell::new(BTreeMap::new()),
            expanded: Cell::new(0),
            over_budget: Cell::new(false),
        }
    }

    /// The pool index of a constant, adding it on first use.
    fn const_index(&mut self, value: U256) -> u32 {
        if let Some(&i) = self.const_idx.get(&value) {
            return i;
        }
        let i = saturate_u32(self.consts.len());
        self.consts.push(value);
        self.const_idx.insert(value, i);
        i
    }

    /// The pool index of a message, adding it on first use.
    fn string_index(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.string_idx.get(s) {
            return i;
        }
        let i = saturate_u32(self.strings.len());
        self.strings.push(s.to_owned());
        self.string_idx.insert(s.to_owned(), i);
        i
    }

    /// The module index of a function, queueing it for lowering on first use.
    fn fn_index(&mut self, f: FnId) -> u16 {
        if let Some(&i) = self.fn_idx.get(&f) {
            return i;
        }
        let i = saturate_u16(self.order.len());
        self.order.push(f);
        self.fn_idx.insert(f, i);
        i
    }

    /// The import index of `contract.func`, adding it on first use.
    fn import_index(&mut self, contract: ContractId, func: FnId) -> u16 {
        if let Some(&i) = self.import_idx.get(&(contract, func)) {
            return i;
        }
        let i = saturate_u16(self.imports.len());
        let contract_name = self
            .program
            .contracts
            .get(contract.0 as usize)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let import = match self.program.functions.get(func.0 as usize) {
            Some(f) => Import {
                contract: contract_name,
                name: f.name.clone(),
                params: f.locals[..(f.n_params as usize).min(f.locals.len())]
                    .iter()
                    .map(|l| self.value_type(&l.ty))
                    .collect(),
                ret: self.value_type(&f.ret),
            },
            None => Import {
                contract: contract_name,
                name: String::new(),
                params: Vec::new(),
                ret: ValueType::unit(),
            },
        };
        self.imports.push(import);
        self.import_idx.insert((contract, func), i);
        i
    }

    /// The VM's view of a type (the unit type once over the expansion budget).
    fn value_type(&self, ty: &Ty) -> ValueType {
        let (_, nodes) = self.shape(ty, 0);
        if !self.spend(nodes) {
            return ValueType::unit();
        }
        value_type(self.program, ty, 0)
    }

    /// Counts `n` more expanded nodes or instructions; false once over the budget.
    fn spend(&self, n: u64) -> bool {
        let total = self.expanded.get().saturating_add(n);
        self.expanded.set(total);
        if total > EXPANSION_BUDGET {
            self.over_budget.set(true);
        }
        !self.over_budget.get()
    }

    /// How many words a value of the type occupies.
    fn words(&self, ty: &Ty) -> u32 {
        self.shape(ty, 0).0
    }

    /// Words and expanded nodes of a type, memoized per struct (so never exponential).
    fn shape(&self, ty: &Ty, depth: u32) -> (u32, u64) {
        if depth > MAX_TYPE_DEPTH {
            return (0, 1);
        }
        match ty {
            Ty::Unit | Ty::Error => (0, 1),
            Ty::Bool | Ty::Int(_) | Ty::Address | Ty::Contract(_) => (1, 1),
            Ty::Tuple(ts) => ts.iter().fold((0u32, 1u64), |(w, n), t| {
                let (tw, tn) = self.shape(t, depth + 1);
                (w.saturating_add(tw), n.saturating_add(tn))
            }),
            Ty::Struct(s) => {
                if let Some(&memo) = self.struct_memo.borrow().get(&s.0) {
                    return memo;
                }
                let shape = self
                    .program
                    .structs
                    .get(s.0 as usize)
                    .map_or((0, 1), |def| {
                        def.fields.iter().fold((0u32, 1u64), |(w, n), (_, t)| {
                            let (tw, tn) = self.shape(t, depth + 1);
                            (w.saturating_add(tw), n.saturating_add(tn))
                        })
                    });
                self.struct_memo.borrow_mut().insert(s.0, shape);
                shape
            }
        }
    }

    /// The word offset and word count of the element at `path` inside a value of `ty`.
    fn projection(&self, ty: &Ty, path: &[u32]) -> (u32, u32) {
        let mut ty = ty.clone();
        let mut offset = 0u32;
        for &idx in path {
            let elems = elements(self.program, &ty);
            let Some(elem) = elems.get(idx as usize) else {
                return (offset, 0);
            };
            offset = elems[..idx as usize]
                .iter()
                .map(|t| self.words(t))
                .fold(offset, u32::saturating_add);
            ty = elem.clone();
        }
        (offset, self.words(&ty))
    }

    /// The visibility of a function in this module: library functions and other
    /// contracts' functions are internal here whatever they were declared.
    fn visibility(&self, f: &hir::Function) -> Visibility {
        if f.contract != Some(self.contract) {
            return Visibility::Internal;
        }
        match f.kind {
            FnKind::Init => Visibility::Init,
            FnKind::Pub => Visibility::Pub,
            FnKind::PubView => Visibility::PubView,
            FnKind::Private | FnKind::PrivateView => Visibility::Internal,
        }
    }
}

/// The VM's view of a type.
fn value_type(program: &hir::Program, ty: &Ty, depth: u32) -> ValueType {
    if depth > MAX_TYPE_DEPTH {
        return ValueType::unit();
    }
    match ty {
        Ty::Unit | Ty::Error => ValueType::unit(),
        Ty::Bool => ValueType::Bool,
        Ty::Int(IntTy::U8) => ValueType::U8,
        Ty::Int(IntTy::U64) => ValueType::U64,
        Ty::Int(IntTy::U128) => ValueType::U128,
        Ty::Int(IntTy::U256) => ValueType::U256,
        Ty::Address => ValueType::Address,
        Ty::Contract(c) => ValueType::Contract(
            program
                .contracts
                .get(c.0 as usize)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        ),
        Ty::Tuple(ts) => ValueType::Tuple(
            ts.iter()
                .map(|t| value_type(program, t, depth + 1))
                .collect(),
        ),
        Ty::Struct(s) => match program.structs.get(s.0 as usize) {
            Some(def) => ValueType::Struct(
                def.name.clone(),
                def.fields
                    .iter()
                    .map(|(n, t)| (n.clone(), value_type(program, t, depth + 1)))
                    .collect(),
            ),
            None => ValueType::unit(),
        },
    }
}

/// The element types of an aggregate (tuple elements or struct fields, in order).
fn elements(program: &hir::Program, ty: &Ty) -> Vec<Ty> {
    match ty {
        Ty::Tuple(ts) => ts.clone(),
        Ty::Struct(s) => program
            .structs
            .get(s.0 as usize)
            .map(|def| def.fields.iter().map(|(_, t)| t.clone()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The checked width of an integer type (bools and addresses: see the callers).
fn int_width(ty: &Ty) -> Option<Width> {
    match ty {
        Ty::Int(IntTy::U8) => Some(Width::W8),
        Ty::Int(IntTy::U64) => Some(Width::W64),
        Ty::Int(IntTy::U128) => Some(Width::W128),
        Ty::Int(IntTy::U256) => Some(Width::W256),
        _ => None,
    }
}

/// The number of value bits of a one-word type (`None` for aggregates).
fn scalar_bits(ty: &Ty) -> Option<u32> {
    match ty {
        Ty::Bool => Some(1),
        Ty::Int(i) => Some(i.bits()),
        Ty::Address | Ty::Contract(_) => Some(160),
        _ => None,
    }
}

fn saturate_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn saturate_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
