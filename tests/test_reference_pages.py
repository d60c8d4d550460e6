"""The reference pages: the notation page lists every symbol the chapters use, and the API
page lists the modules in the order the book first uses them."""

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


notation = load("check_notation")


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        (r"h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h)", ["h", "x", "W", "h", "W", "b"]),
        (r"\bar c_{t+1} + \overline{W}_x + \widehat{y}", [r"\bar{c}", r"\bar{W}", r"\hat{y}"]),
        (r"\alpha_{tj} = \exp(u_{tj}) / \sum_k \exp(u_{tk})", [r"\alpha", "u", "u"]),
        (r"\text{for all } t \le T,\ \operatorname{diag}(f_t)", ["t", "T", "f"]),
        (r"\lVert \delta_{t_{n}} \rVert \dots \sigma_{\max}(W)", [r"\delta", r"\sigma", "W"]),
        (r"\overleftarrow{h}_t \odot \tilde c_t", [r"\overleftarrow{h}", r"\tilde{c}"]),
    ],
)
def test_symbols_are_read_without_their_indices_and_with_their_decoration(tex, expected):
    assert notation.symbols_in(tex) == expected


def test_maths_is_found_in_dollars_and_math_blocks_but_not_in_code():
    text = "Here $h_t$ and `$not_maths$`, and\n$$\nW x\n$$\nthen\n```{math}\n\\alpha\n```\n"
    assert sorted(notation.symbols_in(t) for t in notation.maths_in(text)) == [["W", "x"], [r"\alpha"], ["h"]]


def test_a_symbol_missing_from_the_notation_page_is_reported(tmp_path):
    (tmp_path / "chapters").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("The state $h_t$ and the gate $\\zeta_t$.")])
    nbformat.write(nb, tmp_path / "chapters" / "01_x.ipynb")
    (tmp_path / "notation.md").write_text("| $h_t$ | hidden state |\n")
    assert notation.unlisted(tmp_path) == {r"\zeta": {"01_x.ipynb"}}


def test_every_symbol_in_the_chapters_is_on_the_notation_page():
    missing = notation.unlisted(ROOT)
    assert not missing, "add these symbols to notation.md (scripts/check_notation.py lists them):\n" + "\n".join(
        f"{symbol}: {', '.join(sorted(chapters))}" for symbol, chapters in sorted(missing.items())
    )


def test_the_api_page_lists_modules_under_the_chapter_that_first_uses_them():
    from course_publishing import rnnlib_names_used

    first_use: dict[str, int] = {}
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        for name in rnnlib_names_used(cells):
            first_use.setdefault(name.rsplit(".", 1)[0], int(path.name[:2]))

    chapter = None
    placed = {}
    for line in (ROOT / "api.md").read_text().splitlines():
        heading = re.match(r"## Chapter (\d+):", line)
        if heading:
            chapter = int(heading.group(1))
        module = re.match(r"\.\. automodule:: (rnnlib\.\w+)", line)
        if module:
            placed[module.group(1)] = chapter
    wrong = {m: (placed[m], first_use[m]) for m in placed if m in first_use and placed[m] != first_use[m]}
    assert not wrong, "module: (chapter it is listed under, chapter that first uses it): " + repr(wrong)
    unplaced = sorted(set(first_use) - set(placed))
    assert not unplaced, f"modules the chapters use but api.md does not list: {unplaced}"


def test_fonts_make_their_own_symbols_and_inline_maths_may_cross_a_line():
    assert notation.symbols_in(r"W \in \mathbb{R}^{D \times H}, \mathcal K, \mathbf{w}") == [
        "W",
        r"\mathbb{R}",
        r"\mathcal{K}",
        r"\mathbf{w}",
    ]
    text = "the weight $\\bar\\alpha_j =\n\\bar\\kappa \\cdot h_j$ (a bar marks it), then $x$.\n\nNew $y$ here"
    assert [notation.symbols_in(t) for t in notation.maths_in(text)] == [
        [r"\bar{\alpha}", r"\bar{\kappa}", "h"],
        ["x"],
        ["y"],
    ]
