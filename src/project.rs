//! Paths: where a source file's project keeps its `contracts/`, and tidy relative paths.

use std::path::{Component, Path, PathBuf};

/// The project's `contracts/` directory for a source file: the `contracts` directory of
/// the nearest ancestor of the file's directory (that directory included) that has one.
/// `None` when no ancestor has one.
pub fn contracts_dir(source: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(source).ok()?;
    let start = absolute.parent()?;
    start
        .ancestors()
        .map(|dir| dir.join("contracts"))
        .find(|candidate| candidate.is_dir())
}

/// Joins `relative` onto `base` and removes `.` and `inner/..` pairs without touching the
/// file system, so that messages show `tests/run/contracts/coin.braid`, not
/// `tests/run/./contracts/../contracts/coin.braid`. A leading `..` is kept.
pub fn join_tidy(base: &Path, relative: &Path) -> PathBuf {
    let joined = base.join(relative);
    let mut out: Vec<Component<'_>> = Vec::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(part),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_tidy_removes_dots() {
        assert_eq!(
            join_tidy(
                Path::new("tests/run"),
                Path::new("./contracts/../contracts/coin.braid")
            ),
            PathBuf::from("tests/run/contracts/coin.braid")
        );
        assert_eq!(
            join_tidy(Path::new("a"), Path::new("../../b")),
            PathBuf::from("../b")
        );
        assert_eq!(
            join_tidy(Path::new(""), Path::new("x.toml")),
            PathBuf::from("x.toml")
        );
        assert_eq!(
            join_tidy(Path::new("/a"), Path::new("../../b")),
            PathBuf::from("/b")
        );
        assert_eq!(
            join_tidy(Path::new("a"), Path::new("..")),
            PathBuf::from(".")
        );
    }

    #[test]
    fn contracts_dir_walks_up() {
        let root = std::env::temp_dir().join(format!("braid-project-test-{}", std::process::id()));
        let nested = root.join("contracts").join("deep");
        std::fs::create_dir_all(&nested).expect("create temp dirs");
        let file = nested.join("x.braid");
        assert_eq!(contracts_dir(&file), Some(root.join("contracts")));
        let beside = root.join("y.braid");
        assert_eq!(contracts_dir(&beside), Some(root.join("contracts")));
        std::fs::remove_dir_all(&root).expect("remove temp dirs");
    }
}
