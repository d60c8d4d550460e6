"""The reader edition: each chapter as a notebook that reads correctly in plain Jupyter.

The chapters in ``chapters/`` are written for the book: their Markdown is MyST (glue roles,
numbered cross-references, citations, exercise directives) and their figures are handed to
the book with ``glue(name, fig, display=False)``, which plain JupyterLab, Jupyter Notebook,
VS Code and Colab cannot show.  This script turns each chapter into its *reader edition*,
a notebook with the same text, code and stored outputs in which

- every glued number is its value, as the book prints it;
- every figure appears under the code cell that draws it, also when the reader runs the
  cell again (the edition's code calls ``display(fig)`` where the chapter glues the
  figure), and its caption, numbered as in the book ("Fig. 2.3"), follows it;
- cross-references read as the book reads them: "Fig. 2.3", "(4.9)" for an equation,
  "Exercise 3.4", a section's title; numbered equations carry their number (``\\tag``),
  and headings carry the book's section numbers;
- citations read "(Pascanu et al., 2013)" or "Elman (1990)", and the chapter ends with
  the list of the works it cites;
- admonitions and exercises are plain Markdown block quotes, and every solution is folded
  in an HTML ``<details>`` block; the code cells of a solution that spans several cells
  are folded too (collapsed input and outputs in Jupyter, a form in Colab);
- a ``literalinclude`` of rnnlib's source shows the quoted lines;
- the bookkeeping that only the book needs (``glue`` calls of numbers) is left out of the
  code, and a first cell installs rnnlib where it is missing (Colab, a fresh Python).

**Where the edition lives.**  It is generated, never committed and never edited by hand:
``chapters/`` stays the single source, which nbval, ``make seeds`` and the book read.

- ``make reader`` writes every edition to ``_build/reader/chapters/NN_name.ipynb``.
- The book build writes them over the copies in ``_build/html/_sources/``, so the
  website's download button hands out the reader edition (``scripts/course_publishing.py``,
  which also checks every number this script gives against the numbers Sphinx gave).
- On Binder, ``postBuild`` replaces ``chapters/*.ipynb`` in the (throw-away) image by
  their editions, so the launch link, unchanged, opens the edition.
A committed copy would go stale whenever a chapter changes, and is needed only by a Colab
button that opens files from the repository; there is no such button, but a downloaded
edition can be uploaded to Colab, where its first cell fetches the course.

**Numbering.**  Chapters are numbered in the order of ``_toc.yml`` through every part
marked ``numbered`` (``use_multitoc_numbering``); inside a chapter, figures, exercises and
labelled equations are numbered in document order, "chapter.k", as Sphinx numbers them
with ``numfig`` (section depth 1); headings get "chapter.section." numbers.  The book
build compares them with Sphinx's own numbers and fails on any difference.

**Unknown markup fails.**  Every MyST construct the chapters use is translated; anything
else (a role, a directive, a directive option, a ``(label)=`` target that is not before a
heading, MyST comments, substitutions, ...) raises :class:`ReaderEditionError` naming the
chapter and the construct, so that no chapter can ship raw markup to its readers.  Teach
this script the construct (and its test, tests/test_reader_edition.py) before using it.

Usage::

    python scripts/reader_edition.py                 # every chapter into _build/reader/
    python scripts/reader_edition.py --out DIR       # elsewhere
    python scripts/reader_edition.py --replace       # over chapters/*.ipynb (Binder's postBuild only)
"""

from __future__ import annotations

import argparse
import ast
import base64
import copy
import re
import sys
from ast import literal_eval
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
GLUE_PREFIX = "application/papermill.record/"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Sphinx's default numfig_format, and sphinx-exercise's entry for exercises.
NUMFIG_FORMAT = {"figure": "Fig. %s", "table": "Table %s", "code-block": "Listing %s", "section": "Section %s"}
NUMFIG_FORMAT_EXERCISE = "Exercise %s"


class ReaderEditionError(Exception):
    """A chapter uses markup or code that the reader edition cannot translate."""


# ---------------------------------------------------------------------------- the book


@dataclass
class Target:
    """Something a cross-reference can point to."""

    kind: str  # "figure", "exercise", "equation", "section", "doc"
    doc: str
    number: str | None = None  # "2.3"
    title: str | None = None  # a section's or a page's title


@dataclass
class Book:
    root: Path
    config: dict
    chapter_numbers: dict[str, int]  # docname -> chapter number (numbered chapters only)
    pages: list[str]  # every page of the toc, in order
    targets: dict[str, Target] = field(default_factory=dict)
    bibliography: dict[str, dict[str, str]] = field(default_factory=dict)
    numfig_format: dict[str, str] = field(default_factory=dict)

    def source(self, docname: str) -> Path:
        for suffix in (".ipynb", ".md"):
            if (self.root / f"{docname}{suffix}").exists():
                return self.root / f"{docname}{suffix}"
        raise ReaderEditionError(f"_toc.yml lists {docname!r}, but there is no {docname}.ipynb or .md")

    def notebooks(self) -> list[str]:
        return [d for d in self.pages if self.source(d).suffix == ".ipynb"]


def _toc_pages(toc: dict) -> tuple[list[str], dict[str, int]]:
    pages, numbers = [str(Path(toc["root"]).with_suffix(""))], {}

    def walk(entries: list[dict], numbered: bool) -> None:
        for entry in entries or []:
            if "file" in entry:
                name = str(Path(entry["file"]).with_suffix(""))
                pages.append(name)
                if numbered:
                    numbers[name] = len(numbers) + 1
            if entry.get("sections"):
                raise ReaderEditionError("_toc.yml has sections inside a chapter; number them in reader_edition.py")

    for part in toc.get("parts", []):
        walk(part.get("chapters", []), bool(part.get("numbered")))
    walk(toc.get("chapters", []), bool(toc.get("defaults", {}).get("numbered")))
    return pages, numbers


