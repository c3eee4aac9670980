//! Node builders called from the grammar's actions.
//!
//! Every expression, block and type is built here together with its nesting depth
//! ([`Deep`]). A node that would be deeper than [`MAX_DEPTH`] is replaced by a flat
//! placeholder and reported once (E0203); every node above a placeholder is replaced
//! too, silently. So the tree the parser returns is never deeper than the limit, and
//! no later recursive pass (nor `Drop`) can overflow the stack on it, whatever the input.
//!
//! Depth counts expression nodes, blocks and type nodes; statements and a block used
//! as an expression add no level of their own.

use crate::ast::{
    AccessClauses, AccessPattern, BinOp, Block, CallPattern, Expr, ExprKind, Ident, Stmt, StmtKind,
    TypeExpr,
};
use crate::diagnostics::{Code, Diagnostic};
use crate::lexer::{IntLit, TokenKind};
use crate::span::{FileId, Span};
use lalrpop_util::ErrorRecovery;
use std::convert::Infallible;

/// The deepest nesting of expressions and blocks the parser accepts.
pub(crate) const MAX_DEPTH: u32 = 256;

/// A node with the depth of the tree under it (1 for a leaf). A depth above
/// [`MAX_DEPTH`] marks a placeholder standing for a subtree that was too deep.
pub(crate) struct Deep<T> {
    pub(crate) node: T,
    pub(crate) depth: u32,
}

/// The bytes of an address literal (a name for the grammar, which cannot spell arrays).
pub(crate) type AddressBytes = [u8; 20];

/// One syntax error the grammar recovered from.
pub(crate) type Recovered = ErrorRecovery<usize, TokenKind, Infallible>;

/// What the grammar actions share: the file, the diagnostics found while building and
/// the syntax errors recovered from.
pub(crate) struct Ctx {
    pub(crate) file: FileId,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) recovered: Vec<Recovered>,
}

/// An item of a block before the block decides which expression is its tail.
pub(crate) enum BlockItem {
    /// A statement.
    Stmt(Deep<Stmt>),
    /// An `if` or block expression without `;`: a statement, or the tail if last.
    Bare(Deep<Expr>),
    /// A statement that failed to parse.
    Error,
}

/// One `reads`, `writes` or `calls` clause, before they are merged.
pub(crate) enum Clause {
    Reads(Vec<AccessPattern>),
    Writes(Vec<AccessPattern>),
    /// `None` for a callee that was not `target.function` (already reported).
    Calls(Vec<Option<CallPattern>>),
}

/// Merges clauses in the order written.
pub(crate) fn collect_clauses(clauses: Vec<Clause>) -> AccessClauses {
    let mut access = AccessClauses::default();
    for clause in clauses {
        match clause {
            Clause::Reads(p) => access.reads.extend(p),
            Clause::Writes(p) => access.writes.extend(p),
            Clause::Calls(c) => access.calls.extend(c.into_iter().flatten()),
        }
    }
    access
}

/// What follows `as`: a type, or `self[k]` after an external call.
pub(crate) enum CastTarget {
    Type(Deep<TypeExpr>),
    SubAccount(Deep<Expr>, Span),
    /// Something that is neither (`caller`, `x.owner`), an error either way.
    Other(Span),
}

fn poisoned<T>(node: T) -> Deep<T> {
    Deep {
        node,
        depth: MAX_DEPTH + 1,
    }
}

impl Ctx {
    pub(crate) fn new(file: FileId) -> Ctx {
        Ctx {
            file,
            diags: Vec::new(),
            recovered: Vec::new(),
        }
    }

    pub(crate) fn span(&self, lo: usize, hi: usize) -> Span {
        Span::new(self.file, lo, hi)
    }

    pub(crate) fn ident(&self, name: String, lo: usize, hi: usize) -> Ident {
        Ident {
            name,
            span: self.span(lo, hi),
        }
    }

