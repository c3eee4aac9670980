//! The bytecode verifier: every module is checked here before it can run.
//!
//! [`verify`] checks everything the interpreter (and later the JIT) relies on —
//! versions, type shapes, register ranges, jump targets, pool indices, word widths of
//! every multi-word operand against the types they move, function and import
//! signatures, access summaries, and the format's limits on counts and size
//! ([`braid_bytecode::limits`], shared with the compiler) — and precomputes what execution needs so that
//! nothing is recomputed (or trusted from the bytes) at run time: per-block gas
//! costs, word counts, argument ranges, the public selector table and the resolved
//! selectors of imports.
//!
//! **Architecture invariant:** any [`Module`], however it was produced, gives
//! `Ok(VerifiedModule)` or `Err(VerifyError)`, never a panic.

mod instr;
mod types;
pub mod widths;

use braid_bytecode::encode;
use braid_bytecode::{
    AccessPattern, CodeOffset, EventDef, FORMAT_VERSION, GAS_TABLE_VERSION, KeyPattern, Module,
    SourceMap, U256, ValueType, Visibility, WordExpr,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The deepest nesting of types and word expressions a module may use.
pub const MAX_NESTING: u32 = braid_bytecode::MAX_DECODE_DEPTH;

/// Why a module was rejected: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct VerifyError {
    /// Where in the module (`module`, `function transfer, block 2, instruction 5`, …).
    pub location: String,
    /// What is wrong.
    pub kind: VerifyErrorKind,
}

/// The kinds of verification errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyErrorKind {
    /// The module was written for another format or gas-table version.
    #[error("{what} version {found} is not supported (expected {expected})")]
    Version {
        /// `format` or `gas table`.
        what: &'static str,
        /// In the module.
        found: u32,
        /// What this VM runs.
        expected: u32,
    },
    /// A type or word expression is nested too deeply.
    #[error("nesting deeper than {MAX_NESTING} levels")]
    TooDeep,
    /// A type that cannot appear where it does.
    #[error("{0}")]
    BadType(String),
    /// Something exceeds a limit of the format (word counts, function count).
    #[error("too large: {0}")]
    TooLarge(String),
    /// A register (or register range) past the function's register count.
    #[error("register r{reg} out of range (the function has {n_regs} registers)")]
    Register {
        /// The first register past the end.
        reg: u32,
        /// The function's register count.
        n_regs: u16,
    },
    /// A jump or branch to a block that does not exist.
    #[error("jump target b{target} out of range (the function has {n_blocks} blocks)")]
    Jump {
        /// The target.
        target: u32,
        /// The function's block count.
        n_blocks: usize,
    },
    /// An index into one of the module's tables past its end.
    #[error("{what} index {idx} out of range ({len} entries)")]
    Index {
        /// Which table.
        what: &'static str,
        /// The index.
        idx: u64,
        /// The table's length.
        len: usize,
    },
    /// A multi-word operand whose width does not match the type it moves.
    #[error("{what} has {found} words, expected {expected}")]
    Words {
        /// Which operand.
        what: &'static str,
        /// Words the type needs.
        expected: usize,
        /// Words in the operand.
        found: usize,
    },
    /// A function without code.
    #[error("function has no blocks")]
    EmptyFunction,
    /// Two `init` functions.
    #[error("more than one init function")]
    MultipleInit,
    /// Two public functions with one name or one selector.
    #[error("duplicate public function `{0}`")]
    DuplicateFunction(String),
    /// More parameter words than registers.
    #[error("parameters take {param_words} words but the function has {n_regs} registers")]
    ParamsExceedRegisters {
        /// Parameter words.
        param_words: usize,
        /// Registers.
        n_regs: u16,
    },
    /// A malformed access summary entry.
    #[error("access summary: {0}")]
    Access(String),
    /// A call that can never be valid (an internal call to `init`).
    #[error("{0}")]
    Call(String),
    /// A source map that does not fit the code.
    #[error("{0}")]
    SourceMap(String),
}

