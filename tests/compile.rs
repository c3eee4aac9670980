//! Snapshot tests of compiler output: one `.braid` file per case.
//!
//! - `tests/compile/pass/*.braid` must compile with no errors; the snapshot holds the
//!   stages named on the case's first line (`// emit: ast, access, conflicts, bytecode`;
//!   default `access, bytecode`), plus any warnings.
//! - `tests/compile/fail/*.braid` must produce at least one error; the snapshot holds
//!   the rendered diagnostics (no colour, paths relative to `tests/compile`).

use braid_compiler::driver::{CompileOptions, Stage, compile_source};
use std::path::Path;

fn options() -> CompileOptions {
    CompileOptions {
        include_dirs: Vec::new(),
        contracts_dir: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts")),
    }
}

/// The stages a pass case asks for on its first line.
fn requested_stages(text: &str) -> Vec<String> {
    let first = text.lines().next().unwrap_or_default();
    match first.trim().strip_prefix("// emit:") {
        Some(list) => list.split(',').map(|s| s.trim().to_string()).collect(),
        None => vec!["access".into(), "bytecode".into()],
    }
}

fn case_name(path: &Path) -> String {
    let dir = path
        .parent()
        .and_then(|p| p.file_name())
        .unwrap_or_default();
    format!(
        "{}/{}",
        dir.to_string_lossy(),
        path.file_name().unwrap_or_default().to_string_lossy()
    )
}

fn run_pass(path: &Path) -> String {
    let text = std::fs::read(path).expect("case file is readable");
    let name = case_name(path);
    let c = compile_source(&name, &text, path.parent(), &options(), Stage::Bytecode);
    let rendered = c.render_diagnostics(false);
    assert!(
        !c.has_errors(),
        "{name} must compile without errors:\n{rendered}"
    );
    let src = String::from_utf8_lossy(&text);
    let mut out = String::new();
    for stage in requested_stages(&src) {
        out.push_str(&format!("=== {stage}\n"));
        match stage.as_str() {
            "tokens" => out.push_str(&braid_compiler::emit::tokens::tokens(
                c.tokens.as_deref().unwrap_or_default(),
                &src,
            )),
            "ast" => out.push_str(&braid_compiler::emit::ast::ast(
                c.ast.as_ref().expect("a compiled file has an AST"),
            )),
            "access" => out.push_str(&braid_compiler::emit::access::access(
                c.hir.as_ref().expect("a compiled file has HIR"),
                c.access.as_ref().expect("a compiled file has summaries"),
            )),
            "conflicts" => out.push_str(&braid_compiler::emit::conflicts::conflicts(
                c.hir.as_ref().expect("a compiled file has HIR"),
                c.access.as_ref().expect("a compiled file has summaries"),
            )),
            "bytecode" => {
                for m in &c.modules {
                    out.push_str(&braid_bytecode::disasm::disassemble(m));
                }
            }
            other => panic!("{name}: unknown stage `{other}` on the emit line"),
        }
    }
    if !rendered.is_empty() {
        out.push_str("=== warnings\n");
        out.push_str(&rendered);
    }
    out
}

fn run_fail(path: &Path) -> String {
    let text = std::fs::read(path).expect("case file is readable");
    let name = case_name(path);
    let c = compile_source(&name, &text, path.parent(), &options(), Stage::Bytecode);
    assert!(c.has_errors(), "{name} must fail to compile");
    c.render_diagnostics(false)
}

/// insta's `glob!` keeps one failure count per process: the two globs must not
/// run at the same time, or one test reports the other's failures.
static GLOB_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn pass_cases() {
    let _serial = GLOB_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    insta::glob!("compile/pass/*.braid", |path| {
        insta::assert_snapshot!(run_pass(path));
    });
}

#[test]
fn fail_cases() {
    let _serial = GLOB_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    insta::glob!("compile/fail/*.braid", |path| {
        insta::assert_snapshot!(run_fail(path));
    });
}

#[test]
fn there_are_enough_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile");
    let count = |sub: &str| {
        std::fs::read_dir(dir.join(sub))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "braid"))
                    .count()
            })
            .unwrap_or(0)
    };
    assert!(
        count("pass") + count("fail") >= 60,
        "the snapshot suite holds at least 60 cases"
    );
}

/// The shipped contracts' access summaries and conflict matrices, as `braid compile
/// --emit access` and `--emit conflicts` print them: a change to what a DeFi
/// transaction touches, or to which transactions can conflict, shows up in review.
#[test]
fn shipped_contract_access_summaries() {
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts");
    for name in ["token", "dex", "lending", "staking"] {
        let path = contracts.join(format!("{name}.braid"));
        let text = std::fs::read(&path).expect("shipped contract is readable");
        let c = compile_source(
            &format!("contracts/{name}.braid"),
            &text,
            Some(&contracts),
            &options(),
            Stage::Access,
        );
        assert!(!c.has_errors(), "{name}: {}", c.render_diagnostics(false));
        assert_eq!(
            c.render_diagnostics(false),
            "",
            "{name} compiles without warnings"
        );
        let summary = braid_compiler::emit::access::access(
            c.hir.as_ref().expect("a checked file has HIR"),
            c.access.as_ref().expect("a checked file has summaries"),
        );
        insta::assert_snapshot!(format!("access_{name}"), summary);
        let matrix = braid_compiler::emit::conflicts::conflicts(
            c.hir.as_ref().expect("a checked file has HIR"),
            c.access.as_ref().expect("a checked file has summaries"),
        );
        insta::assert_snapshot!(format!("conflicts_{name}"), matrix);
    }
}

/// The text block of `book/src/access.md` that follows the line `$ {command}`, up to
/// the closing fence.
fn book_output(command: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/access.md");
    let text = std::fs::read_to_string(path).expect("book/src/access.md is readable");
    let start = text
        .find(&format!("$ {command}\n"))
        .unwrap_or_else(|| panic!("the access chapter shows `$ {command}`"));
    let body = &text[start..];
    let body = &body[body.find('\n').expect("a line") + 1..];
    body[..body.find("```").expect("a closing fence")].to_owned()
}

/// The access chapter's `--emit access` and `--emit conflicts` examples are the
/// commands' real output.
#[test]
fn the_access_chapter_shows_real_output() {
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts");
    let text = std::fs::read(contracts.join("token.braid")).expect("token.braid");
    let c = compile_source(
        "contracts/token.braid",
        &text,
        Some(&contracts),
        &options(),
        Stage::Access,
    );
    let printed = braid_compiler::emit::access::access(
        c.hir.as_ref().expect("HIR"),
        c.access.as_ref().expect("summaries"),
    );
    assert_eq!(
        book_output("braid compile contracts/token.braid --emit access"),
        printed
    );
    // The Ledger example is the chapter's ```braid block just before the command.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/access.md");
    let chapter = std::fs::read_to_string(path).expect("book/src/access.md is readable");
    let at = chapter
        .find("$ braid compile ledger.braid --emit conflicts")
        .expect("the conflicts example");
    let block_start = chapter[..at]
        .rfind("```braid\n")
        .expect("the Ledger source")
        + 8;
    let block_end = block_start + chapter[block_start..].find("```").expect("fence");
    let source = &chapter[block_start..block_end];
    let c = compile_source(
        "ledger.braid",
        source.as_bytes(),
        None,
        &options(),
        Stage::Access,
    );
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    let matrix = braid_compiler::emit::conflicts::conflicts(
        c.hir.as_ref().expect("HIR"),
        c.access.as_ref().expect("summaries"),
    );
    assert_eq!(
        book_output("braid compile ledger.braid --emit conflicts"),
        matrix
    );
}
