//! Transactions from the prompt: arguments, `:deploy`, `NAME.fn(args)` (with the
//! declared access set next to the keys the run touched), `:access`, `:state`,
//! `:disasm` and `:queue`.
//!
//! Arguments are written as in scenarios and parsed by the scenario layer
//! (`scenario::args`: `1e18`, `0x…`, `true`, `@name`, `(a, b)` for tuples and
//! structs); any other argument is a Braid expression, evaluated in the session's
//! scope with the parameter's type as its context (`x * 2`, `usd`).

use super::eval::{self, Code};
use super::input::{self, CallText};
use super::session::{DEFAULT_SENDER, Instance, Queued, ReplError, Session, TX_GAS};
use super::show::{self, Labels};
use crate::scenario::args::parse_typed;
use braid_bytecode::{Function, U256, ValueType};
use braid_vm::exec::{self, Scratch};
use braid_vm::{
    AccessKey, AccessSet, Address, Receipt, SlotKey, StateRead, Transaction, WorldState,
};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// Which keys (contract, field, key word) a run read from the world and wrote.
#[derive(Debug, Default)]
struct Touched {
    read: BTreeSet<(Address, u16, U256)>,
    written: BTreeSet<(Address, u16, U256)>,
}

/// The world, recording every slot read through it.
struct RecordingState<'a> {
    inner: &'a WorldState,
    reads: RefCell<BTreeSet<(Address, u16, U256)>>,
}

impl StateRead for RecordingState<'_> {
    fn storage(&self, key: &SlotKey) -> U256 {
        self.reads
            .borrow_mut()
            .insert((key.contract, key.field, key.key));
        self.inner.get(key)
    }
}

/// A literal argument as the scenario layer's TOML value: numbers and `0x` words as
/// strings, booleans, `@name`, and `(…)`/`[…]` lists of literals; `None` for anything
/// else (an expression).
fn literal(text: &str) -> Option<toml::Value> {
    let t = text.trim();
    if t == "true" || t == "false" {
        return Some(toml::Value::Boolean(t == "true"));
    }
    if let Some(name) = t.strip_prefix('@') {
        return input::is_ident(name).then(|| toml::Value::String(t.to_string()));
    }
    if t.starts_with(['(', '[']) && t.ends_with([')', ']']) {
        let inner = &t[1..t.len() - 1];
        let parts = input::split_top_level(inner);
        // `(x)` groups; `(x,)` and `[x]` are one-element lists.
        if t.starts_with('(') && parts.len() == 1 && !inner.trim_end().ends_with(',') {
            return literal(inner);
        }
        let items: Option<Vec<toml::Value>> = parts
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| literal(s))
            .collect();
        return items.map(toml::Value::Array);
    }
    if t.starts_with(|c: char| c.is_ascii_digit()) && crate::scenario::args::parse_uint(t).is_some()
    {
        return Some(toml::Value::String(t.to_string()));
    }
    None
}

/// A type as Braid source, when it can be written in the session's scope.
fn type_src(ty: &ValueType) -> String {
    match ty {
        ValueType::Tuple(elems) => {
            let parts: Vec<String> = elems.iter().map(type_src).collect();
            format!("({})", parts.join(", "))
        }
        ValueType::Contract(name) | ValueType::Struct(name, _) => name.clone(),
        other => other.display(),
    }
}

impl Session {
    /// Parses call arguments against parameters.
    fn arguments(
        &mut self,
        args: &[String],
        params: &[(String, ValueType)],
        what: &str,
    ) -> Result<Vec<U256>, ReplError> {
        if args.len() != params.len() {
            let sig: Vec<String> = params
                .iter()
                .map(|(n, t)| format!("{n}: {}", t.display()))
                .collect();
            return Err(ReplError::msg(format!(
                "{what} takes {} argument{} ({}), found {}",
                params.len(),
                if params.len() == 1 { "" } else { "s" },
                sig.join(", "),
                args.len()
            )));
        }
        let names = self.names();
        let mut words = Vec::new();
        for (i, (text, (pname, ty))) in args.iter().zip(params).enumerate() {
            let place = format!("argument {} (`{pname}`)", i + 1);
            // An instance's name is its address (`usd.approve(dex, 1e24)`).
            let instance = self
                .world
                .instances
                .contains_key(text.trim())
                .then(|| toml::Value::String(format!("@{}", text.trim())));
            if let Some(value) = instance.or_else(|| literal(text)) {
                parse_typed(&value, ty, &names, &place, &mut words).map_err(ReplError::msg)?;
                if let Some(name) = text.trim().strip_prefix('@')
                    && !self.world.instances.contains_key(name)
                {
                    self.accounts.insert(name.to_string());
                }
                continue;
            }
            words.extend(self.expression_words(text, ty, &place)?);
        }
        Ok(words)
    }