/// What execution needs about one function, precomputed from its code and types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionInfo {
    /// Gas of each basic block (instructions + terminator), charged on entry.
    pub block_gas: Vec<u64>,
    /// Frame setup ([`braid_bytecode::cost::frame`] of the register window), charged
    /// with the entry block on every call, before the window is zero-filled.
    pub frame_gas: u64,
    /// Flattened parameter words (registers `0..param_words`).
    pub param_words: u16,
    /// Flattened return words.
    pub ret_words: u16,
    /// The largest valid value of each parameter word (argument validation).
    pub param_max: Vec<U256>,
    /// The selector, for public functions.
    pub selector: Option<u64>,
    /// The inferred register widths at every block entry ([`widths`]).
    pub widths: widths::FunctionWidths,
}

/// A module that passed the verifier, with everything execution precomputes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedModule {
    /// The module itself.
    pub module: Module,
    /// blake3 of the module's code ([`encode::encode_code`]: the source map left out).
    pub code_hash: [u8; 32],
    /// Per function, same indices as `module.functions`.
    pub functions: Vec<FunctionInfo>,
    /// Public functions' selectors, sorted, for external calls.
    pub selectors: Vec<(u64, u16)>,
    /// Public functions by name, for transactions.
    pub by_name: BTreeMap<String, u16>,
    /// Each import's selector, same indices as `module.imports`.
    pub import_selectors: Vec<u64>,
    /// The largest valid value of each return word of each import (the caller's
    /// declared return type, checked when an external call returns).
    pub import_ret_max: Vec<Vec<U256>>,
    /// The module's event declarations, shared with the events of receipts.
    pub event_defs: Vec<Arc<EventDef>>,
    /// Words of each storage field's value.
    pub field_words: Vec<u16>,
    /// Words of each storage field's key (0 for a scalar).
    pub field_key_words: Vec<u16>,
    /// The module's JIT-compiled code, made on first use ([`VerifiedModule::jit_code`]).
    pub jit: crate::jit::JitSlot,
}

impl VerifiedModule {
    /// The public function with this selector.
    pub fn function_by_selector(&self, selector: u64) -> Option<u16> {
        self.selectors
            .binary_search_by_key(&selector, |&(s, _)| s)
            .ok()
            .and_then(|i| self.selectors.get(i))
            .map(|&(_, f)| f)
    }

    /// The public function with this name.
    pub fn function_by_name(&self, name: &str) -> Option<u16> {
        self.by_name.get(name).copied()
    }

    /// The `init` function, if any.
    pub fn init(&self) -> Option<u16> {
        self.module.init().and_then(|i| u16::try_from(i).ok())
    }
}

/// Verifies a module; see the module documentation for what is checked.
pub fn verify(module: &Module) -> Result<VerifiedModule, VerifyError> {
    verify_owned(module.clone())
}

