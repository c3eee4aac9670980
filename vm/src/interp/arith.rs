//! Checked and wrapping integer arithmetic on words, per [`Width`].
//!
//! Every result of these functions fits its width, whatever the operands: the
//! invariant "a register holding a `uN` holds a value below 2^N" is kept even under
//! hand-made bytecode. Checked operations fail with a [`PanicKind`]; wrapping ones
//! reduce modulo 2^width; shifts by the width or more give 0.

use crate::receipt::PanicKind;
use braid_bytecode::{ArithOp, CmpOp, U256, Width};
use ruint::UintTryFrom;
use ruint::aliases::U512;

const MAX_U8: U256 = U256::from_limbs([0xff, 0, 0, 0]);
const MAX_U64: U256 = U256::from_limbs([u64::MAX, 0, 0, 0]);
const MAX_U128: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

/// The largest value of a width: 2^bits − 1.
pub fn width_max(width: Width) -> U256 {
    match width {
        Width::W8 => MAX_U8,
        Width::W64 => MAX_U64,
        Width::W128 => MAX_U128,
        Width::W256 => U256::MAX,
    }
}

fn fits(r: Option<U256>, max: U256, kind: PanicKind) -> Result<U256, PanicKind> {
    match r {
        Some(v) if v <= max => Ok(v),
        _ => Err(kind),
    }
}

/// `a op b` at `width`.
pub fn arith(op: ArithOp, width: Width, a: U256, b: U256) -> Result<U256, PanicKind> {
    let max = width_max(width);
    let bits = U256::from(width.bits());
    match op {
        ArithOp::Add => fits(a.checked_add(b), max, PanicKind::Overflow),
        ArithOp::Sub => match a.checked_sub(b) {
            None => Err(PanicKind::Underflow),
            r => fits(r, max, PanicKind::Overflow),
        },
        ArithOp::Mul => fits(a.checked_mul(b), max, PanicKind::Overflow),
        ArithOp::Div => match a.checked_div(b) {
            None => Err(PanicKind::DivisionByZero),
            r => fits(r, max, PanicKind::Overflow),
        },
        ArithOp::Rem => match a.checked_rem(b) {
            None => Err(PanicKind::DivisionByZero),
            r => fits(r, max, PanicKind::Overflow),
        },
        ArithOp::Pow => fits(a.checked_pow(b), max, PanicKind::Overflow),
        ArithOp::WrappingAdd => Ok(a.wrapping_add(b) & max),
        ArithOp::WrappingSub => Ok(a.wrapping_sub(b) & max),
        ArithOp::WrappingMul => Ok(a.wrapping_mul(b) & max),
        ArithOp::And => Ok(a & b & max),
        ArithOp::Or => Ok((a | b) & max),
        ArithOp::Xor => Ok((a ^ b) & max),
        ArithOp::Shl => Ok(if b >= bits {
            U256::ZERO
        } else {
            // b < 256 here, so the conversion is exact.
            (a << b.as_limbs()[0] as usize) & max
        }),
        ArithOp::Shr => Ok(if b >= bits {
            U256::ZERO
        } else {
            (a & max) >> b.as_limbs()[0] as usize
        }),
        ArithOp::Min => Ok(a.min(b) & max),
        ArithOp::Max => Ok(a.max(b) & max),
    }
}

/// `a op b` as 0 or 1 (unsigned comparison of words).
pub fn cmp(op: CmpOp, a: U256, b: U256) -> U256 {
    let r = match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    };
    U256::from(u8::from(r))
}

/// `!src`: logical (`None`: 1 for zero, else 0) or bitwise within a width.
pub fn not(width: Option<Width>, src: U256) -> U256 {
    match width {
        None => U256::from(u8::from(src.is_zero())),
        Some(w) => !src & width_max(w),
    }
}

/// `src as uN`: the value itself if it fits, else panic `conversion`.
pub fn cast(width: Width, src: U256) -> Result<U256, PanicKind> {
    if src <= width_max(width) {
        Ok(src)
    } else {
        Err(PanicKind::Conversion)
    }
}

/// `floor(sqrt(src))`.
pub fn sqrt(src: U256) -> U256 {
    src.root(2)
}

/// `a * b / d` (rounded down, or up with `round_up`) with the exact 512-bit product;
/// the result must fit `width`.
pub fn mul_div(width: Width, round_up: bool, a: U256, b: U256, d: U256) -> Result<U256, PanicKind> {
    if d.is_zero() {
        return Err(PanicKind::DivisionByZero);
    }
    let product: U512 = a.widening_mul(b);
    let (q, r) = product.div_rem(U512::from(d));
    let q = if round_up && !r.is_zero() {
        q.checked_add(U512::from(1u8)).ok_or(PanicKind::Overflow)?
    } else {
        q
    };
    fits(
        U256::uint_try_from(q).ok(),
        width_max(width),
        PanicKind::Overflow,
    )
}

#[cfg(test)]
mod tests;
