//! Lexer tests: tricky tokens, literals, comments, and errors that must not stop lexing.

use super::{IntLit, TokenKind, lex};
use crate::ast::IntTy;
use crate::diagnostics::Diagnostics;
use crate::emit;
use crate::span::FileId;
use proptest::prelude::*;
use ruint::aliases::U256;

/// `--emit tokens` output followed by `code @lo..hi: message` per diagnostic.
fn check(src: &str) -> String {
    let mut diags = Diagnostics::default();
    let tokens = lex(FileId(0), src, &mut diags);
    let mut out = emit::tokens::tokens(&tokens, src);
    for d in diags.sorted() {
        out.push_str(&format!(
            "{} @{}..{}: {}\n",
            d.code.id(),
            d.primary.span.lo,
            d.primary.span.hi,
            d.message
        ));
    }
    out
}

fn kinds(src: &str) -> Vec<TokenKind> {
    let mut diags = Diagnostics::default();
    lex(FileId(0), src, &mut diags)
        .into_iter()
        .map(|t| t.kind)
        .collect()
}

fn int(value: u128, suffix: Option<IntTy>) -> TokenKind {
    TokenKind::Int(IntLit {
        value: U256::from(value),
        suffix,
    })
}

#[test]
fn keywords_identifiers_and_underscore() {
    assert_eq!(
        check("contract storage self caller block as _ _x x1 Token map"),
        "1:1 keyword contract\n1:10 keyword storage\n1:18 keyword self\n1:23 keyword caller\n\
         1:30 keyword block\n1:36 keyword as\n1:39 ident _\n1:41 ident _x\n1:44 ident x1\n\
         1:47 ident Token\n1:53 keyword map\n"
    );
}

#[test]
fn operators_take_the_longest_match() {
    assert_eq!(
        check("** += -= *= /= %= .. :: -> => <<= >>= == != && || ..."),
        "1:1 punct **\n1:4 punct +=\n1:7 punct -=\n1:10 punct *=\n1:13 punct /=\n1:16 punct %=\n\
         1:19 punct ..\n1:22 punct ::\n1:25 punct ->\n1:28 punct =>\n1:31 punct <<\n1:33 punct =\n\
         1:35 punct >>\n1:37 punct =\n1:39 punct ==\n1:42 punct !=\n1:45 punct &&\n1:48 punct ||\n\
         1:51 punct ..\n1:53 punct .\n"
    );
}

#[test]
fn integer_literals() {
    assert_eq!(kinds("1_000u64"), vec![int(1000, Some(IntTy::U64))]);
    assert_eq!(kinds("1e18"), vec![int(1_000_000_000_000_000_000, None)]);
    assert_eq!(
        kinds("1e18u128"),
        vec![int(1_000_000_000_000_000_000, Some(IntTy::U128))]
    );
    assert_eq!(kinds("75e16"), vec![int(750_000_000_000_000_000, None)]);
    assert_eq!(
        kinds("0xff 0xFFu8 0x_10"),
        vec![int(255, None), int(255, Some(IntTy::U8)), int(16, None)]
    );
    assert_eq!(kinds("0e1000"), vec![int(0, None)]);
    assert_eq!(
        kinds("7u8 7u256"),
        vec![int(7, Some(IntTy::U8)), int(7, Some(IntTy::U256))]
    );
}

#[test]
fn tuple_index_is_not_a_float() {
    assert_eq!(
        kinds("t.0.1"),
        vec![
            TokenKind::Ident("t".into()),
            TokenKind::Dot,
            int(0, None),
            TokenKind::Dot,
            int(1, None)
        ]
    );
}

#[test]
fn forty_hex_digits_make_an_address() {
    let src = "0x00000000000000000000000000000000000000aB";
    let mut expected = [0u8; 20];
    expected[19] = 0xab;
    assert_eq!(kinds(src), vec![TokenKind::Address(expected)]);
    // With a suffix, `_`, or another digit count it is an integer.
    assert_eq!(
        kinds(&format!("{src}u256")),
        vec![int(0xab, Some(IntTy::U256))]
    );
    assert_eq!(
        kinds("0x000000000000000000000000000000000000000ab"),
        vec![int(0xab, None)]
    );
    assert_eq!(
        kinds("0x0000000000000000000000000000000000000ab"),
        vec![int(0xab, None)]
    );
    assert_eq!(
        kinds("0x0000000000000000000000000000000000_0000ab"),
        vec![int(0xab, None)]
    );
}