/// Verifies a module, taking ownership (no copy).
pub fn verify_owned(module: Module) -> Result<VerifiedModule, VerifyError> {
    let at_module = |kind| VerifyError {
        location: "module".to_string(),
        kind,
    };
    if module.format_version != FORMAT_VERSION {
        return Err(at_module(VerifyErrorKind::Version {
            what: "format",
            found: module.format_version,
            expected: FORMAT_VERSION,
        }));
    }
    if module.gas_version != GAS_TABLE_VERSION {
        return Err(at_module(VerifyErrorKind::Version {
            what: "gas table",
            found: module.gas_version,
            expected: GAS_TABLE_VERSION,
        }));
    }
    // The format's limits (braid_bytecode::limits), the same table the compiler checks:
    // every count stored in a fixed width, every function's access patterns, the size.
    braid_bytecode::limits::check_counts(&module)
        .map_err(|e| at_module(VerifyErrorKind::TooLarge(e.to_string())))?;
    let encoded = encode::encode_code(&module);
    let map_len = module
        .source_map
        .as_ref()
        .map_or(0, |m| encode::encode_source_map(m).len());
    braid_bytecode::limits::check_size(encoded.len().saturating_add(map_len))
        .map_err(|e| at_module(VerifyErrorKind::TooLarge(e.to_string())))?;
    // The code alone: a source map never changes a module's identity.
    let code_hash = encode::code_hash(&encoded);
    drop(encoded);
    if let Some(map) = &module.source_map {
        check_source_map(&module, map).map_err(|kind| VerifyError {
            location: "source map".to_string(),
            kind,
        })?;
    }
    let shapes = types::check_shapes(&module)?;
    let declared = widths::Declared::of(&module);
    let mut functions = Vec::with_capacity(module.functions.len());
    let mut selectors = Vec::new();
    let mut by_name = BTreeMap::new();
    let mut n_init = 0;
    for (fi, f) in module.functions.iter().enumerate() {
        let loc = || format!("function `{}`", f.name);
        let err = |kind| VerifyError {
            location: loc(),
            kind,
        };
        let fn_shape = shapes
            .functions
            .get(fi)
            .ok_or_else(|| err(VerifyErrorKind::TooLarge("function table".to_string())))?;
        if f.blocks.is_empty() {
            return Err(err(VerifyErrorKind::EmptyFunction));
        }
        if u32::try_from(f.blocks.len()).is_err() {
            return Err(err(VerifyErrorKind::TooLarge("block count".to_string())));
        }
        if usize::from(fn_shape.param_words) > usize::from(f.n_regs) {
            return Err(err(VerifyErrorKind::ParamsExceedRegisters {
                param_words: usize::from(fn_shape.param_words),
                n_regs: f.n_regs,
            }));
        }
        if f.visibility == Visibility::Init {
            n_init += 1;
            if n_init > 1 {
                return Err(err(VerifyErrorKind::MultipleInit));
            }
        }
        for p in &f.access {
            check_pattern(&module, p, usize::from(fn_shape.param_words)).map_err(err)?;
            // A view's summary is the whole of what it (and its callees) may touch:
            // with no write in it, the run-time check keeps the view read-only.
            if p.write && f.visibility == Visibility::PubView {
                return Err(err(VerifyErrorKind::Access(format!(
                    "view function writes `{}.{}`",
                    p.contract_name, p.field_name
                ))));
            }
        }
        let block_gas = instr::check_function(&module, &shapes, f, fn_shape.ret_words)?;
        let widths = widths::infer(&module, &declared, fi, f).map_err(|((b, i), kind)| {
            let at = i.map_or_else(|| "terminator".to_string(), |i| format!("instruction {i}"));
            VerifyError {
                location: format!("function `{}`, block b{b}, {at}", f.name),
                kind,
            }
        })?;
        let fi16 = u16::try_from(fi)
            .map_err(|_| err(VerifyErrorKind::TooLarge("function index".to_string())))?;
        let selector = if f.visibility.is_pub() {
            let param_types: Vec<ValueType> = f.params.iter().map(|(_, t)| t.clone()).collect();
            let sel = encode::selector(&f.name, &param_types, &f.ret);
            if by_name.insert(f.name.clone(), fi16).is_some()
                || selectors.iter().any(|&(s, _)| s == sel)
            {
                return Err(err(VerifyErrorKind::DuplicateFunction(f.name.clone())));
            }
            selectors.push((sel, fi16));
            Some(sel)
        } else {
            None
        };
        let mut param_max = Vec::with_capacity(usize::from(fn_shape.param_words));
        for (_, t) in &f.params {
            types::word_maxima(t, &mut param_max);
        }
        functions.push(FunctionInfo {
            block_gas,
            frame_gas: braid_bytecode::cost::frame(f.n_regs),
            param_words: fn_shape.param_words,
            ret_words: fn_shape.ret_words,
            param_max,
            selector,
            widths,
        });
    }
    selectors.sort_unstable();
    let import_selectors = module
        .imports
        .iter()
        .map(|i| encode::selector(&i.name, &i.params, &i.ret))
        .collect();
    let import_ret_max = module
        .imports
        .iter()
        .map(|i| {
            let mut max = Vec::new();
            types::word_maxima(&i.ret, &mut max);
            max
        })
        .collect();
    Ok(VerifiedModule {
        code_hash,
        functions,
        selectors,
        by_name,
        import_selectors,
        import_ret_max,
        event_defs: module.events.iter().cloned().map(Arc::new).collect(),
        field_words: shapes.field_words,
        field_key_words: shapes.field_key_words,
        jit: crate::jit::JitSlot::default(),
        module,
    })
}

