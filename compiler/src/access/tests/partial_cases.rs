//! The access check where something else is wrong: a program with type errors (only the
//! functions that type checked are checked), a callee whose own annotations miss
//! accesses, and a write declared only as a read.

use crate::diagnostics::Severity;
use crate::driver::{Stage, compile_with_loader};
use crate::resolve::MemoryLoader;

/// The codes of every diagnostic of `src` compiled to bytecode, in source order, and
/// the rendering.
fn codes_of(src: &str) -> (Vec<&'static str>, String) {
    let mut c = compile_with_loader(
        "test.braid",
        src.to_owned(),
        &MemoryLoader::default(),
        Stage::Bytecode,
    );
    c.diagnostics
        .retain(|d| !crate::diagnostics::STYLE_LINTS.contains(&d.code));
    let d = c.diagnostics.sorted();
    (
        d.iter().map(|d| d.code.id()).collect(),
        c.render_diagnostics(false),
    )
}

#[test]
fn access_errors_of_clean_functions_are_reported_beside_type_errors() {
    let src = "contract C {
        storage { total: u64, seen: map<address, u64> }
        pub fn a() -> u64 { missing + 1 }
        pub fn d() { total = 5; }
        pub fn e(x: u128) -> u64 writes seen[caller] { seen[caller] = 1; x }
    }";
    let (codes, out) = codes_of(src);
    // `e` has a type error: its (covered) write is not judged, and nothing else is.
    assert_eq!(codes, ["E0301", "E0501", "E0401"], "{out}");
    assert!(out.contains("storage write to `total`"), "{out}");
}

#[test]
fn a_function_with_type_errors_is_not_access_checked() {
    // Without the type error, `f` would have an E0501 and a W0501.
    let src = "contract C {
        storage { total: u64, other: u64 }
        pub fn f() -> bool writes other { total = 1; 5 }
    }";
    let (codes, out) = codes_of(src);
    assert_eq!(codes, ["E0401"], "{out}");
}

#[test]
fn callers_of_a_function_with_type_errors_are_not_told_their_patterns_are_unneeded() {
    let src = "contract C {
        storage { balances: map<address, u128> }
        fn credit(who: address, amount: u128) -> bool { balances[who] += amount; 1 }
        pub fn deposit(amount: u128) writes balances[caller] {
            let _ = credit(caller, amount);
        }
    }";
    let (codes, out) = codes_of(src);
    assert_eq!(codes, ["E0401"], "{out}");
}

#[test]
fn a_write_under_reads_asks_to_change_the_reads_and_the_reads_is_not_unneeded() {
    for body in ["count += 1;", "count = 1;"] {
        let src = format!(
            "contract C {{ storage {{ count: u64 }} pub fn bump() reads count {{ {body} }} }}"
        );
        let (codes, out) = codes_of(&src);
        assert_eq!(codes, ["E0501"], "{out}");
        assert!(
            out.contains("help: change `reads count` to `writes count`"),
            "{out}"
        );
        assert!(out.contains("declared as a read only"), "{out}");
    }
}

#[test]
fn a_compound_write_of_a_key_uses_a_whole_map_reads_for_its_read() {
    let src = "contract C {
        storage { m: map<address, u64> }
        pub fn bump(k: address) reads m[*] { m[k] += 1; }
    }";
    let (codes, out) = codes_of(src);
    assert_eq!(codes, ["E0501"], "{out}");
    // Not an exact key: the help is to add the write, and `reads m[*]` is used.
    assert!(out.contains("help: add `writes m[k]`"), "{out}");
    assert!(!out.contains("W0501"), "{out}");
    // A plain write reads nothing: `reads m[*]` is unneeded.
    let src = "contract C {
        storage { m: map<address, u64> }
        pub fn set(k: address) reads m[*] { m[k] = 1; }
    }";
    let (codes, out) = codes_of(src);
    assert_eq!(codes, ["W0501", "E0501"], "{out}");
}

#[test]
fn a_pattern_needed_by_a_callees_missing_annotation_is_not_unneeded() {
    let src = "contract C {
        storage { balances: map<address, u128> }
        fn credit(who: address, amount: u128) { balances[who] += amount; }
        pub fn deposit(amount: u128) writes balances[caller] { credit(caller, amount); }
    }";
    let (codes, out) = codes_of(src);
    assert_eq!(codes, ["E0501"], "{out}");
    assert!(out.contains("in `credit`"), "{out}");
}

#[test]
fn a_callees_missing_annotation_travels_through_an_unannotated_caller() {
    // `credit` misses its write; `middle` (internal, unannotated) calls it, so its
    // annotations miss it too, but only `credit` is told; `deposit` needs it.
    let src = "contract C {
        storage { balances: map<address, u128> }
        fn credit(who: address, amount: u128) { balances[who] += amount; }
        fn middle(who: address) { credit(who, 1); }
        pub fn deposit() writes balances[caller] { middle(caller); }
    }";
    let (codes, out) = codes_of(src);
    assert_eq!(codes, ["E0501"], "{out}");
    assert!(out.contains("in `credit`"), "{out}");
}

#[test]
fn a_pattern_no_access_needs_is_still_unneeded_beside_a_callees_error() {
    let src = "contract C {
        storage { balances: map<address, u128>, fee: u64 }
        fn credit(who: address, amount: u128) { balances[who] += amount; }
        pub fn deposit(amount: u128) writes balances[caller] reads fee {
            credit(caller, amount);
        }
    }";
    let (codes, out) = codes_of(src);
    assert_eq!(codes, ["E0501", "W0501"], "{out}");
    assert!(out.contains("never needs `reads fee`"), "{out}");
}

#[test]
fn a_callees_missing_access_is_never_reported_in_the_caller() {
    // `deposit` declares nothing: its only error would be an echo of `credit`'s.
    let src = "contract C {
        storage { balances: map<address, u128> }
        fn credit(who: address, amount: u128) { balances[who] += amount; }
        pub fn deposit(amount: u128) { credit(caller, amount); }
    }";
    let c = compile_with_loader(
        "test.braid",
        src.to_owned(),
        &MemoryLoader::default(),
        Stage::Access,
    );
    let errors: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{}", c.render_diagnostics(false));
    assert!(
        errors[0]
            .secondary
            .iter()
            .any(|l| l.message == "in `credit`")
    );
}

#[test]
fn a_view_declaring_writes_is_an_error_even_beside_a_callee_with_type_errors() {
    let src = "contract C {
        storage { n: u64 }
        fn broken() -> u64 { missing }
        pub view fn v() -> u64 writes n { broken() }
    }";
    let (codes, out) = codes_of(src);
    assert_eq!(codes, ["E0301", "E0502"], "{out}");
}
