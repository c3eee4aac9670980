//! The resolved, typed program: what [`crate::typeck`] produces from the AST and what
//! [`crate::access`] and [`crate::lower`] consume.
//!
//! Every name is resolved to an id, every expression carries its [`Ty`], constants are
//! folded to literals, compound assignments keep their operator, and library functions
//! imported with `use` are part of the same [`Program`].

use crate::ast::{BinOp, FnKind, IntTy};
use crate::span::{FileId, Span};
use ruint::aliases::U256;

/// Index of a contract in [`Program::contracts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContractId(pub u32);
/// Index of a function in [`Program::functions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnId(pub u32);
/// Index of a struct in [`Program::structs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StructId(pub u32);
/// Index of a storage field in its contract's [`Contract::storage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u32);
/// Index of an event in its contract's [`Contract::events`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub u32);
/// Index of a local (parameters first) in its function's [`Function::locals`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalId(pub u32);

/// A value type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// `()`: no value.
    Unit,
    /// `bool`.
    Bool,
    /// `u8` … `u256`.
    Int(IntTy),
    /// `address`.
    Address,
    /// A contract type: an address with a known interface.
    Contract(ContractId),
    /// `(T, U, …)`, at least two elements.
    Tuple(Vec<Ty>),
    /// A struct.
    Struct(StructId),
    /// The type of an expression that already has an error; accepted everywhere so
    /// one mistake gives one diagnostic.
    Error,
}

/// The whole program: every contract, struct and function of the root file and of
/// every module it imports, transitively.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// All contracts.
    pub contracts: Vec<Contract>,
    /// All structs.
    pub structs: Vec<StructDef>,
    /// All functions: contract members (`init` included) and file-level library functions.
    pub functions: Vec<Function>,
    /// The contracts declared in the root file, in source order: the ones to compile.
    pub roots: Vec<ContractId>,
}

impl Program {
    /// The contract with this id.
    pub fn contract(&self, id: ContractId) -> &Contract {
        &self.contracts[id.0 as usize]
    }
    /// The function with this id.
    pub fn function(&self, id: FnId) -> &Function {
        &self.functions[id.0 as usize]
    }
    /// The struct with this id.
    pub fn struct_def(&self, id: StructId) -> &StructDef {
        &self.structs[id.0 as usize]
    }
}

/// A contract.
#[derive(Clone, Debug)]
pub struct Contract {
    /// Its name.
    pub name: String,
    /// The file that declares it.
    pub file: FileId,
    /// Where its name is.
    pub span: Span,
    /// The storage fields in declaration order.
    pub storage: Vec<StorageField>,
    /// The events in declaration order.
    pub events: Vec<EventDef>,
    /// The constructor, if declared.
    pub init: Option<FnId>,
    /// Its functions in declaration order (`init` excluded): `pub`, `view` and internal.
    pub functions: Vec<FnId>,
}

/// A storage field: a scalar (`key: None`) or a map.
#[derive(Clone, Debug)]
pub struct StorageField {
    /// Its name.
    pub name: String,
    /// For a map, the key type.
    pub key: Option<Ty>,
    /// The value type (of each entry, for a map).
    pub value: Ty,
    /// Where it is declared.
    pub span: Span,
}

/// An event.
#[derive(Clone, Debug)]
pub struct EventDef {
    /// Its name.
    pub name: String,
    /// Its parameters.
    pub params: Vec<(String, Ty)>,
    /// Where it is declared.
    pub span: Span,
}

/// A struct type.
#[derive(Clone, Debug)]
pub struct StructDef {
    /// Its name.
    pub name: String,
    /// Its fields in order.
    pub fields: Vec<(String, Ty)>,
    /// Where it is declared.
    pub span: Span,
}