def load_book(root: Path = ROOT) -> Book:
    """Read _config.yml, _toc.yml, the bibliography and every page's labels and numbers."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    if not config.get("html", {}).get("use_multitoc_numbering", True):
        raise ReaderEditionError("use_multitoc_numbering is off, so chapter numbers restart per part: teach me")
    pages, numbers = _toc_pages(toc)
    sphinx_config = (config.get("sphinx") or {}).get("config") or {}
    book = Book(root, config, numbers, pages)
    book.numfig_format = {**NUMFIG_FORMAT, "exercise": NUMFIG_FORMAT_EXERCISE, **sphinx_config.get("numfig_format", {})}
    for bib in config.get("bibtex_bibfiles", []):
        book.bibliography.update(parse_bibtex((root / bib).read_text(encoding="utf-8")))
    for docname in pages:
        collect_targets(book, docname)
    return book


def markdown_cells(book: Book, docname: str) -> list[str]:
    path = book.source(docname)
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


# ---------------------------------------------------------------------------- MyST blocks


FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*?)\s*$")
DIRECTIVE = re.compile(r"^\{(?P<name>[\w:.+-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s?(?P<value>.*)$")
LABELLED_MATH_END = re.compile(r"^\s*\$\$\s*\((?P<label>[\w:.-]+)\)\s*$")
HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
TARGET = re.compile(r"^\((?P<label>[\w:.-]+)\)=\s*$")


@dataclass
class Directive:
    name: str
    arg: str
    options: dict[str, str]
    body: list[str]  # raw lines


@dataclass
class Code:
    info: str
    lines: list[str]  # the whole fence, verbatim


@dataclass
class Math:
    lines: list[str]  # between the $$ lines
    label: str | None


Block = str | Directive | Code | Math  # a str is one line of ordinary Markdown


def parse_blocks(text: str) -> list[Block]:
    """Split Markdown into ordinary lines, fenced directives, code fences and display math."""
    lines, blocks, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m:
            fence, info = m.group("fence"), m.group("info")
            j = i + 1
            closer = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
            while j < len(lines) and not closer.match(lines[j]):
                j += 1
            body = lines[i + 1 : j]
            d = DIRECTIVE.match(info)
            if d:
                options, k = {}, 0
                if body and body[0].strip() == "---":  # YAML block of options
                    end = body.index("---", 1) if "---" in body[1:] else None
                    if end is None:
                        raise ReaderEditionError(f"unclosed --- options of {{{d.group('name')}}}")
                    options = {str(k_): str(v) for k_, v in (yaml.safe_load("\n".join(body[1:end])) or {}).items()}
                    k = end + 1
                while k < len(body) and OPTION.match(body[k]):
                    o = OPTION.match(body[k])
                    options[o.group("key")] = o.group("value").strip()
                    k += 1
                if k < len(body) and not body[k].strip():
                    k += 1
                blocks.append(Directive(d.group("name"), d.group("arg"), options, body[k:]))
            elif fence[0] == ":":
                raise ReaderEditionError(f"a ::: fence without a directive name: {line!r}")
            else:
                blocks.append(Code(info, lines[i : j + 1]))
            i = j + 1
            continue
        if line.strip().startswith("$$"):
            stripped = line.strip()
            if stripped != "$$" and stripped.endswith("$$") and len(stripped) > 4:  # $$ x $$ on one line
                blocks.append(Math([stripped[2:-2]], None))
                i += 1
                continue
            rest = [stripped[2:]] if stripped != "$$" else []
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("$$") and not lines[j].rstrip().endswith("$$"):
                rest.append(lines[j])
                j += 1
            if j >= len(lines):
                raise ReaderEditionError(f"display math opened with $$ is never closed: {line!r}")
            end = lines[j]
            m_end = LABELLED_MATH_END.match(end)
            if m_end:
                blocks.append(Math(rest, m_end.group("label")))
            elif end.strip() == "$$":
                blocks.append(Math(rest, None))
            elif end.rstrip().endswith("$$") and not end.strip().startswith("$$"):
                blocks.append(Math([*rest, end.rstrip()[:-2]], None))
            else:
                raise ReaderEditionError(f"cannot read the end of display math: {end!r}")
            i = j + 1
            continue
        blocks.append(line)
        i += 1
    return blocks


def walk_blocks(blocks: list[Block]):
    """Every block in document order, directives' bodies included (as Sphinx numbers them)."""
    for b in blocks:
        yield b
        if isinstance(b, Directive) and b.name not in ("literalinclude", "code-block", "code"):
            yield from walk_blocks(parse_blocks("\n".join(b.body)))


FIGURE_DIRECTIVES = ("glue:figure", "figure")
MATH_DIRECTIVES = ("glue:math", "math")


def collect_targets(book: Book, docname: str) -> None:
    """Number this page's figures, exercises and equations, and remember its labels."""
    chapter = book.chapter_numbers.get(docname)
    counts = {"figure": 0, "exercise": 0, "equation": 0}

    def number(kind: str) -> str | None:
        counts[kind] += 1
        return f"{chapter}.{counts[kind]}" if chapter else str(counts[kind])

    def add(label: str, target: Target) -> None:
        if label in book.targets and book.targets[label] != target:
            raise ReaderEditionError(f"{docname}: label {label!r} is defined twice")
        book.targets[label] = target

    pending: str | None = None
    for text in markdown_cells(book, docname):
        for block in walk_blocks(parse_blocks(text)):
            if isinstance(block, str):
                if pending and block.strip() and not HEADING.match(block):
                    raise ReaderEditionError(f"{docname}: target ({pending})= is not followed by a heading")
                t = TARGET.match(block)
                h = HEADING.match(block)
                if t:
                    pending = t.group("label")
                elif h:
                    title = _plain_title(h.group("title"))
                    if len(h.group("hashes")) == 1 and f"doc:{docname}" not in book.targets:
                        add(f"doc:{docname}", Target("doc", docname, title=title))
                    if pending:
                        add(pending, Target("section", docname, title=title))
                        pending = None
                continue
            if isinstance(block, Directive):
                label = block.options.get("name") or block.options.get("label")
                if block.name in FIGURE_DIRECTIVES:
                    n = number("figure") if label else None
                    if label:
                        add(label, Target("figure", docname, n, title=" ".join(block.body).strip()))
                elif block.name == "exercise":
                    n = None if "nonumber" in block.options else number("exercise")
                    if label:
                        add(label, Target("exercise", docname, n))
                elif block.name in MATH_DIRECTIVES and label:
                    add(label, Target("equation", docname, number("equation")))
            elif isinstance(block, Math) and block.label:
                add(block.label, Target("equation", docname, number("equation")))
    if pending:
        raise ReaderEditionError(f"{docname}: target ({pending})= is not followed by a heading")


