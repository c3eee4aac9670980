//! Property test: random well-typed Braid programs give identical results on the JIT
//! and on the interpreter.
//!
//! Each case generates the *source* of a contract from a seed: expressions of every
//! width (`u8`, `u64`, `u128`, `u256`, `bool`) over `+ - * / % & | ^ << >>`,
//! comparisons, `!`, `&&`, `||`, `as` casts, `if` expressions, the `std::math`
//! intrinsics (`min`, `max`, `pow`, `mul_div`, `mul_div_up`, `sqrt`) and the wrapping
//! builtins; `let mut` locals, `while` loops with bounded counters (and `break`),
//! `if`/`else`, calls to private functions (pure ones, and one that writes a map
//! entry and emits), reads and writes of scalar storage fields and of a map, events,
//! `require`. The real compiler compiles it; it is deployed on two chains, one per
//! engine, and the same transactions (arguments drawn from edge values, so that many
//! overflow, divide by zero or fail a `require`) run on both: the receipts (status,
//! gas used, return words, events, failure stack) and the state digests must be
//! identical. Each transaction is then re-run, from the same state, with gas limits
//! below its full cost (every value in a window just below it, and a spread of
//! smaller ones), so that gas runs out at many different points: identical again.
//!
//! A failing case prints the program's source and the seed.

use braid_compiler::driver::{CompileOptions, Stage, compile_source};
use braid_vm::{Address, BlockContext, Chain, EngineKind, Receipt, Transaction, U256};
use proptest::prelude::*;
use std::fmt::Write as _;

/// The gas limit of the full-cost runs: enough for every bounded loop the generator
/// writes, so that out-of-gas comes from the sweeps.
const GAS: u64 = 400_000;

/// A tiny deterministic generator (SplitMix64): the program is a function of the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// The value types of the generated programs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    U8,
    U64,
    U128,
    U256,
    Bool,
}

const INTS: [Ty; 4] = [Ty::U8, Ty::U64, Ty::U128, Ty::U256];

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::U8 => "u8",
            Ty::U64 => "u64",
            Ty::U128 => "u128",
            Ty::U256 => "u256",
            Ty::Bool => "bool",
        }
    }

    fn bits(self) -> u32 {
        match self {
            Ty::U8 => 8,
            Ty::U64 => 64,
            Ty::U128 => 128,
            Ty::U256 => 256,
            Ty::Bool => 1,
        }
    }

    fn max(self) -> U256 {
        if self == Ty::U256 {
            U256::MAX
        } else {
            (U256::from(1u8) << self.bits()) - U256::from(1u8)
        }
    }
}

/// A value of `ty` that matters: 0, 1, 2, the maximum and its neighbours, half the
/// range, small numbers, random bits.
fn edge_value(rng: &mut Rng, ty: Ty) -> U256 {
    let max = ty.max();
    let v = match rng.below(9) {
        0 => U256::ZERO,
        1 => U256::from(1u8),
        2 => U256::from(2u8),
        3 => max,
        4 => max - U256::from(1u8),
        5 => max >> (ty.bits() / 2),
        6 | 7 => U256::from(rng.below(40)),
        _ => {
            U256::from_limbs([rng.next(), rng.next(), rng.next(), rng.next()])
                >> rng.below(u64::from(ty.bits()))
        }
    };
    v & max
}

/// A variable in scope: its name and type.
#[derive(Clone)]
struct Var {
    name: String,
    ty: Ty,
}

/// A generated expression: its text, and whether it is a literal (the compiler folds
/// operations on literals and rejects those that overflow, so the generator never
/// combines two literals).
struct Expr {
    text: String,
    literal: bool,
}

/// A pure helper function: `fn name(p: ty, q: ty) -> ty`.
struct Helper {
    name: String,
    ty: Ty,
}

/// The state of the generator while it writes one function body.
struct Gen<'a> {
    rng: &'a mut Rng,
    /// Variables readable here (parameters, locals).
    vars: Vec<Var>,
    /// Locals that may be assigned.
    mutable: Vec<Var>,
    /// Whether the function may touch storage (`run`) or is pure (a helper).
    storage: bool,
    /// The helpers this function may call.
    helpers: &'a [Helper],
    /// Counter for fresh loop-counter names.
    fresh: &'a mut usize,
    /// How many loops enclose the current statement.
    loop_depth: usize,
    /// A tame program: small literals, wrapping `-` and `*`, divisors and casts that
    /// cannot fail, so that most of its transactions succeed (run with small inputs).
    tame: bool,
}