    /// Evaluates an argument expression with the parameter's type as its context.
    fn expression_words(
        &mut self,
        text: &str,
        ty: &ValueType,
        place: &str,
    ) -> Result<Vec<U256>, ReplError> {
        let name = "__arg";
        let code = format!("let {name}: {} = {text};", type_src(ty));
        let before = self.bindings.clone();
        let mut words = None;
        let result = (|| -> Result<(), ReplError> {
            let mut uses = Vec::new();
            let (rewritten, accounts) = eval::rewrite(&code, &self.names().instances, &mut uses);
            let (imports, fixed) = self.scope_parts();
            let scope = super::eval::Scope {
                imports: &imports,
                items: &self.items,
                bindings: &self.bindings,
                fixed: &fixed,
                loader: &self.loader,
                colour: self.colour,
            };
            let evaluated = scope
                .evaluate(
                    &Code::Let {
                        name: name.into(),
                        mutable: false,
                        stmt: rewritten,
                    },
                    &uses,
                    &self.world.chain,
                    self.current_block(),
                    &code,
                )
                .map_err(|e| ReplError::Failed(format!("error: in {place}:\n{e}")))?;
            self.accounts.extend(accounts);
            words = evaluated
                .bindings
                .into_iter()
                .find(|b| b.name == name)
                .map(|b| b.words);
            Ok(())
        })();
        self.bindings = before;
        result?;
        words.ok_or_else(|| ReplError::msg(format!("{place}: the expression has no value")))
    }

    /// A sender: `as @name` or the default account.
    fn sender(&mut self, sender: Option<&str>) -> Result<Address, ReplError> {
        let name = sender.unwrap_or(DEFAULT_SENDER);
        if let Some(i) = self.world.instances.get(name) {
            return Err(ReplError::msg(format!(
                "`{name}` is a deployed instance ({}): a transaction's sender is an account",
                i.contract
            )));
        }
        self.accounts.insert(name.to_string());
        Ok(braid_bytecode::encode::account_address(name))
    }

    /// The transaction a call text stands for.
    fn transaction(&mut self, call: &CallText) -> Result<(Transaction, Function), ReplError> {
        let Some(instance) = self.world.instances.get(&call.target).cloned() else {
            let known: Vec<&str> = self.world.instances.keys().map(String::as_str).collect();
            return Err(ReplError::msg(format!(
                "no instance named `{}` (deployed: {})",
                call.target,
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            )));
        };
        let module = self
            .world
            .chain
            .module_at(&instance.addr)
            .ok_or_else(|| ReplError::msg(format!("no contract at `{}`", call.target)))?;
        let Some(func) = module
            .public(&call.function)
            .and_then(|i| module.functions.get(i))
        else {
            let public: BTreeSet<&str> = module
                .functions
                .iter()
                .filter(|f| f.visibility.is_pub())
                .map(|f| f.name.as_str())
                .collect();
            let public: Vec<&str> = public.into_iter().collect();
            return Err(ReplError::msg(format!(
                "{} ({}) has no public function `{}` (public: {})",
                call.target,
                instance.contract,
                call.function,
                public.join(", ")
            )));
        };
        let func = func.clone();
        let what = format!("{}.{}", instance.contract, func.name);
        let args = self.arguments(&call.args, &func.params, &what)?;
        let sender = self.sender(call.sender.as_deref())?;
        Ok((
            Transaction {
                sender,
                to: instance.addr,
                function: call.function.clone(),
                args,
                gas_limit: TX_GAS,
            },
            func,
        ))
    }

