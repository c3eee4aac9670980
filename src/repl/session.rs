//! The session: its state (the chain, loaded contracts, instances, bindings, the undo
//! history, the transaction queue) and the dispatch of each input to its command.

use super::eval::{self, Binding, Code, Fixed, Scope};
use super::input;
use super::loader::SessionLoader;
use super::show::Labels;
use crate::scenario::args::Names;
use braid_bytecode::Module;
use braid_compiler::driver::{self, CompileOptions, Stage};
use braid_vm::{Address, BlockContext, Chain, Transaction};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Seconds between two blocks of the session (block `n` has timestamp `12 * n`).
pub const BLOCK_SECONDS: u64 = 12;
/// The account that sends when no `as @account` is given.
pub const DEFAULT_SENDER: &str = "alice";
/// A transaction's gas limit.
pub const TX_GAS: u64 = 10_000_000;

/// What one input produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The text to print.
    pub text: String,
    /// `:quit`.
    pub quit: bool,
    /// The input could not be parsed as a command at all.
    pub unparsed: bool,
}

/// Why an input failed; the session goes on either way.
#[derive(Debug)]
pub enum ReplError {
    /// Not a command at all: an unknown `:command`, a command without its arguments,
    /// or Braid code with a syntax error (exit 1 at the end of a script).
    Unparsed(String),
    /// Anything else, as text ready to print (diagnostics, a failed deployment …).
    Failed(String),
}

impl ReplError {
    /// A failure with a one-line message.
    pub fn msg(text: impl Into<String>) -> ReplError {
        ReplError::Failed(format!("error: {}\n", text.into()))
    }
}

/// A contract `:load` made available.
#[derive(Clone, Debug)]
pub struct LoadedContract {
    /// Its code hash in the chain.
    pub code: [u8; 32],
    /// Its module.
    pub module: Module,
    /// The `use` line that imports it into scratch sources, when its file name allows.
    pub import: Option<String>,
}

/// A deployed instance.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Its address.
    pub addr: Address,
    /// Its contract's name.
    pub contract: String,
}

/// Everything `:undo` restores.
#[derive(Clone, Debug, Default)]
pub struct World {
    /// World state and code.
    pub chain: Chain,
    /// Deployed instances by name.
    pub instances: BTreeMap<String, Instance>,
    /// The last block number used.
    pub block: u64,
}

/// The world before a change, and how to describe the change.
#[derive(Debug)]
struct Snapshot {
    world: World,
    journal_len: usize,
    what: String,
}

/// A queued transaction.
#[derive(Clone, Debug)]
pub struct Queued {
    /// The transaction.
    pub tx: Transaction,
    /// How it was written (`dex.swap(…) as @bob`).
    pub label: String,
}

/// A REPL session.
#[derive(Debug)]
pub struct Session {
    pub(super) world: World,
    pub(super) contracts: BTreeMap<String, LoadedContract>,
    pub(super) loader: SessionLoader,
    pub(super) items: Vec<String>,
    pub(super) bindings: Vec<Binding>,
    pub(super) accounts: BTreeSet<String>,
    pub(super) queue: Vec<Queued>,
    undo: Vec<Snapshot>,
    /// The inputs that made the session what it is (what `:save` writes).
    journal: Vec<String>,
    time: bool,
    pub(super) colour: bool,
}

/// One command: its name, usage and help.
pub struct CommandHelp {
    /// The name after `:`.
    pub name: &'static str,
    /// How to write it.
    pub usage: &'static str,
    /// What it does.
    pub help: &'static str,
}

