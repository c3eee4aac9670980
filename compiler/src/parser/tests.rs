//! Parser tests: each renders the tree (`--emit ast`) and the diagnostics as text.

use crate::diagnostics::Diagnostics;
use crate::emit;
use crate::span::FileId;

mod lexical_and_heads;

/// The AST dump followed by `code message` for each diagnostic.
fn check(src: &str) -> String {
    let mut diags = Diagnostics::default();
    let file = super::parse(FileId(0), src, &mut diags);
    let mut out = emit::ast::ast(&file);
    for d in diags.sorted() {
        out.push_str(&format!(
            "{} @{}..{}: {}\n",
            d.code.id(),
            d.primary.span.lo,
            d.primary.span.hi,
            d.message
        ));
        for h in &d.help {
            out.push_str(&format!("  help: {h}\n"));
        }
    }
    out
}

/// Only the diagnostics.
fn errors(src: &str) -> String {
    let mut diags = Diagnostics::default();
    let _ = super::parse(FileId(0), src, &mut diags);
    diags
        .sorted()
        .iter()
        .map(|d| {
            format!(
                "{} @{}..{}: {}\n",
                d.code.id(),
                d.primary.span.lo,
                d.primary.span.hi,
                d.message
            )
        })
        .collect()
}

const TOKEN: &str = r#"use std::math::{min, mul_div};

/// A fungible token.
contract Token {
    storage {
        /// Who may mint.
        owner: address,
        total_supply: u128,
        balances: map<address, u128>,
        allowances: map<(address, address), u128>,
    }

    event Transfer(from: address, to: address, amount: u128);

    init(supply: u128)
        writes owner, total_supply, balances[caller]
    {
        owner = caller;
        total_supply = supply;
        balances[caller] = supply;
    }

    pub fn transfer(to: address, amount: u128) -> bool
        writes balances[caller], balances[to]
    {
        let have = balances[caller];
        require(have >= amount, "insufficient balance");
        balances[caller] = have - amount;
        balances[to] += amount;
        emit Transfer(caller, to, amount);
        true
    }

    pub view fn balance_of(who: address) -> u128
        reads balances[who]
    {
        balances[who]
    }
}
"#;

#[test]
fn spec_token_contract() {
    let out = check(TOKEN);
    assert!(!out.contains("E0"), "{out}");
}

/// One expression as an S-expression: `(+ a (* b c))`. Parens are shown as `(paren …)`.
fn sexpr(src: &str) -> String {
    let mut diags = Diagnostics::default();
    let file = super::parse(FileId(0), &format!("const X: u8 = {src};"), &mut diags);
    let mut out = match file.items.first() {
        Some(crate::ast::Item::Const(c)) => sx(&c.value),
        _ => "<no const>".to_owned(),
    };
    for d in diags.sorted() {
        out.push_str(&format!(" {}", d.code.id()));
    }
    out
}

fn sx(e: &crate::ast::Expr) -> String {
    use crate::ast::ExprKind as K;
    let list = |head: String, parts: Vec<String>| {
        if parts.is_empty() {
            format!("({head})")
        } else {
            format!("({head} {})", parts.join(" "))
        }
    };
    match &e.kind {
        K::Int { value, suffix } => format!("{value}{}", suffix.map_or("", |s| s.name())),
        K::Bool(b) => b.to_string(),
        K::Address(_) => "<address>".to_owned(),
        K::Name(id) => id.name.clone(),
        K::Caller => "caller".to_owned(),
        K::SelfAddr => "self".to_owned(),
        K::BlockNumber => "block.number".to_owned(),
        K::BlockTimestamp => "block.timestamp".to_owned(),
        K::Binary(op, a, b) => list(op.symbol().to_owned(), vec![sx(a), sx(b)]),
        K::Unary(_, a) => list("!".to_owned(), vec![sx(a)]),
        K::Cast(a, t) => list("as".to_owned(), vec![sx(a), emit::ast::type_text(t)]),
        K::Field(a, f) => list(format!(".{}", f.name), vec![sx(a)]),
        K::TupleIndex(a, i, _) => list(format!(".{i}"), vec![sx(a)]),
        K::Index(a, k) => list("index".to_owned(), vec![sx(a), sx(k)]),
        K::Call(f, args) => list(format!("call {}", f.name), args.iter().map(sx).collect()),
        K::MethodCall {
            target,
            method,
            args,
            as_sub,
        } => {
            let mut parts = vec![sx(target)];
            parts.extend(args.iter().map(sx));
            if let Some(sub) = as_sub {
                parts.push(format!("as-self {}", sx(sub)));
            }
            list(format!("method {}", method.name), parts)
        }
        K::StructLit(name, fields) => list(
            format!("struct {}", name.name),
            fields
                .iter()
                .map(|(f, v)| format!("{}: {}", f.name, sx(v)))
                .collect(),
        ),
        K::Tuple(elems) => list("tuple".to_owned(), elems.iter().map(sx).collect()),
        K::Paren(a) => list("paren".to_owned(), vec![sx(a)]),
        K::If(c, t, e) => {
            let mut parts = vec![
                sx(c),
                format!("{{{}}}", t.tail.as_ref().map_or(String::new(), |x| sx(x))),
            ];
            if let Some(e) = e {
                parts.push(sx(e));
            }
            list("if".to_owned(), parts)
        }
        K::Block(b) => format!("{{{}}}", b.tail.as_ref().map_or(String::new(), |x| sx(x))),
    }
}

