//! The architecture, checked: imports between the top-level modules of `src/` run one way, as
//! the layer table in `docs/architecture.md` says, and no function is longer than
//! [`MAX_FN_LINES`] lines.
//!
//! The checker reads the sources as text: it drops comments, string and character literals,
//! then finds every `crate::<module>` path (in `use` lines, in expressions, inside macros
//! such as `html!`) and every `super::` path that climbs out of its top-level module. A module
//! may import any module of a lower layer, and a module of its own layer only where the
//! table's "may also import" column names it. Whatever the table says, a cycle fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest function allowed in `src/`, in lines from `fn` to its closing brace.
const MAX_FN_LINES: usize = 120;

/// One source file: its path under `src/` and its text.
struct Source {
    path: String,
    text: String,
}

/// A reference from one top-level module to another.
#[derive(Debug, Clone)]
struct Import {
    from: String,
    to: String,
    /// `path:line: the line`
    at: String,
}

/// What the layer table says.
#[derive(Debug, Default)]
struct Layers {
    /// Module → layer number (1 is the lowest).
    layer: BTreeMap<String, u32>,
    /// Module → modules of its own layer it may import.
    also: BTreeMap<String, BTreeSet<String>>,
}

impl Layers {
    /// Reads the table under the `## Layers` heading: `| layer | module | may also import |`
    /// rows, with module names in backticks and the layer's number first in its cell.
    fn parse(markdown: &str) -> Self {
        let mut layers = Self::default();
        let section = markdown
            .split("\n## ")
            .find(|s| s.starts_with("Layers"))
            .expect("docs/architecture.md has a `## Layers` section");
        for row in section.lines().filter(|l| l.starts_with('|')) {
            let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
            let Some(number) = cells.first().and_then(|c| {
                c.split(|ch: char| !ch.is_ascii_digit())
                    .next()
                    .and_then(|d| d.parse::<u32>().ok())
            }) else {
                continue;
            };
            let Some(modules) = cells.get(1) else {
                continue;
            };
            for module in backticked(modules) {
                layers.layer.insert(module.clone(), number);
                let also = cells.get(2).map(|c| backticked(c)).unwrap_or_default();
                layers.also.insert(module, also.into_iter().collect());
            }
        }
        layers
    }

    /// Why `import` is not allowed, if it is not.
    fn refuse(&self, import: &Import) -> Option<String> {
        let Some(&from) = self.layer.get(&import.from) else {
            return Some(format!(
                "module `{}` is not in the layer table",
                import.from
            ));
        };
        let Some(&to) = self.layer.get(&import.to) else {
            return Some(format!("module `{}` is not in the layer table", import.to));
        };
        let same_layer_allowed = from == to
            && self
                .also
                .get(&import.from)
                .is_some_and(|a| a.contains(&import.to));
        (to > from || (to == from && !same_layer_allowed)).then(|| {
            format!(
                "`{}` (layer {from}) may not import `{}` (layer {to})",
                import.from, import.to
            )
        })
    }
}

fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The top-level module a file under `src/` belongs to (`None` for the crate root files).
fn top_module(path: &str) -> Option<String> {
    let first = path.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// How deep the file's module is below the crate root (`orders/mod.rs` and `orders.rs` are 1,
/// `orders/store.rs` is 2).
fn module_depth(path: &str) -> usize {
    let parts: Vec<&str> = path.split('/').collect();
    let last = parts.last().copied().unwrap_or_default();
    if last == "mod.rs" {
        parts.len() - 1
    } else {
        parts.len()
    }
}

/// The text with comments, strings and character literals blanked out (newlines kept, so line
/// numbers stay true).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if (c == 'r' || (c == 'b' && next == Some('r')))
            && raw_string_start(&chars, i).is_some()
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            let (hashes, body) = raw_string_start(&chars, i).unwrap_or_default();
            for ch in &chars[i..body] {
                out.push(blank(*ch));
            }
            i = body;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                out.push(blank(chars[i]));
                i += 1;
            }
            for _ in 0..closing.len().min(chars.len() - i) {
                out.push(' ');
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && char_literal_len(&chars, i).is_some() {
            let len = char_literal_len(&chars, i).unwrap_or(1);
            out.extend(std::iter::repeat_n(' ', len));
            i += len;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// For `r"`, `r#"`, `br##"`…: the number of hashes and where the body starts.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

/// The length of a character literal starting at `i` (`'a'`, `'\n'`, `'\u{7f}'`), or `None`
/// for a lifetime.
fn char_literal_len(chars: &[char], i: usize) -> Option<usize> {
    match chars.get(i + 1)? {
        '\\' => {
            let end = (i + 2..chars.len().min(i + 12)).find(|&j| chars[j] == '\'')?;
            Some(end - i + 1)
        }
        _ => (chars.get(i + 2) == Some(&'\'')).then_some(3),
    }
}

/// Every reference from `source` to another top-level module.
fn imports_of(source: &Source) -> Vec<Import> {
    let Some(from) = top_module(&source.path) else {
        return Vec::new();
    };
    let code = code_only(&source.text);
    let original: Vec<&str> = source.text.lines().collect();
    let file_depth = module_depth(&source.path);
    let inline = inline_module_depths(&code);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let depth = file_depth + inline.get(n).copied().unwrap_or(0);
        let mut targets = Vec::new();
        let tokens = path_segments(line);
        for (k, seg) in tokens.iter().enumerate() {
            if seg.as_str() == "crate" {
                targets.extend(next_names(&tokens, k + 1));
            }
            // `super::super::…` climbing to the crate root: count the run from its first one.
            let starts_run = k < 2 || !(tokens[k - 1] == "::" && tokens[k - 2] == "super");
            if seg.as_str() == "super" && starts_run {
                let mut run = 1;
                let mut at = k + 1;
                while tokens.get(at).map(String::as_str) == Some("::")
                    && tokens.get(at + 1).map(String::as_str) == Some("super")
                {
                    run += 1;
                    at += 2;
                }
                if run >= depth {
                    targets.extend(next_names(&tokens, at));
                }
            }
        }
        for to in targets {
            if to != from && to != "self" {
                found.push(Import {
                    from: from.clone(),
                    to,
                    at: format!(
                        "src/{}:{}: {}",
                        source.path,
                        n + 1,
                        original.get(n).map_or("", |l| l.trim())
                    ),
                });
            }
        }
    }
    found
}

/// For each line, how many inline `mod name { … }` blocks enclose it (a `super` inside
/// `mod tests` climbs to its own file's module first).
fn inline_module_depths(code: &str) -> Vec<usize> {
    let mut depths = Vec::new();
    let mut braces = 0usize;
    // Brace depths at which an inline module's body opened.
    let mut open: Vec<usize> = Vec::new();
    let mut pending_mod = false;
    for line in code.lines() {
        depths.push(open.len());
        let tokens = path_segments(line);
        for (k, t) in tokens.iter().enumerate() {
            match t.as_str() {
                "mod" if tokens.get(k + 2).map(String::as_str) == Some("{") => pending_mod = true,
                "{" => {
                    braces += 1;
                    if pending_mod {
                        open.push(braces);
                        pending_mod = false;
                    }
                }
                "}" => {
                    if open.last() == Some(&braces) {
                        open.pop();
                    }
                    braces = braces.saturating_sub(1);
                }
                _ => {}
            }
        }
    }
    depths
}

/// The identifiers and `{`/`}` of a line, joined over `::` (`crate::a::{b, c}` becomes
/// `crate`, `a`, `{`, `b`, `c`, `}`).
fn path_segments(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        match c {
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                out.push("::".to_owned());
            }
            '{' | '}' | ',' => out.push(c.to_string()),
            c if c.is_whitespace() => {}
            _ => out.push("·".to_owned()),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The module names that follow `crate` (or the climbing `super`s) at `start`: one name, or
/// every first name inside a `{…}` group.
fn next_names(tokens: &[String], start: usize) -> Vec<String> {
    if tokens.get(start).map(String::as_str) != Some("::") {
        return Vec::new();
    }
    match tokens.get(start + 1).map(String::as_str) {
        Some("{") => {
            let mut names = Vec::new();
            let mut depth = 0;
            let mut expect_name = true;
            for t in &tokens[start + 2..] {
                match t.as_str() {
                    "{" => depth += 1,
                    "}" if depth == 0 => break,
                    "}" => depth -= 1,
                    "," if depth == 0 => expect_name = true,
                    name if expect_name && depth == 0 && is_identifier(name) => {
                        names.push(name.to_owned());
                        expect_name = false;
                    }
                    _ => {}
                }
            }
            names
        }
        Some(name) if is_identifier(name) => vec![name.to_owned()],
        _ => Vec::new(),
    }
}

fn is_identifier(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// The cycles among the modules, each as the imports that make it.
fn cycles(imports: &[Import]) -> Vec<Vec<Import>> {
    let mut edges: BTreeMap<&str, BTreeMap<&str, &Import>> = BTreeMap::new();
    for i in imports {
        edges
            .entry(i.from.as_str())
            .or_default()
            .entry(i.to.as_str())
            .or_insert(i);
    }
    let mut found: Vec<Vec<Import>> = Vec::new();
    let mut seen_sets: BTreeSet<BTreeSet<String>> = BTreeSet::new();
    // Depth-first from every module; a path back to a module on the stack is a cycle.
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, BTreeMap<&'a str, &'a Import>>,
        stack: &mut Vec<&'a Import>,
        on_stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
        out: &mut Vec<Vec<Import>>,
        seen_sets: &mut BTreeSet<BTreeSet<String>>,
    ) {
        on_stack.push(node);
        for (to, import) in edges.get(node).into_iter().flatten() {
            if let Some(pos) = on_stack.iter().position(|m| m == to) {
                let mut cycle: Vec<Import> = stack[pos..].iter().map(|i| (*i).clone()).collect();
                cycle.push((*import).clone());
                let set: BTreeSet<String> = cycle.iter().map(|i| i.from.clone()).collect();
                if seen_sets.insert(set) {
                    out.push(cycle);
                }
            } else if !done.contains(to) {
                stack.push(import);
                visit(to, edges, stack, on_stack, done, out, seen_sets);
                stack.pop();
            }
        }
        on_stack.pop();
        done.insert(node);
    }
    let mut done = BTreeSet::new();
    for start in edges.keys() {
        if !done.contains(start) {
            visit(
                start,
                &edges,
                &mut Vec::new(),
                &mut Vec::new(),
                &mut done,
                &mut found,
                &mut seen_sets,
            );
        }
    }
    found
}

/// Everything wrong with `sources` under `table`: forbidden imports and cycles, one message
/// each, naming the lines.
fn check(table: &str, sources: &[Source]) -> Vec<String> {
    let layers = Layers::parse(table);
    let imports: Vec<Import> = sources.iter().flat_map(imports_of).collect();
    let mut problems: Vec<String> = imports
        .iter()
        .filter_map(|i| layers.refuse(i).map(|why| format!("{}\n    {why}", i.at)))
        .collect();
    for module in sources.iter().filter_map(|s| top_module(&s.path)) {
        if !layers.layer.contains_key(&module) {
            problems.push(format!("module `{module}` is not in the layer table"));
        }
    }
    problems.sort();
    problems.dedup();
    for cycle in cycles(&imports) {
        let names: Vec<&str> = cycle.iter().map(|i| i.from.as_str()).collect();
        let lines: Vec<&str> = cycle.iter().map(|i| i.at.as_str()).collect();
        problems.push(format!(
            "import cycle {} → {}:\n    {}",
            names.join(" → "),
            names[0],
            lines.join("\n    ")
        ));
    }
    problems
}

/// What the `## Tables` section says: table → the module that owns it.
fn table_owners(markdown: &str) -> BTreeMap<String, String> {
    let section = markdown
        .split("\n## ")
        .find(|s| s.starts_with("Tables"))
        .expect("docs/architecture.md has a `## Tables` section");
    let mut owners = BTreeMap::new();
    for row in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let (Some(module), Some(tables)) = (cells.first(), cells.get(1)) else {
            continue;
        };
        if let Some(module) = backticked(module).into_iter().next() {
            for table in backticked(tables) {
                owners.insert(table, module.clone());
            }
        }
    }
    owners
}

/// The tables a file's SQL writes (`insert into t`, `update t set`, `delete from t`), with
/// their line: a case-insensitive scan of the text outside comments and test modules.
fn sql_writes(source: &Source) -> Vec<(String, usize)> {
    let text = source.text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let words: Vec<String> = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        for (i, w) in words.iter().enumerate() {
            let table = match (w.as_str(), words.get(i + 1), words.get(i + 2)) {
                ("insert", Some(into), Some(t)) if into == "into" => Some(t),
                ("delete", Some(from), Some(t)) if from == "from" => Some(t),
                ("update", Some(t), Some(set)) if set == "set" && t != "do" => Some(t),
                _ => None,
            };
            if let Some(t) = table {
                out.push((t.clone(), n + 1));
            }
        }
    }
    out
}