def _plain_title(title: str) -> str:
    return re.sub(r"[*_`]", "", title).strip()


# ---------------------------------------------------------------------------- citations

_LATEX = {
    r"\"a": "ä",
    r"\"o": "ö",
    r"\"u": "ü",
    r"\"e": "ë",
    r"\"i": "ï",
    r"\"A": "Ä",
    r"\"O": "Ö",
    r"\"U": "Ü",
    r"\'e": "é",
    r"\'a": "á",
    r"\'i": "í",
    r"\'o": "ó",
    r"\'u": "ú",
    r"\'E": "É",
    r"\`e": "è",
    r"\`a": "à",
    r"\^e": "ê",
    r"\^o": "ô",
    r"\~n": "ñ",
    r"\c c": "ç",
    r"\c{c}": "ç",
    r"\L": "Ł",
    r"\l": "ł",
    r"\o": "ø",
    r"\ss": "ß",
    r"\&": "&",
    r"\%": "%",
    r"\_": "_",
}


def latex_to_text(value: str) -> str:
    """BibTeX field text as plain Unicode; fails on LaTeX it does not know."""
    for macro, char in sorted(_LATEX.items(), key=lambda kv: -len(kv[0])):
        value = value.replace("{" + macro + "}", char).replace(macro + "{}", char).replace(macro, char)
    value = value.replace("---", "—").replace("--", "–").replace("~", " ")
    value = value.replace("{", "").replace("}", "")
    if "\\" in value:
        raise ReaderEditionError(f"references.bib: LaTeX the reader edition cannot print: {value!r}")
    return re.sub(r"\s+", " ", value).strip()


def parse_bibtex(text: str) -> dict[str, dict[str, str]]:
    """Entries of a BibTeX file, as {key: {field: raw value, "ENTRYTYPE": type}}."""
    entries, i = {}, 0
    for m in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", text):
        if m.start() < i:
            continue
        kind, key, pos, fields = m.group(1).lower(), m.group(2), m.end(), {}
        while True:
            f = re.compile(r"\s*(\w[\w-]*)\s*=\s*").match(text, pos)
            if not f:
                break
            name, pos = f.group(1).lower(), f.end()
            if text[pos] == "{":
                depth, start = 0, pos
                while True:
                    depth += {"{": 1, "}": -1}.get(text[pos], 0)
                    pos += 1
                    if depth == 0:
                        break
                value = text[start + 1 : pos - 1]
            elif text[pos] == '"':
                end = text.index('"', pos + 1)
                value, pos = text[pos + 1 : end], end + 1
            else:
                v = re.compile(r"[\w.-]+").match(text, pos)
                value, pos = v.group(0), v.end()
            fields[name] = value
            c = re.compile(r"\s*,?").match(text, pos)
            pos = c.end()
        fields["ENTRYTYPE"] = kind
        entries[key] = fields
        i = pos
    return entries


def _authors(entry: dict[str, str]) -> list[tuple[str, str]]:
    """(last name with its 'von' part, first names) of each author."""
    people = []
    for person in re.split(r"\s+and\s+", entry.get("author", "")):
        person = person.strip()
        if not person:
            continue
        if "," in person:
            last, first = (p.strip() for p in person.split(",", 1))
        else:
            parts = person.rsplit(" ", 1)
            first, last = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
        people.append((latex_to_text(last), latex_to_text(first)))
    return people


def author_label(entry: dict[str, str], key: str) -> str:
    people = _authors(entry)
    if not people:
        raise ReaderEditionError(f"references.bib: {key} has no author")
    names = [last for last, _ in people]
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def reference_entry(entry: dict[str, str], key: str) -> str:
    """One line of the chapter's reference list."""
    people = _authors(entry)
    initials = []
    for last, first in people:
        short = " ".join(p[0] + "." for p in first.split() if p)
        initials.append(f"{last}, {short}" if short else last)
    authors = ", ".join(initials[:-1]) + (", and " if len(initials) > 2 else " and ") + initials[-1]
    authors = initials[0] if len(initials) == 1 else authors
    parts = [f"{authors} ({latex_to_text(entry.get('year', 'n.d.'))}). {latex_to_text(entry.get('title', key))}."]
    venue = entry.get("journal") or entry.get("booktitle") or entry.get("publisher") or entry.get("howpublished")
    if venue:
        detail = f"*{latex_to_text(venue)}*"
        if entry.get("volume"):
            detail += f", {latex_to_text(entry['volume'])}"
            if entry.get("number"):
                detail += f"({latex_to_text(entry['number'])})"
        if entry.get("pages"):
            detail += f", {latex_to_text(entry['pages'])}"
        parts.append(detail + ".")
    if entry.get("note"):
        parts.append(latex_to_text(entry["note"]) + ".")
    return " ".join(parts)


# ---------------------------------------------------------------------------- rendering


@dataclass
class Context:
    """What rendering one chapter needs and collects."""

    book: Book
    docname: str
    glue: dict[str, dict[str, Any]]  # glue name -> the stored mime bundle (prefix removed)
    cited: list[str] = field(default_factory=list)

    @property
    def chapter(self) -> int | None:
        return self.book.chapter_numbers.get(self.docname)

    def fail(self, what: str) -> ReaderEditionError:
        return ReaderEditionError(f"{self.docname}: {what}")


ROLE_OR_CODE = re.compile(
    r"(?P<role>\{(?P<name>[\w:.+-]+)\}`(?P<content>[^`]*)`)|(?P<code>(?P<ticks>`+)(?:(?!\n\s*\n).)+?(?P=ticks))",
    re.DOTALL,
)
CODE_SPAN = re.compile(r"(`+)(?:(?!\n\s*\n).)+?\1", re.DOTALL)
EXPLICIT_TITLE = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_MD_SPECIAL = re.compile(r"([\\`*_$<>\[\]|])")


def escape_md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def format_plain_text(text: str, fmt_spec: str) -> str:
    """The text of a glued value, as myst-nb's {glue:text} prints it (quotes of a str removed)."""
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if fmt_spec == "":
        return str(value)
    type_char = fmt_spec[-1]
    if type_char == "s":
        value = str(value)
    elif type_char in "bcdoxX":
        value = int(value)
    elif type_char in "eEfFgGn%":
        value = float(value)
    return format(value, fmt_spec)


