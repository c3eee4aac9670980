//! Values written in a scenario (arguments, expected returns), parsed into flattened
//! 256-bit words against the type the contract declares.
//!
//! - integers: a decimal string (`"1_000"`), a `0x` hex string, an exponent form
//!   (`"1e18"`, `"25e17"`), or a non-negative TOML integer; range-checked for the type;
//! - `bool`: `true`/`false` (TOML booleans or strings);
//! - `address` and contract types: `"@name"` (a deployed instance first, else a named
//!   account) or a `0x` literal;
//! - tuples: arrays; structs: arrays in field order or tables by field name.

use braid_bytecode::{U256, ValueType};
use std::collections::{BTreeMap, BTreeSet};

/// A 20-byte address.
pub type Address = [u8; 20];

/// The names `@name` and senders may refer to.
#[derive(Debug, Default)]
pub struct Names {
    /// Deployed instances by name.
    pub instances: BTreeMap<String, Address>,
    /// When the scenario declares `accounts`, the only account names allowed.
    pub accounts: Option<BTreeSet<String>>,
}

impl Names {
    /// A named account's address (checked against the declared `accounts`, if any).
    pub fn account(&self, name: &str) -> Result<Address, String> {
        if name.is_empty() {
            return Err("an account name cannot be empty".into());
        }
        if let Some(accounts) = &self.accounts
            && !accounts.contains(name)
        {
            let known: Vec<&str> = accounts.iter().map(String::as_str).collect();
            return Err(format!(
                "unknown account \"{name}\" (accounts: {})",
                known.join(", ")
            ));
        }
        Ok(braid_bytecode::encode::account_address(name))
    }

    /// `@name`: a deployed instance, else a named account.
    pub fn at_name(&self, name: &str) -> Result<Address, String> {
        match self.instances.get(name) {
            Some(addr) => Ok(*addr),
            None => self.account(name),
        }
    }

    /// An address written as an account name, `@name` (an instance or an account), or
    /// a `0x` literal.
    pub fn address(&self, text: &str) -> Result<Address, String> {
        if let Some(name) = text.strip_prefix('@') {
            self.at_name(name)
        } else if text.starts_with("0x") {
            parse_address_literal(text)
                .ok_or_else(|| format!("\"{text}\" is not a 20-byte 0x address"))
        } else {
            self.account(text)
        }
    }

    /// A sender: an account name, `@account`, or a `0x` address; never a deployed
    /// instance (a contract does not sign transactions). A raw `0x` sender must also
    /// hold no code and be no contract's sub-account: the caller checks that against
    /// the chain (see [`is_raw_address`]).
    pub fn sender(&self, text: &str) -> Result<Address, String> {
        if let Some(name) = text.strip_prefix('@')
            && self.instances.contains_key(name)
        {
            return Err(format!(
                "\"{text}\" is a deployed contract: a sender is a named account or an address that holds no code"
            ));
        }
        let addr = self.address(text)?;
        if let Some((name, _)) = self.instances.iter().find(|(_, a)| **a == addr) {
            return Err(format!(
                "\"{text}\" is the address of the deployed contract {name}: a sender is a named account or an address that holds no code"
            ));
        }
        Ok(addr)
    }
}

/// Whether a sender is written as a raw `0x` address (rather than a named account).
pub fn is_raw_address(text: &str) -> bool {
    text.starts_with("0x")
}

