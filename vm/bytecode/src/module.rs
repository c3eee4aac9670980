//! The module format: one module per contract.

pub use crate::module::depth::MAX_DECODE_DEPTH;
pub use crate::module::limits::{
    LimitError, MAX_ACCESS_PATTERNS, MAX_MODULE_BYTES, MAX_POOL_ENTRIES, MAX_SOURCE_POSITIONS,
    MAX_TABLE_ENTRIES, MAX_VALUE_WORDS,
};
pub use crate::module::source_map::{
    CodeOffset, FunctionSourceMap, SOURCE_MAP_VERSION, SourceLocation, SourceMap, SourcePosition,
};
use crate::opcode::{BasicBlock, Reg};
use ruint::aliases::U256;
use serde::{Deserialize, Serialize};

pub mod depth;
pub mod limits;
pub mod source_map;

/// The version of the module format written by this crate.
pub const FORMAT_VERSION: u32 = 1;

/// A value type, as the VM sees it: enough to flatten values into 256-bit words,
/// render them in receipts, parse transaction arguments and match call signatures.
///
/// Deserialization refuses nesting deeper than [`MAX_DECODE_DEPTH`] (see [`depth`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ValueType {
    /// `bool`: one word, 0 or 1.
    Bool,
    /// `u8`: one word.
    U8,
    /// `u64`: one word.
    U64,
    /// `u128`: one word.
    U128,
    /// `u256`: one word.
    U256,
    /// `address`: one word holding 20 bytes.
    Address,
    /// A contract type (an address), with the contract's name.
    Contract(String),
    /// A tuple; `Tuple(vec![])` is the unit type (no words).
    Tuple(Vec<ValueType>),
    /// A struct: its name and fields in order.
    Struct(String, Vec<(String, ValueType)>),
}

impl ValueType {
    /// The unit type `()`.
    pub fn unit() -> ValueType {
        ValueType::Tuple(Vec::new())
    }

    /// How many 256-bit words a value of this type occupies.
    pub fn words(&self) -> usize {
        match self {
            ValueType::Tuple(ts) => ts.iter().map(ValueType::words).sum(),
            ValueType::Struct(_, fs) => fs.iter().map(|(_, t)| t.words()).sum(),
            _ => 1,
        }
    }

    /// The largest word a scalar of this type may hold (`None` for aggregates).
    pub fn max_word(&self) -> Option<U256> {
        let bits = match self {
            ValueType::Bool => 1,
            ValueType::U8 => 8,
            ValueType::U64 => 64,
            ValueType::U128 => 128,
            ValueType::U256 => 256,
            ValueType::Address | ValueType::Contract(_) => 160,
            ValueType::Tuple(_) | ValueType::Struct(..) => return None,
        };
        Some(if bits == 256 {
            U256::MAX
        } else {
            (U256::from(1u8) << bits) - U256::from(1u8)
        })
    }

    /// The type as written in Braid (`u128`, `(u128, u128)`, `Token`).
    pub fn display(&self) -> String {
        match self {
            ValueType::Bool => "bool".into(),
            ValueType::U8 => "u8".into(),
            ValueType::U64 => "u64".into(),
            ValueType::U128 => "u128".into(),
            ValueType::U256 => "u256".into(),
            ValueType::Address => "address".into(),
            ValueType::Contract(n) | ValueType::Struct(n, _) => n.clone(),
            ValueType::Tuple(ts) => {
                let inner: Vec<String> = ts.iter().map(ValueType::display).collect();
                format!("({})", inner.join(", "))
            }
        }
    }
}

/// A storage field: a scalar (`key: None`) or a map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageField {
    /// Its name (for disassembly and the REPL; never used as a key at run time).
    pub name: String,
    /// For a map, the key type.
    pub key: Option<ValueType>,
    /// The value type; a value of `n` words occupies word slots `0..n`.
    pub value: ValueType,
}

/// An event declaration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDef {
    /// Its name.
    pub name: String,
    /// Its parameters in order.
    pub params: Vec<(String, ValueType)>,
}

/// How a function may be entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Visibility {
    /// The constructor: run once at deployment.
    Init,
    /// `pub fn`: transactions and external calls.
    Pub,
    /// `pub view fn`: like `Pub`, never writes storage.
    PubView,
    /// Internal: only `Call` instructions of the same module.
    Internal,
}

impl Visibility {
    /// Whether transactions and other contracts may call it.
    pub fn is_pub(self) -> bool {
        matches!(self, Visibility::Pub | Visibility::PubView)
    }
}

