//! Arithmetic edge cases per width.

use super::*;
use ArithOp::*;

const WIDTHS: [Width; 4] = [Width::W8, Width::W64, Width::W128, Width::W256];

fn u(v: u64) -> U256 {
    U256::from(v)
}

fn pow2(bits: usize) -> U256 {
    U256::from(1u8) << bits
}

#[test]
fn width_maxima() {
    assert_eq!(width_max(Width::W8), u(255));
    assert_eq!(width_max(Width::W64), U256::from(u64::MAX));
    assert_eq!(width_max(Width::W128), U256::from(u128::MAX));
    assert_eq!(width_max(Width::W256), U256::MAX);
}

#[test]
fn add_sub_mul_at_the_edges_of_every_width() {
    for w in WIDTHS {
        let max = width_max(w);
        assert_eq!(arith(Add, w, max - u(1), u(1)), Ok(max), "{w:?}");
        assert_eq!(arith(Add, w, max, u(1)), Err(PanicKind::Overflow), "{w:?}");
        assert_eq!(
            arith(Sub, w, u(0), u(1)),
            Err(PanicKind::Underflow),
            "{w:?}"
        );
        assert_eq!(arith(Sub, w, max, max), Ok(u(0)), "{w:?}");
        assert_eq!(arith(Mul, w, max, u(1)), Ok(max), "{w:?}");
        assert_eq!(arith(Mul, w, max, u(2)), Err(PanicKind::Overflow), "{w:?}");
        let half = pow2(w.bits() as usize / 2);
        assert_eq!(arith(Mul, w, half, half), Err(PanicKind::Overflow), "{w:?}");
        assert_eq!(arith(Mul, w, half - u(1), half + u(1)), Ok(max), "{w:?}");
        assert_eq!(
            arith(Div, w, max, u(0)),
            Err(PanicKind::DivisionByZero),
            "{w:?}"
        );
        assert_eq!(
            arith(Rem, w, max, u(0)),
            Err(PanicKind::DivisionByZero),
            "{w:?}"
        );
        assert_eq!(arith(Div, w, max, max), Ok(u(1)), "{w:?}");
        assert_eq!(arith(Rem, w, u(7), u(3)), Ok(u(1)), "{w:?}");
    }
}

#[test]
fn pow_is_checked() {
    assert_eq!(arith(Pow, Width::W8, u(2), u(7)), Ok(u(128)));
    assert_eq!(arith(Pow, Width::W8, u(2), u(8)), Err(PanicKind::Overflow));
    assert_eq!(arith(Pow, Width::W8, u(3), u(5)), Ok(u(243)));
    assert_eq!(arith(Pow, Width::W8, u(3), u(6)), Err(PanicKind::Overflow));
    assert_eq!(
        arith(Pow, Width::W64, u(10), u(19)),
        Ok(u(10_000_000_000_000_000_000))
    );
    assert_eq!(
        arith(Pow, Width::W64, u(10), u(20)),
        Err(PanicKind::Overflow)
    );
    assert_eq!(arith(Pow, Width::W256, u(2), u(255)), Ok(pow2(255)));
    assert_eq!(
        arith(Pow, Width::W256, u(2), u(256)),
        Err(PanicKind::Overflow)
    );
    assert_eq!(arith(Pow, Width::W256, u(1), U256::MAX), Ok(u(1)));
    assert_eq!(arith(Pow, Width::W256, u(0), U256::MAX), Ok(u(0)));
    assert_eq!(arith(Pow, Width::W128, u(7), u(0)), Ok(u(1)));
}

#[test]
fn wrapping_ops_reduce_modulo_the_width() {
    for w in WIDTHS {
        let max = width_max(w);
        assert_eq!(arith(WrappingAdd, w, max, u(2)), Ok(u(1)), "{w:?}");
        assert_eq!(arith(WrappingSub, w, u(0), u(1)), Ok(max), "{w:?}");
        assert_eq!(arith(WrappingMul, w, max, max), Ok(u(1)), "{w:?}");
    }
    assert_eq!(arith(WrappingMul, Width::W8, u(16), u(17)), Ok(u(16)));
}

