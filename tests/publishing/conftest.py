"""Fixtures for the publishing tests.

These tests check what `make book` and `make pdf` built, so the Makefile runs them after
those builds (targets pdf-check, browser and binder-env), not with the unit tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _book import HTML_DIR, LATEX_DIR, ROOT


def need(path: Path, how: str) -> Path:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} does not exist: run `{how}` first", pytrace=False)
    return path


@pytest.fixture(scope="session")
def html_dir() -> Path:
    return need(HTML_DIR / "index.html", "make book").parent


@pytest.fixture(scope="session")
def latex_dir() -> Path:
    return need(LATEX_DIR / "rnn-course.pdf", "make pdf").parent
