//! The command line: `clap` definitions, dispatch, and the mapping of outcomes to exit codes.

use crate::output;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code when the input is wrong (diagnostics, a malformed scenario, a failed expectation).
pub const EXIT_INPUT: u8 = 1;
/// Exit code for a usage or I/O error.
pub const EXIT_USAGE: u8 = 2;

/// Braid: a contract language with explicit state-access annotations, its compiler and VM.
#[derive(Debug, Parser)]
#[command(name = "braid", version, propagate_version = true)]
pub struct Cli {
    /// When to colour the output: `auto` (on a terminal, unless `NO_COLOR` is set or
    /// `CLICOLOR_FORCE` forces it), `always` or `never`.
    #[arg(
        long,
        value_enum,
        global = true,
        value_name = "WHEN",
        default_value_t = ColorChoice::Auto
    )]
    pub color: ColorChoice,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The `--color` choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour a stream only when it is a terminal (`NO_COLOR` turns it off, `CLICOLOR_FORCE` on).
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile a `.braid` file: check it, print a stage, or write bytecode.
    Compile(CompileArgs),
    /// Deploy contracts and run blocks of transactions from a scenario file.
    Run(RunArgs),
    /// Run every scenario under the given paths and report their expectations.
    Test(TestArgs),
    /// An interactive session: evaluate expressions, deploy contracts, send transactions.
    Repl(ReplArgs),
    /// Benchmark the executors on DeFi workloads: sequential, parallel, native floor.
    Bench(BenchArgs),
}

/// `braid repl`.
#[derive(Debug, Args)]
#[command(after_long_help = REPL_AFTER_HELP)]
pub struct ReplArgs {
    /// Run the inputs in FILE (one per line; an input goes on until its brackets
    /// balance), echoing each line as `> line` before its output.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
}

const REPL_AFTER_HELP: &str = "\
Interactive on a terminal; :help lists the commands. Without --script and with stdin not a
terminal, stdin is the script. History: $BRAID_HISTORY, else braid/history in the user's
data directory.

Exit status: 0 at the end of the input, 1 if an input of a script could not be parsed as a
command at all (an unknown command, a syntax error), 2 usage or I/O error.";

/// A `braid bench` workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchWorkload {
    /// Token transfers among N accounts (`--accounts`).
    Transfers,
    /// Dex swaps across P pools (`--pools`) by U users (`--users`).
    Swaps,
    /// Supply / borrow / repay across M markets (`--markets`).
    Lending,
    /// Stake / withdraw / claim across K Staking instances (`--instances`).
    Staking,
    /// All of the above mixed in one block.
    #[value(name = "defi-mix")]
    DefiMix,
}

/// The engines `braid bench` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchEngine {
    /// The reference interpreter.
    Interp,
    /// The Cranelift JIT.
    Jit,
    /// Both, one after the other.
    Both,
}

/// `braid bench`.
#[derive(Debug, Args)]
#[command(after_long_help = BENCH_AFTER_HELP)]
pub struct BenchArgs {
    /// The workload; none runs the default suite (defi-mix, then transfers at 10,000 and
    /// at 2 accounts).
    #[arg(value_enum, value_name = "WORKLOAD")]
    pub workload: Option<BenchWorkload>,
    /// Funded accounts of `transfers` (at least 2).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub accounts: usize,
    /// Pools of `swaps` and `defi-mix`.
    #[arg(long, value_name = "P", default_value_t = 100)]
    pub pools: usize,
    /// Users of `swaps`, `lending`, `staking` and `defi-mix`.
    #[arg(long, value_name = "U", default_value_t = 1_000)]
    pub users: usize,
    /// Markets of `lending` and `defi-mix`.
    #[arg(long, value_name = "M", default_value_t = 16)]
    pub markets: usize,
    /// Staking instances of `staking` and `defi-mix`.
    #[arg(long, value_name = "K", default_value_t = 16)]
    pub instances: usize,
    /// Transactions per block.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub txs: usize,
    /// Blocks per run.
    #[arg(long, value_name = "B", default_value_t = 5)]
    pub blocks: usize,
    /// Parallel runs use 1..=T worker threads (default: every core).
    #[arg(long, value_name = "T")]
    pub threads: Option<NonZeroUsize>,
    /// The engine(s) to measure (default: both, the interpreter then the JIT, each
    /// against its own sequential run).
    #[arg(long, value_enum, default_value_t = BenchEngine::Both)]
    pub engine: BenchEngine,
    /// The seed of the workloads' pseudo-random choices.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

const BENCH_AFTER_HELP: &str = "\
Each workload is set up (contracts compiled, deployed, accounts funded, pools, markets and
reward periods created) before anything is timed; then the same blocks run, interleaved,
on each mode's own copy of the set-up chain (one that shares no storage node with it):
sequential, parallel with 1..=T threads, and (transfers, swaps) the hand-written native
Rust floor. TPS counts only the executor's calls.
Every parallel run's receipts and final digest are compared with the sequential run's.

