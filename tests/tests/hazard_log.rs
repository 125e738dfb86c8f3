//! Keeps docs/safety/hazard-log.md honest: every hazard has every field, at least one product
//! control and one test; every cited test exists in the workspace as a test; every rating follows
//! the DCB0129 matrix and no control makes a risk worse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FIELDS: [&str; 7] = [
    "Cause",
    "Effect on the child",
    "Initial risk",
    "Controls in the product",
    "Controls for the deploying organisation",
    "Residual risk",
    "Tests",
];

const SEVERITIES: [&str; 5] = [
    "Minor",
    "Significant",
    "Considerable",
    "Major",
    "Catastrophic",
];
const LIKELIHOODS: [&str; 5] = ["Very low", "Low", "Medium", "High", "Very high"];

/// The standard's risk matrix: `MATRIX[likelihood][severity]`, both from lowest.
const MATRIX: [[u8; 5]; 5] = [
    [1, 1, 2, 2, 3],
    [1, 2, 2, 3, 4],
    [2, 2, 3, 3, 4],
    [2, 3, 3, 4, 5],
    [3, 4, 4, 5, 5],
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned()
}

/// Hazard id → its fields (name → text), in file order.
fn hazards(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut field: Option<String> = None;
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("## H") {
            out.push((format!("H{title}"), BTreeMap::new()));
            field = None;
            continue;
        }
        if line.starts_with("## ") {
            field = None;
            continue;
        }
        let Some((_, fields)) = out.last_mut() else {
            continue;
        };
        if let Some(rest) = line.strip_prefix("- **") {
            if let Some((name, value)) = rest.split_once(":**") {
                fields.insert(name.to_owned(), value.trim().to_owned());
                field = Some(name.to_owned());
                continue;
            }
        }
        if let (Some(f), true) = (&field, line.starts_with("  ")) {
            let v = fields.get_mut(f).expect("the field being continued");
            v.push(' ');
            v.push_str(line.trim());
        }
    }
    out
}

/// `(severity, likelihood, rating)` of "severity X, likelihood Y, rating N".
fn risk(text: &str) -> Option<(usize, usize, u8)> {
    let rest = text.strip_prefix("severity ")?;
    let (severity, rest) = rest.split_once(", likelihood ")?;
    let (likelihood, rating) = rest.split_once(", rating ")?;
    Some((
        SEVERITIES.iter().position(|s| *s == severity)?,
        LIKELIHOODS.iter().position(|l| *l == likelihood)?,
        rating.trim().parse().ok()?,
    ))
}

/// Whether `file` holds a test function `name` (a `#[test]` or `#[tokio::test]` just above it).
fn is_test(file: &Path, name: &str) -> bool {
    let Ok(src) = std::fs::read_to_string(file) else {
        return false;
    };
    let lines: Vec<&str> = src.lines().collect();
    let decl = format!("fn {name}(");
    lines.iter().enumerate().any(|(i, l)| {
        l.contains(&decl)
            && lines[i.saturating_sub(3)..i]
                .iter()
                .any(|a| a.contains("#[test]") || a.contains("#[tokio::test"))
    })
}

