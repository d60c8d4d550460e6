"""What the publishing tests know about the book: its configuration, its table of
contents, and each page's title, Markdown and stored widget outputs.

Every expectation of the tests is derived from the book's own files (_config.yml,
_toc.yml, the chapters), never written down a second time.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

# The book checked: this repository, or a copy built elsewhere (COURSE_BOOK_ROOT=/path).
ROOT = Path(os.environ.get("COURSE_BOOK_ROOT", Path(__file__).resolve().parents[2]))
HTML_DIR = ROOT / "_build" / "html"
LATEX_DIR = ROOT / "_build" / "latex"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# rnnlib.widgets.FIGURE_STATES_MIMETYPE: the figure's states, stored in a widget output's metadata.
FIGURE_STATES = "application/vnd.rnnlib.figure-states+json"
# Cell tags with which myst-nb leaves a cell's outputs out of the book altogether.
REMOVED = {"remove-output", "remove-cell"}


@cache
def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@cache
def toc() -> dict:
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))


def _walk(entries: list[dict]) -> list[str]:
    names = []
    for entry in entries or []:
        if "file" in entry:
            names.append(str(Path(entry["file"]).with_suffix("")))
        names += _walk(entry.get("sections", []))
    return names


@cache
def toc_pages() -> tuple[str, ...]:
    """Every page of the book, in reading order, as Sphinx document names."""
    t = toc()
    pages = [str(Path(t["root"]).with_suffix(""))]
    for part in t.get("parts", []):
        pages += _walk(part.get("chapters", []))
    pages += _walk(t.get("chapters", []))
    return tuple(pages)


def source_of(page: str) -> Path:
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{page}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"_toc.yml lists {page!r}, but neither {page}.ipynb nor {page}.md exists")


@dataclass(frozen=True)
class Page:
    name: str  # Sphinx document name, e.g. "chapters/01_sequential_data"
    path: Path
    title: str
    markdown: str  # all Markdown text of the page
    widget_outputs: int  # stored outputs that hold an ipywidgets view and are shown in the book
    figure_states: tuple[dict, ...] = field(
        hash=False, compare=False
    )  # the states stored with those outputs (rnnlib.widgets), in page order
    code_sources: tuple[str, ...]  # code cells (empty for a Markdown page)
    code_cells_tags: tuple[tuple[str, frozenset[str]], ...] = ()  # each code cell with its tags

    @property
    def is_notebook(self) -> bool:
        return self.path.suffix == ".ipynb"


def _title(markdown: str, page: str) -> str:
    match = re.search(r"^# +(.+?)\s*$", markdown, flags=re.MULTILINE)
    if not match:
        raise AssertionError(f"{page} has no '# Title' heading")
    # Drop Markdown emphasis and code marks: the title as a reader sees it.
    return re.sub(r"[*_`]", "", match.group(1)).strip()


@cache
def page(name: str) -> Page:
    path = source_of(name)
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
        text = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        code = tuple("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        shown = [
            out
            for c in cells
            if c["cell_type"] == "code" and not REMOVED & set(c.get("metadata", {}).get("tags", []))
            for out in c.get("outputs", [])
            if WIDGET_VIEW in out.get("data", {})
        ]
        widgets = len(shown)
        states = tuple(out["metadata"][FIGURE_STATES] for out in shown if FIGURE_STATES in out.get("metadata", {}))
        tagged = tuple(
            ("".join(c["source"]), frozenset(c.get("metadata", {}).get("tags", [])))
            for c in cells
            if c["cell_type"] == "code"
        )
    else:
        text, code, widgets, states, tagged = path.read_text(encoding="utf-8"), (), 0, (), ()
    return Page(name, path, _title(text, name), text, widgets, states, code, tagged)


def pages() -> list[Page]:
    return [page(name) for name in toc_pages()]


def chapters() -> list[Page]:
    return [p for p in pages() if p.name.startswith("chapters/")]


def numbered_chapters() -> list[Page]:
    """The chapters of the numbered parts (1, 2, ...), without the appendices of the Reference part."""
    parts = [part for part in toc().get("parts", []) if part.get("numbered")]
    numbered = {name for part in parts for name in _walk(part.get("chapters", []))}
    return [p for p in chapters() if p.name in numbered]
