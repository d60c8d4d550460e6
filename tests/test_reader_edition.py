"""scripts/reader_edition.py on small synthetic books, and on the course's own chapters."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import reader_edition as R  # noqa: E402

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
BIB = """@article{pascanu2013,
  author  = {Pascanu, Razvan and Mikolov, Tomas and Bengio, Yoshua},
  title   = {On the Difficulty of Training Recurrent Neural Networks},
  journal = {ICML},
  year    = {2013}
}
@article{hochreiter1997,
  author  = {Hochreiter, Sepp and Schmidhuber, J{\\"u}rgen},
  title   = {Long Short-Term Memory},
  journal = {Neural Computation},
  volume  = {9},
  number  = {8},
  pages   = {1735--1780},
  year    = {1997}
}
"""


def glued(name: str, value: str | None = None, png: bool = False, markdown: str | None = None) -> dict:
    prefix = R.GLUE_PREFIX
    data = {prefix + "text/plain": "<Figure>" if png else repr(value)}
    if png:
        data[prefix + "image/png"] = PNG
    if markdown is not None:
        data[prefix + "text/markdown"] = markdown
    return nbformat.v4.new_output(
        "display_data", data=data, metadata={"scrapbook": {"name": name, "mime_prefix": prefix}}
    )


def code(source: str, *outputs: dict, tags: list[str] | None = None) -> dict:
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def md(source: str) -> dict:
    return nbformat.v4.new_markdown_cell(source)


def make_book(tmp_path: Path, chapter2: list[dict], chapter1: list[dict] | None = None) -> R.Book:
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_config.yml").write_text(
        "title: A course\nbibtex_bibfiles: [references.bib]\n"
        "repository: {url: 'https://github.com/o/r', branch: main}\nhtml: {use_multitoc_numbering: true}\n"
    )
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n"
        "  - caption: One\n    numbered: true\n    chapters:\n      - file: chapters/01_a\n"
        "  - caption: Two\n    numbered: true\n    chapters:\n      - file: chapters/02_b\n"
        "  - caption: Reference\n    chapters:\n      - file: notation\n"
    )
    (tmp_path / "intro.md").write_text("# Welcome\n")
    (tmp_path / "notation.md").write_text("(notation)=\n# Notation\n\nSymbols.\n")
    (tmp_path / "references.bib").write_text(BIB)
    (tmp_path / "lib.py").write_text(
        'def helper(x):\n    """Doc."""\n    y = x + 1\n    return y\n\n\n'
        'class Model:\n    def helper(self, x):\n        """Doc."""\n        z = x * 2\n        return z\n\n\nOTHER = 1\n'
    )
    one = chapter1 or [
        md("# First\n\n(ch1-sec)=\n## Start here\n\n$$\na = b\n$$ (ch1-eq)\n"),
        code("from myst_nb import glue\nx = 1"),
    ]
    for name, cells in (("01_a", one), ("02_b", chapter2)):
        nb = nbformat.v4.new_notebook()
        nb.cells = cells
        nbformat.write(nb, tmp_path / "chapters" / f"{name}.ipynb")
    return R.load_book(tmp_path)


def markdown_of(edition: dict) -> str:
    return "\n\n".join(c.source for c in edition.cells if c.cell_type == "markdown")


def codes_of(edition: dict) -> list[dict]:
    return [c for c in edition.cells if c.cell_type == "code" and c.metadata.get("reader_edition") != "setup"]


# ------------------------------------------------------------------ glue


def test_glued_numbers_become_their_values_and_their_glue_calls_go(tmp_path: Path) -> None:
    book = make_book(
        tmp_path,
        [
            md("# Second"),
            code(
                "from myst_nb import glue\nloss = 0.1234\nprint(loss)\nglue('loss', f'{loss:.2f}', display=False)\n"
                "for k in ('a', 'b'):\n    glue(f'acc_{k}', '50%', display=False)\nassert loss < 1  # as the text says",
                nbformat.v4.new_output("stream", name="stdout", text="0.1234\n"),
                glued("loss", "0.12"),
                nbformat.v4.new_output("stream", name="stdout", text="more\n"),
                glued("acc_a", "50%"),
                glued("acc_b", "50%"),
                glued("ratio", "0.333333"),
                glued("tiny", None, markdown="$5 \\times 10^{-7}$"),
            ),
            md(
                "The loss is {glue:text}`loss`, {glue:text}`acc_a` and {glue}`acc_b`; "
                "{glue:text}`ratio:.1%` and about {glue:md}`tiny:myst`."
            ),
        ],
    )
    edition = R.make_edition(book, "chapters/02_b")
    text = markdown_of(edition)
    assert "The loss is 0.12, 50% and 50%; 33.3% and about $5 \\times 10^{-7}$." in text
    (cell,) = codes_of(edition)
    assert cell.source == "loss = 0.1234\nprint(loss)\nassert loss < 1  # as the text says"
    assert [o["output_type"] for o in cell.outputs] == ["stream"]  # the two stdout pieces, joined
    assert cell.outputs[0]["text"] == "0.1234\nmore\n"


def test_a_glued_figure_is_displayed_by_its_cell_and_captioned_below_it(tmp_path: Path) -> None:
    book = make_book(
        tmp_path,
        [
            md("# Second"),
            code(
                "from myst_nb import glue\nfig = draw()\nglue('fig_a', fig, display=False)\nplt.close(fig)",
                glued("fig_a", png=True),
                tags=["remove-cell"],
            ),
            md(
                "```{glue:figure} fig_a\n:alt: A line.\n:name: fig-a\n\nA caption with {eq}`ch1-eq`.\n```\n\nSee {numref}`fig-a`."
            ),
        ],
    )
    edition = R.make_edition(book, "chapters/02_b")
    (cell,) = codes_of(edition)
    assert cell.source == "fig = draw()\ndisplay(fig)\nplt.close(fig)"
    assert cell.outputs[0]["data"] == {"image/png": PNG}
    assert cell.metadata["jupyter"]["source_hidden"]  # the book hides this cell's code
    text = markdown_of(edition)
    assert "**Fig. 2.1** A caption with (1.1)." in text and "See Fig. 2.1." in text
    assert "attachment:" not in text  # the figure is the cell's own output, right above


def test_an_interactive_figure_keeps_its_widget_but_not_the_websites_pre_drawn_states(tmp_path: Path) -> None:
    from rnnlib.widgets import FIGURE_STATES_MIMETYPE

    assert FIGURE_STATES_MIMETYPE == R.FIGURE_STATES_KEY
    widget = nbformat.v4.new_output(
        "display_data",
        data={"text/plain": "Slider", "application/vnd.jupyter.widget-view+json": {"model_id": "abc"}},
        metadata={R.FIGURE_STATES_KEY: {"states": [{"png": "AAAA"}]}},
    )
    book = make_book(tmp_path, [md("# Second"), code("widgets.step_through_widget(model)", widget)])
    (cell,) = codes_of(R.make_edition(book, "chapters/02_b"))
    assert cell.outputs[0]["data"] == widget["data"]
    assert R.FIGURE_STATES_KEY not in cell.outputs[0]["metadata"]
    assert R.FIGURE_STATES_KEY in widget["metadata"]  # the chapter itself is left as it was


def test_a_figure_shown_away_from_its_cell_is_attached_where_the_book_shows_it(tmp_path: Path) -> None:
    book = make_book(
        tmp_path,
        [
            md("# Second"),
            code("from myst_nb import glue\nglue('fig_a', fig, display=False)", glued("fig_a", png=True)),
            md("Some text first.\n\n```{glue:figure} fig_a\n:name: fig-a\n\nCaption.\n```"),
        ],
    )
    edition = R.make_edition(book, "chapters/02_b")
    cell = edition.cells[-1]
    assert "![Caption.](attachment:fig_a.png)" in cell.source
    assert cell.attachments["fig_a.png"] == {"image/png": PNG}


# ------------------------------------------------------------------ numbering and references


def test_numbering_follows_the_toc_and_document_order(tmp_path: Path) -> None:
    book = make_book(
        tmp_path,
        [
            md(
                "# Second\n\n## One\n\n$$\nx\n$$ (eq-x)\n\n### Deeper\n\n$$\ny\n$$\n\n## Two\n\n"
                ":::{exercise}\n:label: ex-a\n\nDo it, using {eq}`eq-x` and {eq}`ch1-eq`.\n:::\n\n"
                "$$\nz\n$$ (eq-z)\n\nSee {ref}`ex-a`, {numref}`ex-a`, {ref}`ch1-sec`, "
                "{ref}`this part <ch1-sec>`, {eq}`eq-z` and the {doc}`notation </notation>` page "
                "or {doc}`../notation`."
            ),
        ],
    )
    assert book.chapter_numbers == {"chapters/01_a": 1, "chapters/02_b": 2}  # the Reference part is not numbered
    text = markdown_of(R.make_edition(book, "chapters/02_b"))
    assert text.startswith("# 2. Second")
    assert "## 2.1. One" in text and "### 2.1.1. Deeper" in text and "## 2.2. Two" in text
    assert "x\n\\tag{2.1}\n$$" in text and "y\n$$" in text and "z\n\\tag{2.2}\n$$" in text
    assert "> **Exercise 2.1**" in text and "> Do it, using (2.1) and (1.1)." in text
    assert "See Exercise 2.1, Exercise 2.1, Start here, this part, (2.2) and the notation page or Notation." in text


def test_citations_read_author_year_and_the_chapter_lists_its_references(tmp_path: Path) -> None:
    book = make_book(
        tmp_path,
        [
            md(
                "# Second\n\nAs shown {cite}`pascanu2013,hochreiter1997`, {cite:t}`hochreiter1997` and {cite:p}`pascanu2013`."
            )
        ],
    )
    edition = R.make_edition(book, "chapters/02_b")
    text = markdown_of(edition)
    assert (
        "As shown (Pascanu et al., 2013; Hochreiter and Schmidhuber, 1997), Hochreiter and Schmidhuber (1997) "
        "and (Pascanu et al., 2013)." in text
    )
    assert edition.cells[-1].source.splitlines() == [
        "## References",
        "",
        "- Hochreiter, S. and Schmidhuber, J. (1997). Long Short-Term Memory. *Neural Computation*, 9(8), 1735–1780.",
        "- Pascanu, R., Mikolov, T., and Bengio, Y. (2013). On the Difficulty of Training Recurrent Neural Networks. "
        "*ICML*.",
    ]


# ------------------------------------------------------------------ exercises, solutions, admonitions, code


def test_solutions_are_folded_and_a_solution_across_cells_folds_its_code(tmp_path: Path) -> None:
    book = make_book(
        tmp_path,
        [
            md(
                "# Second\n\n```{admonition} Objectives\n:class: tip\n\n- learn\n```\n\n"
                ":::{exercise}\n:label: ex-a\n\nFirst.\n:::\n\n:::{solution} ex-a\n:class: dropdown\n\nAnswer A.\n:::\n\n"
                ":::{exercise}\n:label: ex-b\n\nSecond.\n:::\n\n:::{solution-start} ex-b\n:class: dropdown\n:::\n\nWe compute:"
            ),
            code("answer = 2\nprint(answer)", nbformat.v4.new_output("stream", name="stdout", text="2\n")),
            md("So it is 2.\n\n:::{solution-end}\n:::\n\nBack to the text."),
        ],
    )
    edition = R.make_edition(book, "chapters/02_b")
    sources = [c.source for c in edition.cells]
    assert any("> **Objectives**\n>\n> - learn" in s for s in sources)
    assert any(
        "<details>\n<summary>Solution to Exercise 2.1</summary>\n\nAnswer A.\n\n</details>" in s for s in sources
    )
    k = next(i for i, s in enumerate(sources) if s.startswith("# @title Solution to Exercise 2.2"))
    assert sources[k - 1] == "<details>\n<summary>Solution to Exercise 2.2</summary>\n\nWe compute:\n\n</details>"
    folded = edition.cells[k]
    assert folded.metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert folded.metadata["cellView"] == "form"
    assert sources[k + 1] == "<details>\n<summary>Solution to Exercise 2.2</summary>\n\nSo it is 2.\n\n</details>"
    assert sources[k + 2] == "Back to the text."


def test_literalinclude_quotes_the_lines_sphinx_would(tmp_path: Path) -> None:
    book = make_book(
        tmp_path,
        [
            md(
                "# Second\n\n```{literalinclude} ../lib.py\n:language: python\n:pyobject: helper\n"
                ":start-at: y = x\n:dedent: 4\n```"
            )
        ],
    )
    text = markdown_of(R.make_edition(book, "chapters/02_b"))
    assert "```python\ny = x + 1\nreturn y\n```" in text


def test_literalinclude_finds_a_method_by_its_class(tmp_path: Path) -> None:
    book = make_book(
        tmp_path,
        [
            md(
                "# Second\n\n```{literalinclude} ../lib.py\n:language: python\n:pyobject: Model.helper\n"
                ":start-at: z = x\n:dedent: 8\n```"
            )
        ],
    )
    text = markdown_of(R.make_edition(book, "chapters/02_b"))
    assert "```python\nz = x * 2\nreturn z\n```" in text


def test_the_first_code_cell_installs_rnnlib_only_where_it_is_missing(tmp_path: Path) -> None:
    book = make_book(tmp_path, [md("# Second"), code("import rnnlib")])
    edition = R.make_edition(book, "chapters/02_b")
    setup = next(c for c in edition.cells if c.cell_type == "code")
    assert setup.metadata["reader_edition"] == "setup"
    assert 'if importlib.util.find_spec("rnnlib") is None:' in setup.source
    assert '"https://github.com/o/r"' in setup.source
    nbformat.validate(edition)


# ------------------------------------------------------------------ failing loudly


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("Read {term}`RNN`.", "unknown role {term}"),
        ("```{tableofcontents}\n```", "unknown directive {tableofcontents}"),
        (":::{exercise}\n:label: e\n:weight: 2\n\nx\n:::", "option(s) ['weight']"),
        ("See {numref}`no-such-label`.", "no such label"),
        ("Cite {cite}`nobody2020`.", "'nobody2020' is not in the bibliography"),
        ("{{ course_name }} is great.", "a MyST substitution"),
        ("% a MyST comment\nText.", "a MyST comment"),
        ("Term\n: a definition", "a definition list"),
        ("`code` at the start of a line is fine, but\n{weird}`x` is not", "unknown role {weird}"),
        ("(orphan)=\nText.", "not followed by a heading"),
        ("Value {glue:text}`missing`.", "glue key 'missing' has no stored value"),
    ],
)
def test_unknown_markup_fails_naming_the_chapter_and_the_construct(tmp_path: Path, markdown: str, message: str) -> None:
    with pytest.raises(R.ReaderEditionError) as err:
        book = make_book(tmp_path, [md(f"# Second\n\n{markdown}")])
        R.make_edition(book, "chapters/02_b")
    assert message in str(err.value)
    assert "chapters/02_b" in str(err.value)


def test_a_glue_call_it_cannot_rewrite_fails(tmp_path: Path) -> None:
    book = make_book(
        tmp_path,
        [md("# Second"), code("from myst_nb import glue\nx = glue('v', 1, display=False)", glued("v", "1"))],
    )
    with pytest.raises(R.ReaderEditionError, match="glue call the reader edition cannot rewrite"):
        R.make_edition(book, "chapters/02_b")


def test_the_main_program_writes_editions_or_names_what_it_cannot_translate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    make_book(tmp_path, [md("# Second\n\nFine.")])
    monkeypatch.setattr(R, "ROOT", tmp_path)
    assert R.main(["--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out" / "chapters").iterdir()) == ["01_a.ipynb", "02_b.ipynb"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("# Second\n\n{term}`x`")]
    nbformat.write(nb, tmp_path / "chapters" / "02_b.ipynb")
    assert R.main(["--out", str(tmp_path / "out")]) == 1
    assert "chapters/02_b: unknown role {term}" in capsys.readouterr().err


# ------------------------------------------------------------------ the course


@pytest.fixture(scope="module")
def course() -> R.Book:
    return R.load_book(ROOT)


def test_every_chapter_of_the_course_has_a_reader_edition_without_markup(course: R.Book) -> None:
    assert len(course.notebooks()) >= 8
    for docname in course.notebooks():
        edition = R.make_edition(course, docname)
        for cell in edition.cells:
            if cell.cell_type == "markdown":
                assert R.find_markup(cell.source) is None, (docname, R.find_markup(cell.source))
            else:
                assert "myst_nb" not in cell.source and "glue(" not in cell.source, docname
        nbformat.validate(edition)
        json.dumps(edition)  # serialisable as it is written


def test_book_code_leaves_out_the_bookkeeping_and_keeps_the_computation():
    """What the website and the PDF show of a code cell (issue 11, part 5)."""
    source = "\n".join([
        "from myst_nb import glue",
        "x = train()  # the experiment",
        'glue("ch_x", f"{x:.2f}", display=False)',
        "for name, value in {'a': 1}.items():",
        "    glue(name, value, display=False)",
        "fig = plot(x)",
        'glue("ch_fig", fig, display=False)',
        "plt.close(fig)",
        "assert x > 0  # as the text says",
        "if x:",
        '    glue("ch_y", 2, display=False)',
        "    y = 2",
    ])
    assert R.book_code(source) == "\n".join([
        "x = train()  # the experiment",
        "fig = plot(x)",
        "assert x > 0  # as the text says",
        "if x:",
        "    y = 2",
    ])
    assert R.book_code("x = 1\nprint(x)") == "x = 1\nprint(x)"
    assert R.book_code('glue("a", 1, display=False)') == ""
    # a removal that would leave an empty block shows the cell unchanged rather than broken code
    broken = 'if x:\n    glue("a", 1)\nelse:\n    y = 2'
    assert R.book_code(broken) == broken
    assert R.book_code("%matplotlib inline\nglue('a', 1)") == "%matplotlib inline"