def render_inline(text: str, ctx: Context) -> str:
    """Replace every role in a run of Markdown; code spans stay as they are."""

    def role(m: re.Match) -> str:
        if m.group("code"):
            return m.group("code")
        return render_role(m.group("name"), m.group("content"), ctx)

    return ROLE_OR_CODE.sub(role, text)


def _glued(ctx: Context, key: str) -> dict[str, Any]:
    if "::" in key:
        raise ctx.fail(f"glue from another document ({key!r}) is not supported by the reader edition")
    if key not in ctx.glue:
        raise ctx.fail(f"glue key {key!r} has no stored value; execute the notebook first")
    return ctx.glue[key]


def _target(ctx: Context, label: str, role: str) -> Target:
    if label not in ctx.book.targets:
        raise ctx.fail(f"{{{role}}}`{label}`: no such label in the book")
    return ctx.book.targets[label]


def render_role(name: str, content: str, ctx: Context) -> str:
    if name in ("glue", "glue:any", "glue:text"):
        key, _, fmt = content.rpartition(":") if ":" in content else (content, "", "")
        data = _glued(ctx, key)
        if name != "glue:text" and "text/markdown" in data:
            return data["text/markdown"].strip()
        if "text/plain" not in data:
            raise ctx.fail(f"{{{name}}}`{content}`: the glued value has no text")
        return escape_md(format_plain_text(data["text/plain"], fmt if name == "glue:text" else ""))
    if name == "glue:md":
        key, _, fmt = content.rpartition(":") if ":" in content else (content, "", "commonmark")
        if fmt not in ("myst", "commonmark"):
            raise ctx.fail(f"{{glue:md}}`{content}`: unknown format {fmt!r}")
        data = _glued(ctx, key)
        if "text/markdown" not in data:
            raise ctx.fail(f"{{glue:md}}`{content}`: the glued value is not Markdown")
        return render_inline(data["text/markdown"].strip(), ctx)
    if name in ("numref", "ref", "eq"):
        m = EXPLICIT_TITLE.match(content)
        title, label = (m.group("title"), m.group("target")) if m else (None, content)
        t = _target(ctx, label.strip(), name)
        if name == "eq":
            if t.kind != "equation" or title:
                raise ctx.fail(f"{{eq}}`{content}` must name an equation label")
            return f"({t.number})"
        if name == "ref" and t.kind == "section":
            return escape_md(title or t.title)
        if name == "ref" and title:
            return escape_md(title)
        if t.kind not in ("figure", "exercise") or t.number is None:
            raise ctx.fail(f"{{{name}}}`{content}`: the reader edition cannot number a {t.kind}")
        fmt = title or ctx.book.numfig_format[t.kind]
        return escape_md(fmt.replace("{number}", t.number).replace("%s", t.number))
    if name == "doc":
        m = EXPLICIT_TITLE.match(content)
        title, path = (m.group("title"), m.group("target")) if m else (None, content)
        path = path.strip()
        doc = path.lstrip("/") if path.startswith("/") else str(Path(ctx.docname).parent / path)
        doc = str(Path(re.sub(r"[^/]+/\.\./", "", doc + "/")).with_suffix("")) if ".." in doc else doc
        target = ctx.book.targets.get(f"doc:{doc}")
        if target is None:
            raise ctx.fail(f"{{doc}}`{content}`: no page {doc!r} in the book")
        return escape_md(title or target.title)
    if name in ("cite", "cite:p", "cite:t"):
        keys = [k.strip() for k in content.split(",") if k.strip()]
        items = []
        for key in keys:
            if key not in ctx.book.bibliography:
                raise ctx.fail(f"{{{name}}}`{content}`: {key!r} is not in the bibliography")
            if key not in ctx.cited:
                ctx.cited.append(key)
            entry = ctx.book.bibliography[key]
            who, year = author_label(entry, key), latex_to_text(entry.get("year", "n.d."))
            items.append(f"{who} ({year})" if name == "cite:t" else f"{who}, {year}")
        return ", ".join(items) if name == "cite:t" else "(" + "; ".join(items) + ")"
    if name in ("math",):
        return f"${content}$"
    if name in ("sub", "sup"):
        return f"<{name}>{escape_md(content)}</{name}>"
    raise ctx.fail(f"unknown role {{{name}}} (in {{{name}}}`{content}`); teach scripts/reader_edition.py")


@dataclass
class Rendered:
    """A markdown cell's blocks, rendered: runs of text, with the solution gate's changes marked."""

    pieces: list[tuple[str | None, str]]  # (gate label or None, markdown)


ADMONITIONS = {
    "note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important", "hint": "Hint",
    "caution": "Caution", "attention": "Attention", "danger": "Danger", "error": "Error", "seealso": "See also",
}  # fmt: skip


def quote(markdown: str) -> str:
    return "\n".join(("> " + line).rstrip() for line in markdown.splitlines())


def literalinclude(block: Directive, ctx: Context) -> str:
    known = {"language", "pyobject", "start-at", "start-after", "end-at", "end-before", "dedent", "lines"}
    unknown = set(block.options) - known
    if unknown:
        raise ctx.fail(f"literalinclude option(s) {sorted(unknown)} unknown to the reader edition")
    path = (ctx.book.root / ctx.docname).parent / block.arg
    if not path.exists():
        raise ctx.fail(f"literalinclude: no file {block.arg}")
    lines = path.read_text(encoding="utf-8").splitlines()
    o = block.options
    if "pyobject" in o:
        tree = ast.parse("\n".join(lines))
        definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        first, *members = o["pyobject"].split(".")  # "Class.method", as Sphinx allows
        found = [n for n in ast.walk(tree) if isinstance(n, definition) and n.name == first]
        for name in members:
            found = [n for f in found[:1] for n in f.body if isinstance(n, definition) and n.name == name]
        if not found:
            raise ctx.fail(f"literalinclude: {o['pyobject']} not found in {block.arg}")
        node = found[0]
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        lines = lines[start - 1 : node.end_lineno]

    def unquote(s: str) -> str:
        s = s.strip()
        return s[1:-1] if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"" else s

    for key in ("start-at", "start-after"):
        if key in o:
            marker = unquote(o[key])
            hits = [i for i, line in enumerate(lines) if marker in line]
            if not hits:
                raise ctx.fail(f"literalinclude: {key} {marker!r} not found")
            lines = lines[hits[0] + (key == "start-after") :]
    for key in ("end-at", "end-before"):
        if key in o:
            marker = unquote(o[key])
            hits = [i for i, line in enumerate(lines) if marker in line]
            if not hits:
                raise ctx.fail(f"literalinclude: {key} {marker!r} not found")
            lines = lines[: hits[0] + (key == "end-at")]
    if "lines" in o:
        raise ctx.fail("literalinclude :lines: is not supported by the reader edition")
    if "dedent" in o:
        n = int(o["dedent"])
        lines = [line[n:] if line[:n].strip() == "" else line.lstrip() for line in lines]
    language = o.get("language", "")
    return "\n".join([f"```{language}", *lines, "```"])


