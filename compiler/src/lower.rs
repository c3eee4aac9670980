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
use std::collections::BTreeMap;

/// Nesting beyond which a type is treated as empty: value types cannot nest this
/// deep in a checked program, and the bound keeps a malformed recursive struct from
/// recursing forever.
const MAX_TYPE_DEPTH: u32 = 64;

/// Lowers one contract of a checked program to its bytecode module.
///
/// `summaries` gives the access summary of each `init`/`pub` function; a function
/// without an entry gets an empty summary.
pub fn lower_contract(
    program: &hir::Program,
    contract: ContractId,
    summaries: &Summaries,
) -> Module {
    let Some(c) = program.contracts.get(contract.0 as usize) else {
        return empty_module(String::new());
    };
    let mut cx = ModuleCx::new(program, contract);
    if let Some(init) = c.init {
        cx.fn_index(init);
    }
    for &f in &c.functions {
        cx.fn_index(f);
    }
    let mut functions = Vec::new();
    let mut next = 0;
    while let Some(&fid) = cx.order.get(next) {
        next += 1;
        functions.push(func::lower_function(&mut cx, fid, summaries));
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
    Module {
        format_version: FORMAT_VERSION,
        gas_version: GAS_TABLE_VERSION,
        name: c.name.clone(),
        storage,
        events,
        consts: cx.consts,
        strings: cx.strings,
        imports: cx.imports,
        functions,
    }
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

    /// The VM's view of a type.
    fn value_type(&self, ty: &Ty) -> ValueType {
        value_type(self.program, ty, 0)
    }

    /// How many words a value of the type occupies.
    fn words(&self, ty: &Ty) -> u32 {
        words(self.program, ty, 0)
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

/// How many words a value of the type occupies.
fn words(program: &hir::Program, ty: &Ty, depth: u32) -> u32 {
    if depth > MAX_TYPE_DEPTH {
        return 0;
    }
    match ty {
        Ty::Unit | Ty::Error => 0,
        Ty::Bool | Ty::Int(_) | Ty::Address | Ty::Contract(_) => 1,
        Ty::Tuple(ts) => ts
            .iter()
            .map(|t| words(program, t, depth + 1))
            .fold(0, u32::saturating_add),
        Ty::Struct(s) => program.structs.get(s.0 as usize).map_or(0, |def| {
            def.fields
                .iter()
                .map(|(_, t)| words(program, t, depth + 1))
                .fold(0, u32::saturating_add)
        }),
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

/// The word offset and word count of the element at `path` inside a value of `ty`.
fn projection(program: &hir::Program, ty: &Ty, path: &[u32]) -> (u32, u32) {
    let mut ty = ty.clone();
    let mut offset = 0u32;
    for &idx in path {
        let elems = elements(program, &ty);
        let Some(elem) = elems.get(idx as usize) else {
            return (offset, 0);
        };
        offset = elems[..idx as usize]
            .iter()
            .map(|t| words(program, t, 0))
            .fold(offset, u32::saturating_add);
        ty = elem.clone();
    }
    (offset, words(program, &ty, 0))
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
