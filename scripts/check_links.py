#!/usr/bin/env python3
"""Checks the links of the documentation: README.md and the other Markdown files at the
repository's root, and the user guide's pages (docs/src/**/*.md).

- A relative link must name a file or directory that exists; a `#anchor` (alone, or after a
  Markdown file) must be a heading of that page, under GitHub's rules for making heading
  anchors and, for the guide's pages, mdBook's too. Pages the guide includes whole with
  `{{#include FILE}}` count with the headings of what they include, and a file included from
  outside docs/src may hold no relative link but to its own anchors.
- The guide's pages must link only within docs/src (mdBook builds only that directory, so
  anything outside it is a broken link in the built book), and every page there must be
  listed in docs/src/SUMMARY.md.
- External links (http, https, mailto) are not fetched: they are listed.

Links inside fenced code blocks and code spans are not links. Python 3.11, standard library
only. Exit status 0 when every link resolves, 1 otherwise.

    python3 scripts/check_links.py [--quiet]
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOOK = REPO / "docs" / "src"

FENCE = re.compile(r"^ {0,3}(```+|~~~+)")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
INCLUDE = re.compile(r"\{\{#include\s+([^}\s]+)\s*\}\}")
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
# [text](dest "title") and ![alt](dest); the text may hold one level of brackets.
INLINE = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFDEF = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*(<[^>]*>|\S+)", re.M)
AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
EXTERNAL = re.compile(r"^(?:https?|mailto):", re.I)


def documents() -> list[Path]:
    root = sorted(p for p in REPO.glob("*.md") if p.is_file())
    book = sorted(p for p in BOOK.rglob("*.md") if p.is_file())
    return root + book


def prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, with their numbers."""
    out, fence = [], None
    for number, line in enumerate(text.split("\n"), 1):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * 3
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        out.append((number, line))
    return out


def expand_includes(path: Path, text: str, depth: int = 0) -> str:
    """The page as mdBook renders it: `{{#include FILE}}` replaced by FILE's text."""
    if depth > 5:
        return text

    def include(m: re.Match) -> str:
        target = (path.parent / m.group(1)).resolve()
        if ":" in m.group(1) or not target.is_file():
            return ""  # reported by check_includes
        return expand_includes(target, target.read_text(encoding="utf-8"), depth + 1)

    return INCLUDE.sub(include, text)


def heading_text(raw: str) -> str:
    """A heading's text as rendered: links reduced to their text, code spans to their code,
    emphasis markers and HTML tags dropped."""
    text = re.sub(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\([^)]*\)", r"\1", raw)
    text = CODE_SPAN.sub(lambda m: m.group(2).strip(), text)
    text = re.sub(r"<[^>]+>", "", text)
    return text.strip()


def github_slug(text: str) -> str:
    """GitHub's anchor: lower case; letters, digits, marks, `_`, `-` kept; spaces become `-`;
    everything else dropped."""
    out = []
    for ch in text.lower():
        cat = unicodedata.category(ch)
        if ch in "-_" or cat[0] in "LNM":
            out.append(ch)
        elif ch == " ":
            out.append("-")
    return "".join(out)


def mdbook_slug(text: str) -> str:
    """mdBook's anchor (`normalize_id`): alphanumerics (ASCII lower-cased), `_` and `-`
    kept; whitespace becomes `-`; everything else dropped."""
    out = []
    for ch in text:
        if ch.isalnum() or ch in "-_":
            out.append(ch.lower() if ch.isascii() else ch)
        elif ch.isspace():
            out.append("-")
    return "".join(out)


def anchors(path: Path, slug) -> set[str]:
    text = path.read_text(encoding="utf-8")
    if path.is_relative_to(BOOK):
        text = expand_includes(path, text)
    seen: dict[str, int] = {}
    out = set()
    for _, line in prose_lines(text):
        m = HEADING.match(line)
        if not m:
            continue
        base = slug(heading_text(m.group(2)))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(text: str) -> list[tuple[int, str]]:
    found = []
    for number, line in prose_lines(text):
        line = CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        for m in INLINE.finditer(line):
            found.append((number, m.group(2).strip("<>")))
        for m in AUTOLINK.finditer(line):
            found.append((number, m.group(1)))
        m = REFDEF.match(line)
        if m:
            found.append((number, m.group(2).strip("<>")))
    # A link text may wrap onto the next line: join each paragraph and look again for what a
    # single line cannot hold.
    paragraphs, current, first = [], [], 0
    for number, line in prose_lines(text) + [(0, "")]:
        if line.strip():
            if not current:
                first = number
            current.append(CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line))
        elif current:
            paragraphs.append((first, " ".join(current)))
            current = []
    single = {dest for _, dest in found}
    for number, para in paragraphs:
        for m in INLINE.finditer(para):
            dest = m.group(2).strip("<>")
            if dest not in single:
                found.append((number, dest))
                single.add(dest)
    return found