#[test]
fn shifts_and_bit_ops_stay_within_the_width() {
    for w in WIDTHS {
        let bits = u(u64::from(w.bits()));
        assert_eq!(arith(Shl, w, u(1), bits), Ok(u(0)), "{w:?}");
        assert_eq!(arith(Shr, w, width_max(w), bits), Ok(u(0)), "{w:?}");
        assert_eq!(arith(Shl, w, u(1), U256::MAX), Ok(u(0)), "{w:?}");
        assert_eq!(
            arith(Shl, w, u(1), bits - u(1)),
            Ok(pow2(w.bits() as usize - 1)),
            "{w:?}"
        );
        assert_eq!(
            arith(Shl, w, width_max(w), u(1)),
            Ok(width_max(w) - u(1)),
            "{w:?}"
        );
        assert_eq!(arith(Shr, w, width_max(w), bits - u(1)), Ok(u(1)), "{w:?}");
        assert_eq!(not(Some(w), u(0)), width_max(w), "{w:?}");
        assert_eq!(not(Some(w), width_max(w)), u(0), "{w:?}");
    }
    assert_eq!(arith(And, Width::W8, u(0b1100), u(0b1010)), Ok(u(0b1000)));
    assert_eq!(arith(Or, Width::W8, u(0b1100), u(0b1010)), Ok(u(0b1110)));
    assert_eq!(arith(Xor, Width::W8, u(0b1100), u(0b1010)), Ok(u(0b0110)));
    assert_eq!(arith(Min, Width::W64, u(3), u(9)), Ok(u(3)));
    assert_eq!(arith(Max, Width::W64, u(3), u(9)), Ok(u(9)));
    assert_eq!(not(None, u(0)), u(1));
    assert_eq!(not(None, u(1)), u(0));
}

#[test]
fn results_fit_the_width_even_for_out_of_range_operands() {
    // Hand-made bytecode can feed a u8 operation a wider word: results still fit.
    let big = u(1000);
    assert_eq!(arith(Add, Width::W8, big, u(0)), Err(PanicKind::Overflow));
    assert_eq!(arith(Sub, Width::W8, big, u(1)), Err(PanicKind::Overflow));
    assert_eq!(arith(Div, Width::W8, big, u(1)), Err(PanicKind::Overflow));
    assert!(arith(Or, Width::W8, big, u(0)).is_ok_and(|v| v <= u(255)));
    assert!(arith(Max, Width::W8, big, u(0)).is_ok_and(|v| v <= u(255)));
}

#[test]
fn casts_check_the_target_width() {
    assert_eq!(cast(Width::W8, u(255)), Ok(u(255)));
    assert_eq!(cast(Width::W8, u(256)), Err(PanicKind::Conversion));
    assert_eq!(
        cast(Width::W64, U256::from(u64::MAX)),
        Ok(U256::from(u64::MAX))
    );
    assert_eq!(cast(Width::W64, pow2(64)), Err(PanicKind::Conversion));
    assert_eq!(cast(Width::W128, pow2(128)), Err(PanicKind::Conversion));
    assert_eq!(cast(Width::W256, U256::MAX), Ok(U256::MAX));
}

#[test]
fn comparisons() {
    assert_eq!(cmp(CmpOp::Lt, u(1), u(2)), u(1));
    assert_eq!(cmp(CmpOp::Le, u(2), u(2)), u(1));
    assert_eq!(cmp(CmpOp::Gt, u(1), u(2)), u(0));
    assert_eq!(cmp(CmpOp::Ge, U256::MAX, u(0)), u(1));
    assert_eq!(cmp(CmpOp::Eq, u(5), u(5)), u(1));
    assert_eq!(cmp(CmpOp::Ne, u(5), u(5)), u(0));
}

#[test]
fn sqrt_is_the_floor() {
    assert_eq!(sqrt(u(0)), u(0));
    assert_eq!(sqrt(u(1)), u(1));
    assert_eq!(sqrt(u(15)), u(3));
    assert_eq!(sqrt(u(16)), u(4));
    assert_eq!(sqrt(pow2(254)), pow2(127));
    let m = U256::from(u128::MAX);
    assert_eq!(sqrt(U256::MAX), m);
    assert_eq!(sqrt(m * m), m);
    assert_eq!(sqrt(m * m - u(1)), m - u(1));
    for x in [2u64, 3, 99, 100, 101, 1 << 40, u64::MAX] {
        let s = sqrt(u(x));
        assert!(s * s <= u(x) && (s + u(1)) * (s + u(1)) > u(x), "{x}");
    }
}

