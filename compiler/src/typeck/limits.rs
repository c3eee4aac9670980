//! The bytecode format's limits on types, checked on declarations before any type is
//! expanded (flattened into words or into the VM's [`braid_bytecode::ValueType`]).
//!
//! A struct names other structs, so a few lines can declare a type whose expansion is
//! exponential (`struct W1 { a: W0, b: W0 }` … forty levels). Every struct's
//! *shape* — its words, the nodes of its expansion and its nesting height — is
//! computed once, inner structs first, with saturating arithmetic and without
//! expanding anything. A struct beyond a limit is reported once (E0602, E0604), where
//! the limit is first crossed, and cut (its fields become errors) so that no later
//! pass expands it. Storage values and keys, event parameters, and function parameters
//! and returns are checked against the same limits (and a storage value must have a
//! word, E0603), so that whatever the compiler emits the verifier accepts.

use super::Checker;
use crate::diagnostics::{Code, Diagnostic};
use crate::hir::Ty;
use crate::span::Span;
use braid_bytecode::{MAX_DECODE_DEPTH, MAX_VALUE_WORDS};

/// The most nodes (scalars, tuples and structs) the expansion of one type may have.
/// It bounds the memory of expanding a type (words alone do not: a struct of empty
/// structs has no words); a value of [`MAX_VALUE_WORDS`] words in any sensible
/// arrangement fits.
pub const MAX_TYPE_NODES: u64 = 1 << 17;

/// The deepest nesting of tuples and structs in a type: the VM's limit.
pub const MAX_TYPE_DEPTH: u32 = MAX_DECODE_DEPTH;

/// What a type expands to, counted without expanding it (saturating).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    /// 256-bit words of a value.
    pub words: u64,
    /// Nodes of the expanded type tree.
    pub nodes: u64,
    /// Levels of nesting (a scalar is 1).
    pub height: u32,
    /// Whether an error (reported already) is part of it.
    pub error: bool,
}

impl Shape {
    const LEAF: Shape = Shape {
        words: 1,
        nodes: 1,
        height: 1,
        error: false,
    };
    const EMPTY: Shape = Shape {
        words: 0,
        nodes: 1,
        height: 1,
        error: false,
    };
    const ERROR: Shape = Shape {
        error: true,
        ..Shape::EMPTY
    };

    /// An aggregate of `children`.
    fn aggregate(children: impl IntoIterator<Item = Shape>) -> Shape {
        children.into_iter().fold(Shape::EMPTY, |acc, c| Shape {
            words: acc.words.saturating_add(c.words),
            nodes: acc.nodes.saturating_add(c.nodes),
            height: acc.height.max(c.height.saturating_add(1)),
            error: acc.error || c.error,
        })
    }

    /// The first limit this shape is beyond, as a diagnostic code and a phrase.
    /// A shape with an error in it is not judged: its error is reported already.
    fn over_limit(self) -> Option<(Code, String)> {
        if self.error {
            None
        } else if self.height > MAX_TYPE_DEPTH {
            Some((
                Code::TypeTooDeep,
                format!(
                    "nests {} levels deep (at most {MAX_TYPE_DEPTH})",
                    self.height
                ),
            ))
        } else if self.words > MAX_VALUE_WORDS as u64 {
            Some((
                Code::TypeTooLarge,
                format!(
                    "flattens to {} words (a value has at most {MAX_VALUE_WORDS})",
                    self.words
                ),
            ))
        } else if self.nodes > MAX_TYPE_NODES {
            Some((
                Code::TypeTooLarge,
                format!(
                    "expands to {} nested types (at most {MAX_TYPE_NODES})",
                    self.nodes
                ),
            ))
        } else {
            None
        }
    }
}

