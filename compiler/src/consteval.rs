//! Compile-time arithmetic: the exact, checked evaluation of constant expressions.
//!
//! Values are 256-bit words ([`U256`]) and every operation is checked against the
//! width of its operand type exactly as the VM checks it at run time, so a constant
//! that folds here gives the value the program would have computed, and one that
//! would have panicked is a compile-time error (E0409) instead.

use crate::ast::{BinOp, IntTy};
use ruint::aliases::U256;

/// Why a constant operation has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstError {
    /// The result exceeds the maximum of its type.
    Overflow,
    /// A subtraction below zero.
    Underflow,
    /// Division or remainder by zero.
    DivisionByZero,
    /// A shift by the width of the type or more.
    ShiftTooFar,
    /// A left shift that drops set bits.
    ShiftOverflow,
}

impl ConstError {
    /// A short description for diagnostics.
    pub fn describe(self, ty: IntTy) -> String {
        match self {
            ConstError::Overflow => format!("this constant expression overflows `{}`", ty.name()),
            ConstError::Underflow => {
                "this constant expression underflows (goes below zero)".to_owned()
            }
            ConstError::DivisionByZero => "this constant expression divides by zero".to_owned(),
            ConstError::ShiftTooFar => format!(
                "this constant shift is by {} bits or more, the width of `{}`",
                ty.bits(),
                ty.name()
            ),
            ConstError::ShiftOverflow => format!(
                "this constant shift overflows `{}`: it shifts set bits out",
                ty.name()
            ),
        }
    }
}

/// The largest value of an integer type.
pub fn max_of(ty: IntTy) -> U256 {
    if ty.bits() >= 256 {
        U256::MAX
    } else {
        (U256::from(1u8) << ty.bits() as usize) - U256::from(1u8)
    }
}

/// Whether `value` fits in `ty`.
pub fn fits(value: U256, ty: IntTy) -> bool {
    value <= max_of(ty)
}

fn checked(value: Option<U256>, ty: IntTy, err: ConstError) -> Result<U256, ConstError> {
    match value {
        Some(v) if fits(v, ty) => Ok(v),
        _ => Err(err),
    }
}

fn flag(b: bool) -> U256 {
    U256::from(u8::from(b))
}

/// Evaluates `a op b` on integer operands of type `ty`, checked like the VM.
///
/// Shifts are stricter than at run time: there `<<` drops the bits shifted out of the
/// width and a shift by the width or more gives zero, but a constant shift that would
/// do either is an error (`1 << 64` as a `u64` is not 0, just as `2 ** 64` is not).
///
/// Comparisons give 0 or 1. For the shift operators `b` is the shift amount and may
/// exceed the width. `&&`, `||` and the bitwise operators also work on bools (0/1).
pub fn binary(op: BinOp, ty: IntTy, a: U256, b: U256) -> Result<U256, ConstError> {
    let bits = ty.bits() as usize;
    match op {
        BinOp::Add => checked(a.checked_add(b), ty, ConstError::Overflow),
        BinOp::Sub => checked(a.checked_sub(b), ty, ConstError::Underflow),
        BinOp::Mul => checked(a.checked_mul(b), ty, ConstError::Overflow),
        BinOp::Div => a.checked_div(b).ok_or(ConstError::DivisionByZero),
        BinOp::Rem => a.checked_rem(b).ok_or(ConstError::DivisionByZero),
        BinOp::Pow => checked(a.checked_pow(b), ty, ConstError::Overflow),
        BinOp::Shl | BinOp::Shr if b >= U256::from(bits) => Err(ConstError::ShiftTooFar),
        BinOp::Shl => {
            let shifted = (a << b.to::<usize>()) & max_of(ty);
            if shifted >> b.to::<usize>() == a {
                Ok(shifted)
            } else {
                Err(ConstError::ShiftOverflow)
            }
        }
        BinOp::Shr => Ok(a >> b.to::<usize>()),
        BinOp::BitAnd => Ok(a & b),
        BinOp::BitOr => Ok(a | b),
        BinOp::BitXor => Ok(a ^ b),
        BinOp::And => Ok(flag(!a.is_zero() && !b.is_zero())),
        BinOp::Or => Ok(flag(!a.is_zero() || !b.is_zero())),
        BinOp::Eq => Ok(flag(a == b)),
        BinOp::Ne => Ok(flag(a != b)),
        BinOp::Lt => Ok(flag(a < b)),
        BinOp::Le => Ok(flag(a <= b)),
        BinOp::Gt => Ok(flag(a > b)),
        BinOp::Ge => Ok(flag(a >= b)),
    }
}

