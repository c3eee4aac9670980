//! The readable output of `braid run`: deployments, a table of receipts, checks, digest.

use super::plan::Deployed;
use crate::receipt_json::{RunReport, address_text, value_text};

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
    if checks.passed + checks.failed > 0 {
        out.push_str(&format!(
            "\nexpectations: {} met, {} failed\n",
            checks.passed, checks.failed
        ));
    }
    out.push_str(&format!("\ndigest {}\n", report.digest));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipt_json::{Reason, ReceiptEntry};
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
                },
            ],
            checks: vec![],
            deployed: vec![],
            digest: "ab".repeat(32),
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
             expectations: 2 met, 0 failed\n\ndigest {}\n",
            "01".repeat(20),
            "ab".repeat(32)
        );
        assert_eq!(text, expected);
    }
}