impl Checker<'_> {
    /// The shape of every struct, inner structs first (iteratively: the struct graph
    /// has no cycle any more); a struct beyond a limit is reported, cut, and counted
    /// as empty by the structs that contain it.
    pub(super) fn check_struct_shapes(&mut self) {
        let n = self.program.structs.len();
        let mut shapes: Vec<Option<Shape>> = vec![None; n];
        let mut over: Vec<(usize, Code, String)> = Vec::new();
        for root in 0..n {
            let mut stack = vec![root];
            while let Some(&s) = stack.last() {
                if shapes[s].is_some() {
                    stack.pop();
                    continue;
                }
                let mut missing = None;
                let fields: Vec<Shape> = self.program.structs[s]
                    .fields
                    .iter()
                    .map(|(_, t)| {
                        self.shape_with(t, &shapes, &mut |i| {
                            missing.get_or_insert(i);
                        })
                    })
                    .collect();
                match missing {
                    // Guard against a cycle (cut before, so never expected).
                    Some(t) if !stack.contains(&t) => stack.push(t),
                    _ => {
                        let shape = Shape::aggregate(fields);
                        shapes[s] = Some(match shape.over_limit() {
                            Some((code, what)) => {
                                over.push((s, code, what));
                                Shape::ERROR
                            }
                            None => shape,
                        });
                        stack.pop();
                    }
                }
            }
        }
        for (s, code, what) in over {
            let def = &mut self.program.structs[s];
            let (span, name) = (def.span, def.name.clone());
            for f in &mut def.fields {
                f.1 = Ty::Error;
            }
            self.err(limit_diagnostic(
                code,
                span,
                format!("the struct `{name}` {what}"),
            ));
        }
        self.struct_shapes = shapes
            .into_iter()
            .map(|s| s.unwrap_or(Shape::EMPTY))
            .collect();
        self.struct_words = self.struct_shapes.iter().map(|s| s.words).collect();
    }

    /// The shape of `ty` given the struct shapes known so far; `missing` hears of a
    /// struct not computed yet (its shape counts as empty meanwhile).
    fn shape_with(
        &self,
        ty: &Ty,
        structs: &[Option<Shape>],
        missing: &mut dyn FnMut(usize),
    ) -> Shape {
        match ty {
            Ty::Unit => Shape::EMPTY,
            Ty::Error => Shape::ERROR,
            Ty::Bool | Ty::Int(_) | Ty::Address | Ty::Contract(_) => Shape::LEAF,
            Ty::Tuple(ts) => {
                Shape::aggregate(ts.iter().map(|t| self.shape_with(t, structs, missing)))
            }
            Ty::Struct(id) => match structs.get(id.0 as usize) {
                Some(Some(shape)) => *shape,
                Some(None) => {
                    missing(id.0 as usize);
                    Shape::EMPTY
                }
                None => Shape::EMPTY,
            },
        }
    }

    /// The shape of a type (after [`Checker::check_struct_shapes`]).
    pub(crate) fn shape(&self, ty: &Ty) -> Shape {
        match ty {
            Ty::Struct(id) => self
                .struct_shapes
                .get(id.0 as usize)
                .copied()
                .unwrap_or(Shape::EMPTY),
            Ty::Tuple(ts) => Shape::aggregate(ts.iter().map(|t| self.shape(t))),
            other => self.shape_with(other, &[], &mut |_| {}),
        }
    }

    /// Checks the types of one value the module stores in a fixed width (`what`: "the
    /// storage value of `x`"): each type's nesting, and their words and nodes together.
    /// Returns whether it is within the limits.
    pub(crate) fn check_value_limits(&mut self, tys: &[(&Ty, Span)], at: Span, what: &str) -> bool {
        let mut total = Shape {
            words: 0,
            nodes: 0,
            height: 0,
            error: false,
        };
        for (ty, span) in tys {
            let shape = self.shape(ty);
            if shape.height > MAX_TYPE_DEPTH && !shape.error {
                self.err(limit_diagnostic(
                    Code::TypeTooDeep,
                    *span,
                    format!(
                        "{what} nests {} levels deep (at most {MAX_TYPE_DEPTH})",
                        shape.height
                    ),
                ));
                return false;
            }
            total.error |= shape.error;
            total.words = total.words.saturating_add(shape.words);
            total.nodes = total.nodes.saturating_add(shape.nodes);
        }
        if total.error {
            // A type cut for a limit (or not resolved): reported already, but whatever
            // holds it must not be trusted (or expanded) by later passes.
            self.silent_errors += 1;
            return false;
        }
        match total.over_limit() {
            Some((code, why)) => {
                self.err(limit_diagnostic(code, at, format!("{what} {why}")));
                false
            }
            None => true,
        }
    }

    /// E0603: a storage value must have at least one word (the VM stores words).
    pub(crate) fn check_storage_value_nonempty(&mut self, ty: &Ty, span: Span, field: &str) {
        let shape = self.shape(ty);
        if shape.words == 0 && !shape.error {
            let name = self.ty_name(ty);
            self.err(
                Diagnostic::new(
                    Code::EmptyStorageValue,
                    span,
                    format!("the storage field `{field}` has type `{name}`, which holds no data"),
                )
                .with_label("a storage value needs at least one word")
                .with_help("remove the field, or give the type a field"),
            );
        }
    }
}

/// E0602 or E0604 with the label and help of its kind.
fn limit_diagnostic(code: Code, span: Span, message: String) -> Diagnostic {
    let d = Diagnostic::new(code, span, message);
    if code == Code::TypeTooDeep {
        d.with_label("nested too deeply for the VM")
            .with_help("flatten the type: put the inner fields in the outer struct")
    } else {
        d.with_label("too large for the VM").with_help(
            "keep large collections in a storage map, keyed by an index, instead of in one value",
        )
    }
}