def main() -> int:
    quiet = "--quiet" in sys.argv[1:]
    errors: list[str] = []
    external: dict[str, list[str]] = {}
    cache: dict[tuple[Path, str], set[str]] = {}
    docs = documents()
    checked = 0

    def where(path: Path, number: int) -> str:
        return f"{path.relative_to(REPO)}:{number}"

    for path in docs:
        text = path.read_text(encoding="utf-8")
        in_book = path.is_relative_to(BOOK)
        if in_book:
            for number, line in prose_lines(text):
                for m in INCLUDE.finditer(line):
                    target = (path.parent / m.group(1)).resolve()
                    if ":" in m.group(1):
                        errors.append(f"{where(path, number)}: {{{{#include {m.group(1)}}}}}: only whole files are "
                                      "included here")
                    elif not target.is_file():
                        errors.append(f"{where(path, number)}: {{{{#include {m.group(1)}}}}}: no such file")
                    elif not target.is_relative_to(BOOK):
                        # Its links are checked where it is; in the book they resolve from here.
                        for n, dest in links(target.read_text(encoding="utf-8")):
                            if not EXTERNAL.match(dest) and not dest.startswith("#"):
                                errors.append(f"{where(target, n)}: {dest}: {target.name} is included into the "
                                              f"book by {path.relative_to(REPO)}, where this relative link breaks")
        for number, dest in links(text):
            checked += 1
            if EXTERNAL.match(dest):
                external.setdefault(dest, []).append(where(path, number))
                continue
            if re.match(r"^[a-z][a-z0-9+.-]*:", dest, re.I):
                errors.append(f"{where(path, number)}: {dest}: a scheme this checker does not know")
                continue
            target_part, _, anchor = dest.partition("#")
            target = (path.parent / target_part).resolve() if target_part else path
            if target_part and not target.exists():
                errors.append(f"{where(path, number)}: {dest}: no such file {target_part}")
                continue
            if in_book and not target.is_relative_to(BOOK):
                errors.append(f"{where(path, number)}: {dest}: outside docs/src, so broken in the built book "
                              "(link a page of the guide, or give the repository's URL)")
                continue
            if not anchor:
                continue
            if target.suffix != ".md":
                errors.append(f"{where(path, number)}: {dest}: an anchor into a file that is not Markdown")
                continue
            rules = [("GitHub", github_slug)] + ([("mdBook", mdbook_slug)] if target.is_relative_to(BOOK) else [])
            for name, slug in rules:
                key = (target, name)
                if key not in cache:
                    cache[key] = anchors(target, slug)
                if anchor not in cache[key]:
                    errors.append(f"{where(path, number)}: {dest}: no heading of {target.relative_to(REPO)} has "
                                  f"the {name} anchor #{anchor}")

    summary = BOOK / "SUMMARY.md"
    if summary.is_file():
        listed = {(BOOK / dest.partition("#")[0]).resolve() for _, dest in links(summary.read_text(encoding="utf-8"))
                  if not EXTERNAL.match(dest)}
        for page in sorted(BOOK.rglob("*.md")):
            if page != summary and page.resolve() not in listed:
                errors.append(f"{page.relative_to(REPO)}: not listed in docs/src/SUMMARY.md, so not in the book")
    else:
        errors.append("docs/src/SUMMARY.md: missing")

    if not quiet:
        print(f"external links, not fetched ({len(external)}):")
        for dest in sorted(external):
            print(f"  {dest}  ({', '.join(external[dest][:3])}{', …' if len(external[dest]) > 3 else ''})")
    for e in errors:
        print(f"error: {e}")
    print(f"{checked} links in {len(docs)} files: {len(errors)} broken, {len(external)} external (not fetched)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
