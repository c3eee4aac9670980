//! Property tests over the whole pipeline, source text to verified bytecode:
//!
//! - random bytes and random token streams never make the compiler panic;
//! - the shipped contracts, mutated at random (tokens deleted, duplicated or swapped),
//!   never make it panic either, and whenever a mutant compiles without errors, every
//!   module it produces passes the VM's verifier: the compiler only emits bytecode the
//!   VM accepts.

use braid_compiler::driver::{Compilation, CompileOptions, Stage, compile_source};
use braid_compiler::lexer;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn contracts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts")
}

fn compile(text: &[u8]) -> Compilation {
    let opts = CompileOptions {
        include_dirs: Vec::new(),
        contracts_dir: Some(contracts_dir()),
    };
    compile_source(
        "fuzz.braid",
        text,
        Some(&contracts_dir()),
        &opts,
        Stage::Bytecode,
    )
}

/// Compiles and, when there is no error, checks every module with the VM's verifier.
fn compile_and_verify(text: &[u8]) -> Result<(), String> {
    let c = compile(text);
    let _ = c.render_diagnostics(false);
    if c.has_errors() {
        return Ok(());
    }
    for m in &c.modules {
        braid_vm::verify::verify(m).map_err(|e| {
            format!(
                "compiled module `{}` fails verification: {e}\n--- source\n{}",
                m.name,
                String::from_utf8_lossy(text)
            )
        })?;
    }
    Ok(())
}

/// Every shipped contract compiles and verifies as it is (the mutation baseline).
#[test]
fn shipped_contracts_compile_and_verify() {
    for name in ["token", "dex", "lending", "staking"] {
        let text =
            std::fs::read(contracts_dir().join(format!("{name}.braid"))).expect("contract exists");
        let c = compile(&text);
        assert!(!c.has_errors(), "{name}: {}", c.render_diagnostics(false));
        assert!(!c.modules.is_empty());
        compile_and_verify(&text).expect("shipped contracts verify");
    }
}

const VOCABULARY: &[&str] = &[
    "contract", "storage", "init", "fn", "pub", "view", "let", "mut", "if", "else", "while", "for",
    "in", "break", "continue", "return", "require", "revert", "emit", "event", "struct", "const",
    "use", "reads", "writes", "calls", "map", "true", "false", "caller", "self", "block", "as",
    "{", "}", "(", ")", "[", "]", "<", ">", ",", ";", ":", "::", ".", "..", "->", "=", "+=", "-=",
    "*=", "/=", "%=", "+", "-", "*", "/", "%", "**", "==", "!=", "<=", ">=", "&&", "||", "!", "&",
    "|", "^", "<<", ">>", "*", "x", "y", "balances", "Token", "u8", "u64", "u128", "u256", "bool",
    "address", "0", "1", "1e18", "0xff", "255u8", "\"msg\"", "std", "math", "min", "token",
];

/// Operators that can stand for each other without breaking the grammar.
const OPERATOR_CLASSES: &[&[&str]] = &[
    &["+", "-", "*", "/", "%"],
    &["<", "<=", ">", ">=", "==", "!="],
    &["&&", "||"],
    &["+=", "-=", "*=", "/=", "%="],
];

/// Integer literals to put in place of others.
const LITERALS: &[&str] = &["0", "1", "2", "1000", "1e18", "255"];

