//! Failure locations and `--trace`: the VM's raw call stacks and traces
//! ([`braid_vm::trace`]) rendered with the deployed modules' names, types and source
//! maps, for the table and for `--json`.

use crate::receipt_json::{Reason, address_text, params_json, value_json, value_text};
use braid_bytecode::{Module, ValueType};
use braid_vm::{Address, Chain, Receipt, StackFrame, TraceEntry};
use serde::Serialize;
use serde_json::Value as Json;

/// Names addresses: the instance name of a deployed contract, else the address.
pub struct Names<'a> {
    /// The chain (for each contract's module).
    pub chain: &'a Chain,
    /// The deployed instances: (address, instance name).
    pub instances: Vec<(Address, String)>,
}

impl Names<'_> {
    fn label(&self, addr: &Address) -> String {
        self.instances
            .iter()
            .find(|(a, _)| a == addr)
            .map_or_else(|| address_text(addr), |(_, n)| n.clone())
    }

    fn module(&self, addr: &Address) -> Option<&Module> {
        self.chain.module_at(addr)
    }
}

/// One frame of a failure's call stack, for output: `Token.transfer` and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameLine {
    /// `Contract.function` (the contract type: the code's name).
    pub function: String,
    /// `file:line:col`, or `None` when the module has no source map (stripped).
    pub location: Option<String>,
}

impl FrameLine {
    /// `at contracts/dex.braid:120:9 in Dex.swap`, or `at <unknown> in Dex.swap`.
    pub fn text(&self) -> String {
        format!(
            "at {} in {}",
            self.location.as_deref().unwrap_or("<unknown>"),
            self.function
        )
    }
}

/// A failed receipt's call stack, innermost frame first (empty on success, and when
/// the transaction failed before its code ran).
pub fn stack_lines(names: &Names<'_>, receipt: &Receipt) -> Vec<FrameLine> {
    receipt
        .stack
        .iter()
        .rev()
        .map(|f| frame_line(names, f))
        .collect()
}

fn frame_line(names: &Names<'_>, f: &StackFrame) -> FrameLine {
    let Some(module) = names.module(&f.contract) else {
        return FrameLine {
            function: format!("{}.#{}", address_text(&f.contract), f.func),
            location: None,
        };
    };
    let fname = module
        .functions
        .get(usize::from(f.func))
        .map_or_else(|| format!("#{}", f.func), |x| x.name.clone());
    FrameLine {
        function: format!("{}.{fname}", module.name),
        location: f
            .at
            .and_then(|at| module.location(f.func, at))
            .map(|l| l.to_string()),
    }
}

/// One entry of a receipt's `"trace"` (`--json --trace`); `op` says which fields it has.
#[derive(Debug, Serialize)]
pub struct TraceJson {
    /// Calls open around it: the transaction's call is at 0, its body at 1.
    pub depth: u16,
    /// `call`, `return`, `read`, `write`, `event` or `fail`.
    pub op: &'static str,
    /// The contract (instance name or address): the callee, the storage's owner, the
    /// emitter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// `call`: the function.
    #[serde(rename = "fn", skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// `call`: `entry`, `external` or `internal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// `read`/`write`: the storage field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `read`/`write`: the map key (`null` for a scalar field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Json>,
    /// `read`/`write`: the value; `return`: the returned value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Json>,
    /// `event`: its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// `call`, `event`: the arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<Json>>,
    /// `fail`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// `fail`: where in the failing call (`file:line:col`, `<unknown>` without a source
    /// map).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl TraceJson {
    fn new(depth: u16, op: &'static str) -> TraceJson {
        TraceJson {
            depth,
            op,
            contract: None,
            function: None,
            kind: None,
            field: None,
            key: None,
            value: None,
            event: None,
            args: None,
            reason: None,
            at: None,
        }
    }
}

