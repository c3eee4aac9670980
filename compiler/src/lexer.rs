//! The lexer: source text to [`Token`]s with byte spans.
//!
//! Built on `logos`. Whitespace and comments are skipped; `///` doc comments are
//! kept as [`TokenKind::DocComment`] tokens so the parser can attach them to items.
//!
//! Choices the spec leaves open:
//! - Block comments `/* … */` nest, as in Rust: `/* a /* b */ c */` is one comment.
//! - `////` (four or more slashes) is an ordinary comment, not a doc comment (Rust's rule).
//! - A string literal ends at the end of its line: a raw newline before the closing
//!   quote is an unterminated string (E0103). Escapes: `\n \t \\ \" \0`.
//! - An integer literal is one run of `[0-9][0-9A-Za-z_]*`, validated as a whole:
//!   decimal with `_` separators, an optional exponent (`1e18`, exact), hex `0x…`, and an
//!   optional suffix `u8 u64 u128 u256`. `0x` followed by exactly 40 hex digits, with no
//!   `_` and no suffix, is an address literal; with a suffix it is an integer.
//!
//! Lexing never stops at an error: each problem becomes a [`Diagnostic`] and the
//! lexer carries on, so one run reports every lexical error of the file.

use crate::ast::IntTy;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::span::{FileId, Span};
use logos::{Filter, Lexer, Logos, Skip};
use ruint::aliases::U256;
use std::fmt;

mod number;
#[cfg(test)]
mod tests;

use number::{Number, parse_number};

/// One token: what it is and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The kind, with its value for literals and names.
    pub kind: TokenKind,
    /// The bytes it covers.
    pub span: Span,
    /// Whether it is the first token of its line: a line break (or the start of the
    /// file) comes between it and the token before it.
    pub starts_line: bool,
}

/// The value of an integer literal token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntLit {
    /// The exact value (always fits `u256`; a literal that does not is an error, value 0).
    pub value: U256,
    /// The type suffix, if written (`1_000u64`).
    pub suffix: Option<IntTy>,
}

/// State the lexer callbacks share: the file and the diagnostics found so far.
pub struct LexExtras {
    file: FileId,
    diags: Vec<Diagnostic>,
    /// Set by the number callback when the literal is an address, not an integer.
    address: Option<[u8; 20]>,
}

impl Default for LexExtras {
    fn default() -> LexExtras {
        LexExtras {
            file: FileId(0),
            diags: Vec::new(),
            address: None,
        }
    }
}

impl LexExtras {
    fn span(&self, lo: usize, hi: usize) -> Span {
        Span::new(self.file, lo, hi)
    }
}

/// Every kind of token of the language.
#[derive(Logos, Clone, Debug, PartialEq, Eq)]
#[logos(extras = LexExtras)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"//[^\n]*", allow_greedy = true))]
#[logos(skip(r"/\*", lex_block_comment))]
pub enum TokenKind {
    /// `contract`
    #[token("contract")]
    Contract,
    /// `storage`
    #[token("storage")]
    Storage,
    /// `init`
    #[token("init")]
    Init,
    /// `fn`
    #[token("fn")]
    Fn,
    /// `pub`
    #[token("pub")]
    Pub,
    /// `view`
    #[token("view")]
    View,
    /// `let`
    #[token("let")]
    Let,
    /// `mut`
    #[token("mut")]
    Mut,
    /// `if`
    #[token("if")]
    If,
    /// `else`
    #[token("else")]
    Else,
    /// `while`
    #[token("while")]
    While,
    /// `for`
    #[token("for")]
    For,
    /// `in`
    #[token("in")]
    In,
    /// `break`
    #[token("break")]
    Break,
    /// `continue`
    #[token("continue")]
    Continue,
    /// `return`
    #[token("return")]
    Return,
    /// `require`
    #[token("require")]
    Require,
    /// `revert`
    #[token("revert")]
    Revert,
    /// `emit`
    #[token("emit")]
    Emit,
    /// `event`
    #[token("event")]
    Event,
    /// `struct`
    #[token("struct")]
    Struct,
    /// `const`
    #[token("const")]
    Const,
    /// `use`
    #[token("use")]
    Use,
    /// `reads`
    #[token("reads")]
    Reads,
    /// `writes`
    #[token("writes")]
    Writes,
    /// `calls`
    #[token("calls")]
    Calls,
    /// `map`
    #[token("map")]
    Map,
    /// `true`
    #[token("true")]
    True,
    /// `false`
    #[token("false")]
    False,
    /// `caller`
    #[token("caller")]
    Caller,
    /// `self`
    #[token("self")]
    SelfKw,
    /// `block`
    #[token("block")]
    Block,
    /// `as`
    #[token("as")]
    As,