/// The storage fields: one scalar per type, and `m: map<u64, u128>` keyed by `k`.
const SCALARS: [(&str, Ty); 5] = [
    ("s8", Ty::U8),
    ("s64", Ty::U64),
    ("s128", Ty::U128),
    ("s256", Ty::U256),
    ("sb", Ty::Bool),
];

impl Gen<'_> {
    fn literal(&mut self, ty: Ty) -> Expr {
        let text = match ty {
            Ty::Bool => if self.rng.chance(50) { "true" } else { "false" }.to_string(),
            _ if self.tame => format!("{}{}", self.rng.below(40), ty.name()),
            _ => format!("{}{}", edge_value(self.rng, ty), ty.name()),
        };
        Expr {
            text,
            literal: true,
        }
    }

    /// A non-literal leaf of `ty`: a variable, a storage read, or a cast of one.
    fn leaf(&mut self, ty: Ty) -> Expr {
        let mut options: Vec<String> = self
            .vars
            .iter()
            .filter(|v| v.ty == ty)
            .map(|v| v.name.clone())
            .collect();
        if self.storage {
            options.extend(
                SCALARS
                    .iter()
                    .filter(|(_, t)| *t == ty)
                    .map(|(n, _)| n.to_string()),
            );
            if ty == Ty::U128 {
                options.push("m[k]".to_string());
            }
        }
        if options.is_empty() || (ty != Ty::Bool && self.rng.chance(10)) {
            // A cast from a variable of another width (or a comparison for bool).
            let others: Vec<Var> = self
                .vars
                .iter()
                .filter(|v| v.ty != Ty::Bool && v.ty != ty)
                .cloned()
                .collect();
            if let Some(v) = (!others.is_empty()).then(|| self.rng.pick(&others).clone()) {
                let text = if ty == Ty::Bool {
                    format!("({} > {}{})", v.name, self.rng.below(3), v.ty.name())
                } else if self.tame {
                    format!("(({} & 127{}) as {})", v.name, v.ty.name(), ty.name())
                } else {
                    format!("({} as {})", v.name, ty.name())
                };
                return Expr {
                    text,
                    literal: false,
                };
            }
        }
        Expr {
            text: self.rng.pick(&options).clone(),
            literal: false,
        }
    }

    fn non_literal(&mut self, ty: Ty, depth: u32) -> Expr {
        let e = self.expr(ty, depth);
        if e.literal { self.leaf(ty) } else { e }
    }

    /// Two operands of `ty`, not both literals.
    fn operands(&mut self, ty: Ty, depth: u32) -> (Expr, Expr) {
        let a = self.expr(ty, depth);
        let b = self.expr(ty, depth);
        if a.literal && b.literal {
            (self.leaf(ty), b)
        } else {
            (a, b)
        }
    }

    fn expr(&mut self, ty: Ty, depth: u32) -> Expr {
        if depth == 0 || self.rng.chance(25) {
            return if self.rng.chance(30) {
                self.literal(ty)
            } else {
                self.leaf(ty)
            };
        }
        let d = depth - 1;
        let text = if ty == Ty::Bool {
            match self.rng.below(7) {
                0 | 1 => {
                    let t = *self.rng.pick(&INTS);
                    let (a, b) = self.operands(t, d);
                    let op = self.rng.pick(&["==", "!=", "<", "<=", ">", ">="]);
                    format!("({} {op} {})", a.text, b.text)
                }
                2 => format!("!{}", self.non_literal(Ty::Bool, d).text),
                3 => {
                    let (a, b) = self.operands(Ty::Bool, d);
                    let op = self.rng.pick(&["&&", "||", "==", "!=", "&", "|", "^"]);
                    format!("({} {op} {})", a.text, b.text)
                }
                4 => self.if_expr(ty, d),
                _ => return self.leaf(ty),
            }
        } else {
            match self.rng.below(12) {
                0..=3 => {
                    let (a, mut b) = self.operands(ty, d);
                    // Tame programs keep values small: no `-` (nor `!`, `wrapping_sub`).
                    let ops: &[&str] = if self.tame {
                        &["+", "*", "/", "%", "&", "|", "^"]
                    } else {
                        &["+", "-", "*", "/", "%", "&", "|", "^"]
                    };
                    let op = *self.rng.pick(ops);
                    if (op == "/" || op == "%") && b.literal && b.text.starts_with("0") {
                        // A literal zero divisor is a compile-time error.
                        b = self.leaf(ty);
                    }
                    match op {
                        "*" if self.tame => format!("wrapping_mul({}, {})", a.text, b.text),
                        // Most divisors cannot be zero, so that programs go on.
                        "/" | "%" if self.tame || self.rng.chance(60) => {
                            format!("({} {op} ({} | 1{}))", a.text, b.text, ty.name())
                        }
                        _ => format!("({} {op} {})", a.text, b.text),
                    }
                }
                4 => {
                    let a = self.non_literal(ty, d);
                    let op = self.rng.pick(&["<<", ">>"]);
                    let amount = if self.rng.chance(50) {
                        // A constant amount below the width (E0409 otherwise).
                        format!("{}{}", self.rng.below(u64::from(ty.bits())), ty.name())
                    } else {
                        let t = *self.rng.pick(&INTS);
                        self.non_literal(t, d).text
                    };
                    format!("({} {op} {amount})", a.text)
                }
                5 => {
                    let from = *self.rng.pick(&INTS);
                    let e = self.non_literal(from, d).text;
                    if self.tame {
                        format!("(({e} & 127{}) as {})", from.name(), ty.name())
                    } else {
                        format!("({e} as {})", ty.name())
                    }
                }
                6 if self.tame => format!("({} >> 1{})", self.non_literal(ty, d).text, ty.name()),
                6 => format!("(!{})", self.non_literal(ty, d).text),
                7 => self.if_expr(ty, d),
                8 => {
                    let (a, b) = self.operands(ty, d);
                    let fs: &[&str] = if self.tame {
                        &["min", "max", "wrapping_add", "wrapping_mul"]
                    } else {
                        &[
                            "min",
                            "max",
                            "pow",
                            "wrapping_add",
                            "wrapping_sub",
                            "wrapping_mul",
                        ]
                    };
                    let f = self.rng.pick(fs);
                    format!("{f}({}, {})", a.text, b.text)
                }
                9 => {
                    let (a, b) = self.operands(ty, d);
                    let mut c = self.non_literal(ty, d).text;
                    if self.tame {
                        c = format!("({c} | 1{})", ty.name());
                    }
                    let f = self.rng.pick(&["mul_div", "mul_div_up"]);
                    format!("{f}({}, {}, {c})", a.text, b.text)
                }
                10 => {
                    let a = self.non_literal(ty, d);
                    format!("sqrt({})", a.text)
                }
                _ => {
                    let callable: Vec<usize> = (0..self.helpers.len())
                        .filter(|&i| self.helpers[i].ty == ty)
                        .collect();
                    if callable.is_empty() {
                        return self.leaf(ty);
                    }
                    let h = *self.rng.pick(&callable);
                    let (a, b) = self.operands(ty, d);
                    format!("{}({}, {})", self.helpers[h].name, a.text, b.text)
                }
            }
        };
        Expr {
            text,
            literal: false,
        }
    }

    fn if_expr(&mut self, ty: Ty, d: u32) -> String {
        let c = self.non_literal(Ty::Bool, d);
        let a = self.expr(ty, d);
        let b = self.expr(ty, d);
        format!("(if {} {{ {} }} else {{ {} }})", c.text, a.text, b.text)
    }

    /// A statement (or a few), indented by `ind`.
    fn stmt(&mut self, out: &mut String, ind: usize, depth: u32) {
        let pad = "    ".repeat(ind);
        let nest = depth > 0;
        match self.rng.below(14) {
            0..=2 if !self.mutable.is_empty() => {
                let v = self.rng.pick(&self.mutable).clone();
                let e = self.expr(v.ty, 3);
                let op = if v.ty != Ty::Bool && self.rng.chance(40) {
                    *self.rng.pick(if self.tame {
                        &["+="]
                    } else {
                        &["+=", "-=", "*="]
                    })
                } else {
                    "="
                };
                let _ = writeln!(out, "{pad}{} {op} {};", v.name, e.text);
            }
            3 | 4 if self.storage => {
                let (name, ty) = *self.rng.pick(&SCALARS);
                let e = self.expr(ty, 3);
                let _ = writeln!(out, "{pad}{name} = {};", e.text);
            }
            5 if self.storage => {
                let e = self.expr(Ty::U128, 3);
                let op = self.rng.pick(&["=", "+="]);
                let _ = writeln!(out, "{pad}m[k] {op} {};", e.text);
            }
            6 if self.storage => {
                let e = self.expr(Ty::U128, 2);
                if self.rng.chance(50) {
                    let _ = writeln!(out, "{pad}bump(k, {});", e.text);
                } else {
                    // An external call; its key argument must be a pure path.
                    let _ = writeln!(out, "{pad}xu128 = q.g(k, {});", e.text);
                }
            }
            7 if self.storage => {
                let a = self.expr(Ty::U64, 2);
                let b = self.expr(Ty::U256, 2);
                let c = self.expr(Ty::Bool, 2);
                let _ = writeln!(out, "{pad}emit E({}, {}, {});", a.text, b.text, c.text);
            }
            8 if !self.tame || self.rng.chance(40) => {
                let c = self.non_literal(Ty::Bool, 2);
                let n = self.rng.below(4);
                let _ = writeln!(out, "{pad}require({}, \"r{n}\");", c.text);
            }
            9 | 10 if nest => {
                let c = self.non_literal(Ty::Bool, 2);
                let _ = writeln!(out, "{pad}if {} {{", c.text);
                self.block(out, ind + 1, depth - 1);
                if self.rng.chance(60) {
                    let _ = writeln!(out, "{pad}}} else {{");
                    self.block(out, ind + 1, depth - 1);
                }
                let _ = writeln!(out, "{pad}}}");
            }
            11 | 12 if nest => {
                let i = format!("i{}", *self.fresh);
                *self.fresh += 1;
                let bound = match self.rng.below(3) {
                    0 => format!("{}u64", self.rng.below(12)),
                    _ => {
                        let v = self.leaf(Ty::U64);
                        format!("({} % {}u64)", v.text, 2 + self.rng.below(14))
                    }
                };
                let _ = writeln!(out, "{pad}let mut {i}: u64 = 0u64;");
                let _ = writeln!(out, "{pad}while {i} < {bound} {{");
                let _ = writeln!(out, "{pad}    {i} += 1u64;");
                self.vars.push(Var {
                    name: i.clone(),
                    ty: Ty::U64,
                });
                self.loop_depth += 1;
                self.block(out, ind + 1, depth - 1);
                self.loop_depth -= 1;
                self.vars.pop();
                let _ = writeln!(out, "{pad}}}");
            }
            13 if self.loop_depth > 0 => {
                let c = self.non_literal(Ty::Bool, 1);
                let what = if self.rng.chance(50) {
                    "break"
                } else {
                    "continue"
                };
                let _ = writeln!(out, "{pad}if {} {{ {what}; }}", c.text);
            }
            _ => {
                if let Some(v) = self.mutable.first().cloned() {
                    let e = self.expr(v.ty, 2);
                    let _ = writeln!(out, "{pad}{} = {};", v.name, e.text);
                }
            }
        }
    }

    fn block(&mut self, out: &mut String, ind: usize, depth: u32) {
        for _ in 1..3 + self.rng.below(4) {
            self.stmt(out, ind, depth);
        }
    }
}