#[test]
fn precedence_arithmetic_power_and_cast() {
    assert_eq!(
        sexpr("a + b * c ** d ** e as u64"),
        "(+ a (* b (** c (** d (as e u64)))))"
    );
    assert_eq!(sexpr("a - b - c"), "(- (- a b) c)");
    assert_eq!(sexpr("a / b % c * d"), "(* (% (/ a b) c) d)");
    assert_eq!(sexpr("x as u64 as u128"), "(as (as x u64) u128)");
    assert_eq!(sexpr("!x as u64"), "(as (! x) u64)");
    assert_eq!(sexpr("1000**2"), "(** 1000 2)");
}

#[test]
fn precedence_logic_and_bits() {
    assert_eq!(
        sexpr("a || b && c == d | e ^ f & g << h + i"),
        "(|| a (&& b (== c (| d (^ e (& f (<< g (+ h i))))))))"
    );
    assert_eq!(
        sexpr("a < b && b <= c || !d"),
        "(|| (&& (< a b) (<= b c)) (! d))"
    );
    assert_eq!(sexpr("a >> 1 >= b"), "(>= (>> a 1) b)");
}

#[test]
fn precedence_postfix_and_unary() {
    assert_eq!(sexpr("!a.b[c].0"), "(! (.0 (index (.b a) c)))");
    assert_eq!(sexpr("!!a"), "(! (! a))");
    assert_eq!(sexpr("t.0.1"), "(.1 (.0 t))");
    assert_eq!(
        sexpr("pools[p].reserve0 * 2"),
        "(* (.reserve0 (index pools p)) 2)"
    );
    assert_eq!(sexpr("self[k]"), "(index self k)");
    assert_eq!(
        sexpr("block.number - block.timestamp"),
        "(- block.number block.timestamp)"
    );
    assert_eq!(sexpr("mul_div(a, b, c,)"), "(call mul_div a b c)");
    assert_eq!(sexpr("f()"), "(call f)");
}

#[test]
fn comparison_chains_are_errors_with_a_hint() {
    assert_eq!(sexpr("a < b < c"), "(< (< a b) c) E0414");
    assert_eq!(sexpr("a == b != c"), "(!= (== a b) c) E0414");
    assert_eq!(sexpr("(a < b) == c"), "(== (paren (< a b)) c)");
    assert_eq!(sexpr("a < b && b < c"), "(&& (< a b) (< b c))");
    let out = check("const X: bool = a < b < c;");
    assert!(
        out.contains("E0414 @16..25: comparison operators cannot be chained: `<` then `<`"),
        "{out}"
    );
    assert!(out.contains("help: use parentheses"), "{out}");
}

#[test]
fn literals_tuples_and_parens() {
    assert_eq!(sexpr("(a, b)"), "(tuple a b)");
    assert_eq!(sexpr("(a, (b, c),)"), "(tuple a (tuple b c))");
    assert_eq!(sexpr("()"), "(tuple)");
    assert_eq!(sexpr("(a)"), "(paren a)");
    assert_eq!(
        sexpr("1_000u64 + 1e18 + 0xff"),
        "(+ (+ 1000u64 1000000000000000000) 255)"
    );
    assert_eq!(
        sexpr("0x0000000000000000000000000000000000000001"),
        "<address>"
    );
    assert_eq!(sexpr("true != false"), "(!= true false)");
    assert_eq!(sexpr("caller == self"), "(== caller self)");
    assert!(sexpr("(a,)").contains("E0201"));
}