/// Parses an unsigned integer: decimal with `_` separators, `0x` hex, or `MANTISSAeEXP`
/// where the mantissa may have a fractional part as long as the value is an exact
/// integer (`"1.5e18"`, `"2.50e1"`; not `"1.55e1"`).
pub fn parse_uint(text: &str) -> Option<U256> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() || text.starts_with('_') || text.ends_with('_') {
        return None;
    }
    if let Some(hex) = clean
        .strip_prefix("0x")
        .or_else(|| clean.strip_prefix("0X"))
    {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        return U256::from_str_radix(hex, 16).ok();
    }
    let (mantissa, exponent) = match clean.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (clean.as_str(), None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, f),
        None => (mantissa, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    if mantissa.contains('.') && fraction.is_empty() {
        return None;
    }
    let exponent: u32 = match exponent {
        None => 0,
        Some(e) if !e.is_empty() && digits(e) => e.parse().ok()?,
        Some(_) => return None,
    };
    // The fraction's trailing zeros change nothing; the rest must be covered by the exponent.
    let fraction = fraction.trim_end_matches('0');
    let shift = exponent.checked_sub(u32::try_from(fraction.len()).ok()?)?;
    let value = U256::from_str_radix(&format!("{whole}{fraction}"), 10).ok()?;
    let scale = U256::from(10u8).checked_pow(U256::from(shift))?;
    value.checked_mul(scale)
}

/// Whether `text` is a decimal with a fractional part that is not an exact integer
/// (`"1.55e1"`), for a clearer message than "expected an integer".
fn inexact_decimal(text: &str) -> bool {
    text.contains('.') && !text.starts_with("0x") && parse_uint(text).is_none() && {
        let clean: String = text.chars().filter(|&c| c != '_').collect();
        let (m, e) = clean
            .split_once(['e', 'E'])
            .unwrap_or((clean.as_str(), "0"));
        let (w, f) = m.split_once('.').unwrap_or((m, ""));
        [w, f, e]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// A `0x` literal of at most 160 bits, as an address.
fn parse_address_literal(text: &str) -> Option<Address> {
    if !text.starts_with("0x") {
        return None;
    }
    let word = parse_uint(text)?;
    fits(word, &ValueType::Address).then(|| braid_bytecode::encode::word_to_address(word))
}

fn fits(word: U256, ty: &ValueType) -> bool {
    ty.max_word().is_none_or(|max| word <= max)
}

/// How a value is shown in a message.
fn shown(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("\"{s}\""),
        toml::Value::Array(a) => format!("an array of {}", a.len()),
        toml::Value::Table(_) => "a table".into(),
        other => other.to_string(),
    }
}

/// An integer from a TOML value (string or non-negative integer).
fn integer(value: &toml::Value) -> Result<Option<U256>, String> {
    match value {
        toml::Value::String(s) if inexact_decimal(s) => Err(format!(
            "\"{s}\" is not an exact integer (the exponent must cover every digit after the point)"
        )),
        toml::Value::String(s) => Ok(parse_uint(s)),
        toml::Value::Integer(i) => match u64::try_from(*i) {
            Ok(u) => Ok(Some(U256::from(u))),
            Err(_) => Err(format!("{i} is negative: Braid integers are unsigned")),
        },
        toml::Value::Float(f) => Err(format!(
            "{f} is a TOML float, which is inexact: write integers as strings, e.g. \"1e18\""
        )),
        _ => Ok(None),
    }
}

/// Parses `value` as a value of type `ty`, appending its flattened words to `out`.
/// `path` names the value in messages (`args[1]`, `return.0`).
pub fn parse_typed(
    value: &toml::Value,
    ty: &ValueType,
    names: &Names,
    path: &str,
    out: &mut Vec<U256>,
) -> Result<(), String> {
    let mismatch = || format!("{path}: expected {}, found {}", describe(ty), shown(value));
    match ty {
        ValueType::Bool => {
            let b = match value {
                toml::Value::Boolean(b) => *b,
                toml::Value::String(s) if s == "true" => true,
                toml::Value::String(s) if s == "false" => false,
                _ => return Err(mismatch()),
            };
            out.push(U256::from(u8::from(b)));
        }
        ValueType::U8 | ValueType::U64 | ValueType::U128 | ValueType::U256 => {
            let word = integer(value)
                .map_err(|e| format!("{path}: {e}"))?
                .ok_or_else(mismatch)?;
            if !fits(word, ty) {
                return Err(format!("{path}: {word} does not fit in {}", ty.display()));
            }
            out.push(word);
        }
        ValueType::Address | ValueType::Contract(_) => {
            let toml::Value::String(s) = value else {
                return Err(mismatch());
            };
            let addr = if let Some(name) = s.strip_prefix('@') {
                names.at_name(name).map_err(|e| format!("{path}: {e}"))?
            } else if s.starts_with("0x") {
                parse_address_literal(s).ok_or_else(|| {
                    format!("{path}: \"{s}\" is not a 0x address of at most 20 bytes")
                })?
            } else {
                return Err(format!(
                    "{}; write \"@{s}\" for the account or instance named {s}",
                    mismatch()
                ));
            };
            out.push(braid_bytecode::encode::address_to_word(&addr));
        }
        ValueType::Tuple(elems) => {
            let toml::Value::Array(items) = value else {
                return Err(mismatch());
            };
            if items.len() != elems.len() {
                return Err(format!(
                    "{path}: expected {} ({} elements), found an array of {}",
                    ty.display(),
                    elems.len(),
                    items.len()
                ));
            }
            for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                parse_typed(item, elem, names, &format!("{path}.{i}"), out)?;
            }
        }
        ValueType::Struct(name, fields) => match value {
            toml::Value::Array(items) => {
                if items.len() != fields.len() {
                    return Err(format!(
                        "{path}: struct {name} has {} fields, found an array of {}",
                        fields.len(),
                        items.len()
                    ));
                }
                for (item, (field, fty)) in items.iter().zip(fields) {
                    parse_typed(item, fty, names, &format!("{path}.{field}"), out)?;
                }
            }
            toml::Value::Table(table) => {
                if let Some(extra) = table.keys().find(|k| !fields.iter().any(|(f, _)| f == *k)) {
                    return Err(format!("{path}: struct {name} has no field `{extra}`"));
                }
                for (field, fty) in fields {
                    let item = table.get(field).ok_or_else(|| {
                        format!("{path}: missing field `{field}` of struct {name}")
                    })?;
                    parse_typed(item, fty, names, &format!("{path}.{field}"), out)?;
                }
            }
            _ => return Err(mismatch()),
        },
    }
    Ok(())
}

