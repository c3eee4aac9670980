//! `--emit tokens`: one token per line, `line:col category text`, with the value of
//! integer and string literals after `=`.

use crate::lexer::{Token, TokenKind};
use std::fmt::Write;

/// Renders `tokens` (lexed from `src`) one per line. Lines and columns count from 1;
/// columns count characters.
pub fn tokens(tokens: &[Token], src: &str) -> String {
    let lines = LineIndex::new(src);
    let mut out = String::new();
    for token in tokens {
        let (line, col) = lines.position(src, token.span.lo as usize);
        let text = src.get(token.span.range()).unwrap_or("");
        let _ = write!(out, "{line}:{col} {} {text}", token.kind.category());
        match &token.kind {
            TokenKind::Int(lit) => {
                let _ = write!(out, " = {}", lit.value);
                if let Some(ty) = lit.suffix {
                    let _ = write!(out, " {}", ty.name());
                }
            }
            TokenKind::Str(value) => {
                let _ = write!(out, " = {value:?}");
            }
            _ => {}
        }
        out.push('\n');
    }
    out
}

/// Byte offsets of line starts, for turning offsets into `line:col`.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn position(&self, src: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line, col)
    }
}