    pub(crate) fn error(
        &mut self,
        code: Code,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(code, span, message));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// Checks the depth of a new node over children of depth `child_depth`: `Some(depth)`
    /// if it may be built, `None` if it must become a placeholder (reported once).
    fn admit(&mut self, child_depth: u32, span: Span) -> Option<u32> {
        if child_depth > MAX_DEPTH {
            return None;
        }
        if child_depth + 1 > MAX_DEPTH {
            let d = self.error(Code::TooDeep, span, "nesting too deep");
            d.primary.message = format!("this nests deeper than {MAX_DEPTH} levels");
            d.help.push(
                "split the expression with `let` bindings, or the code into functions".to_owned(),
            );
            return None;
        }
        Some(child_depth + 1)
    }

    fn expr(
        &mut self,
        child_depth: u32,
        span: Span,
        make: impl FnOnce() -> ExprKind,
    ) -> Deep<Expr> {
        match self.admit(child_depth, span) {
            Some(depth) => Deep {
                node: Expr { kind: make(), span },
                depth,
            },
            None => poisoned(Expr {
                kind: ExprKind::Tuple(Vec::new()),
                span,
            }),
        }
    }

    pub(crate) fn leaf(&mut self, kind: ExprKind, lo: usize, hi: usize) -> Deep<Expr> {
        let span = self.span(lo, hi);
        self.expr(0, span, || kind)
    }

    pub(crate) fn int(&mut self, lit: IntLit, lo: usize, hi: usize) -> Deep<Expr> {
        self.leaf(
            ExprKind::Int {
                value: lit.value,
                suffix: lit.suffix,
            },
            lo,
            hi,
        )
    }

    pub(crate) fn name(&mut self, id: Ident) -> Deep<Expr> {
        let span = id.span;
        self.expr(0, span, || ExprKind::Name(id))
    }

    pub(crate) fn block_property(&mut self, prop: Ident, lo: usize, hi: usize) -> Deep<Expr> {
        let kind = match prop.name.as_str() {
            "number" => ExprKind::BlockNumber,
            "timestamp" => ExprKind::BlockTimestamp,
            other => {
                let d = self.error(
                    Code::UnexpectedToken,
                    prop.span,
                    format!("`block` has no property `{other}`"),
                );
                d.help.push(
                    "the block properties are `block.number` and `block.timestamp`".to_owned(),
                );
                ExprKind::BlockNumber
            }
        };
        self.leaf(kind, lo, hi)
    }

    pub(crate) fn binary(
        &mut self,
        op: BinOp,
        a: Deep<Expr>,
        b: Deep<Expr>,
        lo: usize,
        hi: usize,
    ) -> Deep<Expr> {
        let span = self.span(lo, hi);
        self.expr(a.depth.max(b.depth), span, || {
            ExprKind::Binary(op, Box::new(a.node), Box::new(b.node))
        })
    }

    /// A comparison; comparisons do not chain (E0414).
    pub(crate) fn compare(
        &mut self,
        op: BinOp,
        a: Deep<Expr>,
        b: Deep<Expr>,
        lo: usize,
        hi: usize,
    ) -> Deep<Expr> {
        if let ExprKind::Binary(first, _, _) = &a.node.kind
            && is_comparison(*first)
            && a.depth <= MAX_DEPTH
        {
            let span = self.span(lo, hi);
            let (first, second) = (first.symbol(), op.symbol());
            let d = self.error(
                Code::NonAssociative,
                span,
                format!("comparison operators cannot be chained: `{first}` then `{second}`"),
            );
            d.help.push(format!(
                "use parentheses to say which comes first, `(a {first} b) {second} c`, or `&&` to test both, `a {first} b && b {second} c`"
            ));
        }
        self.binary(op, a, b, lo, hi)
    }

    pub(crate) fn not(&mut self, e: Deep<Expr>, lo: usize, hi: usize) -> Deep<Expr> {
        let span = self.span(lo, hi);
        self.expr(e.depth, span, || {
            ExprKind::Unary(crate::ast::UnOp::Not, Box::new(e.node))
        })
    }

