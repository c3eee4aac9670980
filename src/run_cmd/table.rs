//! The readable output of `braid run`: deployments, a table of receipts, checks, digest.

use super::plan::Deployed;
use super::trace::trace_line;
use crate::receipt_json::{ReceiptEntry, RunReport, address_text, value_text};

/// How many expectations (`expect` on transactions, `[[block.check]]` calls) were met.
#[derive(Debug, Default)]
pub struct CheckCount {
    /// Met.
    pub passed: usize,
    /// Not met.
    pub failed: usize,
}

impl CheckCount {
    /// Counts one check.
    pub fn record(&mut self, passed: bool) {
        if passed {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }
}

/// Renders the whole text output.
pub fn render(deployed: &[Deployed], report: &RunReport, checks: &CheckCount) -> String {
    let mut out = String::new();
    for d in deployed {
        out.push_str(&format!(
            "deployed {} ({}) at {}\n",
            d.name,
            d.contract,
            address_text(&d.address)
        ));
    }
    if !deployed.is_empty() {
        out.push('\n');
    }
    let header = ["block", "tx", "call", "status", "gas", "events", "result"];
    let right_aligned = [true, true, false, false, true, true, false];
    let mut rows: Vec<[String; 7]> = vec![header.map(String::from)];
    for r in &report.receipts {
        let result = match &r.reason {
            Some(reason) if reason.message.is_empty() => reason.kind.to_string(),
            Some(reason) => format!("{}: {}", reason.kind, reason.message),
            None if r.ret.is_null() => "-".to_string(),
            None => value_text(&r.ret),
        };
        rows.push([
            r.block.to_string(),
            r.index.to_string(),
            format!("{}.{}", r.to, r.function),
            r.status.to_string(),
            r.gas_used.to_string(),
            r.events.len().to_string(),
            result,
        ]);
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if right_aligned[i] {
                    format!("{cell:>width$}", width = widths[i])
                } else {
                    format!("{cell:<width$}", width = widths[i])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    for r in &report.receipts {
        if let Some(trace) = &r.trace {
            out.push_str(&format!("\ntrace of {}:\n", place(r)));
            if trace.is_empty() {
                out.push_str("  (no code ran)\n");
            }
            for e in trace {
                out.push_str(&trace_line(e, &report.names));
                out.push('\n');
            }
        }
    }
    for r in report.receipts.iter().filter(|r| r.reason.is_some()) {
        let reason = r
            .reason
            .as_ref()
            .map(|x| format!("{}: {}", x.kind, x.message))
            .unwrap_or_default();
        out.push_str(&format!("\n{} failed: {reason}\n", place(r)));
        if r.stack.is_empty() {
            out.push_str("  before any of its code ran\n");
        }
        // Recursion: a run of identical frames is shown once, with its count.
        let mut i = 0;
        while let Some(frame) = r.stack.get(i) {
            let same = r.stack[i..].iter().take_while(|f| *f == frame).count();
            out.push_str(&format!("  {}\n", frame.text()));
            if same > 1 {
                out.push_str(&format!("  … the frame above {} more times\n", same - 1));
            }
            i += same;
        }
    }
    if checks.passed + checks.failed > 0 {
        out.push_str(&format!(
            "\nexpectations: {} met, {} failed\n",
            checks.passed, checks.failed
        ));
    }
    out.push_str(&format!("\ndigest {}\n", report.digest));
    out
}

/// `block 1, tx 0 (usd.transfer)`.
fn place(r: &ReceiptEntry) -> String {
    format!(
        "block {}, tx {} ({}.{})",
        r.block, r.index, r.to, r.function
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt_json::{Reason, ReceiptEntry};
    use crate::run_cmd::trace::FrameLine;
    use serde_json::json;

    #[test]
    fn table_aligns_columns() {
        let report = RunReport {
            receipts: vec![
                ReceiptEntry {
                    block: 1,
                    index: 0,
                    to: "usd".into(),
                    function: "transfer".into(),
                    status: "success",
                    reason: None,
                    gas_used: 5123,
                    ret: json!(true),
                    events: vec![],
                    stack: vec![],
                    trace: None,
                },
                ReceiptEntry {
                    block: 12,
                    index: 1,
                    to: "usd".into(),
                    function: "mint".into(),
                    status: "revert",
                    reason: Some(Reason {
                        kind: "revert",
                        message: "only owner".into(),
                    }),
                    gas_used: 310,
                    ret: json!(null),
                    events: vec![],
                    stack: vec![FrameLine {
                        function: "Coin.mint".into(),
                        location: Some("coin.braid:7:9".into()),
                    }],
                    trace: None,
                },
            ],
            checks: vec![],
            deployed: vec![],
            digest: "ab".repeat(32),
            names: Vec::new(),
        };
        let text = render(
            &[Deployed {
                name: "usd".into(),
                contract: "Coin".into(),
                address: [1u8; 20],
            }],
            &report,
            &CheckCount {
                passed: 2,
                failed: 0,
            },
        );
        let expected = format!(
            "deployed usd (Coin) at 0x{}\n\n\
             block  tx  call          status    gas  events  result\n    \
             1   0  usd.transfer  success  5123       0  true\n   \
             12   1  usd.mint      revert    310       0  revert: only owner\n\n\
             block 12, tx 1 (usd.mint) failed: revert: only owner\n  \
             at coin.braid:7:9 in Coin.mint\n\n\
             expectations: 2 met, 0 failed\n\ndigest {}\n",
            "01".repeat(20),
            "ab".repeat(32)
        );
        assert_eq!(text, expected);
    }
}
