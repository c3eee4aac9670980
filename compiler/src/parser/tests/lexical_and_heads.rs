//! Diagnostics that once cascaded: struct literals in heads (E0418), `as` targets that
//! are not `self[…]` (E0204), syntax errors caused by lexical ones, the `;` hint.

use super::{check, errors, sexpr};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::span::FileId;

fn diagnostics(src: &str) -> Vec<Diagnostic> {
    let mut diags = Diagnostics::default();
    let _ = super::super::parse(FileId(0), src, &mut diags);
    diags.sorted()
}

#[test]
fn a_struct_literal_in_a_head_is_one_error_and_parsing_goes_on() {
    let src = "contract C {
    pub fn f(p: Point) -> bool {
        if p.x == Point { x: 1, y: 2 }.x {
            return true;
        }
        false
    }
    pub fn g() { }
}";
    let out = check(src);
    let errs: Vec<&str> = out.lines().filter(|l| l.starts_with("E0")).collect();
    assert_eq!(
        errs,
        ["E0418 @64..84: a struct literal cannot appear directly in an `if` head"],
        "{out}"
    );
    assert!(out.contains("help: wrap the struct literal in parentheses: `(Point { … })`"));
    // The rest of the contract is there: the body, the tail, the next function.
    assert!(out.contains("Return"), "{out}");
    assert!(out.contains("Bool false"), "{out}");
    assert!(out.contains("Fn pub fn g"), "{out}");
}

#[test]
fn struct_literals_in_while_and_for_heads_are_one_error_per_head() {
    let src = "fn f() -> u64 {
        while n < Point { x: 5, y: 6 }.y { n += 1; }
        for i in 0..Point { x: 5, y: 6 }.x { n += i; }
        for i in P { a, b }.x..3 { }
        n
    }";
    assert_eq!(
        errors(src),
        "E0418 @34..54: a struct literal cannot appear directly in a `while` head\n\
         E0418 @89..109: a struct literal cannot appear directly in a `for` head\n\
         E0418 @141..151: a struct literal cannot appear directly in a `for` head\n"
    );
}

#[test]
fn struct_literals_outside_heads_are_not_flagged() {
    for src in [
        "fn f() { if a == (S { x: 1 }).x { S { x: 1 } } else { S { x: 2 } } }",
        "fn f() { while ok(S { x: 1 }) { let s = S { x: 1, y }; } }",
        "fn f() { if if a { b } else { c } { S { x: 1 }; } }",
        "fn f() { if { S { x: 1 } }.x == 1 { } let t = [S { x: 1 }]; }",
        "fn f() { let v = if a { S { x: 1 } } else if b { S { x: 2 } } else { S { x: 3 } }; }",
        "fn f() { for i in 0..n { g(S { x: i }); } }",
        "contract C { struct S { x: u64 } fn f() { if a { } } struct T { y: u64 } }",
    ] {
        let out = errors(src);
        assert!(!out.contains("E0418"), "{src}: {out}");
    }
}

#[test]
fn a_non_type_after_as_is_a_bad_as_target() {
    assert_eq!(
        sexpr("t.transfer(to, x) as caller"),
        "(method transfer t to x) E0204"
    );
    assert_eq!(sexpr("t.f(x) as pool.owner"), "(method f t x) E0204");
    assert_eq!(sexpr("t.f(x) as owners[k]"), "(method f t x) E0204");
    assert_eq!(sexpr("t.f(x) as self"), "(method f t x) E0204");
    assert_eq!(sexpr("t.f(x) as 7 + 1"), "(+ (method f t x) 1) E0204");
    let d = diagnostics("fn f() { t.f(x) as caller; }");
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].message,
        "`as` after an external call must name a sub-account `self[…]`"
    );
    assert_eq!((d[0].primary.span.lo, d[0].primary.span.hi), (19, 25));
    // Not after a call: a type was expected.
    assert_eq!(
        errors("fn f() { x as caller; }"),
        "E0201 @14..20: expected a type after `as`\n"
    );
    // Still fine.
    assert_eq!(sexpr("t.f(x) as self[k]"), "(method f t x as-self k)");
    assert_eq!(sexpr("a as u64 as (u8)"), "(as (as a u64) u8)");
}

#[test]
fn an_unterminated_comment_is_not_also_an_unexpected_end() {
    assert_eq!(
        errors("contract C {\n  fn f() { }\n  /* never closed\n  fn g() { }\n}\n"),
        "E0102 @28..30: unterminated block comment\n"
    );
    // An end of file with no lexical error before it is still reported.
    assert_eq!(
        errors("contract C { /* closed */ fn f() { }"),
        "E0202 @36..36: unexpected end of file, expected one of `storage`, `init`, `fn`, `pub`, `view`, `event`, `struct`, `const` or `}`\n"
    );
}

#[test]
fn a_bad_character_or_string_is_not_also_a_syntax_error() {
    assert_eq!(
        errors("fn f(x: u64) -> u64 {\n    x $ 2\n}"),
        "E0101 @28..29: unexpected character '$'\n"
    );
    assert_eq!(
        errors("fn f(ok: bool) {\n    require(ok, \"never closed);\n}"),
        "E0103 @33..48: unterminated string literal\n"
    );
    // A syntax error elsewhere is still reported.
    assert_eq!(
        errors("fn f(x: u64) -> u64 { x $ 2 }\nfn g(x: u64) -> u64 { x 2 }"),
        "E0101 @24..25: unexpected character '$'\n\
         E0201 @54..55: expected one of `as`, `+`, `-`, `*`, `/`, `%`, `**`, `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`, `&`, `|`, `^`, `<<`, `>>`, `+=`, `-=`, `*=`, `/=`, `%=`, `.`, `;`, `(`, `{`, `}` or `[`, found integer literal\n"
    );
}

#[test]
fn a_missing_semicolon_at_a_line_end_gets_the_hint() {
    let hint = |src: &str| -> Vec<(u32, String)> {
        diagnostics(src)
            .iter()
            .flat_map(|d| d.secondary.iter())
            .map(|l| (l.span.lo, l.message.clone()))
            .collect()
    };
    // `;` is one of many expected tokens, and `a` starts a new line.
    assert_eq!(
        hint("fn f() {\n    a = 1\n    a = 2;\n}"),
        [(18, "add `;` here".to_owned())]
    );
    // On one line it is not clear that a `;` is missing.
    assert_eq!(hint("fn f() { a = 1 a = 2; }"), []);
    // When `;` is all that may come, the hint is given anyway.
    assert_eq!(
        hint("fn f() { break x }"),
        [(14, "add `;` here".to_owned())]
    );
}