Exit status: 0 ok, 1 a parallel run disagrees with the sequential one, 2 usage error.";

/// `braid compile`.
#[derive(Debug, Args)]
#[command(after_long_help = COMPILE_AFTER_HELP)]
pub struct CompileArgs {
    /// The source file to compile (`-` reads the source from stdin).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Write the encoded bytecode module to OUT. With several contracts in FILE, OUT must be an
    /// existing directory, which receives one `<Contract>.bbc` per contract (a directory works
    /// for one contract too).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Leave the source map out of the written modules: smaller files, the same code (and code
    /// hash); a failure in them is then reported with its function but no `file:line:col`.
    #[arg(long, requires = "output")]
    pub strip: bool,
    /// Print a stage of the compilation to stdout.
    #[arg(long, value_enum, value_name = "STAGE")]
    pub emit: Option<Emit>,
    /// Another directory to search for `use name::Contract` imports (repeatable, searched in order).
    #[arg(short = 'I', value_name = "DIR")]
    pub include: Vec<PathBuf>,
    /// How to print diagnostics: `human` (rendered with source lines) or `json` (one
    /// object per line on stderr, for editors and CI).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
}

/// The `--message-format` of diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// Rendered in the rustc style, with the source line and labels.
    #[default]
    Human,
    /// One JSON object per diagnostic and line.
    Json,
}

const COMPILE_AFTER_HELP: &str = "\
Imports: `use std::…` names the embedded standard library; `use token::Token` looks for
`token.braid` next to the importing file, then in each -I DIR in order, then in the
project's `contracts/` directory: the `contracts/` directory of the nearest ancestor of
FILE's directory (FILE's directory included) that has one. With FILE `-`, the source is read from stdin
and imports resolve from the current directory.

On success a line on stderr says what was compiled. Diagnostics go to stderr, in colour
only when stderr is a terminal (see --color); `--message-format json` prints each as one
JSON object per line (severity, code, message, file, line, column, labels, notes, help).
Exit status: 0 no error (warnings allowed), 1 errors in the source, 2 usage or I/O error.";

/// A stage `--emit` can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// The root file's tokens.
    Tokens,
    /// The root file's syntax tree.
    Ast,
    /// Each public function's access summary (callees expanded).
    Access,
    /// For every pair of public functions, whether two calls by different senders
    /// with different arguments can conflict, and on which storage.
    Conflicts,
    /// The disassembled bytecode of each contract.
    Bytecode,
    /// The JIT's Cranelift IR, per function.
    Clif,
}

