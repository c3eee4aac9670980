//! Receipts as data for output: the `--json` object of `cli.md` and the values in it.
//!
//! Field order is fixed by the structs below (serde serializes struct fields in
//! declaration order), so the output is byte-identical across runs. Values: integers are
//! decimal strings, `bool`s JSON booleans, addresses lowercase `0x` strings, tuples and
//! structs arrays in field order, no return value `null`.

use crate::run_cmd::trace::{FrameLine, TraceJson};
use crate::scenario::expect::ExpectedJson;
use braid_bytecode::{U256, ValueType};
use braid_vm::Receipt;
use serde::Serialize;
use serde_json::Value as Json;

/// The whole `--json` output.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// Every transaction's receipt, in block order (deploys are not receipts).
    pub receipts: Vec<ReceiptEntry>,
    /// Every expectation (`expect` on a transaction, `[[block.check]]`) and whether it
    /// was met, in block order; left out when the scenario states none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckEntry>,
    /// The deployed instances, in deploy order; left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deployed: Vec<DeployedEntry>,
    /// The final state digest, 64 lowercase hex digits.
    pub digest: String,
    /// Names for addresses in the readable output (`0x…` → `@alice`, `@bank`): the
    /// scenario's accounts and deployed instances. Never in the JSON, which keeps
    /// raw addresses.
    #[serde(skip)]
    pub names: Vec<(String, String)>,
}

/// One expectation and its outcome.
#[derive(Debug, Serialize)]
pub struct CheckEntry {
    /// Block number.
    pub block: u64,
    /// Index of the transaction in the block (for `kind` `tx`), or of the check among
    /// the block's checks (for `kind` `check`).
    pub index: usize,
    /// `tx` (an `expect` on a transaction) or `check` (a `[[block.check]]` call).
    pub kind: &'static str,
    /// The target, as in receipts.
    pub to: String,
    /// The function called.
    #[serde(rename = "fn")]
    pub function: String,
    /// What the scenario states: some of `status`, `return`, `reason`, `message`, `events`.
    pub expected: ExpectedJson,
    /// Whether every stated field was met.
    pub passed: bool,
    /// Each way it was not (empty when passed).
    pub failures: Vec<String>,
}

/// One deployed instance.
#[derive(Debug, Serialize)]
pub struct DeployedEntry {
    /// The instance name.
    pub name: String,
    /// The contract.
    pub contract: String,
    /// Its address, lowercase `0x`.
    pub address: String,
}

/// One receipt.
#[derive(Debug, Serialize)]
pub struct ReceiptEntry {
    /// Block number.
    pub block: u64,
    /// Index in the block.
    pub index: usize,
    /// The target: an instance name, or an address with no instance.
    pub to: String,
    /// The function called.
    #[serde(rename = "fn")]
    pub function: String,
    /// `success` or `revert`.
    pub status: &'static str,
    /// Why it reverted (`null` on success).
    pub reason: Option<Reason>,
    /// Gas used.
    pub gas_used: u64,
    /// The return value (`null` when reverted or for no return value).
    #[serde(rename = "return")]
    pub ret: Json,
    /// Events emitted, in order (none when reverted).
    pub events: Vec<EventEntry>,
    /// Where a failed transaction failed, innermost frame first (the table shows it;
    /// not part of the JSON object).
    #[serde(skip)]
    pub stack: Vec<FrameLine>,
    /// With `--trace`: what the transaction did (left out without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceJson>>,
}

/// A failure reason.
#[derive(Debug, Serialize)]
pub struct Reason {
    /// `revert`, `panic`, `out_of_gas`, `access_violation`, `call_depth`, `reentrancy`,
    /// `bad_call` or `internal`.
    pub kind: &'static str,
    /// The message (the `require`/`revert` text, the panic kind, …).
    pub message: String,
}

/// An emitted event.
#[derive(Debug, Serialize)]
pub struct EventEntry {
    /// The event's name.
    pub name: String,
    /// One value per parameter.
    pub args: Vec<Json>,
}

