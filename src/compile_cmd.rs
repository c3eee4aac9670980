//! `braid compile FILE [-o OUT] [--emit STAGE] [-I DIR]… [--message-format human|json]`.

use crate::cli::{ColorChoice, CommandError, CompileArgs, Emit, MessageFormat};
use crate::output::{self, Stream};
use crate::project;
use braid_compiler::diagnostics::{Diagnostic, Severity};
use braid_compiler::driver::{self, Compilation, CompileOptions, Stage};
use braid_compiler::source::SourceMap;
use braid_compiler::span::{FileId, Span};
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The name diagnostics give the source read from stdin (`braid compile -`).
pub const STDIN_NAME: &str = "<stdin>";

/// Runs `braid compile`.
pub fn compile(args: &CompileArgs, color: ColorChoice) -> Result<(), CommandError> {
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
    let from_stdin = args.file.as_os_str() == "-";
    let compilation = if from_stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| CommandError::Io(format!("cannot read the source from stdin: {e}")))?;
        // Imports resolve from the current directory, as for a file in it.
        let cwd = std::env::current_dir()
            .map_err(|e| CommandError::Io(format!("cannot find the current directory: {e}")))?;
        let options = CompileOptions {
            include_dirs: args.include.clone(),
            contracts_dir: project::contracts_dir(&cwd.join(STDIN_NAME)),
        };
        driver::compile_source(STDIN_NAME, &bytes, Some(&cwd), &options, stage)
    } else {
        let options = CompileOptions {
            include_dirs: args.include.clone(),
            contracts_dir: project::contracts_dir(&args.file),
        };
        driver::compile_file(&args.file, &options, stage)
            .map_err(|e| CommandError::Io(format!("cannot read {}: {e}", args.file.display())))?
    };
    match args.message_format {
        MessageFormat::Human => report_diagnostics(&compilation, color)?,
        MessageFormat::Json => output::err(&diagnostics_json(&compilation))?,
    }
    if compilation.has_errors() {
        return Err(CommandError::Reported);
    }
    let shown = if from_stdin {
        STDIN_NAME.to_string()
    } else {
        args.file.display().to_string()
    };
    if let Some(emit) = args.emit {
        let text = emitted(&compilation, emit)?;
        print_stdout(&text)?;
    }
    let written = match &args.output {
        Some(out) => write_modules(&shown, &compilation.modules, out, args.strip)?,
        None => Vec::new(),
    };
    if args.message_format == MessageFormat::Human {
        let colour = output::colour(color, Stream::Stderr);
        let line = summary_line(&shown, stage, &compilation, &written);
        output::err(&format!(
            "{} {line}\n",
            output::paint(colour, output::GREEN, "compiled")
        ))?;
    }
    Ok(())
}