/// A receipt's trace for output (empty when none was recorded: the transaction
/// failed before its code ran).
pub fn trace_entries(names: &Names<'_>, receipt: &Receipt) -> Vec<TraceJson> {
    let Some(trace) = &receipt.trace else {
        return Vec::new();
    };
    // The open calls' (contract, function), for the types of returns.
    let mut open: Vec<(Address, u16)> = Vec::new();
    let mut out = Vec::with_capacity(trace.len());
    for entry in trace {
        let depth = entry.depth();
        let e = match entry {
            TraceEntry::Call {
                contract,
                func,
                external,
                args,
                ..
            } => {
                open.push((*contract, *func));
                let f = names
                    .module(contract)
                    .and_then(|m| m.functions.get(usize::from(*func)));
                TraceJson {
                    contract: Some(names.label(contract)),
                    function: Some(f.map_or_else(|| format!("#{func}"), |f| f.name.clone())),
                    kind: Some(match (depth, external) {
                        (0, _) => "entry",
                        (_, true) => "external",
                        (_, false) => "internal",
                    }),
                    args: Some(match f {
                        Some(f) => params_json(&f.params, args),
                        None => raw(args),
                    }),
                    ..TraceJson::new(depth, "call")
                }
            }
            TraceEntry::Return { words, .. } => {
                let ret = open.pop().and_then(|(c, func)| {
                    names
                        .module(&c)
                        .and_then(|m| m.functions.get(usize::from(func)))
                        .map(|f| f.ret.clone())
                });
                TraceJson {
                    value: Some(typed(ret.as_ref(), words)),
                    ..TraceJson::new(depth, "return")
                }
            }
            TraceEntry::Read {
                contract,
                field,
                key,
                value,
                ..
            }
            | TraceEntry::Write {
                contract,
                field,
                key,
                value,
                ..
            } => {
                let def = names
                    .module(contract)
                    .and_then(|m| m.storage.get(usize::from(*field)));
                let op = if matches!(entry, TraceEntry::Write { .. }) {
                    "write"
                } else {
                    "read"
                };
                TraceJson {
                    contract: Some(names.label(contract)),
                    field: Some(def.map_or_else(|| format!("#{field}"), |d| d.name.clone())),
                    key: Some(if key.is_empty() {
                        Json::Null
                    } else {
                        typed(def.and_then(|d| d.key.as_ref()), key)
                    }),
                    value: Some(typed(def.map(|d| &d.value), value)),
                    ..TraceJson::new(depth, op)
                }
            }
            TraceEntry::Event {
                contract,
                event,
                args,
                ..
            } => {
                let def = names
                    .module(contract)
                    .and_then(|m| m.events.get(usize::from(*event)));
                TraceJson {
                    contract: Some(names.label(contract)),
                    event: Some(def.map_or_else(|| format!("#{event}"), |d| d.name.clone())),
                    args: Some(def.map_or_else(|| raw(args), |d| params_json(&d.params, args))),
                    ..TraceJson::new(depth, "event")
                }
            }
            TraceEntry::Fail { failure, .. } => {
                open.pop();
                // The failing call is frame `depth - 1` of the stack (outermost first).
                let at = usize::from(depth)
                    .checked_sub(1)
                    .and_then(|i| receipt.stack.get(i))
                    .map(|f| frame_line(names, f));
                TraceJson {
                    reason: Some(Reason {
                        kind: failure.kind(),
                        message: failure.message(),
                    }),
                    at: at.map(|f| f.location.unwrap_or_else(|| "<unknown>".to_string())),
                    ..TraceJson::new(depth, "fail")
                }
            }
        };
        out.push(e);
    }
    out
}

/// Words of a value of type `ty` (raw when the type is unknown).
fn typed(ty: Option<&ValueType>, words: &[braid_bytecode::U256]) -> Json {
    match ty {
        Some(t) => value_json(t, words),
        None => Json::Array(raw(words)),
    }
}

fn raw(words: &[braid_bytecode::U256]) -> Vec<Json> {
    words.iter().map(|w| Json::String(w.to_string())).collect()
}

/// `value` with every address that `names` knows (`0x…` text → `@name`) replaced by
/// its name, inside tuples too.
fn named(value: &Json, names: &[(String, String)]) -> Json {
    match value {
        Json::String(s) if s.starts_with("0x") => names
            .iter()
            .find(|(a, _)| a == s)
            .map_or_else(|| value.clone(), |(_, n)| Json::String(n.clone())),
        Json::Array(items) => Json::Array(items.iter().map(|v| named(v, names)).collect()),
        other => other.clone(),
    }
}

/// One trace entry as a line of text, indented by its depth (two spaces a level),
/// addresses shown by their scenario names where `names` has them.
pub fn trace_line(e: &TraceJson, names: &[(String, String)]) -> String {
    let indent = "  ".repeat(usize::from(e.depth) + 1);
    let value_text = |v: &Json| value_text(&named(v, names));
    let list = |args: &Option<Vec<Json>>| {
        args.as_deref()
            .unwrap_or_default()
            .iter()
            .map(value_text)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let slot = |e: &TraceJson| match &e.key {
        Some(Json::Null) | None => format!("{}.{}", opt(&e.contract), opt(&e.field)),
        Some(k) => format!("{}.{}[{}]", opt(&e.contract), opt(&e.field), value_text(k)),
    };
    let value = |v: &Option<Json>| v.as_ref().map_or_else(String::new, value_text);
    let body = match e.op {
        "call" => {
            let kind = match e.kind {
                Some("internal") => " (internal)",
                _ => "",
            };
            format!(
                "call {}.{}({}){kind}",
                opt(&e.contract),
                opt(&e.function),
                list(&e.args)
            )
        }
        "return" => match &e.value {
            Some(Json::Null) | None => "return".to_string(),
            Some(v) => format!("return {}", value_text(v)),
        },
        "read" => format!("read {} = {}", slot(e), value(&e.value)),
        "write" => format!("write {} = {}", slot(e), value(&e.value)),
        "event" => format!(
            "event {}.{}({})",
            opt(&e.contract),
            opt(&e.event),
            list(&e.args)
        ),
        _ => {
            let reason = e.reason.as_ref().map_or_else(String::new, |r| {
                if r.message.is_empty() {
                    r.kind.to_string()
                } else {
                    format!("{}: {}", r.kind, r.message)
                }
            });
            match &e.at {
                Some(at) => format!("fail {reason} at {at}"),
                None => format!("fail {reason}"),
            }
        }
    };
    format!("{indent}{body}")
}
