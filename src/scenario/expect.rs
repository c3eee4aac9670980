//! Expectations on a receipt (`expect = { … }` on a transaction, or a `[[block.check]]`):
//! parsed against the function's return type, then compared with what happened.

use super::args::{Names, parse_typed, parse_untyped};
use super::{EventSpec, ExpectSpec};
use crate::receipt_json::{params_json, value_json, value_text};
use braid_bytecode::{U256, ValueType};
use braid_vm::Event;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The parameter lists of every event declared by a loaded module, by event name
/// (several contracts may declare events of one name with different parameters).
pub type EventTypes = BTreeMap<String, Vec<EventParams>>;

/// An event's declared parameters (names and types).
pub type EventParams = Vec<(String, ValueType)>;

/// An event a transaction must emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedEvent {
    /// Its name.
    pub name: String,
    /// Its arguments, parsed against each declaration of that name they fit (empty:
    /// the arguments are not checked).
    pub args: Vec<(EventParams, Vec<U256>)>,
}

impl ExpectedEvent {
    /// Whether an emitted event is this one.
    fn matches(&self, event: &Event) -> bool {
        event.name() == self.name
            && (self.args.is_empty()
                || self.args.iter().any(|(params, words)| {
                    params.as_slice() == event.params() && *words == event.args
                }))
    }

    /// How it is shown in messages: `Transfer(0x…, 0x…, 250)` or `Transfer(..)`.
    fn text(&self) -> String {
        match self.args.first() {
            None => format!("{}(..)", self.name),
            Some((params, words)) => format!("{}{}", self.name, args_text(params, words)),
        }
    }

    /// As JSON: `{ "name", "args" }` (`args` null when not checked).
    fn json(&self) -> EventJson {
        EventJson {
            name: self.name.clone(),
            args: self
                .args
                .first()
                .map(|(params, words)| params_json(params, words)),
        }
    }
}

/// `(a, b, c)` for event arguments.
fn args_text(params: &[(String, ValueType)], words: &[U256]) -> String {
    let shown: Vec<String> = params_json(params, words).iter().map(value_text).collect();
    format!("({})", shown.join(", "))
}

/// How an emitted event is shown in messages.
fn event_text(event: &Event) -> String {
    format!("{}{}", event.name(), args_text(event.params(), &event.args))
}

/// Parses the `events` of an expectation against the declared events.
fn parse_events(
    specs: &[EventSpec],
    types: &EventTypes,
    names: &Names,
) -> Result<Vec<ExpectedEvent>, String> {
    let mut out = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let at = format!("events[{i}]");
        let declared = types.get(&spec.name).ok_or_else(|| {
            let known: Vec<&str> = types.keys().map(String::as_str).collect();
            format!(
                "{at}: no loaded contract declares an event \"{}\" (events: {})",
                spec.name,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })?;
        let mut args = Vec::new();
        if let Some(values) = &spec.args {
            let mut first_error = None;
            for params in declared {
                if params.len() != values.len() {
                    first_error.get_or_insert_with(|| {
                        format!(
                            "{at}: event {} has {} parameter{}, found {} argument{}",
                            spec.name,
                            params.len(),
                            if params.len() == 1 { "" } else { "s" },
                            values.len(),
                            if values.len() == 1 { "" } else { "s" }
                        )
                    });
                    continue;
                }
                let mut words = Vec::new();
                let parsed =
                    values
                        .iter()
                        .zip(params)
                        .enumerate()
                        .try_for_each(|(j, (value, (_, ty)))| {
                            parse_typed(value, ty, names, &format!("{at}.args[{j}]"), &mut words)
                        });
                match parsed {
                    Ok(()) => args.push((params.clone(), words)),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if args.is_empty() {
                return Err(first_error.unwrap_or_else(|| format!("{at}: bad arguments")));
            }
        }
        out.push(ExpectedEvent {
            name: spec.name.clone(),
            args,
        });
    }
    Ok(out)
}

/// Every failure kind a receipt can carry.
pub const FAILURE_KINDS: &[&str] = &[
    "revert",
    "panic",
    "out_of_gas",
    "access_violation",
    "call_depth",
    "reentrancy",
    "bad_call",
    "internal",
];

/// What a receipt must show. Fields left out are not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectation {
    /// `Some(true)`: must succeed; `Some(false)`: must revert.
    pub success: Option<bool>,
    /// The return value's words.
    pub ret: Option<Vec<U256>>,
    /// The failure kind.
    pub reason: Option<String>,
    /// The failure message.
    pub message: Option<String>,
    /// Events that must be emitted, in this order (others may come between).
    pub events: Option<Vec<ExpectedEvent>>,
    /// The function's return type, when the target has a contract (to show `ret`).
    pub ret_type: Option<ValueType>,
}

/// An expectation as the `--json` output shows it; fields not stated are left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpectedJson {
    /// `success` or `revert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// The return value, as receipts show values.
    #[serde(rename = "return", skip_serializing_if = "Option::is_none")]
    pub ret: Option<Json>,
    /// The failure kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The failure message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The events, `{ "name", "args" }` each (`args` null when not checked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventJson>>,
}