def render_blocks(blocks: list[Block], ctx: Context, figures: FigurePlan) -> Rendered:
    pieces: list[tuple[str | None, str]] = []
    gate: str | None = ctx_gate(ctx)
    buf: list[str] = []

    def flush() -> None:
        if buf:
            pieces.append((gate, "\n".join(buf)))
            buf.clear()

    text: list[str] = []  # a run of ordinary lines: roles are replaced in it as a whole (code spans may wrap)

    def flush_text() -> None:
        if text:
            buf.append(render_inline("\n".join(text), ctx))
            text.clear()

    for b in blocks:
        if isinstance(b, str) and not TARGET.match(b) and not HEADING.match(b):
            text.append(b)
            continue
        flush_text()
        if isinstance(b, str):
            if TARGET.match(b):
                continue
            h = HEADING.match(b)
            if h:
                buf.append(
                    f"{h.group('hashes')} {number_heading(ctx, len(h.group('hashes')))}"
                    f"{render_inline(h.group('title'), ctx)}"
                )
        elif isinstance(b, Code):
            buf.extend(b.lines)
        elif isinstance(b, Math):
            tag = [rf"\tag{{{ctx.book.targets[b.label].number}}}"] if b.label else []
            buf.extend(["$$", *b.lines, *tag, "$$"])
        elif b.name == "solution-start":
            flush()
            gate = b.arg.strip()
            ctx_set_gate(ctx, gate)
            _check_options(b, {"class", "label"}, ctx)
        elif b.name == "solution-end":
            flush()
            gate = None
            ctx_set_gate(ctx, None)
        else:
            buf.append(render_directive(b, ctx, figures))
    flush_text()
    flush()
    return Rendered(pieces)


def _check_options(block: Directive, known: set[str], ctx: Context) -> None:
    unknown = set(block.options) - known
    if unknown:
        raise ctx.fail(f"{{{block.name}}} option(s) {sorted(unknown)} unknown to the reader edition")


def _body(block: Directive, ctx: Context, figures: FigurePlan) -> str:
    r = render_blocks(parse_blocks("\n".join(block.body)), ctx, figures)
    if any(g != ctx_gate(ctx) for g, _ in r.pieces):
        raise ctx.fail(f"solution-start/end inside {{{block.name}}}")
    return "\n".join(text for _, text in r.pieces)


def exercise_title(ctx: Context, label: str | None) -> str:
    t = ctx.book.targets.get(label) if label else None
    return f"Exercise {t.number}" if t and t.number else "Exercise"


def render_directive(b: Directive, ctx: Context, figures: FigurePlan) -> str:
    if b.name == "admonition":
        _check_options(b, {"class", "name"}, ctx)
        return quote(f"**{render_inline(b.arg, ctx)}**\n\n{_body(b, ctx, figures)}")
    if b.name in ADMONITIONS:
        _check_options(b, {"class", "name"}, ctx)
        title = ADMONITIONS[b.name] + (f": {render_inline(b.arg, ctx)}" if b.arg else "")
        return quote(f"**{title}**\n\n{_body(b, ctx, figures)}")
    if b.name == "exercise":
        _check_options(b, {"label", "class", "nonumber", "hidden"}, ctx)
        title = exercise_title(ctx, b.options.get("label"))
        if b.arg:
            title += f" ({render_inline(b.arg, ctx)})"
        return quote(f"**{title}**\n\n{_body(b, ctx, figures)}")
    if b.name == "solution":
        _check_options(b, {"label", "class", "hidden"}, ctx)
        summary = f"Solution to {exercise_title(ctx, b.arg.strip())}"
        return f"<details>\n<summary>{summary}</summary>\n\n{_body(b, ctx, figures)}\n\n</details>"
    if b.name in FIGURE_DIRECTIVES:
        return figures.render(b, ctx)
    if b.name == "glue:math":
        _check_options(b, {"label", "nowrap"}, ctx)
        data = _glued(ctx, b.arg.strip())
        latex = data.get("text/latex") or data.get("text/plain")
        latex = latex.strip().removeprefix("$$").removesuffix("$$").strip().strip("$")
        label = b.options.get("label")
        tag = [rf"\tag{{{ctx.book.targets[label].number}}}"] if label else []
        return "\n".join(["$$", latex, *tag, "$$"])
    if b.name == "math":
        _check_options(b, {"label"}, ctx)
        label = b.options.get("label")
        tag = [rf"\tag{{{ctx.book.targets[label].number}}}"] if label else []
        return "\n".join(["$$", *b.body, *tag, "$$"])
    if b.name == "literalinclude":
        return literalinclude(b, ctx)
    if b.name in ("code-block", "code"):
        _check_options(b, set(), ctx)
        return "\n".join([f"```{b.arg}", *b.body, "```"])
    if b.name in ("glue:", "glue", "glue:any"):
        data = _glued(ctx, b.arg.strip())
        if "text/markdown" in data:
            return data["text/markdown"]
        raise ctx.fail(f"{{{b.name}}} {b.arg}: only Markdown values are supported")
    raise ctx.fail(f"unknown directive {{{b.name}}}; teach scripts/reader_edition.py")


# The solution gate (solution-start ... solution-end) spans cells: it lives on the context.
def ctx_gate(ctx: Context) -> str | None:
    return getattr(ctx, "_gate", None)


def ctx_set_gate(ctx: Context, gate: str | None) -> None:
    ctx._gate = gate  # type: ignore[attr-defined]