/// Mutates the tokens of `src`, mostly keeping it well-formed so that later passes
/// (and the verifier) see real programs: each edit replaces an integer literal, swaps
/// an operator for one of its class, swaps two identifiers, or deletes a token.
fn mutate(src: &str, edits: &[(usize, usize, u8)]) -> String {
    let mut diags = braid_compiler::diagnostics::Diagnostics::default();
    let tokens = lexer::lex(braid_compiler::span::FileId(0), src, &mut diags);
    let mut pieces: Vec<String> = tokens
        .iter()
        .map(|t| src[t.span.range()].to_string())
        .collect();
    let is_ident = |p: &str| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    };
    let is_int = |p: &str| p.chars().next().is_some_and(|c| c.is_ascii_digit());
    for &(a, b, op) in edits {
        if pieces.is_empty() {
            break;
        }
        let i = a % pieces.len();
        match op % 4 {
            0 => {
                if let Some(k) = (0..pieces.len())
                    .map(|d| (i + d) % pieces.len())
                    .find(|&k| is_int(&pieces[k]))
                {
                    pieces[k] = LITERALS[b % LITERALS.len()].to_string();
                }
            }
            1 => {
                let found = (0..pieces.len())
                    .map(|d| (i + d) % pieces.len())
                    .find_map(|k| {
                        OPERATOR_CLASSES
                            .iter()
                            .find(|c| c.contains(&pieces[k].as_str()))
                            .map(|c| (k, c))
                    });
                if let Some((k, class)) = found {
                    pieces[k] = class[b % class.len()].to_string();
                }
            }
            2 => {
                let idents: Vec<usize> = (0..pieces.len())
                    .filter(|&k| is_ident(&pieces[k]))
                    .collect();
                if !idents.is_empty() {
                    let x = idents[a % idents.len()];
                    let y = idents[b % idents.len()];
                    pieces.swap(x, y);
                }
            }
            _ => {
                pieces.remove(i);
            }
        }
    }
    pieces.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        prop_assert!(compile_and_verify(&bytes).is_ok());
    }

    #[test]
    fn random_token_streams_never_panic(picks in proptest::collection::vec(any::<usize>(), 0..200)) {
        let text: Vec<&str> = picks.iter().map(|i| VOCABULARY[i % VOCABULARY.len()]).collect();
        let r = compile_and_verify(text.join(" ").as_bytes());
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    }

    #[test]
    fn mutated_contracts_never_panic_and_verify(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<usize>(), any::<usize>(), 0u8..3), 1..3),
    ) {
        let name = ["token", "dex", "lending", "staking"][which];
        let src = std::fs::read_to_string(contracts_dir().join(format!("{name}.braid"))).expect("contract exists");
        let r = compile_and_verify(mutate(&src, &edits).as_bytes());
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    }
}

/// A contract at or around one of the format's limits: a storage value of
/// `copies` × 2^`doubling` words, struct nesting `depth` levels deep (plus the
/// storage value's own level), optionally an empty storage value, and a function
/// with `patterns` access patterns.
fn at_the_limits(doubling: u32, copies: usize, depth: u32, empty: bool, patterns: usize) -> String {
    let mut s = String::from("struct W0 { a: u64 }\n");
    for i in 1..=doubling {
        s.push_str(&format!("struct W{i} {{ a: W{}, b: W{} }}\n", i - 1, i - 1));
    }
    s.push_str("struct D0 { a: u64 }\n");
    for i in 1..depth {
        s.push_str(&format!("struct D{i} {{ a: D{} }}\n", i - 1));
    }
    s.push_str("struct Nothing {}\ncontract C {\n    storage {\n");
    let wide = vec![format!("W{doubling}"); copies].join(", ");
    s.push_str(&format!("        wide: ({wide}, u8),\n"));
    s.push_str(&format!("        deep: D{},\n", depth.saturating_sub(1)));
    if empty {
        s.push_str("        nothing: Nothing,\n");
    }
    s.push_str("        m: map<u64, u64>,\n    }\n");
    let reads: Vec<String> = (0..patterns).map(|i| format!("m[{i}]")).collect();
    s.push_str(&format!(
        "    pub view fn f() -> u64\n        reads m[0]{}{}\n    {{\n        m[0]\n    }}\n}}\n",
        if reads.len() > 1 { ", " } else { "" },
        reads[1.min(reads.len())..].join(", ")
    ));
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the compiler emits the verifier accepts, for every limit: a contract
    /// around the value-word, nesting, empty-value and access-pattern limits either
    /// fails to compile with a diagnostic naming the limit, or verifies.
    #[test]
    fn at_every_limit_the_compiler_rejects_what_the_verifier_would(
        doubling in 10u32..16,
        copies in 1usize..3,
        depth in 60u32..68,
        empty in any::<bool>(),
        patterns in prop_oneof![1usize..8, 1020usize..1030],
    ) {
        let src = at_the_limits(doubling, copies, depth, empty, patterns);
        let c = compile(src.as_bytes());
        let words = copies * (1usize << doubling) + 1;
        // The storage value `deep` is `D{depth - 1}`: depth structs around a u64.
        let too_deep = depth + 1 > 64;
        let over = words > 65_535 || too_deep || empty || patterns > 1024;
        let text = c.render_diagnostics(false);
        prop_assert_eq!(c.has_errors(), over, "{}", text);
        if over {
            let code_named = (words > 65_535 && text.contains("E0602"))
                || (too_deep && text.contains("E0604"))
                || (empty && text.contains("E0603"))
                || (patterns > 1024 && text.contains("E0606"));
            prop_assert!(code_named, "{}", text);
        }
        prop_assert!(compile_and_verify(src.as_bytes()).is_ok());
    }
}
