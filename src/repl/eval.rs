//! Evaluating Braid code typed at the prompt.
//!
//! The compiler has no entry point for "one expression in a scope of session
//! declarations", so the REPL synthesizes a tiny contract around each input and
//! compiles it with the ordinary driver (an in-memory root, file imports through
//! [`SessionLoader`]):
//!
//! ```text
//! use token::Token;                      // every contract `:load` made available
//! <the session's fn / struct / const / use items>
//! contract __Repl {
//!     pub fn __eval(__p0: u128, __p1: Token) -> (u128, u128) {
//!         let mut x: u128 = __p0;        // each binding, passed in as an argument
//!         let usd: Token = __p1;         // each deployed instance, by its name
//!         let __it = (<the input>);      // or the input as statements
//!         (__it, x)                      // the value and every binding's new value
//!     }
//! }
//! ```
//!
//! It compiles twice: once to the typed HIR to learn the input's type (and a new
//! binding's), then to bytecode with that return type. The module is deployed on a
//! clone of the session's chain and `__eval` runs as a view, so nothing persists but
//! the returned values. Diagnostics are shown against the input alone.

use super::loader::SessionLoader;
use braid_bytecode::{Module, U256, ValueType};
use braid_compiler::diagnostics::{Diagnostic, Severity};
use braid_compiler::driver::{self, Compilation, Stage};
use braid_compiler::hir;
use braid_compiler::source::SourceMap;
use braid_compiler::span::{FileId, Span};
use braid_vm::{Address, BlockContext, Chain, Transaction};
use std::collections::BTreeMap;
use std::ops::Range;

/// The scratch contract's name.
const SCRATCH_CONTRACT: &str = "__Repl";
/// The scratch function's name.
const SCRATCH_FN: &str = "__eval";
/// The local that holds an expression's value.
const VALUE_LOCAL: &str = "__it";
/// Gas for one evaluation (a transaction's default limit).
const EVAL_GAS: u64 = 10_000_000;

/// A persistent `let` binding of the session.
#[derive(Clone, Debug)]
pub struct Binding {
    /// Its name.
    pub name: String,
    /// Its type as written in Braid source.
    pub ty_src: String,
    /// Its type in the bytecode.
    pub ty: ValueType,
    /// Its value, flattened.
    pub words: Vec<U256>,
    /// Declared `let mut`.
    pub mutable: bool,
}

/// A name in scope with a fixed value (a deployed instance).
#[derive(Clone, Debug)]
pub struct Fixed {
    /// Its name.
    pub name: String,
    /// Its contract type's name.
    pub contract: String,
    /// Its address as a word.
    pub word: U256,
}

/// What the scratch source can see.
pub struct Scope<'a> {
    /// `use` lines that import the loaded contracts.
    pub imports: &'a [String],
    /// The session's items (`fn`, `struct`, `const`, `use`).
    pub items: &'a [String],
    /// The session's bindings.
    pub bindings: &'a [Binding],
    /// The deployed instances, as names of contract type.
    pub fixed: &'a [Fixed],
    /// Where imports are found.
    pub loader: &'a SessionLoader,
    /// Whether diagnostics get ANSI colours.
    pub colour: bool,
}

/// The result of evaluating one input.
#[derive(Debug)]
pub struct Evaluated {
    /// The input's value and its type as written, when it has one.
    pub value: Option<(String, ValueType, Vec<U256>)>,
    /// Every binding after the input (updated values; a `let` adds or replaces one).
    pub bindings: Vec<Binding>,
    /// The name a `let` bound.
    pub bound: Option<String>,
}

/// What a piece of code is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code {
    /// An item that joins the session's scope.
    Item(String),
    /// `let [mut] name [: T] = expr`.
    Let {
        /// The bound name.
        name: String,
        /// Declared `mut`.
        mutable: bool,
        /// The whole statement, ending in `;`.
        stmt: String,
    },
    /// An expression, or statements.
    Other(String),
}