/// Checks a source map against the code: one entry per function, each position's
/// offset inside its function (an instruction or a terminator), offsets strictly
/// increasing, every file index in the file table.
fn check_source_map(module: &Module, map: &SourceMap) -> Result<(), VerifyErrorKind> {
    if map.functions.len() != module.functions.len() {
        return Err(VerifyErrorKind::SourceMap(format!(
            "{} function entries for {} functions",
            map.functions.len(),
            module.functions.len()
        )));
    }
    for (f, fm) in module.functions.iter().zip(&map.functions) {
        let mut last: Option<CodeOffset> = None;
        for p in &fm.positions {
            let bad = |what: String| {
                VerifyErrorKind::SourceMap(format!(
                    "function `{}`, offset b{}:{}: {what}",
                    f.name, p.at.block, p.at.instr
                ))
            };
            let block = usize::try_from(p.at.block)
                .ok()
                .and_then(|b| f.blocks.get(b))
                .ok_or_else(|| bad(format!("block out of range ({} blocks)", f.blocks.len())))?;
            if usize::try_from(p.at.instr).map_or(true, |i| i > block.instrs.len()) {
                return Err(bad(format!(
                    "instruction out of range ({} instructions and the terminator)",
                    block.instrs.len()
                )));
            }
            if usize::from(p.file) >= map.files.len() {
                return Err(bad(format!(
                    "file index {} out of range ({} files)",
                    p.file,
                    map.files.len()
                )));
            }
            if last.is_some_and(|l| l >= p.at) {
                return Err(bad("offsets out of order".to_string()));
            }
            last = Some(p.at);
        }
    }
    Ok(())
}

/// Checks one access-summary entry of a function with `param_words` argument words.
fn check_pattern(
    module: &Module,
    p: &AccessPattern,
    param_words: usize,
) -> Result<(), VerifyErrorKind> {
    check_word_expr(&p.contract, param_words, 0)?;
    if let KeyPattern::Key(words) = &p.key {
        if words.is_empty() {
            return Err(VerifyErrorKind::Access(format!(
                "key pattern of `{}` has no words",
                p.field_name
            )));
        }
        for w in words {
            check_word_expr(w, param_words, 0)?;
        }
    }
    if p.contract == WordExpr::SelfAddr {
        let field = module.storage.get(usize::from(p.field)).ok_or_else(|| {
            VerifyErrorKind::Access(format!(
                "field {} out of range ({} fields)",
                p.field,
                module.storage.len()
            ))
        })?;
        let ok = match (&p.key, &field.key) {
            (KeyPattern::Scalar, None) | (KeyPattern::Whole, Some(_)) => true,
            (KeyPattern::Key(ws), Some(kt)) => ws.len() == kt.words(),
            _ => false,
        };
        if !ok {
            return Err(VerifyErrorKind::Access(format!(
                "key pattern does not fit field `{}`",
                field.name
            )));
        }
    }
    Ok(())
}

/// Checks a word expression's parameter references and nesting.
fn check_word_expr(e: &WordExpr, param_words: usize, depth: u32) -> Result<(), VerifyErrorKind> {
    if depth >= MAX_NESTING {
        return Err(VerifyErrorKind::TooDeep);
    }
    match e {
        WordExpr::Param(i) if usize::from(*i) >= param_words => Err(VerifyErrorKind::Access(
            format!("parameter word {i} out of range ({param_words} words)"),
        )),
        WordExpr::Param(_) | WordExpr::Caller | WordExpr::SelfAddr | WordExpr::Const(_) => Ok(()),
        WordExpr::Sub { base, key } => {
            if key.is_empty() {
                return Err(VerifyErrorKind::Access(
                    "sub-account with no key words".into(),
                ));
            }
            check_word_expr(base, param_words, depth + 1)?;
            key.iter()
                .try_for_each(|k| check_word_expr(k, param_words, depth + 1))
        }
    }
}

#[cfg(test)]
mod tests;