    pub(crate) fn cast(
        &mut self,
        e: Deep<Expr>,
        target: CastTarget,
        lo: usize,
        hi: usize,
    ) -> Deep<Expr> {
        let span = self.span(lo, hi);
        if e.depth > MAX_DEPTH {
            return poisoned(Expr {
                kind: ExprKind::Tuple(Vec::new()),
                span,
            });
        }
        match target {
            CastTarget::Type(ty) => {
                if let ExprKind::MethodCall { as_sub: None, .. } = e.node.kind {
                    let ty_span = ty.node.span();
                    let d = self.error(
                        Code::BadAsTarget,
                        ty_span,
                        "`as` after an external call must name a sub-account `self[…]`",
                    );
                    d.primary.message = "expected `self[key]`".to_owned();
                    d.help.push("to convert the call's result, put the call in parentheses: `(t.f(x)) as T`".to_owned());
                }
                self.expr(e.depth.max(ty.depth), span, || {
                    ExprKind::Cast(Box::new(e.node), ty.node)
                })
            }
            CastTarget::Other(target_span) => {
                if let ExprKind::MethodCall { as_sub: None, .. } = e.node.kind {
                    let d = self.error(
                        Code::BadAsTarget,
                        target_span,
                        "`as` after an external call must name a sub-account `self[…]`",
                    );
                    d.primary.message = "expected `self[key]`".to_owned();
                    d.help.push(
                        "a contract can make calls only as its own sub-accounts, `self[key]`"
                            .to_owned(),
                    );
                } else {
                    let d = self.error(
                        Code::UnexpectedToken,
                        target_span,
                        "expected a type after `as`",
                    );
                    d.primary.message = "not a type".to_owned();
                }
                e
            }
            CastTarget::SubAccount(key, key_span) => {
                let mut e = e;
                let Expr {
                    kind,
                    span: call_span,
                } = &mut e.node;
                match kind {
                    ExprKind::MethodCall {
                        as_sub: slot @ None,
                        ..
                    } => {
                        let child_depth = (e.depth - 1).max(key.depth);
                        let Some(depth) = self.admit(child_depth, span) else {
                            return poisoned(Expr {
                                kind: ExprKind::Tuple(Vec::new()),
                                span,
                            });
                        };
                        *slot = Some(Box::new(key.node));
                        *call_span = span;
                        Deep {
                            node: e.node,
                            depth,
                        }
                    }
                    _ => {
                        let d = self.error(
                            Code::BadAsTarget,
                            key_span,
                            "`as self[…]` can only follow an external call `target.f(…)`",
                        );
                        d.primary.message = "no external call before this `as`".to_owned();
                        e
                    }
                }
            }
        }
    }

    pub(crate) fn field(&mut self, e: Deep<Expr>, name: Ident, lo: usize, hi: usize) -> Deep<Expr> {
        let span = self.span(lo, hi);
        self.expr(e.depth, span, || ExprKind::Field(Box::new(e.node), name))
    }

    pub(crate) fn tuple_index(
        &mut self,
        e: Deep<Expr>,
        lit: IntLit,
        ilo: usize,
        ihi: usize,
        lo: usize,
        hi: usize,
    ) -> Deep<Expr> {
        let index_span = self.span(ilo, ihi);
        let index = match u32::try_from(lit.value) {
            Ok(i) if lit.suffix.is_none() => i,
            _ => {
                self.error(
                    Code::UnexpectedToken,
                    index_span,
                    "expected a tuple index such as `.0`",
                );
                0
            }
        };
        let span = self.span(lo, hi);
        self.expr(e.depth, span, || {
            ExprKind::TupleIndex(Box::new(e.node), index, index_span)
        })
    }

    pub(crate) fn index(
        &mut self,
        e: Deep<Expr>,
        key: Deep<Expr>,
        lo: usize,
        hi: usize,
    ) -> Deep<Expr> {
        let span = self.span(lo, hi);
        self.expr(e.depth.max(key.depth), span, || {
            ExprKind::Index(Box::new(e.node), Box::new(key.node))
        })
    }

    pub(crate) fn call(
        &mut self,
        name: Ident,
        args: Vec<Deep<Expr>>,
        lo: usize,
        hi: usize,
    ) -> Deep<Expr> {
        let span = self.span(lo, hi);
        let depth = max_depth(&args);
        self.expr(depth, span, || ExprKind::Call(name, nodes(args)))
    }

