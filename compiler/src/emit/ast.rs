//! `--emit ast`: the syntax tree as an indented outline, one node per line, each with
//! its span as `@lo..hi` (byte offsets). Types are written inline as in the source.

use crate::ast::{
    AccessKey, AccessPattern, Block, ExprKind, FnDecl, FnKind, Item, LetPattern, Member,
    SourceFile, Stmt, StmtKind, TypeExpr,
};
use crate::ast::{Expr, FieldDecl};
use crate::span::Span;
use std::fmt::Write;

/// Renders a parsed file as an indented tree.
pub fn ast(file: &SourceFile) -> String {
    let mut p = Printer::default();
    p.line("SourceFile", None);
    p.indent += 1;
    for item in &file.items {
        p.item(item);
    }
    p.out
}

/// A type as it would be written: `map<address, (u64, u128)>`.
pub fn type_text(ty: &TypeExpr) -> String {
    match ty {
        TypeExpr::Named(id) => id.name.clone(),
        TypeExpr::Tuple(elems, _) => {
            let inner: Vec<String> = elems.iter().map(type_text).collect();
            format!("({})", inner.join(", "))
        }
        TypeExpr::Map(k, v, _) => format!("map<{}, {}>", type_text(k), type_text(v)),
    }
}

#[derive(Default)]
struct Printer {
    out: String,
    indent: usize,
}

