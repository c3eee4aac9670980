//! The scenario's `contracts`: compile each source file (or decode each `.bbc` module)
//! and load the modules into the chain.

use crate::cli::{ColorChoice, CommandError};
use crate::compile_cmd::report_diagnostics;
use crate::project;
use crate::scenario::Scenario;
use braid_bytecode::Module;
use braid_compiler::driver::{self, CompileOptions, Stage};
use braid_vm::Chain;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A contract the scenario can deploy.
#[derive(Debug)]
pub struct LoadedContract {
    /// Its code hash in the chain.
    pub code: [u8; 32],
    /// Where it came from (for messages).
    pub origin: String,
    /// The module.
    pub module: Module,
}

/// Where the diagnostics of the contracts a scenario compiles go.
#[derive(Clone, Copy, Debug)]
pub enum DiagnosticsTo {
    /// To stderr, as `braid compile` prints them (warnings too).
    Stderr(ColorChoice),
    /// Nowhere, except that errors become part of the error message (`braid test`).
    Message,
}

/// Compiles or decodes every `contracts` entry and loads the modules; returns them by
/// contract name. An entry `std::…` names a contract of the standard library.
pub fn load_contracts(
    scenario: &Scenario,
    chain: &mut Chain,
    diagnostics: DiagnosticsTo,
) -> Result<BTreeMap<String, LoadedContract>, CommandError> {
    let base = scenario_dir(&scenario.display);
    let mut loaded: BTreeMap<String, LoadedContract> = BTreeMap::new();
    for (i, entry) in scenario.file.contracts.iter().enumerate() {
        let at = Some(entry.span().start);
        let place = format!("contracts[{i}]");
        let path = project::join_tidy(&base, Path::new(entry.get_ref()));
        let mut shown = path.display().to_string();
        let modules = if entry.get_ref().starts_with("std::") {
            shown = entry.get_ref().clone();
            compile_std(&shown, diagnostics).map_err(|message| {
                CommandError::Input(
                    scenario
                        .error(at, format!("{place}: {message}"))
                        .to_string(),
                )
            })?
        } else if path.extension().is_some_and(|e| e == "bbc") {
            let bytes = std::fs::read(&path).map_err(|e| {
                CommandError::Input(
                    scenario
                        .error(at, format!("{place}: cannot read {shown}: {e}"))
                        .to_string(),
                )
            })?;
            let module = braid_bytecode::encode::decode(&bytes).map_err(|e| {
                CommandError::Input(
                    scenario
                        .error(at, format!("{place}: {shown}: {e}"))
                        .to_string(),
                )
            })?;
            vec![module]
        } else {
            compile(&path, &shown, diagnostics).map_err(|message| {
                CommandError::Input(
                    scenario
                        .error(at, format!("{place}: {message}"))
                        .to_string(),
                )
            })?
        };
        for module in modules {
            if let Some(earlier) = loaded.get(&module.name) {
                if earlier.module == module {
                    continue;
                }
                let message = format!(
                    "{place}: contract {} in {shown} differs from the one in {}",
                    module.name, earlier.origin
                );
                return Err(CommandError::Input(scenario.error(at, message).to_string()));
            }
            let name = module.name.clone();
            let code = chain.load_module(module.clone()).map_err(|e| {
                CommandError::Input(
                    scenario
                        .error(at, format!("{place}: {shown}: contract {name}: {e}"))
                        .to_string(),
                )
            })?;
            let origin = shown.clone();
            loaded.insert(
                name,
                LoadedContract {
                    code,
                    origin,
                    module,
                },
            );
        }
    }
    Ok(loaded)
}

/// The directory relative paths in the scenario start from.
fn scenario_dir(display: &str) -> PathBuf {
    Path::new(display)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Compiles one source file to its modules.
fn compile(path: &Path, shown: &str, diagnostics: DiagnosticsTo) -> Result<Vec<Module>, String> {
    let options = CompileOptions {
        include_dirs: Vec::new(),
        contracts_dir: project::contracts_dir(path),
    };
    let compilation = driver::compile_file(path, &options, Stage::Bytecode)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    modules_of(compilation, shown, diagnostics)
}

/// Compiles a contract of the standard library (`std::token`).
fn compile_std(name: &str, diagnostics: DiagnosticsTo) -> Result<Vec<Module>, String> {
    let source = braid_stdlib::source(name).ok_or_else(|| {
        format!("the standard library has no module {name} (its contracts: std::token)")
    })?;
    let compilation = driver::compile_source(
        name,
        source.as_bytes(),
        None,
        &CompileOptions::default(),
        Stage::Bytecode,
    );
    let modules = modules_of(compilation, name, diagnostics)?;
    if modules.is_empty() {
        return Err(format!("{name} declares no contract"));
    }
    Ok(modules)
}

/// The modules of a compilation, its diagnostics reported as `diagnostics` says.
fn modules_of(
    compilation: driver::Compilation,
    shown: &str,
    diagnostics: DiagnosticsTo,
) -> Result<Vec<Module>, String> {
    match diagnostics {
        DiagnosticsTo::Stderr(color) => {
            report_diagnostics(&compilation, color).map_err(|e| e.to_string())?;
            if compilation.has_errors() {
                return Err(format!("{shown} does not compile (diagnostics above)"));
            }
        }
        DiagnosticsTo::Message => {
            if compilation.has_errors() {
                return Err(format!(
                    "{shown} does not compile:\n{}",
                    compilation.render_diagnostics(false).trim_end()
                ));
            }
        }
    }
    if compilation.modules.is_empty() {
        return Err(format!("{shown} declares no contract"));
    }
    Ok(compilation.modules)
}