/// Every command, in `:help` order.
pub const COMMANDS: &[CommandHelp] = &[
    CommandHelp {
        name: "help",
        usage: ":help [command]",
        help: "this list, or one command's help",
    },
    CommandHelp {
        name: "load",
        usage: ":load FILE",
        help: "compile FILE and make its contracts available to :deploy (and their types to expressions)",
    },
    CommandHelp {
        name: "deploy",
        usage: ":deploy NAME = Contract(args) [as @account]",
        help: "deploy an instance named NAME; NAME is then a value of type Contract in expressions",
    },
    CommandHelp {
        name: "state",
        usage: ":state NAME",
        help: "the instance's storage (fields not shown are zero)",
    },
    CommandHelp {
        name: "access",
        usage: ":access NAME.fn(args) [as @account]",
        help: "the access set the transaction would declare, without running it",
    },
    CommandHelp {
        name: "disasm",
        usage: ":disasm NAME.fn",
        help: "the bytecode of a function (NAME an instance or a contract)",
    },
    CommandHelp {
        name: "clif",
        usage: ":clif NAME.fn",
        help: "the JIT's Cranelift IR of a function (needs the JIT)",
    },
    CommandHelp {
        name: "queue",
        usage: ":queue NAME.fn(args) [as @account]",
        help: "add a transaction to the next :block",
    },
    CommandHelp {
        name: "block",
        usage: ":block",
        help: "run the queued transactions as one block: the schedule (who waits for whom), the parallelism bound and the receipts",
    },
    CommandHelp {
        name: "undo",
        usage: ":undo",
        help: "back to the world before the last deployment, transaction or block",
    },
    CommandHelp {
        name: "accounts",
        usage: ":accounts",
        help: "the named accounts and the deployed instances, with their addresses",
    },
    CommandHelp {
        name: "save",
        usage: ":save FILE",
        help: "write the session's inputs to FILE, a script :restore (or braid repl --script) replays",
    },
    CommandHelp {
        name: "restore",
        usage: ":restore FILE",
        help: "start a fresh session and replay the inputs in FILE",
    },
    CommandHelp {
        name: "time",
        usage: ":time on|off",
        help: "print each input's wall time (off in scripts by default)",
    },
    CommandHelp {
        name: "quit",
        usage: ":quit",
        help: "leave (Ctrl-D too)",
    },
];

const HELP_FOOTER: &str = "\
Anything else is Braid code or a transaction:
  1e18 / 3                      an expression: its value and type
  let x = std::math::sqrt(10 ** 18)   a binding that persists (`let mut` to assign later)
  fn double(x: u128) -> u128 { x * 2 }   a declaration (fn, struct, const, use) for later inputs
  usd.transfer(@bob, 250) as @alice      a transaction (default sender @alice)
`@name` is the named account's address. Ctrl-C cancels the input; an input goes on over
several lines until its brackets balance.";

impl Session {
    /// A fresh session; `colour` adds ANSI colours to diagnostics.
    pub fn new(colour: bool) -> Session {
        Session {
            world: World::default(),
            contracts: BTreeMap::new(),
            loader: SessionLoader::default(),
            items: Vec::new(),
            bindings: Vec::new(),
            accounts: BTreeSet::new(),
            queue: Vec::new(),
            undo: Vec::new(),
            journal: Vec::new(),
            time: false,
            colour,
        }
    }

    /// Whether `:time on` is in force.
    pub fn show_time(&self) -> bool {
        self.time
    }

    /// Handles one complete input.
    pub fn handle(&mut self, text: &str) -> Outcome {
        let trimmed = text.trim();
        if trimmed.is_empty() || (trimmed.starts_with("//") && !trimmed.contains('\n')) {
            return Outcome::default();
        }
        match self.dispatch(trimmed) {
            Ok(Reply {
                text: out,
                quit,
                journal,
            }) => {
                if journal {
                    self.journal.push(trimmed.to_string());
                }
                Outcome {
                    text: out,
                    quit,
                    unparsed: false,
                }
            }
            Err(ReplError::Unparsed(t)) => Outcome {
                text: t,
                quit: false,
                unparsed: true,
            },
            Err(ReplError::Failed(t)) => Outcome {
                text: t,
                quit: false,
                unparsed: false,
            },
        }
    }

