//! `braid compile FILE [-o OUT] [--emit STAGE] [-I DIR]…`.

use crate::cli::{CommandError, CompileArgs, Emit};
use crate::project;
use braid_compiler::driver::{self, Compilation, CompileOptions, Stage};
use braid_compiler::span::FileId;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Runs `braid compile`.
pub fn compile(args: &CompileArgs) -> Result<(), CommandError> {
    if args.emit == Some(Emit::Clif) {
        return Err(CommandError::Usage(
            "--emit clif needs the JIT engine, which this build of braid does not have yet".into(),
        ));
    }
    let stage = if args.output.is_some() {
        Stage::Bytecode
    } else {
        match args.emit {
            Some(Emit::Tokens) => Stage::Tokens,
            Some(Emit::Ast) => Stage::Ast,
            Some(Emit::Access | Emit::Conflicts) => Stage::Access,
            // Without an emit, compile all the way: every error is reported.
            Some(Emit::Bytecode | Emit::Clif) | None => Stage::Bytecode,
        }
    };
    let options = CompileOptions {
        include_dirs: args.include.clone(),
        contracts_dir: project::contracts_dir(&args.file),
    };
    let compilation = driver::compile_file(&args.file, &options, stage)
        .map_err(|e| CommandError::Io(format!("cannot read {}: {e}", args.file.display())))?;
    report_diagnostics(&compilation);
    if compilation.has_errors() {
        return Err(CommandError::Reported);
    }
    if let Some(emit) = args.emit {
        let text = emitted(&compilation, emit)?;
        print_stdout(&text)?;
    }
    if let Some(out) = &args.output {
        write_modules(&args.file, &compilation.modules, out)?;
    }
    Ok(())
}

/// Prints the compilation's diagnostics (warnings included) to stderr, coloured on a terminal.
pub fn report_diagnostics(compilation: &Compilation) {
    let colour = std::io::stderr().is_terminal();
    let text = compilation.render_diagnostics(colour);
    if !text.is_empty() {
        eprint!("{text}");
    }
}

fn missing(what: &str) -> CommandError {
    CommandError::Input(format!(
        "internal error: the compiler reported no error but produced no {what}"
    ))
}

/// The text `--emit` prints for a compilation without errors.
fn emitted(compilation: &Compilation, emit: Emit) -> Result<String, CommandError> {
    Ok(match emit {
        Emit::Tokens => {
            let tokens = compilation
                .tokens
                .as_deref()
                .ok_or_else(|| missing("tokens"))?;
            let source = &compilation.sources.get(FileId(0)).text;
            braid_compiler::emit::tokens::tokens(tokens, source)
        }
        Emit::Ast => {
            let ast = compilation
                .ast
                .as_ref()
                .ok_or_else(|| missing("syntax tree"))?;
            braid_compiler::emit::ast::ast(ast)
        }
        Emit::Access => {
            let program = compilation
                .hir
                .as_ref()
                .ok_or_else(|| missing("typed program"))?;
            let summaries = compilation
                .access
                .as_ref()
                .ok_or_else(|| missing("access summaries"))?;
            braid_compiler::emit::access::access(program, summaries)
        }
        Emit::Conflicts => {
            let program = compilation
                .hir
                .as_ref()
                .ok_or_else(|| missing("typed program"))?;
            let summaries = compilation
                .access
                .as_ref()
                .ok_or_else(|| missing("access summaries"))?;
            braid_compiler::emit::conflicts::conflicts(program, summaries)
        }
        Emit::Bytecode => {
            let parts: Vec<String> = compilation
                .modules
                .iter()
                .map(braid_bytecode::disasm::disassemble)
                .collect();
            parts.join("\n")
        }
        Emit::Clif => {
            return Err(CommandError::Usage(
                "--emit clif needs the JIT engine".into(),
            ));
        }
    })
}

fn print_stdout(text: &str) -> Result<(), CommandError> {
    let mut out = std::io::stdout().lock();
    let mut write = || -> std::io::Result<()> {
        out.write_all(text.as_bytes())?;
        if !text.is_empty() && !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        out.flush()
    };
    write().map_err(|e| CommandError::Io(format!("cannot write to stdout: {e}")))
}

/// Writes the modules: one file `out`, or `out/<Name>.bbc` each when `out` is a directory.
fn write_modules(
    source: &Path,
    modules: &[braid_bytecode::Module],
    out: &Path,
) -> Result<(), CommandError> {
    let targets: Vec<(PathBuf, &braid_bytecode::Module)> = if out.is_dir() {
        modules
            .iter()
            .map(|m| (out.join(format!("{}.bbc", m.name)), m))
            .collect()
    } else {
        match modules {
            [one] => vec![(out.to_path_buf(), one)],
            [] => return Err(missing("module")),
            several => {
                let names: Vec<&str> = several.iter().map(|m| m.name.as_str()).collect();
                return Err(CommandError::Usage(format!(
                    "{} declares {} contracts ({}): -o needs an existing directory to write one `<Contract>.bbc` each",
                    source.display(),
                    several.len(),
                    names.join(", ")
                )));
            }
        }
    };
    for (path, module) in targets {
        let bytes = braid_bytecode::encode::encode(module);
        std::fs::write(&path, bytes)
            .map_err(|e| CommandError::Io(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}
