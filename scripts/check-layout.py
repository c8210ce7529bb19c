#!/usr/bin/env python3
"""Checks the two layout rules of the repository's Rust sources.

1. No source file holds more than 600 lines before its `#[cfg(test)]` tests.
2. Inside one crate, the files' import graph has no cycle: file A naming an
   item of file B (by `use` or by a path in code) and B naming an item of A,
   directly or through other files, is a cycle. A parent declaring a child
   with `mod` is not an edge; a child naming its parent's items is. Paths
   that go through a re-export (`pub use x::Item`) count as pointing at the
   file that defines the item, and a re-export itself (`pub use`,
   `pub(crate) use`) is not an edge: it is a module's facade, not a use.
3. docs/ARCHITECTURE.md names every source file (its path below `src/`,
   e.g. `command/zset/pop.rs`, in the tree of its crate), so the map a
   newcomer reads cannot fall behind the files.

Run from anywhere: `python3 scripts/check-layout.py` (exit 1 on a finding);
`--graph` also prints every crate's edges.
"""

import re
import sys
from pathlib import Path

MAX_LINES = 600
ROOT = Path(__file__).resolve().parent.parent
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_code(text):
    """Drops comments, string and char literals, keeping line structure."""
    out, i, n = [], 0, len(text)
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
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 8]) and not re.match(r"\w", text[i - 1:i] or " "):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            end = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\(x..|u\{[0-9a-fA-F]+\})'", text[i:i + 12]):
            m = re.match(r"'(\\.|[^\\'])'|'\\(x..|u\{[0-9a-fA-F]+\})'", text[i:i + 12])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def before_tests(text):
    """The part of a file before its first top-level `#[cfg(test)]`."""
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("#[cfg(test)]"):
            return lines[:k]
    return lines


class Crate:
    def __init__(self, src):
        self.src = src
        self.files = {}  # module path (tuple) -> Path
        for path in sorted(src.rglob("*.rs")):
            rel = path.relative_to(src).with_suffix("").parts
            if rel in (("lib",), ("main",)):
                mod = ()
            elif rel[-1] == "mod":
                mod = rel[:-1]
            else:
                mod = rel
            if path.name == "main.rs" and (src / "lib.rs").exists():
                mod = ("<main>",)
            self.files.setdefault(mod, path)
        self.code = {m: strip_code("\n".join(before_tests(p.read_text()))) for m, p in self.files.items()}
        self.uses = {m: self.parse_uses(m, code) for m, code in self.code.items()}

    def children(self, mod):
        return {m[-1] for m in self.files if len(m) == len(mod) + 1 and m[:-1] == mod}

    def parse_uses(self, mod, code):
        """name -> (absolute path tuple) for each `use` in a module."""
        table = {}
        for m in re.finditer(r"\buse\s+([^;]+);", code):
            for path, alias in expand_use(m.group(1)):
                absolute = self.absolute(mod, path)
                if absolute is None:
                    continue
                name = alias or absolute[-1]
                if name not in ("*", "self"):
                    table[name] = absolute
        return table

    def absolute(self, mod, path):
        """An absolute path for `path` as written in `mod`; None if external."""
        head = path[0]
        if head == "crate":
            return tuple(path[1:])
        if head == "self":
            return mod + tuple(path[1:])
        if head == "super":
            base, rest = list(mod), list(path)
            while rest and rest[0] == "super":
                rest.pop(0)
                if base:
                    base.pop()
            return tuple(base) + tuple(rest)
        if head in self.children(mod):
            return mod + tuple(path)
        return None

    def resolve(self, path, depth=0):
        """The module (file) that defines the item `path` names."""
        mod = ()
        for k, seg in enumerate(path):
            if seg in self.children(mod):
                mod = mod + (seg,)
                continue
            target = self.uses.get(mod, {}).get(seg)
            if target is not None and depth < 8 and target[: len(mod)] != mod + (seg,):
                return self.resolve(target + tuple(path[k + 1:]), depth + 1)
            return mod
        return mod

    def edges(self):
        graph = {m: set() for m in self.files}
        for mod, code in self.code.items():
            paths = []
            for m in re.finditer(r"(\bpub\s*(\([^)]*\))?\s*)?\buse\s+([^;]+);", code):
                if not m.group(1):
                    paths += [p for p, _ in expand_use(m.group(3))]
            body = re.sub(r"\buse\s+[^;]+;", "", code)
            body = re.sub(r"\bmod\s+" + IDENT + r"\s*;", "", body)
            for m in re.finditer(r"(?<![\w:])((?:" + IDENT + r"::)+" + IDENT + ")", body):
                paths.append(tuple(m.group(1).split("::")))
            for name, target in self.uses[mod].items():
                if re.search(r"(?<![\w:])" + re.escape(name) + r"\b", body):
                    paths.append(target)
            for path in paths:
                absolute = self.absolute(mod, list(path))
                if absolute is None:
                    continue
                target = self.resolve(absolute)
                if target != mod and target in self.files:
                    graph[mod].add(target)
        return graph


