//! Database-free checks of the code's shape, read from the source tree itself:
//! - every module under `src/` is named in docs/ARCHITECTURE.md;
//! - the top-level modules depend on each other one way (no circle);
//! - the two migration sets define the same tables and columns.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `src/store/db.rs` → `store::db`, `src/store/mod.rs` → `store`; `None` for the crate
/// roots and for test-only modules (`tests.rs`, anything under a `tests/` folder).
fn module_path(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root().join("src")).ok()?;
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.iter().any(|p| p == "tests") {
        return None;
    }
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        return None;
    }
    Some(parts.join("::"))
}

#[test]
fn every_module_is_named_in_the_architecture_doc() {
    let doc = fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("read the doc");
    let named = |m: &str| {
        let slash = m.replace("::", "/");
        doc.contains(&format!("`{m}`"))
            || doc.contains(&format!("`{slash}`"))
            || doc.contains(&format!("`{slash}/`"))
            || doc.contains(&format!("`{slash}.rs`"))
    };
    let missing: Vec<String> = rust_files(&root().join("src"))
        .iter()
        .filter_map(|f| module_path(f))
        .filter(|m| !named(m))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md does not name these modules (write `store::db` or \
         `store/db` in backquotes, with what the module is for): {missing:?}"
    );
}

/// The top-level modules a source text refers to: `crate::x`, `$crate::x` and each
/// name of a `crate::{x, y::z}` group. Comment lines are not code.
fn referenced_top_modules(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let preceded_by_ident = rest[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let after = &rest[at + "crate::".len()..];
        if !preceded_by_ident {
            if let Some(group) = after.strip_prefix('{') {
                let mut depth = 1;
                let mut item_start = true;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        ',' if depth == 1 => item_start = true,
                        c if item_start && depth == 1 && !c.is_whitespace() => {
                            out.insert(ident(&group[i..]));
                            item_start = false;
                        }
                        _ => {}
                    }
                }
            } else {
                out.insert(ident(after));
            }
        }
        rest = after;
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

/// Which top-level modules each top-level module uses.
fn top_level_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&root().join("src")) {
        let rel = file.strip_prefix(root().join("src")).expect("below src");
        let first = rel.iter().next().expect("a path").to_string_lossy();
        let top = first.trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = fs::read_to_string(&file).expect("read a source file");
        let uses = graph.entry(top.clone()).or_default();
        uses.extend(
            referenced_top_modules(&text)
                .into_iter()
                .filter(|m| *m != top),
        );
    }
    graph
}