/// Every problem with the log, one line each.
fn problems(text: &str, root: &Path) -> Vec<String> {
    let mut p = Vec::new();
    let all = hazards(text);
    if all.len() < 18 {
        p.push(format!(
            "only {} hazards (the issue lists 18 at least)",
            all.len()
        ));
    }
    for (n, (id, fields)) in all.iter().enumerate() {
        if !id.starts_with(&format!("H{:02}:", n + 1)) {
            p.push(format!("{id}: hazards are numbered H01, H02, ... in order"));
        }
        let id = id.split(':').next().unwrap_or(id);
        for f in FIELDS {
            match fields.get(f) {
                None => p.push(format!("{id}: no {f}")),
                Some(v) if v.len() < 10 => p.push(format!("{id}: {f} says nothing")),
                _ => {}
            }
        }
        let initial = fields.get("Initial risk").and_then(|r| risk(r));
        let residual = fields.get("Residual risk").and_then(|r| risk(r));
        for (what, r) in [("initial", initial), ("residual", residual)] {
            match r {
                None => p.push(format!(
                    "{id}: the {what} risk is not 'severity S, likelihood L, rating N'"
                )),
                Some((s, l, rating)) if MATRIX[l][s] != rating => p.push(format!(
                    "{id}: {what} {} / {} rates {}, not {rating}",
                    SEVERITIES[s], LIKELIHOODS[l], MATRIX[l][s]
                )),
                _ => {}
            }
        }
        if let (Some(i), Some(r)) = (initial, residual) {
            if r.2 > i.2 || r.1 > i.1 {
                p.push(format!("{id}: the residual risk is above the initial"));
            }
        }
        let cited: Vec<&str> = fields
            .get("Tests")
            .map(|t| t.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        if cited.is_empty() {
            p.push(format!("{id}: no test proves its controls"));
        }
        for c in cited {
            match c.split_once("::") {
                Some((file, name)) if is_test(&root.join(file), name) => {}
                _ => p.push(format!("{id}: {c} is not a test in the workspace")),
            }
        }
    }
    p
}

fn log() -> String {
    std::fs::read_to_string(root().join("docs/safety/hazard-log.md")).expect("the hazard log")
}

#[test]
fn every_hazard_has_its_controls_its_ratings_and_tests_that_exist() {
    let p = problems(&log(), &root());
    assert!(
        p.is_empty(),
        "docs/safety/hazard-log.md:\n  - {}",
        p.join("\n  - ")
    );
}

#[test]
fn the_matrix_in_the_log_is_the_standard_one() {
    let text = log();
    for (l, likelihood) in LIKELIHOODS.iter().enumerate() {
        let row = format!("| {likelihood} |");
        let line = text
            .lines()
            .find(|line| line.starts_with(&row))
            .unwrap_or_else(|| panic!("no matrix row for {likelihood}"));
        let cells: Vec<u8> = line
            .split('|')
            .skip(2)
            .filter_map(|c| c.trim().parse().ok())
            .collect();
        assert_eq!(cells, MATRIX[l], "{likelihood}");
    }
}

#[test]
fn the_checks_fail_on_a_broken_log() {
    let text = log();
    let root = root();
    let broken = [
        (
            "a test that does not exist",
            text.replacen(
                "a_store_that_cannot_be_read_answers_503_never_no_record`",
                "a_test_nobody_wrote`",
                1,
            ),
        ),
        (
            "a function that is not a test",
            text.replacen(
                "`shared/src/nhs_number.rs::changing_one_digit_is_always_detected`",
                "`shared/src/nhs_number.rs::check_digit`",
                1,
            ),
        ),
        (
            "a rating off the matrix",
            text.replacen(
                "severity Catastrophic, likelihood Medium, rating 4",
                "severity Catastrophic, likelihood Medium, rating 2",
                1,
            ),
        ),
        (
            "a hazard without tests",
            text.replacen("- **Tests:** `tests/tests/lookup.rs", "- **Checks:** `x", 1),
        ),
    ];
    for (what, t) in broken {
        assert_ne!(t, text, "{what}: the mutation did not apply");
        assert!(!problems(&t, &root).is_empty(), "{what} was not caught");
    }
}

#[test]
fn every_test_the_dpia_cites_exists() {
    let text = std::fs::read_to_string(root().join("docs/DPIA.md")).expect("the DPIA");
    let cited: Vec<&str> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| c.contains("::") && c.contains(".rs"))
        .collect();
    assert!(cited.len() >= 10, "{cited:?}");
    let missing: Vec<&&str> = cited
        .iter()
        .filter(|c| {
            let (file, name) = c.split_once("::").unwrap();
            !is_test(&root().join(file), name)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "docs/DPIA.md cites tests that do not exist: {missing:?}"
    );
}

/// Every file of the repository (not the build, dependencies or git), relative to its root.
fn repo_files(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                    walk(&p, root, out);
                }
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// docs/ARCHITECTURE.md names files to say where things are: each one it names must exist
/// (named from the root, or as the end of a path under a named folder, like `store/scan.rs`).
#[test]
fn every_file_architecture_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("the doc");
    let files = repo_files(&root);
    let mut missing = Vec::new();
    let mut checked = 0;
    for quoted in doc.split('`').skip(1).step_by(2) {
        let path = quoted.split("::").next().unwrap_or(quoted);
        let named = path.contains('/')
            && !path.contains(' ')
            && !path.starts_with('/')
            && !path.contains('*')
            && [".rs", ".sh", ".py", ".mjs", ".js", ".yaml", ".md", ".toml"]
                .iter()
                .any(|ext| path.ends_with(ext));
        if !named {
            continue;
        }
        checked += 1;
        if !files
            .iter()
            .any(|f| f == path || f.ends_with(&format!("/{path}")))
        {
            missing.push(path.to_owned());
        }
    }
    assert!(
        checked > 10,
        "only {checked} file names found: is the doc still there?"
    );
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md names files that do not exist: {missing:?}"
    );
}
