//! Declarations of features Braid does not have (`enum Side { … }`, `interface I { … }`,
//! `modifier m() { … }`): one error each, with what to write instead, and the whole
//! declaration is taken out of the token stream so that the parser does not report
//! every token of it again.

use crate::diagnostics::{Code, Diagnostic};
use crate::lexer::{Token, TokenKind};
use crate::span::Span;

/// What to write instead of the declaration keyword `word`, if Braid lacks it.
fn instead(word: &str) -> Option<&'static str> {
    Some(match word {
        "enum" => {
            "Braid has no enums: declare the variants as constants, `const BUY: u8 = 0; const SELL: u8 = 1;`, and take a `u8`"
        }
        "interface" | "trait" => {
            "Braid has no interfaces: a contract type is its interface; `use token::Token;` imports it, and `t: Token` calls it"
        }
        "impl" => "Braid has no `impl` blocks: declare functions inside the `contract`",
        "modifier" => {
            "Braid has no modifiers: call an internal `fn` at the start of the body, or `require` the condition there"
        }
        "mapping" => "a storage map is `name: map<K, V>` inside `storage { … }`",
        _ => return None,
    })
}

/// Removes each `[pub] word Name … { … }` whose `word` Braid does not have, reporting
/// it once (E0205). An identifier followed by another identifier never starts valid
/// Braid, so nothing else is touched.
pub(crate) fn remove_unsupported_items(
    tokens: &[Token],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let unsupported = match (&t.kind, tokens.get(i + 1).map(|n| &n.kind)) {
            (TokenKind::Ident(word), Some(TokenKind::Ident(_))) => instead(word).map(|h| (word, h)),
            _ => None,
        };
        let Some((word, help)) = unsupported else {
            out.push(t.clone());
            i += 1;
            continue;
        };
        // The declaration runs to the `}` that closes its first `{` (or to a `;` before
        // any `{`, or to the end of the file).
        let mut depth = 0usize;
        let mut end = i + 1;
        while let Some(n) = tokens.get(end) {
            match n.kind {
                TokenKind::LBrace => depth += 1,
                TokenKind::RBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                TokenKind::Semi if depth == 0 => break,
                _ => {}
            }
            end += 1;
        }
        if matches!(out.last().map(|p| &p.kind), Some(TokenKind::Pub)) {
            out.pop();
        }
        let last = tokens.get(end).or_else(|| tokens.last()).unwrap_or(t);
        let head = Span::new(
            t.span.file,
            t.span.lo as usize,
            tokens[i + 1].span.hi as usize,
        );
        diags.push(
            Diagnostic::new(Code::Unsupported, head, format!("Braid has no `{word}`"))
                .with_label(format!("`{word}` is not part of the language"))
                .with_secondary(
                    Span::new(t.span.file, last.span.hi as usize, last.span.hi as usize),
                    "the declaration is skipped up to here",
                )
                .with_help(help),
        );
        i = end + 1;
    }
    out
}
