//! `:help`: every command with its usage and a line of help.

use super::session::ReplError;

/// One command: its name, usage and help.
pub struct CommandHelp {
    /// The name after `:`.
    pub name: &'static str,
    /// How to write it.
    pub usage: &'static str,
    /// What it does.
    pub help: &'static str,
}

/// Every command, in `:help` order.
pub const COMMANDS: &[CommandHelp] = &[
    CommandHelp {
        name: "help",
        usage: ":help [command]",
        help: "this list, or one command's help",
    },
    CommandHelp {
        name: "load",
        usage: ":load FILE",
        help: "compile FILE and make its contracts available to :deploy (and their types to expressions)",
    },
    CommandHelp {
        name: "deploy",
        usage: ":deploy NAME = Contract(args) [as @account]",
        help: "deploy an instance named NAME; NAME is then a value of type Contract in expressions",
    },
    CommandHelp {
        name: "state",
        usage: ":state NAME",
        help: "the instance's storage (fields not shown are zero)",
    },
    CommandHelp {
        name: "access",
        usage: ":access NAME.fn(args) [as @account]",
        help: "the access set the transaction would declare, without running it",
    },
    CommandHelp {
        name: "disasm",
        usage: ":disasm NAME.fn",
        help: "the bytecode of a function (NAME an instance or a contract)",
    },
    CommandHelp {
        name: "clif",
        usage: ":clif NAME.fn",
        help: "the Cranelift IR the JIT compiles a function to (NAME an instance or a contract)",
    },
    CommandHelp {
        name: "queue",
        usage: ":queue NAME.fn(args) [as @account]",
        help: "add a transaction to the next :block (:queue alone lists them)",
    },
    CommandHelp {
        name: "block",
        usage: ":block",
        help: "run the queued transactions as one block: the schedule (who waits for whom), the parallelism bound and the receipts",
    },
    CommandHelp {
        name: "undo",
        usage: ":undo",
        help: "back to the world before the last deployment, transaction or block (the queue is emptied)",
    },
    CommandHelp {
        name: "accounts",
        usage: ":accounts",
        help: "the named accounts and the deployed instances, with their addresses",
    },
    CommandHelp {
        name: "save",
        usage: ":save FILE",
        help: "write the session's inputs to FILE, a script :restore (or braid repl --script) replays",
    },
    CommandHelp {
        name: "restore",
        usage: ":restore FILE",
        help: "start a fresh session and replay the inputs in FILE",
    },
    CommandHelp {
        name: "time",
        usage: ":time on|off",
        help: "print each input's wall time (on at a terminal, off in scripts, by default)",
    },
    CommandHelp {
        name: "quit",
        usage: ":quit",
        help: "leave (Ctrl-D too)",
    },
];

const HELP_FOOTER: &str = "\
Anything else is Braid code or a transaction:
  1e18 / 3                               an expression: its value and its type
  let x = std::math::sqrt(10 ** 18)      a binding later inputs see (`let mut` to assign it)
  fn double(v: u128) -> u128 { v * 2 }   a declaration (fn, struct, const, use) later inputs see
  usd.transfer(@bob, 250) as @carol      a transaction (the sender is @alice unless `as` names one)
In Braid code and arguments, `@name` is the instance or account named `name`. An input goes
on over several lines until its brackets balance; Ctrl-C cancels it.";

/// `:help [command]`: the list, or one command's help.
pub fn help(topic: &str) -> Result<String, ReplError> {
    let topic = topic.trim().trim_start_matches(':');
    if topic.is_empty() {
        let width = COMMANDS.iter().map(|c| c.usage.len()).max().unwrap_or(0);
        let mut out = String::from("Commands:\n");
        for c in COMMANDS {
            out.push_str(&format!("  {:<width$}  {}\n", c.usage, c.help));
        }
        out.push_str(HELP_FOOTER);
        out.push('\n');
        return Ok(out);
    }
    match COMMANDS.iter().find(|c| c.name == topic) {
        Some(c) => Ok(format!("{}\n  {}\n", c.usage, c.help)),
        None => Err(ReplError::msg(format!(
            "no command `:{topic}`; :help lists them"
        ))),
    }
}
