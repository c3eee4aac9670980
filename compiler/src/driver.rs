//! The driver: runs the passes in order up to a requested [`Stage`], for the CLI, the
//! tests and the REPL.
//!
//! Non-UTF-8 text is E0106; syntax errors stop before type checking; type errors do
//! not stop the access check, which then checks only the functions that type checked
//! without error (so every error of a file is reported, and none is a consequence of
//! another); any error stops before lowering; a root file without a contract is E0309
//! only when bytecode is asked for (a file of `const`s and `fn`s is a valid library);
//! a lowered module beyond the bytecode format's limits is an error ([`limits`]).
//!
//! Why syntax errors stop: the parser recovers at item and statement level by dropping
//! what it cannot parse, so type checking the recovered tree would report every use of
//! a dropped `let`, function or field as unknown (E0301, E0306), a dropped tail as a
//! missing return (E0410), and a dropped storage write as an unneeded annotation
//! (W0501): errors and warnings that are only echoes of the syntax error.

use crate::access;
use crate::ast;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::hir;
use crate::lexer;
use crate::parser;
use crate::resolve::{ModuleLoader, ModuleText};
use crate::source::SourceMap;
use crate::span::Span;
use crate::typeck;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod limits;

/// How far to compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Lex the root file.
    Tokens,
    /// Parse it.
    Ast,
    /// Resolve imports and type check into HIR.
    Hir,
    /// Check access annotations and compute summaries.
    Access,
    /// Lower every root contract to a bytecode module.
    Bytecode,
}

/// Where imports are searched besides the importing file's directory.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// `-I DIR`, searched in order after the importing file's directory.
    pub include_dirs: Vec<PathBuf>,
    /// The project's `contracts/` directory, searched last.
    pub contracts_dir: Option<PathBuf>,
}

/// The result of a compilation: whatever stages ran, and every diagnostic.
pub struct Compilation {
    /// Every file loaded (the root is `FileId(0)`).
    pub sources: SourceMap,
    /// Everything reported.
    pub diagnostics: Diagnostics,
    /// The root file's tokens (Stage::Tokens and later).
    pub tokens: Option<Vec<lexer::Token>>,
    /// The root file's syntax tree (Stage::Ast and later).
    pub ast: Option<ast::SourceFile>,
    /// The typed program, when type checking found no error.
    pub hir: Option<hir::Program>,
    /// The access summaries, when asked for and the program type checks.
    pub access: Option<access::Summaries>,
    /// One module per root contract, in source order (Stage::Bytecode, no errors).
    pub modules: Vec<braid_bytecode::Module>,
}

impl Compilation {
    fn empty() -> Compilation {
        Compilation {
            sources: SourceMap::default(),
            diagnostics: Diagnostics::default(),
            tokens: None,
            ast: None,
            hir: None,
            access: None,
            modules: Vec::new(),
        }
    }

    /// The diagnostics rendered in the rustc style; `colour` adds ANSI colours.
    pub fn render_diagnostics(&self, colour: bool) -> String {
        self.diagnostics.render(&self.sources, colour)
    }

    /// Whether any error (not warning) was reported.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }
}

/// Finds file modules on disk: next to the importing file, in each include directory,
/// then in the contracts directory.
///
/// Diagnostics name a module by a short path: relative to the root file's name when it
/// sits next to the root (or next to a module found that way), else relative to the
/// working directory when under it, else as found. Snapshots never see absolute paths.
struct FsLoader<'a> {
    root_dir: Option<PathBuf>,
    root_key: Option<String>,
    opts: &'a CompileOptions,
    /// For each directory a module was found in: how that directory is shown.
    shown_dirs: RefCell<BTreeMap<PathBuf, PathBuf>>,
    /// The working directory, to shorten paths under it.
    cwd: Option<PathBuf>,
}

impl FsLoader<'_> {
    /// How to show a module found at `found` in directory `dir`.
    fn shown(&self, dir: &Path, found: &Path, rel: &Path) -> PathBuf {
        if let Some(shown_dir) = self.shown_dirs.borrow().get(dir) {
            return shown_dir.join(rel);
        }
        match &self.cwd {
            Some(cwd) => found.strip_prefix(cwd).unwrap_or(found).to_path_buf(),
            None => found.to_path_buf(),
        }
    }
}