#[test]
fn mul_div_is_exact_with_a_512_bit_product() {
    let w = Width::W256;
    // 2^255 * 6 / 3 = 2^256: the product and the result exceed 256 bits.
    assert_eq!(
        mul_div(w, false, pow2(255), u(6), u(3)),
        Err(PanicKind::Overflow)
    );
    // 2^255 * 6 / 4 = 3 * 2^254 fits although the product does not.
    assert_eq!(
        mul_div(w, false, pow2(255), u(6), u(4)),
        Ok(u(3) * pow2(254))
    );
    assert_eq!(
        mul_div(w, false, U256::MAX, U256::MAX, U256::MAX),
        Ok(U256::MAX)
    );
    assert_eq!(
        mul_div(w, true, U256::MAX, U256::MAX, U256::MAX),
        Ok(U256::MAX)
    );
    assert_eq!(
        mul_div(w, false, U256::MAX, u(2), u(3)),
        Ok(U256::MAX / u(3) * u(2) + u(0))
    );
    assert_eq!(mul_div(w, false, u(7), u(3), u(2)), Ok(u(10)));
    assert_eq!(mul_div(w, true, u(7), u(3), u(2)), Ok(u(11)));
    assert_eq!(mul_div(w, true, u(6), u(3), u(2)), Ok(u(9)));
    assert_eq!(
        mul_div(w, false, u(7), u(3), u(0)),
        Err(PanicKind::DivisionByZero)
    );
    assert_eq!(
        mul_div(w, true, u(0), u(0), u(0)),
        Err(PanicKind::DivisionByZero)
    );
    // Rounding up past the maximum overflows.
    assert_eq!(
        mul_div(w, true, U256::MAX, U256::MAX - u(1), U256::MAX),
        Ok(U256::MAX - u(1))
    );
    assert_eq!(
        mul_div(w, true, U256::MAX, u(3), u(2)),
        Err(PanicKind::Overflow)
    );
    // Narrow widths check the result against the width.
    let m128 = U256::from(u128::MAX);
    assert_eq!(mul_div(Width::W128, false, m128, m128, m128), Ok(m128));
    assert_eq!(
        mul_div(Width::W128, false, pow2(127), u(4), u(2)),
        Err(PanicKind::Overflow)
    );
    assert_eq!(
        mul_div(Width::W8, false, u(255), u(255), u(255)),
        Ok(u(255))
    );
    assert_eq!(mul_div(Width::W8, true, u(255), u(2), u(2)), Ok(u(255)));
    assert_eq!(
        mul_div(Width::W8, true, u(255), u(3), u(2)),
        Err(PanicKind::Overflow)
    );
}

fn wide(x: U256) -> U512 {
    U512::from(x)
}

/// Words with small, large and edge values alike.
fn arb_word() -> impl proptest::strategy::Strategy<Value = U256> {
    use proptest::prelude::*;
    prop_oneof![
        any::<[u64; 4]>().prop_map(U256::from_limbs),
        any::<u64>().prop_map(U256::from),
        (0usize..256).prop_map(|b| U256::from(1u8) << b),
        (0usize..256).prop_map(|b| (U256::from(1u8) << b) - U256::from(1u8)),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    #[test]
    fn sqrt_is_the_floor_for_any_word(x in arb_word()) {
        let s = wide(sqrt(x));
        proptest::prop_assert!(s * s <= wide(x));
        let s1 = s + U512::from(1u8);
        proptest::prop_assert!(s1 * s1 > wide(x));
    }

    #[test]
    fn mul_div_matches_the_wide_definition(a in arb_word(), b in arb_word(), d in arb_word(), up: bool) {
        let product = wide(a) * wide(b);
        match mul_div(Width::W256, up, a, b, d) {
            Ok(q) => {
                let q = wide(q);
                let d = wide(d);
                if up {
                    proptest::prop_assert!(q * d >= product && (q.is_zero() || (q - U512::from(1u8)) * d < product));
                } else {
                    proptest::prop_assert!(q * d <= product && (q + U512::from(1u8)) * d > product);
                }
            }
            Err(PanicKind::DivisionByZero) => proptest::prop_assert!(d.is_zero()),
            Err(PanicKind::Overflow) => {
                proptest::prop_assert!(!d.is_zero());
                proptest::prop_assert!(product / wide(d) >= wide(U256::MAX) );
            }
            Err(other) => proptest::prop_assert!(false, "unexpected {other:?}"),
        }
    }

    #[test]
    fn checked_ops_agree_with_wide_arithmetic(a in arb_word(), b in arb_word(), wi in 0usize..4) {
        let w = WIDTHS[wi];
        let max = wide(width_max(w));
        let (wa, wb) = (wide(a), wide(b));
        let expect = |exact: Option<U512>| exact.filter(|v| *v <= max);
        proptest::prop_assert_eq!(arith(Add, w, a, b).ok().map(wide), expect(Some(wa + wb)));
        proptest::prop_assert_eq!(arith(Mul, w, a, b).ok().map(wide), expect(Some(wa * wb)));
        proptest::prop_assert_eq!(arith(Sub, w, a, b).ok().map(wide), expect(wa.checked_sub(wb)));
        for op in [WrappingAdd, WrappingSub, WrappingMul, And, Or, Xor, Shl, Shr, Min, Max] {
            proptest::prop_assert!(arith(op, w, a, b).is_ok_and(|v| wide(v) <= max));
        }
    }
}
