//! `braid compile --emit clif`: the Cranelift IR of each function of each
//! `tests/clif/*.braid` case, as a snapshot.

use std::process::Command;

fn clif(path: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["compile", "--emit", "clif"])
        .arg(path)
        .output()
        .expect("run the braid binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn clif_cases() {
    insta::glob!("clif/*.braid", |path| {
        insta::assert_snapshot!(clif(path));
    });
}
