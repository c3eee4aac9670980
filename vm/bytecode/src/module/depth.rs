//! Depth-limited deserialization of the recursive module types.
//!
//! [`ValueType`] and [`WordExpr`] are recursive: derived `Deserialize` impls would
//! recurse once per nesting level of the input, so a few megabytes of crafted bytes
//! (`Tuple([Tuple([Tuple(…)])])`) would overflow the stack and abort the process.
//! The impls below count the nesting depth of the value being decoded (per thread)
//! and fail cleanly beyond [`MAX_DECODE_DEPTH`]. They decode through private mirror
//! enums with the same variants in the same order, so the encoding is unchanged.

use super::{ValueType, WordExpr};
use ruint::aliases::U256;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::cell::Cell;

/// The deepest nesting of a type or word expression that decoding accepts.
pub const MAX_DECODE_DEPTH: u32 = 64;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// One level of nesting; leaving the level (also on error) pops it.
struct Level;

impl Level {
    fn enter() -> Option<Level> {
        DEPTH.with(|d| {
            let now = d.get();
            if now >= MAX_DECODE_DEPTH {
                None
            } else {
                d.set(now + 1);
                Some(Level)
            }
        })
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

#[derive(Deserialize)]
#[serde(rename = "ValueType")]
enum ValueTypeRepr {
    Bool,
    U8,
    U64,
    U128,
    U256,
    Address,
    Contract(String),
    Tuple(Vec<ValueType>),
    Struct(String, Vec<(String, ValueType)>),
}

impl<'de> Deserialize<'de> for ValueType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _level = Level::enter().ok_or_else(|| D::Error::custom("type nesting too deep"))?;
        Ok(match ValueTypeRepr::deserialize(d)? {
            ValueTypeRepr::Bool => ValueType::Bool,
            ValueTypeRepr::U8 => ValueType::U8,
            ValueTypeRepr::U64 => ValueType::U64,
            ValueTypeRepr::U128 => ValueType::U128,
            ValueTypeRepr::U256 => ValueType::U256,
            ValueTypeRepr::Address => ValueType::Address,
            ValueTypeRepr::Contract(n) => ValueType::Contract(n),
            ValueTypeRepr::Tuple(ts) => ValueType::Tuple(ts),
            ValueTypeRepr::Struct(n, fs) => ValueType::Struct(n, fs),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename = "WordExpr")]
enum WordExprRepr {
    Param(u16),
    Caller,
    SelfAddr,
    Const(U256),
    Sub {
        base: Box<WordExpr>,
        key: Vec<WordExpr>,
    },
}

impl<'de> Deserialize<'de> for WordExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _level =
            Level::enter().ok_or_else(|| D::Error::custom("word expression nesting too deep"))?;
        Ok(match WordExprRepr::deserialize(d)? {
            WordExprRepr::Param(i) => WordExpr::Param(i),
            WordExprRepr::Caller => WordExpr::Caller,
            WordExprRepr::SelfAddr => WordExpr::SelfAddr,
            WordExprRepr::Const(c) => WordExpr::Const(c),
            WordExprRepr::Sub { base, key } => WordExpr::Sub { base, key },
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::encode::{MAGIC, decode};
    use crate::module::{AccessPattern, KeyPattern, ValueType, WordExpr};

    #[test]
    fn deeply_nested_type_is_an_error_not_a_stack_overflow() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 1, 1, b'a', 1, 1, b'f', 0]);
        for _ in 0..1_000_000 {
            bytes.extend_from_slice(&[7, 1]);
        }
        assert!(decode(&bytes).is_err());
    }

    #[test]
    fn nested_values_round_trip() {
        let mut t = ValueType::U8;
        let mut e = WordExpr::Caller;
        for _ in 0..40 {
            t = ValueType::Tuple(vec![t, ValueType::Bool]);
            e = WordExpr::Sub {
                base: Box::new(e),
                key: vec![WordExpr::Param(1)],
            };
        }
        let p = AccessPattern {
            write: true,
            contract: e,
            contract_name: "C".into(),
            field: 0,
            field_name: "f".into(),
            key: KeyPattern::Whole,
        };
        let bytes = postcard::to_stdvec(&(t.clone(), p.clone())).expect("encodes");
        let back: (ValueType, AccessPattern) = postcard::from_bytes(&bytes).expect("decodes");
        assert_eq!(back, (t, p));
    }
}
