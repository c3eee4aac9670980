//! The session: its state (the chain, loaded contracts, instances, bindings, the undo
//! history, the transaction queue) and the dispatch of each input to its command.

use super::eval::{self, Binding, Code, Fixed, Scope};
use super::help::{COMMANDS, help};
use super::input;
use super::loader::SessionLoader;
use super::show::Labels;
use crate::scenario::args::Names;
use braid_bytecode::Module;
use braid_vm::{Address, BlockContext, Chain, Transaction};
use std::collections::{BTreeMap, BTreeSet};

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
    /// The input failed (an error was shown; the session is as before it).
    pub failed: bool,
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
    pub(super) journal: Vec<String>,
    pub(super) time: bool,
    pub(super) colour: bool,
}

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
                    failed: false,
                }
            }
            Err(ReplError::Unparsed(t)) => Outcome {
                text: t,
                quit: false,
                unparsed: true,
                failed: true,
            },
            Err(ReplError::Failed(t)) => Outcome {
                text: t,
                quit: false,
                unparsed: false,
                failed: true,
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
                Ok(Reply::view(self.clif(rest)?))
            }
            "queue" => {
                if rest.is_empty() {
                    return Ok(Reply::view(self.queue_text()));
                }
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
            // `@name` and `std::` paths work in declarations too: the imports a path
            // needs are kept with the item.
            let mut uses = Vec::new();
            let (rewritten, accounts) = eval::rewrite(item, &self.names().instances, &mut uses);
            uses.retain(|u| !self.items.contains(u));
            uses.push(rewritten);
            let item = uses.join("\n");
            self.scope(&imports, &fixed)
                .check_item(&item)
                .map_err(classify_error)?;
            self.accounts.extend(accounts);
            let what = item_name(text);
            self.items.push(item);
            return Ok(Reply::changed(format!("defined {what}\n")));
        }
        let mut uses = Vec::new();
        let (rewritten, accounts) = eval::rewrite(text, &self.names().instances, &mut uses);
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
        // Queued transactions were journaled after the snapshot too: they go with it.
        let dropped = std::mem::take(&mut self.queue).len();
        let note = match dropped {
            0 => String::new(),
            n => format!(
                " (and the {n} queued transaction{} dropped)",
                if n == 1 { "" } else { "s" }
            ),
        };
        Ok(format!("undone: {}{note}\n", snapshot.what))
    }

    /// `:queue` alone: the transactions the next `:block` runs.
    fn queue_text(&self) -> String {
        if self.queue.is_empty() {
            return "the queue is empty\n".to_string();
        }
        let mut out = String::new();
        for (i, q) in self.queue.iter().enumerate() {
            out.push_str(&format!("#{i} {}\n", q.label));
        }
        out
    }
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
    if item.starts_with("use ") {
        return item.trim().trim_end_matches(';').to_string();
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Fragments of inputs: commands, names, literals, operators and brackets.
    fn fragment() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            ":load contracts/token.braid",
            ":deploy usd = Token(1e24)",
            ":deploy",
            ":state usd",
            ":access usd.transfer(@bob, 1)",
            ":disasm usd.transfer",
            ":queue usd.transfer(@bob, 1)",
            ":block",
            ":undo",
            ":accounts",
            ":time on",
            ":help",
            ":clif usd.f",
            ":restore x",
            "usd.transfer(@bob, 5)",
            "usd.mint(@bob, 1) as @bob",
            "usd.balance_of(@alice)",
            "let x = 1",
            "let mut y: u8 = 2",
            "x",
            "y += 1",
            "fn f(a: u128) -> u128 { a }",
            "f(x)",
            "struct S { a: u8 }",
            "S { a: 1 }",
            "1e18",
            "0x",
            "@",
            "@bob",
            "usd",
            "(",
            ")",
            "{",
            "}",
            "[",
            "]",
            ",",
            ";",
            ".",
            "=",
            "+",
            "*",
            "/",
            "**",
            "as",
            "u256",
            "true",
            "-1",
            "\"s\"",
            "std::math::sqrt",
            "std::",
            "::",
            "while",
            "if",
            "é",
            "//",
            "/*",
            "*/",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Inputs glued from fragments never panic the session, which keeps answering.
        #[test]
        fn no_input_panics(lines in prop::collection::vec(
            prop::collection::vec(fragment(), 1..5).prop_map(|f| f.join(" ")),
            1..6,
        )) {
            let mut session = Session::new(false);
            session.handle(":load contracts/token.braid");
            session.handle(":deploy usd = Token(1e24)");
            for line in &lines {
                let _ = session.handle(line);
            }
            let after = session.handle("1 + 1");
            prop_assert_eq!(after.text, "2: u128\n");
        }
    }
}
