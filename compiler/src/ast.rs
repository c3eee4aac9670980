//! The abstract syntax tree: what the parser builds, exactly as written.
//!
//! Every node carries the [`Span`] of the text it came from. Nothing here is
//! resolved or typed: names are [`Ident`]s, integer literals keep their value and
//! optional suffix. The resolver and type checker turn this into [`crate::hir`].

use crate::span::Span;
use ruint::aliases::U256;

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name's text.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// One parsed source file.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFile {
    /// The top-level items in source order.
    pub items: Vec<Item>,
}

/// A top-level item of a file.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `use path::{a, b};`
    Use(UseDecl),
    /// `contract Name { … }`
    Contract(ContractDecl),
    /// A file-level constant (libraries such as `std::fixed`).
    Const(ConstDecl),
    /// A file-level struct.
    Struct(StructDecl),
    /// A file-level function (libraries such as `std::math`); never touches storage.
    Fn(FnDecl),
}

/// `use std::math::{min, mul_div};` or `use token::Token;`
#[derive(Clone, Debug, PartialEq)]
pub struct UseDecl {
    /// The module path, e.g. `["std", "math"]` or `["token"]`.
    pub path: Vec<Ident>,
    /// The imported names (one for `use a::B;`, several for `use a::{B, C};`).
    pub names: Vec<Ident>,
    /// The whole declaration.
    pub span: Span,
}

/// `contract Name { members }`
#[derive(Clone, Debug, PartialEq)]
pub struct ContractDecl {
    /// `///` doc comment lines, without the slashes.
    pub doc: Vec<String>,
    /// The contract's name.
    pub name: Ident,
    /// Members in source order.
    pub members: Vec<Member>,
    /// The whole declaration.
    pub span: Span,
}

/// A member of a contract.
#[derive(Clone, Debug, PartialEq)]
pub enum Member {
    /// `storage { field: Type, … }`
    Storage(StorageDecl),
    /// `const NAME: Type = expr;`
    Const(ConstDecl),
    /// `struct Name { field: Type, … }`
    Struct(StructDecl),
    /// `event Name(param: Type, …);`
    Event(EventDecl),
    /// `init(…) … { … }` (its `kind` is [`FnKind::Init`]) or a `fn`.
    Fn(FnDecl),
}

/// The `storage { … }` block.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageDecl {
    /// The fields in declaration order.
    pub fields: Vec<FieldDecl>,
    /// The whole block.
    pub span: Span,
}

/// `name: Type` in a storage block or a struct.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    /// `///` doc comment lines.
    pub doc: Vec<String>,
    /// The field's name.
    pub name: Ident,
    /// The field's type.
    pub ty: TypeExpr,
    /// The whole declaration.
    pub span: Span,
}

/// `const NAME: Type = expr;`
#[derive(Clone, Debug, PartialEq)]
pub struct ConstDecl {
    /// `///` doc comment lines.
    pub doc: Vec<String>,
    /// The constant's name.
    pub name: Ident,
    /// Its declared type.
    pub ty: TypeExpr,
    /// Its value, evaluated at compile time.
    pub value: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `struct Name { field: Type, … }`
#[derive(Clone, Debug, PartialEq)]
pub struct StructDecl {
    /// `///` doc comment lines.
    pub doc: Vec<String>,
    /// The struct's name.
    pub name: Ident,
    /// Its fields in order.
    pub fields: Vec<FieldDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `event Name(param: Type, …);`
#[derive(Clone, Debug, PartialEq)]
pub struct EventDecl {
    /// `///` doc comment lines.
    pub doc: Vec<String>,
    /// The event's name.
    pub name: Ident,
    /// Its parameters.
    pub params: Vec<Param>,
    /// The whole declaration.
    pub span: Span,
}

/// What kind of function a [`FnDecl`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FnKind {
    /// The constructor, `init(…)`.
    Init,
    /// `pub fn`: an entry point for transactions and external calls.
    Pub,
    /// `pub view fn`: an entry point that must not write storage.
    PubView,
    /// `fn`: internal, callable only from this contract (or, at file level, from importers).
    Private,
    /// `view fn`: internal and read-only.
    PrivateView,
}

impl FnKind {
    /// Whether the function is callable from outside (transactions, other contracts).
    pub fn is_pub(self) -> bool {
        matches!(self, FnKind::Pub | FnKind::PubView)
    }
    /// Whether the function promises not to write storage.
    pub fn is_view(self) -> bool {
        matches!(self, FnKind::PubView | FnKind::PrivateView)
    }
}

/// A function, `init` included.
#[derive(Clone, Debug, PartialEq)]
pub struct FnDecl {
    /// `///` doc comment lines.
    pub doc: Vec<String>,
    /// `init` or the function's name.
    pub kind: FnKind,
    /// The name (`init` for the constructor, with the keyword's span).
    pub name: Ident,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// Declared return type; `None` for none.
    pub ret: Option<TypeExpr>,
    /// The `reads` / `writes` / `calls` clauses.
    pub access: AccessClauses,
    /// The body.
    pub body: Block,
    /// The whole declaration.
    pub span: Span,
}

/// `name: Type` in a function or event signature.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The parameter's name.
    pub name: Ident,
    /// Its type.
    pub ty: TypeExpr,
    /// The whole parameter.
    pub span: Span,
}