/// An expected event in the `--json` output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventJson {
    /// Its name.
    pub name: String,
    /// Its arguments as receipts show them, `null` when not checked.
    pub args: Option<Vec<Json>>,
}

/// What happened, as far as expectations are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed<'a> {
    /// `None` on success, else the failure's kind and message.
    pub failure: Option<(&'a str, String)>,
    /// The returned words.
    pub ret: &'a [U256],
    /// Their type.
    pub ret_type: &'a ValueType,
    /// The events emitted (none when the call failed).
    pub events: &'a [Event],
}

impl Expectation {
    /// Parses an expectation; `ret_type` is the function's return type when the target
    /// has a contract (else the return value is parsed without a type).
    pub fn parse(
        spec: &ExpectSpec,
        ret_type: Option<&ValueType>,
        names: &Names,
        event_types: &EventTypes,
    ) -> Result<Expectation, String> {
        let mut success = match spec.status.as_deref() {
            None => None,
            Some("success") => Some(true),
            Some("revert") => Some(false),
            Some(other) => {
                return Err(format!(
                    "status: expected \"success\" or \"revert\", found \"{other}\""
                ));
            }
        };
        if let Some(kind) = &spec.reason
            && !FAILURE_KINDS.contains(&kind.as_str())
        {
            return Err(format!(
                "reason: unknown failure kind \"{kind}\" (kinds: {})",
                FAILURE_KINDS.join(", ")
            ));
        }
        let wants_failure = spec.reason.is_some() || spec.message.is_some();
        if wants_failure && spec.ret.is_some() {
            return Err(
                "a reverted call returns nothing: give `return` or `reason`/`message`, not both"
                    .into(),
            );
        }
        match success {
            Some(true) if wants_failure => {
                return Err("status \"success\" cannot have a `reason` or `message`".into());
            }
            Some(false) if spec.ret.is_some() => {
                return Err("status \"revert\" cannot have a `return` value".into());
            }
            Some(false) if spec.events.is_some() => {
                return Err(
                    "a reverted transaction emits no events: `events` needs status \"success\""
                        .into(),
                );
            }
            None if wants_failure && spec.events.is_some() => {
                return Err(
                    "a reverted transaction emits no events: give `events` or `reason`/`message`, not both"
                        .into(),
                );
            }
            None if wants_failure => success = Some(false),
            None if spec.ret.is_some() || spec.events.is_some() => success = Some(true),
            _ => {}
        }
        let ret = match &spec.ret {
            None => None,
            Some(value) => {
                let mut words = Vec::new();
                match ret_type {
                    Some(ty) => parse_typed(value, ty, names, "return", &mut words)?,
                    None => parse_untyped(value, names, "return", &mut words)?,
                }
                Some(words)
            }
        };
        let events = match &spec.events {
            None => None,
            Some(list) => Some(parse_events(list, event_types, names)?),
        };
        Ok(Expectation {
            success,
            ret,
            reason: spec.reason.clone(),
            message: spec.message.clone(),
            events,
            ret_type: ret_type.cloned(),
        })
    }

    /// What is expected, as the `expected` object of the `--json` output's `checks`:
    /// only the fields the scenario states (a status implied by the others included).
    pub fn to_json(&self) -> ExpectedJson {
        ExpectedJson {
            status: self.success.map(|s| if s { "success" } else { "revert" }),
            ret: self.ret.as_ref().map(|words| match &self.ret_type {
                Some(ty) => value_json(ty, words),
                None => Json::Array(words.iter().map(|w| Json::String(w.to_string())).collect()),
            }),
            reason: self.reason.clone(),
            message: self.message.clone(),
            events: self
                .events
                .as_ref()
                .map(|events| events.iter().map(ExpectedEvent::json).collect()),
        }
    }

    /// Whether nothing is checked.
    pub fn is_empty(&self) -> bool {
        self.success.is_none()
            && self.ret.is_none()
            && self.reason.is_none()
            && self.message.is_none()
            && self.events.is_none()
    }