/// The parameters of `run`, by type.
const PARAMS: [(&str, Ty); 6] = [
    ("a", Ty::U8),
    ("b", Ty::U64),
    ("c", Ty::U128),
    ("d", Ty::U256),
    ("e", Ty::Bool),
    ("k", Ty::U64),
];

/// The source of a random contract, from `seed`, and whether it is tame.
fn program(seed: u64) -> (String, bool) {
    let mut rng = Rng(seed);
    let tame = rng.chance(60);
    let mut fresh = 0;
    let mut src = String::from(
        "use std::math::{min, max, pow, sqrt, mul_div, mul_div_up};\n\n\
         contract P {\n    storage {\n        s8: u8,\n        s64: u64,\n        s128: u128,\n        \
         s256: u256,\n        sb: bool,\n        m: map<u64, u128>,\n    }\n\n    \
         event E(x: u64, y: u256, z: bool);\n\n    init() {}\n\n",
    );
    // Pure helpers; helper i may call helpers before it.
    let mut helpers: Vec<Helper> = Vec::new();
    for i in 0..rng.below(4) {
        let ty = *rng.pick(&INTS);
        let params = vec![
            Var {
                name: "p".into(),
                ty,
            },
            Var {
                name: "q".into(),
                ty,
            },
        ];
        let mut g = Gen {
            rng: &mut rng,
            vars: params,
            mutable: Vec::new(),
            storage: false,
            helpers: &helpers,
            fresh: &mut fresh,
            loop_depth: 0,
            tame,
        };
        let body = g.expr(ty, 3).text;
        let t = ty.name();
        let _ = write!(
            src,
            "    fn h{i}(p: {t}, q: {t}) -> {t} {{\n        {body}\n    }}\n\n"
        );
        helpers.push(Helper {
            name: format!("h{i}"),
            ty,
        });
    }
    src.push_str(
        "    fn bump(key: u64, v: u128)\n        writes m[key]\n    {\n        \
         m[key] = wrapping_add(m[key], v);\n        emit E(key, v as u256, v > 7u128);\n    }\n\n",
    );
    src.push_str(
        "    pub fn run(a: u8, b: u64, c: u128, d: u256, e: bool, k: u64, q: Q) -> (u128, u256, bool)\n        \
         writes s8 serial, s64 serial, s128 serial, s256 serial, sb serial, m[k]\n        \
         calls q.g\n    {\n",
    );
    let params: Vec<Var> = PARAMS
        .iter()
        .map(|(n, t)| Var {
            name: n.to_string(),
            ty: *t,
        })
        .collect();
    let mut g = Gen {
        rng: &mut rng,
        vars: params,
        mutable: Vec::new(),
        storage: true,
        helpers: &helpers,
        fresh: &mut fresh,
        loop_depth: 0,
        tame,
    };
    for ty in [Ty::U8, Ty::U64, Ty::U128, Ty::U256, Ty::Bool] {
        let init = g.expr(ty, 2).text;
        let name = format!("x{}", ty.name());
        let _ = writeln!(src, "        let mut {name}: {} = {init};", ty.name());
        let v = Var { name, ty };
        g.vars.push(v.clone());
        g.mutable.push(v);
    }
    g.block(&mut src, 2, 2);
    g.block(&mut src, 2, 2);
    let r1 = g.expr(Ty::U128, 2).text;
    let r2 = g.expr(Ty::U256, 2).text;
    let r3 = g.expr(Ty::Bool, 2).text;
    let _ = write!(src, "        ({r1}, {r2}, {r3})\n    }}\n}}\n");
    // The callee of `run`'s external calls: it writes its own storage, emits, and
    // may fail (which fails the whole transaction).
    let vars = vec![
        Var {
            name: "x".into(),
            ty: Ty::U64,
        },
        Var {
            name: "y".into(),
            ty: Ty::U128,
        },
    ];
    let mut g = Gen {
        rng: &mut rng,
        vars,
        mutable: Vec::new(),
        storage: false,
        helpers: &[],
        fresh: &mut fresh,
        loop_depth: 0,
        tame,
    };
    let e1 = g.expr(Ty::U128, 2).text;
    let cond = g.non_literal(Ty::Bool, 2).text;
    let ret = g.expr(Ty::U128, 3).text;
    let _ = write!(
        src,
        "\ncontract Q {{\n    storage {{\n        t: map<u64, u128>,\n        n: u64,\n    }}\n\n    \
         event G(x: u64, y: u128);\n\n    \
         pub fn g(x: u64, y: u128) -> u128\n        writes t[x], n serial\n    {{\n        \
         t[x] = wrapping_add(t[x], {e1});\n        n = wrapping_add(n, 1u64);\n        \
         emit G(x, y);\n        require({cond}, \"q\");\n        {ret}\n    }}\n}}\n"
    );
    (src, tame)
}

