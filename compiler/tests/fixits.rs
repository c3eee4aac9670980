//! Every help the compiler gives, followed literally: each case is a source with one
//! mistake, the help it must get, and the source edited exactly as that help says. The
//! edited source must compile with no error and no warning that says the code now does
//! less than the author wrote (an unneeded annotation, W0501/W0502; an unused value,
//! W0401): a fix-it never leads into a bug. (The contention lint, W0503, may remain: it
//! is about the design, not the fix.)
//!
//! Helps that only inform (the largest integer, the nesting limit, import cycles,
//! `split the function`) have no literal edit and are not listed; every help that
//! names code to write is.

use braid_compiler::diagnostics::Code;
use braid_compiler::driver::{CompileOptions, Stage, compile_source};

/// One help, applied.
struct Case {
    /// What it checks.
    name: &'static str,
    /// The source with the mistake.
    broken: &'static str,
    /// The diagnostic code, and text its help must contain.
    code: &'static str,
    help: &'static str,
    /// The source edited as the help says.
    fixed: &'static str,
}

const CASES: &[Case] = &[
    // ----- lexical
    Case {
        name: "unterminated comment",
        broken: "contract C {} /* note",
        code: "E0102",
        help: "close it with `*/`",
        fixed: "contract C {} /* note */",
    },
    Case {
        name: "bad escape",
        broken: r#"contract C { pub view fn f(x: u64) -> u64 { require(x > 0, "bad\q"); x } }"#,
        code: "E0105",
        help: r#"the escapes are `\n`"#,
        fixed: r#"contract C { pub view fn f(x: u64) -> u64 { require(x > 0, "bad\n"); x } }"#,
    },
    Case {
        name: "bad integer suffix",
        broken: "contract C { pub view fn f() -> u64 { 5u32 } }",
        code: "E0104",
        help: "the suffixes are `u8`, `u64`, `u128` and `u256`",
        fixed: "contract C { pub view fn f() -> u64 { 5u64 } }",
    },
    Case {
        name: "exponent without digits",
        broken: "contract C { pub view fn f() -> u128 { 1e } }",
        code: "E0104",
        help: "write the exponent after `e`, as in `1e18`",
        fixed: "contract C { pub view fn f() -> u128 { 1e18 } }",
    },
    Case {
        name: "hex without digits",
        broken: "contract C { pub view fn f() -> u128 { 0x } }",
        code: "E0104",
        help: "write the digits after `0x`, as in `0xff`",
        fixed: "contract C { pub view fn f() -> u128 { 0xff } }",
    },
    Case {
        name: "a bad hex digit",
        broken: "contract C { pub view fn f() -> u128 { 0xfg } }",
        code: "E0104",
        help: "hex digits are 0-9, a-f and A-F",
        fixed: "contract C { pub view fn f() -> u128 { 0xf0 } }",
    },
    // ----- syntax
    Case {
        name: "struct literal in an if head",
        broken: "struct P { a: u64 } contract C { pub view fn f(x: u64) -> u64 { if P { a: x }.a == 1 { 1 } else { 0 } } }",
        code: "E0418",
        help: "wrap the struct literal in parentheses",
        fixed: "struct P { a: u64 } contract C { pub view fn f(x: u64) -> u64 { if (P { a: x }).a == 1 { 1 } else { 0 } } }",
    },
    Case {
        name: "block property",
        broken: "contract C { pub view fn f() -> u64 { block.height } }",
        code: "E0201",
        help: "the block properties are `block.number` and `block.timestamp`",
        fixed: "contract C { pub view fn f() -> u64 { block.number } }",
    },
    Case {
        name: "chained comparison",
        broken: "contract C { pub view fn f(a: u64, b: u64, c: u64) -> bool { a < b < c } }",
        code: "E0414",
        help: "`a < b && b < c`",
        fixed: "contract C { pub view fn f(a: u64, b: u64, c: u64) -> bool { a < b && b < c } }",
    },
    Case {
        name: "cast of a call's result",
        broken: "use std::token::Token; contract C { pub view fn f(t: Token) -> u64 calls t.balance_of { t.balance_of(caller) as u64 } }",
        code: "E0204",
        help: "put the call in parentheses: `(t.f(x)) as T`",
        fixed: "use std::token::Token; contract C { pub view fn f(t: Token) -> u64 calls t.balance_of { (t.balance_of(caller)) as u64 } }",
    },
    Case {
        name: "calls entry without a contract",
        broken: "use std::token::Token; contract C { pub fn f(t: Token) calls transfer { t.transfer(caller, 1); } }",
        code: "E0201",
        help: "as in `calls token.transfer`",
        fixed: "use std::token::Token; contract C { pub fn f(t: Token) calls t.transfer { t.transfer(caller, 1); } }",
    },
    Case {
        name: "misspelt serial",
        broken: "contract C { storage { n: u64 } pub fn f() writes n seriel { n += 1; } }",
        code: "E0201",
        help: "the only word that may follow a pattern is `serial`",
        fixed: "contract C { storage { n: u64 } pub fn f() writes n serial { n += 1; } }",
    },
    Case {
        name: "enum",
        broken: "enum Side { Buy, Sell } contract C { pub view fn f(s: u8) -> bool { s == 0 } }",
        code: "E0205",
        help: "`const BUY: u8 = 0; const SELL: u8 = 1;`, and take a `u8`",
        fixed: "const BUY: u8 = 0; const SELL: u8 = 1; contract C { pub view fn f(s: u8) -> bool { s == BUY || s == SELL } }",
    },
    Case {
        name: "modifier",
        broken: "contract C { storage { owner: address } modifier only() { _; } pub view fn f() -> address reads owner { owner } }",
        code: "E0205",
        help: "call an internal `fn` at the start of the body, or `require` the condition there",
        fixed: "contract C { storage { owner: address } pub view fn f() -> address reads owner { require(caller == owner, \"owner\"); owner } }",
    },
    // ----- resolution
    Case {
        name: "a file with no contract",
        broken: "fn f() -> u64 { 1 }",
        code: "E0309",
        help: "declare `contract Name { … }`",
        fixed: "fn f() -> u64 { 1 } contract Name { pub view fn g() -> u64 { f() } }",
    },
    Case {
        name: "a standard module without std::",
        broken: "use fixed::wad_mul; contract C { pub view fn f(a: u128) -> u128 { wad_mul(a, a) } }",
        code: "E0303",
        help: "`use std::fixed::wad_mul;`",
        fixed: "use std::fixed::wad_mul; contract C { pub view fn f(a: u128) -> u128 { wad_mul(a, a) } }",
    },
    Case {
        name: "a misspelt import",
        broken: "use std::fixed::wad_mull; contract C { pub view fn f(a: u128) -> u128 { wad_mull(a, a) } }",
        code: "E0304",
        help: "`wad_mul`",
        fixed: "use std::fixed::wad_mul; contract C { pub view fn f(a: u128) -> u128 { wad_mul(a, a) } }",
    },
    // ----- types
    Case {
        name: "Solidity's uint256",
        broken: "contract C { pub view fn f(x: uint256) -> uint256 { x } }",
        code: "E0308",
        help: "the 256-bit unsigned integer is `u256`",
        fixed: "contract C { pub view fn f(x: u256) -> u256 { x } }",
    },
    Case {
        name: "a signed integer",
        broken: "contract C { pub view fn f(x: i128) -> i128 { x } }",
        code: "E0308",
        help: "`(u128, bool)`",
        fixed: "contract C { pub view fn f(x: (u128, bool)) -> (u128, bool) { x } }",
    },
    Case {
        name: "a misspelt type",
        broken: "struct Point { x: u64 } contract C { pub view fn f(p: Pont) -> u64 { p.x } }",
        code: "E0308",
        help: "`Point`",
        fixed: "struct Point { x: u64 } contract C { pub view fn f(p: Point) -> u64 { p.x } }",
    },
    Case {
        name: "integer width",
        broken: "contract C { pub view fn f(x: u64) -> u128 { x } }",
        code: "E0401",
        help: "convert it with `as u128`",
        fixed: "contract C { pub view fn f(x: u64) -> u128 { x as u128 } }",
    },
    Case {
        name: "contract to address",
        broken: "use std::token::Token; contract C { pub view fn f(t: Token) -> address { t } }",
        code: "E0401",
        help: "convert a contract value with `as address`",
        fixed: "use std::token::Token; contract C { pub view fn f(t: Token) -> address { t as address } }",
    },
    Case {
        name: "address to contract",
        broken: "use std::token::Token; contract C { pub view fn f(a: address) -> Token { a } }",
        code: "E0401",
        help: "with `as Token`",
        fixed: "use std::token::Token; contract C { pub view fn f(a: address) -> Token { a as Token } }",
    },
    Case {
        name: "ordering contracts",
        broken: "use std::token::Token; contract C { pub view fn f(a: Token, b: Token) -> bool { a < b } }",
        code: "E0401",
        help: "`a as address < b as address`",
        fixed: "use std::token::Token; contract C { pub view fn f(a: Token, b: Token) -> bool { a as address < b as address } }",
    },
    Case {
        name: "run-time power",
        broken: "contract C { pub view fn f(x: u128, n: u128) -> u128 { x ** n } }",
        code: "E0408",
        help: "use `pow(base, exp)` from `std::math`",
        fixed: "use std::math::pow; contract C { pub view fn f(x: u128, n: u128) -> u128 { pow(x, n) } }",
    },
    Case {
        name: "assigning a parameter",
        broken: "contract C { pub view fn f(x: u64) -> u64 { x = x + 1; x } }",
        code: "E0405",
        help: "`let mut x = x;`",
        fixed: "contract C { pub view fn f(x: u64) -> u64 { let mut x = x; x = x + 1; x } }",
    },
    Case {
        name: "assigning a loop variable",
        broken: "contract C { pub view fn f(n: u64) -> u64 { let mut s = 0u64; for i in 0..n { i = i + 1; s += i; } s } }",
        code: "E0405",
        help: "`let mut next = i;`, then `next = …`",
        fixed: "contract C { pub view fn f(n: u64) -> u64 { let mut s = 0u64; for i in 0..n { let mut next = i; next = next + 1; s += next; } s } }",
    },
    Case {
        name: "assigning an immutable local",
        broken: "contract C { pub view fn f(x: u64) -> u64 { let y = x; y = y + 1; y } }",
        code: "E0405",
        help: "declare it `let mut y`",
        fixed: "contract C { pub view fn f(x: u64) -> u64 { let mut y = x; y = y + 1; y } }",
    },
    Case {
        name: "a parameter named like a storage field",
        broken: "contract C { storage { owner: address } pub fn set(owner: address) writes owner serial { owner = owner; } }",
        code: "E0420",
        help: "rename the parameter to `new_owner` and every use marked `rename`",
        fixed: "contract C { storage { owner: address } pub fn set(new_owner: address) writes owner serial { owner = new_owner; } }",
    },
    Case {
        name: "a local named like a storage field",
        broken: "contract C { storage { limit: u64 } pub view fn f(x: u64) -> u64 reads limit { let limit = x * 2; limit } }",
        code: "E0420",
        help: "rename the local to `limit_value` and every use marked `rename`",
        fixed: "contract C { storage { limit: u64 } pub view fn f(x: u64) -> u64 reads limit { let limit_value = x * 2; limit_value + limit } }",
    },
    Case {
        name: "assigning a whole map",
        broken: "contract C { storage { m: map<address, u64> } pub fn f(x: u64) writes m[caller] { m = x; } }",
        code: "E0404",
        help: "assign one entry: `m[key] = …`",
        fixed: "contract C { storage { m: map<address, u64> } pub fn f(x: u64) writes m[caller] { m[caller] = x; } }",
    },
    Case {
        name: "reading a whole map",
        broken: "contract C { storage { m: map<address, u64> } pub view fn f() -> u64 reads m[caller] { m } }",
        code: "E0416",
        help: "read one entry: `m[key]`",
        fixed: "contract C { storage { m: map<address, u64> } pub view fn f() -> u64 reads m[caller] { m[caller] } }",
    },
    Case {
        name: "a map of maps",
        broken: "contract C { storage { a: map<address, map<address, u64>> } pub view fn f(o: address) -> u64 reads a[(o, caller)] { 0 } }",
        code: "E0406",
        help: "`map<(address, address), u64>`, read and written as `a[(a, b)]`",
        fixed: "contract C { storage { a: map<(address, address), u64> } pub view fn f(o: address) -> u64 reads a[(o, caller)] { a[(o, caller)] } }",
    },
    Case {
        name: "assert",
        broken: "contract C { pub view fn f(x: u64) -> u64 { assert(x > 0); x } }",
        code: "E0306",
        help: "`require(condition, \"message\")`",
        fixed: "contract C { pub view fn f(x: u64) -> u64 { require(x > 0, \"message\"); x } }",
    },
    Case {
        name: "a math function not imported",
        broken: "contract C { pub view fn f(a: u64, b: u64) -> u64 { min(a, b) } }",
        code: "E0306",
        help: "import it: `use std::math::{min};`",
        fixed: "use std::math::{min}; contract C { pub view fn f(a: u64, b: u64) -> u64 { min(a, b) } }",
    },
    Case {
        name: "a misspelt function",
        broken: "contract C { fn total(x: u64) -> u64 { x } pub view fn f(x: u64) -> u64 { totl(x) } }",
        code: "E0306",
        help: "`total`",
        fixed: "contract C { fn total(x: u64) -> u64 { x } pub view fn f(x: u64) -> u64 { total(x) } }",
    },
    Case {
        name: "a misspelt external function",
        broken: "use std::token::Token; contract C { pub view fn f(t: Token) -> u128 calls t.balance_of { t.balanc_of(caller) } }",
        code: "E0306",
        help: "`balance_of`",
        fixed: "use std::token::Token; contract C { pub view fn f(t: Token) -> u128 calls t.balance_of { t.balance_of(caller) } }",
    },
    Case {
        name: "self.f()",
        broken: "contract C { fn g(x: u64) -> u64 { x } pub view fn f(x: u64) -> u64 { self.g(x) } }",
        code: "E0413",
        help: "call this contract's own functions directly: `g(…)`",
        fixed: "contract C { fn g(x: u64) -> u64 { x } pub view fn f(x: u64) -> u64 { g(x) } }",
    },
    Case {
        name: "a call on an address",
        broken: "use std::token::Token; contract C { pub view fn f(x: address) -> u128 { x.balance_of(caller) } }",
        code: "E0413",
        help: "declare the parameter as `x: Token`",
        fixed: "use std::token::Token; contract C { pub view fn f(x: Token) -> u128 calls x.balance_of { x.balance_of(caller) } }",
    },
    Case {
        name: "a contract built like a struct",
        broken: "use std::token::Token; contract C { pub view fn f(x: address) -> Token { Token { owner: x } } }",
        code: "E0308",
        help: "a contract value is an address: `x as Token`",
        fixed: "use std::token::Token; contract C { pub view fn f(x: address) -> Token { x as Token } }",
    },
    Case {
        name: "a struct literal missing a field",
        broken: "struct P { a: u64, b: u64 } contract C { pub view fn f(x: u64) -> P { P { a: x } } }",
        code: "E0412",
        help: "a struct literal gives every field a value",
        fixed: "struct P { a: u64, b: u64 } contract C { pub view fn f(x: u64) -> P { P { a: x, b: x } } }",
    },
    Case {
        name: "a value where none is returned",
        broken: "contract C { pub view fn f(x: u64) { x + 1 } }",
        code: "E0401",
        help: "declare the return type `-> u64`",
        fixed: "contract C { pub view fn f(x: u64) -> u64 { x + 1 } }",
    },
    Case {
        name: "a body without its value",
        broken: "contract C { pub view fn f(x: u64) -> u64 { let y = x + 1; } }",
        code: "E0410",
        help: "end the body with an expression of type `u64`",
        fixed: "contract C { pub view fn f(x: u64) -> u64 { let y = x + 1; y } }",
    },
    Case {
        name: "return with a value",
        broken: "contract C { pub view fn f(x: u64) { return x; } }",
        code: "E0401",
        help: "declare the return type `-> u64`",
        fixed: "contract C { pub view fn f(x: u64) -> u64 { return x; } }",
    },
    Case {
        name: "an undeclared event",
        broken: "contract C { pub fn f(x: u64) { emit Moved(x); } }",
        code: "E0307",
        help: "declare it: `event Moved(…);`",
        fixed: "contract C { event Moved(x: u64); pub fn f(x: u64) { emit Moved(x); } }",
    },
    Case {
        name: "a function used as a value",
        broken: "contract C { fn g() -> u64 { 1 } pub view fn f() -> u64 { g } }",
        code: "E0301",
        help: "call it with `g(…)`",
        fixed: "contract C { fn g() -> u64 { 1 } pub view fn f() -> u64 { g() } }",
    },
    Case {
        name: "a misspelt local",
        broken: "contract C { pub view fn f(amount: u64) -> u64 { amont + 1 } }",
        code: "E0301",
        help: "`amount`",
        fixed: "contract C { pub view fn f(amount: u64) -> u64 { amount + 1 } }",
    },
    Case {
        name: "msg.sender",
        broken: "contract C { pub view fn f() -> address { sender } }",
        code: "E0301",
        help: "the immediate caller is `caller`",
        fixed: "contract C { pub view fn f() -> address { caller } }",
    },
    Case {
        name: "a misspelt struct field",
        broken: "struct P { amount: u64 } contract C { pub view fn f(p: P) -> u64 { p.amuont } }",
        code: "E0305",
        help: "`amount`",
        fixed: "struct P { amount: u64 } contract C { pub view fn f(p: P) -> u64 { p.amount } }",
    },
    Case {
        name: "a tuple field by name",
        broken: "contract C { pub view fn f(p: (u64, u64)) -> u64 { p.first } }",
        code: "E0305",
        help: "tuple elements are numbered: `.0`, `.1`",
        fixed: "contract C { pub view fn f(p: (u64, u64)) -> u64 { p.0 } }",
    },
    Case {
        name: "self.field",
        broken: "contract C { storage { n: u64 } pub view fn f() -> u64 reads n { self.n } }",
        code: "E0305",
        help: "storage fields are used by name, without `self.`: `n`",
        fixed: "contract C { storage { n: u64 } pub view fn f() -> u64 reads n { n } }",
    },
    Case {
        name: "if without else as a value",
        broken: "contract C { pub view fn f(x: u64) -> u64 { let y = if x > 1 { 2 }; y } }",
        code: "E0401",
        help: "add an `else` branch",
        fixed: "contract C { pub view fn f(x: u64) -> u64 { let y = if x > 1 { 2 } else { 0 }; y } }",
    },
    Case {
        name: "a short address literal",
        broken: "contract C { pub view fn f() -> address { 0x1234 } }",
        code: "E0401",
        help: "an address literal is `0x` followed by exactly 40 hex digits",
        fixed: "contract C { pub view fn f() -> address { 0x0000000000000000000000000000000000001234 } }",
    },
    Case {
        name: "a tuple constant",
        broken: "const P: (u64, u64) = (1, 2); contract C { pub view fn f() -> u64 { P.0 } }",
        code: "E0408",
        help: "declare each component as its own constant",
        fixed: "const P0: u64 = 1; const P1: u64 = 2; contract C { pub view fn f() -> u64 { P0 + P1 } }",
    },
    // ----- access annotations
    Case {
        name: "a library function with storage",
        broken: "fn g() -> u64 reads n { 1 } contract C { pub view fn f() -> u64 { g() } }",
        code: "E0505",
        help: "pass the value in as a parameter",
        fixed: "fn g(n: u64) -> u64 { n } contract C { storage { n: u64 } pub view fn f() -> u64 reads n { g(n) } }",
    },
    Case {
        name: "a key on a scalar",
        broken: "contract C { storage { n: u64 } pub view fn f() -> u64 reads n[caller] { n } }",
        code: "E0505",
        help: "write `n`",
        fixed: "contract C { storage { n: u64 } pub view fn f() -> u64 reads n { n } }",
    },
    Case {
        name: "a map without a key",
        broken: "contract C { storage { m: map<address, u64> } pub view fn f() -> u64 reads m { m[caller] } }",
        code: "E0505",
        help: "write `m[key]` for one entry",
        fixed: "contract C { storage { m: map<address, u64> } pub view fn f() -> u64 reads m[caller] { m[caller] } }",
    },
    Case {
        name: "an impure annotation key",
        broken: "contract C { storage { n: u64, m: map<u64, u64> } pub fn f() reads n writes m[n] serial { m[n] = 1; } }",
        code: "E0503",
        help: "declare every key: `m[*]`",
        fixed: "contract C { storage { n: u64, m: map<u64, u64> } pub fn f() reads n writes m[*] serial { m[n] = 1; } }",
    },
    Case {
        name: "calls on an address parameter",
        broken: "use std::token::Token; contract C { pub fn f(t: address) calls t.transfer { (t as Token).transfer(caller, 1); } }",
        code: "E0413",
        help: "declare the parameter with a contract type, e.g. `token: Token`",
        fixed: "use std::token::Token; contract C { pub fn f(t: Token) calls t.transfer { t.transfer(caller, 1); } }",
    },
    Case {
        name: "calls on a stored contract",
        broken: "use std::token::Token; contract C { storage { token: Token } pub fn pay(to: address, x: u128) reads token calls token.transfer { token.transfer(to, x); } }",
        code: "E0503",
        help: "`require(expected_token == token, \"wrong token\");`",
        fixed: "use std::token::Token; contract C { storage { token: Token } pub fn pay(expected_token: Token, to: address, x: u128) reads token calls expected_token.transfer { require(expected_token == token, \"wrong token\"); expected_token.transfer(to, x); } }",
    },
    Case {
        name: "paying a stored address",
        broken: "use std::token::Token; contract C { storage { beneficiary: address } pub fn pay(t: Token, x: u128) reads beneficiary calls t.transfer { t.transfer(beneficiary, x); } }",
        code: "E0503",
        help: "`require(expected_beneficiary == beneficiary, \"wrong beneficiary\");`",
        fixed: "use std::token::Token; contract C { storage { beneficiary: address } pub fn pay(expected_beneficiary: address, t: Token, x: u128) reads beneficiary calls t.transfer { require(expected_beneficiary == beneficiary, \"wrong beneficiary\"); t.transfer(expected_beneficiary, x); } }",
    },
    Case {
        name: "a computed call argument",
        broken: "use std::token::Token; contract C { pub fn pay(t: Token, x: u128) calls t.transfer { let mut to = caller; t.transfer(to, x); } }",
        code: "E0503",
        help: "`require(expected == value, \"…\");`",
        fixed: "use std::token::Token; contract C { pub fn pay(expected: address, t: Token, x: u128) calls t.transfer { let mut to = caller; require(expected == to, \"…\"); t.transfer(expected, x); } }",
    },
    Case {
        name: "a write not covered",
        broken: "contract C { storage { m: map<address, u64> } pub fn f(x: u64) { m[caller] = x; } }",
        code: "E0501",
        help: "add `writes m[caller]`",
        fixed: "contract C { storage { m: map<address, u64> } pub fn f(x: u64) writes m[caller] { m[caller] = x; } }",
    },
    Case {
        name: "a write covered by a read",
        broken: "contract C { storage { m: map<address, u64> } pub fn f(x: u64) reads m[caller] { m[caller] = x; } }",
        code: "E0501",
        help: "change `reads m[caller]` to `writes m[caller]`",
        fixed: "contract C { storage { m: map<address, u64> } pub fn f(x: u64) writes m[caller] { m[caller] = x; } }",
    },
    Case {
        name: "a key from storage",
        broken: "contract C { storage { n: u64, m: map<u64, u64> } pub fn f() reads n { m[n] = 1; } }",
        code: "E0503",
        help: "add `writes m[*]`",
        fixed: "contract C { storage { n: u64, m: map<u64, u64> } pub fn f() reads n writes m[*] serial { m[n] = 1; } }",
    },
    Case {
        name: "a view that writes",
        broken: "contract C { storage { m: map<address, u64> } pub view fn f(x: u64) writes m[caller] { m[caller] = x; } }",
        code: "E0502",
        help: "drop `view` from `f`",
        fixed: "contract C { storage { m: map<address, u64> } pub fn f(x: u64) writes m[caller] { m[caller] = x; } }",
    },
    Case {
        name: "an external call not declared",
        broken: "use std::token::Token; contract C { pub fn f(t: Token) { t.transfer(caller, 1); } }",
        code: "E0504",
        help: "add `calls t.transfer`",
        fixed: "use std::token::Token; contract C { pub fn f(t: Token) calls t.transfer { t.transfer(caller, 1); } }",
    },
    Case {
        name: "an annotation never needed",
        broken: "contract C { storage { m: map<address, u64> } pub view fn f() -> u64 reads m[caller] { 1 } }",
        code: "W0501",
        help: "remove `m[caller]` from `reads`",
        fixed: "contract C { storage { m: map<address, u64> } pub view fn f() -> u64 { 1 } }",
    },
    Case {
        name: "a write that only reads",
        broken: "contract C { storage { m: map<address, u64> } pub fn f() -> u64 writes m[caller] { m[caller] } }",
        code: "W0501",
        help: "declare `reads m[caller]` instead",
        fixed: "contract C { storage { m: map<address, u64> } pub fn f() -> u64 reads m[caller] { m[caller] } }",
    },
    Case {
        name: "a calls entry never called",
        broken: "use std::token::Token; contract C { pub view fn f(t: Token) -> address calls t.transfer { t as address } }",
        code: "W0502",
        help: "remove `t.transfer` from `calls`",
        fixed: "use std::token::Token; contract C { pub view fn f(t: Token) -> address { t as address } }",
    },
    Case {
        name: "serial on a keyed pattern",
        broken: "contract C { storage { m: map<address, u64> } pub fn f(x: u64) writes m[caller] serial { m[caller] = x; } }",
        code: "E0505",
        help: "remove `serial`",
        fixed: "contract C { storage { m: map<address, u64> } pub fn f(x: u64) writes m[caller] { m[caller] = x; } }",
    },
    Case {
        name: "contention",
        broken: "contract C { storage { n: u64 } pub fn f() writes n { n += 1; } }",
        code: "W0503",
        help: "say so: `writes n serial`",
        fixed: "contract C { storage { n: u64 } pub fn f() writes n serial { n += 1; } }",
    },
    // ----- unused
    Case {
        name: "an unused parameter",
        broken: "contract C { pub view fn f(x: u64, memo: u64) -> u64 { x } }",
        code: "W0401",
        help: "name it `_memo`",
        fixed: "contract C { pub view fn f(x: u64, _memo: u64) -> u64 { x } }",
    },
    Case {
        name: "an unused local whose value has an effect",
        broken: "contract C { storage { m: map<address, u64> } fn bump() -> u64 writes m[caller] { m[caller] += 1; m[caller] } pub fn f() writes m[caller] { let n = bump(); } }",
        code: "W0401",
        help: "name it `_n` (the value is still computed",
        fixed: "contract C { storage { m: map<address, u64> } fn bump() -> u64 writes m[caller] { m[caller] += 1; m[caller] } pub fn f() writes m[caller] { let _n = bump(); } }",
    },
    Case {
        name: "an unused private function",
        broken: "contract C { fn g() -> u64 { 1 } pub view fn f() -> u64 { 2 } }",
        code: "W0402",
        help: "remove it, or name it `_g`",
        fixed: "contract C { fn _g() -> u64 { 1 } pub view fn f() -> u64 { 2 } }",
    },
];