def number_heading(ctx: Context, level: int) -> str:
    if ctx.chapter is None:
        return ""
    counters = getattr(ctx, "_sections", [])
    if level == 1:
        return f"{ctx.chapter}. "
    counters = counters[: level - 1]
    while len(counters) < level - 1:
        counters.append(0)
    counters[level - 2] += 1
    ctx._sections = counters  # type: ignore[attr-defined]
    return ".".join(str(n) for n in [ctx.chapter, *counters]) + ". "


# ---------------------------------------------------------------------------- figures


@dataclass
class FigurePlan:
    """Where each glued figure is drawn (a code cell) and whether its caption follows it directly."""

    made_in: dict[str, int]  # glue name -> index of the code cell that glues it
    adjacent: set[str]  # figures whose directive comes right after the code cell (nothing visible between)
    attachments: dict[str, dict[str, str]] = field(default_factory=dict)  # for the current cell

    def render(self, b: Directive, ctx: Context) -> str:
        _check_options(b, {"alt", "name", "figwidth", "width", "align", "class"}, ctx)
        label = b.options.get("name")
        caption = render_inline(" ".join(line.strip() for line in b.body).strip(), ctx)
        number = ctx.book.targets[label].number if label else None
        head = f"**{escape_md(ctx.book.numfig_format['figure'].replace('%s', number))}** " if number else ""
        alt = b.options.get("alt", caption)
        if b.name == "figure":
            path = (ctx.book.root / ctx.docname).parent / b.arg.strip()
            if not path.exists() or path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
                raise ctx.fail(f"figure {b.arg}: only PNG or JPEG files are supported")
            mime = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
            self.attachments[path.name] = {mime: base64.b64encode(path.read_bytes()).decode()}
            return f"![{escape_md(alt)}](attachment:{path.name})\n\n{head}{caption}"
        name = b.arg.strip()
        if name not in self.made_in:
            raise ctx.fail(f"{{glue:figure}} {name}: no code cell glues a figure of that name")
        if name in self.adjacent:
            return f"{head}{caption}"
        data = ctx.glue[name]
        self.attachments[f"{name}.png"] = {"image/png": data["image/png"]}
        return f"![{escape_md(alt)}](attachment:{name}.png)\n\n{head}{caption}"


# ---------------------------------------------------------------------------- code


MAGIC = re.compile(r"^\s*[%!]")


def _python(source: str) -> str:
    """A code cell as Python that ast can read: magics and shell lines become comments, lines kept."""
    return "\n".join("#" + line if MAGIC.match(line) else line for line in source.splitlines())


def _is_glue_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "glue"


def _walk_statements(stmts: list[ast.stmt], handle: Callable[[ast.stmt], bool]) -> None:
    """Call ``handle`` on every statement, depth first; a statement it handled (returned True
    for) is not entered."""
    for s in stmts:
        if handle(s):
            continue
        for child in ("body", "orelse", "finalbody"):
            inner = getattr(s, child, None)
            if isinstance(inner, list):
                _walk_statements(inner, handle)
        for handler in getattr(s, "handlers", []):
            _walk_statements(handler.body, handle)


