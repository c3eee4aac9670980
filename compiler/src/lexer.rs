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

#[cfg(test)]
mod tests;

/// One token: what it is and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The kind, with its value for literals and names.
    pub kind: TokenKind,
    /// The bytes it covers.
    pub span: Span,
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
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        match result {
            Ok(mut kind) => {
                flush_bad_run(&mut bad_run, src, &mut lexer.extras);
                if let Some(bytes) = lexer.extras.address.take() {
                    kind = TokenKind::Address(bytes);
                }
                tokens.push(Token {
                    kind,
                    span: Span::new(file, range.start, range.end),
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

/// What a number token turned out to be.
#[derive(Debug, PartialEq)]
enum Number {
    Int(IntLit),
    Address([u8; 20]),
}

#[derive(Debug)]
struct NumberError {
    message: String,
    help: Option<String>,
    /// The suffix, if it was valid, so the parser still sees the intended type.
    suffix: Option<IntTy>,
}

fn number_error(message: String, help: Option<&str>, suffix: Option<IntTy>) -> NumberError {
    NumberError {
        message,
        help: help.map(str::to_owned),
        suffix,
    }
}

fn too_large(suffix: Option<IntTy>) -> NumberError {
    number_error(
        "integer literal is too large for u256".to_owned(),
        Some("the largest integer is 2^256 - 1"),
        suffix,
    )
}

/// Validates and evaluates one `[0-9][0-9A-Za-z_]*` run.
fn parse_number(text: &str) -> Result<Number, NumberError> {
    // The suffix starts at the first `u` (never a digit, hex or decimal).
    let (body, suffix) = match text.find('u') {
        Some(at) => {
            let name = &text[at..];
            match IntTy::from_name(name) {
                Some(ty) => (&text[..at], Some(ty)),
                None => {
                    return Err(number_error(
                        format!("unknown integer suffix `{name}`"),
                        Some("the suffixes are `u8`, `u64`, `u128` and `u256`"),
                        None,
                    ));
                }
            }
        }
        None => (text, None),
    };
    if let Some(hex) = body.strip_prefix("0x") {
        return parse_hex(hex, suffix);
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mut value = parse_decimal_digits(mantissa, suffix)?.ok_or_else(|| too_large(suffix))?;
    if let Some(exponent) = exponent {
        if !exponent.contains(|c: char| c.is_ascii_digit()) {
            return Err(number_error(
                "integer exponent has no digits".to_owned(),
                Some("write the exponent after `e`, as in `1e18`"),
                suffix,
            ));
        }
        let exp = parse_decimal_digits(exponent, suffix)?;
        if value != U256::ZERO {
            let exp = exp.ok_or_else(|| too_large(suffix))?;
            let scale = U256::from(10u64)
                .checked_pow(exp)
                .ok_or_else(|| too_large(suffix))?;
            value = value.checked_mul(scale).ok_or_else(|| too_large(suffix))?;
        }
    }
    Ok(Number::Int(IntLit { value, suffix }))
}

/// Decimal digits with `_`; `Ok(None)` when the value overflows u256.
fn parse_decimal_digits(digits: &str, suffix: Option<IntTy>) -> Result<Option<U256>, NumberError> {
    let mut value = Some(U256::ZERO);
    for c in digits.chars() {
        match c {
            '_' => {}
            '0'..='9' => {
                let d = U256::from(u64::from(c as u8 - b'0'));
                value = value
                    .and_then(|v| v.checked_mul(U256::from(10u64)))
                    .and_then(|v| v.checked_add(d));
            }
            other => {
                return Err(number_error(
                    format!("invalid digit {other:?} in integer literal"),
                    Some(
                        "integers are decimal (`1_000`, `1e18`) or hex (`0xff`), with an optional suffix such as `u64`",
                    ),
                    suffix,
                ));
            }
        }
    }
    Ok(value)
}

fn parse_hex(hex: &str, suffix: Option<IntTy>) -> Result<Number, NumberError> {
    let mut digits = Vec::with_capacity(hex.len());
    for c in hex.chars() {
        match c {
            '_' => {}
            c if c.is_ascii_hexdigit() => digits.push(c.to_digit(16).unwrap_or(0) as u8),
            other => {
                return Err(number_error(
                    format!("invalid digit {other:?} in hex literal"),
                    Some("hex digits are 0-9, a-f and A-F"),
                    suffix,
                ));
            }
        }
    }
    if digits.is_empty() {
        return Err(number_error(
            "hex literal has no digits".to_owned(),
            Some("write the digits after `0x`, as in `0xff`"),
            suffix,
        ));
    }
    if suffix.is_none() && digits.len() == 40 && !hex.contains('_') {
        let mut bytes = [0u8; 20];
        for (i, pair) in digits.chunks(2).enumerate() {
            bytes[i] = (pair[0] << 4) | pair[1];
        }
        return Ok(Number::Address(bytes));
    }
    let mut value = U256::ZERO;
    for d in digits {
        value = value
            .checked_mul(U256::from(16u64))
            .and_then(|v| v.checked_add(U256::from(u64::from(d))))
            .ok_or_else(|| too_large(suffix))?;
    }
    Ok(Number::Int(IntLit { value, suffix }))
}
