//! The scenario file of `braid run`: its TOML model, loading, and errors that name the
//! place in the file (line, deploy, block, transaction, field).
//!
//! ```toml
//! contracts = ["contracts/coin.braid"]   # relative to the scenario; `.bbc` modules and
//!                                        # the standard library's `"std::token"` too
//! genesis_timestamp = 0                  # block 0, where the deploys run
//! block_gas_limit = 1_000_000_000        # bounds the sum of a block's gas limits
//! accounts = ["alice", "bob"]            # optional: when given, other names are errors
//!
//! [[deploy]]
//! name = "usd"                           # the instance, "@usd" in arguments
//! contract = "Coin"
//! sender = "alice"
//! args = ["1000000"]
//!
//! [[block]]                              # number defaults to the previous + 1
//! timestamp = 1000                       # defaults to the previous block's
//! txs = [
//!   { sender = "alice", to = "usd", fn = "transfer", args = ["@bob", "250"],
//!     expect = { status = "success", return = true,
//!                events = [{ name = "Transfer", args = ["@alice", "@bob", "250"] }] } },
//! ]
//! [[block.check]]                        # a read-only call after the block
//! to = "usd"
//! fn = "balance_of"
//! args = ["@bob"]
//! return = "250"
//! ```

pub mod args;
pub mod expect;

use serde::Deserialize;
use std::fmt;
use std::path::Path;
use toml::Spanned;

/// A whole scenario file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Contract source files or `.bbc` modules, relative to the scenario file.
    #[serde(default)]
    pub contracts: Vec<Spanned<String>>,
    /// The timestamp of block 0 (the deploys).
    #[serde(default)]
    pub genesis_timestamp: u64,
    /// The most gas a block's transactions may declare together (the sum of their gas
    /// limits); default [`DEFAULT_BLOCK_GAS_LIMIT`].
    #[serde(default, deserialize_with = "u64_or_string::option")]
    pub block_gas_limit: Option<Spanned<u64>>,
    /// When present, the only account names allowed.
    #[serde(default)]
    pub accounts: Option<Vec<String>>,
    /// Deployments, in order.
    #[serde(default)]
    pub deploy: Vec<Spanned<DeploySpec>>,
    /// Blocks, in order.
    #[serde(default)]
    pub block: Vec<Spanned<BlockSpec>>,
}

/// One `[[deploy]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploySpec {
    /// The instance name.
    pub name: String,
    /// The contract, by name, among those compiled from `contracts`.
    pub contract: String,
    /// Who deploys it (an account name).
    pub sender: String,
    /// The `init` arguments.
    #[serde(default)]
    pub args: Vec<toml::Value>,
    /// Gas limit of `init`.
    #[serde(default, deserialize_with = "u64_or_string::plain")]
    pub gas: Option<u64>,
}

/// One `[[block]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockSpec {
    /// The block number (default: previous + 1; the first block defaults to 1).
    pub number: Option<u64>,
    /// The block timestamp (default: the previous block's).
    pub timestamp: Option<u64>,
    /// The transactions, in order.
    #[serde(default)]
    pub txs: Vec<Spanned<TxSpec>>,
    /// Read-only calls after the block, with expectations.
    #[serde(default)]
    pub check: Vec<Spanned<CheckSpec>>,
}

/// One transaction.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxSpec {
    /// The sender (an account name).
    pub sender: String,
    /// The target: an instance name, `@name`, or a `0x` address.
    pub to: String,
    /// The public function called.
    #[serde(rename = "fn")]
    pub function: String,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<toml::Value>,
    /// Gas limit (default 10,000,000).
    #[serde(default, deserialize_with = "u64_or_string::plain")]
    pub gas: Option<u64>,
    /// What the receipt must show.
    pub expect: Option<ExpectSpec>,
}

/// An `expect = { … }` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// `success` or `revert`.
    pub status: Option<String>,
    /// The return value.
    #[serde(rename = "return")]
    pub ret: Option<toml::Value>,
    /// The failure kind (`revert`, `panic`, `out_of_gas`, …).
    pub reason: Option<String>,
    /// The failure message.
    pub message: Option<String>,
    /// Events the transaction must emit, in this order (others may come between).
    pub events: Option<Vec<EventSpec>>,
}

/// An expected event: its name and, optionally, its arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// The event's name.
    pub name: String,
    /// Its arguments, one value per parameter (not checked when left out).
    pub args: Option<Vec<toml::Value>>,
}