/// What `braid compile` says on success: the file, the stage reached, the contracts and
/// the files written.
fn summary_line(
    shown: &str,
    stage: Stage,
    compilation: &Compilation,
    written: &[PathBuf],
) -> String {
    let names: Vec<&str> = compilation
        .modules
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    let mut line = match stage {
        Stage::Tokens => format!("{shown}: tokens only"),
        Stage::Ast => format!("{shown}: syntax only"),
        Stage::Hir | Stage::Access => format!("{shown}: checked up to access summaries"),
        Stage::Bytecode => format!(
            "{shown}: {} contract{} ({})",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        ),
    };
    if !written.is_empty() {
        let paths: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        line.push_str(&format!(", wrote {}", paths.join(", ")));
    }
    let warnings = compilation
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Warning)
        .count();
    if warnings > 0 {
        line.push_str(&format!(
            ", {warnings} warning{}",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    line
}

/// Prints the compilation's diagnostics (warnings included) to stderr, coloured as
/// `color` and the terminal say.
pub fn report_diagnostics(
    compilation: &Compilation,
    color: ColorChoice,
) -> Result<(), CommandError> {
    let colour = output::colour(color, Stream::Stderr);
    let text = compilation.render_diagnostics(colour);
    if text.is_empty() {
        return Ok(());
    }
    output::err(&text)
}

/// A place in a source file, 1-based line and column (in characters).
#[derive(Debug, Serialize)]
struct JsonPlace {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

/// A label of a JSON diagnostic.
#[derive(Debug, Serialize)]
struct JsonLabel {
    #[serde(flatten)]
    place: JsonPlace,
    primary: bool,
    message: String,
}

/// One diagnostic as `--message-format json` prints it.
#[derive(Debug, Serialize)]
struct JsonDiagnostic {
    severity: &'static str,
    code: &'static str,
    message: String,
    #[serde(flatten)]
    place: JsonPlace,
    labels: Vec<JsonLabel>,
    notes: Vec<String>,
    help: Vec<String>,
}

/// Every diagnostic of a compilation as one JSON object per line, sorted by place.
pub fn diagnostics_json(compilation: &Compilation) -> String {
    let mut text = String::new();
    for d in compilation.diagnostics.sorted() {
        let json = diagnostic_json(&d, &compilation.sources);
        // Plain structs of strings and numbers always serialize.
        text.push_str(&serde_json::to_string(&json).expect("a JSON diagnostic always serializes"));
        text.push('\n');
    }
    text
}

fn diagnostic_json(d: &Diagnostic, sources: &SourceMap) -> JsonDiagnostic {
    let mut labels = vec![JsonLabel {
        place: place(sources, d.primary.span),
        primary: true,
        message: d.primary.message.clone(),
    }];
    labels.extend(d.secondary.iter().map(|l| JsonLabel {
        place: place(sources, l.span),
        primary: false,
        message: l.message.clone(),
    }));
    JsonDiagnostic {
        severity: match d.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        code: d.code.id(),
        message: d.message.clone(),
        place: place(sources, d.primary.span),
        labels,
        notes: d.notes.clone(),
        help: d.help.clone(),
    }
}

/// The file, line and column of a span's ends.
fn place(sources: &SourceMap, span: Span) -> JsonPlace {
    let known = sources.iter().any(|(id, _)| id == span.file);
    let (file, text) = if known {
        let f = sources.get(span.file);
        (f.name.clone(), f.text.as_str())
    } else {
        (String::new(), "")
    };
    let (line, column) = line_column(text, span.range().start);
    let (end_line, end_column) = line_column(text, span.range().end);
    JsonPlace {
        file,
        line,
        column,
        end_line,
        end_column,
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
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
        Emit::Access | Emit::Conflicts => {
            let program = compilation
                .hir
                .as_ref()
                .ok_or_else(|| missing("typed program"))?;
            let summaries = compilation
                .access
                .as_ref()
                .ok_or_else(|| missing("access summaries"))?;
            if emit == Emit::Access {
                braid_compiler::emit::access::access(program, summaries)
            } else {
                braid_compiler::emit::conflicts::conflicts(program, summaries)
            }
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
            let mut parts = Vec::new();
            for module in &compilation.modules {
                let verified = braid_vm::verify::verify(module)
                    .map_err(|e| CommandError::Input(format!("module {}: {e}", module.name)))?;
                let funcs = braid_vm::jit::clif(&verified)
                    .map_err(|e| CommandError::Input(format!("module {}: {e}", module.name)))?;
                for (name, ir) in funcs {
                    parts.push(format!("; {}::{name}\n{ir}", module.name));
                }
            }
            parts.join("\n")
        }
    })
}

fn print_stdout(text: &str) -> Result<(), CommandError> {
    if !text.is_empty() && !text.ends_with('\n') {
        return output::out(&format!("{text}\n"));
    }
    output::out(text)
}

/// Writes the modules (without their source maps when `strip`): one file `out`, or
/// `out/<Name>.bbc` each when `out` is a directory; returns the paths written.
fn write_modules(
    source: &str,
    modules: &[braid_bytecode::Module],
    out: &Path,
    strip: bool,
) -> Result<Vec<PathBuf>, CommandError> {
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
                    source,
                    several.len(),
                    names.join(", ")
                )));
            }
        }
    };
    let mut written = Vec::new();
    for (path, module) in targets {
        let bytes = if strip {
            braid_bytecode::encode::encode_code(module)
        } else {
            braid_bytecode::encode::encode(module)
        };
        std::fs::write(&path, bytes)
            .map_err(|e| CommandError::Io(format!("cannot write {}: {e}", path.display())))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters() {
        let text = "ab\néx\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 5), (2, 2));
        // Inside a character, past the end: clamped, never a panic.
        assert_eq!(line_column(text, 4), (2, 1));
        assert_eq!(line_column(text, 99), (3, 1));
    }

    #[test]
    fn json_diagnostics_name_the_place() {
        let src = b"contract C {\n    pub fn f() -> u64 { true }\n}\n";
        let c = driver::compile_source(
            "c.braid",
            src,
            None,
            &CompileOptions::default(),
            Stage::Bytecode,
        );
        let text = diagnostics_json(&c);
        let first: serde_json::Value =
            serde_json::from_str(text.lines().next().expect("one diagnostic")).expect("JSON");
        assert_eq!(first["severity"], "error");
        assert_eq!(first["file"], "c.braid");
        assert_eq!(first["line"], 2);
        assert!(first["code"].as_str().is_some_and(|c| c.starts_with('E')));
        assert_eq!(first["labels"][0]["primary"], true);
    }
}
