//! Struct literals written directly in an `if`, `while` or `for` head (E0418).
//!
//! As in Rust, the grammar reads `if a == P { x: 1 } { … }` with `{` opening the body,
//! so the struct literal would be a cascade of syntax errors. Telling the two apart
//! takes three tokens of lookahead (`P` `{` `x` `:`), more than the LR(1) grammar has,
//! so this pass looks at the tokens before parsing: where a head holds `Name { field :`
//! (or `Name { field ,`, which no block can start with either), it reports E0418 once
//! and wraps the literal in parentheses the parser can read, zero-width `(` and `)`, so
//! parsing carries on as if the user had written them.

use crate::diagnostics::{Code, Diagnostic};
use crate::lexer::{Token, TokenKind};
use crate::span::{FileId, Span};
use std::borrow::Cow;

/// An open bracket while scanning, with the heads that wait for their body at its level.
struct Frame {
    /// The token that opened it (`(`, `[` or `{`); the file level has none.
    open: Option<Opener>,
    /// `if`, `while` and `for` keywords (index into the tokens) whose body `{` has not
    /// come yet, innermost last.
    heads: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Opener {
    Paren,
    Bracket,
    Brace,
    /// The `{` of a struct literal found in a head: its `}` gets a `)` after it. Holds
    /// the index of the literal's name.
    StructLit {
        name: usize,
    },
}

/// The tokens with every struct literal that sits directly in a head wrapped in
/// parentheses, each reported (E0418) into `diags`. Borrows `tokens` when there is none.
pub(super) fn wrap_struct_literals_in_heads<'t>(
    file: FileId,
    tokens: &'t [Token],
    diags: &mut Vec<Diagnostic>,
) -> Cow<'t, [Token]> {
    // (name index, index of the closing `}` if any, keyword index)
    let mut found: Vec<(usize, Option<usize>, usize)> = Vec::new();
    let mut frames = vec![Frame {
        open: None,
        heads: Vec::new(),
    }];
    for (i, token) in tokens.iter().enumerate() {
        let Some(top) = frames.last_mut() else {
            break;
        };
        match token.kind {
            TokenKind::If | TokenKind::While | TokenKind::For => top.heads.push(i),
            TokenKind::LParen => frames.push(Frame::new(Opener::Paren)),
            TokenKind::LBracket => frames.push(Frame::new(Opener::Bracket)),
            TokenKind::LBrace => {
                let opener = match top.heads.last() {
                    Some(&keyword) if starts_struct_literal(tokens, i) => {
                        found.push((i - 1, None, keyword));
                        Opener::StructLit { name: i - 1 }
                    }
                    // `else { … }` is a branch, not a head's body.
                    Some(_) if i > 0 && tokens[i - 1].kind == TokenKind::Else => Opener::Brace,
                    Some(_) => {
                        top.heads.pop();
                        Opener::Brace
                    }
                    None => Opener::Brace,
                };
                frames.push(Frame::new(opener));
            }
            TokenKind::RParen => close(&mut frames, |o| o == Opener::Paren),
            TokenKind::RBracket => close(&mut frames, |o| o == Opener::Bracket),
            TokenKind::RBrace => {
                if let Some(Opener::StructLit { name }) = frames.last().and_then(|f| f.open)
                    && let Some(entry) = found.iter_mut().rev().find(|e| e.0 == name)
                {
                    entry.1 = Some(i);
                }
                close(&mut frames, |o| {
                    matches!(o, Opener::Brace | Opener::StructLit { .. })
                });
            }
            _ => {}
        }
    }
    if found.is_empty() {
        return Cow::Borrowed(tokens);
    }
    let mut out = Vec::with_capacity(tokens.len() + 2 * found.len());
    let mut opens = found.iter().map(|e| e.0).peekable();
    let mut closes: Vec<usize> = found.iter().filter_map(|e| e.1).collect();
    closes.sort_unstable();
    let mut closes = closes.into_iter().peekable();
    for (i, token) in tokens.iter().enumerate() {
        if opens.next_if_eq(&i).is_some() {
            let at = token.span.lo as usize;
            out.push(synthetic(file, TokenKind::LParen, at, token.starts_line));
        }
        out.push(token.clone());
        if closes.next_if_eq(&i).is_some() {
            let at = token.span.hi as usize;
            out.push(synthetic(file, TokenKind::RParen, at, false));
        }
    }
    for (name, close, keyword) in found {
        diags.push(struct_in_head(file, tokens, name, close, keyword));
    }
    Cow::Owned(out)
}

impl Frame {
    fn new(open: Opener) -> Frame {
        Frame {
            open: Some(open),
            heads: Vec::new(),
        }
    }
}

/// Pops the innermost frame if `matches` its opener; a stray closer is left to the parser.
fn close(frames: &mut Vec<Frame>, matches: impl Fn(Opener) -> bool) {
    if frames.last().and_then(|f| f.open).is_some_and(matches) {
        frames.pop();
    }
}

/// Whether the `{` at `i` opens a struct literal: `Name { field :` or `Name { field ,`,
/// where `Name` is not a field or path segment (`a.b {`).
fn starts_struct_literal(tokens: &[Token], i: usize) -> bool {
    let kind = |j: Option<usize>| j.and_then(|j| tokens.get(j)).map(|t| &t.kind);
    matches!(kind(i.checked_sub(1)), Some(TokenKind::Ident(_)))
        && !matches!(
            kind(i.checked_sub(2)),
            Some(TokenKind::Dot | TokenKind::ColonColon)
        )
        && matches!(kind(Some(i + 1)), Some(TokenKind::Ident(_)))
        && matches!(kind(Some(i + 2)), Some(TokenKind::Colon | TokenKind::Comma))
}

fn synthetic(file: FileId, kind: TokenKind, at: usize, starts_line: bool) -> Token {
    Token {
        kind,
        span: Span::new(file, at, at),
        starts_line,
    }
}

fn struct_in_head(
    file: FileId,
    tokens: &[Token],
    name: usize,
    close: Option<usize>,
    keyword: usize,
) -> Diagnostic {
    let span = |i: usize| tokens.get(i).map_or(Span::new(file, 0, 0), |t| t.span);
    let lo = span(name).lo as usize;
    // An unclosed literal is shown up to its `{`.
    let hi = span(close.unwrap_or(name + 1)).hi as usize;
    let (article, word) = match tokens.get(keyword).map(|t| &t.kind) {
        Some(TokenKind::If) => ("an", "if"),
        Some(TokenKind::While) => ("a", "while"),
        _ => ("a", "for"),
    };
    let struct_name = match tokens.get(name).map(|t| &t.kind) {
        Some(TokenKind::Ident(n)) => n.as_str(),
        _ => "Name",
    };
    Diagnostic::new(
        Code::StructInHead,
        Span::new(file, lo, hi),
        format!("a struct literal cannot appear directly in {article} `{word}` head"),
    )
    .with_label(format!(
        "its `{{` would be read as the start of the `{word}` body"
    ))
    .with_help(format!(
        "wrap the struct literal in parentheses: `({struct_name} {{ … }})`"
    ))
}