    pub(crate) fn method_call(
        &mut self,
        target: Deep<Expr>,
        method: Ident,
        args: Vec<Deep<Expr>>,
        lo: usize,
        hi: usize,
    ) -> Deep<Expr> {
        let span = self.span(lo, hi);
        let depth = max_depth(&args).max(target.depth);
        self.expr(depth, span, || ExprKind::MethodCall {
            target: Box::new(target.node),
            method,
            args: nodes(args),
            as_sub: None,
        })
    }

    pub(crate) fn struct_lit(
        &mut self,
        name: Ident,
        fields: Vec<(Ident, Deep<Expr>)>,
        lo: usize,
        hi: usize,
    ) -> Deep<Expr> {
        let span = self.span(lo, hi);
        let depth = fields.iter().map(|(_, e)| e.depth).max().unwrap_or(0);
        self.expr(depth, span, || {
            ExprKind::StructLit(name, fields.into_iter().map(|(n, e)| (n, e.node)).collect())
        })
    }

    /// A struct literal field written as just `name`: short for `name: name`.
    pub(crate) fn shorthand_field(&mut self, name: Ident) -> (Ident, Deep<Expr>) {
        let value = self.name(name.clone());
        (name, value)
    }

    pub(crate) fn tuple(&mut self, elems: Vec<Deep<Expr>>, lo: usize, hi: usize) -> Deep<Expr> {
        let span = self.span(lo, hi);
        let depth = max_depth(&elems);
        self.expr(depth, span, || ExprKind::Tuple(nodes(elems)))
    }

    pub(crate) fn paren(&mut self, e: Deep<Expr>, lo: usize, hi: usize) -> Deep<Expr> {
        let span = self.span(lo, hi);
        self.expr(e.depth, span, || ExprKind::Paren(Box::new(e.node)))
    }

    pub(crate) fn if_expr(
        &mut self,
        cond: Deep<Expr>,
        then: Deep<Block>,
        els: Option<Deep<Expr>>,
        lo: usize,
        hi: usize,
    ) -> Deep<Expr> {
        let span = self.span(lo, hi);
        let depth = cond
            .depth
            .max(then.depth)
            .max(els.as_ref().map_or(0, |e| e.depth));
        self.expr(depth, span, || {
            ExprKind::If(
                Box::new(cond.node),
                then.node,
                els.map(|e| Box::new(e.node)),
            )
        })
    }

    /// A block used as an expression: no level of its own beyond the block's.
    pub(crate) fn block_expr(&mut self, b: Deep<Block>) -> Deep<Expr> {
        let span = b.node.span;
        if b.depth > MAX_DEPTH {
            return poisoned(Expr {
                kind: ExprKind::Tuple(Vec::new()),
                span,
            });
        }
        Deep {
            depth: b.depth,
            node: Expr {
                kind: ExprKind::Block(b.node),
                span,
            },
        }
    }

    pub(crate) fn block(
        &mut self,
        mut items: Vec<BlockItem>,
        tail: Option<Deep<Expr>>,
        lo: usize,
        hi: usize,
    ) -> Deep<Block> {
        let span = self.span(lo, hi);
        let tail = match tail {
            Some(t) => Some(t),
            None => match items.pop() {
                Some(BlockItem::Bare(e)) => Some(e),
                Some(other) => {
                    items.push(other);
                    None
                }
                None => None,
            },
        };
        let mut depth = tail.as_ref().map_or(0, |t| t.depth);
        for item in &items {
            match item {
                BlockItem::Stmt(s) => depth = depth.max(s.depth),
                BlockItem::Bare(e) => depth = depth.max(e.depth),
                BlockItem::Error => {}
            }
        }
        let Some(depth) = self.admit(depth, span) else {
            return poisoned(Block {
                stmts: Vec::new(),
                tail: None,
                span,
            });
        };
        let stmts = items
            .into_iter()
            .filter_map(|item| match item {
                BlockItem::Stmt(s) => Some(s.node),
                BlockItem::Bare(e) => Some(Stmt {
                    span: e.node.span,
                    kind: StmtKind::Expr(e.node),
                }),
                BlockItem::Error => None,
            })
            .collect();
        Deep {
            node: Block {
                stmts,
                tail: tail.map(|t| Box::new(t.node)),
                span,
            },
            depth,
        }
    }

