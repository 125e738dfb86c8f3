//! `make help` is the list a newcomer reads: every target a person runs is in it.

use std::collections::BTreeSet;

/// Targets that are steps of others, not commands a person runs.
const INTERNAL: &[&str] = &[
    "emulator-install",
    "sam-install",
    "sam-validate",
    "sam-build",
];

#[test]
fn make_help_lists_every_target() {
    let makefile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Makefile"))
        .expect("the Makefile");
    // Lines of `define ... endef` blocks are text, not rules.
    let mut in_define = false;
    let rules: Vec<&str> = makefile
        .lines()
        .filter(|l| {
            if l.starts_with("define ") {
                in_define = true;
            } else if l.starts_with("endef") {
                in_define = false;
                return false;
            }
            !in_define
        })
        .collect();
    let targets: BTreeSet<&str> = rules
        .iter()
        .copied()
        .filter(|l| !l.starts_with(['\t', '#', '.', ' ']) && !l.contains(":=") && !l.contains("?="))
        .filter_map(|l| l.split_once(':').map(|(t, _)| t.trim()))
        .filter(|t| !t.is_empty() && !t.contains('$') && !t.contains(' '))
        .filter(|t| !INTERNAL.contains(t))
        .collect();
    assert!(
        targets.contains("test") && targets.contains("dev"),
        "{targets:?}"
    );
    let help: BTreeSet<&str> = makefile
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("#   make "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let missing: Vec<_> = targets.difference(&help).collect();
    assert!(missing.is_empty(), "make help does not list: {missing:?}");
}