/// A circle in the graph, if there is one (depth-first search).
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = path.iter().position(|p| p == node) {
            let mut circle = path[pos..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_depend_one_way() {
    let graph = top_level_graph();
    assert!(graph.contains_key("store") && graph.contains_key("web"));
    if let Some(circle) = find_circle(&graph) {
        panic!(
            "the top-level modules depend on each other in a circle: {}\n(whole graph: {graph:#?})",
            circle.join(" -> ")
        );
    }
    // The layering docs/ARCHITECTURE.md describes: the pure layers never reach up.
    let pure = [
        "domain", "records", "planning", "missions", "report", "calling", "auth", "messages",
    ];
    for module in pure {
        let uses = graph.get(module).cloned().unwrap_or_default();
        let up: Vec<&String> = uses
            .iter()
            .filter(|m| !pure.contains(&m.as_str()))
            .collect();
        assert!(up.is_empty(), "{module} is pure but uses {up:?}");
    }
    // The store never reaches up to the layers that use it.
    let store_up: Vec<&String> = graph["store"]
        .iter()
        .filter(|m| !pure.contains(&m.as_str()))
        .collect();
    assert!(store_up.is_empty(), "the store uses {store_up:?}");
}

#[test]
fn the_dependency_reader_sees_groups_and_paths() {
    let text = "use crate::{domain::Phone, store::{Store, Tx}};\n\
                // crate::web is only a comment\n\
                let x = crate::mail::send(); let y = $crate::report::Totals;\n\
                use lien::crate_like::x; fn mycrate::nope() {}";
    let found = referenced_top_modules(text);
    let expected: BTreeSet<String> = ["domain", "store", "mail", "report"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, expected);
}

/// Tables and their columns after applying one backend's migrations in order.
fn schema(backend: &str) -> BTreeMap<String, BTreeSet<String>> {
    let dir = root().join("migrations").join(backend);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("migrations folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let mut tables = BTreeMap::new();
    for file in files {
        let sql = fs::read_to_string(&file).expect("read a migration");
        apply_migration(&strip_sql_comments(&sql), &mut tables);
    }
    tables
}

fn strip_sql_comments(sql: &str) -> String {
    sql.lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ';' || c == ',')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches('"').to_ascii_lowercase())
        .collect()
}

/// Applies the statements that shape tables, in the order they appear: CREATE TABLE,
/// ALTER TABLE … ADD/DROP/RENAME COLUMN, RENAME TO, DROP TABLE.
fn apply_migration(sql: &str, tables: &mut BTreeMap<String, BTreeSet<String>>) {
    let lower = sql.to_ascii_lowercase();
    let mut at = 0;
    while at < lower.len() {
        let rest = &lower[at..];
        let create = rest.find("create table");
        let alter = rest.find("alter table");
        let drop = rest.find("drop table");
        let Some(next) = [create, alter, drop].into_iter().flatten().min() else {
            break;
        };
        let start = at + next;
        let end = statement_end(&lower, start);
        let stmt = &lower[start..end];
        if Some(next) == create {
            apply_create(stmt, tables);
        } else if Some(next) == alter {
            apply_alter(stmt, tables);
        } else {
            let w = words(stmt);
            let name = if w.get(2).is_some_and(|x| x == "if") {
                &w[4]
            } else {
                &w[2]
            };
            tables.remove(name);
        }
        at = end;
    }
}

/// The end of the statement starting at `start`: the first `;` outside parentheses.
fn statement_end(sql: &str, start: usize) -> usize {
    let mut depth = 0i32;
    for (i, c) in sql[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ';' if depth == 0 => return start + i + 1,
            _ => {}
        }
    }
    sql.len()
}

fn apply_create(stmt: &str, tables: &mut BTreeMap<String, BTreeSet<String>>) {
    let head = &stmt[..stmt.find('(').expect("a column list")];
    let name = words(head).last().expect("a table name").clone();
    let open = stmt.find('(').expect("(");
    let close = stmt.rfind(')').expect(")");
    let body = &stmt[open + 1..close];
    let mut columns = BTreeSet::new();
    let mut depth = 0;
    let mut item = String::new();
    for c in body.chars().chain(std::iter::once(',')) {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                let first = words(&item).into_iter().next().unwrap_or_default();
                let constraint = ["primary", "unique", "check", "foreign", "constraint"];
                if !first.is_empty() && !constraint.contains(&first.as_str()) {
                    columns.insert(first);
                }
                item.clear();
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    tables.insert(name, columns);
}

fn apply_alter(stmt: &str, tables: &mut BTreeMap<String, BTreeSet<String>>) {
    let w = words(stmt);
    let (name, rest) = if w.get(2).is_some_and(|x| x == "if") {
        (w[4].clone(), &w[5..])
    } else {
        (w[2].clone(), &w[3..])
    };
    let column = |i: usize| {
        let skip = usize::from(rest.get(i).is_some_and(|x| x == "column"));
        rest.get(i + skip).cloned().unwrap_or_default()
    };
    let not_a_constraint =
        |x: &String| !["constraint", "foreign", "primary", "unique", "check"].contains(&x.as_str());
    match rest.first().map(String::as_str) {
        Some("add") if rest.get(1).is_some_and(not_a_constraint) => {
            let col = column(1);
            tables.entry(name).or_default().insert(col);
        }
        Some("drop") if rest.get(1).is_some_and(not_a_constraint) => {
            let col = column(1);
            tables.entry(name).or_default().remove(&col);
        }
        Some("rename") if rest.get(1).is_some_and(|x| x == "to") => {
            let columns = tables.remove(&name).unwrap_or_default();
            tables.insert(rest[2].clone(), columns);
        }
        Some("rename") => {
            let skip = usize::from(rest.get(1).is_some_and(|x| x == "column"));
            let (from, to) = (rest[1 + skip].clone(), rest[3 + skip].clone());
            let cols = tables.entry(name).or_default();
            cols.remove(&from);
            cols.insert(to);
        }
        _ => {}
    }
}

/// Tables one backend has and the other must not, with the reason.
const BACKEND_ONLY: &[(&str, &str, &str)] = &[
    (
        "sqlite",
        "week_totals_deferred",
        "SQLite holds its row triggers back during a week's first plan (migration 0008); \
         PostgreSQL's statement-level triggers need no such switch",
    ),
    (
        "sqlite",
        "contact_reads_settled",
        "SQLite records the queue's reads in a file of their own (migration 0036, \
         store::reads_file); the database keeps the mark of the last one moved",
    ),
    (
        "postgres",
        "contact_reads",
        "PostgreSQL keeps the queue's reads in the database (migration 0029); SQLite's \
         moved to their own file (migration 0036)",
    ),
];

#[test]
fn both_migration_sets_define_the_same_tables_and_columns() {
    let mut sqlite = schema("sqlite");
    let mut postgres = schema("postgres");
    assert!(sqlite.contains_key("beneficiaries") && sqlite["beneficiaries"].contains("status"));
    for (backend, table, _why) in BACKEND_ONLY {
        let own = if *backend == "sqlite" {
            &mut sqlite
        } else {
            &mut postgres
        };
        assert!(
            own.remove(*table).is_some(),
            "{backend} no longer has {table}"
        );
    }
    let names = |s: &BTreeMap<String, BTreeSet<String>>| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&sqlite),
        names(&postgres),
        "the two sets define different tables"
    );
    for (table, columns) in &sqlite {
        assert_eq!(columns, &postgres[table], "table {table}: columns differ");
    }
}