#[test]
fn external_calls_and_sub_accounts() {
    assert_eq!(
        sexpr("token.transfer(to, x) as self[p]"),
        "(method transfer token to x as-self p)"
    );
    assert_eq!(
        sexpr("t.f() as self[(a, b)] as u64"),
        "(as (method f t as-self (tuple a b)) u64)"
    );
    assert_eq!(sexpr("(t.f(x)) as u64"), "(as (paren (method f t x)) u64)");
    assert_eq!(
        sexpr("pools[p].token0.balance_of(self[p])"),
        "(method balance_of (.token0 (index pools p)) (index self p))"
    );
    assert_eq!(sexpr("t.f(x) as u64"), "(as (method f t x) u64) E0204");
    assert_eq!(sexpr("f(x) as self[k]"), "(call f x) E0204");
    assert_eq!(sexpr("x as self[k]"), "x E0204");
}

#[test]
fn struct_literals_and_heads() {
    assert_eq!(
        sexpr("Pool { reserve0: 0, fee }"),
        "(struct Pool reserve0: 0 fee: fee)"
    );
    assert_eq!(sexpr("P {}"), "(struct P)");
    // Not directly in a head, but fine inside parentheses.
    assert_eq!(
        errors("fn f() { if a == S { x: 1 } { } }"),
        "E0418 @17..27: a struct literal cannot appear directly in an `if` head\n"
    );
    assert_eq!(errors("fn f() { if a == (S { x: 1 }) { } }"), "");
    assert_eq!(
        errors("fn f() { while ok(S { x: 1 }) { } for i in 0..n { } }"),
        ""
    );
    assert_eq!(
        errors("fn f() { let p = Pool { a: 1, b }; p = P { a: 2 }; }"),
        ""
    );
}

#[test]
fn if_as_expression_and_statement() {
    assert_eq!(
        sexpr("if a { 1 } else if b { 2 } else { 3 }"),
        "(if a {1} (if b {2} {3}))"
    );
    assert_eq!(sexpr("if a { 1 } else { 2 } + 3"), "(+ (if a {1} {2}) 3)");
    assert_eq!(sexpr("{ x }"), "{x}");
    let out = check("fn f() -> u64 { if c { g(); } x = 1; if c { 1 } else { 2 } }");
    assert_eq!(
        out,
        "SourceFile
  Fn fn f @0..60
    Returns u64 @10..13
    body: Block @14..60
      ExprStmt @16..29
        If @16..29
          cond: Name c @19..20
          then: Block @21..29
            ExprStmt @23..27
              Call g @23..26
      Assign = @30..36
        target: Name x @30..31
        value: Int 1 @34..35
      tail: If @37..58
        cond: Name c @40..41
        then: Block @42..47
          tail: Int 1 @44..45
        else: Block @53..58
          tail: Int 2 @55..56
"
    );
    // A block-like statement ends at its `}`: what follows is a new statement.
    assert_eq!(errors("fn f() { if c { } (a, b) = t; { } }"), "");
    assert_eq!(errors("fn f() { if c { }; while c { }; }"), "");
}

#[test]
fn statements() {
    let out = check(
        "fn f(n: u64) {
            let mut x: u64 = 1;
            let (a, _, b) = t;
            x += 1; x -= 1; x *= 2; x /= 2; x %= 3;
            for i in 0..n { if i == 2 { continue; } break; }
            while x > 0 { x = x - 1; }
            require(x == 0, \"x is \\\"zero\\\"\");
            revert(\"no\");
            emit Done(x, caller);
            return;
            return x;
        }",
    );
    assert!(!out.contains("E0"), "{out}");
    for needle in [
        "Let mut x: u64",
        "Let (a, _, b)",
        "Assign +=",
        "Assign %=",
        "For i",
        "Continue",
        "Break",
        "While",
        "Require \"x is \\\"zero\\\"\"",
        "Revert \"no\"",
        "Emit Done",
        "Return @",
    ] {
        assert!(out.contains(needle), "{needle} missing in {out}");
    }
}

#[test]
fn functions_clauses_and_types() {
    let out = check(
        "contract C {
            storage { pools: map<u64, Pool>, nested: map<address, map<address, u128>>, t: (u64, (u8, bool)) }
            struct Pool { reserve0: u128, reserve1: u128 }
            const FEE: u64 = 3;
            pub fn swap(p: u64, token_in: Token) -> (u128, u128)
                reads fee writes pools[p] calls token_in.transfer_from, pools[p].token.transfer
                reads pools[*]
            { (1, 2) }
            view fn v() -> () {}
            fn g() {}
        }",
    );
    assert!(!out.contains("E0"), "{out}");
    for needle in [
        "Field nested: map<address, map<address, u128>>",
        "Field t: (u64, (u8, bool))",
        "Fn pub fn swap",
        "Reads fee",
        "Writes pools[…]",
        "Calls .transfer_from",
        "Calls .transfer",
        "target: Field .token",
        "Reads pools[*]",
        "Fn view fn v",
        "Returns ()",
        "Fn fn g",
    ] {
        assert!(out.contains(needle), "{needle} missing in {out}");
    }
    assert_eq!(
        errors("contract C { fn f() calls g { } }"),
        "E0201 @26..27: expected a callee `target.function` in `calls`\n"
    );
}

