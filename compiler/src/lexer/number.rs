//! Integer and address literals: validation and exact evaluation of one
//! `[0-9][0-9A-Za-z_]*` run (see the rules in [`super`]).

use super::IntLit;
use crate::ast::IntTy;
use ruint::aliases::U256;

/// What a number token turned out to be.
#[derive(Debug, PartialEq)]
pub(super) enum Number {
    Int(IntLit),
    Address([u8; 20]),
}

#[derive(Debug)]
pub(super) struct NumberError {
    pub(super) message: String,
    pub(super) help: Option<String>,
    /// The suffix, if it was valid, so the parser still sees the intended type.
    pub(super) suffix: Option<IntTy>,
}

fn number_error(message: String, help: Option<&str>, suffix: Option<IntTy>) -> NumberError {
    NumberError {
        message,
        help: help.map(str::to_owned),
        suffix,
    }
}

fn too_large(suffix: Option<IntTy>) -> NumberError {
    number_error(
        "integer literal is too large for u256".to_owned(),
        Some("the largest integer is 2^256 - 1"),
        suffix,
    )
}

/// Validates and evaluates one `[0-9][0-9A-Za-z_]*` run.
pub(super) fn parse_number(text: &str) -> Result<Number, NumberError> {
    // The suffix starts at the first `u` (never a digit, hex or decimal).
    let (body, suffix) = match text.find('u') {
        Some(at) => {
            let name = &text[at..];
            match IntTy::from_name(name) {
                Some(ty) => (&text[..at], Some(ty)),
                None => {
                    return Err(number_error(
                        format!("unknown integer suffix `{name}`"),
                        Some("the suffixes are `u8`, `u64`, `u128` and `u256`"),
                        None,
                    ));
                }
            }
        }
        None => (text, None),
    };
    if let Some(hex) = body.strip_prefix("0x") {
        return parse_hex(hex, suffix);
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mut value = parse_decimal_digits(mantissa, suffix)?.ok_or_else(|| too_large(suffix))?;
    if let Some(exponent) = exponent {
        if !exponent.contains(|c: char| c.is_ascii_digit()) {
            return Err(number_error(
                "integer exponent has no digits".to_owned(),
                Some("write the exponent after `e`, as in `1e18`"),
                suffix,
            ));
        }
        let exp = parse_decimal_digits(exponent, suffix)?;
        if value != U256::ZERO {
            let exp = exp.ok_or_else(|| too_large(suffix))?;
            let scale = U256::from(10u64)
                .checked_pow(exp)
                .ok_or_else(|| too_large(suffix))?;
            value = value.checked_mul(scale).ok_or_else(|| too_large(suffix))?;
        }
    }
    Ok(Number::Int(IntLit { value, suffix }))
}

/// Decimal digits with `_`; `Ok(None)` when the value overflows u256.
fn parse_decimal_digits(digits: &str, suffix: Option<IntTy>) -> Result<Option<U256>, NumberError> {
    let mut value = Some(U256::ZERO);
    for c in digits.chars() {
        match c {
            '_' => {}
            '0'..='9' => {
                let d = U256::from(u64::from(c as u8 - b'0'));
                value = value
                    .and_then(|v| v.checked_mul(U256::from(10u64)))
                    .and_then(|v| v.checked_add(d));
            }
            other => {
                return Err(number_error(
                    format!("invalid digit {other:?} in integer literal"),
                    Some(
                        "integers are decimal (`1_000`, `1e18`) or hex (`0xff`), with an optional suffix such as `u64`",
                    ),
                    suffix,
                ));
            }
        }
    }
    Ok(value)
}

fn parse_hex(hex: &str, suffix: Option<IntTy>) -> Result<Number, NumberError> {
    let mut digits = Vec::with_capacity(hex.len());
    for c in hex.chars() {
        match c {
            '_' => {}
            c if c.is_ascii_hexdigit() => digits.push(c.to_digit(16).unwrap_or(0) as u8),
            other => {
                return Err(number_error(
                    format!("invalid digit {other:?} in hex literal"),
                    Some("hex digits are 0-9, a-f and A-F"),
                    suffix,
                ));
            }
        }
    }
    if digits.is_empty() {
        return Err(number_error(
            "hex literal has no digits".to_owned(),
            Some("write the digits after `0x`, as in `0xff`"),
            suffix,
        ));
    }
    if suffix.is_none() && digits.len() == 40 && !hex.contains('_') {
        let mut bytes = [0u8; 20];
        for (i, pair) in digits.chunks(2).enumerate() {
            bytes[i] = (pair[0] << 4) | pair[1];
        }
        return Ok(Number::Address(bytes));
    }
    let mut value = U256::ZERO;
    for d in digits {
        value = value
            .checked_mul(U256::from(16u64))
            .and_then(|v| v.checked_add(U256::from(u64::from(d))))
            .ok_or_else(|| too_large(suffix))?;
    }
    Ok(Number::Int(IntLit { value, suffix }))
}