/// The access clauses of a function, in the order written (several `reads`
/// clauses are concatenated).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccessClauses {
    /// Patterns after `reads`.
    pub reads: Vec<AccessPattern>,
    /// Patterns after `writes`.
    pub writes: Vec<AccessPattern>,
    /// Callees after `calls`.
    pub calls: Vec<CallPattern>,
}

/// A storage key pattern: `total_supply`, `balances[to]`, `balances[*]`.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessPattern {
    /// The storage field.
    pub field: Ident,
    /// The key, for a map field.
    pub key: Option<AccessKey>,
    /// The whole pattern.
    pub span: Span,
    /// `serial` after the pattern (its span): every call writing it is meant to
    /// conflict with every other (silences the contention lint, W0503).
    pub serial: Option<Span>,
}

/// The key part of an [`AccessPattern`].
#[derive(Clone, Debug, PartialEq)]
pub enum AccessKey {
    /// `[*]`: every key of the map.
    Wildcard,
    /// `[expr]`: one key, a pure path.
    Expr(Expr),
}

/// A callee in a `calls` clause: `token_in.transfer_from`.
#[derive(Clone, Debug, PartialEq)]
pub struct CallPattern {
    /// The call target, a pure path (usually a parameter of contract type).
    pub target: Expr,
    /// The function called on it.
    pub func: Ident,
    /// The whole pattern.
    pub span: Span,
}

/// A type as written.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeExpr {
    /// `bool`, `u64`, `address`, a struct name, a contract name…
    Named(Ident),
    /// `(T, U, …)`; `()` is the unit type.
    Tuple(Vec<TypeExpr>, Span),
    /// `map<K, V>`.
    Map(Box<TypeExpr>, Box<TypeExpr>, Span),
}

impl TypeExpr {
    /// Where the type was written.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(id) => id.span,
            TypeExpr::Tuple(_, s) | TypeExpr::Map(_, _, s) => *s,
        }
    }
}

/// `{ stmts; tail }`
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// The statements.
    pub stmts: Vec<Stmt>,
    /// The final expression without a semicolon, the block's value.
    pub tail: Option<Box<Expr>>,
    /// The braces and everything between.
    pub span: Span,
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What the statement is.
    pub kind: StmtKind,
    /// The whole statement.
    pub span: Span,
}

/// The kinds of statement.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `let [mut] pat [: T] = expr;`
    Let {
        /// `let mut`.
        mutable: bool,
        /// The name or tuple of names bound.
        pattern: LetPattern,
        /// The declared type.
        ty: Option<TypeExpr>,
        /// The initial value.
        init: Expr,
    },
    /// `place = value;` or `place op= value;`
    Assign {
        /// The place assigned: a local, a storage field or entry, or a field/element of one.
        target: Expr,
        /// `Some(op)` for a compound assignment `op=`.
        op: Option<BinOp>,
        /// The value.
        value: Expr,
    },
    /// `while cond { body }`
    While {
        /// The condition.
        cond: Expr,
        /// The body.
        body: Block,
    },
    /// `for var in start..end { body }`
    For {
        /// The loop variable.
        var: Ident,
        /// Inclusive start.
        start: Expr,
        /// Exclusive end.
        end: Expr,
        /// The body.
        body: Block,
    },
    /// `break;`
    Break,
    /// `continue;`
    Continue,
    /// `return [expr];`
    Return(Option<Expr>),
    /// `require(cond, "message");`
    Require {
        /// Must be true.
        cond: Expr,
        /// The revert message otherwise.
        message: StrLit,
    },
    /// `revert("message");`
    Revert(StrLit),
    /// `emit Event(args);`
    Emit {
        /// The event's name.
        event: Ident,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// An expression statement (`f(x);`, or an `if`/`while`/block without `;`).
    Expr(Expr),
}