/// A block's gas limit when the scenario gives none.
pub const DEFAULT_BLOCK_GAS_LIMIT: u64 = 1_000_000_000;

/// Gas amounts: a TOML integer, or a string for the u64 values TOML's i64 cannot hold
/// (`"18446744073709551615"`, `"1e9"`).
mod u64_or_string {
    use serde::Deserialize;
    use serde::de::{Deserializer, Error};
    use toml::Spanned;

    fn convert<E: Error>(raw: toml::Value) -> Result<u64, E> {
        match raw {
            toml::Value::Integer(i) => u64::try_from(i)
                .map_err(|_| E::custom(format!("{i} is negative: a gas amount is a u64"))),
            toml::Value::String(t) => crate::scenario::args::parse_uint(&t)
                .and_then(|w| u64::try_from(w).ok())
                .ok_or_else(|| E::custom(format!("\"{t}\" is not a u64 gas amount"))),
            other => Err(E::custom(format!(
                "expected a gas amount (an integer, or a string such as \"1e7\" or \"18446744073709551615\"), found {}",
                other.type_str()
            ))),
        }
    }

    /// An optional gas amount.
    pub fn plain<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        convert(toml::Value::deserialize(d)?).map(Some)
    }

    /// An optional gas amount with its place in the file.
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Spanned<u64>>, D::Error> {
        let raw = Spanned::<toml::Value>::deserialize(d)?;
        let span = raw.span();
        let value = convert(raw.into_inner())?;
        Ok(Some(Spanned::new(span, value)))
    }
}

/// A `[[block.check]]` table: a read-only call and what it must return.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// The caller (default: the zero address).
    pub sender: Option<String>,
    /// The target, as for a transaction.
    pub to: String,
    /// The public function called.
    #[serde(rename = "fn")]
    pub function: String,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<toml::Value>,
    /// Gas limit (default 10,000,000).
    #[serde(default, deserialize_with = "u64_or_string::plain")]
    pub gas: Option<u64>,
    /// `success` or `revert`.
    pub status: Option<String>,
    /// The return value.
    #[serde(rename = "return")]
    pub ret: Option<toml::Value>,
    /// The failure kind.
    pub reason: Option<String>,
    /// The failure message.
    pub message: Option<String>,
}

impl CheckSpec {
    /// The expectation part of the check.
    pub fn expectation(&self) -> ExpectSpec {
        ExpectSpec {
            status: self.status.clone(),
            ret: self.ret.clone(),
            reason: self.reason.clone(),
            message: self.message.clone(),
            events: None,
        }
    }
}

impl ScenarioFile {
    /// The block gas limit: the scenario's, or [`DEFAULT_BLOCK_GAS_LIMIT`].
    pub fn block_gas_limit(&self) -> u64 {
        self.block_gas_limit
            .as_ref()
            .map_or(DEFAULT_BLOCK_GAS_LIMIT, |l| *l.get_ref())
    }
}

/// The parsed file and its text (for line numbers).
#[derive(Debug)]
pub struct Scenario {
    /// The path as given, for messages.
    pub display: String,
    /// The text.
    pub text: String,
    /// The parsed model.
    pub file: ScenarioFile,
}

/// A malformed scenario: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The scenario file, as given.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters), for TOML syntax errors.
    pub column: Option<usize>,
    /// What is wrong there (`block 1, tx 0: args[1]: …`).
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "{}:{line}:{column}: {}", self.file, self.message)
            }
            (Some(line), None) => write!(f, "{}:{line}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file cannot be read (an I/O error: exit 2).
    #[error("cannot read {path}: {error}")]
    Io {
        /// The path as given.
        path: String,
        /// The error.
        error: std::io::Error,
    },
    /// The file is not a valid scenario (exit 1).
    #[error("{0}")]
    Malformed(ScenarioError),
}