    /// A statement over children of depth `child_depth` (statements add no level).
    pub(crate) fn stmt(
        &mut self,
        child_depth: u32,
        kind: StmtKind,
        lo: usize,
        hi: usize,
    ) -> Deep<Stmt> {
        Deep {
            node: Stmt {
                kind,
                span: self.span(lo, hi),
            },
            depth: child_depth,
        }
    }

    pub(crate) fn ty_named(&mut self, name: Ident) -> Deep<TypeExpr> {
        Deep {
            node: TypeExpr::Named(name),
            depth: 1,
        }
    }

    pub(crate) fn ty_tuple(
        &mut self,
        elems: Vec<Deep<TypeExpr>>,
        lo: usize,
        hi: usize,
    ) -> Deep<TypeExpr> {
        let span = self.span(lo, hi);
        let depth = elems.iter().map(|t| t.depth).max().unwrap_or(0);
        self.ty(depth, span, || {
            TypeExpr::Tuple(elems.into_iter().map(|t| t.node).collect(), span)
        })
    }

    pub(crate) fn ty_map(
        &mut self,
        key: Deep<TypeExpr>,
        value: Deep<TypeExpr>,
        lo: usize,
        hi: usize,
    ) -> Deep<TypeExpr> {
        let span = self.span(lo, hi);
        self.ty(key.depth.max(value.depth), span, || {
            TypeExpr::Map(Box::new(key.node), Box::new(value.node), span)
        })
    }

    fn ty(
        &mut self,
        child_depth: u32,
        span: Span,
        make: impl FnOnce() -> TypeExpr,
    ) -> Deep<TypeExpr> {
        match self.admit(child_depth, span) {
            Some(depth) => Deep {
                node: make(),
                depth,
            },
            None => poisoned(TypeExpr::Tuple(Vec::new(), span)),
        }
    }

    /// The word after an access pattern: only `serial` (the pattern's contention is
    /// intended, see the contention lint W0503) may come there. `None` (no word) and
    /// `serial` give whether the pattern is marked; any other word is reported.
    pub(crate) fn serial_marker(&mut self, word: Option<Ident>) -> Option<Span> {
        let word = word?;
        if word.name == "serial" {
            return Some(word.span);
        }
        let d = self.error(
            Code::UnexpectedToken,
            word.span,
            format!("expected `,`, found identifier `{}`", word.name),
        );
        d.primary.message = "unexpected identifier after an access pattern".to_owned();
        d.help.push(
            "separate patterns with `,`; the only word that may follow a pattern is `serial` (its contention is intended)"
                .to_owned(),
        );
        None
    }

    /// `target.f` in a `calls` clause, parsed as a postfix expression.
    pub(crate) fn call_pattern(&mut self, e: Deep<Expr>) -> Option<CallPattern> {
        let span = e.node.span;
        match e.node.kind {
            ExprKind::Field(target, func) => Some(CallPattern {
                target: *target,
                func,
                span,
            }),
            _ => {
                if e.depth <= MAX_DEPTH {
                    let d = self.error(
                        Code::UnexpectedToken,
                        span,
                        "expected a callee `target.function` in `calls`",
                    );
                    d.help.push(
                        "name the contract and the function, as in `calls token.transfer`"
                            .to_owned(),
                    );
                }
                None
            }
        }
    }
}

fn is_comparison(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
    )
}

fn max_depth(v: &[Deep<Expr>]) -> u32 {
    v.iter().map(|e| e.depth).max().unwrap_or(0)
}

fn nodes(v: Vec<Deep<Expr>>) -> Vec<Expr> {
    v.into_iter().map(|e| e.node).collect()
}

/// `_` in a tuple pattern binds nothing.
pub(crate) fn pattern_name(id: Ident) -> Option<Ident> {
    if id.name == "_" { None } else { Some(id) }
}

/// The largest of some depths.
pub(crate) fn depth_of(depths: &[u32]) -> u32 {
    depths.iter().copied().max().unwrap_or(0)
}