/// Classifies an input of Braid code.
pub fn classify(text: &str) -> Code {
    let t = text.trim();
    let first = t.split_whitespace().next().unwrap_or("");
    if matches!(first, "fn" | "struct" | "const" | "use" | "contract") {
        return Code::Item(t.to_string());
    }
    if first == "let" {
        let rest = t[3..].trim_start();
        let (mutable, rest) = match rest.strip_prefix("mut ") {
            Some(r) => (true, r.trim_start()),
            None => (false, rest),
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if super::input::is_ident(&name) {
            let mut stmt = t.to_string();
            if !stmt.ends_with(';') {
                stmt.push(';');
            }
            return Code::Let {
                name,
                mutable,
                stmt,
            };
        }
    }
    Code::Other(t.to_string())
}

/// Rewrites what the REPL accepts beyond Braid's syntax: `@name` becomes an address
/// literal (the instance named `name`, else the named account, as in arguments), and
/// a path `std::math::sqrt` becomes `sqrt` with a `use std::math::{sqrt};` added to
/// `uses`. Returns the rewritten text and the account names it used.
pub fn rewrite(
    text: &str,
    instances: &BTreeMap<String, Address>,
    uses: &mut Vec<String>,
) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut accounts = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut in_string = false;
    let ident_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                    i += 1;
                }
            } else if c == '"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        if c == '"' {
            in_string = true;
            out.push(c);
            i += 1;
            continue;
        }
        let starts_word = i == 0 || !ident_char(chars[i - 1]);
        if c == '@' && chars.get(i + 1).is_some_and(|&n| ident_char(n)) {
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|&&n| ident_char(n))
                .collect();
            i += 1 + name.chars().count();
            let addr = match instances.get(&name) {
                Some(addr) => *addr,
                None => {
                    let addr = braid_bytecode::encode::account_address(&name);
                    accounts.push(name);
                    addr
                }
            };
            out.push_str(&format!("0x{}", hex::encode(addr)));
            continue;
        }
        if starts_word && chars[i..].starts_with(&['s', 't', 'd', ':', ':']) {
            let path: String = chars[i..]
                .iter()
                .take_while(|&&n| ident_char(n) || n == ':')
                .collect();
            let parts: Vec<&str> = path.split("::").collect();
            if parts.len() == 3 && parts.iter().all(|p| super::input::is_ident(p)) {
                let import = format!("use std::{}::{{{}}};", parts[1], parts[2]);
                if !uses.contains(&import) {
                    uses.push(import);
                }
                out.push_str(parts[2]);
                i += path.chars().count();
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    (out, accounts)
}

/// A synthesized source and where the input sits in it.
struct Synth {
    text: String,
    input: Range<usize>,
}

/// How the scratch function ends.
enum Tail<'a> {
    /// Phase one: no return value.
    None,
    /// Return these locals (as a tuple when more than one), typed.
    Return(&'a [(String, String)]),
}

impl Scope<'_> {
    /// Builds the scratch source around `input` (already the statement(s) to embed).
    fn synthesize(
        &self,
        extra_uses: &[String],
        prelude: &[&Binding],
        before: &str,
        input: &str,
        after: &str,
        tail: &Tail<'_>,
    ) -> Synth {
        let mut text = String::new();
        let extra = extra_uses.iter().filter(|u| !self.items.contains(u));
        for line in self.imports.iter().chain(extra).chain(self.items) {
            text.push_str(line);
            text.push('\n');
        }
        let mut params = Vec::new();
        let mut lets = String::new();
        for (i, b) in prelude.iter().enumerate() {
            params.push(format!("__p{i}: {}", b.ty_src));
            let m = if b.mutable { "mut " } else { "" };
            lets.push_str(&format!(
                "        let {m}{}: {} = __p{i};\n",
                b.name, b.ty_src
            ));
        }
        for (j, f) in self.fixed.iter().enumerate() {
            let i = prelude.len() + j;
            params.push(format!("__p{i}: {}", f.contract));
            lets.push_str(&format!(
                "        let {}: {} = __p{i};\n",
                f.name, f.contract
            ));
        }
        let ret = match tail {
            Tail::None => String::new(),
            Tail::Return(locals) => match locals {
                [] => String::new(),
                [(_, ty)] => format!(" -> {ty}"),
                many => {
                    let tys: Vec<&str> = many.iter().map(|(_, t)| t.as_str()).collect();
                    format!(" -> ({})", tys.join(", "))
                }
            },
        };
        text.push_str(&format!(
            "contract {SCRATCH_CONTRACT} {{\n    pub fn {SCRATCH_FN}({}){ret} {{\n{lets}        {before}",
            params.join(", ")
        ));
        let start = text.len();
        text.push_str(input);
        let input_range = start..text.len();
        text.push_str(after);
        text.push('\n');
        if let Tail::Return(locals) = tail {
            match locals {
                [] => {}
                [(name, _)] => text.push_str(&format!("        {name}\n")),
                many => {
                    let names: Vec<&str> = many.iter().map(|(n, _)| n.as_str()).collect();
                    text.push_str(&format!("        ({})\n", names.join(", ")));
                }
            }
        }
        text.push_str("    }\n}\n");
        Synth {
            text,
            input: input_range,
        }
    }

    fn compile(&self, synth: &Synth, until: Stage) -> Compilation {
        driver::compile_with_loader("<repl>", synth.text.clone(), self.loader, until)
    }

    /// Checks an item (`fn`, `struct`, `const`, `use`) in the session's scope.
    pub fn check_item(&self, item: &str) -> Result<(), String> {
        if item.starts_with("contract") {
            return Err(
                "error: contracts are not defined at the prompt: put the contract in a file and `:load` it\n"
                    .to_string(),
            );
        }
        let mut text = String::new();
        for line in self.imports.iter().chain(self.items) {
            text.push_str(line);
            text.push('\n');
        }
        let start = text.len();
        text.push_str(item);
        let input = start..text.len();
        text.push('\n');
        let synth = Synth { text, input };
        let c = self.compile(&synth, Stage::Access);
        if c.has_errors() {
            return Err(self.render(&c, &synth, item));
        }
        Ok(())
    }

    /// Evaluates `code` (a `let` or other code, after [`rewrite`]).
    pub fn evaluate(
        &self,
        code: &Code,
        extra_uses: &[String],
        chain: &Chain,
        block: BlockContext,
        original: &str,
    ) -> Result<Evaluated, String> {
        match code {
            Code::Item(_) => Err("internal error: an item is not evaluated".into()),
            Code::Let {
                name,
                mutable,
                stmt,
            } => {
                let prelude: Vec<&Binding> =
                    self.bindings.iter().filter(|b| &b.name != name).collect();
                let ty_src = self.local_type(extra_uses, &prelude, "", stmt, "", name, original)?;
                let Some(ty_src) = ty_src else {
                    return Err(format!("error: `{name}` has no value to keep\n"));
                };
                let mut returned: Vec<(String, String)> = prelude
                    .iter()
                    .map(|b| (b.name.clone(), b.ty_src.clone()))
                    .collect();
                returned.push((name.clone(), ty_src));
                let (values, tys) = self.run(
                    extra_uses, &prelude, "", stmt, "", &returned, chain, block, original,
                )?;
                let mut bindings = Vec::new();
                for (((n, src), words), ty) in returned.iter().zip(values).zip(tys) {
                    let mutable = if n == name {
                        *mutable
                    } else {
                        prelude.iter().any(|b| &b.name == n && b.mutable)
                    };
                    bindings.push(Binding {
                        name: n.clone(),
                        ty_src: src.clone(),
                        ty,
                        words,
                        mutable,
                    });
                }
                Ok(Evaluated {
                    value: None,
                    bindings,
                    bound: Some(name.clone()),
                })
            }
            Code::Other(text) => {
                let prelude: Vec<&Binding> = self.bindings.iter().collect();
                let run_statements = || {
                    let after = if text.ends_with(';') || text.ends_with('}') {
                        ""
                    } else {
                        ";"
                    };
                    self.run_with_value(
                        extra_uses, &prelude, "", text, after, None, chain, block, original,
                    )
                };
                if text.ends_with(';') {
                    return run_statements();
                }
                match self.local_type(
                    extra_uses,
                    &prelude,
                    "let __it = (",
                    text,
                    ");",
                    VALUE_LOCAL,
                    original,
                ) {
                    Ok(ty) => self.run_with_value(
                        extra_uses,
                        &prelude,
                        "let __it = (",
                        text,
                        ");",
                        ty,
                        chain,
                        block,
                        original,
                    ),
                    Err(e) if e.contains("has no value to bind") => run_statements(),
                    Err(e) if is_syntax_error(&e) => match run_statements() {
                        Ok(done) => Ok(done),
                        // Report the statements' errors when they parse (`b = 1` to an
                        // immutable `b`) or the input reads as statements
                        // (`while … { … }`), else the expression's.
                        Err(stmt_err) if !is_syntax_error(&stmt_err) || text.ends_with('}') => {
                            Err(stmt_err)
                        }
                        Err(_) => Err(e),
                    },
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Phase two for an expression (`value_ty` its type) or statements (`None`):
    /// runs the input and returns its value and every binding's new value.
    #[allow(clippy::too_many_arguments)]
    fn run_with_value(
        &self,
        extra_uses: &[String],
        prelude: &[&Binding],
        before: &str,
        text: &str,
        after: &str,
        value_ty: Option<String>,
        chain: &Chain,
        block: BlockContext,
        original: &str,
    ) -> Result<Evaluated, String> {
        let mut returned: Vec<(String, String)> = Vec::new();
        if let Some(ty) = &value_ty {
            returned.push((VALUE_LOCAL.to_string(), ty.clone()));
        }
        returned.extend(prelude.iter().map(|b| (b.name.clone(), b.ty_src.clone())));
        let (mut values, mut tys) = self.run(
            extra_uses, prelude, before, text, after, &returned, chain, block, original,
        )?;
        let value = match value_ty {
            Some(src) if !values.is_empty() => {
                let words = values.remove(0);
                let ty = tys.remove(0);
                Some((src, ty, words))
            }
            _ => None,
        };
        let bindings = prelude
            .iter()
            .zip(values.into_iter().zip(tys))
            .map(|(b, (words, ty))| Binding {
                name: b.name.clone(),
                ty_src: b.ty_src.clone(),
                ty,
                words,
                mutable: b.mutable,
            })
            .collect();
        Ok(Evaluated {
            value,
            bindings,
            bound: None,
        })
    }

    /// Phase one: the type (as source) of the last local named `local` after `input`,
    /// `None` for a unit value.
    #[allow(clippy::too_many_arguments)]
    fn local_type(
        &self,
        extra_uses: &[String],
        prelude: &[&Binding],
        before: &str,
        input: &str,
        after: &str,
        local: &str,
        original: &str,
    ) -> Result<Option<String>, String> {
        let synth = self.synthesize(extra_uses, prelude, before, input, after, &Tail::None);
        let c = self.compile(&synth, Stage::Hir);
        if c.has_errors() {
            return Err(self.render(&c, &synth, original));
        }
        let program = c
            .hir
            .as_ref()
            .ok_or("internal error: no typed program after type checking")?;
        let func = program
            .functions
            .iter()
            .find(|f| {
                f.name == SCRATCH_FN
                    && f.contract
                        .is_some_and(|c| program.contract(c).name == SCRATCH_CONTRACT)
            })
            .ok_or("internal error: the scratch function is missing")?;
        let Some(found) = func.locals.iter().rev().find(|l| l.name == local) else {
            return Err(format!(
                "error: the input does not bind `{local}` at the top level\n"
            ));
        };
        if found.ty == hir::Ty::Unit {
            return Ok(None);
        }
        ty_src(program, &found.ty)
            .map(Some)
            .ok_or_else(|| format!("error: the type of `{local}` cannot be written here\n"))
    }

    /// Phase two: compiles with the return list, runs on a scratch chain, splits the
    /// returned words per returned local.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        extra_uses: &[String],
        prelude: &[&Binding],
        before: &str,
        input: &str,
        after: &str,
        returned: &[(String, String)],
        chain: &Chain,
        block: BlockContext,
        original: &str,
    ) -> Result<(Vec<Vec<U256>>, Vec<ValueType>), String> {
        let synth = self.synthesize(
            extra_uses,
            prelude,
            before,
            input,
            after,
            &Tail::Return(returned),
        );
        let c = self.compile(&synth, Stage::Bytecode);
        if c.has_errors() {
            return Err(self.render(&c, &synth, original));
        }
        let module = c
            .modules
            .into_iter()
            .find(|m| m.name == SCRATCH_CONTRACT)
            .ok_or("internal error: the scratch contract did not compile to a module")?;
        let ret = module
            .public(SCRATCH_FN)
            .and_then(|i| module.functions.get(i))
            .map(|f| f.ret.clone())
            .ok_or("internal error: the scratch function is missing")?;
        let mut args: Vec<U256> = prelude.iter().flat_map(|b| b.words.clone()).collect();
        args.extend(self.fixed.iter().map(|f| f.word));
        let words = run_scratch(chain, module, args, block)?;
        let tys: Vec<ValueType> = match (returned.len(), ret) {
            (0, _) => Vec::new(),
            (1, ty) => vec![ty],
            (_, ValueType::Tuple(elems)) if elems.len() == returned.len() => elems,
            _ => return Err("internal error: the scratch function's return type".into()),
        };
        let mut pos = 0;
        let mut values = Vec::new();
        for ty in &tys {
            let n = ty.words();
            let part = words
                .get(pos..pos + n)
                .ok_or("internal error: the scratch function returned too few words")?;
            values.push(part.to_vec());
            pos += n;
        }
        Ok((values, tys))
    }

    /// Renders the errors of a scratch compilation against the input alone.
    fn render(&self, c: &Compilation, synth: &Synth, original: &str) -> String {
        let mut sources = SourceMap::default();
        let file = sources.add("<input>", Vec::new(), original.to_string());
        let inside = |s: Span| {
            s.file == FileId(0)
                && s.range().start >= synth.input.start
                && s.range().end <= synth.input.end
        };
        // The input was embedded after rewriting (`@name`, `std::` paths): spans map
        // back exactly only when the text is unchanged, else they cover the input.
        // (A `let` is embedded with its `;` added: the original is a prefix.)
        let same = synth
            .text
            .get(synth.input.clone())
            .is_some_and(|embedded| embedded.starts_with(original));
        let len = original.len();
        let shift = |s: Span| {
            if same && inside(s) {
                Span::new(
                    file,
                    (s.range().start - synth.input.start).min(len),
                    (s.range().end - synth.input.start).min(len),
                )
            } else if same && s.file == FileId(0) && s.range().start >= synth.input.end {
                // Past the input (a missing operand, an unclosed call): its end.
                Span::new(file, original.len(), original.len())
            } else {
                Span::new(file, 0, original.len())
            }
        };
        let mut diags: Vec<Diagnostic> = Vec::new();
        for d in c.diagnostics.sorted() {
            if d.severity() != Severity::Error {
                continue;
            }
            let mut d = d.clone();
            d.primary.span = shift(d.primary.span);
            d.secondary.retain(|l| inside(l.span));
            for l in &mut d.secondary {
                l.span = shift(l.span);
            }
            diags.push(d);
        }
        let text = braid_compiler::diagnostics::render(&diags, &sources, self.colour);
        strip_summary(&text)
    }
}

/// Whether rendered diagnostics include a syntax error (lexer `E01xx`, parser `E020x`).
pub fn is_syntax_error(text: &str) -> bool {
    text.contains("error[E01") || text.contains("error[E020")
}

/// Drops the renderer's final "could not compile" summary line.
pub fn strip_summary(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    if lines
        .last()
        .is_some_and(|l| l.starts_with("error: could not compile") || l.starts_with("warning: "))
    {
        lines.pop();
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A HIR type as Braid source; `None` for the error type.
fn ty_src(program: &hir::Program, ty: &hir::Ty) -> Option<String> {
    Some(match ty {
        hir::Ty::Unit => "()".into(),
        hir::Ty::Bool => "bool".into(),
        hir::Ty::Int(i) => i.name().into(),
        hir::Ty::Address => "address".into(),
        hir::Ty::Contract(id) => program.contract(*id).name.clone(),
        hir::Ty::Struct(id) => program.struct_def(*id).name.clone(),
        hir::Ty::Tuple(elems) => {
            let parts: Option<Vec<String>> = elems.iter().map(|t| ty_src(program, t)).collect();
            format!("({})", parts?.join(", "))
        }
        hir::Ty::Error => return None,
    })
}

/// Deploys the scratch module on a clone of `chain` and runs `__eval(args)` as a view.
fn run_scratch(
    chain: &Chain,
    module: Module,
    args: Vec<U256>,
    block: BlockContext,
) -> Result<Vec<U256>, String> {
    let mut scratch = chain.clone();
    let code = scratch
        .load_module(module)
        .map_err(|e| format!("internal error: the scratch module: {e}\n"))?;
    let deployer = braid_bytecode::encode::account_address("braid:repl");
    let addr = scratch
        .deploy(code, deployer, Vec::new(), block, EVAL_GAS)
        .map_err(|e| format!("internal error: deploying the scratch contract: {e}\n"))?;
    let tx = Transaction {
        sender: deployer,
        to: addr,
        function: SCRATCH_FN.to_string(),
        args,
        gas_limit: EVAL_GAS,
    };
    let receipt = scratch.call_view(block, &tx);
    match receipt.status {
        Ok(()) => Ok(receipt.ret),
        Err(f) => Err(format!("error: the evaluation failed: {f}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_classify() {
        assert_eq!(classify("1 + 2"), Code::Other("1 + 2".into()));
        assert!(matches!(classify("fn f() {}"), Code::Item(_)));
        assert_eq!(
            classify("let mut x = 3"),
            Code::Let {
                name: "x".into(),
                mutable: true,
                stmt: "let mut x = 3;".into()
            }
        );
        assert!(matches!(classify("let (a, b) = t;"), Code::Other(_)));
    }

    #[test]
    fn rewrite_accounts_and_std_paths() {
        let mut uses = Vec::new();
        let instances: BTreeMap<String, Address> = [("usd".to_string(), [7u8; 20])].into();
        let (text, accounts) = rewrite(
            "std::math::sqrt(x) + f(@bob, \"@x\", @usd)",
            &instances,
            &mut uses,
        );
        let bob = hex::encode(braid_bytecode::encode::account_address("bob"));
        let usd = hex::encode([7u8; 20]);
        assert_eq!(text, format!("sqrt(x) + f(0x{bob}, \"@x\", 0x{usd})"));
        assert_eq!(accounts, vec!["bob".to_string()]);
        assert_eq!(uses, vec!["use std::math::{sqrt};".to_string()]);
        let (text, _) = rewrite("mystd::a::b", &instances, &mut uses);
        assert_eq!(text, "mystd::a::b");
    }
}