/// Parses a value without a declared type (a call to an address with no contract):
/// integers, booleans and addresses are one word each, arrays are flattened.
pub fn parse_untyped(
    value: &toml::Value,
    names: &Names,
    path: &str,
    out: &mut Vec<U256>,
) -> Result<(), String> {
    match value {
        toml::Value::Boolean(b) => out.push(U256::from(u8::from(*b))),
        toml::Value::String(s) if s == "true" || s == "false" => {
            out.push(U256::from(u8::from(s == "true")))
        }
        toml::Value::String(s) if s.starts_with('@') => {
            let addr = names.at_name(&s[1..]).map_err(|e| format!("{path}: {e}"))?;
            out.push(braid_bytecode::encode::address_to_word(&addr));
        }
        toml::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                parse_untyped(item, names, &format!("{path}.{i}"), out)?;
            }
        }
        other => {
            let word = integer(other)
                .map_err(|e| format!("{path}: {e}"))?
                .ok_or_else(|| {
                    format!(
                        "{path}: expected an integer, a bool, \"@name\" or an array, found {}",
                        shown(other)
                    )
                })?;
            out.push(word);
        }
    }
    Ok(())
}

/// A type with a hint of how to write it.
fn describe(ty: &ValueType) -> String {
    match ty {
        ValueType::Bool => "bool (true or false)".into(),
        ValueType::U8 | ValueType::U64 | ValueType::U128 | ValueType::U256 => {
            format!("{} (a decimal, 0x or 1e18-style integer)", ty.display())
        }
        ValueType::Address => "address (\"@name\" or a 0x address)".into(),
        ValueType::Contract(name) => format!("{name} (\"@instance\" or a 0x address)"),
        ValueType::Tuple(_) => format!("{} (an array)", ty.display()),
        ValueType::Struct(name, _) => format!("struct {name} (an array in field order or a table)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(value: toml::Value, ty: &ValueType) -> Result<Vec<U256>, String> {
        let mut names = Names::default();
        names.instances.insert("usd".into(), [7u8; 20]);
        let mut out = Vec::new();
        parse_typed(&value, ty, &names, "args[0]", &mut out).map(|()| out)
    }

    fn s(text: &str) -> toml::Value {
        toml::Value::String(text.into())
    }

    #[test]
    fn integers() {
        assert_eq!(parse_uint("1_000"), Some(U256::from(1000u32)));
        assert_eq!(parse_uint("0xff"), Some(U256::from(255u32)));
        assert_eq!(parse_uint("1e18"), Some(U256::from(10u64.pow(18))));
        assert_eq!(parse_uint("25e17"), Some(U256::from(25 * 10u64.pow(17))));
        assert_eq!(parse_uint("1e78"), None);
        for bad in [
            "", "_1", "1_", "-1", "+1", "0x", "0xg", "1e", "e5", "1.5", "abc", "1e-2", "1.",
            ".5e1", "1.55e1", "1.5.0e3", "0x1.5", "1.5e",
        ] {
            assert_eq!(parse_uint(bad), None, "{bad}");
        }
        // Decimals that are exact integers.
        assert_eq!(
            parse_uint("1.5e18"),
            Some(U256::from(15u64 * 10u64.pow(17)))
        );
        assert_eq!(parse_uint("2.50e1"), Some(U256::from(25u8)));
        assert_eq!(parse_uint("2.0"), Some(U256::from(2u8)));
        assert_eq!(parse_uint("0.001e3"), Some(U256::from(1u8)));
        assert_eq!(parse_uint("1_000.25e2"), Some(U256::from(100_025u32)));
        assert!(
            words(s("1.55e1"), &ValueType::U64)
                .expect_err("inexact")
                .contains("not an exact integer")
        );
        assert!(!inexact_decimal("abc.d"));
        assert_eq!(
            words(s("255"), &ValueType::U8),
            Ok(vec![U256::from(255u32)])
        );
        assert!(
            words(s("256"), &ValueType::U8)
                .expect_err("too big")
                .contains("does not fit in u8")
        );
        assert_eq!(
            words(toml::Value::Integer(7), &ValueType::U64),
            Ok(vec![U256::from(7u32)])
        );
        assert!(words(toml::Value::Integer(-7), &ValueType::U64).is_err());
        assert!(
            words(toml::Value::Float(1e18), &ValueType::U128)
                .expect_err("float")
                .contains("inexact")
        );
        assert_eq!(
            words(s(&U256::MAX.to_string()), &ValueType::U256),
            Ok(vec![U256::MAX])
        );
    }

    #[test]
    fn bools_and_addresses() {
        assert_eq!(
            words(toml::Value::Boolean(true), &ValueType::Bool),
            Ok(vec![U256::from(1u8)])
        );
        assert_eq!(words(s("false"), &ValueType::Bool), Ok(vec![U256::ZERO]));
        assert!(words(s("1"), &ValueType::Bool).is_err());
        let usd = braid_bytecode::encode::address_to_word(&[7u8; 20]);
        assert_eq!(
            words(s("@usd"), &ValueType::Contract("Coin".into())),
            Ok(vec![usd])
        );
        let alice = braid_bytecode::encode::address_to_word(
            &braid_bytecode::encode::account_address("alice"),
        );
        assert_eq!(words(s("@alice"), &ValueType::Address), Ok(vec![alice]));
        assert_eq!(
            words(s("0x01"), &ValueType::Address),
            Ok(vec![U256::from(1u8)])
        );
        let err = words(s("alice"), &ValueType::Address).expect_err("bare name");
        assert!(err.contains("\"@alice\""), "{err}");
        assert!(words(s(&format!("0x{}", "f".repeat(41))), &ValueType::Address).is_err());
    }

    #[test]
    fn aggregates() {
        let pair = ValueType::Tuple(vec![ValueType::U64, ValueType::Bool]);
        let v = toml::Value::Array(vec![s("3"), toml::Value::Boolean(true)]);
        assert_eq!(words(v, &pair), Ok(vec![U256::from(3u8), U256::from(1u8)]));
        let err = words(toml::Value::Array(vec![s("3")]), &pair).expect_err("arity");
        assert!(err.contains("2 elements"), "{err}");
        let point = ValueType::Struct(
            "Point".into(),
            vec![("x".into(), ValueType::U8), ("y".into(), pair)],
        );
        let by_pos = toml::Value::Array(vec![s("1"), toml::Value::Array(vec![s("2"), s("false")])]);
        assert_eq!(
            words(by_pos, &point),
            Ok(vec![U256::from(1u8), U256::from(2u8), U256::ZERO])
        );
        let table: toml::Value = toml::from_str::<toml::Table>("x = 1\ny = [\"2\", true]")
            .expect("toml")
            .into();
        assert_eq!(
            words(table, &point),
            Ok(vec![U256::from(1u8), U256::from(2u8), U256::from(1u8)])
        );
        let err = words(
            toml::Value::Array(vec![s("1"), toml::Value::Array(vec![s("x"), s("true")])]),
            &point,
        )
        .expect_err("nested");
        assert!(err.starts_with("args[0].y.0:"), "{err}");
    }

    #[test]
    fn declared_accounts_catch_typos() {
        let names = Names {
            instances: BTreeMap::new(),
            accounts: Some(
                ["alice".to_string(), "bob".to_string()]
                    .into_iter()
                    .collect(),
            ),
        };
        assert!(names.sender("alice").is_ok());
        let err = names.sender("bbo").expect_err("typo");
        assert!(
            err.contains("unknown account \"bbo\" (accounts: alice, bob)"),
            "{err}"
        );
        assert!(names.sender("@carol").is_err());
    }

    fn arb_type() -> impl Strategy<Value = ValueType> {
        let leaf = prop_oneof![
            Just(ValueType::Bool),
            Just(ValueType::U8),
            Just(ValueType::U64),
            Just(ValueType::U128),
            Just(ValueType::U256),
            Just(ValueType::Address),
            Just(ValueType::Contract("Coin".into())),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(ValueType::Tuple),
                proptest::collection::vec(inner, 1..3).prop_map(|ts| {
                    let fields = ts
                        .into_iter()
                        .enumerate()
                        .map(|(i, t)| (format!("f{i}"), t))
                        .collect();
                    ValueType::Struct("S".into(), fields)
                }),
            ]
        })
    }

    fn arb_value() -> impl Strategy<Value = toml::Value> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(toml::Value::Boolean),
            any::<i64>().prop_map(toml::Value::Integer),
            any::<f64>().prop_map(toml::Value::Float),
            "[0-9a-fxXe_@ -]{0,12}".prop_map(toml::Value::String),
            prop_oneof![
                Just("@usd"),
                Just("@alice"),
                Just("1e77"),
                Just("1e78"),
                Just("0x")
            ]
            .prop_map(|s| toml::Value::String(s.into())),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(toml::Value::Array),
                proptest::collection::vec(("f[0-2]", inner), 0..3)
                    .prop_map(|kv| toml::Value::Table(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any value against any type: words of exactly the type's width, or an error.
        #[test]
        fn parsing_never_panics(value in arb_value(), ty in arb_type()) {
            if let Ok(w) = words(value.clone(), &ty) {
                prop_assert_eq!(w.len(), ty.words());
            }
            let mut out = Vec::new();
            let _ = parse_untyped(&value, &Names::default(), "args[0]", &mut out);
        }
    }

    #[test]
    fn untyped_values_flatten() {
        let names = Names::default();
        let mut out = Vec::new();
        let v = toml::Value::Array(vec![
            s("1"),
            toml::Value::Boolean(true),
            toml::Value::Array(vec![s("0x10")]),
        ]);
        parse_untyped(&v, &names, "args[0]", &mut out).expect("valid");
        assert_eq!(
            out,
            vec![U256::from(1u8), U256::from(1u8), U256::from(16u8)]
        );
    }
}
