"""Remove the per-cell timestamps that `jupyter execute` records, so a re-run notebook
differs from the committed one only where its outputs changed.

Usage: python scripts/strip_execution_metadata.py NOTEBOOK...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def strip(path: Path) -> bool:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for cell in notebook["cells"]:
        if "execution" in cell.get("metadata", {}):
            del cell["metadata"]["execution"]
            changed = True
    if changed:  # the layout nbformat writes: one-space indent, UTF-8, final newline
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for name in sys.argv[1:]:
        if strip(Path(name)):
            print(f"stripped execution timestamps from {name}")