#[test]
fn library_files() {
    let out = check(
        "use token::Token;
         use std::math::{min, mul_div};
         /// One WAD.
         const WAD: u256 = 1e18;
         struct P { a: u8 }
         /// Multiplies.
         fn wad_mul(a: u256, b: u256) -> u256 { a * b / WAD }
         pub fn exported() {}",
    );
    assert!(!out.contains("E0"), "{out}");
    assert!(out.contains("Use token::{Token}"), "{out}");
    assert!(out.contains("Use std::math::{min, mul_div}"), "{out}");
    assert!(
        out.contains("Const WAD: u256 @") && out.contains("doc \"One WAD.\""),
        "{out}"
    );
    assert!(
        out.contains("Fn fn wad_mul") && out.contains("doc \"Multiplies.\""),
        "{out}"
    );
}

#[test]
fn doc_comments_inside_bodies_are_ignored() {
    assert_eq!(
        errors("fn f() { /// about x\n let x = 1; /// the result\n x }"),
        ""
    );
}

#[test]
fn block_properties() {
    assert_eq!(sexpr("block.number"), "block.number");
    assert_eq!(sexpr("block.height"), "block.number E0201");
}

#[test]
fn syntax_errors_report_expected_tokens() {
    assert_eq!(
        errors("fn f() { let x = ; }"),
        "E0201 @17..18: expected an expression, found `;`\n"
    );
    assert_eq!(
        errors("contract C {"),
        "E0202 @12..12: unexpected end of file, expected one of `storage`, `init`, `fn`, `pub`, `view`, `event`, `struct`, `const` or `}`\n"
    );
}

#[test]
fn recovery_reports_several_errors_and_keeps_the_rest() {
    let src = "contract C {
        pub fn a() { let x = 1 2; y = ; }
        pub fn b() -> u64 { 7 }
        fn c( { }
        pub fn d() { ok(); }
    }
    fn e() { }";
    let out = check(src);
    let n_errors = out.lines().filter(|l| l.starts_with("E0")).count();
    assert!(n_errors >= 3, "{out}");
    assert!(out.contains("Fn pub fn b"), "{out}");
    assert!(out.contains("Fn fn e"), "{out}");
}

#[test]
fn non_utf8_input_is_an_error_not_a_panic() {
    let mut diags = Diagnostics::default();
    let file = super::parse_bytes(FileId(0), b"fn f() { \xff }", &mut diags);
    assert!(file.items.is_empty());
    let d = diags.sorted();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code.id(), "E0106");
    assert_eq!((d[0].primary.span.lo, d[0].primary.span.hi), (9, 10));
}