/// `braid run`.
#[derive(Debug, Args)]
#[command(after_long_help = RUN_AFTER_HELP)]
pub struct RunArgs {
    /// The scenario file (TOML).
    #[arg(value_name = "SCENARIO.toml")]
    pub scenario: PathBuf,
    /// Print one JSON object (receipts and digest) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Execute blocks with the parallel executor: transactions scheduled from their access sets on
    /// a pool of workers (the results are those of sequential execution, byte for byte).
    #[arg(long)]
    pub parallel: bool,
    /// Worker threads for the parallel executor (implies --parallel; default: every core).
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,
    /// The execution engine.
    #[arg(long, value_enum, default_value_t = Engine::Jit)]
    pub engine: Engine,
    /// Print each transaction's calls (arguments, return or failure), storage reads and writes
    /// and events, indented by call depth; with --json, each receipt gains `"trace"`.
    #[arg(long)]
    pub trace: bool,
}

const RUN_AFTER_HELP: &str = "\
The scenario lists `contracts` (source files or precompiled `.bbc` modules, relative to
the scenario, or `std::token`), `[[deploy]]` tables (run in order as block 0 at
`genesis_timestamp`, default 0) and `[[block]]` tables with `txs` and optional
`[[block.check]]` read-only calls. Arguments and expected values: decimal, `0x` or `1e18`
integers (`1.5e18` when exact; strings or TOML integers), booleans, `@name` for a deployed
instance or a named account, arrays for tuples and structs. Expectations (`expect` on a
transaction, the fields of a check): `status`, `return`, `reason`, `message`, and `events`
(`[{ name, args }]`, emitted in that order).
Rules: block numbers strictly increase, timestamps never decrease; the sum of a block's
gas limits (default 10,000,000 each) is at most `block_gas_limit` (default
1,000,000,000); a sender is a named account or a raw address that holds no code and is
no contract's sub-account. The results do not depend on the engine or the thread count:
sequential execution in block order defines them.

Exit status: 0 every expectation met, 1 a malformed scenario, a contract that does not
compile, a failed deployment or a failed expectation, 2 usage or I/O error.";

/// `braid test`.
#[derive(Debug, Args)]
#[command(after_long_help = TEST_AFTER_HELP)]
pub struct TestArgs {
    /// Scenario files (`*.toml`) and directories searched for them, recursively
    /// (default: `tests/`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print one JSON object with a row per scenario instead of the lines.
    #[arg(long)]
    pub json: bool,
}

const TEST_AFTER_HELP: &str = "\
Each scenario runs as `braid run` would run it; its expectations (`expect` on a
transaction, `[[block.check]]` tables) are its tests. A line per scenario says `ok` or
`FAILED` with each failed expectation (or why the scenario could not run), then a
summary line.

Exit status: 0 every scenario passed, 1 some scenario failed, 2 usage or I/O error (a
PATH that does not exist).";

/// An execution engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// The reference interpreter.
    Interp,
    /// The Cranelift JIT (the same results as the interpreter, compiled per contract).
    Jit,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// The input is wrong; the message says where and why.
    #[error("{0}")]
    Input(String),
    /// The input is wrong and the details (diagnostics, failed expectations) were already printed.
    #[error("")]
    Reported,
}

impl CommandError {
    /// The exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Usage(_) | CommandError::Io(_) => EXIT_USAGE,
            CommandError::Input(_) | CommandError::Reported => EXIT_INPUT,
        }
    }
}