    /// `+`
    #[token("+")]
    Plus,
    /// `-`
    #[token("-")]
    Minus,
    /// `*`
    #[token("*")]
    Star,
    /// `/`
    #[token("/")]
    Slash,
    /// `%`
    #[token("%")]
    Percent,
    /// `**`
    #[token("**")]
    StarStar,
    /// `=`
    #[token("=")]
    Assign,
    /// `==`
    #[token("==")]
    EqEq,
    /// `!=`
    #[token("!=")]
    NotEq,
    /// `<`
    #[token("<")]
    Lt,
    /// `<=`
    #[token("<=")]
    Le,
    /// `>`
    #[token(">")]
    Gt,
    /// `>=`
    #[token(">=")]
    Ge,
    /// `&&`
    #[token("&&")]
    AndAnd,
    /// `||`
    #[token("||")]
    OrOr,
    /// `!`
    #[token("!")]
    Bang,
    /// `&`
    #[token("&")]
    Amp,
    /// `|`
    #[token("|")]
    Pipe,
    /// `^`
    #[token("^")]
    Caret,
    /// `<<`
    #[token("<<")]
    Shl,
    /// `>>`
    #[token(">>")]
    Shr,
    /// `+=`
    #[token("+=")]
    PlusEq,
    /// `-=`
    #[token("-=")]
    MinusEq,
    /// `*=`
    #[token("*=")]
    StarEq,
    /// `/=`
    #[token("/=")]
    SlashEq,
    /// `%=`
    #[token("%=")]
    PercentEq,
    /// `.`
    #[token(".")]
    Dot,
    /// `..`
    #[token("..")]
    DotDot,
    /// `::`
    #[token("::")]
    ColonColon,
    /// `:`
    #[token(":")]
    Colon,
    /// `,`
    #[token(",")]
    Comma,
    /// `;`
    #[token(";")]
    Semi,
    /// `(`
    #[token("(")]
    LParen,
    /// `)`
    #[token(")")]
    RParen,
    /// `{`
    #[token("{")]
    LBrace,
    /// `}`
    #[token("}")]
    RBrace,
    /// `[`
    #[token("[")]
    LBracket,
    /// `]`
    #[token("]")]
    RBracket,
    /// `->`
    #[token("->")]
    Arrow,
    /// `=>`
    #[token("=>")]
    FatArrow,

    /// A name that is not a keyword.
    #[regex("[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_owned())]
    Ident(String),
    /// An integer literal.
    #[regex("[0-9][0-9A-Za-z_]*", lex_number)]
    Int(IntLit),
    /// An address literal: `0x` and exactly 40 hex digits.
    Address([u8; 20]),
    /// A string literal, escapes resolved.
    #[token("\"", lex_string)]
    Str(String),
    /// A `///` doc comment line: the text after the slashes, one leading space removed.
    #[regex("///[^\n]*", lex_doc_comment, allow_greedy = true)]
    DocComment(String),
}

