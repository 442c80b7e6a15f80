#!/usr/bin/env python3
"""Fails when the server crate's top-level modules import each other in a circle.

Reads every .rs file under crates/server/src, strips comments and string literals, and
collects the paths that start with `crate::` (in `use` declarations, braces and all, and
in expressions such as `crate::time::now_millis()`). Each file belongs to a top-level
module (`src/iam/roles.rs` to `iam`, `src/app.rs` to `app`); each `crate::NAME` path is an
edge from that module to `NAME`, where a name the crate root re-exports (`crate::App`,
from `pub use app::App` in lib.rs) counts as the module it comes from. Test code counts
too. `lib.rs` is the crate root, which declares every module, and is left out.

Prints the edges and the strongly connected components of more than one module; exit
status 1 when there is one (a cycle), 0 otherwise. Python 3.11, standard library only.

    python3 scripts/module_cycles.py [--quiet]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "crates" / "server" / "src"


def strip(text: str) -> str:
    """The code of a Rust file without its comments, string and char literals."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif (m := re.compile(r'b?r(#*)"').match(text, i)) and (
            i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
        ):
            end = '"' + m.group(1)
            j = text.find(end, m.end())
            i = n if j < 0 else j + len(end)
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and (m := re.compile(r"'(\\.[^']*|[^\\'])'").match(text, i)):
            i = m.end()
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def first_names(group: str) -> list[str]:
    """The first segment of each path of a `{...}` use group's inside (nesting allowed)."""
    names, depth, item = [], 0, ""
    for c in group + ",":
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == "," and depth == 0:
            m = re.match(r"\s*(\w+)", item)
            if m:
                names.append(m.group(1))
            item = ""
        else:
            item += c
    return names


def crate_paths(code: str) -> list[str]:
    """The first segment after each `crate::` of the code."""
    names = []
    for m in re.finditer(r"\bcrate\s*::\s*", code):
        i = m.end()
        if code.startswith("{", i):
            depth, j = 0, i
            while j < len(code):
                depth += {"{": 1, "}": -1}.get(code[j], 0)
                if depth == 0:
                    break
                j += 1
            names.extend(first_names(code[i + 1 : j]))
        elif w := re.match(r"\w+", code[i:]):
            names.append(w.group(0))
    return names


def root_exports(lib: str) -> dict[str, str]:
    """Names the crate root re-exports (`pub use module::{A, B}`), to their module."""
    exports = {}
    for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+(\w+)::(\{[^}]*\}|\w+)\s*;", lib):
        module, items = m.group(1), m.group(2).strip("{}")
        for item in items.split(","):
            item = item.strip()
            if item:
                name = item.split(" as ")[-1].strip()
                exports[name] = module
    return exports


def module_of(path: Path) -> str | None:
    rel = path.relative_to(SRC)
    if rel.parts == ("lib.rs",):
        return None
    return rel.parts[0].removesuffix(".rs")


def graph() -> tuple[set[str], dict[str, set[str]]]:
    files = sorted(SRC.rglob("*.rs"))
    modules = {m for f in files if (m := module_of(f))}
    exports = root_exports(strip((SRC / "lib.rs").read_text()))
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for f in files:
        source = module_of(f)
        if source is None:
            continue
        for name in crate_paths(strip(f.read_text())):
            target = name if name in modules else exports.get(name)
            if target and target != source:
                edges[source].add(target)
    return modules, edges


def cycles(modules: set[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(modules):
        if v not in index:
            visit(v)
    return found


def main() -> int:
    quiet = "--quiet" in sys.argv[1:]
    modules, edges = graph()
    if not quiet:
        for m in sorted(modules):
            print(f"{m} -> {', '.join(sorted(edges[m])) or '(nothing)'}")
    found = cycles(modules, edges)
    for component in found:
        inside = {m: sorted(edges[m] & set(component)) for m in component}
        detail = "; ".join(f"{m} -> {', '.join(t)}" for m, t in inside.items())
        print(f"cycle among {', '.join(component)}: {detail}")
    if found:
        return 1
    print(f"no import cycle among the {len(modules)} top-level modules of crates/server/src")
    return 0


if __name__ == "__main__":
    sys.exit(main())