impl Scenario {
    /// Reads and parses a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, LoadError> {
        let display = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| LoadError::Io {
            path: display.clone(),
            error,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            LoadError::Malformed(ScenarioError {
                file: display.clone(),
                line: None,
                column: None,
                message: "not a UTF-8 text file".into(),
            })
        })?;
        Scenario::parse(display, text).map_err(LoadError::Malformed)
    }

    /// Parses scenario text; `display` names the file in messages.
    pub fn parse(display: String, text: String) -> Result<Scenario, ScenarioError> {
        match toml::from_str::<ScenarioFile>(&text) {
            Ok(file) => Ok(Scenario {
                display,
                text,
                file,
            }),
            Err(e) => {
                let start = e.span().map(|s| s.start);
                Err(ScenarioError {
                    file: display,
                    line: start.map(|o| line_of(&text, o)),
                    column: start.map(|o| column_of(&text, o)),
                    message: e.message().trim_end().to_string(),
                })
            }
        }
    }

    /// An error at the line where byte `offset` is (`None`: no line).
    pub fn error(&self, offset: Option<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.display.clone(),
            line: offset.map(|o| line_of(&self.text, o)),
            column: None,
            message: message.into(),
        }
    }
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The 1-based column (in characters) of byte `offset`.
fn column_of(text: &str, offset: usize) -> usize {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..end].chars().count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse("s.toml".into(), text.into())
    }

    #[test]
    fn parses_the_issue_example() {
        let s = parse(
            r#"
contracts = ["../contracts/token.braid"]

[[deploy]]
name = "usd"
contract = "Token"
sender = "alice"
args = ["1000000"]

[[block]]
timestamp = 1000
txs = [
  { sender = "alice", to = "usd", fn = "transfer", args = ["@bob", "250"] },
  { sender = "bob", to = "usd", fn = "transfer", args = ["@carol", "9999"], gas = 100000,
    expect = { status = "revert", reason = "revert", message = "insufficient balance" } },
]

[[block.check]]
to = "usd"
fn = "balance_of"
args = ["@bob"]
return = "250"
"#,
        )
        .expect("valid scenario");
        assert_eq!(s.file.contracts.len(), 1);
        assert_eq!(s.file.deploy[0].get_ref().name, "usd");
        let block = s.file.block[0].get_ref();
        assert_eq!(block.timestamp, Some(1000));
        assert_eq!(block.txs.len(), 2);
        let tx = block.txs[1].get_ref();
        assert_eq!(tx.gas, Some(100_000));
        assert_eq!(
            tx.expect.as_ref().and_then(|e| e.message.as_deref()),
            Some("insufficient balance")
        );
        assert_eq!(line_of(&s.text, block.txs[1].span().start), 14);
        assert_eq!(line_of(&s.text, block.check[0].span().start), 18);
    }

    #[test]
    fn transactions_as_tables_of_an_array() {
        let s = parse(
            "[[block]]\ntimestamp = 5\n\n[[block.txs]]\nsender = \"a\"\nto = \"t\"\nfn = \"f\"\n\n\
             [[block.txs]]\nsender = \"b\"\nto = \"t\"\nfn = \"g\"\nexpect = { status = \"revert\" }\n",
        )
        .expect("valid scenario");
        let block = s.file.block[0].get_ref();
        assert_eq!(block.txs.len(), 2);
        assert_eq!(block.txs[1].get_ref().function, "g");
        assert_eq!(line_of(&s.text, block.txs[0].span().start), 4);
        assert_eq!(line_of(&s.text, block.txs[1].span().start), 9);
    }

    #[test]
    fn unknown_fields_and_syntax_errors_have_lines() {
        let e = parse("[[deploy]]\nname = \"a\"\ncontract = \"A\"\nsender = \"x\"\nsalt = 1\n")
            .expect_err("unknown field");
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("salt"), "{e}");
        let e = parse("contracts = [\n").expect_err("syntax error");
        assert!(e.line.is_some(), "{e}");
        let e = parse("a = 1\nb = 2 3\n").expect_err("syntax error");
        assert_eq!((e.line, e.column), (Some(2), Some(5)), "{e}");
        let e = parse("genesis_timestamp = -1\n").expect_err("negative");
        assert_eq!(e.line, Some(1), "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Random text made of scenario fragments parses or gives an error with a place.
        #[test]
        fn parsing_never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
            "contracts = [\"a.braid\"]\n", "[[deploy]]\n", "[[block]]\n", "[[block.txs]]\n",
            "[[block.check]]\n", "name = \"x\"\n", "args = [\"1\", [true]]\n", "txs = [{ sender = \"a\" }]\n",
            "number = 3\n", "timestamp = -1\n", "expect = { return = 1 }\n", "\u{e9}", "[", "=", "\"", "\n",
        ]), 0..12)) {
            let text: String = parts.concat();
            if let Err(e) = parse(&text) {
                proptest::prop_assert!(e.line.is_none_or(|l| l >= 1 && l <= text.lines().count() + 1), "{e}");
            }
        }
    }

    #[test]
    fn nesting_does_not_overflow() {
        let deep = format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep).is_err());
    }
}