impl TokenKind {
    /// The text of a token that is always spelled the same (keywords, punctuation).
    pub fn fixed_text(&self) -> Option<&'static str> {
        use TokenKind::*;
        Some(match self {
            Contract => "contract",
            Storage => "storage",
            Init => "init",
            Fn => "fn",
            Pub => "pub",
            View => "view",
            Let => "let",
            Mut => "mut",
            If => "if",
            Else => "else",
            While => "while",
            For => "for",
            In => "in",
            Break => "break",
            Continue => "continue",
            Return => "return",
            Require => "require",
            Revert => "revert",
            Emit => "emit",
            Event => "event",
            Struct => "struct",
            Const => "const",
            Use => "use",
            Reads => "reads",
            Writes => "writes",
            Calls => "calls",
            Map => "map",
            True => "true",
            False => "false",
            Caller => "caller",
            SelfKw => "self",
            Block => "block",
            As => "as",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            StarStar => "**",
            Assign => "=",
            EqEq => "==",
            NotEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            AndAnd => "&&",
            OrOr => "||",
            Bang => "!",
            Amp => "&",
            Pipe => "|",
            Caret => "^",
            Shl => "<<",
            Shr => ">>",
            PlusEq => "+=",
            MinusEq => "-=",
            StarEq => "*=",
            SlashEq => "/=",
            PercentEq => "%=",
            Dot => ".",
            DotDot => "..",
            ColonColon => "::",
            Colon => ":",
            Comma => ",",
            Semi => ";",
            LParen => "(",
            RParen => ")",
            LBrace => "{",
            RBrace => "}",
            LBracket => "[",
            RBracket => "]",
            Arrow => "->",
            FatArrow => "=>",
            Ident(_) | Int(_) | Address(_) | Str(_) | DocComment(_) => return None,
        })
    }

    /// The token's category for `--emit tokens`: `keyword`, `punct`, `ident`, `int`,
    /// `address`, `string` or `doc`.
    pub fn category(&self) -> &'static str {
        match self {
            TokenKind::Ident(_) => "ident",
            TokenKind::Int(_) => "int",
            TokenKind::Address(_) => "address",
            TokenKind::Str(_) => "string",
            TokenKind::DocComment(_) => "doc",
            other => match other.fixed_text() {
                Some(t) if t.starts_with(|c: char| c.is_ascii_alphabetic()) => "keyword",
                _ => "punct",
            },
        }
    }
}

/// How a token is named in messages: `` `fn` ``, `` identifier `x` ``, `integer literal`.
impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenKind::Ident(name) => write!(f, "identifier `{name}`"),
            TokenKind::Int(_) => f.write_str("integer literal"),
            TokenKind::Address(_) => f.write_str("address literal"),
            TokenKind::Str(_) => f.write_str("string literal"),
            TokenKind::DocComment(_) => f.write_str("doc comment"),
            other => write!(f, "`{}`", other.fixed_text().unwrap_or("?")),
        }
    }
}

/// Splits `src` into tokens, recording every lexical error in `diags` and carrying on.
pub fn lex(file: FileId, src: &str, diags: &mut Diagnostics) -> Vec<Token> {
    let extras = LexExtras {
        file,
        ..LexExtras::default()
    };
    let mut lexer = TokenKind::lexer_with_extras(src, extras);
    let mut tokens = Vec::new();
    // A run of adjacent bad characters is reported once.
    let mut bad_run: Option<std::ops::Range<usize>> = None;
    // Where the previous token ended (`None` before the first).
    let mut prev_end: Option<usize> = None;
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        match result {
            Ok(mut kind) => {
                flush_bad_run(&mut bad_run, src, &mut lexer.extras);
                if let Some(bytes) = lexer.extras.address.take() {
                    kind = TokenKind::Address(bytes);
                }
                let starts_line = prev_end.is_none_or(|end| {
                    src.get(end..range.start)
                        .is_some_and(|gap| gap.contains('\n'))
                });
                prev_end = Some(range.end);
                tokens.push(Token {
                    kind,
                    span: Span::new(file, range.start, range.end),
                    starts_line,
                });
            }
            Err(()) => match &mut bad_run {
                Some(run) if run.end == range.start => run.end = range.end,
                _ => {
                    flush_bad_run(&mut bad_run, src, &mut lexer.extras);
                    bad_run = Some(range);
                }
            },
        }
    }
    flush_bad_run(&mut bad_run, src, &mut lexer.extras);
    diags.extend(lexer.extras.diags);
    tokens
}

