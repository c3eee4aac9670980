//! Name resolution, part one: loading every module a program imports.
//!
//! `use std::X::{…}` names an embedded standard module ([`braid_stdlib::source`];
//! `std::math` has no source, its names are intrinsics). Any other path names a file
//! module: `use token::Token` is `token.braid`, found by a [`ModuleLoader`] next to the
//! importing file, then in each include directory, then in the contracts directory.
//! Each module is loaded and parsed once (keyed by its canonical path); an import of a
//! module that is still being loaded is a cycle (E0310).
//!
//! Part two, the name tables of each module and contract, is [`tables`].

pub mod tables;

use crate::ast;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::SourceMap;
use crate::span::FileId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The text of a file module found by a [`ModuleLoader`].
#[derive(Clone, Debug)]
pub struct ModuleText {
    /// A stable identity (the canonical path): a module with the same key is loaded once.
    pub key: String,
    /// The name shown in diagnostics (the path as found, relative when the search
    /// directory was relative).
    pub name: String,
    /// The directory of the file, where its own relative imports are searched first.
    pub dir: Option<PathBuf>,
    /// The raw bytes (checked for UTF-8 by the resolver).
    pub bytes: Vec<u8>,
}

/// Finds the source of file modules (`use token::Token`). The standard library
/// (`std::…`) is resolved by the compiler itself and never reaches a loader.
pub trait ModuleLoader {
    /// The directory of the root file, where its relative imports are searched first.
    fn root_dir(&self) -> Option<PathBuf>;
    /// The key of the root file (see [`ModuleText::key`]), so that a module importing
    /// the root file is recognised as a cycle.
    fn root_key(&self) -> Option<String>;
    /// Finds module `path` (`["token"]`, or `["lib", "amm"]` for `lib/amm.braid`)
    /// imported by a file in `importer_dir`; `None` when it is nowhere.
    fn load(&self, importer_dir: Option<&Path>, path: &[String]) -> Option<ModuleText>;
}

/// A loader that finds no file modules: only `std::…` imports resolve.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdOnlyLoader;

impl ModuleLoader for StdOnlyLoader {
    fn root_dir(&self) -> Option<PathBuf> {
        None
    }
    fn root_key(&self) -> Option<String> {
        None
    }
    fn load(&self, _importer_dir: Option<&Path>, _path: &[String]) -> Option<ModuleText> {
        None
    }
}

/// A loader over in-memory texts, keyed by the module path joined with `::`
/// (`"token"`, `"lib::amm"`): for tests and the REPL.
#[derive(Clone, Debug, Default)]
pub struct MemoryLoader {
    /// Module path → source text.
    pub modules: BTreeMap<String, String>,
}

impl ModuleLoader for MemoryLoader {
    fn root_dir(&self) -> Option<PathBuf> {
        None
    }
    fn root_key(&self) -> Option<String> {
        None
    }
    fn load(&self, _importer_dir: Option<&Path>, path: &[String]) -> Option<ModuleText> {
        let key = path.join("::");
        let text = self.modules.get(&key)?;
        Some(ModuleText {
            name: format!("{}.braid", path.join("/")),
            key,
            dir: None,
            bytes: text.clone().into_bytes(),
        })
    }
}

/// What a `use` declaration resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ModuleRef {
    /// `std::math`: intrinsics only.
    Math,
    /// A loaded module, by index in the module list.
    Module(usize),
}

/// A loaded, parsed module. Index 0 is the root file.
#[derive(Clone, Debug)]
pub(crate) struct Module {
    /// Its file.
    pub file: FileId,
    /// Its syntax tree.
    pub ast: ast::SourceFile,
    /// Every `use` of the file in order, with what it resolved to (`None`: not found,
    /// already reported).
    pub uses: Vec<(ast::UseDecl, Option<ModuleRef>)>,
}

/// Loads the root file's imports, transitively. The result starts with the root.
pub(crate) fn load_program(
    sources: &mut SourceMap,
    root: FileId,
    root_ast: &ast::SourceFile,
    loader: &dyn ModuleLoader,
    diags: &mut Diagnostics,
) -> Vec<Module> {
    let mut walk = Walk {
        sources,
        loader,
        diags,
        modules: Vec::new(),
        by_key: BTreeMap::new(),
        done: Vec::new(),
        depth: 0,
    };
    walk.modules.push(Module {
        file: root,
        ast: root_ast.clone(),
        uses: Vec::new(),
    });
    walk.done.push(false);
    if let Some(key) = loader.root_key() {
        walk.by_key.insert(key, 0);
    }
    walk.visit(0, loader.root_dir());
    walk.modules
}

struct Walk<'a> {
    sources: &'a mut SourceMap,
    loader: &'a dyn ModuleLoader,
    diags: &'a mut Diagnostics,
    modules: Vec<Module>,
    by_key: BTreeMap<String, usize>,
    /// Per module: fully loaded (false while its imports are being loaded).
    done: Vec<bool>,
    /// How many modules are being loaded (nested imports).
    depth: usize,
}

