//! The `braid` command: compile Braid contracts and run scenarios of transactions.
//!
//! Only this binary does terminal and file I/O; the compiler and the VM are pure
//! libraries. Exit codes (the `cli.md` spec): 0 success, 1 the input is wrong,
//! 2 a usage or I/O error. Nothing exits 101: every command runs on a worker thread
//! with a large stack, and a panic (a bug) is reported as an internal error, exit 1.

mod bench;
mod cli;
mod compile_cmd;
mod output;
mod project;
mod receipt_json;
mod repl;
mod run_cmd;
mod scenario;
mod test_cmd;

/// mimalloc: thread-local free lists and no heap trimming between blocks (a block
/// allocates receipts and write sets on every worker and frees them at its merge).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::process::ExitCode;

/// Stack for the worker thread: deep (but bounded) nesting in sources and scenarios
/// must never overflow the stack.
const WORKER_STACK_BYTES: usize = 256 * 1024 * 1024;

fn main() -> ExitCode {
    let worker = std::thread::Builder::new()
        .name("braid".into())
        .stack_size(WORKER_STACK_BYTES)
        .spawn(cli::main);
    match worker {
        Ok(handle) => match handle.join() {
            Ok(code) => code,
            Err(_) => {
                // The panic hook has already printed the panic message. A failed write
                // here must not panic again: the exit code says it all.
                let _ = writeln!(
                    std::io::stderr(),
                    "error: internal error in braid (a bug); please report it with the input that caused it"
                );
                ExitCode::from(cli::EXIT_INPUT)
            }
        },
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot start the worker thread: {e}"
            );
            ExitCode::from(cli::EXIT_USAGE)
        }
    }
}