fn key_of(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

impl ModuleLoader for FsLoader<'_> {
    fn root_dir(&self) -> Option<PathBuf> {
        self.root_dir.clone()
    }

    fn root_key(&self) -> Option<String> {
        self.root_key.clone()
    }

    fn load(&self, importer_dir: Option<&Path>, path: &[String]) -> Option<ModuleText> {
        let mut rel: PathBuf = path.iter().collect();
        rel.set_extension("braid");
        let dirs = importer_dir
            .into_iter()
            .chain(self.opts.include_dirs.iter().map(PathBuf::as_path))
            .chain(self.opts.contracts_dir.as_deref());
        for dir in dirs {
            let candidate = dir.join(&rel);
            if !candidate.is_file() {
                continue;
            }
            let Ok(bytes) = std::fs::read(&candidate) else {
                continue;
            };
            let shown = self.shown(dir, &candidate, &rel);
            let real_dir = candidate.parent().map(Path::to_path_buf);
            if let (Some(real), Some(shown_dir)) = (&real_dir, shown.parent()) {
                self.shown_dirs
                    .borrow_mut()
                    .entry(real.clone())
                    .or_insert_with(|| shown_dir.to_path_buf());
            }
            return Some(ModuleText {
                key: key_of(&candidate),
                name: shown.display().to_string(),
                dir: real_dir,
                bytes,
            });
        }
        None
    }
}

/// Compiles root source text named `name` (a path for relative imports: `base_dir` is
/// its parent) up to `until`.
pub fn compile_source(
    name: &str,
    text: &[u8],
    base_dir: Option<&Path>,
    opts: &CompileOptions,
    until: Stage,
) -> Compilation {
    let src = match std::str::from_utf8(text) {
        Ok(s) => s.to_owned(),
        Err(e) => {
            let mut c = Compilation::empty();
            let root = c
                .sources
                .add(name, Vec::new(), String::from_utf8_lossy(text).into_owned());
            let at = e.valid_up_to();
            c.diagnostics.push(
                Diagnostic::new(
                    Code::NotUtf8,
                    Span::new(root, at, at + char::REPLACEMENT_CHARACTER.len_utf8()),
                    format!("`{name}` is not valid UTF-8"),
                )
                .with_label(format!("invalid byte at offset {at}"))
                .with_note("Braid source files are UTF-8 text"),
            );
            return c;
        }
    };
    let root_key = base_dir
        .zip(Path::new(name).file_name())
        .map(|(d, f)| key_of(&d.join(f)));
    let mut shown_dirs = BTreeMap::new();
    if let Some(dir) = base_dir {
        let shown = Path::new(name).parent().unwrap_or(Path::new(""));
        shown_dirs.insert(dir.to_path_buf(), shown.to_path_buf());
    }
    let loader = FsLoader {
        root_dir: base_dir.map(Path::to_path_buf),
        root_key,
        opts,
        shown_dirs: RefCell::new(shown_dirs),
        cwd: std::env::current_dir().ok(),
    };
    compile_with_loader(name, src, &loader, until)
}

/// Compiles root source text named `name`, finding its file imports with `loader`
/// (the REPL and tests use [`crate::resolve::MemoryLoader`]).
pub fn compile_with_loader(
    name: &str,
    src: String,
    loader: &dyn ModuleLoader,
    until: Stage,
) -> Compilation {
    let mut c = Compilation::empty();
    let root = c.sources.add(name, Vec::new(), src.clone());
    let tokens = lexer::lex(root, &src, &mut c.diagnostics);
    if until == Stage::Tokens {
        c.tokens = Some(tokens);
        return c;
    }
    let file = parser::parse_tokens(root, &tokens, &mut c.diagnostics);
    c.tokens = Some(tokens);
    if until == Stage::Ast || c.diagnostics.has_errors() {
        c.ast = Some(file);
        return c;
    }
    let checked = typeck::check(&mut c.sources, root, &file, loader, &mut c.diagnostics);
    c.ast = Some(file);
    if c.diagnostics.has_errors() {
        if until >= Stage::Access {
            // Report the access errors of the functions that type checked; the program
            // itself is not kept (HIR with errors is never printed or lowered).
            let _ =
                access::check_partial(&checked.program, &checked.with_errors, &mut c.diagnostics);
        }
        return c;
    }
    let program = checked.program;
    if until == Stage::Hir {
        c.hir = Some(program);
        return c;
    }
    let summaries = access::check(&program, &mut c.diagnostics);
    if until == Stage::Access || c.diagnostics.has_errors() {
        c.hir = Some(program);
        c.access = Some(summaries);
        return c;
    }
    if program.roots.is_empty() {
        c.diagnostics.push(
            Diagnostic::new(Code::NoContract, Span::new(root, 0, 0), format!("`{name}` declares no contract"))
                .with_label("nothing to compile to bytecode")
                .with_help("declare `contract Name { … }`; a file of only `const` and `fn` items is a library: import it with `use`"),
        );
    } else {
        c.modules = program
            .roots
            .iter()
            .filter_map(|&id| {
                limits::lower_checked(&program, id, &summaries, &c.sources, &mut c.diagnostics)
            })
            .collect();
        if c.diagnostics.has_errors() {
            c.modules.clear();
        }
    }
    c.hir = Some(program);
    c.access = Some(summaries);
    c
}