fn block(n: u64) -> BlockContext {
    BlockContext {
        number: n,
        timestamp: 1_000 + n,
    }
}

const ALICE: Address = [0xa1; 20];

/// Compiles `src` (contracts `P` and `Q`), or gives the diagnostics.
fn compile(src: &str) -> Result<Vec<braid_bytecode::Module>, String> {
    let opts = CompileOptions {
        include_dirs: Vec::new(),
        contracts_dir: None,
    };
    let c = compile_source("p.braid", src.as_bytes(), None, &opts, Stage::Bytecode);
    if c.has_errors() {
        return Err(c.render_diagnostics(false));
    }
    Ok(c.modules)
}

/// Two chains, interpreter and JIT, with the program's contracts deployed (in the
/// compiler's order); their addresses.
fn chains(modules: &[braid_bytecode::Module]) -> ([Chain; 2], Vec<(String, Address)>) {
    let mut addrs = Vec::new();
    let cs = [EngineKind::Interp, EngineKind::Jit].map(|e| {
        let mut chain = Chain::new();
        chain.set_engine(e).expect("an empty chain switches engine");
        addrs.clear();
        for m in modules {
            let code = chain
                .load_module(m.clone())
                .expect("compiled code verifies and the JIT compiles it");
            let a = chain
                .deploy(code, ALICE, vec![], block(0), GAS)
                .expect("init is empty");
            addrs.push((m.name.clone(), a));
        }
        chain
    });
    (cs, addrs)
}

