"""Execute every chapter again with other values of SEED; fail if any cell raises.

Run:  make seeds          (CI runs it as part of make test)
      .venv/bin/python scripts/run_seeds.py --seeds 3 4 5 chapters/05_vanishing_exploding.ipynb

Glue keeps each number in the text equal to its run; it does not make the conclusion
true. Every sentence that states an experimental result therefore has an `assert`
beside the glue that produced its numbers, and this script is what makes those asserts
mean something: it replaces `SEED = 0` in each chapter's first code cell by another
seed, executes the chapter in memory (no file is written), and reports every chapter
and seed whose run raised, with the cell and the error. A failing assert means that the
sentence beside it is true for one seed only: change the claim, the budget or the
experiment, never the seed.

The chapters run two at a time (the CI machine has two cores), one kernel each.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
SEED_LINE = re.compile(r"^SEED = \d+$", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DEFAULT_SEEDS = (1, 2)


def toc_notebooks() -> list[Path]:
    """Chapter notebooks in book order, read from _toc.yml's `file:` entries."""
    files = re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text())
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def with_seed(nb: nbformat.NotebookNode, seed: int, name: str) -> nbformat.NotebookNode:
    """The notebook with `SEED = <seed>` in its first code cell (which must set SEED once)."""
    first = next((c for c in nb.cells if c.cell_type == "code"), None)
    if first is None or len(SEED_LINE.findall(first.source)) != 1:
        raise ValueError(f"{name}: the first code cell must set the seed on one line `SEED = <integer>`")
    first.source = SEED_LINE.sub(f"SEED = {seed}", first.source)
    return nb


def split_seeds(words: list[str]) -> tuple[list[int], list[Path]]:
    """`--seeds 1 2 chapters/x.ipynb` takes the notebook too: integers are seeds, the rest notebooks."""
    seeds = [int(word) for word in words if word.lstrip("-").isdigit()]
    return seeds, [Path(word) for word in words if not word.lstrip("-").isdigit()]


def run(path: Path, seed: int, timeout: int) -> tuple[str, int, float, str | None]:
    """Execute `path` with SEED = seed; return (name, seed, seconds, error or None)."""
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    nb = with_seed(nbformat.read(path, as_version=4), seed, name)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        # The message holds the failing cell's source and the traceback; keep its end.
        lines = [line for line in ANSI.sub("", str(exc)).splitlines() if line.strip()]
        return name, seed, time.perf_counter() - start, "\n".join(lines[-12:])
    return name, seed, time.perf_counter() - start, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", default=[str(seed) for seed in DEFAULT_SEEDS], help="integers")
    parser.add_argument("--jobs", type=int, default=2, help="chapters executed at once")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every chapter in _toc.yml")
    args = parser.parse_args()
    seeds, more = split_seeds(args.seeds)
    args.seeds, args.notebooks = seeds or list(DEFAULT_SEEDS), args.notebooks + more
    notebooks = [p.resolve() for p in args.notebooks] or toc_notebooks()
    jobs = [(path, seed) for seed in args.seeds for path in notebooks]
    failures = 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run, path, seed, args.timeout) for path, seed in jobs]
        for future in futures:
            name, seed, seconds, error = future.result()
            print(f"{name:<42} SEED = {seed:<6} {seconds:6.1f} s  {'ok' if error is None else 'FAILED'}", flush=True)
            if error is not None:
                failures += 1
                print("    " + error.replace("\n", "\n    "), flush=True)
    print(f"{len(jobs) - failures} passed, {failures} failed ({len(notebooks)} chapters x seeds {args.seeds})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