/// A function: a contract's `init`, `pub fn`, `view fn`, `fn`, or a file-level library `fn`.
#[derive(Clone, Debug)]
pub struct Function {
    /// Its name (`init` for the constructor).
    pub name: String,
    /// Its kind (init, pub, view, internal).
    pub kind: FnKind,
    /// The contract it belongs to; `None` for a library function.
    pub contract: Option<ContractId>,
    /// Where its name is.
    pub span: Span,
    /// The number of parameters: they are `locals[..n_params]`.
    pub n_params: u32,
    /// Parameters, then every `let`-bound and `for` variable of the body.
    pub locals: Vec<Local>,
    /// The return type (`Ty::Unit` when none is declared).
    pub ret: Ty,
    /// The declared access annotations.
    pub access: Annotations,
    /// The body.
    pub body: Block,
}

/// A parameter or local variable.
#[derive(Clone, Debug)]
pub struct Local {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// Declared `mut` (parameters are immutable).
    pub mutable: bool,
    /// Where it is bound.
    pub span: Span,
}

/// The declared `reads`, `writes` and `calls` of a function.
#[derive(Clone, Debug, Default)]
pub struct Annotations {
    /// `reads` patterns.
    pub reads: Vec<Pattern>,
    /// `writes` patterns.
    pub writes: Vec<Pattern>,
    /// `calls` entries.
    pub calls: Vec<CallDecl>,
}

/// A declared storage pattern over the function's own contract.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The storage field.
    pub field: FieldId,
    /// Which keys.
    pub key: PatternKey,
    /// Where it is written.
    pub span: Span,
    /// Marked `serial`: the contention it causes is intended (W0503 does not fire).
    pub serial: bool,
}

/// The key part of a [`Pattern`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PatternKey {
    /// A scalar field (no key).
    Scalar,
    /// `m[*]`: every key.
    Whole,
    /// `m[k]`: one key, a pure path.
    Key(Pure),
}

/// A `calls target.func` entry.
#[derive(Clone, Debug)]
pub struct CallDecl {
    /// The call target, a pure path of contract type.
    pub target: Pure,
    /// The contract type of the target.
    pub contract: ContractId,
    /// The callee.
    pub func: FnId,
    /// Where it is written.
    pub span: Span,
}

/// A pure path: a value that depends only on the transaction (parameters, `caller`,
/// `self`, constants), so that access sets can be evaluated before execution.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pure {
    /// A parameter, projected through tuple/struct fields (`p.0`, `p.owner`) by position.
    Param(LocalId, Vec<u32>),
    /// `caller`.
    Caller,
    /// `self`.
    SelfAddr,
    /// A constant value (ints, bools as 0/1, addresses).
    Const(U256),
    /// A tuple of pure values (a tuple map key).
    Tuple(Vec<Pure>),
    /// `self[k]`: the sub-account of this contract for key `k`.
    Sub(Box<Pure>),
}

/// A block.
#[derive(Clone, Debug)]
pub struct Block {
    /// Its statements.
    pub stmts: Vec<Stmt>,
    /// Its value, if it ends in an expression.
    pub tail: Option<Box<Expr>>,
    /// Where it is.
    pub span: Span,
}

/// A statement.
#[derive(Clone, Debug)]
pub struct Stmt {
    /// What it is.
    pub kind: StmtKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of statement.
#[derive(Clone, Debug)]
pub enum StmtKind {
    /// `let x = e;` binds one local; `let (a, _, b) = e;` binds one per element (`None` for `_`).
    Let {
        /// The locals bound, one per tuple element (a single one for a plain name).
        locals: Vec<Option<LocalId>>,
        /// Whether the pattern was a tuple pattern.
        destructure: bool,
        /// The value.
        init: Expr,
    },
    /// `place = value` or `place op= value` (the place is evaluated once).
    Assign {
        /// What is assigned.
        place: Place,
        /// `Some(op)` for a compound assignment; the operation has the place's type.
        op: Option<BinOp>,
        /// The value.
        value: Expr,
    },
    /// `while cond { body }`.
    While {
        /// The condition.
        cond: Expr,
        /// The body.
        body: Block,
    },
    /// `for var in start..end { body }` (integers, `end` exclusive, evaluated once).
    For {
        /// The loop variable (immutable in the body).
        var: LocalId,
        /// The start.
        start: Expr,
        /// The end.
        end: Expr,
        /// The body.
        body: Block,
    },
    /// `break;`
    Break,
    /// `continue;`
    Continue,
    /// `return e;`
    Return(Option<Expr>),
    /// `require(cond, "message");`
    Require {
        /// The condition.
        cond: Expr,
        /// The message on failure.
        message: String,
    },
    /// `revert("message");`
    Revert(String),
    /// `emit Event(args);`
    Emit {
        /// The event, of the function's contract.
        event: EventId,
        /// Its arguments, one per parameter.
        args: Vec<Expr>,
    },
    /// An expression evaluated for its effects.
    Expr(Expr),
}

/// An assignable place: a local or a storage value, projected through fields.
#[derive(Clone, Debug)]
pub struct Place {
    /// The root of the place.
    pub base: PlaceBase,
    /// Field/element positions from the root (`pools[p].reserve0` → `[1]`).
    pub path: Vec<u32>,
    /// The type of the whole place (after projection).
    pub ty: Ty,
    /// Where it is.
    pub span: Span,
}

/// The root of a [`Place`].
#[derive(Clone, Debug)]
pub enum PlaceBase {
    /// A mutable local.
    Local(LocalId),
    /// A storage field of the function's contract (`key` for a map entry).
    Storage {
        /// The field.
        field: FieldId,
        /// The map key.
        key: Option<Box<Expr>>,
    },
}

/// An expression with its type.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Its type.
    pub ty: Ty,
    /// Where it is.
    pub span: Span,
}