/// Runs `tx` on both chains (clones when `keep` is false) and checks they agree.
fn run_both(cs: &mut [Chain; 2], tx: &Transaction, n: u64, what: &str) -> Receipt {
    let [ri, rj] = cs.each_mut().map(|c| {
        c.execute_block(block(n), std::slice::from_ref(tx))
            .expect("within the block gas limit")
            .remove(0)
    });
    assert_eq!(ri, rj, "{what}: receipts differ (interp, jit)");
    assert_eq!(
        cs[0].digest(),
        cs[1].digest(),
        "{what}: state digests differ"
    );
    ri
}

/// What one program's transactions did, so that the tests cannot pass vacuously.
#[derive(Default, Debug)]
struct Stats {
    txs: usize,
    ok: usize,
    panics: usize,
    reverts: usize,
    out_of_gas: usize,
    /// Successful transactions whose external call ran (`Q`'s event `G` is in the
    /// receipt).
    external: usize,
    /// Failed external calls: re-entry into `P`, or a call to an account.
    bad_calls: usize,
    /// Transactions re-run with every gas limit below their full cost.
    exhaustive: usize,
}

impl Stats {
    fn add(&mut self, s: &Stats) {
        self.txs += s.txs;
        self.ok += s.ok;
        self.panics += s.panics;
        self.reverts += s.reverts;
        self.out_of_gas += s.out_of_gas;
        self.external += s.external;
        self.bad_calls += s.bad_calls;
        self.exhaustive += s.exhaustive;
    }
}