impl Printer {
    fn line(&mut self, text: &str, span: Option<Span>) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        if let Some(span) = span {
            let _ = write!(self.out, " @{}..{}", span.lo, span.hi);
        }
        self.out.push('\n');
    }

    fn nested(&mut self, f: impl FnOnce(&mut Printer)) {
        self.indent += 1;
        f(self);
        self.indent -= 1;
    }

    fn docs(&mut self, doc: &[String]) {
        for line in doc {
            self.line(&format!("doc {line:?}"), None);
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Use(u) => {
                let path: Vec<&str> = u.path.iter().map(|i| i.name.as_str()).collect();
                let names: Vec<&str> = u.names.iter().map(|i| i.name.as_str()).collect();
                self.line(
                    &format!("Use {}::{{{}}}", path.join("::"), names.join(", ")),
                    Some(u.span),
                );
            }
            Item::Contract(c) => {
                self.line(&format!("Contract {}", c.name.name), Some(c.span));
                self.nested(|p| {
                    p.docs(&c.doc);
                    for m in &c.members {
                        p.member(m);
                    }
                });
            }
            Item::Const(c) => self.member(&Member::Const(c.clone())),
            Item::Struct(s) => self.member(&Member::Struct(s.clone())),
            Item::Fn(f) => self.func(f),
        }
    }

    fn member(&mut self, member: &Member) {
        match member {
            Member::Storage(s) => {
                self.line("Storage", Some(s.span));
                self.nested(|p| p.fields(&s.fields));
            }
            Member::Const(c) => {
                self.line(
                    &format!("Const {}: {}", c.name.name, type_text(&c.ty)),
                    Some(c.span),
                );
                self.nested(|p| {
                    p.docs(&c.doc);
                    p.expr(None, &c.value);
                });
            }
            Member::Struct(s) => {
                self.line(&format!("Struct {}", s.name.name), Some(s.span));
                self.nested(|p| {
                    p.docs(&s.doc);
                    p.fields(&s.fields);
                });
            }
            Member::Event(e) => {
                let params: Vec<String> = e
                    .params
                    .iter()
                    .map(|x| format!("{}: {}", x.name.name, type_text(&x.ty)))
                    .collect();
                self.line(
                    &format!("Event {}({})", e.name.name, params.join(", ")),
                    Some(e.span),
                );
                self.nested(|p| p.docs(&e.doc));
            }
            Member::Fn(f) => self.func(f),
        }
    }

    fn fields(&mut self, fields: &[FieldDecl]) {
        for f in fields {
            self.line(
                &format!("Field {}: {}", f.name.name, type_text(&f.ty)),
                Some(f.span),
            );
            self.nested(|p| p.docs(&f.doc));
        }
    }

    fn func(&mut self, f: &FnDecl) {
        let kind = match f.kind {
            FnKind::Init => "init",
            FnKind::Pub => "pub fn",
            FnKind::PubView => "pub view fn",
            FnKind::Private => "fn",
            FnKind::PrivateView => "view fn",
        };
        let head = if f.kind == FnKind::Init {
            "Init".to_owned()
        } else {
            format!("Fn {kind} {}", f.name.name)
        };
        self.line(&head, Some(f.span));
        self.nested(|p| {
            p.docs(&f.doc);
            for param in &f.params {
                p.line(
                    &format!("Param {}: {}", param.name.name, type_text(&param.ty)),
                    Some(param.span),
                );
            }
            if let Some(ret) = &f.ret {
                p.line(&format!("Returns {}", type_text(ret)), Some(ret.span()));
            }
            for r in &f.access.reads {
                p.pattern("Reads", r);
            }
            for w in &f.access.writes {
                p.pattern("Writes", w);
            }
            for c in &f.access.calls {
                p.line(&format!("Calls .{}", c.func.name), Some(c.span));
                p.nested(|p| p.expr(Some("target"), &c.target));
            }
            p.block(Some("body"), &f.body);
        });
    }

    fn pattern(&mut self, clause: &str, pat: &AccessPattern) {
        match &pat.key {
            None => self.line(&format!("{clause} {}", pat.field.name), Some(pat.span)),
            Some(AccessKey::Wildcard) => {
                self.line(&format!("{clause} {}[*]", pat.field.name), Some(pat.span))
            }
            Some(AccessKey::Expr(key)) => {
                self.line(&format!("{clause} {}[…]", pat.field.name), Some(pat.span));
                self.nested(|p| p.expr(Some("key"), key));
            }
        }
    }

    fn block(&mut self, label: Option<&str>, b: &Block) {
        self.line(&labelled(label, "Block"), Some(b.span));
        self.nested(|p| {
            for s in &b.stmts {
                p.stmt(s);
            }
            if let Some(tail) = &b.tail {
                p.expr(Some("tail"), tail);
            }
        });
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Let {
                mutable,
                pattern,
                ty,
                init,
            } => {
                let pat = match pattern {
                    LetPattern::Name(id) => id.name.clone(),
                    LetPattern::Tuple(names, _) => {
                        let names: Vec<&str> = names
                            .iter()
                            .map(|n| n.as_ref().map_or("_", |i| i.name.as_str()))
                            .collect();
                        format!("({})", names.join(", "))
                    }
                };
                let ty = ty
                    .as_ref()
                    .map(|t| format!(": {}", type_text(t)))
                    .unwrap_or_default();
                let m = if *mutable { "mut " } else { "" };
                self.line(&format!("Let {m}{pat}{ty}"), Some(s.span));
                self.nested(|p| p.expr(None, init));
            }
            StmtKind::Assign { target, op, value } => {
                let op = op.map_or("=".to_owned(), |o| format!("{}=", o.symbol()));
                self.line(&format!("Assign {op}"), Some(s.span));
                self.nested(|p| {
                    p.expr(Some("target"), target);
                    p.expr(Some("value"), value);
                });
            }
            StmtKind::While { cond, body } => {
                self.line("While", Some(s.span));
                self.nested(|p| {
                    p.expr(Some("cond"), cond);
                    p.block(Some("body"), body);
                });
            }
            StmtKind::For {
                var,
                start,
                end,
                body,
            } => {
                self.line(&format!("For {}", var.name), Some(s.span));
                self.nested(|p| {
                    p.expr(Some("start"), start);
                    p.expr(Some("end"), end);
                    p.block(Some("body"), body);
                });
            }
            StmtKind::Break => self.line("Break", Some(s.span)),
            StmtKind::Continue => self.line("Continue", Some(s.span)),
            StmtKind::Return(e) => {
                self.line("Return", Some(s.span));
                if let Some(e) = e {
                    self.nested(|p| p.expr(None, e));
                }
            }
            StmtKind::Require { cond, message } => {
                self.line(&format!("Require {:?}", message.value), Some(s.span));
                self.nested(|p| p.expr(None, cond));
            }
            StmtKind::Revert(message) => {
                self.line(&format!("Revert {:?}", message.value), Some(s.span))
            }
            StmtKind::Emit { event, args } => {
                self.line(&format!("Emit {}", event.name), Some(s.span));
                self.nested(|p| {
                    for a in args {
                        p.expr(None, a);
                    }
                });
            }
            StmtKind::Expr(e) => {
                self.line("ExprStmt", Some(s.span));
                self.nested(|p| p.expr(None, e));
            }
        }
    }

    fn expr(&mut self, label: Option<&str>, e: &Expr) {
        let span = Some(e.span);
        match &e.kind {
            ExprKind::Int { value, suffix } => {
                let suffix = suffix.map(|s| format!(" {}", s.name())).unwrap_or_default();
                self.line(&labelled(label, &format!("Int {value}{suffix}")), span);
            }
            ExprKind::Bool(b) => self.line(&labelled(label, &format!("Bool {b}")), span),
            ExprKind::Address(bytes) => {
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                self.line(&labelled(label, &format!("Address 0x{hex}")), span);
            }
            ExprKind::Name(id) => self.line(&labelled(label, &format!("Name {}", id.name)), span),
            ExprKind::Caller => self.line(&labelled(label, "Caller"), span),
            ExprKind::SelfAddr => self.line(&labelled(label, "Self"), span),
            ExprKind::BlockNumber => self.line(&labelled(label, "BlockNumber"), span),
            ExprKind::BlockTimestamp => self.line(&labelled(label, "BlockTimestamp"), span),
            ExprKind::Binary(op, a, b) => {
                self.line(&labelled(label, &format!("Binary {}", op.symbol())), span);
                self.nested(|p| {
                    p.expr(None, a);
                    p.expr(None, b);
                });
            }
            ExprKind::Unary(_, a) => {
                self.line(&labelled(label, "Unary !"), span);
                self.nested(|p| p.expr(None, a));
            }
            ExprKind::Cast(a, ty) => {
                self.line(&labelled(label, &format!("Cast {}", type_text(ty))), span);
                self.nested(|p| p.expr(None, a));
            }
            ExprKind::Field(a, name) => {
                self.line(&labelled(label, &format!("Field .{}", name.name)), span);
                self.nested(|p| p.expr(None, a));
            }
            ExprKind::TupleIndex(a, i, _) => {
                self.line(&labelled(label, &format!("TupleIndex .{i}")), span);
                self.nested(|p| p.expr(None, a));
            }
            ExprKind::Index(a, k) => {
                self.line(&labelled(label, "Index"), span);
                self.nested(|p| {
                    p.expr(None, a);
                    p.expr(Some("key"), k);
                });
            }
            ExprKind::Call(name, args) => {
                self.line(&labelled(label, &format!("Call {}", name.name)), span);
                self.nested(|p| {
                    for a in args {
                        p.expr(None, a);
                    }
                });
            }
            ExprKind::MethodCall {
                target,
                method,
                args,
                as_sub,
            } => {
                self.line(
                    &labelled(label, &format!("MethodCall .{}", method.name)),
                    span,
                );
                self.nested(|p| {
                    p.expr(Some("target"), target);
                    for a in args {
                        p.expr(None, a);
                    }
                    if let Some(sub) = as_sub {
                        p.expr(Some("as self[…]"), sub);
                    }
                });
            }
            ExprKind::StructLit(name, fields) => {
                self.line(&labelled(label, &format!("StructLit {}", name.name)), span);
                self.nested(|p| {
                    for (f, v) in fields {
                        p.expr(Some(&f.name), v);
                    }
                });
            }
            ExprKind::Tuple(elems) => {
                self.line(&labelled(label, "Tuple"), span);
                self.nested(|p| {
                    for a in elems {
                        p.expr(None, a);
                    }
                });
            }
            ExprKind::Paren(a) => {
                self.line(&labelled(label, "Paren"), span);
                self.nested(|p| p.expr(None, a));
            }
            ExprKind::If(cond, then, els) => {
                self.line(&labelled(label, "If"), span);
                self.nested(|p| {
                    p.expr(Some("cond"), cond);
                    p.block(Some("then"), then);
                    if let Some(els) = els {
                        p.expr(Some("else"), els);
                    }
                });
            }
            ExprKind::Block(b) => self.block(label, b),
        }
    }
}

fn labelled(label: Option<&str>, text: &str) -> String {
    match label {
        Some(l) => format!("{l}: {text}"),
        None => text.to_owned(),
    }
}