/// Operations implemented by the VM, called like functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intrinsic {
    /// `std::math::min(a, b)`.
    Min,
    /// `std::math::max(a, b)`.
    Max,
    /// `std::math::sqrt(x)`: floor of the square root.
    Sqrt,
    /// `std::math::pow(b, e)`: checked.
    Pow,
    /// `std::math::mul_div(a, b, d)`: `a * b / d` with an exact double-width product, floor.
    MulDiv,
    /// `std::math::mul_div_up(a, b, d)`: the same, rounding up.
    MulDivUp,
    /// `wrapping_add(a, b)`.
    WrappingAdd,
    /// `wrapping_sub(a, b)`.
    WrappingSub,
    /// `wrapping_mul(a, b)`.
    WrappingMul,
}

/// The kinds of expression.
#[derive(Clone, Debug)]
pub enum ExprKind {
    /// A literal: an integer, a bool (0 or 1) or an address, as a 256-bit word.
    Lit(U256),
    /// A parameter or local.
    Local(LocalId),
    /// `caller`.
    Caller,
    /// `self`.
    SelfAddr,
    /// `self[k]`.
    SubAccount(Box<Expr>),
    /// `block.number` (u64).
    BlockNumber,
    /// `block.timestamp` (u64).
    BlockTimestamp,
    /// A read of a storage field or map entry of the function's contract.
    Storage {
        /// The field.
        field: FieldId,
        /// The map key.
        key: Option<Box<Expr>>,
    },
    /// A binary operation; the operand type is `lhs.ty`. `&&`/`||` short-circuit.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `!e`: logical on bool, bitwise within the width on integers.
    Not(Box<Expr>),
    /// `e as T` (T is `self.ty`), checked.
    Cast(Box<Expr>),
    /// Field or tuple element by position.
    Field(Box<Expr>, u32),
    /// `(a, b, …)`.
    Tuple(Vec<Expr>),
    /// A struct literal; fields as (position, value) in source order.
    Struct(StructId, Vec<(u32, Expr)>),
    /// `if cond { then } else { els }`; `els` is `None` only when the type is unit.
    If(Box<Expr>, Block, Option<Box<Expr>>),
    /// `{ … }`.
    Block(Block),
    /// A call of an internal or library function.
    Call(FnId, Vec<Expr>),
    /// An external call `target.func(args) [as self[k]]`.
    ExtCall {
        /// The contract called.
        target: Box<Expr>,
        /// Its contract type.
        contract: ContractId,
        /// The callee (a `pub fn` of that contract).
        func: FnId,
        /// The arguments.
        args: Vec<Expr>,
        /// `as self[k]`: the key `k` of the sub-account to call as.
        as_sub: Option<Box<Expr>>,
    },
    /// A VM intrinsic.
    Intrinsic(Intrinsic, Vec<Expr>),
}