    fn dispatch(&mut self, text: &str) -> Result<Reply, ReplError> {
        if let Some(command) = text.strip_prefix(':') {
            let (name, rest) = match command.find(char::is_whitespace) {
                Some(i) => (&command[..i], command[i..].trim()),
                None => (command, ""),
            };
            return self.command(name, rest);
        }
        if let Some(call) = input::parse_call(text)
            && let Some(target) = text.split('.').next().map(str::trim)
            && !self.bindings.iter().any(|b| b.name == target)
        {
            if !self.world.instances.contains_key(target) {
                let known: Vec<&str> = self.world.instances.keys().map(String::as_str).collect();
                return Err(ReplError::msg(format!(
                    "no instance named `{target}` (deployed: {})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            let call = call.map_err(|e| ReplError::Unparsed(format!("error: {e}\n")))?;
            let (out, changed) = self.send(&call)?;
            return Ok(if changed {
                Reply::changed(out)
            } else {
                Reply::view(out)
            });
        }
        self.braid(text)
    }

    fn command(&mut self, name: &str, rest: &str) -> Result<Reply, ReplError> {
        let need = |what: &str| -> Result<(), ReplError> {
            if rest.is_empty() {
                Err(ReplError::Unparsed(format!(
                    "error: :{name} needs {what}\n"
                )))
            } else {
                Ok(())
            }
        };
        let no_args = || -> Result<(), ReplError> {
            if rest.is_empty() {
                Ok(())
            } else {
                Err(ReplError::Unparsed(format!(
                    "error: :{name} takes no arguments\n"
                )))
            }
        };
        match name {
            "help" | "h" | "?" => Ok(Reply::view(help(rest)?)),
            "load" => {
                need("a file")?;
                Ok(Reply::changed(self.load(rest)?))
            }
            "deploy" => {
                need("`NAME = Contract(args)`")?;
                Ok(Reply::changed(self.deploy(rest)?))
            }
            "state" => {
                need("an instance name")?;
                Ok(Reply::view(self.state(rest)?))
            }
            "access" => {
                need("a call `NAME.fn(args)`")?;
                let call = parse_call_arg(rest)?;
                Ok(Reply::view(self.access(&call)?))
            }
            "disasm" => {
                need("`NAME.fn`")?;
                Ok(Reply::view(self.disasm(rest)?))
            }
            "clif" => {
                need("`NAME.fn`")?;
                Err(ReplError::msg(
                    "the JIT is not available in this build: :clif needs it (use :disasm for the bytecode)",
                ))
            }
            "queue" => {
                need("a call `NAME.fn(args)`")?;
                let call = parse_call_arg(rest)?;
                Ok(Reply::changed(self.enqueue(&call)?))
            }
            "block" => {
                no_args()?;
                Ok(Reply::changed(self.run_block()?))
            }
            "undo" => {
                no_args()?;
                Ok(Reply::view(self.undo()?))
            }
            "accounts" => {
                no_args()?;
                Ok(Reply::view(self.list_accounts()))
            }
            "save" => {
                need("a file")?;
                Ok(Reply::view(self.save(rest)?))
            }
            "restore" => {
                need("a file")?;
                Ok(Reply::view(self.restore(rest)?))
            }
            "time" => match rest {
                "on" => {
                    self.time = true;
                    Ok(Reply::view(String::new()))
                }
                "off" => {
                    self.time = false;
                    Ok(Reply::view(String::new()))
                }
                _ => Err(ReplError::Unparsed(
                    "error: write :time on or :time off\n".into(),
                )),
            },
            "quit" | "q" | "exit" => {
                no_args()?;
                Ok(Reply {
                    text: String::new(),
                    quit: true,
                    journal: false,
                })
            }
            other => {
                let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
                Err(ReplError::Unparsed(format!(
                    "error: unknown command `:{other}` (commands: :{}; :help explains them)\n",
                    names.join(", :")
                )))
            }
        }
    }

    /// The scope scratch sources see.
    fn scope<'a>(&'a self, imports: &'a [String], fixed: &'a [Fixed]) -> Scope<'a> {
        Scope {
            imports,
            items: &self.items,
            bindings: &self.bindings,
            fixed,
            loader: &self.loader,
            colour: self.colour,
        }
    }

    /// The `use` lines of the loaded contracts, and the instances as fixed names.
    pub(super) fn scope_parts(&self) -> (Vec<String>, Vec<Fixed>) {
        let imports: BTreeSet<String> = self
            .contracts
            .values()
            .filter_map(|c| c.import.clone())
            .collect();
        let fixed = self
            .world
            .instances
            .iter()
            .filter(|(name, i)| {
                self.contracts
                    .get(&i.contract)
                    .is_some_and(|c| c.import.is_some())
                    && !self.bindings.iter().any(|b| &b.name == *name)
            })
            .map(|(name, i)| Fixed {
                name: name.clone(),
                contract: i.contract.clone(),
                word: super::show::word_of(&i.addr),
            })
            .collect();
        (imports.into_iter().collect(), fixed)
    }

    /// Braid code: an item, a `let`, an expression or statements.
    fn braid(&mut self, text: &str) -> Result<Reply, ReplError> {
        let (imports, fixed) = self.scope_parts();
        let code = eval::classify(text);
        if let Code::Item(item) = &code {
            self.scope(&imports, &fixed)
                .check_item(item)
                .map_err(classify_error)?;
            let what = item_name(item);
            self.items.push(item.clone());
            return Ok(Reply::changed(format!("defined {what}\n")));
        }
        let mut uses = Vec::new();
        let (rewritten, accounts) = eval::rewrite(text, &mut uses);
        let code = eval::classify(&rewritten);
        if let Code::Let { name, .. } = &code
            && name.starts_with("__")
        {
            return Err(ReplError::msg(format!(
                "`{name}`: names starting with `__` are the REPL's own; choose another name"
            )));
        }
        if let Code::Let { name, .. } = &code
            && self.world.instances.contains_key(name)
        {
            return Err(ReplError::msg(format!(
                "`{name}` names a deployed instance; choose another name"
            )));
        }
        let block = self.current_block();
        let evaluated = self
            .scope(&imports, &fixed)
            .evaluate(&code, &uses, &self.world.chain, block, text)
            .map_err(classify_error)?;
        self.accounts.extend(accounts);
        self.bindings = evaluated.bindings;
        let labels = self.labels();
        let mut out = String::new();
        if let Some(name) = &evaluated.bound {
            if let Some(b) = self.bindings.iter().find(|b| &b.name == name) {
                out.push_str(&format!(
                    "{name}: {} = {}\n",
                    b.ty_src,
                    labels.value(&b.ty, &b.words)
                ));
            }
            return Ok(Reply::changed(out));
        }
        if let Some((ty_src, ty, words)) = &evaluated.value {
            out.push_str(&format!("{}: {ty_src}\n", labels.value(ty, words)));
        }
        // An expression without a `let` changes nothing the journal must replay,
        // unless it assigned a binding (statements).
        let journal = evaluated.value.is_none();
        Ok(Reply {
            text: out,
            quit: false,
            journal,
        })
    }

    /// The context of the block being built (the next block number).
    pub(super) fn current_block(&self) -> BlockContext {
        let number = self.world.block + 1;
        BlockContext {
            number,
            timestamp: number * BLOCK_SECONDS,
        }
    }

    /// Labels for the session's accounts and instances.
    pub(super) fn labels(&self) -> Labels {
        let instances: Vec<(&String, &Address)> = self
            .world
            .instances
            .iter()
            .map(|(n, i)| (n, &i.addr))
            .collect();
        Labels::new(&self.accounts, instances)
    }

    /// The names the scenario layer's argument parser resolves `@name` against.
    pub(super) fn names(&self) -> Names {
        Names {
            instances: self
                .world
                .instances
                .iter()
                .map(|(n, i)| (n.clone(), i.addr))
                .collect(),
            accounts: None,
        }
    }

    /// Remembers the world before a change.
    pub(super) fn checkpoint(&mut self, what: String) {
        self.undo.push(Snapshot {
            world: self.world.clone(),
            journal_len: self.journal.len(),
            what,
        });
    }

    /// Drops the last checkpoint (a change that did not happen after all).
    pub(super) fn undo_last(&mut self) {
        self.undo.pop();
    }

    fn undo(&mut self) -> Result<String, ReplError> {
        let Some(snapshot) = self.undo.pop() else {
            return Err(ReplError::msg("nothing to undo"));
        };
        self.world = snapshot.world;
        // A `:load` after the snapshot stays: its modules go back into the chain.
        for c in self.contracts.values() {
            let _ = self.world.chain.load_module(c.module.clone());
        }
        // Keep later inputs that changed no world (`let`s, `fn`s) out of the journal
        // too: replaying them without the undone change could fail.
        self.journal.truncate(snapshot.journal_len);
        self.queue.clear();
        Ok(format!("undone: {}\n", snapshot.what))
    }

    /// `:load FILE`: compiles FILE and every file module it imports (so that
    /// `:load dex.braid` makes `Token` available too) and loads their contracts.
    fn load(&mut self, file: &str) -> Result<String, ReplError> {
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

    fn save(&self, file: &str) -> Result<String, ReplError> {
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

    fn restore(&mut self, file: &str) -> Result<String, ReplError> {
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
            let before = fresh.journal.len();
            let outcome = fresh.handle(&input);
            if outcome.unparsed || (fresh.journal.len() == before && is_change(trimmed)) {
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

    fn list_accounts(&self) -> String {
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

/// An input that changes the session when it succeeds (for `:restore`'s check).
fn is_change(input: &str) -> bool {
    input.starts_with(":load")
        || input.starts_with(":deploy")
        || input.starts_with(":block")
        || input.starts_with(":queue")
        || input.starts_with("let ")
}

/// The reply of a command.
struct Reply {
    text: String,
    quit: bool,
    /// Whether the input goes into the journal `:save` writes.
    journal: bool,
}

impl Reply {
    fn changed(text: String) -> Reply {
        Reply {
            text,
            quit: false,
            journal: true,
        }
    }

    fn view(text: String) -> Reply {
        Reply {
            text,
            quit: false,
            journal: false,
        }
    }
}

/// A scratch compilation's error: syntax errors (the lexer's and parser's codes)
/// mean the input is not a command at all.
fn classify_error(text: String) -> ReplError {
    if eval::is_syntax_error(&text) {
        ReplError::Unparsed(text)
    } else {
        ReplError::Failed(text)
    }
}

fn parse_call_arg(rest: &str) -> Result<input::CallText, ReplError> {
    match input::parse_call(rest) {
        Some(Ok(call)) => Ok(call),
        Some(Err(e)) => Err(ReplError::Unparsed(format!("error: {e}\n"))),
        None => Err(ReplError::Unparsed(format!(
            "error: expected a call `NAME.fn(args) [as @account]`, found `{rest}`\n"
        ))),
    }
}

/// `fn double` for a defined item.
fn item_name(item: &str) -> String {
    let words: Vec<&str> = item.split_whitespace().take(2).collect();
    let name: String = words
        .get(1)
        .map(|w| {
            w.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .unwrap_or_default();
    format!("{} {name}", words.first().copied().unwrap_or(""))
}

fn help(topic: &str) -> Result<String, ReplError> {
    let topic = topic.trim().trim_start_matches(':');
    if topic.is_empty() {
        let width = COMMANDS.iter().map(|c| c.usage.len()).max().unwrap_or(0);
        let mut out = String::from("Commands:\n");
        for c in COMMANDS {
            out.push_str(&format!("  {:<width$}  {}\n", c.usage, c.help));
        }
        out.push_str(HELP_FOOTER);
        out.push('\n');
        return Ok(out);
    }
    match COMMANDS.iter().find(|c| c.name == topic) {
        Some(c) => Ok(format!("{}\n  {}\n", c.usage, c.help)),
        None => Err(ReplError::msg(format!(
            "no command `:{topic}`; :help lists them"
        ))),
    }
}