/// How deep imports may nest (each level recurses).
const MAX_IMPORT_DEPTH: usize = 256;

impl Walk<'_> {
    fn visit(&mut self, idx: usize, dir: Option<PathBuf>) {
        let uses: Vec<ast::UseDecl> = self.modules[idx]
            .ast
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Use(u) => Some(u.clone()),
                _ => None,
            })
            .collect();
        for u in uses {
            let resolved = self.resolve_use(&u, dir.as_deref());
            self.modules[idx].uses.push((u, resolved));
        }
        self.done[idx] = true;
    }

    fn resolve_use(&mut self, u: &ast::UseDecl, dir: Option<&Path>) -> Option<ModuleRef> {
        let path: Vec<String> = u.path.iter().map(|p| p.name.clone()).collect();
        let path_span = match (u.path.first(), u.path.last()) {
            (Some(a), Some(b)) => a.span.to(b.span),
            _ => u.span,
        };
        let shown = path.join("::");
        if path.is_empty() {
            self.diags.push(
                Diagnostic::new(Code::UnknownModule, u.span, "a `use` must name a module")
                    .with_label("no module path")
                    .with_help("write `use module::Name;` or `use std::math::{min, max};`"),
            );
            return None;
        }
        if shown == braid_stdlib::MATH_MODULE {
            return Some(ModuleRef::Math);
        }
        let found = if path[0] == "std" {
            match braid_stdlib::source(&shown) {
                Some(text) => Some(ModuleText {
                    key: shown.clone(),
                    name: shown.clone(),
                    dir: None,
                    bytes: text.as_bytes().to_vec(),
                }),
                None => {
                    self.diags.push(
                        Diagnostic::new(
                            Code::UnknownModule,
                            path_span,
                            format!("no module `{shown}` in the standard library"),
                        )
                        .with_label("not a standard module")
                        .with_note("the standard modules are `std::math`, `std::fixed`, `std::access` and `std::token`"),
                    );
                    return None;
                }
            }
        } else {
            self.loader.load(dir, &path)
        };
        let Some(text) = found else {
            let file = format!("{}.braid", path.join("/"));
            let mut d = Diagnostic::new(Code::UnknownModule, path_span, format!("cannot find module `{shown}`"))
                .with_label(format!("no file `{file}`"))
                .with_note(format!(
                    "`{file}` is searched next to the importing file, then in each include directory (-I), then in the contracts directory"
                ));
            // `use token::Token` with no `token.braid` around: the standard library has one.
            let std_path = format!("std::{shown}");
            if braid_stdlib::source(&std_path).is_some() || std_path == braid_stdlib::MATH_MODULE {
                let rest: Vec<&str> = u.names.iter().map(|n| n.name.as_str()).collect();
                let names = match rest.as_slice() {
                    [one] => (*one).to_owned(),
                    many => format!("{{{}}}", many.join(", ")),
                };
                d = d.with_help(format!(
                    "the standard library has this module: `use {std_path}::{names};`"
                ));
            }
            self.diags.push(d);
            return None;
        };
        if let Some(&existing) = self.by_key.get(&text.key) {
            if !self.done[existing] {
                self.diags.push(
                    Diagnostic::new(
                        Code::ImportCycle,
                        path_span,
                        format!("import cycle: `{shown}` is already being imported"),
                    )
                    .with_label(
                        "this module imports, directly or through others, the file that imports it",
                    )
                    .with_help("move the shared items into a third module that both import"),
                );
            }
            return Some(ModuleRef::Module(existing));
        }
        if self.depth >= MAX_IMPORT_DEPTH {
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownModule,
                    path_span,
                    format!("imports nest deeper than {MAX_IMPORT_DEPTH} modules"),
                )
                .with_label("not loaded"),
            );
            return None;
        }
        let text_str = match String::from_utf8(text.bytes) {
            Ok(s) => s,
            Err(_) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::NotUtf8,
                        path_span,
                        format!("module `{shown}` (`{}`) is not valid UTF-8", text.name),
                    )
                    .with_label("imported here"),
                );
                return None;
            }
        };
        let file = self.sources.add(text.name.clone(), path.clone(), text_str);
        let parsed = {
            let src = self.sources.get(file).text.clone();
            crate::parser::parse(file, &src, self.diags)
        };
        let idx = self.modules.len();
        self.modules.push(Module {
            file,
            ast: parsed,
            uses: Vec::new(),
        });
        self.done.push(false);
        self.by_key.insert(text.key, idx);
        self.depth += 1;
        self.visit(idx, text.dir);
        self.depth -= 1;
        Some(ModuleRef::Module(idx))
    }
}