    /// Each way the observed outcome differs from the expectation (empty: all met).
    pub fn mismatches(&self, observed: &Observed<'_>) -> Vec<String> {
        let mut out = Vec::new();
        let outcome = match &observed.failure {
            None => "success".to_string(),
            Some((kind, message)) if message.is_empty() => format!("revert ({kind})"),
            Some((kind, message)) => format!("revert ({kind}: {message})"),
        };
        if let Some(success) = self.success
            && success != observed.failure.is_none()
        {
            let wanted = if success { "success" } else { "revert" };
            out.push(format!("status: expected {wanted}, got {outcome}"));
            return out;
        }
        match &observed.failure {
            None => {
                if let Some(words) = &self.ret
                    && words.as_slice() != observed.ret
                {
                    let shown = |w: &[U256]| {
                        if w.len() == observed.ret_type.words() {
                            value_text(&value_json(observed.ret_type, w))
                        } else {
                            let raw: Vec<String> = w.iter().map(U256::to_string).collect();
                            format!("[{}]", raw.join(", "))
                        }
                    };
                    out.push(format!(
                        "return: expected {}, got {}",
                        shown(words),
                        shown(observed.ret)
                    ));
                }
                if let Some(expected) = &self.events {
                    let mut emitted = observed.events.iter();
                    for (i, want) in expected.iter().enumerate() {
                        if !emitted.any(|e| want.matches(e)) {
                            let all: Vec<String> = observed.events.iter().map(event_text).collect();
                            let after = match i.checked_sub(1).and_then(|p| expected.get(p)) {
                                Some(previous) => format!(" after {}", previous.text()),
                                None => String::new(),
                            };
                            out.push(format!(
                                "events: expected {}{after}, got [{}]",
                                want.text(),
                                all.join(", ")
                            ));
                            break;
                        }
                    }
                }
            }
            Some((kind, message)) => {
                if let Some(want) = &self.reason
                    && want != kind
                {
                    out.push(format!("reason: expected {want}, got {outcome}"));
                }
                if let Some(want) = &self.message
                    && want != message
                {
                    out.push(format!("message: expected \"{want}\", got \"{message}\""));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ExpectSpec {
        toml::from_str(text).expect("valid expect table")
    }

    fn parse(text: &str, ty: &ValueType) -> Result<Expectation, String> {
        Expectation::parse(&spec(text), Some(ty), &Names::default(), &EventTypes::new())
    }

    #[test]
    fn parsing_infers_the_status() {
        let e = parse("return = \"250\"", &ValueType::U128).expect("valid");
        assert_eq!(e.success, Some(true));
        assert_eq!(e.ret, Some(vec![U256::from(250u32)]));
        let e = parse("message = \"insufficient balance\"", &ValueType::Bool).expect("valid");
        assert_eq!(e.success, Some(false));
        assert!(
            parse("status = \"ok\"", &ValueType::Bool)
                .expect_err("bad status")
                .contains("\"ok\"")
        );
        assert!(
            parse("reason = \"oops\"", &ValueType::Bool)
                .expect_err("bad kind")
                .contains("out_of_gas")
        );
        assert!(parse("status = \"success\"\nreason = \"panic\"", &ValueType::Bool).is_err());
        assert!(parse("status = \"revert\"\nreturn = true", &ValueType::Bool).is_err());
        assert!(
            parse("return = \"x\"", &ValueType::U8)
                .expect_err("bad value")
                .starts_with("return:")
        );
        assert!(parse("", &ValueType::U8).expect("empty").is_empty());
    }

    #[test]
    fn mismatches_say_expected_and_got() {
        let ty = ValueType::U128;
        let ok_250 = [U256::from(250u32)];
        let success = Observed {
            failure: None,
            ret: &ok_250,
            ret_type: &ty,
            events: &[],
        };
        let reverted = Observed {
            failure: Some(("revert", "insufficient balance".into())),
            ret: &[],
            ret_type: &ty,
            events: &[],
        };
        let want_250 = parse("return = \"250\"", &ty).expect("valid");
        assert!(want_250.mismatches(&success).is_empty());
        assert_eq!(
            want_250.mismatches(&reverted),
            vec!["status: expected success, got revert (revert: insufficient balance)".to_string()]
        );
        let want_1 = parse("return = 1", &ty).expect("valid");
        assert_eq!(
            want_1.mismatches(&success),
            vec!["return: expected 1, got 250".to_string()]
        );
        let want_panic = parse("reason = \"panic\"\nmessage = \"overflow\"", &ty).expect("valid");
        assert_eq!(
            want_panic.mismatches(&reverted),
            vec![
                "reason: expected panic, got revert (revert: insufficient balance)".to_string(),
                "message: expected \"overflow\", got \"insufficient balance\"".to_string()
            ]
        );
        assert_eq!(
            want_panic.mismatches(&success),
            vec!["status: expected revert, got success".to_string()]
        );
    }
}
