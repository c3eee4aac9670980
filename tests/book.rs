//! Every ```braid block in the book compiles; a block marked ```braid,compile_fail must
//! fail to compile. Blocks are whole files, compiled as if they sat in `contracts/`.

use braid_compiler::driver::{CompileOptions, Stage, compile_source};
use std::path::{Path, PathBuf};

struct BookBlock {
    chapter: PathBuf,
    line: usize,
    expect_fail: bool,
    text: String,
}

fn blocks(dir: &Path, out: &mut Vec<BookBlock>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("book/src is readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            blocks(&path, out);
            continue;
        }
        if path.extension().is_none_or(|x| x != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("chapter is UTF-8");
        let mut current: Option<BookBlock> = None;
        let mut in_other_block = false;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            let fence = trimmed.strip_prefix("```");
            if in_other_block {
                in_other_block = fence.is_none();
            } else if let Some(block) = current.as_mut() {
                if fence.is_some() {
                    out.push(current.take().expect("a block is open"));
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                }
            } else if let Some(info) = fence {
                let mut tags = info.split(',').map(str::trim);
                if tags.next() == Some("braid") {
                    current = Some(BookBlock {
                        chapter: path.clone(),
                        line: i + 1,
                        expect_fail: tags.any(|t| t == "compile_fail"),
                        text: String::new(),
                    });
                } else {
                    in_other_block = true;
                }
            }
        }
    }
}

#[test]
fn every_braid_block_in_the_book_compiles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    blocks(&root.join("book/src"), &mut all);
    assert!(all.len() >= 5, "the book has braid examples");
    let contracts = root.join("contracts");
    let opts = CompileOptions {
        include_dirs: Vec::new(),
        contracts_dir: Some(contracts.clone()),
    };
    let mut failures = Vec::new();
    for b in &all {
        let name = format!(
            "{}:{}",
            b.chapter.strip_prefix(root).unwrap_or(&b.chapter).display(),
            b.line
        );
        let c = compile_source(
            &name,
            b.text.as_bytes(),
            Some(&contracts),
            &opts,
            Stage::Bytecode,
        );
        match (b.expect_fail, c.has_errors()) {
            (false, true) => failures.push(format!(
                "{name} should compile:\n{}",
                c.render_diagnostics(false)
            )),
            (true, false) => failures.push(format!("{name} is marked compile_fail but compiles")),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
