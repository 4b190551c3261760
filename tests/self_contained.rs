//! The repository stands on its own: nothing it builds, tests, runs or documents refers
//! to a folder outside it. (CI also runs the whole suite on a copy of the committed tree
//! in an empty temporary directory: `.ci/run`.)

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn no_path_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("Cargo.toml"), root.join(".ci/run")];
    for dir in ["src", "tests", "docs", "scripts", "reference", "assets", "examples", "morphologies"] {
        walk(&root.join(dir), &mut files);
    }
    // Spelled in pieces so that this file does not match itself.
    let outside = [concat!("..", "/shared"), concat!("/work", "/shared"), concat!("shared", "/reference")];
    let mut found = Vec::new();
    for f in &files {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !["rs", "md", "toml", "py", "sh", "json", "wgsl", "hoc", "mod", ""].contains(&ext) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        for (n, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o)) {
                found.push(format!(
                    "{}:{}: {}",
                    f.strip_prefix(root).unwrap_or(f).display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(found.is_empty(), "paths outside the repository:\n{}", found.join("\n"));
}