def _is_figure_close(node: ast.AST) -> bool:
    """``plt.close(...)``: a figure made for the book is closed so Jupyter does not draw it twice."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "close"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "plt"
    )


def book_code(source: str) -> str:
    """A code cell as the website and the PDF show it: without its bookkeeping.

    The ``glue`` calls that hand numbers and figures to the text, the import of ``glue``,
    and ``plt.close`` of a glued figure are there for the book's machinery, not for the
    reader: the page shows every number and figure where the text uses it. The notebook
    keeps them (nbval runs it as it is), and so does the reader edition, which needs them
    in its own way (see :func:`rewrite_code`). A cell that cannot be parsed is left as it is.
    """
    if "glue" not in source and "plt.close" not in source:
        return source
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return source

    def bookkeeping(s: ast.stmt) -> bool:
        if isinstance(s, ast.Expr):
            return _is_glue_call(s.value) or _is_figure_close(s.value)
        if isinstance(s, ast.ImportFrom):
            return s.module == "myst_nb" and [a.name for a in s.names] == ["glue"]
        if isinstance(s, ast.For | ast.If | ast.With) and not getattr(s, "orelse", None):
            return all(bookkeeping(inner) for inner in s.body)
        return False

    drop: set[int] = set()

    def handle(s: ast.stmt) -> bool:
        if bookkeeping(s):
            drop.update(range(s.lineno, s.end_lineno + 1))
            return True
        return False

    _walk_statements(tree.body, handle)
    kept = [line for number, line in enumerate(source.splitlines(), start=1) if number not in drop]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    try:
        ast.parse(_python(text))
    except SyntaxError:  # the removal emptied a block: show the cell as it is
        return source
    return text


def rewrite_code(source: str, figures: set[str], ctx: Context) -> str:
    """The edition's code: a figure's glue call becomes display(fig); the glue of a number goes.

    ``figures`` holds the glue names under which this cell stored a figure.  A glue call must
    be a statement of its own with a literal name; anything else fails loudly.
    """
    if "glue" not in source and "myst_nb" not in source:
        return source
    try:
        tree = ast.parse(_python(source))
    except SyntaxError as err:
        raise ctx.fail(f"cannot parse a code cell: {err}") from err
    lines = source.splitlines()
    drop: set[int] = set()
    replace: dict[int, str] = {}
    shown: set[str] = set()
    handled: set[int] = set()  # ids of the glue calls dealt with

    def only_glue(stmts: list[ast.stmt]) -> bool:
        return all(bookkeeping(s) for s in stmts)

    def bookkeeping(s: ast.stmt) -> bool:
        if isinstance(s, ast.Expr) and _is_glue_call(s.value):
            return not _figure_name(s.value)
        if isinstance(s, ast.For | ast.If | ast.With) and not getattr(s, "orelse", None):
            return only_glue(s.body)
        return False

    def _figure_name(call: ast.Call) -> str | None:
        if call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value in figures:
            return call.args[0].value
        return None

    def handle(s: ast.stmt) -> bool:
        if isinstance(s, ast.ImportFrom) and s.module == "myst_nb":
            if [a.name for a in s.names] != ["glue"] or any(a.asname for a in s.names):
                raise ctx.fail("the reader edition knows `from myst_nb import glue` only")
            drop.update(range(s.lineno, s.end_lineno + 1))
            return True
        if isinstance(s, ast.Import) and any(a.name.startswith("myst_nb") for a in s.names):
            raise ctx.fail("the reader edition knows `from myst_nb import glue` only")
        if bookkeeping(s):
            drop.update(range(s.lineno, s.end_lineno + 1))
            handled.update(id(n) for n in ast.walk(s) if _is_glue_call(n))
            return True
        if isinstance(s, ast.Expr) and _is_glue_call(s.value) and _figure_name(s.value):
            call = s.value
            name = _figure_name(call)
            if s.lineno != s.end_lineno and len(call.args) < 2:
                raise ctx.fail(f"glue({name!r}, ...) must pass the figure as its second argument")
            fig = ast.get_source_segment(_python(source), call.args[1])
            indent = lines[s.lineno - 1][: len(lines[s.lineno - 1]) - len(lines[s.lineno - 1].lstrip())]
            replace[s.lineno] = f"{indent}display({fig})"
            drop.update(range(s.lineno + 1, s.end_lineno + 1))
            shown.add(name)
            handled.add(id(call))
            return True
        return False

    _walk_statements(tree.body, handle)
    leftover = [n for n in ast.walk(tree) if _is_glue_call(n) and id(n) not in handled]
    if leftover:
        raise ctx.fail(
            f"a glue call the reader edition cannot rewrite (line {leftover[0].lineno}): it must be a statement of "
            "its own, or a loop/if of such statements, with the figure's name as a literal string"
        )
    if figures - shown:
        raise ctx.fail(f"figure(s) {sorted(figures - shown)} are glued by code the reader edition cannot rewrite")
    out = []
    for number, line in enumerate(lines, start=1):
        if number in replace:
            out.append(replace[number])
        elif number not in drop:
            out.append(line)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")
    return text


# ---------------------------------------------------------------------------- the notebook


def _glue_outputs(cell: Any) -> dict[str, dict[str, Any]]:
    found = {}
    for out in cell.get("outputs", []):
        meta = out.get("metadata", {}).get("scrapbook")
        if out.get("output_type") == "display_data" and meta:
            prefix = meta.get("mime_prefix", "")
            found[meta["name"]] = {k[len(prefix) :]: v for k, v in out["data"].items() if k.startswith(prefix)}
    return found


FIGURE_STATES_KEY = "application/vnd.rnnlib.figure-states+json"  # rnnlib.widgets.FIGURE_STATES_MIMETYPE


def _reader_outputs(cell: Any) -> list[Any]:
    """Stored outputs as plain Jupyter shows them: glued figures become images, glued values go."""
    outputs = []
    for out in cell.get("outputs", []):
        if FIGURE_STATES_KEY in out.get("metadata", {}):
            # the website's pre-drawn states of an interactive figure: the reader's kernel draws them live
            out = copy.deepcopy(out)
            del out["metadata"][FIGURE_STATES_KEY]
        meta = out.get("metadata", {}).get("scrapbook")
        if not meta:
            outputs.append(out)
            continue
        prefix = meta.get("mime_prefix", "")
        data = {k[len(prefix) :]: v for k, v in out["data"].items()}
        if prefix and "image/png" in data:
            outputs.append(nbformat.v4.new_output("display_data", data={"image/png": data["image/png"]}))
        elif not prefix:  # glue(..., display=True) showed the value; keep it, without the glue mark
            clean = copy.deepcopy(out)
            del clean["metadata"]["scrapbook"]
            outputs.append(clean)
    merged: list[Any] = []  # the glue outputs that went may have split one stream in several
    for out in outputs:
        previous = merged[-1] if merged else None
        if previous and out.get("output_type") == previous.get("output_type") == "stream":
            if out.get("name") == previous.get("name"):
                previous["text"] = "".join(previous["text"]) + "".join(out["text"])
                continue
        merged.append(copy.deepcopy(out))
    return merged


def setup_cell(book: Book) -> Any:
    repo = book.config.get("repository", {})
    url, branch = repo.get("url", "").rstrip("/"), repo.get("branch", "main")
    folder = (repo.get("path_to_book") or "").strip("/")
    where = f'"rnn-course/{folder}"' if folder else '"rnn-course"'
    source = f'''# Where rnnlib is missing (Colab, a fresh Python), fetch the course once: rnnlib and its data.
# Anywhere else (Binder, the course's own environment) this cell does nothing.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("rnnlib") is None:
    clone = ["git", "clone", "--quiet", "--depth", "1", "--branch", "{branch}", "{url}", "rnn-course"]
    subprocess.run(clone, check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", {where}], check=True)
    sys.path.insert(0, {where})'''
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["reader_edition"] = "setup"
    return cell


def _fold(cell: Any, title: str) -> None:
    """Fold a code cell: collapsed input and outputs in JupyterLab and Notebook 7, a form in Colab."""
    cell.metadata.setdefault("jupyter", {}).update({"source_hidden": True, "outputs_hidden": True})
    cell.metadata["cellView"] = "form"
    cell.source = f"# @title {title}\n{cell.source}"


def make_edition(book: Book, docname: str) -> Any:
    """The reader edition of one chapter, as an nbformat notebook."""
    source_path = book.source(docname)
    nb = nbformat.read(source_path, as_version=4)
    glue: dict[str, dict[str, Any]] = {}
    made_in: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            for name, data in _glue_outputs(cell).items():
                glue[name] = data
                if "image/png" in data:
                    made_in[name] = i
    ctx = Context(book, docname, glue)

    # Which figures can be shown under their own code cell, with the caption right below?
    adjacent = set()
    for name, i in made_in.items():
        for j in range(i + 1, len(nb.cells)):
            cell = nb.cells[j]
            if cell.cell_type == "code":
                if _reader_outputs(cell) and not all(
                    o.get("output_type") == "display_data" and not o.get("data") for o in _reader_outputs(cell)
                ):
                    break
                continue
            first = next((b for b in parse_blocks(cell.source) if not (isinstance(b, str) and not b.strip())), None)
            if isinstance(first, Directive) and first.name == "glue:figure" and first.arg.strip() == name:
                adjacent.add(name)
            break
    figures = FigurePlan(made_in, adjacent)

    cells = []
    title = book.targets.get(f"doc:{docname}")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            figures.attachments = {}
            rendered = render_blocks(parse_blocks(cell.source), ctx, figures)
            for gate, text in rendered.pieces:
                text = text.strip("\n")
                if not text.strip():
                    continue
                if gate:
                    summary = f"Solution to {exercise_title(ctx, gate)}"
                    text = f"<details>\n<summary>{summary}</summary>\n\n{text}\n\n</details>"
                new = nbformat.v4.new_markdown_cell(text)
                attached = {k: v for k, v in figures.attachments.items() if f"attachment:{k}" in text}
                if attached:
                    new.attachments = attached
                cells.append(new)
            check_no_markup(cells[-len(rendered.pieces) :] if rendered.pieces else [], ctx)
        elif cell.cell_type == "code":
            new = copy.deepcopy(cell)
            mine = {n for n, j in made_in.items() if j == i}
            new.source = rewrite_code(cell.source, mine, ctx)
            new.outputs = _reader_outputs(cell)
            tags = set(new.metadata.get("tags", []))
            if not new.source.strip():
                continue  # bookkeeping only
            if tags & {"remove-cell", "remove-input", "hide-input", "hide-cell"}:
                new.metadata.setdefault("jupyter", {})["source_hidden"] = True
            if tags & {"remove-output", "hide-output"}:
                new.metadata.setdefault("jupyter", {})["outputs_hidden"] = True
            if ctx_gate(ctx):
                _fold(new, f"Solution to {exercise_title(ctx, ctx_gate(ctx))} (code)")
            new.pop("id", None)
            cells.append(new)
        else:
            new = copy.deepcopy(cell)
            new.pop("id", None)
            cells.append(new)
    if ctx_gate(ctx):
        raise ctx.fail(f"solution-start {ctx_gate(ctx)} has no solution-end")

    first_code = next((k for k, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    cells.insert(min(first_code, 1), setup_cell(book))  # after the title cell, before any other code
    intro = (
        f"*Reader edition of chapter {ctx.chapter} of the course "
        f"\u201c{book.config.get('title', '')}\u201d, made from `{source_path.relative_to(book.root)}` by "
        "`scripts/reader_edition.py`: the text of the website, with the code you can change and run. "
        "Choose Run \u2192 Run All Cells; a cell whose code is folded opens with a click on its bar.*"
        if ctx.chapter
        else f"*Reader edition of \u201c{title.title if title else docname}\u201d.*"
    )
    first = cells[0] if cells and cells[0].cell_type == "markdown" else None
    if first is not None and first.source.startswith("# "):
        head, _, rest = first.source.partition("\n")
        first.source = f"{head}\n\n{intro}\n\n{rest.lstrip()}".rstrip()
    else:
        cells.insert(0, nbformat.v4.new_markdown_cell(intro))
    if ctx.cited:
        bib = book.bibliography
        keys = sorted(ctx.cited, key=lambda k: (author_label(bib[k], k), bib[k].get("year", "")))
        lines = [f"- {reference_entry(book.bibliography[k], k)}" for k in keys]
        cells.append(nbformat.v4.new_markdown_cell("## References\n\n" + "\n".join(lines)))

    out = nbformat.v4.new_notebook()
    out.metadata = copy.deepcopy(nb.metadata)
    out.metadata["reader_edition"] = {"source": str(source_path.relative_to(book.root))}
    out.cells = cells
    for k, c in enumerate(out.cells):  # ids that do not change from one generation to the next
        c["id"] = f"reader-{k:03d}"
    out.nbformat_minor = max(out.nbformat_minor, 5)
    return out


RAW_MARKUP = [
    (re.compile(r"\{[\w:.+-]+\}`"), "a MyST role"),
    (re.compile(r"^\s*(?:>\s*)*(?:`{3,}|~{3,}|:{3,})\s*\{", re.M), "a MyST directive"),
    (re.compile(r"^\s*(?:>\s*)*:{3,}", re.M), "a ::: fence"),
    (re.compile(r"^\s*(?:>\s*)*:[\w-]+:", re.M), "a directive option"),
    (re.compile(r"^\s*(?:>\s*)*:\s", re.M), "a definition list"),
    (re.compile(r"^\s*(?:>\s*)*\([\w:.-]+\)=\s*$", re.M), "a (label)= target"),
    (re.compile(r"\$\$[ \t]*\([\w:.-]+\)[ \t]*$", re.M), "an equation label"),
    (re.compile(r"^\s*(?:>\s*)*%", re.M), "a MyST comment"),
    (re.compile(r"^\s*\+\+\+", re.M), "a MyST block break"),
    (re.compile(r"\{\{[^}]*\}\}"), "a MyST substitution"),
]


def _outside_code(text: str) -> str:
    kept, in_fence = [], None
    for line in text.splitlines():
        stripped = re.sub(r"^(?:>\s*)+", "", line).strip()
        m = re.match(r"^(`{3,}|~{3,})", stripped)
        if in_fence:
            if m and m.group(1)[0] == in_fence[0] and len(m.group(1)) >= len(in_fence):
                in_fence = None
            continue
        if m:
            in_fence = m.group(1)
            continue
        kept.append(line)
    return CODE_SPAN.sub("code", "\n".join(kept))


def find_markup(text: str) -> str | None:
    """The first piece of MyST markup left in rendered Markdown (outside code), or None."""
    plain = _outside_code(text)
    for pattern, what in RAW_MARKUP:
        m = pattern.search(plain)
        if m:
            line = plain[plain.rfind("\n", 0, m.start()) + 1 : plain.find("\n", m.end())]
            return f"{what}: {line.strip()[:100]!r}"
    return None


def check_no_markup(cells: list[Any], ctx: Context) -> None:
    for cell in cells:
        problem = find_markup(cell.source)
        if problem:
            raise ctx.fail(f"MyST markup left in the reader edition, {problem}; teach scripts/reader_edition.py")


def write_editions(book: Book, out_dir: Path) -> list[Path]:
    written = []
    for docname in book.notebooks():
        edition = make_edition(book, docname)
        path = out_dir / f"{docname}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(edition, path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "reader", help="folder for the editions")
    parser.add_argument("--replace", action="store_true", help="write over chapters/*.ipynb (Binder's postBuild)")
    args = parser.parse_args(argv)
    try:
        book = load_book(ROOT)
        written = write_editions(book, ROOT if args.replace else args.out)
    except ReaderEditionError as err:
        print(f"reader_edition: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