def expand_use(tree):
    """`a::{b, c::{d as e}}` -> [(("a","b"), None), (("a","c","d"), "e")]."""
    tree = re.sub(r"\s+", "", tree)
    tree = re.sub(r"^pub(\([^)]*\))?", "", tree)

    def expand(prefix, s):
        out, depth, start, parts = [], 0, 0, []
        for i, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:i])
                start = i + 1
        parts.append(s[start:])
        for part in filter(None, parts):
            brace = part.find("{")
            if brace >= 0:
                head = [x for x in part[:brace].split("::") if x]
                out += expand(prefix + head, part[brace + 1:-1])
            else:
                alias = None
                if "as" in part and re.search(r"[^:]as[A-Za-z_]", part):
                    part, alias = re.split(r"(?<=[A-Za-z0-9_])as(?=[A-Za-z_])", part, maxsplit=1)
                segs = prefix + [x for x in part.split("::") if x]
                if segs and segs[-1] == "self":
                    segs = segs[:-1]
                if segs:
                    out.append((tuple(segs), alias))
        return out

    return expand([], tree)


def cycles(graph):
    """Strongly connected components with more than one file."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return found


def name(crate, mod):
    return str(crate.files[mod].relative_to(ROOT))


def unmapped_files():
    """Source files that docs/ARCHITECTURE.md's trees do not name."""
    doc = ROOT / "docs" / "ARCHITECTURE.md"
    text = doc.read_text() if doc.exists() else ""
    missing = []
    for src in sorted(ROOT.glob("crates/*/src")):
        section = crate_section(text, src.parent.name)
        for path in sorted(src.rglob("*.rs")):
            rel = path.relative_to(src)
            if not re.search(rf"(^|[\s/`]){re.escape(path.name)}\b", section) or not all(
                part in section for part in rel.parts[:-1]
            ):
                missing.append(path.relative_to(ROOT))
    return missing


def crate_section(text, crate):
    """The part of the architecture document from the line that roots the
    crate's tree (`crates/NAME/src/` alone on its line) to the next root."""
    roots = list(re.finditer(r"^crates/([a-z-]+)/src/\s*$", text, re.M))
    for k, m in enumerate(roots):
        if m.group(1) == crate:
            end = roots[k + 1].start() if k + 1 < len(roots) else len(text)
            return text[m.start():end]
    return ""


def main():
    show_graph = "--graph" in sys.argv
    bad = False
    for path in unmapped_files():
        bad = True
        print(f"not in docs/ARCHITECTURE.md: {path}")
    for src in sorted(ROOT.glob("crates/*/src")):
        for path in sorted(src.rglob("*.rs")):
            n = len(before_tests(path.read_text()))
            if n > MAX_LINES:
                bad = True
                print(f"too long: {path.relative_to(ROOT)} has {n} lines before its tests (at most {MAX_LINES})")
        crate = Crate(src)
        graph = crate.edges()
        if show_graph:
            for mod in sorted(graph):
                for target in sorted(graph[mod]):
                    print(f"{name(crate, mod)} -> {name(crate, target)}")
        for comp in cycles(graph):
            bad = True
            files = sorted(name(crate, m) for m in comp)
            print(f"import cycle in {src.parent.name}: " + ", ".join(files))
            members = set(comp)
            for m in sorted(comp):
                for t in sorted(graph[m] & members):
                    print(f"    {name(crate, m)} -> {name(crate, t)}")
    if not bad:
        print(
            "layout ok: no file over 600 lines before its tests, no import cycle inside a crate,"
            " every source file in docs/ARCHITECTURE.md"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
