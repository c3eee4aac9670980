//! The module loader of the session's scratch sources: `use token::Token` is looked for
//! next to the importing file, then in the directory of every file `:load` compiled (in
//! load order), then in the project's `contracts/` directory.

use braid_compiler::resolve::{ModuleLoader, ModuleText};
use std::path::{Path, PathBuf};

/// Finds file modules for a scratch source (which has no file of its own).
#[derive(Clone, Debug, Default)]
pub struct SessionLoader {
    /// Directories searched after the importer's, in order.
    pub dirs: Vec<PathBuf>,
}

impl SessionLoader {
    /// Adds a directory to search (once).
    pub fn add_dir(&mut self, dir: PathBuf) {
        if !self.dirs.contains(&dir) {
            self.dirs.push(dir);
        }
    }
}

impl ModuleLoader for SessionLoader {
    fn root_dir(&self) -> Option<PathBuf> {
        None
    }

    fn root_key(&self) -> Option<String> {
        None
    }

    fn load(&self, importer_dir: Option<&Path>, path: &[String]) -> Option<ModuleText> {
        let mut rel: PathBuf = path.iter().collect();
        rel.set_extension("braid");
        let project = std::env::current_dir()
            .ok()
            .and_then(|cwd| crate::project::contracts_dir(&cwd.join("repl.braid")));
        let dirs = importer_dir
            .map(Path::to_path_buf)
            .into_iter()
            .chain(self.dirs.iter().cloned())
            .chain(project);
        for dir in dirs {
            let candidate = dir.join(&rel);
            let Ok(bytes) = std::fs::read(&candidate) else {
                continue;
            };
            let key = std::fs::canonicalize(&candidate)
                .unwrap_or_else(|_| candidate.clone())
                .display()
                .to_string();
            return Some(ModuleText {
                key,
                name: candidate.display().to_string(),
                dir: candidate.parent().map(Path::to_path_buf),
                bytes,
            });
        }
        None
    }
}
