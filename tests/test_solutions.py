"""Folded solutions hold text, maths and code, never a figure.

A figure inside a solution breaks two editions at once: the PDF stops, because LaTeX cannot put
a float inside the solution's box, and the website shows the image bare, without the alt text
and dark-mode panel that glued figures get. The PDF build finds it minutes into CI; this finds
it in a second, and names the chapter and the solution.
"""

import re
from pathlib import Path

import nbformat
import pytest

CHAPTERS = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb"))

OPENER = re.compile(r"^(:{3,})\{solution\}\s*(\S*)")
GATE = re.compile(r"^:{3,}\{solution-(start|end)\}\s*(\S*)")
FIGURE = re.compile(r"\{(?:glue:figure|figure|image)\}|!\[[^\]]*\]\(")


def figures_in_solutions(cells):
    """(solution label, what was found) for every figure inside a solution.

    ``cells`` are nbformat cells. A solution is either a fenced ``:::{solution}`` block inside
    one markdown cell, or everything between ``:::{solution-start}`` and ``:::{solution-end}``,
    which may span cells; code cells inside a gated solution must not display an image.
    """
    found = []
    gate = None  # label of the gated solution we are inside, across cells
    for index, cell in enumerate(cells):
        if cell.cell_type == "code":
            images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            if gate is not None and images:
                found.append((gate, f"an image output in code cell {index}"))
            continue
        if cell.cell_type != "markdown":
            continue
        fence = None  # (colons, label) of the fenced solution we are inside, within this cell
        for line in cell.source.splitlines():
            stripped = line.strip()
            gated = GATE.match(stripped)
            if gated:
                gate = (gated.group(2) or f"cell {index}") if gated.group(1) == "start" else None
                continue
            if fence is not None and stripped == fence[0]:
                fence = None
                continue
            opener = OPENER.match(stripped)
            if opener and fence is None:
                fence = (opener.group(1), opener.group(2) or f"cell {index}")
                continue
            inside = fence[1] if fence is not None else gate
            if inside is not None and FIGURE.search(line):
                found.append((inside, line.strip()))
    return found


def markdown(text):
    return nbformat.v4.new_markdown_cell(text)


def code_with_image():
    cell = nbformat.v4.new_code_cell("fig")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"})]
    return cell


def test_a_glued_figure_in_a_fenced_solution_is_found():
    cells = [markdown(":::{solution} ex-1\n:class: dropdown\n\n```{glue:figure} fig-ex\n```\n:::")]
    assert figures_in_solutions(cells) == [("ex-1", "```{glue:figure} fig-ex")]


def test_an_image_shown_inside_a_gated_solution_is_found_and_the_gate_closes():
    cells = [
        markdown(":::{solution-start} ex-2\n:class: dropdown\n:::\n\nThe code:"),
        code_with_image(),
        markdown(":::{solution-end}\n:::"),
        code_with_image(),  # after the gate: an ordinary figure of the chapter
        markdown("![a plot](plot.png)"),
    ]
    assert figures_in_solutions(cells) == [("ex-2", "an image output in code cell 1")]


def test_markdown_images_and_figure_directives_count_but_text_and_code_do_not():
    cells = [
        markdown(":::{solution} ex-3\nSee ![x](x.png) and\n```{figure} y.png\n```\n:::"),
        markdown(":::{solution} ex-4\nThe figure of {numref}`fig-ch2` shows it.\n```python\nplt.plot(x)\n```\n:::"),
        markdown("```{glue:figure} fig-main\n```"),
    ]
    assert figures_in_solutions(cells) == [("ex-3", "See ![x](x.png) and"), ("ex-3", "```{figure} y.png")]


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_no_chapter_puts_a_figure_inside_a_solution(path):
    found = figures_in_solutions(nbformat.read(path, as_version=4).cells)
    assert not found, (
        f"{path.name}: a solution must not hold a figure (the PDF cannot float it inside the solution "
        f"box, and the website shows it without alt text); give its numbers in words or move the "
        f"figure out of the solution: {found}"
    )
