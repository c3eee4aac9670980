//! A linear pre-pass that keeps the LR parser's stack shallow.
//!
//! The parser's error recovery (lalrpop's) looks through the whole state stack once for
//! every token it drops, so a syntax error under 128k nested parentheses cost a
//! quadratic 25 s. The nesting bound of [`super::build`] applies only when nodes are
//! built, after the stack has grown. This pass runs first, over the tokens, and
//! estimates the nesting the parser's stack will hold: open brackets, and the chains
//! that grow the stack without brackets (`!!!x`, `a ** b ** c`, `else if` chains,
//! `map<_, map<…>>`). Every unit it counts is a level of the tree the parser builds, so
//! a file beyond [`MAX_STACK_NESTING`] (twice the tree's limit) could never parse; the
//! tokens are cut where the estimate crosses it (E0203), and recovery works on a stack
//! of bounded depth: linear in the input.

use super::MAX_DEPTH;
use crate::diagnostics::{Code, Diagnostic};
use crate::lexer::{Token, TokenKind};

/// The most nesting this pass lets through: twice the tree's limit, so that only input
/// that is far too deep anyway is cut here (the tree's own check reports the rest).
pub(crate) const MAX_STACK_NESTING: u32 = 2 * MAX_DEPTH;

/// One open bracket (or the file) and the chains open inside it.
#[derive(Default)]
struct Frame {
    bangs: u32,
    pows: u32,
    elses: u32,
    maps: u32,
    /// The previous token closed a `}` inside this frame (an `else` may follow).
    after_block: bool,
}

impl Frame {
    fn chains(&self) -> u32 {
        self.bangs + self.pows + self.elses + self.maps
    }
}

/// Where to cut `tokens` (the index of the first token dropped), if they nest too
/// deep; the cut is reported as E0203.
pub(crate) fn cut_too_deep(tokens: &[Token], diags: &mut Vec<Diagnostic>) -> Option<usize> {
    use TokenKind as T;
    let mut frames = vec![Frame::default()];
    for (i, t) in tokens.iter().enumerate() {
        let Some(top) = frames.last_mut() else {
            break;
        };
        if top.after_block {
            top.after_block = false;
            if t.kind != T::Else {
                top.elses = 0;
            }
        }
        match &t.kind {
            T::LParen | T::LBracket => frames.push(Frame::default()),
            T::LBrace => {
                // A block or struct literal: the expression before it is complete.
                top.bangs = 0;
                top.pows = 0;
                frames.push(Frame::default());
            }
            T::RParen | T::RBracket | T::RBrace => {
                if frames.len() > 1 {
                    frames.pop();
                }
                if t.kind == T::RBrace
                    && let Some(parent) = frames.last_mut()
                {
                    parent.after_block = true;
                }
            }
            T::Bang => top.bangs += 1,
            T::StarStar => {
                top.bangs = 0;
                top.pows += 1;
            }
            T::Else => top.elses += 1,
            T::Map => top.maps += 1,
            T::Gt => top.maps = top.maps.saturating_sub(1),
            T::Shr => top.maps = top.maps.saturating_sub(2),
            T::Semi | T::Colon | T::Assign => *top = Frame::default(),
            T::Plus
            | T::Minus
            | T::Star
            | T::Slash
            | T::Percent
            | T::EqEq
            | T::NotEq
            | T::Lt
            | T::Le
            | T::Ge
            | T::AndAnd
            | T::OrOr
            | T::Amp
            | T::Pipe
            | T::Caret
            | T::Shl
            | T::As
            | T::Comma
            | T::DotDot
            | T::PlusEq
            | T::MinusEq
            | T::StarEq
            | T::SlashEq
            | T::PercentEq => {
                top.bangs = 0;
                top.pows = 0;
            }
            _ => {}
        }
        let nesting: u32 = frames
            .iter()
            .fold(0u32, |n, f| n.saturating_add(1 + f.chains()));
        if nesting > MAX_STACK_NESTING {
            diags.push(
                Diagnostic::new(Code::TooDeep, t.span, "nesting too deep")
                    .with_label(format!(
                        "this nests deeper than {MAX_STACK_NESTING} levels: the file is not parsed past here"
                    ))
                    .with_help("split the expression with `let` bindings, or the code into functions"),
            );
            return Some(i);
        }
    }
    None
}