impl ReceiptEntry {
    /// The entry for a receipt of the transaction `index` of block `block`.
    pub fn new(
        block: u64,
        index: usize,
        to: String,
        function: String,
        receipt: &Receipt,
    ) -> ReceiptEntry {
        let (status, reason, ret, events) = match &receipt.status {
            Ok(()) => (
                "success",
                None,
                value_json(&receipt.ret_type, &receipt.ret),
                receipt
                    .events
                    .iter()
                    .map(|e| EventEntry {
                        name: e.name().to_string(),
                        args: params_json(e.params(), &e.args),
                    })
                    .collect(),
            ),
            Err(failure) => (
                "revert",
                Some(Reason {
                    kind: failure.kind(),
                    message: failure.message(),
                }),
                Json::Null,
                Vec::new(),
            ),
        };
        ReceiptEntry {
            block,
            index,
            to,
            function,
            status,
            reason,
            gas_used: receipt.gas_used,
            ret,
            events,
            stack: Vec::new(),
            trace: None,
        }
    }
}

impl RunReport {
    /// The pretty-printed JSON text, with a final newline.
    pub fn to_json_text(&self) -> String {
        // Serializing plain structs of strings, numbers and JSON values cannot fail.
        let mut text = serde_json::to_string_pretty(self).expect("a RunReport always serializes");
        text.push('\n');
        text
    }
}

/// An address as a lowercase `0x` string.
pub fn address_text(addr: &[u8; 20]) -> String {
    format!("0x{}", hex::encode(addr))
}

/// The words of a value of type `ty` as JSON. A top-level unit is `null`. Words that do
/// not match the type's width (never produced by a verified module) are shown raw, as an
/// array of decimal strings, rather than guessed at.
pub fn value_json(ty: &ValueType, words: &[U256]) -> Json {
    if words.len() != ty.words() {
        return Json::Array(words.iter().map(|w| Json::String(w.to_string())).collect());
    }
    if *ty == ValueType::unit() {
        return Json::Null;
    }
    let mut pos = 0;
    decode(ty, words, &mut pos)
}

/// Event arguments: one JSON value per parameter.
pub fn params_json(params: &[(String, ValueType)], words: &[U256]) -> Vec<Json> {
    let total: usize = params.iter().map(|(_, t)| t.words()).sum();
    if total != words.len() {
        return words.iter().map(|w| Json::String(w.to_string())).collect();
    }
    let mut pos = 0;
    params
        .iter()
        .map(|(_, t)| decode(t, words, &mut pos))
        .collect()
}

/// Decodes one value at `pos` (the caller has checked the total width).
fn decode(ty: &ValueType, words: &[U256], pos: &mut usize) -> Json {
    let mut next = || {
        let w = words.get(*pos).copied().unwrap_or(U256::ZERO);
        *pos += 1;
        w
    };
    match ty {
        ValueType::Bool => {
            let w = next();
            if w == U256::ZERO {
                Json::Bool(false)
            } else if w == U256::from(1u8) {
                Json::Bool(true)
            } else {
                Json::String(w.to_string())
            }
        }
        ValueType::U8 | ValueType::U64 | ValueType::U128 | ValueType::U256 => {
            Json::String(next().to_string())
        }
        ValueType::Address | ValueType::Contract(_) => {
            let w = next();
            if ty.max_word().is_some_and(|max| w > max) {
                Json::String(w.to_string())
            } else {
                Json::String(address_text(&braid_bytecode::encode::word_to_address(w)))
            }
        }
        ValueType::Tuple(elems) => {
            Json::Array(elems.iter().map(|t| decode(t, words, pos)).collect())
        }
        ValueType::Struct(_, fields) => {
            Json::Array(fields.iter().map(|(_, t)| decode(t, words, pos)).collect())
        }
    }
}