/// Writes to a table by a module that does not own it, and created tables without an owner.
fn check_table_writes(markdown: &str, sources: &[Source], created: &[String]) -> Vec<String> {
    let owners = table_owners(markdown);
    let mut problems = Vec::new();
    for table in created {
        if !owners.contains_key(table) {
            problems.push(format!(
                "table `{table}` (migrations/) has no owner in the tables section"
            ));
        }
    }
    for source in sources {
        let Some(module) = top_module(&source.path) else {
            continue;
        };
        for (table, line) in sql_writes(source) {
            if let Some(owner) = owners.get(&table).filter(|owner| **owner != module) {
                problems.push(format!(
                    "src/{}:{line}: `{module}` writes `{table}`, which `{owner}` owns",
                    source.path
                ));
            }
        }
    }
    problems
}

/// Every table the migrations leave: created, less those dropped or renamed away (in the
/// order the migrations run).
fn created_tables(root: &Path) -> Vec<String> {
    let mut tables = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap().to_ascii_lowercase();
        let code: String = text
            .lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let words: Vec<&str> = code
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        for (i, w) in words.iter().enumerate() {
            let at = |n: usize| words.get(i + n).copied();
            match (*w, at(1)) {
                ("create", Some("table")) => {
                    let name = if at(2) == Some("if") { at(5) } else { at(2) };
                    if let Some(name) = name {
                        tables.insert(name.to_owned());
                    }
                }
                ("drop", Some("table")) => {
                    let name = if at(2) == Some("if") { at(4) } else { at(2) };
                    if let Some(name) = name {
                        tables.remove(name);
                    }
                }
                ("alter", Some("table")) => {
                    if let (Some(from), Some("rename"), Some("to"), Some(to)) =
                        (at(2), at(3), at(4), at(5))
                    {
                        tables.remove(from);
                        tables.insert(to.to_owned());
                    }
                }
                _ => {}
            }
        }
    }
    tables.into_iter().collect()
}

