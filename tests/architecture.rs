//! The layers of DESIGN.md §2, checked from the code: which top-level module refers to which
//! (`crate::MODULE` in code, comments left out). The engine (`xml`, `domain`, `catalog`, `argv`,
//! `check`, `edit`, `host`, `store`) never refers to the fronts (`cli`, `tui`); the catalog never
//! starts programs (it does not refer to `host`); and the engine's modules form no cycle, so each
//! can be read, tested and replaced from the bottom up.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ENGINE: &[&str] = &[
    "xml", "domain", "catalog", "argv", "check", "edit", "host", "store", "visible", "scan",
];
const FRONTS: &[&str] = &["cli", "tui"];

/// Top-level module → the other top-level modules its code refers to.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let module = first.trim_end_matches(".rs").to_string();
            let uses = graph.entry(module.clone()).or_default();
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines() {
                let code = line.split("//").next().unwrap_or("");
                for (at, _) in code.match_indices("crate::") {
                    // `$crate::…` in a macro names this crate too.
                    let name: String = code[at + "crate::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != module {
                        uses.insert(name);
                    }
                }
            }
        }
    }
    graph
}

#[test]
fn the_engine_never_refers_to_the_fronts_and_the_catalog_starts_no_program() {
    let graph = module_graph();
    for (module, uses) in &graph {
        println!(
            "{module} -> {}",
            uses.iter().cloned().collect::<Vec<_>>().join(" ")
        );
    }
    for engine in ENGINE {
        let uses = graph
            .get(*engine)
            .unwrap_or_else(|| panic!("no module {engine}"));
        for front in FRONTS {
            assert!(
                !uses.contains(*front),
                "the engine module `{engine}` refers to the front `{front}`"
            );
        }
    }
    assert!(
        !graph["catalog"].contains("host"),
        "`catalog` refers to `host`: the catalog is data; programs run in `host`"
    );
}

#[test]
fn the_engine_modules_form_no_cycle() {
    let graph = module_graph();
    // Depth-first search over the engine's edges; a module met again on the current path closes
    // a cycle.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == m) {
            panic!(
                "the engine modules refer to each other in a circle: {} -> {m}",
                path[at..].join(" -> ")
            );
        }
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if ENGINE.contains(&next.as_str()) {
                visit(next, graph, path, done);
            }
        }
        path.pop();
        done.insert(m.to_string());
    }
    let mut done = BTreeSet::new();
    for m in ENGINE {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}