fn flush_bad_run(run: &mut Option<std::ops::Range<usize>>, src: &str, extras: &mut LexExtras) {
    let Some(range) = run.take() else { return };
    let mut hi = range.end.min(src.len());
    while !src.is_char_boundary(hi) {
        hi += 1;
    }
    let lo = range.start;
    let text = src.get(lo..hi).unwrap_or("");
    let first = text.chars().next().unwrap_or('?');
    let message = if text.chars().count() > 1 {
        format!("unexpected characters starting with {first:?}")
    } else {
        format!("unexpected character {first:?}")
    };
    extras.diags.push(
        Diagnostic::new(Code::BadCharacter, extras.span(lo, hi), message)
            .with_label("no token starts with this"),
    );
}

fn lex_doc_comment(lex: &mut Lexer<'_, TokenKind>) -> Filter<String> {
    let text = lex.slice();
    if text.starts_with("////") {
        return Filter::Skip;
    }
    let body = &text[3..];
    let body = body.strip_prefix(' ').unwrap_or(body);
    Filter::Emit(body.trim_end_matches('\r').to_owned())
}

fn lex_block_comment(lex: &mut Lexer<'_, TokenKind>) -> Skip {
    let start = lex.span().start;
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < rest.len() {
        match (rest[i], rest.get(i + 1)) {
            (b'/', Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            (b'*', Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    lex.bump(i);
                    return Skip;
                }
            }
            _ => i += 1,
        }
    }
    lex.bump(rest.len());
    let span = lex.extras.span(start, start + 2);
    lex.extras.diags.push(
        Diagnostic::new(
            Code::UnterminatedComment,
            span,
            "unterminated block comment",
        )
        .with_label("this comment is never closed")
        .with_help("close it with `*/` (block comments nest: each `/*` needs its own `*/`)"),
    );
    Skip
}

fn lex_string(lex: &mut Lexer<'_, TokenKind>) -> String {
    let quote = lex.span().start;
    let base = lex.span().end;
    let rest = lex.remainder();
    let mut out = String::new();
    let mut chars = rest.char_indices();
    let consumed = loop {
        match chars.next() {
            None => break None,
            Some((i, '"')) => break Some(i + 1),
            Some((i, '\n')) => {
                lex.bump(i);
                let span = lex.extras.span(quote, base + i);
                push_unterminated_string(lex, span);
                return out;
            }
            Some((i, '\\')) => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                Some((_, '0')) => out.push('\0'),
                Some((j, '\n')) => {
                    lex.bump(j);
                    let span = lex.extras.span(quote, base + j);
                    push_unterminated_string(lex, span);
                    return out;
                }
                Some((j, c)) => {
                    let span = lex.extras.span(base + i, base + j + c.len_utf8());
                    lex.extras.diags.push(
                        Diagnostic::new(Code::BadEscape, span, format!("unknown escape `\\{c}`"))
                            .with_help(r#"the escapes are `\n`, `\t`, `\\`, `\"` and `\0`"#),
                    );
                }
                None => break None,
            },
            Some((_, c)) => out.push(c),
        }
    };
    match consumed {
        Some(n) => lex.bump(n),
        None => {
            lex.bump(rest.len());
            let span = lex.extras.span(quote, base + rest.len());
            push_unterminated_string(lex, span);
        }
    }
    out
}

fn push_unterminated_string(lex: &mut Lexer<'_, TokenKind>, span: Span) {
    lex.extras.diags.push(
        Diagnostic::new(
            Code::UnterminatedString,
            span,
            "unterminated string literal",
        )
        .with_label("this string has no closing `\"` on its line"),
    );
}

fn lex_number(lex: &mut Lexer<'_, TokenKind>) -> IntLit {
    let range = lex.span();
    match parse_number(lex.slice()) {
        Ok(Number::Int(lit)) => lit,
        Ok(Number::Address(bytes)) => {
            lex.extras.address = Some(bytes);
            IntLit {
                value: U256::ZERO,
                suffix: None,
            }
        }
        Err(err) => {
            let span = lex.extras.span(range.start, range.end);
            let mut d = Diagnostic::new(Code::BadIntLiteral, span, err.message);
            if let Some(help) = err.help {
                d = d.with_help(help);
            }
            lex.extras.diags.push(d);
            IntLit {
                value: U256::ZERO,
                suffix: err.suffix,
            }
        }
    }
}
