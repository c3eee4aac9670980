//! The help and secondary labels of type checking errors: similar names, the first of
//! two declarations, loop variables, which functions an error leaves unchecked.

use super::*;
use crate::typeck;

#[test]
fn a_misspelt_name_suggests_the_closest_one_in_scope() {
    assert_err(
        "fn f(amount: u64) -> u64 { amont + 1 }",
        "E0301",
        &["help: a local with a similar name exists: `amount`"],
    );
    assert_err(
        "fn f() -> u64 { let total = 1u64; let t2 = totl; t2 }",
        "E0301",
        &["a local with a similar name exists: `total`"],
    );
    assert_err(
        &in_contract("fn f() { ownr = caller; }"),
        "E0301",
        &["a storage field with a similar name exists: `owner`"],
    );
    assert_err(
        "const LIMIT: u64 = 5; fn f() -> u64 { LIMTI }",
        "E0301",
        &["a constant with a similar name exists: `LIMIT`"],
    );
    assert_err(
        "fn total() -> u64 { 1 } fn f() -> u64 { totl() }",
        "E0306",
        &["a function with a similar name exists: `total`"],
    );
    assert_err(
        "struct Point { x: u64 } fn f(p: Pont) {}",
        "E0308",
        &["a type with a similar name exists: `Point`"],
    );
    assert_err(
        "struct Point { amount: u64 } fn f(p: Point) -> u64 { p.amuont }",
        "E0305",
        &["a field with a similar name exists: `amount`"],
    );
    assert_err(
        &in_contract("fn f() { emit EE(caller, 1); }"),
        "E0307",
        &["declare it: `event EE(…);`"],
    );
    // Short or far names get no suggestion.
    let out = check("fn f(x: u64) -> u64 { y }");
    assert!(!out.contains("similar name"), "{out}");
    let out = check("fn f(amount: u64) -> u64 { price }");
    assert!(!out.contains("similar name"), "{out}");
}

#[test]
fn a_repeated_parameter_points_to_the_first() {
    assert_err(
        "fn f(a: u64, a: u64) {}",
        "E0302",
        &["the parameter `a` is declared twice", "first declared here"],
    );
    assert_err(
        "contract C { event E(a: u64, a: u64); }",
        "E0302",
        &["the parameter `a` is declared twice", "first declared here"],
    );
}

#[test]
fn an_extra_field_in_a_struct_literal_is_a_bad_struct_literal() {
    let out = check(&in_contract(
        "fn f() -> P { P { x: 1, y: (1, true), z: 3 } }",
    ));
    assert!(
        out.contains("error[E0412]: struct `P` has no field `z`") && !out.contains("E0305"),
        "{out}"
    );
    // A misspelt field suggests the fields not given yet.
    assert_err(
        "struct Q { amount: u64, price: u64 } fn f() -> Q { Q { price: 1, amuont: 2 } }",
        "E0412",
        &["a field with a similar name exists: `amount`"],
    );
}

#[test]
fn assigning_a_loop_variable_says_it_is_one() {
    let out = check("fn f(n: u64) { for i in 0..n { i += 1; } }");
    assert!(
        out.contains("[E0405]: cannot assign to the loop variable `i`"),
        "{out}"
    );
    assert!(out.contains("bound by this `for` loop"), "{out}");
    assert!(
        out.contains("a `for` loop variable cannot be assigned (the loop would not see it): copy it into a `let mut` local"),
        "{out}"
    );
    assert!(!out.contains("declare it `let mut i`"), "{out}");
    // A `let` is still told to be `mut`.
    assert_err(
        "fn f() { let i = 1u64; i = 2; }",
        "E0405",
        &["help: declare it `let mut i`"],
    );
}

/// The functions `src`'s type errors leave unchecked, by name.
fn with_errors(src: &str) -> Vec<String> {
    let mut sources = crate::source::SourceMap::default();
    let mut diags = crate::diagnostics::Diagnostics::default();
    let root = sources.add("test.braid", Vec::new(), src.to_owned());
    let tokens = crate::lexer::lex(root, src, &mut diags);
    let file = crate::parser::parse_tokens(root, &tokens, &mut diags);
    assert!(!diags.has_errors(), "{}", diags.render(&sources, false));
    let checked = typeck::check(
        &mut sources,
        root,
        &file,
        &MemoryLoader::default(),
        &mut diags,
    );
    assert!(diags.has_errors());
    checked
        .with_errors
        .iter()
        .map(|f| checked.program.function(*f).name.clone())
        .collect()
}

#[test]
fn errors_mark_their_function_or_their_contracts_functions() {
    let src = "contract C {
        storage { a: u64 }
        fn body() -> u64 { missing }
        fn signature(x: Missing) {}
        fn annotation() reads nothing {}
        fn clean() -> u64 { a }
    }";
    assert_eq!(with_errors(src), ["body", "signature", "annotation"]);
    let src = "contract C {
        storage { a: Missing }
        init() {}
        fn f() {}
    }
    contract D { fn g() {} }";
    assert_eq!(with_errors(src), ["init", "f"]);
}

#[test]
fn unused_names_are_reported_in_the_root_file_only() {
    let loader = crate::resolve::MemoryLoader {
        modules: [(
            "lib".to_string(),
            "fn helper(a: u64, unused: u64) -> u64 { a }".to_string(),
        )]
        .into(),
    };
    let src =
        "use lib::helper; contract C { pub view fn f(x: u64, y: u64) -> u64 { helper(x, x) } }";
    let c = crate::driver::compile_with_loader(
        "test.braid",
        src.to_owned(),
        &loader,
        crate::driver::Stage::Hir,
    );
    let out = c.render_diagnostics(false);
    assert!(out.contains("unused parameter `y`"), "{out}");
    assert!(!out.contains("`unused`"), "{out}");
}

#[test]
fn a_missing_token_module_suggests_the_standard_one() {
    let out = check("use token::Token; contract V { pub fn f(t: Token) {} }");
    assert!(out.contains("[E0303]"), "{out}");
    assert!(
        out.contains("help: the standard library has this module: `use std::token::Token;`"),
        "{out}"
    );
    // A module the standard library does not have gets no such help.
    let out = check("use vault::Vault; contract V {}");
    assert!(
        out.contains("[E0303]") && !out.contains("standard library has"),
        "{out}"
    );
}