/// Compiles the program of `seed`, runs four transactions and their gas sweeps on
/// both engines, and asserts they agree. With `every_limit`, each transaction of a
/// full cost up to [`EXHAUSTIVE_MAX`] is re-run with every gas limit below it, not
/// only a window and a spread.
fn check_program(seed: u64, every_limit: bool) -> Stats {
    let mut stats = Stats::default();
    let (src, tame) = program(seed);
    let modules = match compile(&src) {
        Ok(m) => m,
        Err(diags) => {
            panic!("seed {seed}: the generated program does not compile:\n{src}\n{diags}")
        }
    };
    let (mut cs, addrs) = chains(&modules);
    let named = |n: &str| {
        addrs
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, a)| *a)
            .expect("both contracts deployed")
    };
    let (to, q) = (named("P"), named("Q"));
    let mut rng = Rng(seed ^ 0x5eed);
    for n in 1..=4u64 {
        let mut args: Vec<U256> = PARAMS
            .iter()
            .map(|(_, t)| match t {
                Ty::Bool => U256::from(rng.below(2)),
                // A key from a small set, so that map entries are read back.
                _ if n > 1 && rng.chance(30) => U256::from(rng.below(3)),
                _ if tame => U256::from(rng.below(20)),
                t => edge_value(&mut rng, *t),
            })
            .collect();
        // `q`: the callee mostly; now and then `P` itself (re-entry), or an account
        // (a bad call).
        let target = match rng.below(10) {
            0 => to,
            1 => ALICE,
            _ => q,
        };
        args.push(braid_bytecode::encode::address_to_word(&target));
        let mut tx = Transaction {
            sender: ALICE,
            to,
            function: "run".into(),
            args,
            gas_limit: GAS,
        };
        let what = format!("seed {seed}, tx {n} {:?}\n{src}", tx.args);
        // Gas limits below the full cost, each from the state before the transaction.
        let full = {
            let mut probe = cs.clone();
            run_both(&mut probe, &tx, n, &what).gas_used
        };
        let mut limits: Vec<u64> = (1..=12).filter_map(|d| full.checked_sub(d)).collect();
        limits.extend([full / 2, full / 3, full / 7, full / 13, 1, 0]);
        limits.extend((0..4).map(|_| rng.below(full.max(1))));
        if every_limit && full <= EXHAUSTIVE_MAX {
            limits = (0..full).collect();
            stats.exhaustive += 1;
        }
        limits.sort_unstable();
        limits.dedup();
        for g in limits {
            let mut c = cs.clone();
            tx.gas_limit = g;
            let r = run_both(&mut c, &tx, n, &format!("gas {g}: {what}"));
            if matches!(r.status, Err(braid_vm::Failure::OutOfGas)) {
                stats.out_of_gas += 1;
            }
        }
        tx.gas_limit = GAS;
        let r = run_both(&mut cs, &tx, n, &what);
        stats.txs += 1;
        match &r.status {
            Ok(()) => stats.ok += 1,
            Err(braid_vm::Failure::Panic(_)) => stats.panics += 1,
            Err(braid_vm::Failure::Revert(_)) => stats.reverts += 1,
            Err(braid_vm::Failure::Reentrancy | braid_vm::Failure::BadCall(_)) => {
                stats.bad_calls += 1
            }
            _ => {}
        }
        stats.external += usize::from(r.events.iter().any(|e| e.name() == "G"));
    }
    stats
}

