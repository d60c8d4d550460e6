"""Execute every chapter notebook in a fresh kernel; report wall time and peak memory.

Run:  .venv/bin/python benchmarks/course_runtime.py        (make timings does the same)

Notebooks are taken in the order of _toc.yml.  For each one the script prints the
wall time of executing its cells (kernel start-up excluded, reported separately) and
the kernel's peak resident memory (ru_maxrss, read by a cell appended in memory;
the notebook file is not modified).  Budgets (issue #10): every notebook at most 20 s
and 500 MB on a 2-core machine, the whole course at most 90 s.  It prints numbers; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_SECONDS, NOTEBOOK_MB, COURSE_SECONDS = 20, 500, 90
PEAK_CELL = "import resource as _r; print('PEAK_KB', _r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"


def toc_notebooks() -> list[Path]:
    """Chapter notebooks in book order, read from _toc.yml's `file:` entries."""
    files = re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text())
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def run(path: Path, timeout: int) -> tuple[float, float, float]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    with client.setup_kernel():
        started = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        done = time.perf_counter()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    peak_mb = int(re.search(r"PEAK_KB (\d+)", text).group(1)) / 1024
    return started - start, done - started, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    args = parser.parse_args()
    notebooks = [p.resolve() for p in args.notebooks] or toc_notebooks()
    print(f"{'notebook':<40}{'start s':>8}{'run s':>8}{'peak MB':>9}  within {NOTEBOOK_SECONDS} s / {NOTEBOOK_MB} MB")
    total = 0.0
    for path in notebooks:
        startup, seconds, peak = run(path, args.timeout)
        total += seconds
        ok = "yes" if seconds <= NOTEBOOK_SECONDS and peak <= NOTEBOOK_MB else "NO"
        print(f"{path.relative_to(ROOT).as_posix():<40}{startup:>8.1f}{seconds:>8.1f}{peak:>9.0f}  {ok}")
    verdict = "yes" if total <= COURSE_SECONDS else "NO"
    print(f"{'total (cells only)':<40}{'':>8}{total:>8.1f}{'':>9}  {verdict} (target {COURSE_SECONDS} s)")


if __name__ == "__main__":
    main()
