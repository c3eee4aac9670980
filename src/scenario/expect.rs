//! Expectations on a receipt (`expect = { … }` on a transaction, or a `[[block.check]]`):
//! parsed against the function's return type, then compared with what happened.

use super::ExpectSpec;
use super::args::{Names, parse_typed, parse_untyped};
use crate::receipt_json::{value_json, value_text};
use braid_bytecode::{U256, ValueType};

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
}

impl Expectation {
    /// Parses an expectation; `ret_type` is the function's return type when the target
    /// has a contract (else the return value is parsed without a type).
    pub fn parse(
        spec: &ExpectSpec,
        ret_type: Option<&ValueType>,
        names: &Names,
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
            None if wants_failure => success = Some(false),
            None if spec.ret.is_some() => success = Some(true),
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
        Ok(Expectation {
            success,
            ret,
            reason: spec.reason.clone(),
            message: spec.message.clone(),
        })
    }

    /// Whether nothing is checked.
    pub fn is_empty(&self) -> bool {
        *self == Expectation::default()
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
        Expectation::parse(&spec(text), Some(ty), &Names::default())
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
        };
        let reverted = Observed {
            failure: Some(("revert", "insufficient balance".into())),
            ret: &[],
            ret_type: &ty,
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
