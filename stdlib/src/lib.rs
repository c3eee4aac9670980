//! The Braid standard library: the `.braid` sources of the `std::…` modules, embedded
//! in the compiler with `include_str!`.
//!
//! - `std::fixed`: WAD and RAY fixed-point arithmetic (`wad_mul`, `WAD`, …).
//! - `std::access`: ownership checks (`only_owner`).
//! - `std::token`: the standard fungible token (`contracts/token.braid`).
//! - `std::math` has no source: its functions are compiler intrinsics (see
//!   [`MATH_INTRINSICS`]).

/// The names `std::math` declares; each is a compiler intrinsic, not Braid source.
pub const MATH_INTRINSICS: &[&str] = &["min", "max", "sqrt", "pow", "mul_div", "mul_div_up"];

/// The path of the intrinsic-only module.
pub const MATH_MODULE: &str = "std::math";

/// The Braid source of a standard module named by its path (`"std::fixed"`), or `None`
/// when there is no such module or it has no source (`std::math`).
pub fn source(module: &str) -> Option<&'static str> {
    match module {
        "std::fixed" => Some(include_str!("../std/fixed.braid")),
        "std::access" => Some(include_str!("../std/access.braid")),
        "std::token" => Some(include_str!("../../contracts/token.braid")),
        _ => None,
    }
}

/// Whether `module` names a standard module (with or without source).
pub fn is_module(module: &str) -> bool {
    module == MATH_MODULE || source(module).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_module_is_embedded() {
        for m in ["std::fixed", "std::access", "std::token"] {
            assert!(source(m).is_some_and(|s| !s.is_empty()), "{m}");
            assert!(is_module(m));
        }
        assert!(source("std::math").is_none());
        assert!(is_module("std::math"));
        assert!(!is_module("std::nope"));
    }
}