#[test]
fn u256_bounds() {
    let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    assert_eq!(
        kinds(max),
        vec![TokenKind::Int(IntLit {
            value: U256::MAX,
            suffix: None
        })]
    );
    assert_eq!(
        check("115792089237316195423570985008687907853269984665640564039457584007913129639936")
            .lines()
            .last(),
        Some("E0104 @0..78: integer literal is too large for u256")
    );
    let hex_max = format!("0x{}", "f".repeat(64));
    assert_eq!(
        kinds(&hex_max),
        vec![TokenKind::Int(IntLit {
            value: U256::MAX,
            suffix: None
        })]
    );
    assert!(check(&format!("0x1{}", "0".repeat(64))).contains("E0104"));
    assert!(check("1e78").contains("E0104"));
    assert!(!check("1e77").contains("E0104"));
    assert!(check("2e99999999999999999999999999").contains("E0104"));
}

#[test]
fn malformed_integers_are_errors_and_lexing_goes_on() {
    assert_eq!(
        check("12abc 1u32 0x 1e x"),
        "1:1 int 12abc = 0\n1:7 int 1u32 = 0\n1:12 int 0x = 0\n1:15 int 1e = 0\n1:18 ident x\n\
         E0104 @0..5: invalid digit 'a' in integer literal\n\
         E0104 @6..10: unknown integer suffix `u32`\n\
         E0104 @11..13: hex literal has no digits\n\
         E0104 @14..16: integer exponent has no digits\n"
    );
}

#[test]
fn strings_and_escapes() {
    assert_eq!(
        kinds(r#""a\n\t\\\"\0b""#),
        vec![TokenKind::Str("a\n\t\\\"\0b".into())]
    );
    assert_eq!(
        check(r#""bad \q escape" x"#),
        "1:1 string \"bad \\q escape\" = \"bad  escape\"\n1:17 ident x\nE0105 @5..7: unknown escape `\\q`\n"
    );
}

#[test]
fn unterminated_string_stops_at_the_end_of_the_line() {
    assert_eq!(
        check("\"abc\nx \"def"),
        "1:1 string \"abc = \"abc\"\n2:1 ident x\n2:3 string \"def = \"def\"\n\
         E0103 @0..4: unterminated string literal\nE0103 @7..11: unterminated string literal\n"
    );
}

#[test]
fn comments() {
    assert_eq!(
        check("a // b\n/* c /* nested */ d */ e"),
        "1:1 ident a\n2:24 ident e\n"
    );
    assert_eq!(
        check("/// Doc line.\n///no space\n//// not doc\nx"),
        "1:1 doc /// Doc line.\n2:1 doc ///no space\n4:1 ident x\n"
    );
    assert_eq!(
        kinds("/// Doc line."),
        vec![TokenKind::DocComment("Doc line.".into())]
    );
    assert_eq!(
        check("a /* never /* closed */"),
        "1:1 ident a\nE0102 @2..4: unterminated block comment\n"
    );
    assert_eq!(
        check("a /* b */ */"),
        "1:1 ident a\n1:11 punct *\n1:12 punct /\n"
    );
}

#[test]
fn bad_characters_are_all_reported() {
    assert_eq!(
        check("a @ b é$ c #"),
        "1:1 ident a\n1:5 ident b\n1:10 ident c\n\
         E0101 @2..3: unexpected character '@'\n\
         E0101 @6..9: unexpected characters starting with 'é'\n\
         E0101 @12..13: unexpected character '#'\n"
    );
}

#[test]
fn every_error_kind_in_one_file() {
    let out = check(
        "@ \"\\q\" 99999999999999999999999999999999999999999999999999999999999999999999999999999999 \"open\n/* open",
    );
    for code in ["E0101", "E0105", "E0104", "E0103", "E0102"] {
        assert!(out.contains(code), "{code} missing in {out}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn lexing_any_text_never_panics_and_spans_are_in_order(src in "\\PC{0,200}") {
        let mut diags = Diagnostics::default();
        let tokens = lex(FileId(0), &src, &mut diags);
        let mut last = 0;
        for t in &tokens {
            prop_assert!(t.span.lo >= last && t.span.lo < t.span.hi && t.span.hi as usize <= src.len());
            prop_assert!(src.is_char_boundary(t.span.lo as usize) && src.is_char_boundary(t.span.hi as usize));
            last = t.span.hi;
        }
        for d in diags.iter() {
            prop_assert!(d.primary.span.hi as usize <= src.len());
        }
    }

    #[test]
    fn lexing_ascii_soup_never_panics(src in "[ -~\n]{0,200}") {
        let mut diags = Diagnostics::default();
        let _ = lex(FileId(0), &src, &mut diags);
    }
}

#[test]
fn tokens_know_whether_they_start_a_line() {
    let mut diags = Diagnostics::default();
    let starts: Vec<bool> = lex(FileId(0), "a b\n  c /* x\n */ d // e\nf", &mut diags)
        .iter()
        .map(|t| t.starts_line)
        .collect();
    assert_eq!(starts, [true, false, true, true, true]);
}
