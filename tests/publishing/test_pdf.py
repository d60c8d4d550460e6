"""The PDF as its offline readers get it (run after `make pdf`).

The text is extracted with pdftotext and the page count read with pdfinfo (Debian's
poppler-utils), as a reader's tools would see the file; the LaTeX source and log are
checked for what must never reach LaTeX (SVG or GIF images, ANSI colour codes) and for
references LaTeX could not resolve.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from _book import chapters, pages

PDF_NAME = "rnn-course"
# A chapter of this course (objectives, prose, code, figures, four or more exercises with
# solutions, summary) fills at least 3 pages; the front matter, notation, API reference
# and bibliography at least 20.  Past 40 pages a chapter has almost surely printed
# something runaway (a huge array, a long log); the API reference gets 150 pages of room.
MIN_PAGES_FIXED, MIN_PAGES_PER_CHAPTER = 20, 3
MAX_PAGES_FIXED, MAX_PAGES_PER_CHAPTER = 150, 40
WIDGET_REPRS = ("interactive(children=", "VBox(children=", "HBox(children=", "IntSlider(", "FloatSlider(", "Dropdown(")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: run `make system-deps` (Debian package poppler-utils)", pytrace=False)
    return path


def normalise(text: str) -> str:
    """Fold ligatures, typographic quotes, case and line breaks, as a reader's search would."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-"}))
    return re.sub(r"\s+", " ", text).casefold()


@cache
def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        [_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def pdf(latex_dir: Path) -> Path:
    return latex_dir / f"{PDF_NAME}.pdf"


@pytest.fixture(scope="module")
def text(pdf: Path) -> str:
    return pdf_text(pdf)


def test_every_page_title_is_in_the_pdf(text: str) -> None:
    body = normalise(text)
    missing = [p.title for p in pages() if normalise(p.title) not in body]
    assert not missing, f"titles from _toc.yml missing from the PDF text: {missing}"


def test_parts_are_not_numbered_twice(text: str) -> None:
    # the captions carry their own "Part I: ..."; LaTeX's numbering would print "Part I Part I: ..."
    doubled = re.findall(r"\b(?:part [ivx]*|[ivx]+) ?(part [ivx]+: \w+)", normalise(text))
    assert not doubled, f"part headings numbered twice: {sorted(set(doubled))}"


def test_page_count_is_sane(pdf: Path) -> None:
    info = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.MULTILINE).group(1))
    n = len(chapters())
    low, high = MIN_PAGES_FIXED + MIN_PAGES_PER_CHAPTER * n, MAX_PAGES_FIXED + MAX_PAGES_PER_CHAPTER * n
    assert low <= count <= high, f"{count} pages for {n} chapters; expected {low}..{high}"


def test_no_unresolved_references(text: str, latex_dir: Path) -> None:
    # LaTeX prints "??" for a reference it cannot resolve; IPython's `name??` in code is fine.
    unresolved = [text[max(m.start() - 30, 0) : m.end() + 10] for m in re.finditer(r"(?<![\w?])\?\?(?![\w?])", text)]
    assert not unresolved, f"the PDF prints '??' where a reference could not be resolved: {unresolved[:5]}"
    log = (latex_dir / f"{PDF_NAME}.log").read_text(encoding="utf-8", errors="replace")
    undefined = re.findall(r"(?:Reference|Citation) `[^']*' on page \d+ undefined", log)
    assert not undefined, f"LaTeX could not resolve: {sorted(set(undefined))}"
    assert "There were undefined references" not in log


def test_only_png_jpeg_or_pdf_images_reach_latex(latex_dir: Path) -> None:
    tex = (latex_dir / f"{PDF_NAME}.tex").read_text(encoding="utf-8")
    included = re.findall(r"\\(?:sphinx)?includegraphics(?:\[[^\]]*\])?\{\{?([^}]+)\}?([^}]*)\}", tex)
    names = [stem + ext for stem, ext in included]
    bad = [n for n in names if not re.search(r"\.(png|jpe?g|pdf)$", n, flags=re.IGNORECASE)]
    assert not bad, f"images LaTeX cannot take directly: {bad}"
    stray = [p.name for p in latex_dir.iterdir() if p.suffix.lower() in (".svg", ".gif")]
    assert not stray, f"SVG or GIF files were copied for LaTeX: {stray}"


def test_no_ansi_escape_codes(text: str, latex_dir: Path) -> None:
    tex = (latex_dir / f"{PDF_NAME}.tex").read_text(encoding="utf-8")
    assert "\x1b" not in tex, "an ANSI escape character reached the LaTeX source"
    # An escape code that lost its ESC character prints as "[31m"; one written out in
    # code, as "\x1b[31m" or "\033[31m", is source text and allowed.
    leftovers = re.findall(r"(?<!x1b)(?<!033)(?<!u001b)\[(?:\d{1,3};)*\d{1,3}m", text)
    assert not leftovers, f"ANSI colour codes printed in the PDF: {leftovers[:5]}"


def test_interactive_figures_appear_as_notes_not_widget_text(text: str) -> None:
    expected = sum(c.widget_outputs for c in chapters())
    assert normalise(text).count("interactive figure this cell builds sliders") == expected
    leaked = [r for r in WIDGET_REPRS if r in text]
    assert not leaked, f"widget reprs printed in the PDF: {leaked}"


def test_every_exercise_solution_is_printed(text: str) -> None:
    solutions = sum(
        len(re.findall(r"^(?::::+|```+)\{solution(?:-start)?\}", p.markdown, flags=re.MULTILINE)) for p in pages()
    )
    printed = len(re.findall(r"Solution to Exercise", text))
    assert printed == solutions, f"{solutions} solutions in the sources, {printed} in the PDF"
