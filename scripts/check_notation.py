"""Check that every symbol in the chapters' equations is listed on the notation page.

The notation page (notation.md) promises one meaning per symbol across the book. A
program cannot check meanings, but it can check the first half of the promise: that a
symbol used in a chapter's mathematics appears on the page at all, so a reader who meets
it can look it up. Run it after writing maths in a chapter:

    .venv/bin/python scripts/check_notation.py            # lists unlisted symbols, exits 1 if any
    .venv/bin/python scripts/check_notation.py --table    # every symbol and the chapters that use it

A *symbol* here is what a reader looks up: a Latin letter or a Greek letter, with its
decoration (bar, hat, tilde, arrow), read with its subscripts and superscripts removed,
so $W_{xh}$ and $W_x$ both count as $W$ and $\\bar c_{t+1}$ as $\\bar c$. Text inside
\\text{...}, \\operatorname{...} and similar is not maths, and named functions such as
\\tanh or \\log are not symbols.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent

GREEK = set(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi"
    " rho varrho sigma tau upsilon phi varphi chi psi omega"
    " Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)
# decorations that make a different symbol, and the spelling they are reported under
DECORATIONS = {
    "bar": "bar",
    "overline": "bar",
    "hat": "hat",
    "widehat": "hat",
    "tilde": "tilde",
    "widetilde": "tilde",
    "overleftarrow": "overleftarrow",
    "overrightarrow": "overrightarrow",
    "vec": "vec",
}
_NOT_MATHS = re.compile(r"\\(?:text|mathrm|operatorname|texttt|textbf|textit|label|tag)\s*\{[^{}]*\}")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\{[^}]*\}")
_BRACED_INDEX = re.compile(r"[_^]\s*\{[^{}]*\}")
_SHORT_INDEX = re.compile(r"[_^]\s*(?:\\[A-Za-z]+|[A-Za-z0-9])")
_TOKEN = re.compile(
    r"\\(" + "|".join(sorted(DECORATIONS, key=len, reverse=True)) + r")(?![A-Za-z])\s*\{?\s*(\\[A-Za-z]+|[A-Za-z])"
    r"|\\(mathbb|mathcal|mathbf|boldsymbol)\s*\{?\s*([A-Za-z])"
    r"|\\([A-Za-z]+)"
    r"|([A-Za-z])"
)
_MATH_BLOCK = re.compile(r"^(`{3,}|:{3,})\{math\}[^\n]*\n(.*?)^\1", re.S | re.M)
# inline maths may run over a line break, but not over a blank line (a new paragraph)
_MATHS = re.compile(r"\$\$(.+?)\$\$|\$((?:[^$\n]|\n(?![ \t]*\n))+?)\$", re.S)
_CODE = re.compile(r"`[^`\n]*`")


def maths_in(markdown: str) -> Iterator[str]:
    """The maths of a MyST text: $...$, $$...$$ and {math} blocks, outside inline code."""
    for block in _MATH_BLOCK.finditer(markdown):
        yield block.group(2)
    for match in _MATHS.finditer(_CODE.sub("", _MATH_BLOCK.sub("", markdown))):
        yield next(group for group in match.groups() if group is not None)


def symbols_in(tex: str) -> list[str]:
    """The symbols of one formula, in order, as strings such as ``W``, ``\\alpha``, ``\\bar{c}``."""
    tex = _ENVIRONMENT.sub(" ", _NOT_MATHS.sub(" ", tex))
    for _ in range(4):  # nested indices such as _{t_{n}} go from the inside out
        tex = _BRACED_INDEX.sub(" ", tex)
    tex = _SHORT_INDEX.sub(" ", tex)
    found = []
    for decoration, base, font, fonted, command, letter in _TOKEN.findall(tex):
        if font:
            found.append(f"\\{'mathbf' if font == 'boldsymbol' else font}{{{fonted}}}")
        elif decoration:
            if base.startswith("\\") and base[1:] not in GREEK:
                continue
            found.append(f"\\{DECORATIONS[decoration]}{{{base}}}")
        elif command:
            if command in GREEK:
                found.append("\\" + command)
        else:
            found.append(letter)
    return found


def chapter_symbols(notebooks: Iterable[Path]) -> dict[str, set[str]]:
    """Map each symbol to the chapters (file names) whose markdown uses it."""
    where: dict[str, set[str]] = defaultdict(set)
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                for tex in maths_in(cell.source):
                    for symbol in symbols_in(tex):
                        where[symbol].add(path.name)
    return where


def listed_symbols(page: Path) -> set[str]:
    """The symbols the notation page's own maths mentions."""
    return {symbol for tex in maths_in(page.read_text(encoding="utf-8")) for symbol in symbols_in(tex)}


def unlisted(root: Path = ROOT) -> dict[str, set[str]]:
    """Symbols used in a chapter's maths that notation.md does not mention, with the chapters."""
    used = chapter_symbols(sorted((root / "chapters").glob("*.ipynb")))
    listed = listed_symbols(root / "notation.md")
    return {symbol: chapters for symbol, chapters in used.items() if symbol not in listed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", action="store_true", help="print every symbol and where it is used")
    args = parser.parse_args(argv)
    if args.table:
        used = chapter_symbols(sorted((ROOT / "chapters").glob("*.ipynb")))
        for symbol in sorted(used):
            print(f"{symbol:24} {' '.join(sorted(name[:2] for name in used[symbol]))}")
        return 0
    missing = unlisted()
    for symbol in sorted(missing):
        print(f"{symbol} is used in {', '.join(sorted(missing[symbol]))} but notation.md does not list it")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