/// The largest full cost swept exhaustively (each limit is two runs).
const EXHAUSTIVE_MAX: u64 = 4_000;

const CASES: u32 = 128;

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn random_programs_agree_on_both_engines(seed in any::<u64>()) {
        let stats = check_program(seed, false);
        prop_assert_eq!(stats.txs, 4);
    }
}

/// Every generated program compiles (the generator writes only well-typed code), and
/// fixed seeds agree on both engines with every outcome represented: successes,
/// panics (overflow, division by zero, conversion), reverts and out-of-gas.
#[test]
fn fixed_seeds_compile_run_and_exercise_every_outcome() {
    let mut total = Stats::default();
    for seed in 0..64 {
        total.add(&check_program(seed, false));
    }
    eprintln!("{total:?}");
    assert_eq!(total.txs, 256);
    assert!(total.ok >= 10, "{total:?}");
    assert!(total.panics >= 10, "{total:?}");
    assert!(total.reverts >= 3, "{total:?}");
    assert!(total.out_of_gas >= 500, "{total:?}");
    assert!(total.external >= 3, "{total:?}");
    assert!(total.bad_calls >= 1, "{total:?}");
}
/// Prints the program of `SEED` (`SEED=5 cargo test --test jit_programs show_program
/// -- --ignored --nocapture`), to look at what the generator writes.
#[test]
#[ignore = "prints one program; for looking at the generator"]
fn show_program() {
    let seed = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    println!("{}", program(seed).0);
}

/// Gas runs out at every possible point: a few programs, each transaction re-run with
/// every gas limit from 0 to its full cost.
#[test]
fn every_gas_limit_agrees_on_a_few_programs() {
    let mut total = Stats::default();
    for seed in 100..116 {
        total.add(&check_program(seed, true));
    }
    eprintln!("{total:?}");
    assert_eq!(total.txs, 64);
    assert!(total.exhaustive >= 20, "{total:?}");
    assert!(total.out_of_gas >= 20_000, "{total:?}");
}
