//! The layering of `tenantry-http`, checked on its source tree:
//!
//! - `core` imports neither `shared` nor `dialects`;
//! - `shared` imports `core` only, never `dialects`;
//! - a dialect (`dialects/admin`, `dialects/hosting`, …, `dialects/links.rs`) imports `core`
//!   and `shared`, never another dialect (`dialects/mod.rs` composes them and may);
//! - no import cycles between modules (a module may use its ancestors and descendants).
//!
//! Run it alone with `cargo test -p tenantry-http --test layering` (`make lint` does).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path inside the crate: `["dialects", "admin", "tenants"]`; the root is `[]`.
type ModulePath = Vec<String>;

#[test]
fn the_http_crate_keeps_its_layers_and_has_no_import_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = BTreeMap::new();
    read_tree(&root, &root, &mut sources);
    assert!(
        sources.len() > 20,
        "found only {} source files under {root:?}",
        sources.len()
    );
    let violations = check(&sources);
    assert!(
        violations.is_empty(),
        "layering violations in crates/http/src:\n{}",
        violations.join("\n")
    );
}

fn read_tree(root: &Path, dir: &Path, sources: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {dir:?}: {error}"))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_tree(root, &path, sources);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let relative = path.strip_prefix(root).expect("under the root");
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            sources.insert(relative.to_string_lossy().replace('\\', "/"), text);
        }
    }
}

/// Every rule broken by `sources` (relative path → text), one line each.
fn check(sources: &BTreeMap<String, String>) -> Vec<String> {
    let modules: BTreeMap<ModulePath, &str> = sources
        .keys()
        .map(|file| (module_of(file), file.as_str()))
        .collect();
    let mut violations = Vec::new();
    let mut edges: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
    for (file, text) in sources {
        let from = module_of(file);
        for reference in references(&from, text) {
            let to = deepest_module(&modules, &reference);
            if let Some(rule) = broken_rule(&from, &to) {
                violations.push(format!(
                    "{file}: uses crate::{} ({rule})",
                    reference.join("::")
                ));
            }
            if !is_prefix(&from, &to) && !is_prefix(&to, &from) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    for cycle in cycles(&edges) {
        let names: Vec<&str> = cycle.iter().map(|module| modules[module]).collect();
        violations.push(format!("import cycle between {}", names.join(", ")));
    }
    violations
}

/// `dialects/admin/mod.rs` → `dialects::admin`; `core/state.rs` → `core::state`.
fn module_of(file: &str) -> ModulePath {
    let trimmed = file.trim_end_matches(".rs");
    let mut parts: Vec<String> = trimmed.split('/').map(str::to_owned).collect();
    if parts
        .last()
        .is_some_and(|last| last == "mod" || last == "lib")
    {
        parts.pop();
    }
    parts
}

/// The layer a module belongs to, and for dialects which one.
fn layer(module: &[String]) -> (&str, Option<&str>) {
    match module {
        [] => ("root", None),
        [first] if first == "dialects" => ("dialects", None),
        [first, dialect, ..] if first == "dialects" => ("dialects", Some(dialect.as_str())),
        [first, ..] => (first.as_str(), None),
    }
}

fn broken_rule(from: &[String], to: &[String]) -> Option<&'static str> {
    match (layer(from), layer(to)) {
        (("core", _), ("shared", _)) => Some("core must not import shared"),
        (("core", _), ("dialects", _)) => Some("core must not import a dialect"),
        (("shared", _), ("dialects", _)) => Some("shared must not import a dialect"),
        (("dialects", Some(own)), ("dialects", Some(other))) if own != other => {
            Some("a dialect must not import another dialect")
        }
        (("dialects", Some(_)), ("dialects", None)) => {
            Some("a dialect must not import the dialect composition")
        }
        _ => None,
    }
}

fn is_prefix(prefix: &[String], path: &[String]) -> bool {
    path.len() >= prefix.len() && path[..prefix.len()] == *prefix
}

/// The longest module in the crate that `path` starts with (the rest names items).
fn deepest_module(modules: &BTreeMap<ModulePath, &str>, path: &[String]) -> ModulePath {
    (0..=path.len())
        .rev()
        .map(|length| path[..length].to_vec())
        .find(|candidate| modules.contains_key(candidate))
        .unwrap_or_default()
}

/// Every module path the file names through `crate::…` or `super::…`, comments excluded.
fn references(module: &[String], text: &str) -> Vec<ModulePath> {
    // `super` of `dialects/admin/tenants.rs` is `dialects::admin`; of `dialects/admin/mod.rs`
    // (module `dialects::admin`) it is `dialects`.
    let parent: ModulePath = module[..module.len().saturating_sub(1)].to_vec();
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    for (start, _) in code.match_indices("crate::") {
        if is_identifier_tail(&code[..start]) {
            continue;
        }
        for path in paths_at(&code[start + "crate::".len()..]) {
            found.push(path);
        }
    }
    for (start, _) in code.match_indices("super::") {
        if is_identifier_tail(&code[..start]) || code[..start].ends_with("super::") {
            continue;
        }
        let mut base = parent.clone();
        let mut rest = &code[start + "super::".len()..];
        while let Some(after) = rest.strip_prefix("super::") {
            base.pop();
            rest = after;
        }
        for path in paths_at(rest) {
            found.push([base.clone(), path].concat());
        }
    }
    found
}

fn is_identifier_tail(before: &str) -> bool {
    before
        .chars()
        .next_back()
        .is_some_and(|character| character.is_alphanumeric() || character == '_')
}

/// The paths written at the start of `text`: `a::b::Item` or a group `{a::x, b::{y, z}}`.
fn paths_at(text: &str) -> Vec<ModulePath> {
    if let Some(group) = text.strip_prefix('{') {
        let mut depth = 0usize;
        let mut item = String::new();
        let mut items = Vec::new();
        for character in group.chars() {
            match character {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut item));
                    continue;
                }
                _ => {}
            }
            item.push(character);
        }
        items.push(item);
        return items
            .iter()
            .flat_map(|item| paths_at(item.trim()))
            .collect();
    }
    let mut segments = ModulePath::new();
    let mut rest = text;
    loop {
        let name: String = rest
            .chars()
            .take_while(|character| character.is_alphanumeric() || *character == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        segments.push(name.clone());
        rest = &rest[name.len()..];
        match rest.strip_prefix("::") {
            Some(after) if after.starts_with('{') => {
                return paths_at(after)
                    .into_iter()
                    .map(|tail| [segments.clone(), tail].concat())
                    .collect();
            }
            Some(after) => rest = after,
            None => break,
        }
    }
    if segments.is_empty() {
        Vec::new()
    } else {
        vec![segments]
    }
}