    /// `NAME.fn(args) [as @account]`: one transaction in a block of its own (a view
    /// runs on the current world and changes nothing). Returns the output and whether
    /// the world changed.
    pub(super) fn send(&mut self, call: &CallText) -> Result<(String, bool), ReplError> {
        let (tx, func) = self.transaction(call)?;
        let declared = self.world.chain.access_set(&tx);
        let block = self.current_block();
        // A view changes nothing: no block of its own, nothing to undo.
        let view = func.visibility == braid_bytecode::Visibility::PubView;
        if !view {
            self.checkpoint(call_label(call));
        }
        let world = &mut self.world;
        let recorder = RecordingState {
            inner: world.chain.state(),
            reads: RefCell::new(BTreeSet::new()),
        };
        let mut scratch = Scratch::default();
        let receipt = exec::execute_alone(&mut scratch, &world.chain, &recorder, block, &tx);
        let mut touched = Touched {
            read: recorder.reads.into_inner(),
            written: BTreeSet::new(),
        };
        if receipt.is_success() {
            let writes = scratch.take_writes();
            touched.written = writes
                .iter()
                .map(|(k, _)| (k.contract, k.field, k.key))
                .collect();
            let mut state = world.chain.state().clone();
            state.apply(writes);
            world.chain.set_state(state);
        }
        if !view {
            world.block = block.number;
        }
        let labels = self.labels();
        let mut out = receipt_text(&labels, &receipt, &func.ret);
        match declared {
            Ok(set) => out.push_str(&self.access_text(&labels, &set, Some(&touched))),
            Err(f) => out.push_str(&format!("access: none evaluated ({f})\n")),
        }
        Ok((out, !view))
    }

    /// `:access NAME.fn(args)`: the declared set, evaluated, without running.
    pub(super) fn access(&mut self, call: &CallText) -> Result<String, ReplError> {
        let (tx, _) = self.transaction(call)?;
        let set = self
            .world
            .chain
            .access_set(&tx)
            .map_err(|f| ReplError::msg(format!("the access set cannot be evaluated: {f}")))?;
        let labels = self.labels();
        Ok(self.access_text(&labels, &set, None))
    }

