//! Embeds the built web app (`web/dist`, made by `scripts/web-build.sh`) as a table of assets.
//! Without it (a machine without Node, `cargo test` alone) the table is empty and the crate is
//! built with `cfg(web_app_missing)`: the pages answer 500 and say how to build them. `make
//! sam-build` refuses a web bootstrap without the app, so an empty one never ships.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, base, out);
        } else {
            let rel = path.strip_prefix(base).expect("under the base");
            out.push((rel.to_string_lossy().replace('\\', "/"), path));
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dist = root.join("../../web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rustc-check-cfg=cfg(web_app_missing)");
    let mut files = Vec::new();
    if dist.join("index.html").exists() {
        walk(&dist, &dist, &mut files);
    } else {
        println!("cargo:rustc-cfg=web_app_missing");
        println!(
            "cargo:warning=the web app is not built ({} is missing): its pages will answer 500; `make web-assets` builds it",
            dist.display()
        );
    }
    let mut code = String::from("/// Every built asset: path under /app/, and its bytes.\npub static ASSETS: &[(&str, &[u8])] = &[\n");
    for (rel, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let abs = path.canonicalize().expect("the file exists");
        writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("assets.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