/// A word-valued expression over a transaction's inputs: how access summaries name
/// contracts and keys so that the VM can evaluate them before execution.
///
/// Deserialization refuses nesting deeper than [`MAX_DECODE_DEPTH`] (see [`depth`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum WordExpr {
    /// Word `i` of the entry function's flattened arguments.
    Param(u16),
    /// The transaction's sender (the entry function's `caller`).
    Caller,
    /// The address of the contract the transaction calls.
    SelfAddr,
    /// A constant word.
    Const(U256),
    /// The sub-account `base[key…]` (see [`crate::encode::sub_account`]).
    Sub {
        /// The contract whose sub-account it is.
        base: Box<WordExpr>,
        /// The key's flattened words.
        key: Vec<WordExpr>,
    },
}

/// Which keys of a storage field a pattern covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyPattern {
    /// The field is a scalar.
    Scalar,
    /// Every key of a map.
    Whole,
    /// One key of a map, by its flattened words.
    Key(Vec<WordExpr>),
}

/// One entry of a function's access summary: callees expanded, so the contract may be
/// another one than the module's own.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccessPattern {
    /// A write (which includes the read) or only a read.
    pub write: bool,
    /// The address of the contract whose storage is touched.
    pub contract: WordExpr,
    /// The contract's name (for display), as declared by the callee's type.
    pub contract_name: String,
    /// The field index in that contract's storage layout.
    pub field: u16,
    /// The field's name (for display).
    pub field_name: String,
    /// Which keys.
    pub key: KeyPattern,
}

/// A function of a module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    /// Its name.
    pub name: String,
    /// How it may be entered.
    pub visibility: Visibility,
    /// Parameter names and types; their words are registers `0..n` in order.
    pub params: Vec<(String, ValueType)>,
    /// The return type (`ValueType::unit()` for none).
    pub ret: ValueType,
    /// Registers used (parameters included).
    pub n_regs: u16,
    /// The code; block 0 is the entry.
    pub blocks: Vec<BasicBlock>,
    /// For `Init`/`Pub`/`PubView`: the transaction's access summary, callees expanded
    /// (at most [`MAX_ACCESS_PATTERNS`] entries, checked when decoding).
    #[serde(deserialize_with = "limits::bounded::access")]
    pub access: Vec<AccessPattern>,
}

impl Function {
    /// The number of argument words.
    pub fn param_words(&self) -> usize {
        self.params.iter().map(|(_, t)| t.words()).sum()
    }
}

/// A function of another contract that this module calls externally.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Import {
    /// The contract type it is declared on (for display).
    pub contract: String,
    /// The function's name.
    pub name: String,
    /// Parameter types.
    pub params: Vec<ValueType>,
    /// Return type.
    pub ret: ValueType,
}

/// One contract's bytecode.
///
/// Decoding checks each table's length against its limit ([`limits`]) before
/// allocating it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// [`crate::opcode::GAS_TABLE_VERSION`] when written.
    pub gas_version: u32,
    /// The contract's name.
    pub name: String,
    /// The storage layout; field ids are indices.
    #[serde(deserialize_with = "limits::bounded::table")]
    pub storage: Vec<StorageField>,
    /// The events; event ids are indices.
    #[serde(deserialize_with = "limits::bounded::table")]
    pub events: Vec<EventDef>,
    /// The constant pool (`Const` loads).
    #[serde(deserialize_with = "limits::bounded::pool")]
    pub consts: Vec<U256>,
    /// Revert and require messages.
    #[serde(deserialize_with = "limits::bounded::pool")]
    pub strings: Vec<String>,
    /// External functions called (`CallExt` operands).
    #[serde(deserialize_with = "limits::bounded::table")]
    pub imports: Vec<Import>,
    /// The functions; `Call` operands index this.
    #[serde(deserialize_with = "limits::bounded::table")]
    pub functions: Vec<Function>,
    /// Debug information: where each function's code came from (`None` when stripped,
    /// `braid compile --strip`). Not part of the code: it is encoded as a section after
    /// it ([`crate::encode`]) and left out of the code hash, so adding or stripping it
    /// never changes a contract's identity or the state digest.
    #[serde(skip)]
    pub source_map: Option<SourceMap>,
}

impl Module {
    /// The constructor, if the contract declares one.
    pub fn init(&self) -> Option<usize> {
        self.functions
            .iter()
            .position(|f| f.visibility == Visibility::Init)
    }

    /// The source location of code offset `at` of function `func`, if the module
    /// carries a source map that covers it.
    pub fn location(&self, func: u16, at: CodeOffset) -> Option<SourceLocation<'_>> {
        self.source_map.as_ref()?.location(func, at)
    }

    /// The public function with this name, if any.
    pub fn public(&self, name: &str) -> Option<usize> {
        self.functions
            .iter()
            .position(|f| f.visibility.is_pub() && f.name == name)
    }
}

/// Register range helper: `n` consecutive registers from `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Regs {
    /// First register.
    pub start: Reg,
    /// Count.
    pub n: u16,
}