/// Reads the file at `path` and compiles it (its directory is the base of its
/// relative imports). I/O errors are returned, not reported as diagnostics.
pub fn compile_file(
    path: &Path,
    opts: &CompileOptions,
    until: Stage,
) -> std::io::Result<Compilation> {
    let bytes = std::fs::read(path)?;
    let name = path.display().to_string();
    Ok(compile_source(&name, &bytes, path.parent(), opts, until))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir holding `files`.
    fn temp_project(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("braid-driver-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().expect("a file has a parent")).expect("create dir");
            std::fs::write(&p, text).expect("write file");
        }
        dir
    }

    const TOKEN: &str = "contract Token { storage { b: map<address, u128> } pub fn transfer(to: address, x: u128) -> bool writes b[caller] { b[caller] -= x; true } }";
    const USER: &str = "use token::Token; contract User { pub fn pay(t: Token) -> bool calls t.transfer { t.transfer(caller, 1) } }";

    /// 30 KB of one syntax error repeated on one line used to render every error with
    /// the whole line (quadratic: 16 s, 450 MB of output). At most 50 are shown, each
    /// with a bounded window of the line, and one line counts the rest.
    #[test]
    fn many_errors_on_one_long_line_render_bounded_output() {
        let src = format!(
            "contract C {{ pub fn f() {{ {} }} }}",
            "let = ; ".repeat(3750)
        );
        let c = compile_source(
            "long.braid",
            src.as_bytes(),
            None,
            &CompileOptions::default(),
            Stage::Bytecode,
        );
        let out = c.render_diagnostics(false);
        assert_eq!(
            out.matches("error[E0201]").count(),
            crate::diagnostics::MAX_RENDERED
        );
        assert!(
            out.contains("error: 3700 more errors not shown"),
            "{}",
            &out[out.len() - 300..]
        );
        assert!(out.contains("could not compile due to 3750 errors"));
        assert!(
            out.lines().all(|l| l.chars().count() < 400),
            "source lines are clipped"
        );
        assert!(out.len() < 50 * 1024, "{} bytes of output", out.len());
        // Columns are those of the original line, also past the clipped part.
        assert!(out.contains("long.braid:1:423"), "{out}");
    }

    #[test]
    fn non_utf8_is_e0106_not_a_panic() {
        let c = compile_source(
            "bad.braid",
            b"contract C {\xff}",
            None,
            &CompileOptions::default(),
            Stage::Bytecode,
        );
        assert!(c.has_errors());
        let out = c.render_diagnostics(false);
        assert!(
            out.contains("[E0106]") && out.contains("invalid byte at offset 12"),
            "{out}"
        );
        assert!(c.tokens.is_none() && c.ast.is_none() && c.hir.is_none());
    }

    #[test]
    fn stages_stop_where_asked() {
        let opts = CompileOptions::default();
        let c = compile_source("t.braid", TOKEN.as_bytes(), None, &opts, Stage::Tokens);
        assert!(c.tokens.is_some() && c.ast.is_none());
        let c = compile_source("t.braid", TOKEN.as_bytes(), None, &opts, Stage::Ast);
        assert!(c.ast.is_some() && c.hir.is_none());
        let c = compile_source("t.braid", TOKEN.as_bytes(), None, &opts, Stage::Hir);
        assert!(
            c.hir.is_some() && c.access.is_none(),
            "{}",
            c.render_diagnostics(false)
        );
        let c = compile_source("t.braid", TOKEN.as_bytes(), None, &opts, Stage::Access);
        assert!(c.access.is_some() && c.modules.is_empty());
        let c = compile_source("t.braid", TOKEN.as_bytes(), None, &opts, Stage::Bytecode);
        assert_eq!(c.modules.len(), 1);
        assert_eq!(c.modules[0].name, "Token");
    }

    #[test]
    fn errors_block_later_stages() {
        let opts = CompileOptions::default();
        let c = compile_source(
            "t.braid",
            b"contract C { fn f( }",
            None,
            &opts,
            Stage::Bytecode,
        );
        assert!(c.has_errors() && c.ast.is_some() && c.hir.is_none() && c.modules.is_empty());
        let c = compile_source(
            "t.braid",
            b"fn f() -> u8 { 300 }",
            None,
            &opts,
            Stage::Bytecode,
        );
        assert!(c.has_errors() && c.hir.is_none() && c.access.is_none());
    }

    #[test]
    fn type_errors_do_not_hide_access_errors_of_other_functions() {
        let src = b"contract C { storage { t: u64 } pub fn a() -> u64 { missing } pub fn d() { t = 5; } }";
        let opts = CompileOptions::default();
        let c = compile_source("t.braid", src, None, &opts, Stage::Bytecode);
        let out = c.render_diagnostics(false);
        assert!(out.contains("[E0301]") && out.contains("[E0501]"), "{out}");
        assert!(c.hir.is_none() && c.access.is_none() && c.modules.is_empty());
        // Stage::Hir stops before the access check.
        let c = compile_source("t.braid", src, None, &opts, Stage::Hir);
        let out = c.render_diagnostics(false);
        assert!(out.contains("[E0301]") && !out.contains("[E0501]"), "{out}");
    }

    #[test]
    fn syntax_errors_still_stop_before_type_checking() {
        let src = b"contract C { pub fn a() -> u64 { let x = ; x } pub fn d() -> u64 { missing } }";
        let c = compile_source(
            "t.braid",
            src,
            None,
            &CompileOptions::default(),
            Stage::Bytecode,
        );
        let out = c.render_diagnostics(false);
        assert!(out.contains("[E0201]") && !out.contains("[E0301]"), "{out}");
    }

    #[test]
    fn a_file_without_contract_is_a_library_until_bytecode() {
        let opts = CompileOptions::default();
        for text in ["", "const A: u64 = 1; fn f() -> u64 { A }"] {
            let c = compile_source("lib.braid", text.as_bytes(), None, &opts, Stage::Access);
            assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
            let c = compile_source("lib.braid", text.as_bytes(), None, &opts, Stage::Bytecode);
            let out = c.render_diagnostics(false);
            assert!(
                out.contains("[E0309]") && out.contains("declares no contract"),
                "{out}"
            );
        }
    }

    #[test]
    fn imports_next_to_the_file_then_include_dirs_then_contracts_dir() {
        let dir = temp_project(
            "search",
            &[
                ("app/user.braid", USER),
                ("inc/token.braid", TOKEN),
                ("contracts/token.braid", TOKEN),
            ],
        );
        let root = dir.join("app/user.braid");
        // Not found anywhere.
        let c = compile_file(&root, &CompileOptions::default(), Stage::Hir).expect("readable");
        assert!(c.render_diagnostics(false).contains("[E0303]"));
        // Found in the include dir, then in the contracts dir.
        let opts = CompileOptions {
            include_dirs: vec![dir.join("inc")],
            contracts_dir: Some(dir.join("contracts")),
        };
        let c = compile_file(&root, &opts, Stage::Hir).expect("readable");
        assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
        assert!(
            c.sources
                .iter()
                .any(|(_, f)| f.name.ends_with("inc/token.braid"))
        );
        let opts = CompileOptions {
            include_dirs: Vec::new(),
            contracts_dir: Some(dir.join("contracts")),
        };
        let c = compile_file(&root, &opts, Stage::Hir).expect("readable");
        assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
        let p = c.hir.expect("hir");
        assert_eq!(p.roots.len(), 1);
        assert_eq!(p.contract(p.roots[0]).name, "User");
        // Next to the file wins.
        std::fs::write(dir.join("app/token.braid"), "const X: u8 = 1;").expect("write");
        let c = compile_file(&root, &opts, Stage::Hir).expect("readable");
        assert!(c.render_diagnostics(false).contains("[E0304]"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn imported_files_are_named_by_short_paths() {
        let dir = temp_project(
            "names",
            &[
                ("pass/user.braid", USER),
                (
                    "pass/token.braid",
                    "use lib::util::X; contract Token { fn transfer() {} }",
                ),
                ("pass/lib/util.braid", "const X: u8 = 300;"),
            ],
        );
        let text = std::fs::read(dir.join("pass/user.braid")).expect("read");
        let c = compile_source(
            "pass/user.braid",
            &text,
            Some(&dir.join("pass")),
            &CompileOptions::default(),
            Stage::Hir,
        );
        let out = c.render_diagnostics(false);
        assert!(out.contains("┌─ pass/lib/util.braid:1:"), "{out}");
        assert!(out.contains("pass/token.braid:1:"), "{out}");
        assert!(!out.contains(&dir.display().to_string()), "{out}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn importing_the_root_file_is_a_cycle() {
        let dir = temp_project(
            "cycle",
            &[
                ("a.braid", "use b::B; const A: u64 = 1;"),
                ("b.braid", "use a::A; const B: u64 = 2;"),
            ],
        );
        let c = compile_file(&dir.join("a.braid"), &CompileOptions::default(), Stage::Hir)
            .expect("readable");
        let out = c.render_diagnostics(false);
        assert!(out.contains("[E0310]"), "{out}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_non_utf8_module_is_e0106_at_the_use() {
        let dir = temp_project("badutf8", &[("root.braid", "use lib::sub::X;")]);
        std::fs::create_dir_all(dir.join("lib")).expect("mkdir");
        std::fs::write(dir.join("lib/sub.braid"), b"const X: u8 = 1; \xff").expect("write");
        let c = compile_file(
            &dir.join("root.braid"),
            &CompileOptions::default(),
            Stage::Hir,
        )
        .expect("readable");
        let out = c.render_diagnostics(false);
        assert!(
            out.contains("[E0106]") && out.contains("module `lib::sub`"),
            "{out}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn io_errors_are_the_callers() {
        let missing = std::env::temp_dir().join("braid-driver-no-such-file.braid");
        assert!(compile_file(&missing, &CompileOptions::default(), Stage::Hir).is_err());
    }

    #[test]
    fn the_embedded_token_compiles() {
        let c = compile_source(
            "user.braid",
            b"use std::token::Token; contract U { pub fn f(t: Token) -> u128 calls t.balance_of { t.balance_of(caller) } }",
            None,
            &CompileOptions::default(),
            Stage::Hir,
        );
        assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    }

    #[test]
    fn nesting_up_to_the_parser_limit_type_checks() {
        let n = 250;
        let cases = [
            format!(
                "fn f(x: u64) -> u64 {{ {}x{} }}",
                "(".repeat(n),
                ")".repeat(n)
            ),
            format!("fn f(x: u64) -> u64 {{ {} }}", vec!["x"; n].join(" + ")),
            format!(
                "fn f(x: u64) -> u64 {{ {}x{} }}",
                "{ ".repeat(n),
                " }".repeat(n)
            ),
            format!(
                "fn f(x: bool) -> u64 {{ {}1{} }}",
                "if x { 1 } else { ".repeat(n / 2),
                " }".repeat(n / 2)
            ),
            format!("fn f(x: u64) -> u64 {{ {}x }}", "!".repeat(n)),
            format!("fn f(x: bool) -> bool {{ {} }}", vec!["x"; n].join(" && ")),
            format!(
                "fn f() -> u64 {{ let mut x = 0; {}x{} }}",
                "(1 + ".repeat(120),
                ")".repeat(120)
            ),
        ];
        for src in cases {
            let c = compile_source(
                "deep.braid",
                src.as_bytes(),
                None,
                &CompileOptions::default(),
                Stage::Hir,
            );
            assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
        }
        let too_deep = format!(
            "fn f(x: u64) -> u64 {{ {}x{} }}",
            "(".repeat(400),
            ")".repeat(400)
        );
        let c = compile_source(
            "deep.braid",
            too_deep.as_bytes(),
            None,
            &CompileOptions::default(),
            Stage::Hir,
        );
        assert!(c.render_diagnostics(false).contains("[E0203]"));
    }
}