/// Functions longer than `max` lines: `path:line: fn name (N lines)`.
fn long_functions(sources: &[Source], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for source in sources {
        let code: Vec<char> = code_only(&source.text).chars().collect();
        let line_of = |pos: usize| code[..pos].iter().filter(|c| **c == '\n').count() + 1;
        let mut i = 0;
        while i + 3 < code.len() {
            let is_fn = code[i..].starts_with(&['f', 'n', ' '])
                && (i == 0 || !(code[i - 1].is_alphanumeric() || code[i - 1] == '_'));
            if !is_fn {
                i += 1;
                continue;
            }
            let name: String = code[i + 3..]
                .iter()
                .skip_while(|c| c.is_whitespace())
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            // The body starts at the first `{` outside the signature's brackets; a `;` first
            // means a declaration without a body.
            let mut j = i + 3;
            let mut nesting = 0i32;
            let mut body = None;
            while j < code.len() {
                match code[j] {
                    '(' | '[' | '<' => nesting += 1,
                    ')' | ']' => nesting -= 1,
                    '>' if j > 0 && code[j - 1] != '-' && code[j - 1] != '=' => nesting -= 1,
                    '{' if nesting <= 0 => {
                        body = Some(j);
                        break;
                    }
                    ';' if nesting <= 0 => break,
                    _ => {}
                }
                j += 1;
            }
            let Some(open) = body else {
                i = j.max(i + 1);
                continue;
            };
            let mut depth = 0;
            let mut close = open;
            for (k, c) in code.iter().enumerate().skip(open) {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            close = k;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let (first, last) = (line_of(i), line_of(close));
            let lines = last - first + 1;
            if lines > max && !name.is_empty() {
                out.push(format!(
                    "src/{}:{first}: fn {name} ({lines} lines)",
                    source.path
                ));
            }
            i += 3;
        }
    }
    out
}

fn read_sources(root: &Path) -> Vec<Source> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<Source>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(Source {
                    path: path
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                    text: std::fs::read_to_string(&path).unwrap(),
                });
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn imports_follow_the_layer_table_and_form_no_cycle() {
    let table = std::fs::read_to_string(manifest_dir().join("docs/architecture.md")).unwrap();
    let sources = read_sources(&manifest_dir().join("src"));
    let problems = check(&table, &sources);
    assert!(
        problems.is_empty(),
        "{} import(s) break docs/architecture.md#layers:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn no_function_is_longer_than_the_limit() {
    let sources = read_sources(&manifest_dir().join("src"));
    let long = long_functions(&sources, MAX_FN_LINES);
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn every_table_is_written_only_by_the_module_that_owns_it() {
    let doc = std::fs::read_to_string(manifest_dir().join("docs/architecture.md")).unwrap();
    let sources = read_sources(&manifest_dir().join("src"));
    let created = created_tables(&manifest_dir().join("migrations"));
    assert!(created.len() > 20, "read the migrations: {created:?}");
    let problems = check_table_writes(&doc, &sources, &created);
    assert!(
        problems.is_empty(),
        "{} write(s) break docs/architecture.md#tables:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A small table for the checker's own tests.
const FIXTURE_TABLE: &str = "# Architecture

## Layers

| layer | modules | may also import (same layer) |
|---|---|---|
| 1 foundation | `db` | |
| 1 foundation | `config` | `db` |
| 2 plumbing | `http` | |
| 3 domains | `orders` | `payments` |
| 3 domains | `payments` | |

## Next section
";

fn fixture(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(path, text)| Source {
            path: (*path).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

#[test]
fn the_checker_accepts_imports_that_run_down_the_layers() {
    let sources = fixture(&[
        (
            "db.rs",
            "pub fn connect() {}\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
        ),
        ("config.rs", "use crate::db;\n"),
        (
            "http/mod.rs",
            "use crate::{config, db::connect};\nfn f() { crate::db::connect(); }\n",
        ),
        ("orders/mod.rs", "use crate::payments::Gateway;\n"),
        ("orders/store.rs", "use super::super::http::x;\n"),
        ("payments/mod.rs", "pub struct Gateway;\n"),
    ]);
    assert_eq!(check(FIXTURE_TABLE, &sources), Vec::<String>::new());
}

#[test]
fn the_checker_names_a_forbidden_import() {
    let sources = fixture(&[
        (
            "db.rs",
            "// crate::http in a comment is fine\nuse crate::http::Thing;\n",
        ),
        ("http/mod.rs", "pub struct Thing;\n"),
        ("config.rs", "const S: &str = \"crate::http\";\n"),
    ]);
    let problems = check(FIXTURE_TABLE, &sources);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("src/db.rs:2: use crate::http::Thing;")
            && problems[0].contains("`db` (layer 1) may not import `http` (layer 2)"),
        "{problems:?}"
    );
}

#[test]
fn the_checker_finds_a_cycle_even_where_the_table_allows_each_step() {
    let table = FIXTURE_TABLE.replace(
        "| 3 domains | `payments` | |",
        "| 3 domains | `payments` | `orders` |",
    );
    let sources = fixture(&[
        (
            "orders/mod.rs",
            "pub fn apply() { crate::payments::pay(); }\n",
        ),
        (
            "payments/webhook.rs",
            "use crate::{db, orders::{self, apply}};\n",
        ),
    ]);
    let problems = check(&table, &sources);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("import cycle orders → payments → orders")
            && problems[0]
                .contains("src/payments/webhook.rs:1: use crate::{db, orders::{self, apply}};"),
        "{problems:?}"
    );
}

#[test]
fn the_checker_flags_modules_missing_from_the_table_and_super_paths_that_climb_out() {
    let sources = fixture(&[
        ("db.rs", "pub fn connect() {}\n"),
        ("db/pool.rs", "use super::super::orders::Order;\n"),
        ("orders/mod.rs", "pub struct Order;\n"),
        ("bookings/mod.rs", "pub struct Booking;\n"),
    ]);
    let problems = check(FIXTURE_TABLE, &sources);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`db` (layer 1) may not import `orders` (layer 3)")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p == "module `bookings` is not in the layer table"),
        "{problems:?}"
    );
}

#[test]
fn the_length_check_counts_from_fn_to_its_closing_brace() {
    let body: String = (0..130)
        .map(|n| format!("    let _x{n} = '{{';\n"))
        .collect();
    let text = format!(
        "fn short() {{ let s = \"}}}}\"; }}\nfn long() -> Vec<u8> {{\n{body}    vec![]\n}}\ntrait T {{ fn declared(&self); }}\n"
    );
    let sources = fixture(&[("x.rs", &text)]);
    assert_eq!(
        long_functions(&sources, 120),
        vec!["src/x.rs:2: fn long (133 lines)".to_owned()]
    );
}

#[test]
fn the_write_check_names_a_write_to_another_modules_table_and_an_unowned_table() {
    let doc = "# Architecture\n\n## Tables\n\n| module | tables |\n|---|---|\n| `orders` | `orders`, `order_lines` |\n| `catalog` | `products` |\n\n## Next\n";
    let sources = fixture(&[
        (
            "orders/store.rs",
            "const A: &str = \"insert into orders (id) values ($1)\";\n\
             const B: &str = \"UPDATE products SET stock = stock - $1\";\n\
             // delete from products: a comment is no write\n\
             const C: &str = \"insert into x (a) values (1) on conflict do update set a = 2\";\n",
        ),
        (
            "catalog/store.rs",
            "const D: &str = \"delete from products where id = $1\";\n",
        ),
    ]);
    let created = vec![
        "orders".to_owned(),
        "products".to_owned(),
        "carts".to_owned(),
    ];
    let problems = check_table_writes(doc, &sources, &created);
    assert_eq!(
        problems,
        vec![
            "table `carts` (migrations/) has no owner in the tables section".to_owned(),
            "src/orders/store.rs:2: `orders` writes `products`, which `catalog` owns".to_owned(),
        ]
    );
}
