//! The house's floors, read from the source: each top-level module may import
//! only the modules on its list (`docs/architecture.md` draws the same table).
//! A domain that reaches upstairs, or a new module nobody placed, fails here
//! with the file and the import, before it becomes an import circle.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The ground floor: infrastructure that names no domain.
const GROUND: &[&str] = &["config", "error", "entity", "platform"];

/// Each module and the modules above the ground floor it may import; `None`
/// for the upstairs modules that wire the house together and may import all.
const FLOORS: &[(&str, Option<&[&str]>)] = &[
    ("config", Some(&[])),
    ("error", Some(&[])),
    ("entity", Some(&[])),
    ("platform", Some(&[])),
    ("auth", Some(&[])),
    ("workshops", Some(&["auth"])),
    ("webhooks", Some(&["auth"])),
    ("catalog", Some(&["auth"])),
    ("orders", Some(&["auth", "catalog"])),
    ("integrations", Some(&["orders"])),
    ("live", Some(&["auth", "orders"])),
    ("groupbuys", Some(&["auth", "workshops", "orders"])),
    ("ledger", Some(&["auth", "catalog", "orders"])),
    (
        "fulfilment",
        Some(&[
            "auth",
            "catalog",
            "orders",
            "integrations",
            "groupbuys",
            "ledger",
        ]),
    ),
    ("reports", Some(&["auth", "catalog", "ledger"])),
    ("system", Some(&["orders", "live", "fulfilment"])),
    // Upstairs: the shared state, start-up, scaffolding and the command line.
    ("state", None),
    ("startup", None),
    ("scaffold", None),
    ("cli", None),
    ("lib", None),
    ("main", None),
];

/// Domains still reach the application state (issue: a ground-floor state);
/// it is allowed to every domain until each registers its own runtime.
const SHARED_STATE: &str = "state";

#[test]
fn every_module_imports_only_the_floors_below_it() {
    let mut breaches = Vec::new();
    for file in rust_files(&src_dir()) {
        let module = top_module(&file);
        let Some(allowed) = allowed_for(&module) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("source readable");
        for (line_no, target) in crate_imports(&text) {
            let permitted = target == module
                || GROUND.contains(&target.as_str())
                || target == SHARED_STATE
                || allowed.contains(&target.as_str());
            if !permitted {
                breaches.push(format!(
                    "{}:{line_no}: `{module}` imports `crate::{target}`",
                    file.display()
                ));
            }
        }
    }
    assert!(
        breaches.is_empty(),
        "imports that reach upstairs:\n{}",
        breaches.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_floor() {
    let placed: BTreeSet<&str> = FLOORS.iter().map(|(name, _)| *name).collect();
    let unplaced: Vec<String> = std::fs::read_dir(src_dir())
        .expect("src readable")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir() || path.extension().is_some_and(|e| e == "rs"))
        .map(|path| module_name(&path))
        .filter(|name| !placed.contains(name.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules with no floor in tests/api/architecture.rs: {unplaced:?}"
    );
}

#[test]
fn the_reader_finds_single_and_grouped_imports_and_skips_comments() {
    let text = "use crate::orders::service;\n\
                use crate::{live, fulfilment::{waves, claims}};\n\
                // use crate::reports;\n\
                use crate::{\n    groupbuys,\n    ledger::entries,\n};\n\
                let x = crate::system::metrics(); // crate::cli\n";
    let found: Vec<(usize, String)> = crate_imports(text);
    let names: Vec<&str> = found.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        names,
        [
            "orders",
            "live",
            "fulfilment",
            "groupbuys",
            "ledger",
            "system"
        ]
    );
    assert_eq!(found[1].0, 2);
    assert_eq!(found[3].0, 4);
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn allowed_for(module: &str) -> Option<&'static [&'static str]> {
    FLOORS
        .iter()
        .find(|(name, _)| *name == module)
        .unwrap_or_else(|| panic!("module `{module}` has no floor"))
        .1
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

fn top_module(file: &Path) -> String {
    let relative = file.strip_prefix(src_dir()).expect("under src");
    let first = relative.components().next().expect("a component");
    module_name(Path::new(first.as_os_str()))
}

fn module_name(path: &Path) -> String {
    path.file_stem()
        .expect("a name")
        .to_string_lossy()
        .into_owned()
}

/// The top-level modules a source names through `crate::`, with line numbers;
/// `crate::{a, b::{c, d}}` names `a` and `b`, across lines too. Line comments
/// are skipped.
fn crate_imports(text: &str) -> Vec<(usize, String)> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::") {
        let start = from + at + "crate::".len();
        let line = code[..start].matches('\n').count() + 1;
        let rest = &code[start..];
        if let Some(group) = rest.strip_prefix('{') {
            for part in top_level_parts(group) {
                let name = first_segment(part.trim());
                if !name.is_empty() {
                    found.push((line, name));
                }
            }
        } else {
            found.push((line, first_segment(rest)));
        }
        from = start;
    }
    found
}

/// The comma-separated parts of a `{…}` group (the text after its `{`), nested
/// groups kept whole.
fn top_level_parts(group: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut part_start) = (0usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                parts.push(&group[part_start..i]);
                return parts;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&group[part_start..i]);
                part_start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&group[part_start..]);
    parts
}

fn first_segment(path: &str) -> String {
    path.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}