    /// The declared entries, each with what the run did to its keys.
    fn access_text(&self, labels: &Labels, set: &AccessSet, touched: Option<&Touched>) -> String {
        let chain = &self.world.chain;
        let mut rows: Vec<[String; 3]> = Vec::new();
        let mut covered: BTreeSet<(Address, u16, U256)> = BTreeSet::new();
        for e in set.entries() {
            let mode = if e.write { "write" } else { "read" };
            let place = show::entry_place(labels, chain, e);
            let status = touched.map(|t| {
                let keys: Vec<(Address, u16, U256)> = t
                    .read
                    .iter()
                    .chain(&t.written)
                    .filter(|(c, f, k)| {
                        *c == e.contract
                            && *f == e.field
                            && (e.key == AccessKey::Whole || e.key == AccessKey::Key(*k))
                    })
                    .copied()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                covered.extend(keys.iter().copied());
                let what = |key: &(Address, u16, U256)| match (
                    t.read.contains(key),
                    t.written.contains(key),
                ) {
                    (true, true) => "read, written",
                    (false, true) => "written",
                    _ => "read",
                };
                match (e.key, keys.as_slice()) {
                    (_, []) => "not touched".to_string(),
                    (AccessKey::Key(_), [key]) => what(key).to_string(),
                    (_, many) => many
                        .iter()
                        .map(|key| {
                            format!(
                                "{} {}",
                                labels.place(chain, &key.0, key.1, AccessKey::Key(key.2)),
                                what(key)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            });
            rows.push([mode.to_string(), place, status.unwrap_or_default()]);
        }
        let mut out = String::new();
        if touched.is_some() {
            out.push_str("access (declared, then touched):\n");
        } else {
            out.push_str("access (declared):\n");
        }
        if rows.is_empty() {
            out.push_str("  none: the function touches no storage\n");
        }
        let w1 = rows.iter().map(|r| r[1].chars().count()).max().unwrap_or(0);
        for [mode, place, status] in rows {
            let line = format!("  {mode:<5}  {place:<w1$}  {status}");
            out.push_str(line.trim_end());
            out.push('\n');
        }
        if let Some(t) = touched {
            for key in t.read.iter().chain(&t.written) {
                if !covered.contains(key) {
                    out.push_str(&format!(
                        "  outside the declared set: {}\n",
                        labels.place(chain, &key.0, key.1, AccessKey::Key(key.2))
                    ));
                    covered.insert(*key);
                }
            }
        }
        out
    }

    /// `:deploy NAME = Contract(args) [as @account]`.
    pub(super) fn deploy(&mut self, rest: &str) -> Result<String, ReplError> {
        let bad = || {
            ReplError::Unparsed(format!(
                "error: write `:deploy NAME = Contract(args) [as @account]`, found `{rest}`\n"
            ))
        };
        let (name, rhs) = rest.split_once('=').ok_or_else(bad)?;
        let name = name.trim();
        let (call, sender) = input::split_sender(rhs.trim())
            .map_err(|e| ReplError::Unparsed(format!("error: {e}\n")))?;
        let open = call.find('(').ok_or_else(bad)?;
        let contract = call[..open].trim();
        let inner = call[open + 1..].strip_suffix(')').ok_or_else(bad)?;
        if !input::is_ident(name) || !input::is_ident(contract) {
            return Err(bad());
        }
        if self.world.instances.contains_key(name) {
            return Err(ReplError::msg(format!(
                "an instance named `{name}` is already deployed (:undo removes it)"
            )));
        }
        if self.bindings.iter().any(|b| b.name == name) {
            return Err(ReplError::msg(format!("`{name}` is already a binding")));
        }
        let Some(loaded) = self.contracts.get(contract).cloned() else {
            let known: Vec<&str> = self.contracts.keys().map(String::as_str).collect();
            return Err(ReplError::msg(format!(
                "no contract `{contract}` is loaded (loaded: {}); :load its file first",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            )));
        };
        let params = loaded
            .module
            .init()
            .and_then(|i| loaded.module.functions.get(i))
            .map(|f| f.params.clone())
            .unwrap_or_default();
        let args = self.arguments(
            &input::split_top_level(inner),
            &params,
            &format!("init of {contract}"),
        )?;
        let deployer = self.sender(sender.as_deref())?;
        let block = self.current_block();
        let mut chain = self.world.chain.clone();
        let addr = chain
            .deploy(loaded.code, deployer, args, block, TX_GAS)
            .map_err(|e| ReplError::msg(format!("deployment of {contract} failed: {e}")))?;
        self.checkpoint(format!(":deploy {name}"));
        self.world.chain = chain;
        self.world.block = block.number;
        self.world.instances.insert(
            name.to_string(),
            Instance {
                addr,
                contract: contract.to_string(),
            },
        );
        Ok(format!(
            "deployed {name} ({contract}) at {}\n",
            crate::receipt_json::address_text(&addr)
        ))
    }

    /// `:state NAME`: the instance's non-zero storage, field by field.
    pub(super) fn state(&self, name: &str) -> Result<String, ReplError> {
        let instance = self
            .world
            .instances
            .get(name)
            .ok_or_else(|| ReplError::msg(format!("no instance named `{name}`")))?;
        let module = self
            .world
            .chain
            .module_at(&instance.addr)
            .ok_or_else(|| ReplError::msg(format!("no contract at `{name}`")))?;
        let mut values: BTreeMap<(u16, U256), BTreeMap<u16, U256>> = BTreeMap::new();
        for (key, value) in self.world.chain.state().storage_sorted() {
            if key.contract == instance.addr {
                values
                    .entry((key.field, key.key))
                    .or_default()
                    .insert(key.word, value);
            }
        }
        let labels = self.labels();
        let mut out = format!("{name} ({}):\n", instance.contract);
        if values.is_empty() {
            out.push_str("  (all storage is zero)\n");
        }
        for ((field, key), words) in values {
            let Some(f) = module.storage.get(usize::from(field)) else {
                continue;
            };
            let flat: Vec<U256> = (0..f.value.words())
                .map(|i| {
                    u16::try_from(i)
                        .ok()
                        .and_then(|w| words.get(&w).copied())
                        .unwrap_or(U256::ZERO)
                })
                .collect();
            let place = labels.place(
                &self.world.chain,
                &instance.addr,
                field,
                AccessKey::Key(key),
            );
            let place = place
                .strip_prefix(&format!("{name}."))
                .unwrap_or(&place)
                .to_string();
            out.push_str(&format!("  {place} = {}\n", labels.value(&f.value, &flat)));
        }
        Ok(out)
    }

    /// `:disasm NAME.fn`: the disassembly of one function.
    pub(super) fn disasm(&self, rest: &str) -> Result<String, ReplError> {
        let (target, function) = rest.split_once('.').ok_or_else(|| {
            ReplError::Unparsed(format!("error: write `:disasm NAME.fn`, found `{rest}`\n"))
        })?;
        let (target, function) = (target.trim(), function.trim());
        let module = match self.world.instances.get(target) {
            Some(i) => self.world.chain.module_at(&i.addr),
            None => self.contracts.get(target).map(|c| &c.module),
        }
        .ok_or_else(|| {
            ReplError::msg(format!("no instance or loaded contract named `{target}`"))
        })?;
        let text = braid_bytecode::disasm::disassemble(module);
        let head = format!("fn {function}(");
        let section = text
            .split("\n\n")
            .find(|s| s.starts_with(&head))
            .ok_or_else(|| {
                ReplError::msg(format!("{} has no function `{function}`", module.name))
            })?;
        Ok(format!("{}\n", section.trim_end()))
    }

    /// `:clif NAME.fn`: the Cranelift IR the JIT compiles the function to.
    pub(super) fn clif(&self, rest: &str) -> Result<String, ReplError> {
        let (target, function) = rest.split_once('.').ok_or_else(|| {
            ReplError::Unparsed(format!("error: write `:clif NAME.fn`, found `{rest}`\n"))
        })?;
        let (target, function) = (target.trim(), function.trim());
        let verified = match self.world.instances.get(target) {
            Some(i) => braid_vm::host::CodeStore::code_at(&self.world.chain, &i.addr)
                .map(std::borrow::Cow::Borrowed),
            None => match self.contracts.get(target) {
                Some(c) => Some(std::borrow::Cow::Owned(
                    braid_vm::verify::verify(&c.module)
                        .map_err(|e| ReplError::msg(format!("{target}: {e}")))?,
                )),
                None => None,
            },
        }
        .ok_or_else(|| {
            ReplError::msg(format!("no instance or loaded contract named `{target}`"))
        })?;
        let funcs = braid_vm::jit::clif(&verified)
            .map_err(|e| ReplError::msg(format!("{target}: the JIT cannot compile it: {e}")))?;
        let (_, ir) = funcs
            .iter()
            .find(|(name, _)| name == function)
            .ok_or_else(|| {
                ReplError::msg(format!(
                    "{} has no function `{function}`",
                    verified.module.name
                ))
            })?;
        Ok(format!("{}\n", ir.trim_end()))
    }

    /// `:queue NAME.fn(args) [as @account]`.
    pub(super) fn enqueue(&mut self, call: &CallText) -> Result<String, ReplError> {
        let (tx, _) = self.transaction(call)?;
        self.queue.push(Queued {
            tx,
            label: call_label(call),
        });
        Ok(format!(
            "queued #{} (the next :block runs {})\n",
            self.queue.len() - 1,
            self.queue.len()
        ))
    }
}

/// How a call is shown: `dex.swap(0, 100) as @bob`.
pub fn call_label(call: &CallText) -> String {
    let sender = call
        .sender
        .as_deref()
        .map(|s| format!(" as @{s}"))
        .unwrap_or_default();
    format!(
        "{}.{}({}){sender}",
        call.target,
        call.function,
        call.args.join(", ")
    )
}

/// Status, gas, return value and events of a receipt.
pub fn receipt_text(labels: &Labels, receipt: &Receipt, ret: &ValueType) -> String {
    let mut out = String::new();
    match &receipt.status {
        Ok(()) => {
            out.push_str(&format!("success, gas {}\n", receipt.gas_used));
            if *ret != ValueType::unit() {
                out.push_str(&format!(
                    "return: {}: {}\n",
                    labels.value(&receipt.ret_type, &receipt.ret),
                    ret.display()
                ));
            }
            if !receipt.events.is_empty() {
                out.push_str("events:\n");
                for e in &receipt.events {
                    out.push_str(&format!("  {}\n", labels.event(e)));
                }
            }
        }
        Err(f) => {
            let message = f.message();
            out.push_str(&format!(
                "{}{}, gas {}\n",
                f.kind(),
                if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                },
                receipt.gas_used
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_become_scenario_values() {
        let s = |t: &str| toml::Value::String(t.into());
        assert_eq!(literal(" 1e18 "), Some(s("1e18")));
        assert_eq!(literal("@bob"), Some(s("@bob")));
        assert_eq!(literal("true"), Some(toml::Value::Boolean(true)));
        assert_eq!(literal("((7))"), Some(s("7")));
        assert_eq!(
            literal("(1, (2, false))"),
            Some(toml::Value::Array(vec![
                s("1"),
                toml::Value::Array(vec![s("2"), toml::Value::Boolean(false)])
            ]))
        );
        assert_eq!(literal("[3]"), Some(toml::Value::Array(vec![s("3")])));
        for expr in ["x * 2", "usd", "@", "-1", "(x, 1)", "twice(3)"] {
            assert_eq!(literal(expr), None, "{expr}");
        }
    }
}