#[test]
fn the_migration_reader_follows_alterations() {
    let mut tables = BTreeMap::new();
    apply_migration(
        &strip_sql_comments(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT CHECK (a IN ('x', 'y')), \
             b INT, UNIQUE (a, b)); -- CREATE TABLE ignored (z INT);\n\
             ALTER TABLE t ADD COLUMN c TEXT; ALTER TABLE t DROP COLUMN b;\n\
             ALTER TABLE t RENAME COLUMN a TO a2; CREATE TABLE u (x INT);\n\
             ALTER TABLE u RENAME TO v; DROP TABLE IF EXISTS gone;\n\
             ALTER TABLE v ADD FOREIGN KEY (x) REFERENCES t (id);",
        ),
        &mut tables,
    );
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(tables["t"], set(&["id", "a2", "c"]));
    assert_eq!(tables["v"], set(&["x"]));
    assert!(!tables.contains_key("u"));
}

/// The functions of one file longer than `limit` lines: `(name, first line, length)`.
/// rustfmt puts a function's closing brace at the indentation of its `fn` line.
fn long_functions(text: &str, limit: usize) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let Some(at) = trimmed.find("fn ") else {
            continue;
        };
        let prefix = &trimmed[..at];
        let qualifiers = [
            "pub",
            "pub(crate)",
            "pub(super)",
            "async",
            "const",
            "unsafe",
        ];
        if !prefix.split_whitespace().all(|w| qualifiers.contains(&w)) {
            continue;
        }
        let name: String = trimmed[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{indent}}}");
        let Some(end) = lines[i + 1..].iter().position(|l| *l == close) else {
            continue; // a declaration without a body
        };
        if trimmed.trim_end().ends_with(';') {
            continue;
        }
        let length = end + 2;
        if length > limit {
            out.push((name, i + 1, length));
        }
    }
    out
}

#[test]
fn functions_of_the_store_and_the_web_fit_on_a_screen() {
    let mut long = Vec::new();
    for area in ["src/store", "src/web"] {
        for file in rust_files(&root().join(area)) {
            let text = fs::read_to_string(&file).expect("read a source file");
            for (name, line, length) in long_functions(&text, 80) {
                let rel = file.strip_prefix(root()).expect("below the root").display();
                long.push(format!("{rel}:{line} {name} ({length} lines)"));
            }
        }
    }
    assert!(long.is_empty(), "functions over 80 lines: {long:#?}");
}

#[test]
fn the_function_reader_measures_bodies() {
    let body: String = (0..90).map(|i| format!("    let x{i} = {i};\n")).collect();
    let text = format!(
        "pub async fn long(\n    a: i64,\n) -> i64 {{\n{body}    a\n}}\n\nfn short() {{\n}}\n\
         trait T {{\n    fn declared(&self);\n}}\n"
    );
    assert_eq!(long_functions(&text, 80), vec![("long".to_string(), 1, 95)]);
}
