//! Questions about expressions that lowering asks before it evaluates them.

use crate::hir::{self, ExprKind, LocalId, PlaceBase, StmtKind};

/// Whether evaluating `e` may assign a local (a block in it assigns one). Operands
/// evaluated before such an expression are copied out of their locals first.
pub(super) fn may_assign_locals(e: &hir::Expr) -> bool {
    expr_any(e, &|_| false, &|s| {
        matches!(
            &s.kind,
            StmtKind::Assign {
                place: hir::Place {
                    base: PlaceBase::Local(_),
                    ..
                },
                ..
            }
        )
    })
}

/// Whether `e` reads, binds or assigns the local `id` anywhere.
pub(super) fn mentions_local(e: &hir::Expr, id: LocalId) -> bool {
    expr_any(
        e,
        &|x| matches!(x.kind, ExprKind::Local(l) if l == id),
        &|s| match &s.kind {
            StmtKind::Assign { place, .. } => {
                matches!(place.base, PlaceBase::Local(l) if l == id)
            }
            StmtKind::Let { locals, .. } => locals.contains(&Some(id)),
            StmtKind::For { var, .. } => *var == id,
            _ => false,
        },
    )
}

type ExprPred<'a> = &'a dyn Fn(&hir::Expr) -> bool;
type StmtPred<'a> = &'a dyn Fn(&hir::Stmt) -> bool;

/// Whether any sub-expression satisfies `pe` or any nested statement `ps`.
fn expr_any(e: &hir::Expr, pe: ExprPred<'_>, ps: StmtPred<'_>) -> bool {
    if pe(e) {
        return true;
    }
    let any = |es: &[hir::Expr]| es.iter().any(|x| expr_any(x, pe, ps));
    match &e.kind {
        ExprKind::Lit(_)
        | ExprKind::Local(_)
        | ExprKind::Caller
        | ExprKind::SelfAddr
        | ExprKind::BlockNumber
        | ExprKind::BlockTimestamp => false,
        ExprKind::SubAccount(x) | ExprKind::Not(x) | ExprKind::Cast(x) | ExprKind::Field(x, _) => {
            expr_any(x, pe, ps)
        }
        ExprKind::Storage { key, .. } => key.as_deref().is_some_and(|k| expr_any(k, pe, ps)),
        ExprKind::Binary(_, l, r) => expr_any(l, pe, ps) || expr_any(r, pe, ps),
        ExprKind::Tuple(es) | ExprKind::Call(_, es) | ExprKind::Intrinsic(_, es) => any(es),
        ExprKind::Struct(_, fs) => fs.iter().any(|(_, x)| expr_any(x, pe, ps)),
        ExprKind::If(c, t, els) => {
            expr_any(c, pe, ps)
                || block_any(t, pe, ps)
                || els.as_deref().is_some_and(|x| expr_any(x, pe, ps))
        }
        ExprKind::Block(b) => block_any(b, pe, ps),
        ExprKind::ExtCall {
            target,
            args,
            as_sub,
            ..
        } => {
            expr_any(target, pe, ps)
                || any(args)
                || as_sub.as_deref().is_some_and(|k| expr_any(k, pe, ps))
        }
    }
}

fn block_any(b: &hir::Block, pe: ExprPred<'_>, ps: StmtPred<'_>) -> bool {
    b.stmts.iter().any(|s| stmt_any(s, pe, ps))
        || b.tail.as_deref().is_some_and(|t| expr_any(t, pe, ps))
}

fn stmt_any(s: &hir::Stmt, pe: ExprPred<'_>, ps: StmtPred<'_>) -> bool {
    if ps(s) {
        return true;
    }
    let ex = |x: &hir::Expr| expr_any(x, pe, ps);
    match &s.kind {
        StmtKind::Let { init, .. } => ex(init),
        StmtKind::Assign { place, value, .. } => {
            let key = match &place.base {
                PlaceBase::Storage { key, .. } => key.as_deref().is_some_and(ex),
                PlaceBase::Local(_) => false,
            };
            key || ex(value)
        }
        StmtKind::While { cond, body } => ex(cond) || block_any(body, pe, ps),
        StmtKind::For {
            start, end, body, ..
        } => ex(start) || ex(end) || block_any(body, pe, ps),
        StmtKind::Return(Some(x)) | StmtKind::Require { cond: x, .. } | StmtKind::Expr(x) => ex(x),
        StmtKind::Emit { args, .. } => args.iter().any(ex),
        StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) | StmtKind::Revert(_) => {
            false
        }
    }
}