/// The deepest nesting of expressions and blocks in a tree (recursive: only for trees
/// the parser built, which are bounded).
fn depth(file: &crate::ast::SourceFile) -> u32 {
    use crate::ast::{Block, Expr, ExprKind as K, Item, Member, StmtKind};
    fn block(b: &Block) -> u32 {
        let mut d = b.tail.as_ref().map_or(0, |t| expr(t));
        for s in &b.stmts {
            d = d.max(match &s.kind {
                StmtKind::Let { init, .. } => expr(init),
                StmtKind::Assign { target, value, .. } => expr(target).max(expr(value)),
                StmtKind::While { cond, body } => expr(cond).max(block(body)),
                StmtKind::For {
                    start, end, body, ..
                } => expr(start).max(expr(end)).max(block(body)),
                StmtKind::Return(e) => e.as_ref().map_or(0, expr),
                StmtKind::Require { cond, .. } => expr(cond),
                StmtKind::Emit { args, .. } => args.iter().map(expr).max().unwrap_or(0),
                StmtKind::Expr(e) => expr(e),
                StmtKind::Break | StmtKind::Continue | StmtKind::Revert(_) => 0,
            });
        }
        d + 1
    }
    fn expr(e: &Expr) -> u32 {
        1 + match &e.kind {
            K::Binary(_, a, b) | K::Index(a, b) => expr(a).max(expr(b)),
            K::Unary(_, a)
            | K::Cast(a, _)
            | K::Field(a, _)
            | K::TupleIndex(a, _, _)
            | K::Paren(a) => expr(a),
            K::Call(_, args) | K::Tuple(args) => args.iter().map(expr).max().unwrap_or(0),
            K::MethodCall {
                target,
                args,
                as_sub,
                ..
            } => args
                .iter()
                .map(expr)
                .max()
                .unwrap_or(0)
                .max(expr(target))
                .max(as_sub.as_ref().map_or(0, |s| expr(s))),
            K::StructLit(_, fields) => fields.iter().map(|(_, v)| expr(v)).max().unwrap_or(0),
            K::If(c, t, e) => expr(c).max(block(t)).max(e.as_ref().map_or(0, |e| expr(e))),
            K::Block(b) => block(b) - 1,
            _ => 0,
        }
    }
    let mut d = 0;
    for item in &file.items {
        match item {
            Item::Fn(f) => d = d.max(block(&f.body)),
            Item::Const(c) => d = d.max(expr(&c.value)),
            Item::Contract(c) => {
                for m in &c.members {
                    match m {
                        Member::Fn(f) => d = d.max(block(&f.body)),
                        Member::Const(c) => d = d.max(expr(&c.value)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    d
}

/// Parses `src`, returning the codes of the diagnostics and the tree's depth.
fn deep(src: &str) -> (Vec<&'static str>, u32) {
    let mut diags = Diagnostics::default();
    let file = super::parse(FileId(0), src, &mut diags);
    let codes = diags.sorted().iter().map(|d| d.code.id()).collect();
    (codes, depth(&file))
}

#[test]
fn a_hundred_thousand_term_sum_is_one_error_not_a_crash() {
    let src = format!("const X: u64 = {};", vec!["1"; 100_000].join("+"));
    let (codes, d) = deep(&src);
    assert_eq!(codes, vec!["E0203"]);
    assert!(d <= super::MAX_DEPTH);
}

#[test]
fn long_chains_of_every_kind_are_bounded() {
    let n = 20_000;
    let cases = [
        format!("const X: u64 = {};", vec!["2"; n].join("**")),
        format!("const X: u64 = {}x;", "!".repeat(n)),
        format!("const X: u64 = x{};", ".f".repeat(n)),
        format!("const X: u64 = x{};", "[0]".repeat(n)),
        format!("const X: u64 = x{};", " as u64".repeat(n)),
        format!("const X: u64 = {}1{};", "(".repeat(n), ")".repeat(n)),
        format!("const X: u64 = {}1{};", "f(".repeat(n), ")".repeat(n)),
        format!("const X: u64 = {}1{};", "{".repeat(n), "}".repeat(n)),
        format!(
            "fn f() {{ {}x = 1;{} }}",
            "while c {".repeat(n),
            "}".repeat(n)
        ),
        format!("fn f() {{ {} }}", vec!["if c { 1 }"; n].join(" else ")),
        format!("const X: {}u8{} = 1;", "(".repeat(n), ",u8)".repeat(n)),
        format!("const X: {}u8{} = 1;", "map<u8, ".repeat(n), ">".repeat(n)),
        format!("fn f() calls {}.g {{ }}", vec!["x"; n].join(".")),
    ];
    for src in &cases {
        let (codes, d) = deep(src);
        assert!(codes.contains(&"E0203"), "{codes:?} for {}", &src[..60]);
        assert_eq!(
            codes.iter().filter(|c| **c == "E0203").count(),
            1,
            "{}",
            &src[..60]
        );
        assert!(d <= super::MAX_DEPTH, "{d}");
    }
}

#[test]
fn nesting_up_to_the_limit_is_fine() {
    let n = super::MAX_DEPTH as usize - 1;
    assert_eq!(
        deep(&format!(
            "const X: u64 = {}1{};",
            "(".repeat(n),
            ")".repeat(n)
        )),
        (vec![], 256)
    );
    assert_eq!(
        deep(&format!("const X: u64 = {};", vec!["1"; 256].join("+"))),
        (vec![], 256)
    );
    assert_eq!(
        deep(&format!("const X: u64 = {};", vec!["1"; 257].join("+"))).0,
        vec!["E0203"]
    );
}

#[test]
fn unclosed_deep_nesting_is_a_syntax_error() {
    // Far too deep: cut before the parser (E0203); the cut end is not reported again.
    let (codes, _) = deep(&format!("const X: u64 = {}", "(".repeat(100_000)));
    assert_eq!(codes, vec!["E0203"]);
    // Within the pre-pass's bound, the unclosed end is the error.
    let (codes, _) = deep(&format!("const X: u64 = {}", "(".repeat(300)));
    assert_eq!(codes, vec!["E0202"]);
}

/// Words the random token sequences are made of: every keyword and operator, some
/// names and literals.
const VOCABULARY: &[&str] = &[
    "contract",
    "storage",
    "init",
    "fn",
    "pub",
    "view",
    "let",
    "mut",
    "if",
    "else",
    "while",
    "for",
    "in",
    "break",
    "continue",
    "return",
    "require",
    "revert",
    "emit",
    "event",
    "struct",
    "const",
    "use",
    "reads",
    "writes",
    "calls",
    "map",
    "true",
    "false",
    "caller",
    "self",
    "block",
    "as",
    "+",
    "-",
    "*",
    "/",
    "%",
    "**",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "!",
    "&",
    "|",
    "^",
    "<<",
    ">>",
    "+=",
    "-=",
    "*=",
    "/=",
    "%=",
    ".",
    "..",
    "::",
    ":",
    ",",
    ";",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "->",
    "=>",
    "x",
    "T",
    "u64",
    "number",
    "0",
    "1e18",
    "0xff",
    "\"msg\"",
    "/// doc\n",
    "{",
    "}",
    "(",
    ")",
    ";",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn parsing_random_bytes_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        let mut diags = Diagnostics::default();
        let _ = super::parse_bytes(FileId(0), &bytes, &mut diags);
    }

    #[test]
    fn parsing_random_tokens_never_panics(words in proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..120)) {
        let src = words.join(" ");
        let mut diags = Diagnostics::default();
        let file = super::parse(FileId(0), &src, &mut diags);
        proptest::prop_assert!(depth(&file) <= super::MAX_DEPTH);
        let _ = emit::ast::ast(&file);
    }

    #[test]
    fn parsing_random_token_soup_inside_a_function_never_panics(words in proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..120)) {
        let src = format!("contract C {{ pub fn f(a: u64) -> u64 reads x {{ {} }} }}", words.join(" "));
        let mut diags = Diagnostics::default();
        let file = super::parse(FileId(0), &src, &mut diags);
        proptest::prop_assert!(depth(&file) <= super::MAX_DEPTH);
    }
}

#[test]
fn rendered_diagnostics_read_well() {
    let src = "contract C {
    pub fn f(x: u64) -> u64 writes a {
        let y = x +;
        a = t.g(y) as u64;
        if y < 2 < 3 { return 1; }
        a = 1
    }
}
}
";
    let mut sources = crate::source::SourceMap::default();
    let id = sources.add("c.braid", vec![], src);
    let mut diags = Diagnostics::default();
    let _ = super::parse(id, src, &mut diags);
    assert_eq!(
        diags.render(&sources, false),
        "error[E0201]: expected an expression, found `;`
  ┌─ c.braid:3:20
  │
3 │         let y = x +;
  │                    ^ unexpected `;`

error[E0204]: `as` after an external call must name a sub-account `self[…]`
  ┌─ c.braid:4:23
  │
4 │         a = t.g(y) as u64;
  │                       ^^^ expected `self[key]`
  │
  = help: to convert the call's result, put the call in parentheses: `(t.f(x)) as T`

error[E0414]: comparison operators cannot be chained: `<` then `<`
  ┌─ c.braid:5:12
  │
5 │         if y < 2 < 3 { return 1; }
  │            ^^^^^^^^^
  │
  = help: use parentheses to say which comes first, `(a < b) < c`, or `&&` to test both, `a < b && b < c`

error[E0201]: expected `;`, found `}`
  ┌─ c.braid:7:5
  │
6 │         a = 1
  │              - add `;` here
7 │     }
  │     ^ unexpected `}`

error[E0201]: expected one of `contract`, `fn`, `pub`, `view`, `struct`, `const` or `use`, found `}`
  ┌─ c.braid:9:1
  │
9 │ }
  │ ^ unexpected `}`

error: could not compile due to 5 errors
"
    );
}