/// Bitwise not within the width of `ty`.
pub fn not_int(ty: IntTy, a: U256) -> U256 {
    a ^ max_of(ty)
}

/// Logical not of a bool word (0/1).
pub fn not_bool(a: U256) -> U256 {
    flag(a.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u128) -> U256 {
        U256::from(v)
    }

    #[test]
    fn arithmetic_is_checked_against_the_width() {
        assert_eq!(binary(BinOp::Add, IntTy::U8, u(200), u(55)), Ok(u(255)));
        assert_eq!(
            binary(BinOp::Add, IntTy::U8, u(200), u(56)),
            Err(ConstError::Overflow)
        );
        assert_eq!(
            binary(BinOp::Sub, IntTy::U64, u(1), u(2)),
            Err(ConstError::Underflow)
        );
        assert_eq!(
            binary(BinOp::Div, IntTy::U64, u(1), u(0)),
            Err(ConstError::DivisionByZero)
        );
        assert_eq!(
            binary(BinOp::Rem, IntTy::U64, u(7), u(0)),
            Err(ConstError::DivisionByZero)
        );
        assert_eq!(
            binary(BinOp::Pow, IntTy::U128, u(10), u(18)),
            Ok(u(10u128.pow(18)))
        );
        assert_eq!(
            binary(BinOp::Pow, IntTy::U64, u(10), u(20)),
            Err(ConstError::Overflow)
        );
        assert_eq!(
            binary(BinOp::Mul, IntTy::U256, U256::MAX, u(2)),
            Err(ConstError::Overflow)
        );
    }

    #[test]
    fn shifts_drop_bits_outside_the_width() {
        assert_eq!(
            binary(BinOp::Shl, IntTy::U8, u(0x81), u(1)),
            Err(ConstError::ShiftOverflow)
        );
        assert_eq!(binary(BinOp::Shl, IntTy::U8, u(0x41), u(1)), Ok(u(0x82)));
        assert_eq!(
            binary(BinOp::Shl, IntTy::U8, u(1), u(8)),
            Err(ConstError::ShiftTooFar)
        );
        assert_eq!(
            binary(BinOp::Shl, IntTy::U64, u(1), u(64)),
            Err(ConstError::ShiftTooFar)
        );
        assert_eq!(binary(BinOp::Shl, IntTy::U64, u(1), u(63)), Ok(u(1) << 63));
        assert_eq!(binary(BinOp::Shl, IntTy::U256, u(0), u(255)), Ok(u(0)));
        assert_eq!(binary(BinOp::Shr, IntTy::U8, u(0x80), u(7)), Ok(u(1)));
        assert_eq!(
            binary(BinOp::Shr, IntTy::U256, u(1), U256::MAX),
            Err(ConstError::ShiftTooFar)
        );
    }

    #[test]
    fn not_and_limits() {
        assert_eq!(not_int(IntTy::U8, u(0x0f)), u(0xf0));
        assert_eq!(not_bool(u(0)), u(1));
        assert_eq!(not_bool(u(1)), u(0));
        assert_eq!(max_of(IntTy::U64), u(u64::MAX as u128));
        assert!(fits(U256::MAX, IntTy::U256));
        assert!(!fits(u(256), IntTy::U8));
        assert_eq!(binary(BinOp::Lt, IntTy::U8, u(1), u(2)), Ok(u(1)));
    }
}