/// Parses the command line, runs the command, and returns the exit code.
pub fn main() -> ExitCode {
    // clap prints help and version to stdout (exit 0) and usage errors to stderr (exit 2).
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let command = Cli::command().color(match color_in_argv(&argv) {
        Some(ColorChoice::Always) => clap::ColorChoice::Always,
        Some(ColorChoice::Never) => clap::ColorChoice::Never,
        Some(ColorChoice::Auto) | None => clap::ColorChoice::Auto,
    });
    let cli = match command
        .try_get_matches_from(argv)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    let result = match cli.command {
        Command::Compile(args) => crate::compile_cmd::compile(&args, cli.color),
        Command::Run(args) => crate::run_cmd::run(&args, cli.color),
        Command::Test(args) => crate::test_cmd::test(&args, cli.color),
        Command::Repl(args) => crate::repl::run(&args, cli.color),
        Command::Bench(args) => crate::bench::bench(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let text = e.to_string();
            if !text.is_empty() {
                let colour = output::colour(cli.color, output::Stream::Stderr);
                let line = format!("{}: {text}\n", output::paint(colour, output::RED, "error"));
                if output::err(&line).is_err() {
                    // stderr is gone: the exit code is all that is left to say it.
                    return ExitCode::from(EXIT_USAGE);
                }
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// The `--color` given on the command line, looked up before clap parses it so that
/// clap's own help and usage errors follow it too (clap's `auto` already honours
/// `NO_COLOR` and `CLICOLOR_FORCE`).
fn color_in_argv(argv: &[std::ffi::OsString]) -> Option<ColorChoice> {
    let mut found = None;
    let mut iter = argv.iter().skip(1).map(|a| a.to_str());
    while let Some(arg) = iter.next() {
        let value = match arg {
            Some("--") => break,
            Some("--color") => iter.next().flatten(),
            Some(a) => a.strip_prefix("--color="),
            None => None,
        };
        if let Some(v) = value {
            found = ColorChoice::from_str(v, false).ok().or(found);
        }
    }
    found
}

/// Prints clap's help, version or usage error and exits with its code, or 2 when the
/// text cannot be written (never a panic).
fn clap_exit(e: clap::Error) -> ExitCode {
    match e.print() {
        Ok(()) => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE)),
        Err(_) => ExitCode::from(EXIT_USAGE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn compile_arguments_parse() {
        let cli = Cli::try_parse_from([
            "braid", "compile", "a.braid", "-o", "out", "--emit", "access", "-I", "x", "-I", "y",
        ])
        .expect("valid command line");
        let Command::Compile(args) = cli.command else {
            panic!("expected compile")
        };
        assert_eq!(args.file, PathBuf::from("a.braid"));
        assert_eq!(args.output, Some(PathBuf::from("out")));
        assert_eq!(args.emit, Some(Emit::Access));
        assert_eq!(args.include, vec![PathBuf::from("x"), PathBuf::from("y")]);
        let cli = Cli::try_parse_from(["braid", "compile", "a.braid", "--emit", "conflicts"])
            .expect("valid command line");
        let Command::Compile(args) = cli.command else {
            panic!("expected compile")
        };
        assert_eq!(args.emit, Some(Emit::Conflicts));
    }

    #[test]
    fn run_arguments_parse() {
        let cli = Cli::try_parse_from([
            "braid",
            "run",
            "s.toml",
            "--json",
            "--threads",
            "4",
            "--engine",
            "jit",
        ])
        .expect("valid command line");
        let Command::Run(args) = cli.command else {
            panic!("expected run")
        };
        assert!(args.json);
        assert!(!args.parallel);
        assert_eq!(args.threads.map(NonZeroUsize::get), Some(4));
        assert_eq!(args.engine, Engine::Jit);
    }

    #[test]
    fn repl_arguments_parse() {
        let cli = Cli::try_parse_from(["braid", "repl", "--script", "s.txt"])
            .expect("valid command line");
        let Command::Repl(args) = cli.command else {
            panic!("expected repl")
        };
        assert_eq!(args.script, Some(PathBuf::from("s.txt")));
        let cli = Cli::try_parse_from(["braid", "repl"]).expect("valid command line");
        assert!(matches!(
            cli.command,
            Command::Repl(ReplArgs { script: None })
        ));
        assert!(Cli::try_parse_from(["braid", "repl", "extra"]).is_err());
    }

    #[test]
    fn usage_errors_exit_two() {
        for argv in [
            &["braid"][..],
            &["braid", "compile"],
            &["braid", "compile", "a.braid", "--emit", "nope"],
            &["braid", "run", "s.toml", "--threads", "0"],
            &["braid", "bench", "nope"],
            &["braid", "bench", "--threads", "0"],
            &["braid", "bench", "--engine", "gpu"],
        ] {
            let err = Cli::try_parse_from(argv).expect_err("invalid command line");
            assert_eq!(err.exit_code(), 2, "{argv:?}");
        }
    }
}