/// The left side of a `let`.
#[derive(Clone, Debug, PartialEq)]
pub enum LetPattern {
    /// `let x`.
    Name(Ident),
    /// `let (a, _, b)`; `None` for `_`.
    Tuple(Vec<Option<Ident>>, Span),
}

/// A string literal (only in `require`/`revert`), unescaped.
#[derive(Clone, Debug, PartialEq)]
pub struct StrLit {
    /// The text, escapes resolved.
    pub value: String,
    /// Where it was written, quotes included.
    pub span: Span,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// The whole expression.
    pub span: Span,
}

/// The integer types, by width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IntTy {
    /// 8 bits.
    U8,
    /// 64 bits.
    U64,
    /// 128 bits.
    U128,
    /// 256 bits.
    U256,
}

impl IntTy {
    /// Width in bits.
    pub fn bits(self) -> u32 {
        match self {
            IntTy::U8 => 8,
            IntTy::U64 => 64,
            IntTy::U128 => 128,
            IntTy::U256 => 256,
        }
    }
    /// The type's name as written (`u64`).
    pub fn name(self) -> &'static str {
        match self {
            IntTy::U8 => "u8",
            IntTy::U64 => "u64",
            IntTy::U128 => "u128",
            IntTy::U256 => "u256",
        }
    }
    /// The type of the name `u8` … `u256`, if it is one.
    pub fn from_name(name: &str) -> Option<IntTy> {
        Some(match name {
            "u8" => IntTy::U8,
            "u64" => IntTy::U64,
            "u128" => IntTy::U128,
            "u256" => IntTy::U256,
            _ => return None,
        })
    }
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `|`
    BitOr,
    /// `^`
    BitXor,
    /// `&`
    BitAnd,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `**`
    Pow,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::BitAnd => "&",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Pow => "**",
        }
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `!`: logical not on `bool`, bitwise not on integers.
    Not,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal: its exact value and optional suffix (`1_000u64`, `1e18`, `0xff`).
    Int {
        /// The value (the lexer rejects literals above `u256::MAX`).
        value: U256,
        /// The suffix, if written.
        suffix: Option<IntTy>,
    },
    /// `true` / `false`.
    Bool(bool),
    /// `0x` followed by exactly 40 hex digits.
    Address([u8; 20]),
    /// A name: a local, a parameter, a storage field, a constant.
    Name(Ident),
    /// `caller`.
    Caller,
    /// `self`.
    SelfAddr,
    /// `block.number`.
    BlockNumber,
    /// `block.timestamp`.
    BlockTimestamp,
    /// `l op r`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `op e`.
    Unary(UnOp, Box<Expr>),
    /// `e as T`.
    Cast(Box<Expr>, TypeExpr),
    /// `e.name`.
    Field(Box<Expr>, Ident),
    /// `e.0`.
    TupleIndex(Box<Expr>, u32, Span),
    /// `e[key]` (a map entry; `self[k]` is a sub-account).
    Index(Box<Expr>, Box<Expr>),
    /// `f(args)`: an internal function, a library function, or a builtin such as `wrapping_add`.
    Call(Ident, Vec<Expr>),
    /// `target.f(args) [as self[k]]`: an external call.
    MethodCall {
        /// The contract called.
        target: Box<Expr>,
        /// The function.
        method: Ident,
        /// The arguments.
        args: Vec<Expr>,
        /// `as self[k]`: the sub-account to call as.
        as_sub: Option<Box<Expr>>,
    },
    /// `Name { field: value, … }`.
    StructLit(Ident, Vec<(Ident, Expr)>),
    /// `(a, b, …)` with at least two elements, or `()`.
    Tuple(Vec<Expr>),
    /// `(e)`.
    Paren(Box<Expr>),
    /// `if cond { … } [else …]`.
    If(Box<Expr>, Block, Option<Box<Expr>>),
    /// `{ … }`.
    Block(Block),
}