/// The groups of modules that import one another in a ring (strongly connected, 2+).
fn cycles(edges: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Vec<Vec<ModulePath>> {
    let nodes: BTreeSet<&ModulePath> = edges
        .iter()
        .flat_map(|(from, targets)| std::iter::once(from).chain(targets))
        .collect();
    let reaches = |from: &ModulePath, to: &ModulePath| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(node) = stack.pop() {
            for next in edges.get(node).into_iter().flatten() {
                if next == to {
                    return true;
                }
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        false
    };
    let mut grouped: BTreeSet<&ModulePath> = BTreeSet::new();
    let mut found = Vec::new();
    for &node in &nodes {
        if grouped.contains(node) || !reaches(node, node) {
            continue;
        }
        let ring: Vec<ModulePath> = nodes
            .iter()
            .filter(|&&other| other == node || (reaches(node, other) && reaches(other, node)))
            .map(|&other| other.clone())
            .collect();
        grouped.extend(nodes.iter().filter(|other| ring.contains(other)).copied());
        found.push(ring);
    }
    found
}

#[cfg(test)]
mod checker {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut sources: BTreeMap<String, String> = [
            ("lib.rs", "mod core; mod shared; mod dialects;"),
            ("core/mod.rs", "pub mod error; pub mod state;"),
            ("core/error.rs", ""),
            ("core/state.rs", "use crate::core::error::ApiError;"),
            ("shared/mod.rs", "pub mod views;"),
            ("shared/views.rs", "use crate::core::state::AppState;"),
            (
                "dialects/mod.rs",
                "pub mod admin; pub mod tahoe; pub mod links;",
            ),
            ("dialects/admin/mod.rs", "mod tenants; mod tokens;"),
            (
                "dialects/admin/tenants.rs",
                "use crate::shared::views::tenant_json;",
            ),
            (
                "dialects/admin/tokens.rs",
                "use super::tenants::tenant_key;",
            ),
            (
                "dialects/tahoe/mod.rs",
                "use crate::core::{error::ApiError, state::AppState};",
            ),
            ("dialects/links.rs", ""),
        ]
        .iter()
        .map(|(file, text)| ((*file).to_owned(), (*text).to_owned()))
        .collect();
        for (file, text) in files {
            sources.insert((*file).to_owned(), (*text).to_owned());
        }
        sources
    }

    #[test]
    fn a_clean_tree_passes() {
        assert_eq!(check(&tree(&[])), Vec::<String>::new());
    }

    #[test]
    fn core_importing_shared_or_a_dialect_is_refused() {
        let violations = check(&tree(&[(
            "core/state.rs",
            "use crate::shared::views::x;\nfn f() { crate::dialects::admin::y(); }",
        )]));
        let has = |rule: &str| violations.iter().any(|line| line.contains(rule));
        assert!(
            has("uses crate::shared::views::x (core must not import shared)"),
            "{violations:?}"
        );
        assert!(has(
            "uses crate::dialects::admin::y (core must not import a dialect)"
        ));
    }

    #[test]
    fn a_dialect_importing_another_is_refused_even_through_groups_and_super() {
        let violations = check(&tree(&[
            (
                "dialects/links.rs",
                "use crate::dialects::{admin::tenants::x};",
            ),
            (
                "dialects/admin/tokens.rs",
                "use super::super::tahoe::Thing;",
            ),
        ]));
        assert_eq!(violations.len(), 2, "{violations:?}");
        assert!(
            violations
                .iter()
                .all(|line| line.contains("another dialect"))
        );
    }

    #[test]
    fn shared_importing_a_dialect_is_refused() {
        let violations = check(&tree(&[(
            "shared/views.rs",
            "use crate::dialects::tahoe::X;",
        )]));
        assert_eq!(violations.len(), 1, "{violations:?}");
    }

    #[test]
    fn sibling_cycles_are_refused_but_parent_child_use_is_not() {
        let violations = check(&tree(&[
            ("dialects/admin/tenants.rs", "use super::tokens::issue;"),
            (
                "dialects/admin/mod.rs",
                "mod tenants; mod tokens; use tenants::x;",
            ),
        ]));
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert!(violations[0].contains("import cycle between"));
        assert!(violations[0].contains("dialects/admin/tenants.rs"));
        assert!(violations[0].contains("dialects/admin/tokens.rs"));
    }

    #[test]
    fn comments_do_not_count() {
        let violations = check(&tree(&[(
            "core/state.rs",
            "//! see [`crate::dialects::admin`]",
        )]));
        assert_eq!(violations, Vec::<String>::new());
    }
}
