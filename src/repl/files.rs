//! The session's files: `:load` (a contract file and the files it imports), `:save`
//! and `:restore` (the journal of inputs as a replayable script), and `:accounts`.

use super::eval;
use super::input;
use super::session::{DEFAULT_SENDER, LoadedContract, ReplError, Session};
use braid_compiler::driver::{self, CompileOptions, Stage};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

impl Session {
    /// `:load FILE`: compiles FILE and every file module it imports (so that
    /// `:load dex.braid` makes `Token` available too) and loads their contracts.
    pub(super) fn load(&mut self, file: &str) -> Result<String, ReplError> {
        let mut names = Vec::new();
        let mut done = BTreeSet::new();
        let mut todo = vec![PathBuf::from(file)];
        while let Some(path) = todo.pop() {
            let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if !done.insert(key) {
                continue;
            }
            let imports = self.load_one(&path, &mut names)?;
            todo.extend(imports);
        }
        Ok(format!("loaded {}\n", names.join(", ")))
    }

    /// Compiles and loads one file; returns the files it imports.
    fn load_one(
        &mut self,
        path: &Path,
        names: &mut Vec<String>,
    ) -> Result<Vec<PathBuf>, ReplError> {
        let file = path.display().to_string();
        let path = path.to_path_buf();
        let options = CompileOptions {
            include_dirs: self.loader.dirs.clone(),
            contracts_dir: crate::project::contracts_dir(&path),
        };
        let compilation = driver::compile_file(&path, &options, Stage::Bytecode)
            .map_err(|e| ReplError::msg(format!("cannot read {file}: {e}")))?;
        if compilation.has_errors() {
            let text = compilation.render_diagnostics(self.colour);
            return Err(ReplError::Failed(eval::strip_summary(&text)));
        }
        if compilation.modules.is_empty() {
            return Err(ReplError::msg(format!("{file} declares no contract")));
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(dir) = std::path::absolute(&path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
        {
            self.loader.add_dir(dir);
        }
        let imports: Vec<PathBuf> = compilation
            .sources
            .iter()
            .skip(1)
            .filter(|(_, f)| f.module.first().is_some_and(|m| m != "std"))
            .map(|(_, f)| PathBuf::from(&f.name))
            .collect();
        for module in compilation.modules {
            let code = self
                .world
                .chain
                .load_module(module.clone())
                .map_err(|e| ReplError::msg(format!("contract {}: {e}", module.name)))?;
            let import = input::is_ident(&stem).then(|| format!("use {stem}::{};", module.name));
            names.push(module.name.clone());
            self.contracts.insert(
                module.name.clone(),
                LoadedContract {
                    code,
                    module,
                    import,
                },
            );
        }
        Ok(imports)
    }

    pub(super) fn save(&self, file: &str) -> Result<String, ReplError> {
        let mut text = String::from(
            "// A braid repl session: replay it with :restore or braid repl --script.\n",
        );
        for input in &self.journal {
            text.push_str(input);
            text.push('\n');
        }
        std::fs::write(file, text)
            .map_err(|e| ReplError::msg(format!("cannot write {file}: {e}")))?;
        Ok(format!(
            "saved {} input{} to {file}\n",
            self.journal.len(),
            if self.journal.len() == 1 { "" } else { "s" }
        ))
    }

    pub(super) fn restore(&mut self, file: &str) -> Result<String, ReplError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| ReplError::msg(format!("cannot read {file}: {e}")))?;
        let mut fresh = Session::new(self.colour);
        fresh.time = self.time;
        let mut pending = String::new();
        let mut count = 0usize;
        for (i, line) in text.lines().enumerate() {
            if !pending.is_empty() {
                pending.push('\n');
            }
            pending.push_str(line);
            if !input::is_complete(&pending) {
                continue;
            }
            let input = std::mem::take(&mut pending);
            if input.trim().is_empty() || input.trim().starts_with("//") {
                continue;
            }
            let trimmed = input.trim();
            if trimmed.starts_with(":save")
                || trimmed.starts_with(":restore")
                || trimmed.starts_with(":quit")
            {
                continue;
            }
            let outcome = fresh.handle(&input);
            if outcome.failed {
                return Err(ReplError::Failed(format!(
                    "error: {file}:{}: the input failed; the session is unchanged\n{}",
                    i + 1,
                    outcome.text
                )));
            }
            count += 1;
        }
        *self = fresh;
        Ok(format!(
            "restored {count} input{} from {file}\n",
            if count == 1 { "" } else { "s" }
        ))
    }

    pub(super) fn list_accounts(&self) -> String {
        let mut out = String::new();
        let mut accounts = self.accounts.clone();
        accounts.insert(DEFAULT_SENDER.to_string());
        for name in &accounts {
            let addr = braid_bytecode::encode::account_address(name);
            out.push_str(&format!(
                "@{name:<12} {}\n",
                crate::receipt_json::address_text(&addr)
            ));
        }
        for (name, i) in &self.world.instances {
            out.push_str(&format!(
                "{name:<13} {}  {}\n",
                crate::receipt_json::address_text(&i.addr),
                i.contract
            ));
        }
        out
    }
}