/// Warnings a fixed source may not have: each says the code does less than written.
const LESS: &[Code] = &[
    Code::UnusedAccess,
    Code::UnusedCall,
    Code::UnusedLocal,
    Code::UnusedFunction,
];

fn compile(name: &str, text: &str) -> braid_compiler::driver::Compilation {
    compile_source(
        name,
        text.as_bytes(),
        None,
        &CompileOptions::default(),
        Stage::Bytecode,
    )
}

#[test]
fn every_help_followed_literally_compiles_into_what_was_written() {
    let mut failures = Vec::new();
    for case in CASES {
        let broken = compile("broken.braid", case.broken);
        let got = broken
            .diagnostics
            .iter()
            .find(|d| d.code.id() == case.code && d.help.iter().any(|h| h.contains(case.help)));
        if got.is_none() {
            failures.push(format!(
                "{}: no {} with help containing {:?}:\n{}",
                case.name,
                case.code,
                case.help,
                broken.render_diagnostics(false)
            ));
            continue;
        }
        let fixed = compile("fixed.braid", case.fixed);
        let bad: Vec<_> = fixed
            .diagnostics
            .iter()
            .filter(|d| {
                d.code.severity() == braid_compiler::diagnostics::Severity::Error
                    || LESS.contains(&d.code)
            })
            .collect();
        if !bad.is_empty() {
            failures.push(format!(
                "{}: the fixed source does not compile cleanly:\n{}",
                case.name,
                fixed.render_diagnostics(false)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The helps that must not be followed as before: a parameter named like a storage field
/// copied into a local of the same name compiles into a function that writes nothing.
#[test]
fn the_old_copy_into_a_local_fix_is_an_error_now() {
    let old_fix = "contract C { storage { owner: address } pub fn set(owner: address) writes owner serial { let mut owner = owner; owner = owner; } }";
    let c = compile("old.braid", old_fix);
    assert!(
        c.diagnostics
            .iter()
            .any(|d| d.code == Code::StorageNameClash),
        "{}",
        c.render_diagnostics(false)
    );
    assert!(c.has_errors());
}
