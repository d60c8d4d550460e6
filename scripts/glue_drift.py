"""List the glued numbers that change when the chapters run with different rounding.

Run:  make drift        (about a minute; prints, asserts nothing)

Training runs can be chaotic: a difference in the last digit of one product, such as
another computer's linear-algebra library produces, can send them elsewhere.  The prose
quotes their results through myst-nb's glue, so the numbers always match the outputs,
but a sentence around a number can still be true only for the committed value.  This
script executes every chapter again in memory (the files are not touched), with
whatever rounding the environment gives it (`make drift` picks OpenBLAS's Haswell
kernels instead of the ones chosen for this CPU), and prints each glued value that
changed with the sentences that quote it, so that you can check they still hold.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
TEXT_KINDS = ("application/papermill.record/text/plain", "application/papermill.record/text/markdown")


def glued(nb: nbformat.NotebookNode) -> dict[str, str]:
    """name -> value of every glued text (figures are left out)."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            data = output.get("data", {})
            for kind in TEXT_KINDS:
                if name and kind in data:
                    values[name] = "".join(data[kind])
    return values


def quoting(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """The sentences of the markdown cells that quote glue `name`."""
    pattern = re.compile(r"\{glue:[a-z]+\}`" + re.escape(name) + r"(:myst)?`")
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        text = " ".join(cell.source.split())
        for sentence in re.split(r"(?<=[.:;?!])\s+(?=[A-Z({])", text):
            if pattern.search(sentence):
                found.append(sentence)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every chapter in _toc.yml")
    args = parser.parse_args()
    files = re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text())
    notebooks = [p.resolve() for p in args.notebooks] or [
        ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()
    ]
    changed = 0
    for path in notebooks:
        committed = nbformat.read(path, as_version=4)
        rerun = nbformat.read(path, as_version=4)
        NotebookClient(
            rerun, timeout=args.timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
        before, after = glued(committed), glued(rerun)
        moved = sorted(name for name in before if after.get(name) != before[name])
        print(f"{path.relative_to(ROOT).as_posix()}: {len(moved)} of {len(before)} glued values changed")
        for name in moved:
            print(f"  {name}: {before[name]} -> {after.get(name, '(not glued any more)')}")
            for sentence in quoting(committed, name):
                print(f"      {sentence}")
        changed += len(moved)
    print(f"\n{changed} glued values changed; read the sentences above with the new values")


if __name__ == "__main__":
    main()
