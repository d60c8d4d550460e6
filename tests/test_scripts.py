"""The maintainers' helper scripts in scripts/ that work on notebooks."""

import importlib.util
import json
from pathlib import Path

import nbformat

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def glue_output(name, value):
    return nbformat.v4.new_output(
        "display_data",
        data={"application/papermill.record/text/plain": repr(value)},
        metadata={"scrapbook": {"name": name, "mime_prefix": "application/papermill.record/"}},
    )


def test_strip_execution_metadata_removes_only_the_timestamps(tmp_path):
    strip = load("strip_execution_metadata").strip
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1"), nbformat.v4.new_markdown_cell("text")])
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2026-11-25T15:00:00Z"}
    nb.cells[0].metadata["tags"] = ["nbval-ignore-output"]
    path = tmp_path / "a.ipynb"
    nbformat.write(nb, path)
    assert strip(path) is True
    cells = json.loads(path.read_text())["cells"]
    assert cells[0]["metadata"] == {"tags": ["nbval-ignore-output"]}
    assert path.read_text().endswith("}\n")
    assert strip(path) is False  # nothing left to strip: the file is not rewritten


def test_glue_drift_finds_values_and_the_sentences_that_quote_them():
    drift = load("glue_drift")
    code = nbformat.v4.new_code_cell("glue(...)")
    code.outputs = [glue_output("acc", "53.3%"), glue_output("n", "4")]
    prose = nbformat.v4.new_markdown_cell(
        "Training is chaotic. Only {glue:text}`acc` of the\ntranslations are right: "
        "Fewer than {glue:text}`n`. Nothing here quotes `acc`."
    )
    nb = nbformat.v4.new_notebook(cells=[code, prose])
    assert drift.glued(nb) == {"acc": "'53.3%'", "n": "'4'"}
    assert drift.quoting(nb, "acc") == ["Only {glue:text}`acc` of the translations are right:"]
    assert drift.quoting(nb, "n") == ["Fewer than {glue:text}`n`."]
    assert drift.quoting(nb, "missing") == []


def test_run_seeds_replaces_the_seed_of_the_first_code_cell_only():
    seeds = load("run_seeds")
    cells = [
        nbformat.v4.new_markdown_cell("SEED = 0 in prose stays"),
        nbformat.v4.new_code_cell("import numpy as np\nSEED = 0\nrng = np.random.default_rng(SEED)"),
        nbformat.v4.new_code_cell("SEED = 0  # a later cell is not the set-up cell"),
    ]
    nb = seeds.with_seed(nbformat.v4.new_notebook(cells=cells), 7, "a.ipynb")
    assert nb.cells[1].source == "import numpy as np\nSEED = 7\nrng = np.random.default_rng(SEED)"
    assert nb.cells[0].source == "SEED = 0 in prose stays"
    assert nb.cells[2].source == "SEED = 0  # a later cell is not the set-up cell"


def test_run_seeds_rejects_a_notebook_whose_first_cell_sets_no_seed():
    import pytest

    seeds = load("run_seeds")
    for source in ("rng = np.random.default_rng(0)", "SEED = 0\nSEED = 1"):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        with pytest.raises(ValueError, match="a.ipynb: the first code cell must set the seed on one line"):
            seeds.with_seed(nb, 3, "a.ipynb")


def test_run_seeds_reports_a_failing_assert(tmp_path, monkeypatch):
    seeds = load("run_seeds")
    monkeypatch.setattr(seeds, "ROOT", tmp_path)
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("SEED = 0"), nbformat.v4.new_code_cell("assert SEED == 0, 'one seed only'")]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "c.ipynb"
    nbformat.write(nb, path)
    assert seeds.run(path, 0, 60)[3] is None
    name, seed, _, error = seeds.run(path, 5, 60)
    assert (name, seed) == ("c.ipynb", 5)
    assert "AssertionError: one seed only" in error


def test_run_seeds_reads_notebooks_given_after_the_seeds():
    seeds = load("run_seeds")
    assert seeds.split_seeds(["3", "4", "chapters/a.ipynb"]) == ([3, 4], [Path("chapters/a.ipynb")])
    assert seeds.split_seeds(["-1", "12"]) == ([-1, 12], [])


def test_the_chapter_index_finds_what_chapter_code_uses_by_its_defining_module():
    import sys

    sys.path.insert(0, str(SCRIPTS))  # course_publishing imports reader_edition from its own folder
    used = load("course_publishing").rnnlib_names_used
    cells = [
        "%matplotlib inline\nimport rnnlib\nfrom rnnlib import Adam, plots\nfrom rnnlib.tasks import adding_problem as ap",
        "opt = Adam(0.1)\nfig = plots.plot_curves({})\nx = ap(4, 5, rng)\nc = rnnlib.CELLS['lstm']\nrnnlib.gradients.spectral_norms(m)",
        "import numpy as np\nnp.zeros(3)\nnot python (",
    ]
    assert used(cells) == {
        "rnnlib.optim.Adam",
        "rnnlib.plots.plot_curves",
        "rnnlib.tasks.adding_problem",
        "rnnlib.recurrent.CELLS",
        "rnnlib.gradients.spectral_norms",
    }
    assert used(["plots.plot_curves({})"]) == set()  # a name that was never imported from rnnlib