/// A JSON value as compact text for tables and messages: strings bare, arrays in parentheses.
pub fn value_text(value: &Json) -> String {
    match value {
        Json::Null => "()".into(),
        Json::String(s) => s.clone(),
        Json::Array(items) => {
            let inner: Vec<String> = items.iter().map(value_text).collect();
            format!("({})", inner.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_render_as_the_spec_says() {
        let addr = [0xabu8; 20];
        let addr_word = braid_bytecode::encode::address_to_word(&addr);
        assert_eq!(value_json(&ValueType::unit(), &[]), Json::Null);
        assert_eq!(
            value_json(&ValueType::Bool, &[U256::from(1u8)]),
            json!(true)
        );
        assert_eq!(
            value_json(&ValueType::U256, &[U256::MAX]),
            json!(U256::MAX.to_string())
        );
        assert_eq!(
            value_json(&ValueType::Address, &[addr_word]),
            json!(format!("0x{}", "ab".repeat(20)))
        );
        let pool = ValueType::Struct(
            "Pool".into(),
            vec![
                (
                    "reserves".into(),
                    ValueType::Tuple(vec![ValueType::U128, ValueType::U128]),
                ),
                ("open".into(), ValueType::Bool),
            ],
        );
        let words = [U256::from(5u8), U256::from(6u8), U256::ZERO];
        assert_eq!(value_json(&pool, &words), json!([["5", "6"], false]));
        assert_eq!(value_text(&value_json(&pool, &words)), "((5, 6), false)");
        // A width mismatch is shown raw, never a panic.
        assert_eq!(value_json(&ValueType::Bool, &[]), json!([]));
        assert_eq!(
            value_json(&ValueType::U8, &[U256::ZERO, U256::ZERO]),
            json!(["0", "0"])
        );
    }

    #[test]
    fn event_params_split_by_type() {
        let params = vec![
            ("who".to_string(), ValueType::Address),
            (
                "pair".to_string(),
                ValueType::Tuple(vec![ValueType::U8, ValueType::U8]),
            ),
        ];
        let words = [U256::from(1u8), U256::from(2u8), U256::from(3u8)];
        assert_eq!(
            params_json(&params, &words),
            vec![json!(format!("0x{}01", "0".repeat(38))), json!(["2", "3"])]
        );
    }

    #[test]
    fn report_fields_in_spec_order() {
        let report = RunReport {
            receipts: vec![ReceiptEntry {
                block: 1,
                index: 0,
                to: "usd".into(),
                function: "transfer".into(),
                status: "revert",
                reason: Some(Reason {
                    kind: "revert",
                    message: "insufficient balance".into(),
                }),
                gas_used: 3100,
                ret: Json::Null,
                events: vec![],
                stack: vec![],
                trace: None,
            }],
            checks: vec![CheckEntry {
                block: 1,
                index: 0,
                kind: "tx",
                to: "usd".into(),
                function: "transfer".into(),
                expected: ExpectedJson {
                    status: Some("revert"),
                    ret: None,
                    reason: None,
                    message: None,
                    events: None,
                },
                passed: true,
                failures: vec![],
            }],
            deployed: vec![DeployedEntry {
                name: "usd".into(),
                contract: "Token".into(),
                address: format!("0x{}", "00".repeat(20)),
            }],
            digest: "00".into(),
            names: vec![("0x00".into(), "@nobody".into())],
        };
        let text = report.to_json_text();
        let parsed: Json = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(
            parsed["receipts"][0]["reason"]["message"],
            json!("insufficient balance")
        );
        assert_eq!(parsed["receipts"][0]["return"], Json::Null);
        let order = [
            "\"block\"",
            "\"index\"",
            "\"to\"",
            "\"fn\"",
            "\"status\"",
            "\"reason\"",
            "\"gas_used\"",
            "\"return\"",
            "\"events\"",
            "\"checks\"",
            "\"expected\"",
            "\"passed\"",
            "\"deployed\"",
            "\"address\"",
            "\"digest\"",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|k| text.find(k).expect("key present"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
